"""Benchmark snf-vncauthproxy: relay throughput beside a direct connection, forwardings/second.

Starts a real Xtigervnc (scripts/install-test-deps.sh installs it) and snf-vncauthproxy as a
separate process on loopback, then prints:
  * full-framebuffer updates (Raw encoding) from Xtigervnc, direct and through the proxy (MB/s);
  * a synthetic RFB server that streams bytes as fast as it can, direct and through the proxy
    (what the relay alone can carry);
  * forwardings set up per second over the UNIX control socket, one at a time and 50 at once;
  * CPU seconds per GB of the proxy, the viewer and the server, direct and proxied (figures
    the machine's load disturbs less than MB/s; the ratios need an idle machine);
  * the whole machine's busy CPU seconds per GB (softirq included: on loopback the receiver's
    TCP input runs there, outside every process's accounting) and the rate that would fill
    every core at that cost, direct and proxied;
  * beside the forwardings, the proxy's and the client's CPU per request, and a floor: the
    same client against a bare UNIX-socket server that sends a fixed answer.
The viewer is a blocking socket reading into one fixed buffer (recv_into), the same code for
both paths; the synthetic server runs in its own process, like a real VNC server.

Usage: .venv/bin/python benchmarks/vncproxy.py [--seconds 2] [--width 1920 --height 1080]
           [--proxy-source DIR]   (the proxy from another checkout: before/after in one run)
"""
from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import multiprocessing
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from synnefo.daemons.vncauthproxy import handshake, rfb
from synnefo.protocols.vncauthproxy import request_forwarding
from synnefo.testing import vncserver
from synnefo.testing.vncauthproxy import loopback_port_range

MB = 1_000_000
STREAM_CHUNK = b"\x5a" * (1 << 20)


# --- a minimal RFB viewer: full-screen Raw updates ------------------------------------------

VIEWER_BUFFER = 256 * 1024


class Viewer:
    """A blocking RFB client reading through one fixed buffer with recv_into, as a native
    viewer does. Direct and proxied runs use this same client; it costs about a tenth of a
    CPU second per GB, so it is not what limits either path."""

    def __init__(self, port: int, password: str = ""):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.view = memoryview(bytearray(VIEWER_BUFFER))
        self.start = self.end = 0
        asyncio.run(handshake.open_destination(self, self, password))

    async def readexactly(self, size: int) -> bytes:  # what the handshake reads with
        return self.read(size)

    def write(self, data: bytes) -> None:
        self.sock.sendall(data)

    async def drain(self) -> None:
        pass

    def close(self) -> None:
        self.sock.close()

    def _fill(self) -> None:
        if self.start == self.end:
            self.start = self.end = 0
        elif self.end == len(self.view):
            left = self.end - self.start
            self.view[:left] = self.view[self.start:self.end]
            self.start, self.end = 0, left
        received = self.sock.recv_into(self.view[self.end:])
        if not received:
            raise ConnectionError("the server closed the connection")
        self.end += received

    def receive(self) -> int:
        """Drop what the buffer holds, receive once more; returns the bytes received."""
        self.start = self.end = 0
        self._fill()
        return self.end

    def read(self, size: int) -> bytes:
        while self.end - self.start < size:
            self._fill()
        self.start += size
        return bytes(self.view[self.start - size:self.start])

    def skip(self, size: int) -> int:
        """Consume ``size`` bytes where they lie in the buffer (pixel data)."""
        left = size
        while left:
            if self.start == self.end:
                self._fill()
            taken = min(left, self.end - self.start)
            self.start += taken
            left -= taken
        return size


def open_viewer(port: int, password: str = "") -> tuple[Viewer, int, int, int]:
    viewer = Viewer(port, password)
    viewer.write(b"\x01")  # ClientInit: shared
    width, height = struct.unpack("!HH", viewer.read(4))
    pixel_format = viewer.read(16)
    viewer.read(struct.unpack("!I", viewer.read(4))[0])  # the desktop's name
    viewer.write(struct.pack("!BxHi", 2, 1, 0))  # SetEncodings: Raw only
    return viewer, width, height, pixel_format[0] // 8


def read_update(viewer: Viewer, bpp: int) -> int:
    """Read one FramebufferUpdate (skipping other server messages); returns its size in bytes."""
    while True:
        kind = viewer.read(1)[0]
        if kind == 0:
            return _read_rectangles(viewer, bpp)
        if kind == 2:  # Bell
            continue
        if kind == 3:  # ServerCutText
            viewer.skip(struct.unpack("!3xI", viewer.read(7))[0])
            continue
        raise RuntimeError(f"unexpected server message {kind}")


def _read_rectangles(viewer: Viewer, bpp: int) -> int:
    count = struct.unpack("!xH", viewer.read(3))[0]
    total = 4
    for _ in range(count):
        _, _, w, h, encoding = struct.unpack("!HHHHi", viewer.read(12))
        if encoding != 0:
            raise RuntimeError(f"unexpected encoding {encoding}")
        total += 12 + viewer.skip(w * h * bpp)
    return total


