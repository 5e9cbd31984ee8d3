"""The step table runs: traced steps follow lifecycle.STEPS, per scenario, on both drivers."""

from __future__ import annotations

import typing as t

import pytest

from tocsin import (
    Tocsin,
    abort,
    after_this_request,
    has_request_context,
    lifecycle,
    stream_with_context,
)
from tocsin import _steps as steps_module
from tocsin.sessions import SecureCookieSessionInterface
from tocsin.signals import appcontext_pushed, request_finished, request_started
from tocsin.testing import TestClient
from tocsin.tracing import Tracer

TABLE = [s.name for s in lifecycle.STEPS]


def expected(*left_out: str) -> list[str]:
    """The table's step names, in order, without *left_out*."""
    assert set(left_out) <= set(TABLE)
    return [name for name in TABLE if name not in left_out]


@pytest.fixture
def traced(app: Tocsin) -> Tracer:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.before_request
    def maybe_answer() -> t.Any:
        from tocsin import request

        return "early" if request.args.get("early") else None

    @app.route("/ok")
    def ok() -> str:
        return "ok"

    @app.route("/post", methods=["POST"])
    def post_only() -> str:
        return "posted"

    @app.route("/handled")
    def handled() -> str:
        raise KeyError("k")

    @app.errorhandler(KeyError)
    def on_key(e: KeyError) -> tuple[str, int]:
        return "handled", 409

    @app.route("/unhandled")
    def unhandled() -> str:
        raise RuntimeError("boom")

    @app.route("/abort")
    def aborted() -> str:
        abort(418)

    @app.route("/stream")
    def stream() -> t.Any:
        return stream_with_context(iter(["a", "b"]))

    @app.route("/once")
    def once() -> str:
        after_this_request(lambda r: r)
        return "once"

    tracer = Tracer(app)
    return tracer


#: The steps the fixture's app has nothing registered for: skipped, never timed.
NOTHING = ("before_first_request", "request_started", "url_value_preprocessor", "after_request")
SCENARIOS = [
    ("/ok", "GET", 200, expected(*NOTHING, "handle_exception")),
    ("/ok?early=1", "GET", 200, expected(*NOTHING, "dispatch", "handle_exception")),
    ("/missing", "GET", 404, expected(*NOTHING)),
    ("/post", "GET", 405, expected(*NOTHING)),
    ("/handled", "GET", 409, expected(*NOTHING)),
    # after an unhandled error, steps 10 to 14 run one by one: 14 has no receiver
    ("/unhandled", "GET", 500, expected(*NOTHING, "request_finished")),
    ("/abort", "GET", 418, expected(*NOTHING)),
    ("/stream", "GET", 200, expected(*NOTHING, "handle_exception")),
    ("/once", "GET", 200, expected(*NOTHING, "handle_exception")),
]


@pytest.mark.parametrize(("path", "method", "status", "steps"), SCENARIOS)
def test_traced_steps_follow_the_table(
    traced: Tracer, client: TestClient, path: str, method: str, status: int, steps: list[str]
) -> None:
    client.get("/ok")
    first = traced.last
    assert first is not None and first.ran == expected(*NOTHING, "handle_exception")
    response = client.open(path, method=method)
    response.get_data()
    assert response.status_code == status
    trace = traced.last
    assert trace is not None and trace is not first
    assert trace.ran == steps
    assert trace.skipped == [name for name in TABLE if name not in steps]
    assert all(s.duration_ns is None for s in trace.steps if not s.ran)
    assert all(s.duration_ns is not None for s in trace.steps if s.ran)
    assert trace.status == status


def test_every_row_names_a_step_function() -> None:
    for row in lifecycle.STEPS:
        if row.runs is None:
            assert row.name == "send_response"  # the driver's
            continue
        assert callable(getattr(steps_module, row.runs)), row


def test_the_500_handler_call_is_in_step_9(traced: Tracer, client: TestClient, app: Tocsin) -> None:
    def on_500(e: t.Any) -> tuple[str, int]:
        return "sorry", 500

    app.register_error_handler(500, on_500)
    assert client.get("/unhandled").status_code == 500
    trace = traced.last
    assert trace is not None
    events = [(e.kind, e.name) for e in trace.events]
    at = events.index(("step", "handle_exception"))
    assert events[at + 1] == ("call", "errorhandler")
    assert events[at + 2] == ("step", "make_response")
    assert trace.ran.count("handle_exception") == 1


def test_appcontext_pushed_receivers_see_no_request(app: Tocsin, client: TestClient) -> None:
    seen: list[bool] = []

    def pushed(sender: Tocsin, **extra: t.Any) -> None:
        seen.append(has_request_context())

    @app.route("/")
    def index() -> str:
        return "ok"

    with appcontext_pushed.connected_to(pushed, app):
        assert client.get("/").data == b"ok"
    assert seen == [False]


