"""The app under real servers on loopback: gunicorn (WSGI), uvicorn and hypercorn (ASGI)."""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

APPS = Path(__file__).parent / "apps"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start")


SERVERS = {
    "gunicorn": lambda port: [
        str(BIN / "gunicorn"),
        "-w",
        "2",
        "-b",
        f"127.0.0.1:{port}",
        "server_app:app",
    ],
    "uvicorn": lambda port: [
        str(BIN / "uvicorn"),
        "--port",
        str(port),
        "--log-level",
        "warning",
        "server_app:app.asgi",
    ],
    "hypercorn": lambda port: [
        str(BIN / "hypercorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "server_app:app.asgi",
    ],
}


DRIVER = {"gunicorn": "wsgi", "uvicorn": "asgi", "hypercorn": "asgi"}


@contextlib.contextmanager
def _serving(name: str, env: dict[str, str] | None = None) -> cabc.Iterator[str]:
    """Run server *name* with tests/apps/server_app.py on loopback; yield its base URL."""
    port = _free_port()
    proc = subprocess.Popen(
        SERVERS[name](port),
        cwd=APPS,
        env={**os.environ, "PYTHONPATH": str(APPS), **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(params=sorted(SERVERS))
def server(request: pytest.FixtureRequest) -> cabc.Iterator[tuple[str, str]]:
    """Start a server with tests/apps/server_app.py; yield (driver, base URL)."""
    with _serving(request.param) as url:
        yield DRIVER[request.param], url


def test_real_requests(server: tuple[str, str]) -> None:
    driver, base_url = server
    with httpx.Client(base_url=base_url) as client:
        assert client.get("/").text == f"hello from {driver}"
        assert client.get("/async/7").json() == {"n": 7, "driver": driver}
        echoed = client.post("/echo?x=1", json={"a": [1, 2]})
        assert echoed.json() == {"json": {"a": [1, 2]}, "args": {"x": "1"}}
        assert [client.get("/count").text for _ in range(3)] == ["1", "2", "3"]
        assert client.get("/stream").text == "0:/stream;1:/stream;2:/stream;"
        missing = client.get("/missing")
        assert missing.status_code == 404
        bad = client.post(
            "/echo", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert bad.status_code == 400


def _address(url: str) -> tuple[str, int]:
    host, _, port = url.removeprefix("http://").partition(":")
    return host, int(port)


def _exchange(url: str, request: bytes) -> bytes:
    """Send raw *request* bytes; return all the server answers until it closes."""
    with socket.create_connection(_address(url), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def _read_log(log: Path, path: str, lines: int) -> list[str]:
    """The teardown records of *path* (``where exc-type``), once there are *lines* of them."""
    deadline = time.monotonic() + 15
    while True:
        text = log.read_text() if log.exists() else ""
        got = [line.split(" ", 1)[1] for line in text.splitlines() if line.split(" ")[0] == path]
        if len(got) >= lines or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def _torn_down(exc_name: str) -> list[str]:
    return [
        f"teardown_request {exc_name}",
        f"request_tearing_down {exc_name}",
        f"teardown_appcontext {exc_name}",
        f"appcontext_tearing_down {exc_name}",
    ]


def test_malformed_chunk_size_is_400_under_gunicorn(tmp_path: Path) -> None:
    """gunicorn raises InvalidChunkSize from wsgi.input.read(): a 400, torn down, not a 500."""
    log = tmp_path / "teardown.log"
    with _serving("gunicorn", {"TOCSIN_TEARDOWN_LOG": str(log)}) as url:
        answer = _exchange(
            url,
            b"POST /read-data HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/octet-stream\r\nConnection: close\r\n\r\nzz\r\n",
        )
        assert answer.startswith(b"HTTP/1.1 400 BAD REQUEST\r\n"), answer[:200]
        assert b"The request body could not be read." in answer
        assert _read_log(log, "/read-data", 4) == _torn_down("NoneType")  # a handled 400
        good = _exchange(
            url,
            b"POST /read-data HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        )
        assert good.startswith(b"HTTP/1.1 200 OK\r\n")
        assert good.endswith(b"\r\n\r\n3")


def test_response_of_an_async_generator_under_gunicorn() -> None:
    """Response(async generator) under a real WSGI server, as under ASGI."""
    with _serving("gunicorn") as url:
        rv = httpx.get(f"{url}/agen")
    assert rv.status_code == 200
    assert rv.headers["content-type"] == "text/plain; charset=utf-8"
    assert rv.text == "0:/agen;1:/agen;2:/agen;"


@pytest.mark.parametrize("name", ["uvicorn", "hypercorn"])
def test_response_of_an_async_generator_under_asgi_servers(name: str) -> None:
    with _serving(name) as url:
        rv = httpx.get(f"{url}/agen")
    assert rv.status_code == 200
    assert rv.headers["content-type"] == "text/plain; charset=utf-8"
    assert rv.text == "0:/agen;1:/agen;2:/agen;"


def _read_first_chunk_then_leave(url: str, path: str) -> bytes:
    """GET *path*, read the headers and the first chunk of the body, then close the socket."""
    with socket.create_connection(_address(url), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        answer = b""
        while b"chunk 0;" not in answer:
            chunk = sock.recv(65536)
            assert chunk, answer
            answer += chunk
    return answer


@pytest.mark.parametrize("name", ["gunicorn", "uvicorn", "hypercorn"])
def test_aborted_stream_gives_teardown_stream_aborted_on_real_servers(
    tmp_path: Path, name: str
) -> None:
    """A client that leaves in the middle of a slow stream: teardown gets StreamAborted."""
    log = tmp_path / "teardown.log"
    with _serving(name, {"TOCSIN_TEARDOWN_LOG": str(log)}) as url:
        for path in ("/teardown/slow-sync", "/teardown/slow-async"):
            answer = _read_first_chunk_then_leave(url, path)
            assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
            assert _read_log(log, path, 4) == _torn_down("StreamAborted"), path
        assert _exchange(
            url, b"GET /teardown/short HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        ).startswith(b"HTTP/1.1 200 ")
        assert _read_log(log, "/teardown/short", 4) == _torn_down("NoneType")