def framebuffer_rate(port: int, password: str, seconds: float) -> float:
    viewer, width, height, bpp = open_viewer(port, password)
    request = struct.pack("!BBHHHH", 3, 0, 0, 0, width, height)  # non-incremental, full screen
    moved, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        viewer.write(request)
        moved += read_update(viewer, bpp)
    elapsed = time.perf_counter() - started
    viewer.close()
    return moved / elapsed / MB


# --- a synthetic RFB server that streams as fast as it can ----------------------------------

async def _stream_to(reader, writer) -> None:
    writer.write(rfb.encode_version(rfb.V3_8))
    await reader.readexactly(12)
    writer.write(bytes([1, rfb.SEC_NONE]))
    await reader.readexactly(1)
    writer.write(rfb.u32(rfb.RESULT_OK))
    try:
        while True:
            writer.write(STREAM_CHUNK)
            await writer.drain()
    except (ConnectionError, OSError):
        pass  # the viewer went away
    finally:
        writer.close()


async def _serve_stream(listening: socket.socket) -> None:
    server = await asyncio.start_server(_stream_to, sock=listening)
    await server.serve_forever()


def _run_streaming_server(listening: socket.socket) -> None:
    asyncio.run(_serve_stream(listening))


def start_streaming_server() -> tuple[multiprocessing.Process, int]:
    """A synthetic RFB server in its own process (like a real VNC server), streaming to every
    client until it goes; returns (process, port)."""
    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    process = multiprocessing.get_context("fork").Process(target=_run_streaming_server,
                                                           args=(listening,), daemon=True)
    process.start()
    listening.close()
    return process, port


def stream_rate(port: int, password: str, seconds: float) -> float:
    viewer = Viewer(port, password)
    moved, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        moved += viewer.receive()
    elapsed = time.perf_counter() - started
    viewer.close()
    return moved / elapsed / MB


# --- the proxy process and the measurements -------------------------------------------------

def start_proxy(workdir: str, source: str | None = None):
    """snf-vncauthproxy in its own process; ``source``: run the code of that checkout instead
    (e.g. a ``git worktree`` of an older commit, for before/after figures from one run)."""
    control = os.path.join(workdir, "control.sock")
    env = dict(os.environ, PYTHONPATH=source) if source else None
    process = subprocess.Popen([sys.executable, "-m", "synnefo.daemons.vncauthproxy",
                                "--control-socket", control, "--listen-address", "127.0.0.1",
                                "--port-range", loopback_port_range(3000), "--expiry-seconds",
                                "5"], stderr=subprocess.DEVNULL, env=env, cwd=source)
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


def _answer_forever(listening: socket.socket) -> None:
    answer = b'{"status": "OK", "source_port": 1}\n'
    while True:
        connection, _ = listening.accept()
        with connection:
            request = b""
            while not request.endswith(b"\n"):
                request += connection.recv(4096)
            connection.sendall(answer)


