"""tocsin.tracing.otel: traced requests as OpenTelemetry spans, read from the SDK's memory."""

from __future__ import annotations

import itertools
import subprocess
import sys
import typing as t

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from tocsin import Tocsin, render_template_string, request
from tocsin.signals import Namespace, request_started
from tocsin.testing import TestClient
from tocsin.tracing import Tracer
from tocsin.tracing.otel import Instrumentation, instrument, redact_query, request_attributes

#: A caller's trace context (the W3C Trace Context's own example).
TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C
PARENT_ID = 0xB7AD6B7169203331
TRACEPARENT = f"00-{TRACE_ID:032x}-{PARENT_ID:016x}-01"

#: The steps a hello request runs, as the spans of detail="steps" name them.
HELLO_STEPS = [
    "push_app_context",
    "match_url",
    "dispatch",
    "make_response",
    "send_response",
    "teardown_request",
]


def dotted(fn: t.Callable[..., t.Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


class Spans:
    """The spans an in-memory exporter received, with ways to look them up."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))

    @property
    def all(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def clear(self) -> None:
        self.exporter.clear()

    @property
    def server(self) -> ReadableSpan:
        (span,) = [s for s in self.all if s.kind is SpanKind.SERVER]
        return span

    def named(self, name: str) -> ReadableSpan:
        (span,) = [s for s in self.all if s.name == name]
        return span

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        """*parent*'s child spans, in start order."""
        assert parent.context is not None
        kids = [s for s in self.all if s.parent is not None and s.parent == parent.context]
        return sorted(kids, key=lambda s: s.start_time or 0)

    def names(self, parent: ReadableSpan) -> list[str]:
        return [s.name for s in self.children(parent)]


@pytest.fixture
def spans() -> Spans:
    return Spans()


@pytest.fixture
def hello(app: Tocsin) -> Tocsin:
    @app.route("/hello/<name>")
    def hello(name: str) -> str:
        return f"hello {name}"

    return app


def events(span: ReadableSpan) -> list[tuple[str, dict[str, t.Any]]]:
    return [(e.name, dict(e.attributes or {})) for e in span.events]


def exception_events(span: ReadableSpan) -> list[tuple[str, str]]:
    return [
        (str(a["exception.type"]), str(a["exception.message"]))
        for name, a in events(span)
        if name == "exception"
    ]


# -- the server span -------------------------------------------------------------------------


def test_a_request_is_a_server_span_with_the_http_attributes(
    hello: Tocsin, client: TestClient, spans: Spans
) -> None:
    instrument(hello, spans.provider)
    response = client.get("/hello/ada?x=1", headers={"User-Agent": "probe/1.0"})
    assert response.status_code == 200
    server = spans.server
    assert server.name == "GET /hello/<name>"
    assert server.kind is SpanKind.SERVER
    assert server.parent is None
    assert server.status.status_code is StatusCode.UNSET
    assert server.instrumentation_scope is not None
    assert server.instrumentation_scope.name == "tocsin"
    assert dict(server.attributes or {}) == {
        "http.request.method": "GET",
        "http.route": "/hello/<name>",
        "http.response.status_code": 200,
        "tocsin.endpoint": "hello",
        "url.path": "/hello/ada",
        "url.query": "x=1",
        "url.scheme": "http",
        "server.address": "localhost",
        "server.port": 80,
        "client.address": "127.0.0.1",
        "network.peer.address": "127.0.0.1",
        "user_agent.original": "probe/1.0",
        "network.protocol.version": "1.1",
    }
    assert server.events == ()


def test_host_port_scheme_and_application_root(
    hello: Tocsin, client: TestClient, spans: Spans
) -> None:
    instrument(hello, spans.provider)
    client.get("/hello/ada", base_url="https://example.com:8443/shop")
    attrs = dict(spans.server.attributes or {})
    assert spans.server.name == "GET /shop/hello/<name>"
    assert (attrs["http.route"], attrs["url.path"]) == ("/shop/hello/<name>", "/shop/hello/ada")
    assert (attrs["url.scheme"], attrs["server.address"], attrs["server.port"]) == (
        "https",
        "example.com",
        8443,
    )
    spans.clear()
    client.get("/hello/ada", base_url="https://example.com")
    attrs = dict(spans.server.attributes or {})
    assert (attrs["server.address"], attrs["server.port"]) == ("example.com", 443)


def test_a_method_outside_the_known_ones_is_other(
    app: Tocsin, client: TestClient, spans: Spans
) -> None:
    @app.route("/cache", methods=["PURGE", "GET"])
    def cache() -> str:
        return "purged"

    inst = instrument(app, spans.provider)
    assert client.open("/cache", method="PURGE").status_code == 200
    assert spans.server.name == "HTTP /cache"
    attrs = dict(spans.server.attributes or {})
    assert (attrs["http.request.method"], attrs["http.request.method_original"]) == (
        "_OTHER",
        "PURGE",
    )
    spans.clear()
    client.open("/cache", method="get")  # uppercased to the canonical method
    attrs = dict(spans.server.attributes or {})
    assert spans.server.name == "GET /cache"
    assert (attrs["http.request.method"], attrs["http.request.method_original"]) == ("GET", "get")
    inst.uninstall()
    spans.clear()
    instrument(app, spans.provider, known_methods=["GET", "PURGE"])
    client.open("/cache", method="PURGE")
    assert spans.server.name == "PURGE /cache"
    assert "http.request.method_original" not in (spans.server.attributes or {})


def test_the_request_body_still_reaches_the_view(
    app: Tocsin, client: TestClient, spans: Spans
) -> None:
    @app.post("/echo")
    def echo() -> bytes:
        return request.get_data()

    instrument(app, spans.provider)  # (it reads the environ before step 1)
    response = client.post("/echo", data=b"x" * 70_000)
    assert response.data == b"x" * 70_000
    assert spans.server.name == "POST /echo"


def test_the_known_methods_from_the_environment(
    app: Tocsin, client: TestClient, spans: Spans, monkeypatch: pytest.MonkeyPatch
) -> None:
    @app.route("/cache", methods=["PURGE"])
    def cache() -> str:
        return "purged"

    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS", "GET, PURGE")
    instrument(app, spans.provider)
    client.open("/cache", method="PURGE")
    assert spans.server.name == "PURGE /cache"
    spans.clear()
    client.open("/cache", method="POST")  # a known method no more (a 405: no rule matched)
    assert spans.server.name == "HTTP"
    assert dict(spans.server.attributes or {})["http.response.status_code"] == 405


def test_request_attributes_read_from_an_environ() -> None:
    method, attrs = request_attributes(
        {
            "REQUEST_METHOD": "POST",
            "SCRIPT_NAME": "",
            "PATH_INFO": "/caf\xc3\xa9",  # WSGI's latin-1 text of UTF-8 bytes
            "QUERY_STRING": "q=1&sig=secret&Signature=x",
            "wsgi.url_scheme": "http",
            "HTTP_HOST": "[::1]:8080",
            "REMOTE_ADDR": "10.0.0.7",
            "REMOTE_PORT": "54321",
            "SERVER_PROTOCOL": "HTTP/2",
        }
    )
    assert method == "POST"
    assert attrs == {
        "http.request.method": "POST",
        "url.path": "/café",
        "url.query": "q=1&sig=REDACTED&Signature=REDACTED",
        "url.scheme": "http",
        "server.address": "::1",
        "server.port": 8080,
        "client.address": "10.0.0.7",
        "network.peer.address": "10.0.0.7",
        "network.peer.port": 54321,
        "network.protocol.version": "2",
    }
    assert redact_query("design=sig&signal=1") == "design=sig&signal=1"


# -- steps and calls -------------------------------------------------------------------------


def test_each_step_that_ran_is_a_child_span(
    hello: Tocsin, client: TestClient, spans: Spans
) -> None:
    instrument(hello, spans.provider)
    client.get("/hello/ada")
    server = spans.server
    kids = spans.children(server)
    assert [s.name for s in kids] == HELLO_STEPS
    assert {s.kind for s in kids} == {SpanKind.INTERNAL}
    assert len(spans.all) == len(HELLO_STEPS) + 1  # no call spans by default
    first = dict(kids[0].attributes or {})
    assert first == {
        "tocsin.step.number": 1,
        "tocsin.step.name": "push_app_context",
        "tocsin.step.covers": ("push_app_context", "push_request_context"),
    }
    assert dict(spans.named("dispatch").attributes or {}) == {
        "tocsin.step.number": 8,
        "tocsin.step.name": "dispatch",
    }
    assert spans.named("make_response").attributes["tocsin.step.covers"] == (  # type: ignore[index]
        "make_response",
        "after_this_request",
        "save_session",
        "request_finished",
    )
    assert all(s.context.trace_id == server.context.trace_id for s in kids)  # type: ignore[union-attr]


def test_detail_request_is_the_server_span_alone(
    hello: Tocsin, client: TestClient, spans: Spans
) -> None:
    instrument(hello, spans.provider, detail="request")
    client.get("/hello/ada")
    assert [s.name for s in spans.all] == ["GET /hello/<name>"]


@pytest.fixture
def hooked(
    app: Tocsin,
) -> t.Iterator[tuple[Tocsin, t.Callable[..., t.Any], t.Callable[..., t.Any]]]:
    """An app with a before_request hook and a request_started receiver."""

    @app.before_request
    def load_user() -> None:
        return None

    def started(sender: t.Any, **kwargs: t.Any) -> None:
        return None

    @app.route("/")
    def index() -> str:
        return "home"

    request_started.connect(started, app, weak=False)
    yield app, load_user, started
    request_started.disconnect(started, app)


def test_hooks_and_receivers_with_detail_steps(
    hooked: tuple[Tocsin, t.Any, t.Any], client: TestClient, spans: Spans
) -> None:
    app, _, started = hooked
    instrument(app, spans.provider)
    client.get("/")
    server = spans.server
    assert spans.names(server) == [
        "push_app_context",
        "match_url",
        "request_started",
        "before_request",
        "dispatch",
        "make_response",
        "send_response",
        "teardown_request",
    ]
    step = spans.named("request_started")
    assert events(step) == [
        (
            "signal request-started",
            {
                "tocsin.signal.name": "request-started",
                "tocsin.signal.receivers": (dotted(started),),
            },
        )
    ]
    assert step.events[0].timestamp >= (step.start_time or 0)
    assert spans.children(spans.named("before_request")) == []  # no call spans


def test_hooks_and_receivers_with_detail_calls(
    hooked: tuple[Tocsin, t.Any, t.Any], client: TestClient, spans: Spans
) -> None:
    app, load_user, started = hooked
    instrument(app, spans.provider, detail="calls")
    client.get("/")
    hook = spans.named(f"before_request {dotted(load_user)}")
    assert spans.children(spans.named("before_request")) == [hook]
    assert hook.kind is SpanKind.INTERNAL
    assert dict(hook.attributes or {}) == {
        "tocsin.call.kind": "before_request",
        "code.function.name": dotted(load_user),
    }
    receiver = spans.named(f"receiver {dotted(started)}")
    assert spans.children(spans.named("request_started")) == [receiver]
    assert dict(receiver.attributes or {})["tocsin.call.kind"] == "receiver"
    assert [e[0] for e in events(spans.named("request_started"))] == ["signal request-started"]
    assert spans.names(spans.named("dispatch")) == [f"view {__name__}.hooked.<locals>.index"]
    assert hook.status.status_code is StatusCode.UNSET


def test_a_custom_signal_is_an_event_where_it_was_sent(
    app: Tocsin, client: TestClient, spans: Spans
) -> None:
    events_ns = Namespace()
    saved = events_ns.signal("note-saved")

    @app.route("/save")
    def save() -> str:
        saved.send(app)
        return "saved"

    tracer = Tracer(app)
    tracer.watch(events_ns)
    inst = instrument(app, spans.provider)
    assert inst.tracer is tracer
    client.get("/save")
    assert [e[0] for e in events(spans.named("dispatch"))] == ["signal note-saved"]
    inst.uninstall()
    spans.clear()
    instrument(app, spans.provider, detail="calls")
    client.get("/save")
    assert events(spans.named(f"view {dotted(save)}")) == [
        ("signal note-saved", {"tocsin.signal.name": "note-saved", "tocsin.signal.receivers": ()})
    ]
    assert events(spans.named("dispatch")) == []


def test_a_render_the_view_caught_fails_on_its_own_span(
    app: Tocsin, client: TestClient, spans: Spans
) -> None:
    @app.route("/page")
    def page() -> str:
        try:
            return render_template_string("{{ 1 / 0 }}")
        except ZeroDivisionError:
            return render_template_string("{{ 6 * 7 }}")

    instrument(app, spans.provider, detail="calls")
    assert client.get("/page").data == b"42"
    view = spans.named(f"view {dotted(page)}")
    renders = spans.children(view)
    assert [s.name for s in renders] == ["render (template string)"] * 2
    assert dict(renders[0].attributes or {}) == {
        "tocsin.call.kind": "render",
        "tocsin.template.name": "(template string)",
        "tocsin.call.outcome": "raised",
    }
    assert exception_events(renders[0]) == [("ZeroDivisionError", "division by zero")]
    assert renders[1].status.status_code is StatusCode.UNSET
    assert view.status.status_code is StatusCode.UNSET
    assert spans.named("dispatch").status.status_code is StatusCode.UNSET
    assert spans.server.status.status_code is StatusCode.UNSET


# -- errors ----------------------------------------------------------------------------------


def test_a_404_has_no_route_and_no_error(app: Tocsin, client: TestClient, spans: Spans) -> None:
    instrument(app, spans.provider)
    assert client.get("/missing").status_code == 404
    server = spans.server
    assert server.name == "GET"
    attrs = dict(server.attributes or {})
    assert "http.route" not in attrs
    assert "error.type" not in attrs
    assert attrs["http.response.status_code"] == 404
    assert server.status.status_code is StatusCode.UNSET  # 4xx: unset on a server span
    assert "handle_exception" in spans.names(server)
    assert all(s.status.status_code is StatusCode.UNSET for s in spans.all)


@pytest.fixture
def failing(app: Tocsin) -> Tocsin:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom")
    def boom() -> str:
        raise ValueError("no luck")

    @app.route("/key")
    def key() -> str:
        raise KeyError("gone")

    @app.route("/busy")
    def busy() -> tuple[str, int]:
        return "try later", 503

    @app.errorhandler(KeyError)
    def on_key(e: KeyError) -> tuple[str, int]:
        return "handled", 500

    return app


@pytest.mark.parametrize("detail", ["steps", "calls"])
def test_an_unhandled_exception_is_recorded_on_its_spans(
    failing: Tocsin, client: TestClient, spans: Spans, detail: str
) -> None:
    instrument(failing, spans.provider, detail=detail)
    assert client.get("/boom").status_code == 500
    server = spans.server
    assert server.name == "GET /boom"
    assert server.status.status_code is StatusCode.ERROR
    assert server.status.description is None  # the status code says it
    attrs = dict(server.attributes or {})
    assert (attrs["http.response.status_code"], attrs["error.type"]) == (500, "ValueError")
    assert exception_events(server) == [("ValueError", "no luck")]
    dispatch = spans.named("dispatch")
    assert dispatch.status.status_code is StatusCode.ERROR
    assert dispatch.status.description == "ValueError: no luck"
    assert exception_events(dispatch) == [("ValueError", "no luck")]
    stack = str(dispatch.events[0].attributes["exception.stacktrace"])  # type: ignore[index]
    assert 'raise ValueError("no luck")' in stack
    assert spans.named("handle_exception").status.status_code is StatusCode.UNSET
    errors = [s.name for s in spans.all if s.status.status_code is StatusCode.ERROR]
    if detail == "calls":
        view = spans.named(f"view {__name__}.failing.<locals>.boom")
        assert spans.children(dispatch) == [view]
        assert exception_events(view) == [("ValueError", "no luck")]
        assert dict(view.attributes or {})["tocsin.call.outcome"] == "raised"
        assert sorted(errors) == sorted(["GET /boom", "dispatch", view.name])
    else:
        assert sorted(errors) == ["GET /boom", "dispatch"]


def test_an_error_handler_that_answers_500(
    failing: Tocsin, client: TestClient, spans: Spans
) -> None:
    instrument(failing, spans.provider, detail="calls")
    response = client.get("/key")
    assert (response.status_code, response.data) == (500, b"handled")
    server = spans.server
    assert server.status.status_code is StatusCode.ERROR
    assert dict(server.attributes or {})["error.type"] == "KeyError"
    assert exception_events(server) == [("KeyError", "'gone'")]
    handler = spans.named(f"errorhandler {__name__}.failing.<locals>.on_key")
    assert spans.children(spans.named("handle_exception")) == [handler]
    assert handler.status.status_code is StatusCode.UNSET


def test_a_5xx_without_exception(failing: Tocsin, client: TestClient, spans: Spans) -> None:
    instrument(failing, spans.provider)
    assert client.get("/busy").status_code == 503
    server = spans.server
    assert server.status.status_code is StatusCode.ERROR
    assert dict(server.attributes or {})["error.type"] == "503"
    assert server.events == ()
    assert "handle_exception" not in spans.names(server)


def test_a_handled_exception_leaves_the_server_span_unset(
    app: Tocsin, client: TestClient, spans: Spans
) -> None:
    @app.route("/teapot")
    def teapot() -> str:
        raise LookupError("no tea")

    @app.errorhandler(LookupError)
    def on_lookup(e: LookupError) -> tuple[str, int]:
        return "short and stout", 418

    instrument(app, spans.provider)
    assert client.get("/teapot").status_code == 418
    assert spans.server.status.status_code is StatusCode.UNSET
    assert "error.type" not in (spans.server.attributes or {})
    assert spans.server.events == ()
    assert exception_events(spans.named("dispatch")) == [("LookupError", "no tea")]


def test_an_exception_that_reaches_the_server(
    app: Tocsin, client: TestClient, spans: Spans
) -> None:
    @app.route("/boom")
    def boom() -> str:
        raise ValueError("propagated")

    instrument(app, spans.provider)
    with pytest.raises(ValueError, match="propagated"):
        client.get("/boom")  # TESTING: the exception propagates
    server = spans.server
    assert server.status.status_code is StatusCode.ERROR
    attrs = dict(server.attributes or {})
    assert attrs["error.type"] == "ValueError"
    assert attrs["http.route"] == "/boom"
    assert "http.response.status_code" not in attrs  # (the app sent none; the server sends 500)
    assert exception_events(server) == [("ValueError", "propagated")]


# -- context propagation ---------------------------------------------------------------------


def test_an_incoming_traceparent_continues_the_callers_trace(
    hello: Tocsin, client: TestClient, spans: Spans
) -> None:
    instrument(hello, spans.provider)
    client.get(
        "/hello/ada", headers={"traceparent": TRACEPARENT, "tracestate": "congo=t61rcWkgMzE"}
    )
    server = spans.server
    assert server.parent is not None
    assert server.parent.is_remote
    assert (server.parent.trace_id, server.parent.span_id) == (TRACE_ID, PARENT_ID)
    assert server.context is not None
    assert server.context.trace_id == TRACE_ID
    assert server.context.trace_state.get("congo") == "t61rcWkgMzE"
    assert {s.context.trace_id for s in spans.all} == {TRACE_ID}  # type: ignore[union-attr]


def test_a_caller_that_did_not_sample_gets_no_spans(
    hello: Tocsin, client: TestClient, spans: Spans
) -> None:
    instrument(hello, spans.provider)  # the SDK's default sampler follows the parent
    unsampled = TRACEPARENT[:-2] + "00"
    assert client.get("/hello/ada", headers={"traceparent": unsampled}).status_code == 200
    assert spans.all == []
    client.get("/hello/ada", headers={"traceparent": TRACEPARENT})
    assert len(spans.all) == len(HELLO_STEPS) + 1


@pytest.mark.parametrize(
    "header", ["garbage", f"00-{0:032x}-{PARENT_ID:016x}-01", f"00-{TRACE_ID:032x}-zz-01"]
)
def test_a_bad_traceparent_starts_a_new_trace(
    hello: Tocsin, client: TestClient, spans: Spans, header: str
) -> None:
    instrument(hello, spans.provider)
    response = client.get("/hello/ada", headers={"traceparent": header})
    assert response.status_code == 200
    server = spans.server
    assert server.parent is None
    assert server.context is not None
    assert server.context.trace_id not in (0, TRACE_ID)


# -- sampling, installing, timestamps -------------------------------------------------------


def test_only_sampled_requests_become_spans(
    hello: Tocsin, client: TestClient, spans: Spans
) -> None:
    tracer = Tracer(hello, sample=0.5)
    inst = instrument(hello, spans.provider)
    assert inst.tracer is tracer
    for name in ("a", "b", "c", "d"):
        assert client.get(f"/hello/{name}").status_code == 200
    servers = [s for s in spans.all if s.kind is SpanKind.SERVER]
    paths = [dict(s.attributes or {})["url.path"] for s in servers]
    assert paths == ["/hello/a", "/hello/c"]


def test_instrument_installs_a_tracer_from_the_config(hello: Tocsin, spans: Spans) -> None:
    assert hello.tracer is None
    hello.config["TRACE_SAMPLE"] = 0.25
    inst = instrument(hello, spans.provider)
    assert hello.tracer is inst.tracer
    assert inst.tracer.sample == 0.25


def test_uninstall_stops_the_spans(hello: Tocsin, client: TestClient, spans: Spans) -> None:
    inst = instrument(hello, spans.provider)
    assert isinstance(inst, Instrumentation)
    assert inst.installed
    with pytest.raises(RuntimeError, match="already instrumented"):
        instrument(hello, spans.provider)
    client.get("/hello/a")
    assert len(spans.all) == len(HELLO_STEPS) + 1
    inst.uninstall()
    assert not inst.installed
    spans.clear()
    assert client.get("/hello/b").status_code == 200
    assert spans.all == []
    assert hello.tracer is inst.tracer  # the tracer stays
    assert hello.tracer.last is not None and hello.tracer.last.path == "/hello/b"
    inst.uninstall()  # (twice is harmless)
    again = instrument(hello, spans.provider, detail="request")
    client.get("/hello/c")
    assert [s.name for s in spans.all] == ["GET /hello/<name>"]
    again.uninstall()


def test_a_bad_detail_is_refused(hello: Tocsin, spans: Spans) -> None:
    with pytest.raises(ValueError, match="detail must be one of 'request', 'steps', 'calls'"):
        instrument(hello, spans.provider, detail="everything")
    assert hello.tracer is None


def test_timestamps_are_the_traces_and_nest(
    hooked: tuple[Tocsin, t.Any, t.Any], client: TestClient, spans: Spans
) -> None:
    app, _, _ = hooked
    instrument(app, spans.provider, detail="calls")
    client.get("/")
    trace = app.tracer.last if app.tracer is not None else None
    assert trace is not None and trace.duration_ns is not None
    server = spans.server
    start, end = server.start_time or 0, server.end_time or 0
    assert abs(start - trace.started * 1e9) < 1_000  # (a float's rounding)
    assert end - start == trace.duration_ns
    by_id = {s.context.span_id: s for s in spans.all}  # type: ignore[union-attr]
    for span in spans.all:
        assert (span.start_time or 0) <= (span.end_time or 0)
        if span.parent is not None and span.parent.span_id in by_id:
            parent = by_id[span.parent.span_id]
            assert (parent.start_time or 0) <= (span.start_time or 0)
            assert (span.end_time or 0) <= (parent.end_time or 0)
    steps = spans.children(server)
    for before, after in itertools.pairwise(steps):
        assert before.end_time == after.start_time  # a step lasts until the next one begins
    ran = [s for s in trace.steps if s.ran]
    assert [(s.start_time or 0) - start for s in steps] == [s.start_ns for s in ran]
    assert (steps[-1].end_time or 0) == end


def test_without_a_provider_the_global_one_is_used(
    hello: Tocsin, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    inst = instrument(hello)  # the global provider (a no-op one here): nothing fails
    assert client.get("/hello/ada").status_code == 200
    assert inst.installed
    assert [r for r in caplog.records if r.name == "tocsin.tracing"] == []


# -- the optional dependency -----------------------------------------------------------------


def test_tocsin_tracing_does_not_import_opentelemetry() -> None:
    code = (
        "import sys, tocsin, tocsin.tracing; "
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_without_opentelemetry_the_import_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "tocsin.tracing.otel")
    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # (as if not installed)
    with pytest.raises(ImportError, match=r"pip install tocsin\[otel\]"):
        import tocsin.tracing.otel  # noqa: F401
