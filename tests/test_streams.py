"""Streamed responses the same under both drivers: async bodies, and streams cut short.

``Response(async_generator)`` streams under WSGI as under ASGI; a stream the
client abandons gives teardown :class:`~tocsin.StreamAborted` under both
(a finished one gives ``None``).
"""

from __future__ import annotations

import asyncio
import collections.abc as cabc
import itertools
import time
import typing as t

import pytest

from asgi_scope import http_scope, wsgi_environ
from tocsin import (
    StreamAborted,
    Tocsin,
    appcontext_tearing_down,
    has_app_context,
    has_request_context,
    request,
    request_tearing_down,
    stream_with_context,
)
from tocsin.testing import TestClient
from tocsin.wrappers import Response

Message = dict[str, t.Any]


@pytest.fixture(autouse=True)
def _no_leaked_context() -> t.Iterator[None]:
    yield
    assert not has_request_context()
    assert not has_app_context()


def _async_chunks(events: list[str], n: int, pause: float = 0.0) -> cabc.AsyncIterator[str]:
    async def generate() -> cabc.AsyncIterator[str]:
        try:
            for i in range(n):
                events.append(f"chunk {i}")
                yield f"{i}:{request.path};"  # the request context is current
                await asyncio.sleep(pause)
        finally:
            events.append("generator closed")

    return generate()


def _sync_chunks(events: list[str], n: int, pause: float = 0.0) -> cabc.Iterator[str]:
    def generate() -> cabc.Iterator[str]:
        try:
            for i in range(n):
                events.append(f"chunk {i}")
                yield f"{i}:{request.path};"
                time.sleep(pause)
        finally:
            events.append("generator closed")

    return generate()


def _record_teardown(app: Tocsin, events: list[str]) -> list[BaseException | None]:
    """Record the ``exc`` each of the four teardown callers gets; return the exceptions."""
    excs: list[BaseException | None] = []

    def note(where: str, exc: BaseException | None) -> None:
        events.append(f"{where}:{type(exc).__name__}")
        excs.append(exc)

    app.teardown_request(lambda exc: note("teardown_request", exc))
    app.teardown_appcontext(lambda exc: note("teardown_appcontext", exc))

    def on_request(sender: Tocsin, /, exc: BaseException | None = None, **kw: t.Any) -> None:
        note("request_tearing_down", exc)

    def on_app(sender: Tocsin, /, exc: BaseException | None = None, **kw: t.Any) -> None:
        note("appcontext_tearing_down", exc)

    request_tearing_down.connect(on_request, app, weak=False)
    appcontext_tearing_down.connect(on_app, app, weak=False)
    return excs


@pytest.fixture(autouse=True)
def _disconnect_receivers() -> t.Iterator[None]:
    yield
    for signal in (request_tearing_down, appcontext_tearing_down):
        for receiver in list(signal.receivers.values()):
            signal.disconnect(receiver)


def _torn_down(exc_name: str) -> list[str]:
    """What the four teardown callers record, in the order they run (steps 16 to 19)."""
    return [
        f"teardown_request:{exc_name}",
        f"request_tearing_down:{exc_name}",
        f"teardown_appcontext:{exc_name}",
        f"appcontext_tearing_down:{exc_name}",
    ]


# -- Response(async generator) -----------------------------------------------------------------

#: Ways a view returns an async body, each with the Content-Type it gets.
_ASYNC_SHAPES: dict[str, tuple[t.Callable[[cabc.AsyncIterator[str]], t.Any], str]] = {
    "bare": (lambda body: body, "text/html; charset=utf-8"),
    "Response": (lambda body: Response(body), "text/html; charset=utf-8"),
    "Response-mimetype": (
        lambda body: Response(body, mimetype="text/plain"),
        "text/plain; charset=utf-8",
    ),
    "Response-status-headers": (
        lambda body: Response(body, 201, {"X-Stream": "yes"}, content_type="text/csv"),
        "text/csv",
    ),
    "stream_with_context": (
        lambda body: Response(stream_with_context(body), mimetype="text/plain"),
        "text/plain; charset=utf-8",
    ),
    "bare-stream_with_context": (
        lambda body: stream_with_context(body),
        "text/html; charset=utf-8",
    ),
}