def start_floor_server(workdir: str) -> tuple[multiprocessing.Process, str]:
    """The least a control endpoint can do: a process that reads each request up to its
    newline and sends a fixed answer, one connection at a time. It shows what the client side
    of the forwardings figures (request_forwarding, thread pool) costs by itself."""
    path = os.path.join(workdir, "floor.sock")
    listening = socket.socket(socket.AF_UNIX)
    listening.bind(path)
    listening.listen(1024)
    process = multiprocessing.get_context("fork").Process(target=_answer_forever,
                                                           args=(listening,), daemon=True)
    process.start()
    listening.close()
    return process, path


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent out of idle so far, softirq included (/proc/stat): on
    loopback the receiver's TCP input runs in softirq, which no process's utime/stime holds."""
    with open("/proc/stat") as stat:
        fields = [int(field) for field in stat.readline().split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait


@dataclass
class Pair:
    """Medians of interleaved rounds (MB/s), and CPU seconds per GB over all rounds."""
    direct: float
    proxied: float
    proxy_cpu: float
    viewer_cpu_direct: float
    viewer_cpu_proxied: float
    server_cpu_direct: float
    server_cpu_proxied: float
    machine_cpu_direct: float
    machine_cpu_proxied: float

    @property
    def ratio(self) -> float:
        return self.proxied / self.direct


def _timed(measure, port: int, password: str, seconds: float, pids: tuple[int, int]):
    """(MB/s, GB moved, viewer CPU s, CPU s of the server, CPU s of the proxy, busy CPU s of
    the whole machine); pid 0: none."""
    def others():
        return [cpu_seconds(pid) if pid else 0.0 for pid in pids] + [machine_busy_seconds()]
    viewer, before = time.process_time(), others()
    rate = measure(port, password, seconds)
    after = others()
    return (rate, rate * seconds / 1000, time.process_time() - viewer,
            after[0] - before[0], after[1] - before[1], after[2] - before[2])


def median_pair(measure, control: str, port: int, seconds: float, pids: tuple[int, int],
                rounds: int = 3) -> Pair:
    """Direct and proxied rounds, interleaved (the machine may be shared); ``pids``: the
    server's and the proxy's processes."""
    direct, proxied = [], []
    for _ in range(rounds):
        direct.append(_timed(measure, port, "", seconds, (pids[0], 0)))
        proxied.append(_timed(measure, forward(control, port), "benchpw1", seconds, pids))

    def per_gb(rows, column):
        return sum(row[column] for row in rows) / sum(row[1] for row in rows)
    return Pair(sorted(row[0] for row in direct)[rounds // 2],
                sorted(row[0] for row in proxied)[rounds // 2], per_gb(proxied, 4),
                per_gb(direct, 2), per_gb(proxied, 2), per_gb(direct, 3), per_gb(proxied, 3),
                per_gb(direct, 5), per_gb(proxied, 5))


def _print_pair(label: str, pair: Pair) -> None:
    print(f"{label} direct {pair.direct:8.1f} MB/s   through proxy {pair.proxied:8.1f} MB/s  "
          f"({pair.ratio:.2f}x)\n    CPU s/GB: proxy {pair.proxy_cpu:.2f}; viewer "
          f"{pair.viewer_cpu_direct:.2f} direct, {pair.viewer_cpu_proxied:.2f} proxied; server "
          f"{pair.server_cpu_direct:.2f} direct, {pair.server_cpu_proxied:.2f} proxied\n"
          f"    whole machine (softirq included), CPU s/GB: {pair.machine_cpu_direct:.2f} direct, "
          f"{pair.machine_cpu_proxied:.2f} proxied; all {os.cpu_count()} cores busy would carry "
          f"{1000 * os.cpu_count() / pair.machine_cpu_direct:.0f} and "
          f"{1000 * os.cpu_count() / pair.machine_cpu_proxied:.0f} MB/s at most "
          f"({pair.machine_cpu_direct / pair.machine_cpu_proxied:.2f}x)")


def relay_figures(control: str, vnc: vncserver.VncServer, seconds: float,
                  proxy_pid: int) -> tuple[Pair, Pair]:
    updates = median_pair(framebuffer_rate, control, vnc.port, seconds,
                          (vnc.process.pid, proxy_pid))
    _print_pair(f"Xtigervnc {vnc.width}x{vnc.height} full updates:", updates)
    server, port = start_streaming_server()
    try:
        stream = median_pair(stream_rate, control, port, seconds, (server.pid, proxy_pid))
    finally:
        server.terminate()
        server.join()
    _print_pair("synthetic RFB stream:           ", stream)
    return updates, stream


def forwarding_figures(control: str, workdir: str, port: int, count: int,
                       proxy_pid: int) -> tuple[float, float]:
    floor, floor_control = start_floor_server(workdir)
    try:
        floor_rates = [setup_rate(floor_control, port, count, w) for w in (1, 50)]
    finally:
        floor.terminate()
        floor.join()
    client, proxy = time.process_time(), cpu_seconds(proxy_pid)
    serial = setup_rate(control, port, count, 1)
    client, proxy = time.process_time() - client, cpu_seconds(proxy_pid) - proxy
    parallel = setup_rate(control, port, count, 50)
    print(f"forwardings set up: {serial:8.0f}/s one at a time   {parallel:8.0f}/s with 50 "
          f"clients at once\n    one at a time, CPU per request: proxy {proxy / count * 1e6:.0f} "
          f"us, client {client / count * 1e6:.0f} us\n    floor (a bare UNIX-socket server "
          f"sending a fixed answer, same client): {floor_rates[0]:.0f}/s and "
          f"{floor_rates[1]:.0f}/s")
    return serial, parallel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--forwardings", type=int, default=1000)
    parser.add_argument("--proxy-source", metavar="DIR",
                        help="run the proxy from this checkout (default: the installed code)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="snf-vap-bench-")
    vnc = vncserver.start(args.width, args.height)
    process, control = start_proxy(workdir, args.proxy_source)
    try:
        updates, stream = relay_figures(control, vnc, args.seconds, process.pid)
        serial, parallel = forwarding_figures(control, workdir, vnc.port, args.forwardings,
                                              process.pid)
    finally:
        process.terminate()
        process.wait()
        vnc.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"FIGURE vnc.relay.tigervnc {updates.ratio:.2f} x target >= 0.8")
    # Capacity, not the figure (that is the same VNC server's): no target. Two
    # loopback TCP paths cost more CPU than 0.8x of one on two cores (docs/performance.md).
    print(f"FIGURE vnc.relay.stream {stream.ratio:.2f} x target ~ -")
    print(f"FIGURE vnc.forwardings.serial {serial:.0f} /s target >= 2000")
    print(f"FIGURE vnc.forwardings.parallel {parallel:.0f} /s target >= 2000")
    print(f"FIGURE vnc.cpu_per_gb {max(updates.proxy_cpu, stream.proxy_cpu):.2f} s/GB "
          f"target <= 0.4")


if __name__ == "__main__":
    main()
