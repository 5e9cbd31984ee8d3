"""One app object, both protocols: ``app(environ, start_response)`` and ``await app(scope, ...)``.

The servers' own interface detection is called here (uvicorn's ``Config``,
hypercorn's ``wrap_app``); tests/test_servers.py serves the app for real.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import typing as t
import weakref

import pytest
import uvicorn
from hypercorn.app_wrappers import ASGIWrapper, WSGIWrapper
from hypercorn.utils import wrap_app
from werkzeug.test import EnvironBuilder, run_wsgi_app

from asgi_scope import http_scope
from tocsin import Tocsin, request
from tocsin.asgi import BYPASSED_WSGI_APP

Message = dict[str, t.Any]


def _scope(path: str, kind: str = "http") -> dict[str, t.Any]:
    if kind != "http":
        return {"type": kind, "asgi": {"version": "3.0"}, "path": path, "headers": []}
    return http_scope(path)


def _asgi(call: t.Any, scope: dict[str, t.Any], incoming: list[Message]) -> list[Message]:
    """Run one ASGI call of *call* with *incoming* as what it receives; what it sent."""
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    async def main() -> None:
        await call(scope, receive, send)

    asyncio.run(main())
    return sent


def _get(call: t.Any, path: str) -> tuple[int, bytes]:
    """GET *path* through an ASGI *call*: the status and the body."""
    sent = _asgi(call, _scope(path), [{"type": "http.request", "body": b"", "more_body": False}])
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    return sent[0]["status"], sent[1]["body"]


def _wsgi(call: t.Any, path: str) -> tuple[str, bytes]:
    """GET *path* through a WSGI *call*: the status line and the body."""
    env = EnvironBuilder(path).get_environ()
    app_iter, status, _headers = run_wsgi_app(call, env, buffered=True)
    return status, b"".join(app_iter)


@pytest.fixture
def app() -> Tocsin:
    app = Tocsin("both")

    @app.route("/sync")
    def sync_view() -> str:
        return f"sync over {'asgi' if 'asgi.scope' in request.environ else 'wsgi'}"

    @app.route("/async")
    async def async_view() -> str:
        await asyncio.sleep(0)
        return f"async over {'asgi' if 'asgi.scope' in request.environ else 'wsgi'}"

    return app


def test_a_wsgi_call_returns_the_response_iterable(app: Tocsin) -> None:
    assert _wsgi(app, "/sync") == ("200 OK", b"sync over wsgi")
    assert _wsgi(app, "/async") == ("200 OK", b"async over wsgi")
    assert _wsgi(app, "/missing")[0] == "404 NOT FOUND"
    # app.__call__ looked up and called (on 3.11 through the object inspect reads) is the same.
    assert _wsgi(app.__call__, "/sync") == ("200 OK", b"sync over wsgi")


def test_an_asgi_call_runs_the_asgi_app(app: Tocsin) -> None:
    assert _get(app, "/sync") == (200, b"sync over asgi")
    assert _get(app, "/async") == (200, b"async over asgi")
    assert _get(app, "/missing")[0] == 404
    assert _get(app.__call__, "/async") == (200, b"async over asgi")
    assert _get(app.asgi, "/sync") == (200, b"sync over asgi")  # app.asgi as before
    coroutine = app(_scope("/sync"), _never, _never)
    assert inspect.iscoroutine(coroutine)
    # The coroutine is app.asgi's, and the app's ASGI app is reused while it lives.
    assert coroutine.cr_frame.f_locals["self"] is app.asgi
    coroutine.close()


async def _never(*args: t.Any) -> t.Any:
    raise AssertionError("not called")


def test_a_lifespan_scope_runs_the_serving_hooks(app: Tocsin) -> None:
    calls: list[str] = []
    app.before_serving(lambda: calls.append("sync startup"))

    @app.before_serving
    async def startup() -> None:
        calls.append("async startup")

    @app.after_serving
    async def shutdown() -> None:
        calls.append("shutdown")

    incoming: list[Message] = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent = _asgi(app, _scope("", "lifespan"), incoming)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert calls == ["sync startup", "async startup", "shutdown"]


def test_a_failing_startup_is_reported_as_app_asgi_reports_it(app: Tocsin) -> None:
    @app.before_serving
    def startup() -> None:
        raise RuntimeError("no database")

    for call in (app, app.asgi):
        sent = _asgi(call, _scope("", "lifespan"), [{"type": "lifespan.startup"}])
        assert sent == [{"type": "lifespan.startup.failed", "message": "RuntimeError: no database"}]


def test_websocket_and_unknown_scopes_are_answered_as_app_asgi_answers_them(app: Tocsin) -> None:
    for call in (app, app.asgi):
        assert _asgi(call, _scope("/ws", "websocket"), []) == [
            {"type": "websocket.close", "code": 1000}
        ]
        with pytest.raises(ValueError, match="cannot handle ASGI scope type 'telepathy'"):
            _asgi(call, _scope("/", "telepathy"), [])


def test_uvicorn_detects_asgi3_and_hypercorn_asgi(app: Tocsin) -> None:
    config = uvicorn.Config(app, interface="auto")
    config.load()
    assert config.interface == "asgi3"
    assert type(wrap_app(app, 2**20, None)) is ASGIWrapper
    assert inspect.iscoroutinefunction(app.__call__)
    assert not inspect.iscoroutinefunction(app)
    # What tools that read the signature see: the function's own parameters.
    empty = inspect.Parameter.empty
    for signature in (inspect.signature(app.__call__), inspect.signature(app)):
        assert [(p.name, p.default) for p in signature.parameters.values()] == [
            ("environ", empty),
            ("start_response", empty),
            ("send", None),
        ]


def test_a_subclass_with_its_own_wsgi_only_call_is_seen_as_wsgi() -> None:
    class WSGIOnly(Tocsin):
        def __call__(self, environ: t.Any, start_response: t.Any) -> t.Any:  # type: ignore[override]
            return self.wsgi_app(environ, start_response)

    app = WSGIOnly("wsgi only")
    app.get("/")(lambda: "wsgi only")
    assert "__call__" not in vars(app)
    assert not inspect.iscoroutinefunction(app.__call__)
    assert type(wrap_app(app, 2**20, None)) is WSGIWrapper
    assert _wsgi(app, "/") == ("200 OK", b"wsgi only")


def test_a_wsgi_only_call_patched_onto_the_class_later_is_seen_as_wsgi(
    app: Tocsin, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As an error-reporting integration patches ``Flask.__call__``, after the app is made."""
    stock = Tocsin.__call__
    calls: list[str] = []

    def patched(self: Tocsin, environ: t.Any, start_response: t.Any) -> t.Any:
        calls.append(environ["PATH_INFO"])
        return stock(self, environ, start_response)

    monkeypatch.setattr(Tocsin, "__call__", patched)
    assert not inspect.iscoroutinefunction(app.__call__)
    assert type(wrap_app(app, 2**20, None)) is WSGIWrapper
    assert _wsgi(app, "/sync") == ("200 OK", b"sync over wsgi")
    assert _wsgi(app.__call__, "/async") == ("200 OK", b"async over wsgi")
    assert calls == ["/sync", "/async"]
    monkeypatch.undo()
    assert type(wrap_app(app, 2**20, None)) is ASGIWrapper