@pytest.mark.parametrize("view_kind", ["sync", "async"])
@pytest.mark.parametrize("shape", sorted(_ASYNC_SHAPES))
def test_async_body_streams_under_both_drivers(
    app: Tocsin, client: TestClient, shape: str, view_kind: str
) -> None:
    events: list[str] = []
    _record_teardown(app, events)
    wrap, content_type = _ASYNC_SHAPES[shape]

    def view() -> t.Any:
        return wrap(_async_chunks(events, 3))

    async def async_view() -> t.Any:
        return wrap(_async_chunks(events, 3))

    app.add_url_rule("/s", "s", view if view_kind == "sync" else async_view)
    rv = client.get("/s")
    assert rv.data == b"0:/s;1:/s;2:/s;"
    expected_status = 201 if shape == "Response-status-headers" else 200
    assert rv.status_code == expected_status
    expected_headers = [("Content-Type", content_type)]
    if shape == "Response-status-headers":
        expected_headers.insert(0, ("X-Stream", "yes"))
    assert list(rv.headers.items()) == expected_headers
    assert events == [
        "chunk 0",
        "chunk 1",
        "chunk 2",
        "generator closed",
        *_torn_down("NoneType"),  # after the last chunk
    ]


def test_async_body_of_a_head_request_is_closed_unsent(app: Tocsin, client: TestClient) -> None:
    events: list[str] = []
    _record_teardown(app, events)
    app.add_url_rule("/s", "s", lambda: Response(_async_chunks(events, 3), mimetype="text/plain"))
    rv = client.head("/s")
    assert rv.status_code == 200
    assert rv.data == b""
    assert events == _torn_down("NoneType")  # never started: nothing to close inside it


def test_async_body_that_fails_gives_teardown_its_error(app: Tocsin, driver: str) -> None:
    events: list[str] = []
    _record_teardown(app, events)

    async def failing() -> cabc.AsyncIterator[bytes]:
        yield b"first"
        raise LookupError("broken body")

    app.add_url_rule("/s", "s", lambda: Response(failing()))
    with pytest.raises(LookupError, match="broken body"):
        app.test_client(driver=driver).get("/s").get_data()
    assert events == _torn_down("LookupError")


def test_stream_with_context_needs_a_request_context(app: Tocsin) -> None:
    with pytest.raises(RuntimeError, match="request context is active"):
        stream_with_context(_async_chunks([], 1))


def test_stream_with_context_decorates_an_async_generator_function(
    app: Tocsin, client: TestClient
) -> None:
    events: list[str] = []

    @app.route("/s")
    def view() -> Response:
        @stream_with_context
        async def generate() -> cabc.AsyncIterator[str]:
            try:
                yield "a"
                yield request.path
            finally:
                events.append("closed")

        return Response(generate())

    assert client.get("/s").data == b"a/s"
    assert events == ["closed"]


# -- a stream cut short: StreamAborted under both drivers --------------------------------------


def _wsgi_abort(app: Tocsin, path: str, chunks: int) -> list[bytes]:
    """A WSGI server whose client goes away after *chunks* chunks: it closes the body."""
    body = app(wsgi_environ(path), lambda status, headers, exc_info=None: None)
    got = list(itertools.islice(body, chunks))
    t.cast(t.Any, body).close()
    return got


def _asgi_abort(app: Tocsin, path: str, chunks: int) -> list[bytes]:
    """An ASGI server whose client disconnects once *chunks* chunks were sent."""

    async def run() -> list[bytes]:
        got: list[bytes] = []
        started = False
        enough = asyncio.Event()

        async def receive() -> Message:
            nonlocal started
            if not started:
                started = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await enough.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                got.append(message["body"])
                if len(got) == chunks:
                    enough.set()

        await app.asgi(http_scope(path), receive, send)  # nothing raised to the server
        return got

    return asyncio.run(asyncio.wait_for(run(), 10))


_ABORT = {"wsgi": _wsgi_abort, "asgi": _asgi_abort}

#: Streamed bodies: a view's sync or async generator, and Response(async generator).
_STREAMS: dict[str, t.Callable[[list[str], int, float], t.Any]] = {
    "sync-generator": lambda events, n, pause: _sync_chunks(events, n, pause),
    "async-generator": lambda events, n, pause: _async_chunks(events, n, pause),
    "Response-async": lambda events, n, pause: Response(_async_chunks(events, n, pause)),
    "Response-sync": lambda events, n, pause: Response(_sync_chunks(events, n, pause)),
}


