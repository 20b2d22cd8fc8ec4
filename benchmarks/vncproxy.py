"""Benchmark snf-vncauthproxy: relay throughput beside a direct connection, forwardings/second.

Starts a real Xtigervnc (scripts/install-test-deps.sh installs it) and snf-vncauthproxy as a
separate process on loopback, then prints:
  * full-framebuffer updates (Raw encoding) from Xtigervnc, direct and through the proxy (MB/s);
  * a synthetic RFB server that streams bytes as fast as it can, direct and through the proxy
    (what the relay alone can carry);
  * forwardings set up per second over the UNIX control socket, one at a time and 50 at once;
  * the proxy's CPU time per GB relayed, a figure that depends little on what else the machine
    runs (on Linux the relay splices socket -> pipe -> socket; the ratios need an idle machine).

Usage: .venv/bin/python benchmarks/vncproxy.py [--seconds 2] [--width 1920 --height 1080]
"""
from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

from synnefo.daemons.vncauthproxy import handshake, rfb
from synnefo.protocols.vncauthproxy import request_forwarding
from synnefo.testing import vncserver
from synnefo.testing.vncauthproxy import loopback_port_range

MB = 1_000_000
STREAM_CHUNK = b"\x5a" * (1 << 20)


# --- a minimal RFB viewer: full-screen Raw updates ------------------------------------------

async def open_viewer(port: int, password: str = ""):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    await handshake.open_destination(reader, writer, password)
    writer.write(b"\x01")  # ClientInit: shared
    width, height = struct.unpack("!HH", await reader.readexactly(4))
    pixel_format = await reader.readexactly(16)
    name_length = struct.unpack("!I", await reader.readexactly(4))[0]
    await reader.readexactly(name_length)
    writer.write(struct.pack("!BxHi", 2, 1, 0))  # SetEncodings: Raw only
    return reader, writer, width, height, pixel_format[0] // 8


async def read_update(reader) -> int:
    """Read one FramebufferUpdate (skipping other server messages); returns its size in bytes."""
    while True:
        kind = (await reader.readexactly(1))[0]
        if kind == 0:
            return await _read_rectangles(reader)
        if kind == 2:  # Bell
            continue
        if kind == 3:  # ServerCutText
            _, length = struct.unpack("!3sI", await reader.readexactly(7))
            await reader.readexactly(length)
            continue
        raise RuntimeError(f"unexpected server message {kind}")


async def _read_rectangles(reader) -> int:
    _, count = struct.unpack("!BH", await reader.readexactly(3))
    total = 4
    for _ in range(count):
        x, y, w, h, encoding = struct.unpack("!HHHHi", await reader.readexactly(12))
        if encoding != 0:
            raise RuntimeError(f"unexpected encoding {encoding}")
        total += 12 + await _skip(reader, w * h * _read_rectangles.bpp)
    return total


async def _skip(reader, size: int) -> int:
    left = size
    while left:
        left -= len(await reader.read(min(left, 1 << 20)))
    return size


async def framebuffer_rate(port: int, password: str, seconds: float) -> float:
    reader, writer, width, height, bpp = await open_viewer(port, password)
    _read_rectangles.bpp = bpp
    request = struct.pack("!BBHHHH", 3, 0, 0, 0, width, height)  # non-incremental, full screen
    moved, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        writer.write(request)
        moved += await read_update(reader)
    elapsed = time.perf_counter() - started
    writer.close()
    return moved / elapsed / MB


# --- a synthetic RFB server that streams as fast as it can ----------------------------------

async def streaming_server():
    """A server streaming to every client until it goes; returns (server, its client tasks)."""
    tasks = set()

    async def serve(reader, writer):
        tasks.add(asyncio.current_task())
        writer.write(rfb.encode_version(rfb.V3_8))
        await reader.readexactly(12)
        writer.write(bytes([1, rfb.SEC_NONE]))
        await reader.readexactly(1)
        writer.write(rfb.u32(rfb.RESULT_OK))
        try:
            while True:
                writer.write(STREAM_CHUNK)
                await writer.drain()
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass  # the benchmark is over
        finally:
            writer.close()
    return await asyncio.start_server(serve, "127.0.0.1", 0), tasks


