"""Whole-sequence tests of the request lifecycle, identical under both drivers.

Every hook kind appends its name to one list, and every built-in signal is
recorded into the same list, so each test compares the *entire* sequence
of one request with the order of :data:`tocsin.lifecycle.STEPS`.
"""

from __future__ import annotations

import collections.abc as cabc
import typing as t

import pytest

from tocsin import (
    Tocsin,
    after_this_request,
    current_app,
    has_app_context,
    has_request_context,
    lifecycle,
    request,
    signals,
)
from tocsin.signals import _signals
from tocsin.testing import TestClient
from tocsin.wrappers import Response

Log = list[str]


def _describe(value: t.Any) -> str:
    if isinstance(value, Response):
        return str(value.status_code)
    if isinstance(value, BaseException):
        return type(value).__name__
    return repr(value)


@pytest.fixture
def log(app: Tocsin) -> cabc.Iterator[Log]:
    """Register one function per hook kind and a receiver on every built-in signal."""
    events: Log = []

    def on_signal(signal: t.Any, sender: t.Any, /, **kwargs: t.Any) -> None:
        assert sender is app
        args = ",".join(f"{k}={_describe(v)}" for k, v in sorted(kwargs.items()))
        events.append(f"signal:{signal.name.replace('-', '_')}({args})")

    @app.before_first_request
    def first() -> None:
        events.append("before_first_request")

    @app.url_value_preprocessor
    def preprocess(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        events.append(f"url_value_preprocessor({endpoint})")

    @app.before_request
    def before() -> None:
        events.append("before_request")

    @app.after_request
    def after(response: Response) -> Response:
        events.append(f"after_request({response.status_code})")
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append(f"teardown_request({_describe(exc)})")

    @app.teardown_appcontext
    def teardown_app(exc: BaseException | None) -> None:
        events.append(f"teardown_appcontext({_describe(exc)})")

    @app.route("/")
    def index() -> str:
        events.append("view")
        return "hello"

    _signals.connect_all(on_signal)
    try:
        yield events
    finally:
        _signals.disconnect_all(on_signal)


def _end(status: int, exc: str = "None") -> Log:
    """Steps 12 to 19 of a request that ended with *status*."""
    return [
        f"after_request({status})",
        f"signal:request_finished(response={status})",
        f"teardown_request({exc})",
        f"signal:request_tearing_down(exc={exc})",
        f"teardown_appcontext({exc})",
        f"signal:appcontext_tearing_down(exc={exc})",
        "signal:appcontext_popped()",
    ]


START = ["signal:appcontext_pushed()", "before_first_request", "signal:request_started()"]


def test_success(client: TestClient, log: Log) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.data == b"hello"
    assert log == [
        *START,
        "url_value_preprocessor(index)",
        "before_request",
        "view",
        *_end(200),
    ]


def test_second_request_skips_before_first_request(client: TestClient, log: Log) -> None:
    client.get("/")
    log.clear()
    client.get("/")
    assert log[:3] == [
        "signal:appcontext_pushed()",
        "signal:request_started()",
        "url_value_preprocessor(index)",
    ]


def test_before_request_short_circuit(app: Tocsin, client: TestClient, log: Log) -> None:
    @app.before_request
    def stop() -> tuple[str, int]:
        log.append("stop")
        return "stopped", 203

    @app.before_request
    def never() -> None:
        log.append("never")

    response = client.get("/")
    assert (response.status_code, response.data) == (203, b"stopped")
    assert log == [*START, "url_value_preprocessor(index)", "before_request", "stop", *_end(203)]


@pytest.mark.parametrize(("method", "status"), [("GET", 404), ("DELETE", 405)])
def test_routing_errors_raised_after_before_request(
    client: TestClient, log: Log, method: str, status: int
) -> None:
    path = "/missing" if status == 404 else "/"
    response = client.open(path, method=method)
    assert response.status_code == status
    assert log == [*START, "url_value_preprocessor(None)", "before_request", *_end(status)]


def test_handled_exception(app: Tocsin, client: TestClient, log: Log) -> None:
    @app.route("/fail")
    def fail() -> str:
        log.append("view")
        raise KeyError("boom")

    @app.errorhandler(KeyError)
    def handle(e: KeyError) -> tuple[str, int]:
        log.append(f"errorhandler({type(e).__name__})")
        return "handled", 418

    response = client.get("/fail")
    assert (response.status_code, response.data) == (418, b"handled")
    assert log == [
        *START,
        "url_value_preprocessor(fail)",
        "before_request",
        "view",
        "errorhandler(KeyError)",
        *_end(418),
    ]


def test_unhandled_exception_becomes_500(
    app: Tocsin, client: TestClient, log: Log, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(app.logger, "disabled", True)

    @app.route("/fail")
    def fail() -> str:
        log.append("view")
        raise RuntimeError("boom")

    @app.errorhandler(500)
    def handle(e: t.Any) -> tuple[str, int]:
        log.append(f"errorhandler({type(e.original_exception).__name__})")
        return "sorry", 500

    response = client.get("/fail")
    assert (response.status_code, response.data) == (500, b"sorry")
    assert log == [
        *START,
        "url_value_preprocessor(fail)",
        "before_request",
        "view",
        "signal:got_request_exception(exception=RuntimeError)",
        "errorhandler(RuntimeError)",
        *_end(500, "RuntimeError"),
    ]


def test_unhandled_exception_propagates_in_testing(
    app: Tocsin, client: TestClient, log: Log
) -> None:
    @app.route("/fail")
    def fail() -> str:
        log.append("view")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        client.get("/fail")
    assert log == [
        *START,
        "url_value_preprocessor(fail)",
        "before_request",
        "view",
        "signal:got_request_exception(exception=RuntimeError)",
        "teardown_request(RuntimeError)",
        "signal:request_tearing_down(exc=RuntimeError)",
        "teardown_appcontext(RuntimeError)",
        "signal:appcontext_tearing_down(exc=RuntimeError)",
        "signal:appcontext_popped()",
    ]


def test_streaming_body_runs_before_teardown(app: Tocsin, client: TestClient, log: Log) -> None:
    @app.route("/stream")
    def stream() -> cabc.Iterator[str]:
        log.append("view")

        def generate() -> cabc.Iterator[str]:
            for part in ("a", "b"):
                log.append(f"chunk:{part}:{request.path}")
                yield part

        return generate()

    response = client.get("/stream")
    assert response.get_data() == b"ab"
    assert log == [
        *START,
        "url_value_preprocessor(stream)",
        "before_request",
        "view",
        "after_request(200)",
        "signal:request_finished(response=200)",
        "chunk:a:/stream",
        "chunk:b:/stream",
        *_end(200)[2:],
    ]


def test_nested_after_this_request(app: Tocsin, client: TestClient, log: Log) -> None:
    @app.route("/once")
    def once() -> str:
        log.append("view")

        @after_this_request
        def outer(response: Response) -> Response:
            log.append("outer")

            @after_this_request
            def inner(response: Response) -> Response:
                log.append("inner")
                response.headers["X-Inner"] = "1"
                return response

            return response

        return "ok"

    response = client.get("/once")
    assert response.headers["X-Inner"] == "1"
    assert log == [
        *START,
        "url_value_preprocessor(once)",
        "before_request",
        "view",
        "outer",
        "inner",
        *_end(200),
    ]


def test_async_hooks_and_receivers_keep_the_order(
    app: Tocsin, client: TestClient, log: Log
) -> None:
    @app.before_request
    async def async_before() -> None:
        log.append("async_before")

    @app.after_request
    async def async_after(response: Response) -> Response:
        log.append("async_after")
        return response

    async def async_receiver(sender: Tocsin, /, **kwargs: t.Any) -> None:
        log.append("async_receiver")

    from tocsin.signals import request_started

    request_started.connect(async_receiver, weak=False)
    try:
        assert client.get("/").status_code == 200
    finally:
        request_started.disconnect(async_receiver)
    assert log == [
        "signal:appcontext_pushed()",
        "before_first_request",
        "signal:request_started()",
        "async_receiver",
        "url_value_preprocessor(index)",
        "before_request",
        "async_before",
        "view",
        "async_after",
        *_end(200),
    ]


def test_tracer_names_the_steps_of_the_table(app: Tocsin, client: TestClient, log: Log) -> None:
    from tocsin.tracing import Tracer

    tracer = Tracer(app)
    client.get("/")
    trace = tracer.last
    assert trace is not None
    table = [s.name for s in lifecycle.STEPS if s.name not in ("handle_exception",)]
    assert trace.ran == table  # every step has work here, but step 9 (nothing raised)
    assert trace.skipped == ["handle_exception"]
    calls = [(e.name, e.detail.rsplit(".", 1)[-1]) for e in trace.events if e.kind == "call"]
    assert calls == [
        ("before_first_request", "first"),
        ("url_value_preprocessor", "preprocess"),
        ("before_request", "before"),
        ("view", "index"),
        ("after_request", "after"),
        ("teardown_request", "teardown"),
        ("teardown_appcontext", "teardown_app"),
    ]


def test_teardown_has_run_when_a_complete_response_is_handed_over(app: Tocsin, log: Log) -> None:
    from werkzeug.test import run_wsgi_app

    from tocsin import redirect

    @app.route("/go")
    def go() -> t.Any:
        return redirect("/there")

    app_iter, status, _headers = run_wsgi_app(app, app.test_request_context("/go").environ)
    assert status == "302 FOUND"
    assert log[-1] == "signal:appcontext_popped()"  # before the body was even read
    assert b"".join(app_iter).startswith(b"<!doctype html>")


def test_appcontext_pushed_comes_before_the_request_context(
    app: Tocsin, client: TestClient
) -> None:
    """Steps 1 then 2: a receiver of ``appcontext_pushed`` has ``current_app``, not ``request``."""
    seen: list[tuple[str, bool, bool]] = []

    def pushed(sender: Tocsin, **extra: t.Any) -> None:
        seen.append((current_app.name, has_app_context(), has_request_context()))

    @app.get("/")
    def index() -> str:
        seen.append((current_app.name, has_app_context(), has_request_context()))
        return "ok"

    with signals.appcontext_pushed.connected_to(pushed, app):
        assert client.get("/").text == "ok"
    assert seen == [("tocsin_test_app", True, False), ("tocsin_test_app", True, True)]


def test_a_custom_session_interface_opens_at_step_2(app: Tocsin, client: TestClient) -> None:
    """Before the URL is matched and before ``request_started``, as in Flask and the seeds."""
    from werkzeug.routing import BaseConverter

    from tocsin.sessions import SecureCookieSession, SessionInterface

    order: list[str] = []

    class Recording(BaseConverter):
        def to_python(self, value: str) -> str:
            order.append("match_url")
            return value

    class ServerSide(SessionInterface):
        def open_session(self, app: Tocsin, request: t.Any) -> SecureCookieSession:
            order.append(f"open_session {request.path}")
            return SecureCookieSession({"user": "ada"})

        def save_session(self, app: Tocsin, session: t.Any, response: Response) -> None:
            order.append(f"save_session {dict(session)}")

    app.url_map.converters["rec"] = Recording
    app.session_interface = ServerSide()

    def started(sender: Tocsin, **extra: t.Any) -> None:
        order.append("request_started")

    @app.get("/u/<rec:name>")
    def user(name: str) -> str:
        order.append("view")
        return name

    with signals.request_started.connected_to(started, app):
        assert client.get("/u/ada").text == "ada"
    assert order == [
        "open_session /u/ada",
        "match_url",
        "request_started",
        "view",
        "save_session {'user': 'ada'}",
    ]


def test_a_session_interface_that_fails_to_open_takes_the_error_path(
    app: Tocsin, client: TestClient
) -> None:
    from tocsin.sessions import SessionInterface

    app.config["PROPAGATE_EXCEPTIONS"] = False
    events: list[str] = []

    class Broken(SessionInterface):
        def open_session(self, app: Tocsin, request: t.Any) -> t.NoReturn:
            raise ConnectionError("session store down")

        def save_session(self, app: Tocsin, session: t.Any, response: Response) -> None:
            events.append("save_session")

    app.session_interface = Broken()
    app.get("/")(lambda: "never")

    @app.errorhandler(500)
    def failed(e: t.Any) -> tuple[str, int]:
        return f"500: {e.original_exception}", 500

    app.teardown_request(lambda exc: events.append(f"teardown {exc!r}"))

    def got(sender: Tocsin, exception: BaseException, **extra: t.Any) -> None:
        events.append(f"got_request_exception {exception!r}")

    with signals.got_request_exception.connected_to(got, app):
        response = client.get("/")
    assert (response.status_code, response.text) == (500, "500: session store down")
    assert events == [
        "got_request_exception ConnectionError('session store down')",
        "teardown ConnectionError('session store down')",
    ]