@pytest.mark.parametrize("view_kind", ["sync", "async"])
@pytest.mark.parametrize("stream", sorted(_STREAMS))
def test_aborted_stream_gives_teardown_stream_aborted(
    app: Tocsin, driver: str, stream: str, view_kind: str
) -> None:
    events: list[str] = []
    excs = _record_teardown(app, events)
    make = _STREAMS[stream]

    def view() -> t.Any:
        return make(events, 100, 0.01)

    async def async_view() -> t.Any:
        return make(events, 100, 0.01)

    app.add_url_rule("/s", "s", view if view_kind == "sync" else async_view)
    got = _ABORT[driver](app, "/s", 1)
    assert got == [b"0:/s;"]
    # Under ASGI the next chunk may be on its way when the disconnect arrives.
    made = [e for e in events if e.startswith("chunk ")]
    assert made in (["chunk 0"], ["chunk 0", "chunk 1"])
    assert events[len(made) :] == ["generator closed", *_torn_down("StreamAborted")]
    assert len({id(exc) for exc in excs}) == 1  # one exception, for the four of them
    exc = excs[0]
    assert type(exc) is StreamAborted
    assert isinstance(exc, asyncio.CancelledError)  # code that checks for cancellation works
    if driver == "asgi":
        assert type(exc.__cause__) is asyncio.CancelledError  # the cancelled send
    else:
        assert exc.__cause__ is None


@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_finished_stream_gives_teardown_none(app: Tocsin, driver: str) -> None:
    """A stream read to its end (the client stays) is not aborted, under either driver."""
    events: list[str] = []
    _record_teardown(app, events)
    app.add_url_rule("/s", "s", lambda: Response(_async_chunks(events, 2)))
    got = _ABORT[driver](app, "/s", 3)  # asks for more chunks than there are
    assert got == [b"0:/s;", b"1:/s;"]
    assert events == ["chunk 0", "chunk 1", "generator closed", *_torn_down("NoneType")]


def test_wsgi_body_closed_before_its_first_chunk_is_aborted(app: Tocsin) -> None:
    events: list[str] = []
    _record_teardown(app, events)
    app.add_url_rule("/s", "s", lambda: _sync_chunks(events, 3))
    assert _wsgi_abort(app, "/s", 0) == []
    assert events == _torn_down("StreamAborted")  # the generator never started


def test_wsgi_body_closed_after_its_end_is_not_aborted(app: Tocsin) -> None:
    events: list[str] = []
    _record_teardown(app, events)
    app.add_url_rule("/s", "s", lambda: _sync_chunks(events, 1))
    body = app(wsgi_environ("/s"), lambda status, headers, exc_info=None: None)
    assert list(body) == [b"0:/s;"]
    t.cast(t.Any, body).close()  # the server closes the body after the last chunk, as it must
    assert events == ["chunk 0", "generator closed", *_torn_down("NoneType")]


def test_wsgi_body_that_fails_is_not_aborted(app: Tocsin) -> None:
    """A body that raises gives teardown its error, not StreamAborted, at the later close()."""
    events: list[str] = []
    _record_teardown(app, events)

    def failing() -> cabc.Iterator[bytes]:
        yield b"first"
        raise LookupError("broken body")

    app.add_url_rule("/s", "s", lambda: Response(failing()))
    body = app(wsgi_environ("/s"), lambda status, headers, exc_info=None: None)
    iterator = iter(body)
    assert next(iterator) == b"first"
    with pytest.raises(LookupError):
        next(iterator)
    t.cast(t.Any, body).close()
    assert events == _torn_down("LookupError")


def test_aborted_stream_of_a_500_response_gives_teardown_the_error(
    app: Tocsin, driver: str
) -> None:
    """The stream of an error handler's response, cut short: teardown gets the original error."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    events: list[str] = []
    _record_teardown(app, events)

    def view() -> str:
        raise LookupError("the view failed")

    app.add_url_rule("/s", "s", view)
    app.register_error_handler(500, lambda e: (_async_chunks(events, 100, 0.01), 500))
    assert _ABORT[driver](app, "/s", 1) == [b"0:/s;"]
    assert events[-4:] == _torn_down("LookupError")


def test_should_ignore_error_may_ignore_an_aborted_stream(driver: str) -> None:
    """An app that overrides should_ignore_error decides for StreamAborted too, as for errors."""

    class App(Tocsin):
        def should_ignore_error(self, error: BaseException | None) -> bool:
            return isinstance(error, StreamAborted)

    app = App(__name__)
    events: list[str] = []
    _record_teardown(app, events)
    app.add_url_rule("/s", "s", lambda: _async_chunks(events, 100, 0.01))
    _ABORT[driver](app, "/s", 1)
    assert events[-4:] == _torn_down("NoneType")