def test_a_subclass_that_keeps_the_call_serves_both(app: Tocsin) -> None:
    class Sub(Tocsin):
        pass

    sub = Sub("sub")
    sub.get("/")(lambda: "sub")
    assert type(wrap_app(sub, 2**20, None)) is ASGIWrapper
    assert _wsgi(sub, "/") == ("200 OK", b"sub")
    assert _get(sub, "/") == (200, b"sub")


def _add_header(wsgi_app: t.Any) -> t.Any:
    """WSGI middleware that adds ``X-Middleware: yes``."""

    def middleware(environ: t.Any, start_response: t.Any) -> t.Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: t.Any = None) -> t.Any:
            return start_response(status, [*headers, ("X-Middleware", "yes")], exc_info)

        return wsgi_app(environ, start)

    return middleware


def test_wsgi_middleware_on_wsgi_app_is_used_by_wsgi_calls_and_warned_of_under_asgi(
    app: Tocsin,
) -> None:
    app.wsgi_app = _add_header(app.wsgi_app)  # type: ignore[method-assign]
    with pytest.warns(RuntimeWarning) as warned:  # at the app's first request, if under ASGI
        sent = _asgi(app, _scope("/sync"), [{"type": "http.request", "body": b""}])
    assert [str(w.message) for w in warned] == [BYPASSED_WSGI_APP]
    assert (sent[0]["status"], sent[1]["body"]) == (200, b"sync over asgi")
    assert b"x-middleware" not in dict(sent[0]["headers"])
    assert _get(app, "/async") == (200, b"async over asgi")  # warned once
    env = EnvironBuilder("/sync").get_environ()
    for call in (app, app.__call__):
        app_iter, status, headers = run_wsgi_app(call, env, buffered=True)
        assert (status, headers["X-Middleware"], b"".join(app_iter)) == (
            "200 OK",
            "yes",
            b"sync over wsgi",
        )


def test_a_subclass_wsgi_app_is_warned_of_under_asgi() -> None:
    class Wrapped(Tocsin):
        def wsgi_app(self, environ: t.Any, start_response: t.Any) -> t.Any:
            return _add_header(super().wsgi_app)(environ, start_response)

    app = Wrapped("wrapped")
    app.get("/")(lambda: "wrapped")
    with pytest.warns(RuntimeWarning, match="app.wsgi_app was replaced"):
        assert _get(app, "/") == (200, b"wrapped")
    env = EnvironBuilder("/").get_environ()
    app_iter, status, headers = run_wsgi_app(app, env, buffered=True)
    assert (status, headers["X-Middleware"], b"".join(app_iter)) == ("200 OK", "yes", b"wrapped")


def test_an_app_without_middleware_is_not_warned_of(app: Tocsin) -> None:
    assert _get(app, "/sync") == (200, b"sync over asgi")  # (warnings are errors here)


def test_an_app_served_both_ways_is_freed_by_reference_counting() -> None:
    app = Tocsin("freed")
    app.get("/sync")(lambda: "sync")

    @app.get("/async")
    async def async_view() -> str:
        return "async"

    assert _wsgi(app, "/sync")[0] == "200 OK"
    assert _get(app, "/async")[0] == 200
    incoming: list[Message] = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    assert len(_asgi(app, _scope("", "lifespan"), incoming)) == 2
    assert inspect.iscoroutinefunction(app.__call__)
    ref = weakref.ref(app)
    gc.disable()
    try:
        del app
        assert ref() is None
    finally:
        gc.enable()
