"""A TCP link with latency, for a database "on another host" when the kernel has no netem.

    python benchmarks/latency_link.py LISTEN_PORT TARGET_HOST TARGET_PORT RTT_MS

Forwards 127.0.0.1:LISTEN_PORT to TARGET, holding every chunk for half of RTT_MS in each
direction, as a link would: a reader thread stamps what it receives and a writer thread sends
it when its time comes, so chunks in flight do not add up their delays. Runs in a process of
its own (a process per connection) so that its CPU time can be counted apart. (``tc qdisc ... netem`` is the usual tool;
this machine's kernel is built without it.)
"""
from __future__ import annotations

import os
import queue
import socket
import sys
import threading
import time


def pipe(src: socket.socket, dst: socket.socket, delay: float) -> None:
    held: queue.SimpleQueue = queue.SimpleQueue()

    def write() -> None:
        while (item := held.get()) is not None:
            due, data = item
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            try:
                dst.sendall(data)
            except OSError:
                break
        close(dst)

    threading.Thread(target=write, daemon=True).start()
    try:
        while data := src.recv(65536):
            held.put((time.monotonic() + delay, data))
    except OSError:
        pass
    held.put(None)


def close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def serve(port: int, target: tuple[str, int], delay: float) -> None:
    """Each connection is relayed by a process of its own, so that connections do not wait
    for each other's turn at one interpreter lock (which would add up to 5 ms at a time)."""
    listener = socket.create_server(("127.0.0.1", port))
    while True:
        client, _ = listener.accept()
        if os.fork() == 0:
            listener.close()
            relay(client, target, delay)
            os._exit(0)
        client.close()
        while reap():
            pass


def relay(client: socket.socket, target: tuple[str, int], delay: float) -> None:
    sys.setswitchinterval(1e-4)   # this process's threads hand over quickly
    upstream = socket.create_connection(target)
    for sock in (client, upstream):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    threads = [threading.Thread(target=pipe, args=(src, dst, delay))
               for src, dst in ((client, upstream), (upstream, client))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def reap() -> int:
    try:
        return os.waitpid(-1, os.WNOHANG)[0]
    except ChildProcessError:
        return 0


if __name__ == "__main__":
    listen, host, target_port, rtt_ms = sys.argv[1:5]
    serve(int(listen), (host, int(target_port)), float(rtt_ms) / 2e3)
