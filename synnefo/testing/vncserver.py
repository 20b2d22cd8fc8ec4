"""A real VNC server (TigerVNC's Xtigervnc, Debian package tigervnc-standalone-server) for tests.

Started on a free display and a free loopback port; ``scripts/install-test-deps.sh`` installs it.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

BINARY = "Xtigervnc"
PASSWD_TOOLS = ("tigervncpasswd", "vncpasswd")


class VncServerUnavailable(Exception):
    """Xtigervnc is not installed or did not start."""


@dataclass
class VncServer:
    host: str
    port: int
    display: int
    width: int
    height: int
    password: str | None
    process: subprocess.Popen = field(repr=False)
    workdir: str = field(repr=False)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def available() -> bool:
    return shutil.which(BINARY) is not None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def start(width: int = 640, height: int = 480, password: str | None = None,
          attempts: int = 5) -> VncServer:
    """Start Xtigervnc on loopback (``password``: VNC authentication, else none)."""
    if not available():
        raise VncServerUnavailable(f"{BINARY} not found; run scripts/install-test-deps.sh")
    errors = []
    for _ in range(attempts):
        try:
            return _start_once(width, height, password)
        except VncServerUnavailable as exc:
            errors.append(str(exc))
    raise VncServerUnavailable("; ".join(errors))


def _start_once(width, height, password) -> VncServer:
    workdir = tempfile.mkdtemp(prefix="snf-vnc-")
    display, port = _free_display(), free_port()
    args = [BINARY, f":{display}", "-rfbport", str(port), "-interface", "127.0.0.1",
            "-localhost", "-nolisten", "tcp", "-geometry", f"{width}x{height}", "-depth", "24",
            "-AlwaysShared", "-SecurityTypes", "VncAuth" if password else "None"]
    if password:
        args += ["-PasswordFile", _password_file(workdir, password)]
    log = open(os.path.join(workdir, "server.log"), "wb")
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    server = VncServer("127.0.0.1", port, display, width, height, password, process, workdir)
    if not _wait_listening(server):
        server.stop()
        raise VncServerUnavailable(f"{BINARY} :{display} did not listen on {port}")
    return server


def _free_display() -> int:
    for display in range(100 + os.getpid() % 300, 1000):
        if not os.path.exists(f"/tmp/.X{display}-lock") and \
                not os.path.exists(f"/tmp/.X11-unix/X{display}"):
            return display
    raise VncServerUnavailable("no free X display")


def _password_file(workdir: str, password: str) -> str:
    tool = next((t for t in PASSWD_TOOLS if shutil.which(t)), None)
    if tool is None:
        raise VncServerUnavailable("vncpasswd not found (Debian package tigervnc-tools)")
    path = os.path.join(workdir, "passwd")
    with open(path, "wb") as out:
        subprocess.run([tool, "-f"], input=password.encode(), stdout=out, check=True)
    return path


def _wait_listening(server: VncServer, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            with socket.create_connection((server.host, server.port), timeout=1) as sock:
                return sock.recv(12).startswith(b"RFB ")
        except OSError:
            time.sleep(0.1)
    return False


# A picture that no default desktop shows: four coloured quadrants and a yellow bar.
def _test_pattern(width: int, height: int) -> list[tuple[int, int, int, int, tuple]]:
    half_w, half_h = width // 2, height // 2
    return [(0, 0, half_w, half_h, (220, 30, 30)), (half_w, 0, width - half_w, half_h,
                                                    (30, 200, 60)),
            (0, half_h, half_w, height - half_h, (40, 60, 230)),
            (half_w, half_h, width - half_w, height - half_h, (250, 250, 250)),
            (width // 8, height // 3, width * 3 // 4, height // 10, (240, 220, 0))]


def show_test_pattern(server: VncServer):
    """Make ``server``'s screen show a known picture (its root window's background, kept after
    this X client leaves); returns that picture as a PIL image. Needs python-xlib."""
    from PIL import Image, ImageDraw
    from Xlib import X, display as xdisplay
    rects = _test_pattern(server.width, server.height)
    conn = xdisplay.Display(f":{server.display}")
    screen = conn.screen()
    pixmap = screen.root.create_pixmap(server.width, server.height, screen.root_depth)
    for x, y, w, h, (r, g, b) in rects:
        pixel = screen.default_colormap.alloc_color(r * 257, g * 257, b * 257).pixel
        pixmap.fill_rectangle(pixmap.create_gc(foreground=pixel), x, y, w, h)
    screen.root.change_attributes(background_pixmap=pixmap)
    screen.root.clear_area(0, 0, server.width, server.height)
    conn.set_close_down_mode(X.RetainPermanent)  # the pixmap outlives this connection
    conn.sync()
    conn.close()
    picture = Image.new("RGB", (server.width, server.height))
    draw = ImageDraw.Draw(picture)
    for x, y, w, h, colour in rects:
        draw.rectangle((x, y, x + w - 1, y + h - 1), fill=colour)
    return picture
