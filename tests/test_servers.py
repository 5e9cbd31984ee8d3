"""The app under real servers on loopback, each given the app object itself.

gunicorn and ``granian --interface wsgi`` serve WSGI; uvicorn and hypercorn
detect ASGI; ``granian --interface asgi`` is told; ``uvicorn --factory``
and ``app.asgi`` are served too.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
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


def _gunicorn(port: int) -> list[str]:
    return [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "server_app:app"]


def _uvicorn(target: str, *options: str) -> cabc.Callable[[int], list[str]]:
    def command(port: int) -> list[str]:
        log_level = ["--log-level", "warning"]
        return [str(BIN / "uvicorn"), *options, "--port", str(port), *log_level, target]

    return command


def _hypercorn(port: int) -> list[str]:
    return [str(BIN / "hypercorn"), "--bind", f"127.0.0.1:{port}", "server_app:app"]


def _granian(interface: str) -> cabc.Callable[[int], list[str]]:
    def command(port: int) -> list[str]:
        return [
            str(BIN / "granian"),
            "--interface",
            interface,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "server_app:app",
        ]

    return command


#: Each server's command line (the app object itself, unless said), and the driver it uses.
SERVERS: dict[str, tuple[cabc.Callable[[int], list[str]], str]] = {
    "gunicorn": (_gunicorn, "wsgi"),
    "uvicorn": (_uvicorn("server_app:app"), "asgi"),  # interface detected: ASGI 3
    "uvicorn --factory": (_uvicorn("server_factory:create_app", "--factory"), "asgi"),
    "uvicorn app.asgi": (_uvicorn("server_app:app.asgi"), "asgi"),
    "hypercorn": (_hypercorn, "asgi"),  # detected: ASGI
    "granian asgi": (_granian("asgi"), "asgi"),
    "granian wsgi": (_granian("wsgi"), "wsgi"),
}


@contextlib.contextmanager
def _serving(
    name: str, env: dict[str, str] | None = None, *, clean_log: bool = False
) -> cabc.Iterator[str]:
    """Run server *name* with tests/apps/server_app.py on loopback; yield its base URL.

    With *clean_log*, what the server logged must hold no traceback.
    """
    port = _free_port()
    command, _ = SERVERS[name]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            command(port),
            cwd=APPS,
            env={**os.environ, "PYTHONPATH": str(APPS), **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url, proc)
            yield url
        finally:
            proc.terminate()
            proc.wait(10)
            log.seek(0)
            output = log.read().decode(errors="replace")
        if clean_log:  # warnings and worse only: nothing, unless a request failed
            assert "Traceback" not in output, output


@pytest.fixture(params=sorted(SERVERS))
def server(request: pytest.FixtureRequest) -> cabc.Iterator[tuple[str, str]]:
    """Start a server with tests/apps/server_app.py; yield (driver, base URL)."""
    with _serving(request.param, clean_log=True) as url:
        yield SERVERS[request.param][1], url


def test_real_requests(server: tuple[str, str]) -> None:
    driver, base_url = server
    with httpx.Client(base_url=base_url) as client:
        index = client.get("/")  # a sync view
        assert (index.status_code, index.text) == (200, f"hello from {driver}")
        async_view = client.get("/async/7")
        assert (async_view.status_code, async_view.json()) == (200, {"n": 7, "driver": driver})
        # The ASGI lifespan protocol reached the app (through the app object's __call__).
        expected = ["lifespan startup"] if driver == "asgi" else []
        assert client.get("/served").json() == expected
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
