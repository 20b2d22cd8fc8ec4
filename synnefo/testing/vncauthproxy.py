"""Run a real snf-vncauthproxy daemon in a background thread of the test process."""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import random
import threading

from synnefo.daemons.vncauthproxy.config import ProxyConfig, parse_config
from synnefo.daemons.vncauthproxy.daemon import ProxyDaemon


def loopback_port_range(span: int = 400) -> str:
    """A port range below the kernel's ephemeral ports, varied so parallel runs rarely meet."""
    low = random.randrange(20000, 32000 - span)
    return f"{low}-{low + span - 1}"


def loopback_config(**options) -> ProxyConfig:
    """A loopback-only config; ``options`` are raw option strings (e.g. expiry_seconds="1")."""
    raw = {"listen_address": "127.0.0.1", "port_range": loopback_port_range()}
    raw.update({k: str(v) for k, v in options.items()})
    return parse_config(raw, environ={})


class ThreadedProxy:
    """A ProxyDaemon on its own event loop; ``endpoint`` is where its control socket listens."""

    def __init__(self, config: ProxyConfig):
        self.daemon = ProxyDaemon(config)
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="vncauthproxy", daemon=True)
        self._started = concurrent.futures.Future()

    @property
    def endpoint(self):
        return self.daemon.control_endpoint

    def start(self) -> "ThreadedProxy":
        self._thread.start()
        self._started.result(timeout=30)
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        try:
            await self.daemon.start()
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that called start()
            self._started.set_exception(exc)
            return
        self._started.set_result(True)
        try:
            await self._stop.wait()
        finally:
            await self.daemon.close()

    def call(self, func, *args):
        """Run ``func(*args)`` on the proxy's loop (e.g. to read its state); its result."""
        async def wrapper():
            return func(*args)
        return asyncio.run_coroutine_threadsafe(wrapper(), self._loop).result(timeout=10)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=30)


@contextlib.contextmanager
def running_proxy(config: ProxyConfig):
    proxy = ThreadedProxy(config).start()
    try:
        yield proxy
    finally:
        proxy.stop()
