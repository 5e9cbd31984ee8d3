"""The sign-in app (signin_app.py) under real servers on loopback, with real HTTP and cookies.

``tocsin run`` (Werkzeug's server) and gunicorn serve it through the WSGI
driver, uvicorn and hypercorn through the ASGI one (``signin_app:app``: the
app object is an ASGI application too). On the real Flask (TOCSIN_AS_FLASK=0)
the same app runs under ``flask run``, gunicorn, and uvicorn and hypercorn in
their WSGI modes.
"""

from __future__ import annotations

import collections.abc as cabc
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import tocsin.as_flask

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
ON_TOCSIN = tocsin.as_flask.installed()


def command(server: str, port: int) -> list[str]:
    """The command line that serves signin_app on ``port``."""
    bind = f"127.0.0.1:{port}"
    if server == "run":
        cli = "tocsin" if ON_TOCSIN else "flask"
        return [str(BIN / cli), "--app", "signin_app", "run", "--port", str(port)]
    if server == "gunicorn":
        return [str(BIN / "gunicorn"), "-w", "2", "-b", bind, "signin_app:app"]
    if server == "uvicorn":  # a Tocsin app is detected as ASGI 3; Flask's must be named WSGI
        interface = [] if ON_TOCSIN else ["--interface", "wsgi"]
        options = ["--port", str(port), "--log-level", "warning", *interface]
        return [str(BIN / "uvicorn"), *options, "signin_app:app"]
    return [str(BIN / "hypercorn"), "--bind", bind, "signin_app:app"]  # ASGI or WSGI, detected


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after 20 s")


@pytest.fixture(scope="module")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the tables and the user ada, made once and copied for each server."""
    from signin_app import create_app, init_db

    path = tmp_path_factory.mktemp("signin") / "template.sqlite3"
    init_db(create_app(f"sqlite:///{path}"))
    return path


@pytest.fixture(params=["run", "gunicorn", "uvicorn", "hypercorn"])
def served(
    request: pytest.FixtureRequest, template_database: Path, tmp_path: Path
) -> cabc.Iterator[tuple[str, Path]]:
    """Start a server on a free port; yield its base URL and its database file."""
    database = tmp_path / "signin.sqlite3"
    shutil.copy(template_database, database)
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(HERE),
        "SIGNIN_DATABASE_URI": f"sqlite:///{database}",
    }
    process = subprocess.Popen(
        command(str(request.param), port),
        cwd=HERE,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}", database
    finally:
        process.terminate()
        process.wait(10)


def test_the_sign_in_flow(served: tuple[str, Path]) -> None:
    base_url, database = served
    with httpx.Client(base_url=base_url, timeout=10) as client:
        response = client.get("/private")
        assert (response.status_code, response.headers["Location"]) == (
            302,
            "/login?next=%2Fprivate",
        )
        assert "Please log in to access this page." in client.get("/login").text
        wrong = client.post("/login", data={"name": "ada", "password": "babbage"})
        assert (wrong.status_code, "Wrong name or password." in wrong.text) == (200, True)
        response = client.post("/login?next=/notes", data={"name": "ada", "password": "lovelace"})
        assert (response.status_code, response.headers["Location"]) == (302, "/notes")
        assert client.cookies["session"]
        assert client.get("/private").text == "Hello ada"
        saved = client.post("/notes", data={"text": "first note"})
        assert (saved.status_code, saved.json()) == (201, {"saved": "first note"})
        client.post("/notes", data={"text": "second note"})
        assert client.get("/notes").json() == {"notes": ["first note", "second note"]}
        response = client.get("/logout")
        assert (response.status_code, response.headers["Location"]) == (302, "/login")
        assert client.get("/private").status_code == 302
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT id, user_id, text FROM note ORDER BY id").fetchall()
    assert rows == [(1, 1, "first note"), (2, 1, "second note")]
