"""A TCP link with latency, for a database "on another host" when the kernel has no netem.

    python benchmarks/latency_link.py LISTEN_PORT TARGET_HOST TARGET_PORT RTT_MS

Forwards 127.0.0.1:LISTEN_PORT to TARGET, holding every chunk for half of RTT_MS in each
direction, as a link would: what arrives is stamped and sent when its time comes, so chunks
in flight do not add up their delays. Each connection is relayed by a process of its own, a
single thread waiting in ``select`` (microsecond timeouts) for data or for the next chunk due:
one wake-up per event, no threads handing over an interpreter lock. Its CPU time can be
counted apart. (``tc qdisc ... netem`` is the usual tool; this machine's kernel lacks it.)
"""
from __future__ import annotations

import collections
import os
import select
import socket
import sys
import time


def relay(client: socket.socket, target: tuple[str, int], delay: float) -> None:
    upstream = socket.create_connection(target)
    peer = {client: upstream, upstream: client}
    held = {client: collections.deque(), upstream: collections.deque()}  # to send to each
    reading = {client, upstream}
    for sock in peer:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        send_due(held)
        if not reading and not any(held.values()):
            return   # both sides closed and everything passed on
        due = min((queue[0][0] for queue in held.values() if queue), default=None)
        timeout = None if due is None else max(0.0, due - time.monotonic())
        for src in select.select(list(reading), [], [], timeout)[0]:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            held[peer[src]].append((time.monotonic() + delay, data))
            if not data:
                reading.discard(src)


def send_due(held: dict) -> None:
    now = time.monotonic()
    for dst, queue in held.items():
        while queue and queue[0][0] <= now:
            data = queue.popleft()[1]
            try:
                if data:
                    dst.sendall(data)
                else:
                    dst.shutdown(socket.SHUT_WR)   # the other side closed: pass it on
            except OSError:
                queue.clear()


def serve(port: int, target: tuple[str, int], delay: float) -> None:
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


def reap() -> int:
    try:
        return os.waitpid(-1, os.WNOHANG)[0]
    except ChildProcessError:
        return 0


if __name__ == "__main__":
    listen, host, target_port, rtt_ms = sys.argv[1:5]
    serve(int(listen), (host, int(target_port)), float(rtt_ms) / 2e3)
