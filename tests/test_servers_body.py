"""Request bodies and teardown faults under real servers on loopback.

uvicorn and hypercorn (ASGI), gunicorn (WSGI).

The app is tests/apps/body_app.py. Memory is the worker's peak resident
size (``VmHWM``), read by the app itself before and after one upload.
"""

from __future__ import annotations

import collections.abc as cabc
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

APPS = Path(__file__).parent / "apps"
BIN = Path(sys.executable).parent
MiB = 1024 * 1024

SERVERS = {
    "uvicorn": lambda port: [
        str(BIN / "uvicorn"), "--port", str(port), "--log-level", "critical", "body_app:app.asgi",
    ],
    "hypercorn": lambda port: [
        str(BIN / "hypercorn"), "--bind", f"127.0.0.1:{port}", "body_app:app.asgi",
    ],
    "gunicorn": lambda port: [
        str(BIN / "gunicorn"), "-w", "1", "-k", "gthread", "--threads", "4",
        "-b", f"127.0.0.1:{port}", "body_app:app",
    ],
}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(server: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    proc = subprocess.Popen(
        SERVERS[server](port),
        cwd=APPS,
        env={**os.environ, "PYTHONPATH": str(APPS)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{server} exited with {proc.returncode}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/peak", timeout=0.5)
            return proc, port
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"{server} did not start")


@pytest.fixture(params=sorted(SERVERS))
def server(request: pytest.FixtureRequest) -> cabc.Iterator[tuple[str, int]]:
    proc, port = _start(request.param)
    try:
        yield request.param, port
    finally:
        proc.terminate()
        proc.wait(10)


def _exchange(port: int, head: bytes, body_size: int = 0, timeout: float = 10) -> bytes:
    """Send *head* then *body_size* bytes from a thread; what the server answered.

    The server may answer without reading the body and close mid-send.
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)

    def send() -> None:
        try:
            sock.sendall(head)
            piece = b"x" * MiB
            left = body_size
            while left > 0:
                sock.sendall(piece[: min(left, MiB)])
                left -= MiB
        except OSError:
            pass

    sender = threading.Thread(target=send)
    sender.start()
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            if data.startswith(b"HTTP/1.1 100 ") and b"\r\n\r\n" in data:
                data = data.partition(b"\r\n\r\n")[2]  # gunicorn says 100 Continue itself
    finally:
        sock.close()
        sender.join(timeout)
    return data


def _post(path: str, length: int, *extra: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: x", f"Content-Length: {length}", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize("path", ["/ignore", "/aignore"])
def test_an_upload_nobody_reads_costs_the_worker_no_memory(
    server: tuple[str, int], path: str
) -> None:
    name, port = server
    base = f"http://127.0.0.1:{port}"
    before = httpx.get(f"{base}/peak").json()["kib"]
    answer = _exchange(port, _post(path, 48 * MiB), 48 * MiB, timeout=60)
    after = httpx.get(f"{base}/peak").json()["kib"]
    assert answer.startswith(b"HTTP/1.1 200"), (name, answer[:80])
    assert after - before < 8 * 1024, (name, before, after)


@pytest.mark.parametrize("path", ["/size", "/asize"])
@pytest.mark.parametrize("expect", [False, True])
def test_a_declared_length_over_the_limit_is_answered_at_once(
    server: tuple[str, int], path: str, expect: bool
) -> None:
    """413 from the header alone: the client sends no body (and, with 100-continue, waits)."""
    _, port = server
    extra = ["Expect: 100-continue"] if expect else []
    started = time.monotonic()
    answer = _exchange(port, _post(path, 100 * MiB, *extra), 0, timeout=5)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
    assert time.monotonic() - started < 4


def test_a_body_within_the_limit_is_read(server: tuple[str, int]) -> None:
    _, port = server
    for path in ("/size", "/asize"):
        answer = _exchange(port, _post(path, 300_000), 300_000)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:80]
        rv = httpx.post(f"http://127.0.0.1:{port}{path}", content=b"y" * 700_000)
        assert (rv.status_code, rv.text) == (200, "700000")


@pytest.fixture(scope="module")
def uvicorn_port() -> cabc.Iterator[int]:
    proc, port = _start("uvicorn")
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("fault", ["cancel", "interrupt", "exit"])
@pytest.mark.parametrize("view", ["fault", "afault"])
def test_a_base_exception_in_teardown_under_uvicorn(
    uvicorn_port: int, view: str, fault: str
) -> None:
    """The rest of teardown runs; uvicorn gets the exception (its 500) and keeps serving."""
    base = f"http://127.0.0.1:{uvicorn_port}"
    for _ in range(2):
        rv = httpx.get(f"{base}/{view}/x/{fault}")
        assert rv.status_code == 500  # uvicorn's own answer to an app that raised
        done = httpx.get(f"{base}/ran").json()
        assert done == ["teardown_request 2", "teardown_request 1", "appcontext"]
    assert httpx.get(f"{base}/{view}/x/none").text == "answered"
    assert httpx.get(f"{base}/ran").json() == [
        "teardown_request 2",
        "teardown_request 1",
        "appcontext",
    ]


def _chunked_echo(port: int, path: str, parts: list[bytes]) -> tuple[bytes, bytes]:
    """POST *parts* as a chunked body while reading the (chunked) answer; its head and body.

    A raw socket, full duplex: the answer streams while the body is sent.
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)

    def send() -> None:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        for part in parts:
            sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        sock.sendall(b"0\r\n\r\n")

    sender = threading.Thread(target=send)
    sender.start()
    data = b""
    try:
        while not data.endswith(b"\r\n0\r\n\r\n"):
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            data += chunk
    finally:
        sender.join(10)
        sock.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    body = b""
    while rest:
        size, _, rest = rest.partition(b"\r\n")
        n = int(size, 16)
        if n == 0:
            break
        body, rest = body + rest[:n], rest[n + 2 :]
    return head, body


@pytest.mark.parametrize("path", ["/echo-stream", "/aecho-stream"])
def test_a_streamed_response_reads_the_body_as_it_streams(
    server: tuple[str, int], path: str
) -> None:
    """A sync view's stream reads request.stream; an async streaming view's, body_chunks()."""
    _, port = server
    body = bytes(range(256)) * 8192  # 2 MiB
    head, echoed = _chunked_echo(port, path, [body[:700_000], body[700_000:]])
    assert head.startswith(b"HTTP/1.1 200"), head
    assert (len(echoed), echoed == body) == (len(body), True)
