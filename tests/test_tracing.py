"""The lifecycle tracer: events, Server-Timing, config switch, custom signals."""

from __future__ import annotations

import typing as t

from tocsin import Tocsin, flash, lifecycle, render_template_string
from tocsin.signals import Namespace, got_request_exception, request_tearing_down
from tocsin.testing import TestClient
from tocsin.tracing import Tracer


def test_server_timing_header_names_the_steps(app: Tocsin, client: TestClient) -> None:
    Tracer(app, server_timing=True)

    @app.route("/")
    def index() -> str:
        return "ok"

    header = client.get("/").headers["Server-Timing"]
    names = [part.split(";")[0] for part in header.split(", ")]
    # steps 1-2 and 10-14 are one call each (named after their first step); then the total
    assert names == ["push_app_context", "match_url", "dispatch", "make_response", "total"]
    assert all(";dur=" in part for part in header.split(", "))


def test_trace_config_switch_installs_a_tracer(app: Tocsin, client: TestClient) -> None:
    app.config.update(TRACE=True, TRACE_KEEP=2)

    @app.route("/<int:n>")
    def index(n: int) -> str:
        return str(n)

    for n in range(3):
        client.get(f"/{n}")
    assert app.tracer is not None
    assert [trace.path for trace in app.tracer.traces] == ["/1", "/2"]
    assert [trace.status for trace in app.tracer.traces] == [200, 200]


def test_signals_of_templates_flash_teardown_and_custom_namespaces_are_traced(
    app: Tocsin, client: TestClient
) -> None:
    tracer = Tracer(app)
    events = Namespace()
    saved = events.signal("note-saved")
    tracer.watch(events)

    def on_saved(sender: t.Any, /, **kwargs: t.Any) -> None:
        pass

    def on_teardown(sender: t.Any, /, **kwargs: t.Any) -> None:
        pass

    @app.route("/")
    def index() -> str:
        flash("hi")
        saved.send(app, note=1)
        return render_template_string("{{ 1 + 1 }}")

    from tocsin.signals import message_flashed, template_rendered

    connections = [
        (saved, on_saved),
        (request_tearing_down, on_teardown),
        (message_flashed, on_saved),
        (template_rendered, on_saved),
    ]
    for signal, receiver in connections:
        signal.connect(receiver, weak=False)
    try:
        assert client.get("/").data == b"2"
    finally:
        for signal, receiver in connections:
            signal.disconnect(receiver)
        tracer.uninstall()
    trace = tracer.last
    assert trace is not None
    signals = [(e.name, e.detail) for e in trace.events if e.kind == "signal"]
    assert signals == [
        ("message-flashed", "1"),
        ("note-saved", "1"),
        ("template-rendered", "1"),
        ("request-tearing-down", "1"),
    ]
    assert app.tracer is None


def test_format_and_as_dict(app: Tocsin, client: TestClient) -> None:
    tracer = Tracer(app)

    @app.route("/")
    def index() -> str:
        return "ok"

    client.get("/")
    trace = tracer.last
    assert trace is not None
    text = trace.format()
    assert text.splitlines()[0].startswith("GET / -> 200 in ")
    view_lines = [line for line in text.splitlines() if " view " in line]
    assert len(view_lines) == 1
    assert view_lines[0].endswith("test_format_and_as_dict.<locals>.index")
    data = trace.as_dict()
    assert (data["method"], data["path"], data["status"]) == ("GET", "/", 200)
    assert [s["name"] for s in data["steps"]] == [s.name for s in trace.steps]
    tracer.clear()
    assert tracer.traces == []


def test_the_error_path_is_traced_as_step_9_with_its_500_handler(
    app: Tocsin, client: TestClient
) -> None:
    """Not as a step the lifecycle table lacks; the 500 handler's call is shown."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    tracer = Tracer(app)

    @app.route("/")
    def index() -> str:
        raise RuntimeError("boom")

    def server_error(e: t.Any) -> tuple[str, int]:
        return "sorry", 500

    def noted(sender: Tocsin, exception: BaseException, **extra: t.Any) -> None:
        pass

    app.register_error_handler(500, server_error)
    with got_request_exception.connected_to(noted, app):
        assert client.get("/").status_code == 500
    trace = tracer.last
    assert trace is not None
    assert "got_request_exception" not in trace.ran
    assert all(name in [s.name for s in lifecycle.STEPS] for name in trace.ran)
    at = trace.ran.index("handle_exception")
    assert trace.ran[at - 1 : at + 2] == ["dispatch", "handle_exception", "make_response"]
    events = [(e.kind, e.name, e.detail) for e in trace.events]
    start = events.index(("step", "handle_exception", ""))
    assert events[start : start + 3] == [
        ("step", "handle_exception", ""),
        ("signal", "got-request-exception", "1"),
        ("call", "errorhandler", f"{server_error.__module__}.{server_error.__qualname__}"),
    ]