class RecordingSessions(SecureCookieSessionInterface):
    """A custom session interface (as server-side sessions are) that records its calls."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def open_session(self, app: t.Any, request: t.Any) -> t.Any:
        self.log.append("open_session")
        return super().open_session(app, request)

    def save_session(self, app: t.Any, session: t.Any, response: t.Any) -> None:
        self.log.append("save_session")
        super().save_session(app, session, response)


def test_a_custom_session_interface_opens_before_request_started(app: Tocsin, driver: str) -> None:
    log: list[str] = []
    app.secret_key = "s"
    app.session_interface = RecordingSessions(log)

    @app.route("/")
    def index() -> str:
        log.append("view")
        return "ok"

    def started(sender: Tocsin, **extra: t.Any) -> None:
        log.append("request_started")

    def finished(sender: Tocsin, **extra: t.Any) -> None:
        log.append("request_finished")

    with request_started.connected_to(started, app), request_finished.connected_to(finished, app):
        assert app.test_client(driver=driver).get("/").data == b"ok"
    assert log == ["open_session", "request_started", "view", "save_session", "request_finished"]


def test_overrides_run_inside_the_traced_pipeline(driver: str) -> None:
    calls: list[str] = []

    class App(Tocsin):
        def dispatch_request(self) -> t.Any:
            calls.append("dispatch_request")
            return super().dispatch_request()

        def process_response(self, response: t.Any) -> t.Any:
            calls.append("process_response")
            return super().process_response(response)

    app = App("overrides", root_path="/nonexistent")

    @app.route("/")
    def index() -> str:
        calls.append("view")
        return "ok"

    @app.after_request
    def after(response: t.Any) -> t.Any:
        calls.append("after_request")
        return response

    original = app.handle_user_exception

    def patched(e: Exception) -> t.Any:  # on the instance, as extensions patch
        calls.append("patched handle_user_exception")
        return original(e)

    app.handle_user_exception = patched  # type: ignore[method-assign]
    tracer = Tracer(app)
    client = app.test_client(driver=driver)
    assert client.get("/").data == b"ok"
    assert calls == ["dispatch_request", "view", "process_response", "after_request"]
    trace = tracer.last
    assert trace is not None
    assert trace.ran[:3] == ["push_app_context", "push_request_context", "match_url"]
    assert ("call", "view") in [(e.kind, e.name) for e in trace.events]
    assert "after_request" in trace.ran
    calls.clear()
    assert client.get("/missing").status_code == 404
    assert calls == [  # as in Flask: dispatch_request raises the stored 404
        "dispatch_request",
        "patched handle_user_exception",
        "process_response",
        "after_request",
    ]


def test_an_async_view_returning_none_is_named_in_the_error(app: Tocsin, driver: str) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    errors: list[BaseException] = []

    @app.before_request
    async def nothing() -> None:
        return None

    @app.route("/none")
    async def none() -> None:
        return None

    @app.errorhandler(500)
    def on_500(e: t.Any) -> tuple[str, int]:
        errors.append(e.original_exception)
        return "sorry", 500

    assert app.test_client(driver=driver).get("/none").status_code == 500
    assert [type(e).__name__ for e in errors] == ["TypeError"]
    assert "returned None" in str(errors[0])


def test_signals_with_async_receivers_are_traced_where_they_are_sent(
    app: Tocsin, client: TestClient
) -> None:
    from tocsin.signals import request_tearing_down

    async def started(sender: Tocsin, **extra: t.Any) -> None:
        pass

    async def torn(sender: Tocsin, **extra: t.Any) -> None:
        pass

    @app.route("/")
    def index() -> str:
        return "ok"

    tracer = Tracer(app)
    with request_started.connected_to(started, app), request_tearing_down.connected_to(torn, app):
        assert client.get("/").data == b"ok"
    trace = tracer.last
    assert trace is not None
    events = [(e.kind, e.name) for e in trace.events if e.kind != "call"]
    for step, signal in [
        ("request_started", "request-started"),
        ("teardown_request", "request-tearing-down"),
    ]:
        at = events.index(("step", step))
        assert events[at + 1] == ("signal", signal)


def test_a_lone_async_after_request_function_must_return_a_response(
    app: Tocsin, driver: str
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    errors: list[BaseException] = []

    @app.after_request
    async def forgot(response: t.Any) -> None:
        return None

    @app.route("/")
    def index() -> str:
        return "ok"

    @app.errorhandler(500)
    def on_500(e: t.Any) -> tuple[str, int]:
        errors.append(e.original_exception)
        return "sorry", 500

    assert app.test_client(driver=driver).get("/").status_code == 500
    assert [type(e).__name__ for e in errors] == ["TypeError"]
    assert "forgot" in str(errors[0]) and "not a response" in str(errors[0])


@pytest.mark.parametrize("signal_name", ["request_tearing_down", "appcontext_tearing_down"])
def test_a_base_exception_from_a_teardown_receiver_still_pops_both_contexts(
    app: Tocsin, signal_name: str
) -> None:
    """Steps 16 to 19 run as one call when only receivers have work: it pops both anyway."""
    from werkzeug.test import EnvironBuilder

    from tocsin import signals
    from tocsin.globals import _cv_app, _cv_request

    seen: list[str] = []

    def stop(sender: Tocsin, **extra: t.Any) -> None:
        raise KeyboardInterrupt

    def other(sender: Tocsin, **extra: t.Any) -> None:
        seen.append("other")

    @app.route("/")
    def index() -> str:
        return "ok"

    signal = getattr(signals, signal_name)
    others = signals.appcontext_tearing_down if signal_name == "request_tearing_down" else None
    environ = EnvironBuilder("/").get_environ()
    with signal.connected_to(stop, app):
        if others is not None:
            others.connect(other, app)
        try:
            with pytest.raises(KeyboardInterrupt):
                app(environ, lambda *a: None)
        finally:
            if others is not None:
                others.disconnect(other, app)
    assert (_cv_request.get(None), _cv_app.get(None)) == (None, None)
    assert seen == (["other"] if others is not None else [])
