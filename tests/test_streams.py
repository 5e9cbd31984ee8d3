"""Streamed responses the same under both drivers: async bodies.

``Response(async_generator)`` streams under WSGI as under ASGI.
"""

from __future__ import annotations

import asyncio
import collections.abc as cabc
import time
import typing as t

import pytest

from tocsin import (
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
