"""What the drivers do after the pipeline: closing bodies once."""

from __future__ import annotations

import collections.abc as cabc
import io
import sys
import typing as t

import pytest

from tocsin import Tocsin
from tocsin.testing import TestClient
from tocsin.wrappers import Response

# -- call_on_close -------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["generator", "list", "passthrough", "file"])
def test_call_on_close_functions_run_once(app: Tocsin, client: TestClient, body: str) -> None:
    closed: list[str] = []

    @app.route("/")
    def index() -> Response:
        def generate() -> cabc.Iterator[bytes]:
            try:
                yield b"a"
                yield b"b"
            finally:
                closed.append("body closed")

        class File(io.BytesIO):
            def close(self) -> None:
                if not self.closed:
                    closed.append("body closed")
                super().close()

        content: t.Any = {
            "generator": generate,
            "list": lambda: [b"a", b"b"],
            "passthrough": generate,
            "file": lambda: File(b"ab"),
        }[body]()
        response = app.response_class(content, direct_passthrough=body == "passthrough")
        response.call_on_close(lambda: closed.append("on_close"))
        return response

    rv = client.get("/")
    assert rv.data == b"ab"
    rv.close()
    assert closed == (["on_close"] if body == "list" else ["body closed", "on_close"])


def test_call_on_close_runs_once_when_the_server_closes_early(app: Tocsin) -> None:
    closed: list[str] = []

    @app.route("/")
    def index() -> Response:
        response = app.response_class(iter([b"a", b"b"]))
        response.call_on_close(lambda: closed.append("on_close"))
        return response

    environ = _environ()
    body = app(environ, lambda status, headers, exc_info=None: None)
    assert next(iter(body)) == b"a"
    t.cast(t.Any, body).close()  # the client went away after the first chunk
    t.cast(t.Any, body).close()
    assert closed == ["on_close"]


def _environ(path: str = "/") -> dict[str, t.Any]:
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
