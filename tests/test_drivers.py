"""What the drivers do after the pipeline: closing bodies once, and their safety nets.

An error after the pipeline returned its response (a response object that
fails to give its headers, a ``start_response`` that raises) still gets
teardown, exactly once, with both contexts popped; then it propagates.
"""

from __future__ import annotations

import asyncio
import collections.abc as cabc
import io
import threading
import typing as t

import pytest

from asgi_scope import wsgi_environ
from tocsin import Tocsin, has_app_context, has_request_context
from tocsin.testing import TestClient
from tocsin.wrappers import Response

Message = dict[str, t.Any]


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

    environ = wsgi_environ()
    body = app(environ, lambda status, headers, exc_info=None: None)
    assert next(iter(body)) == b"a"
    t.cast(t.Any, body).close()  # the client went away after the first chunk
    t.cast(t.Any, body).close()
    assert closed == ["on_close"]


# -- safety nets ---------------------------------------------------------------------------------


class _BrokenResponse(Response):
    """A response whose headers cannot be prepared (Werkzeug's path in both drivers)."""

    def get_wsgi_headers(self, environ: t.Any) -> t.Any:
        raise RuntimeError("broken response")


def _record_teardown(app: Tocsin) -> list[str]:
    calls: list[str] = []

    @app.teardown_request
    def teardown_request(exc: BaseException | None) -> None:
        calls.append(f"request:{type(exc).__name__}")

    @app.teardown_appcontext
    def teardown_appcontext(exc: BaseException | None) -> None:
        calls.append(f"app:{type(exc).__name__}")

    return calls


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("body", ["on_close", "streamed"])
def test_response_that_fails_to_send_is_torn_down_once(
    app: Tocsin, client: TestClient, kind: str, body: str
) -> None:
    app.response_class = _BrokenResponse
    calls = _record_teardown(app)

    def view() -> Response:
        if body == "streamed":
            return app.response_class(iter([b"a"]))
        response = app.response_class(b"complete")
        response.call_on_close(lambda: calls.append("on_close"))
        return response

    async def async_view() -> Response:
        return view()

    app.add_url_rule("/", "index", view if kind == "sync" else async_view)
    with pytest.raises(RuntimeError, match="broken response"):
        client.get("/")
    assert calls[-2:] == ["request:RuntimeError", "app:RuntimeError"]
    assert calls.count("request:RuntimeError") == 1
    assert not has_request_context()
    assert not has_app_context()


def test_start_response_that_raises_gets_teardown_once(app: Tocsin) -> None:
    calls = _record_teardown(app)

    @app.route("/")
    def index() -> str:
        return "hello"

    @app.route("/stream")
    def stream() -> Response:
        return app.response_class(iter([b"a"]))

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Any:
        raise OSError("the server cannot send")

    for path in ("/", "/stream"):
        calls.clear()
        with pytest.raises(OSError, match="the server cannot send"):
            app(wsgi_environ(path), start_response)
        assert calls == ["request:OSError", "app:OSError"]
        assert not has_request_context()
        assert not has_app_context()


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_failing_teardown_runs_once(app: Tocsin, client: TestClient, kind: str) -> None:
    calls: list[str] = []

    @app.teardown_request
    def teardown_request(exc: BaseException | None) -> None:
        calls.append("teardown")
        raise ValueError("teardown failed")

    def view() -> str:
        return "hello"

    async def async_view() -> str:
        return view()

    app.add_url_rule("/", "index", view if kind == "sync" else async_view)
    with pytest.raises(ValueError, match="teardown failed"):
        client.get("/")
    assert calls == ["teardown"]
    assert not has_request_context()
    assert not has_app_context()


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_asgi_send_that_raises_during_a_stream_gets_teardown_once(app: Tocsin, kind: str) -> None:
    calls = _record_teardown(app)

    def view() -> Response:
        return app.response_class(iter([b"a", b"b"]))

    async def async_view() -> Response:
        return view()

    app.add_url_rule("/", "index", view if kind == "sync" else async_view)

    async def run() -> None:
        async def receive() -> Message:
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

        async def send(message: Message) -> None:
            if message.get("body"):
                raise OSError("the server cannot send")

        await app.asgi(_asgi_scope(), receive, send)

    with pytest.raises(OSError, match="the server cannot send"):
        asyncio.run(run())
    assert calls == ["request:OSError", "app:OSError"]


def _asgi_scope() -> dict[str, t.Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "server": ("localhost", 80),
        "client": ("127.0.0.1", 1),
    }


def test_asgi_request_cancelled_while_its_sync_view_runs(app: Tocsin) -> None:
    """The server gives up on the request: the stream the view returns is closed, then torn down."""
    calls = _record_teardown(app)
    started, cancelled = threading.Event(), threading.Event()

    def view() -> Response:
        started.set()
        assert cancelled.wait(timeout=10)  # the request is cancelled meanwhile

        response = app.response_class(iter([b"never sent"]))
        response.call_on_close(lambda: calls.append("closed"))
        return response

    app.add_url_rule("/", "index", view)
    sent: list[Message] = []

    async def run() -> None:
        async def receive() -> Message:
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

        async def send(message: Message) -> None:
            sent.append(message)

        task = asyncio.ensure_future(app.asgi(_asgi_scope(), receive, send))
        await asyncio.to_thread(started.wait)
        task.cancel()
        await asyncio.sleep(0)  # the cancellation reaches the request's task
        cancelled.set()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run())
    assert sent == []
    assert calls == ["closed", "request:StreamAborted", "app:StreamAborted"]  # a stream cut short
    assert not has_request_context() and not has_app_context()
