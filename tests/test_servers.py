"""The app under real servers on loopback, each given the app object itself.

gunicorn and ``granian --interface wsgi`` serve WSGI; uvicorn and hypercorn
detect ASGI; ``granian --interface asgi`` is told; ``uvicorn --factory``
and ``app.asgi`` are served too.
"""

from __future__ import annotations

import collections.abc as cabc
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


@pytest.fixture(params=sorted(SERVERS))
def server(request: pytest.FixtureRequest) -> cabc.Iterator[tuple[str, str]]:
    """Start a server with tests/apps/server_app.py; yield (driver, base URL)."""
    port = _free_port()
    command, driver = SERVERS[request.param]
    env = {**os.environ, "PYTHONPATH": str(APPS)}
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            command(port), cwd=APPS, env=env, stdout=subprocess.DEVNULL, stderr=log
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url, proc)
            yield driver, url
        finally:
            proc.terminate()
            proc.wait(10)
            log.seek(0)
            output = log.read().decode(errors="replace")
        # What the server logged at warning level or above: nothing, unless a request failed.
        assert "Traceback" not in output, output


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
