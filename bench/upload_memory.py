"""Peak memory of a server worker for a large upload to views that do not read it.

Starts each server on loopback with a small Tocsin app, asks the worker its
peak resident size (``VmHWM``), sends one POST of ``--mib`` MiB to a view
that ignores its body (sync, then async), and asks again. Prints one row per
server and view: the peak before, after, and the growth.

    python bench/upload_memory.py                 # 100 MiB, uvicorn and gunicorn
    python bench/upload_memory.py --src OTHER/src # another checkout's Tocsin

With ``--src`` the servers import Tocsin from that folder (to compare a
commit before a change with the one after, side by side).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent

APP = textwrap.dedent(
    """
    import os

    from tocsin import Tocsin

    app = Tocsin(__name__)


    @app.get("/peak")
    def peak():
        with open(f"/proc/{os.getpid()}/status") as f:
            fields = dict(line.split(":", 1) for line in f)
        return {"pid": os.getpid(), "kib": int(fields["VmHWM"].split()[0])}


    @app.post("/ignore")
    def ignore():
        return "ignored"


    @app.post("/aignore")
    async def aignore():
        return "ignored"
    """
)

SERVERS = {
    "uvicorn": lambda port: [
        str(BIN / "uvicorn"), "--port", str(port), "--log-level", "warning", "upload_app:app.asgi",
    ],
    "gunicorn": lambda port: [
        str(BIN / "gunicorn"), "-w", "1", "-k", "gthread", "--threads", "4",
        "-b", f"127.0.0.1:{port}", "upload_app:app",
    ],
}  # fmt: skip


def free_port() -> int:
    """A TCP port nothing listens on, on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(server: str, folder: Path, src: str | None) -> tuple[subprocess.Popen[bytes], str]:
    """Start *server* with the app in *folder*; return the process and its base URL."""
    port = free_port()
    path = os.pathsep.join(p for p in (str(folder), src) if p)
    proc = subprocess.Popen(
        SERVERS[server](port),
        cwd=folder,
        env={**os.environ, "PYTHONPATH": path},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/peak", timeout=0.5)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"{server} did not start")


def post_unread(port: int, path: str, size: int, timeout: float = 60) -> int:
    """POST *size* bytes to *path* over a raw socket; the response's status code.

    The body is sent from a thread while the response is read: a server that
    answers without reading the body may close the connection mid-send.
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n".encode()

    def send_body() -> None:
        piece = b"x" * (1024 * 1024)
        try:
            sock.sendall(head)
            left = size
            while left > 0:
                sock.sendall(piece[: min(left, len(piece))])
                left -= len(piece)
        except OSError:  # the server answered and closed: the rest is not wanted
            pass

    sender = threading.Thread(target=send_body)
    sender.start()
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    finally:
        sender.join(timeout)
        sock.close()
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0


def measure(server: str, mib: int, src: str | None) -> list[tuple[str, str, int, int, int]]:
    """Rows of (server, view, status, peak KiB before, peak KiB after)."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "upload_app.py").write_text(APP)
        for view in ("/ignore", "/aignore"):  # a fresh server each: a peak only grows
            proc, url = start(server, Path(folder), src)
            try:
                before = httpx.get(url + "/peak").json()["kib"]
                status = post_unread(int(url.rsplit(":", 1)[1]), view, mib * 1024 * 1024)
                after = httpx.get(url + "/peak").json()["kib"]
                rows.append((server, view, status, before, after))
            finally:
                proc.terminate()
                proc.wait(10)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mib", type=int, default=100, help="upload size in MiB")
    parser.add_argument("--src", help="import Tocsin from this folder instead")
    parser.add_argument("--server", choices=sorted(SERVERS), action="append")
    args = parser.parse_args()
    print(f"{'server':<10}{'view':<10}{'status':>7}{'peak before':>13}{'after':>10}{'growth':>10}")
    for server in args.server or sorted(SERVERS, reverse=True):
        for name, view, status, before, after in measure(server, args.mib, args.src):
            growth = (after - before) / 1024
            print(
                f"{name:<10}{view:<10}{status:>7}{before / 1024:>10.1f} MiB"
                f"{after / 1024:>6.1f} MiB{growth:>6.1f} MiB"
            )


if __name__ == "__main__":
    main()