async def stream_rate(port: int, password: str, seconds: float) -> float:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    await handshake.open_destination(reader, writer, password)
    moved, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        moved += len(await reader.read(1 << 20))
    elapsed = time.perf_counter() - started
    writer.close()
    return moved / elapsed / MB


# --- the proxy process and the measurements -------------------------------------------------

def start_proxy(workdir: str):
    control = os.path.join(workdir, "control.sock")
    script = os.path.join(os.path.dirname(sys.executable), "snf-vncauthproxy")
    process = subprocess.Popen([script, "--control-socket", control, "--listen-address",
                                "127.0.0.1", "--port-range", loopback_port_range(3000),
                                "--expiry-seconds", "5"], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not os.path.exists(control):
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit("snf-vncauthproxy did not start")
        time.sleep(0.05)
    return process, control


def forward(control: str, port: int, password: str = "benchpw1") -> int:
    return request_forwarding(control, destination_address="127.0.0.1", destination_port=port,
                              password=password, timeout=30)


def setup_rate(control: str, port: int, count: int, workers: int) -> float:
    started = time.perf_counter()
    if workers == 1:
        for _ in range(count):
            forward(control, port)
    else:
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda _: forward(control, port), range(count)))
    return count / (time.perf_counter() - started)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def median_pair(measure, control: str, port: int, seconds: float, proxy_pid: int,
                      rounds: int = 3):
    """Median MB/s (direct, proxied) over interleaved rounds (the machine is shared), and the
    proxy's CPU seconds per GB relayed over all proxied rounds."""
    direct, proxied, cpu, moved = [], [], 0.0, 0.0
    for _ in range(rounds):
        direct.append(await measure(port, "", seconds))
        forwarded = forward(control, port)
        before = cpu_seconds(proxy_pid)
        proxied.append(await measure(forwarded, "benchpw1", seconds))
        cpu += cpu_seconds(proxy_pid) - before
        moved += proxied[-1] * seconds / 1000
    return sorted(direct)[rounds // 2], sorted(proxied)[rounds // 2], cpu / moved


async def relay_figures(control: str, vnc: vncserver.VncServer, seconds: float,
                        proxy_pid: int) -> None:
    direct, proxied, cpu = await median_pair(framebuffer_rate, control, vnc.port, seconds,
                                             proxy_pid)
    print(f"Xtigervnc {vnc.width}x{vnc.height} full updates: direct {direct:8.1f} MB/s   "
          f"through proxy {proxied:8.1f} MB/s  ({proxied / direct:.2f}x; proxy CPU "
          f"{cpu:.2f} s/GB)")
    server, tasks = await streaming_server()
    port = server.sockets[0].getsockname()[1]
    direct, proxied, cpu = await median_pair(stream_rate, control, port, seconds, proxy_pid)
    print(f"synthetic RFB stream:           direct {direct:8.1f} MB/s   "
          f"through proxy {proxied:8.1f} MB/s  ({proxied / direct:.2f}x; proxy CPU "
          f"{cpu:.2f} s/GB)")
    server.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--forwardings", type=int, default=1000)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="snf-vap-bench-")
    vnc = vncserver.start(args.width, args.height)
    process, control = start_proxy(workdir)
    try:
        asyncio.run(relay_figures(control, vnc, args.seconds, process.pid))
        sequential = setup_rate(control, vnc.port, args.forwardings, 1)
        concurrent_ = setup_rate(control, vnc.port, args.forwardings, 50)
        print(f"forwardings set up: {sequential:8.0f}/s one at a time   "
              f"{concurrent_:8.0f}/s with 50 clients at once")
    finally:
        process.terminate()
        process.wait()
        vnc.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
