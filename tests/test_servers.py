"""The app under real servers on loopback: gunicorn (WSGI), uvicorn and hypercorn (ASGI)."""

from __future__ import annotations

import collections.abc as cabc
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


@pytest.fixture(params=sorted(SERVERS))
def server(request: pytest.FixtureRequest) -> cabc.Iterator[tuple[str, str]]:
    """Start a server with tests/apps/server_app.py; yield (driver, base URL)."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(APPS)}
    proc = subprocess.Popen(
        SERVERS[request.param](port),
        cwd=APPS,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc)
        yield DRIVER[request.param], url
    finally:
        proc.terminate()
        proc.wait(10)


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
