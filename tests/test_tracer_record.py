"""The tracer's record (steps, calls, signals, renders, sessions), sampling, stats, capture."""

from __future__ import annotations

import json
import typing as t

import pytest

from tocsin import Tocsin, lifecycle, render_template_string, render_template_string_async, session
from tocsin.signals import (
    Namespace,
    appcontext_pushed,
    got_request_exception,
    request_finished,
    request_started,
)
from tocsin.testing import TestClient
from tocsin.tracing import Call, Send, Step, Trace, Tracer


def short(name: str) -> str:
    return name.rpartition(".")[2]


def shape(node: t.Any) -> t.Any:
    """A node as comparable data: calls by kind, short name and outcome; sends with receivers."""
    if isinstance(node, Call):
        kids = [shape(c) for c in node.children]
        return ("call", node.kind, short(node.name), node.outcome, *([kids] if kids else []))
    if isinstance(node, Send):
        calls = [shape(c) for c in node.calls]
        return (
            "signal",
            node.signal,
            [short(r) for r in node.receivers],
            *([calls] if calls else []),
        )
    assert isinstance(node, Step)
    return (node.name, [shape(c) for c in node.children])


def ran(trace: Trace) -> list[t.Any]:
    return [shape(s) for s in trace.steps if s.ran]


class FakeClock:
    """A clock that moves only when told: ``step`` nanoseconds per reading."""

    def __init__(self, step: int = 0) -> None:
        self.now = 1_000_000
        self.step = step
        self.readings: list[int] = []

    def __call__(self) -> int:
        self.now += self.step
        if self.readings:
            self.now = self.readings.pop(0)
        return self.now


@pytest.fixture
def traced_app(app: Tocsin) -> tuple[Tocsin, Tracer, list[str]]:
    log: list[str] = []
    events = Namespace()
    saved = events.signal("note-saved")

    @app.before_request
    def load() -> None:
        log.append("load")

    @app.before_request
    async def check() -> None:
        log.append("check")

    @app.route("/")
    def index() -> str:
        session["n"] = session.get("n", 0) + 1
        saved.send(app, n=session["n"])
        return render_template_string("{{ 40 + 2 }}")

    @app.route("/async")
    async def index_async() -> str:
        return await render_template_string_async("{{ 6 * 7 }}")

    @app.after_request
    def add_header(response: t.Any) -> t.Any:
        response.headers["X-Seen"] = "1"
        return response

    @app.teardown_request
    def torn(exc: BaseException | None) -> None:
        log.append("torn")

    def on_saved(sender: t.Any, **kwargs: t.Any) -> None:
        log.append("on_saved")

    def started(sender: t.Any, **kwargs: t.Any) -> None:
        log.append("started")

    async def finished_async(sender: t.Any, **kwargs: t.Any) -> None:
        log.append("finished_async")

    saved.connect(on_saved, weak=False)
    request_started.connect(started, app, weak=False)
    request_finished.connect(finished_async, app, weak=False)
    tracer = Tracer(app)
    tracer.watch(events)
    yield app, tracer, log
    request_started.disconnect(started, app)
    request_finished.disconnect(finished_async, app)


def test_a_traced_request_records_its_steps_calls_signals_render_and_session(
    traced_app: tuple[Tocsin, Tracer, list[str]], driver: str
) -> None:
    app, tracer, log = traced_app
    client = app.test_client(driver=driver)
    with tracer.capture() as traces:
        response = client.get("/")
    assert response.data == b"42"
    assert [tr.path for tr in traces] == ["/"]
    trace = traces[0]
    assert (trace.method, trace.status, trace.rule, trace.endpoint) == ("GET", 200, "/", "index")
    assert ran(trace) == [
        ("push_app_context", []),
        ("match_url", []),
        (
            "request_started",
            [
                (
                    "signal",
                    "request-started",
                    ["started"],
                    [("call", "receiver", "started", "returned")],
                )
            ],
        ),
        (
            "before_request",
            [
                ("call", "before_request", "load", "returned"),
                ("call", "before_request", "check", "returned"),
            ],
        ),
        (
            "dispatch",
            [
                (
                    "call",
                    "view",
                    "index",
                    "returned",
                    [
                        ("call", "session_open", "open_session", "returned"),
                        ("signal", "note-saved", ["on_saved"]),
                        (
                            "call",
                            "render",
                            "(template string)",
                            "returned",
                            [
                                (
                                    "call",
                                    "context_processor",
                                    "_default_template_ctx_processor",
                                    "returned",
                                )
                            ],
                        ),
                    ],
                )
            ],
        ),
        ("make_response", []),  # (and step 11, in the same call)
        ("after_request", [("call", "after_request", "add_header", "returned")]),
        ("save_session", [("call", "session_save", "save_session", "returned")]),
        (
            "request_finished",
            [
                (
                    "signal",
                    "request-finished",
                    ["finished_async"],
                    [("call", "receiver", "finished_async", "returned")],
                )
            ],
        ),
        ("send_response", []),
        ("teardown_request", [("call", "teardown_request", "torn", "returned")]),
        ("pop_request_context", []),
        ("pop_app_context", []),
    ]
    assert trace.ran[:2] == ["push_app_context", "push_request_context"]  # one call does both
    assert trace.skipped == [
        "before_first_request",
        "url_value_preprocessor",
        "handle_exception",
        "teardown_appcontext",
    ]
    assert log == ["started", "load", "check", "on_saved", "finished_async", "torn"]
    assert trace.duration_ns is not None
    starts = [s.start_ns for s in trace.steps if s.ran]
    assert starts == sorted(starts)
    json.dumps(trace.as_dict())  # JSON-ready
    text = trace.format()
    assert text.splitlines()[0].startswith("GET / -> 200 in ")
    assert "skipped  9 handle_exception" in text
    assert "render (template string)" in text


def test_an_async_view_and_its_async_render_are_recorded(
    traced_app: tuple[Tocsin, Tracer, list[str]], driver: str
) -> None:
    app, tracer, _ = traced_app
    client = app.test_client(driver=driver)
    with tracer.capture() as traces:
        assert client.get("/async").data == b"42"
    (trace,) = traces
    dispatch = trace.step("dispatch")
    assert [shape(c) for c in dispatch.children] == [
        (
            "call",
            "view",
            "index_async",
            "returned",
            [
                (
                    "call",
                    "render",
                    "(template string)",
                    "returned",
                    [("call", "context_processor", "_default_template_ctx_processor", "returned")],
                )
            ],
        )
    ]


def test_a_failing_hook_and_its_error_handler(app: Tocsin, client: TestClient) -> None:
    @app.before_request
    def refuse() -> None:
        raise KeyError("nope")

    @app.route("/")
    def index() -> str:
        return "never"

    @app.errorhandler(KeyError)
    def on_key(e: KeyError) -> tuple[str, int]:
        return "handled", 409

    tracer = Tracer(app)
    assert client.get("/").status_code == 409
    trace = tracer.last
    assert trace is not None
    before = trace.step("before_request")
    assert [shape(c) for c in before.children] == [("call", "before_request", "refuse", "raised")]
    (call,) = before.children
    assert isinstance(call, Call) and isinstance(call.exception, KeyError)
    assert "dispatch" in trace.skipped  # the view never ran
    assert [shape(c) for c in trace.step("handle_exception").children] == [
        ("call", "errorhandler", "on_key", "returned")
    ]
    assert trace.ran[trace.ran.index("before_request") + 1] == "handle_exception"


def test_the_500_handler_is_in_step_9_with_got_request_exception(
    app: Tocsin, client: TestClient
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    seen: list[str] = []

    @app.route("/")
    def index() -> str:
        raise RuntimeError("boom")

    @app.errorhandler(500)
    def on_500(e: t.Any) -> tuple[str, int]:
        return "sorry", 500

    def noted(sender: t.Any, exception: BaseException, **extra: t.Any) -> None:
        seen.append(type(exception).__name__)

    tracer = Tracer(app)
    with got_request_exception.connected_to(noted, app):
        assert client.get("/").status_code == 500
    trace = tracer.last
    assert trace is not None
    assert seen == ["RuntimeError"]
    view = trace.step("dispatch").children[0]
    assert isinstance(view, Call) and view.outcome == "raised"
    assert isinstance(view.exception, RuntimeError)
    assert trace.ran.count("handle_exception") == 1  # step 9 and the error path: one step
    assert [shape(c) for c in trace.step("handle_exception").children] == [
        (
            "signal",
            "got-request-exception",
            ["noted"],
            [("call", "receiver", "noted", "returned")],
        ),
        ("call", "errorhandler", "on_500", "returned"),
    ]
    assert sorted(trace.ran + trace.skipped) == sorted(s.name for s in lifecycle.STEPS)


def test_a_raising_receiver_is_recorded_as_raised(app: Tocsin, client: TestClient) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/")
    def index() -> str:
        return "ok"

    def bad(sender: t.Any, **kwargs: t.Any) -> None:
        raise ValueError("no")

    tracer = Tracer(app)
    with request_started.connected_to(bad, app):
        assert client.get("/").status_code == 500
    trace = tracer.last
    assert trace is not None
    (send,) = trace.step("request_started").children
    assert shape(send) == (
        "signal",
        "request-started",
        ["bad"],
        [("call", "receiver", "bad", "raised")],
    )


def test_step_one_done_alone_is_its_own_step(app: Tocsin, client: TestClient) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/")
    def index() -> str:
        return "ok"

    def pushed(sender: t.Any, **extra: t.Any) -> None:
        if failing:
            raise RuntimeError("no app context for you")

    appcontext_pushed.connect(pushed, app, weak=False)
    tracer = Tracer(app)
    failing = False
    client.get("/")
    trace = tracer.last
    assert trace is not None
    assert [s.covers for s in trace.steps if s.ran][:3] == [
        ("push_app_context",),
        ("push_request_context",),
        ("match_url",),
    ]
    assert [c.kind for c in trace.step("push_app_context").calls] == ["receiver"]
    failing = True
    assert client.get("/").status_code == 500
    trace = tracer.last
    assert trace is not None
    assert trace.ran[:2] == ["push_app_context", "handle_exception"]
    assert trace.step("push_app_context").calls[0].outcome == "raised"
    assert {"push_request_context", "match_url", "dispatch"} <= set(trace.skipped)


def test_sampling_traces_one_request_in_two_and_counts_them_all(
    app: Tocsin, client: TestClient
) -> None:
    @app.route("/<int:n>")
    def number(n: int) -> str:
        return str(n)

    tracer = Tracer(app, sample=0.5)
    for n in range(10):
        client.get(f"/{n}")
    assert [tr.path for tr in tracer.traces] == ["/0", "/2", "/4", "/6", "/8"]
    stats = tracer.stats()[("/<int:n>", "GET")]
    assert (stats.count, stats.statuses, stats.durations.samples) == (10, {200: 10}, 10)
    assert {name: s.count for name, s in stats.steps.items()}["dispatch"] == 5


@pytest.mark.parametrize("sample", [0.3, 0.37, 0.01, 0.999, 1.0])
def test_sampling_spreads_the_fraction_evenly_from_the_first_request(
    app: Tocsin, client: TestClient, sample: float
) -> None:
    @app.route("/<int:n>")
    def number(n: int) -> str:
        return str(n)

    tracer = Tracer(app, keep=300, sample=sample)
    for n in range(300):
        client.get(f"/{n}")
    rate = round(sample * 1_000_000)
    # Request n is traced when the fraction added per request crosses a whole number.
    expected = [
        f"/{n}" for n in range(300) if n == 0 or n * rate // 10**6 > (n - 1) * rate // 10**6
    ]
    assert [tr.path for tr in tracer.traces] == expected
    assert len(expected) == 1 + 299 * rate // 10**6


def test_traces_holds_every_trace_until_keep_is_reached(app: Tocsin, client: TestClient) -> None:
    @app.route("/<int:n>")
    def number(n: int) -> str:
        return str(n)

    tracer = Tracer(app, keep=50)
    for n in range(30):
        client.get(f"/{n}")
    assert [tr.path for tr in tracer.traces] == [f"/{n}" for n in range(30)]
    for n in range(30, 80):
        client.get(f"/{n}")
    assert [tr.path for tr in tracer.traces] == [f"/{n}" for n in range(30, 80)]


def test_before_first_request_and_after_this_request_functions_are_traced(
    app: Tocsin, client: TestClient
) -> None:
    from tocsin import after_this_request

    @app.before_first_request
    def warm() -> None:
        pass

    @app.before_first_request
    async def warm_async() -> None:
        pass

    @app.route("/")
    def index() -> str:
        @after_this_request
        def once(response: t.Any) -> t.Any:
            response.headers["X-Once"] = "1"
            return response

        return "ok"

    tracer = Tracer(app)
    first = client.get("/")
    assert first.headers["X-Once"] == "1"
    client.get("/")
    one, two = tracer.traces
    assert shape(one.step("before_first_request")) == (
        "before_first_request",
        [
            ("call", "before_first_request", "warm", "returned"),
            ("call", "before_first_request", "warm_async", "returned"),
        ],
    )
    for trace in (one, two):  # (steps 10 and 11 are one call for a plain response)
        step = trace.step("after_this_request")
        assert "after_this_request" in step.covers
        assert [(c.kind, short(c.name), c.outcome) for c in step.calls] == [
            ("after_this_request", "once", "returned")
        ]
    assert "before_first_request" in two.skipped  # once per app


def test_an_exception_that_propagates_is_counted_as_the_servers_500(
    app: Tocsin, client: TestClient
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = True

    @app.route("/boom/<int:n>")
    def boom(n: int) -> str:
        raise ValueError(f"boom {n}")

    tracer = Tracer(app, sample=0.5)  # the first request is traced, the second is not
    for n in (1, 2):
        with pytest.raises(ValueError, match=f"boom {n}"):
            client.get(f"/boom/{n}")
    (trace,) = tracer.traces
    assert (trace.status, trace.rule, trace.path) == (500, "/boom/<int:n>", "/boom/1")
    assert isinstance(trace.raised, ValueError) and str(trace.raised) == "boom 1"
    assert trace.duration_ns is not None
    assert "send" not in trace.ran  # step 15 did not run
    assert trace.as_dict()["raised"] == {"type": "ValueError", "message": "boom 1"}
    assert trace.format().splitlines()[1] == "raised to the server: ValueError: boom 1"
    route = tracer.stats()[("/boom/<int:n>", "GET")]
    assert (route.count, route.statuses, route.durations.samples) == (2, {500: 2}, 2)


def test_a_failing_500_handler_is_counted_as_the_servers_500(
    app: Tocsin, client: TestClient
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom")
    def boom() -> str:
        raise ValueError("first")

    @app.errorhandler(500)
    def broken(e: Exception) -> str:
        raise KeyError("second")

    tracer = Tracer(app)
    with pytest.raises(KeyError):
        client.get("/boom")
    trace = tracer.last
    assert trace is not None and trace.status == 500
    assert isinstance(trace.raised, KeyError)
    assert tracer.stats()[("/boom", "GET")].statuses == {500: 1}


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no text")


def test_an_exception_whose_str_fails_is_still_shown(app: Tocsin, client: TestClient) -> None:
    @app.route("/odd")
    def odd() -> str:
        raise Unprintable()

    @app.errorhandler(Unprintable)
    def answer(e: Unprintable) -> tuple[str, int]:
        return "odd", 409

    tracer = Tracer(app)
    assert client.get("/odd").status_code == 409
    trace = tracer.last
    assert trace is not None
    (view,) = [c for c in trace.calls if c.kind == "view"]
    assert view.as_dict()["exception"] == {
        "type": "Unprintable",
        "message": "(str() of this Unprintable failed)",
    }
    assert "Unprintable: (str() of this Unprintable failed)" in trace.format()
    json.dumps(trace.as_dict())


def test_forget_drops_one_trace_and_keeps_its_counts(app: Tocsin, client: TestClient) -> None:
    @app.route("/<int:n>")
    def number(n: int) -> str:
        return str(n)

    tracer = Tracer(app, keep=3)
    for n in range(4):
        client.get(f"/{n}")
    latest = tracer.traces
    tracer.forget(latest[-1])  # the newest (the usual case)
    tracer.forget(latest[0])  # one further back
    tracer.forget(latest[0])  # already forgotten: nothing happens
    assert [tr.path for tr in tracer.traces] == ["/0", "/2"]
    assert tracer.stats()[("/<int:n>", "GET")].count == 4


def test_from_config_reads_the_trace_keys(app: Tocsin) -> None:
    app.config.update(TRACE_SAMPLE=0.25, TRACE_KEEP=7, TRACE_SERVER_TIMING=True)
    tracer = Tracer.from_config(app)
    assert (tracer.sample, tracer.keep, tracer.server_timing) == (0.25, 7, True)
    assert app.tracer is tracer


def test_sampling_goes_on_after_a_capture(app: Tocsin, client: TestClient) -> None:
    @app.route("/<int:n>")
    def number(n: int) -> str:
        return str(n)

    tracer = Tracer(app, sample=0.25)
    client.get("/0")  # traced: the first request is
    with tracer.capture() as traces:
        client.get("/1")
        client.get("/2")
    for n in range(3, 12):
        client.get(f"/{n}")
    assert [tr.path for tr in traces] == ["/1", "/2"]
    assert [tr.path for tr in tracer.traces] == ["/0", "/1", "/2", "/6", "/10"]
    assert tracer.stats()[("/<int:n>", "GET")].count == 12


def test_an_unsampled_request_runs_the_plain_plan(app: Tocsin, client: TestClient) -> None:
    @app.route("/")
    def index() -> str:
        return "ok"

    tracer = Tracer(app, sample=0.0)
    for _ in range(3):
        client.get("/")
    assert tracer.traces == []
    assert app.compiled is not None and app.compiled.twin is None  # no wrapper compiled
    assert tracer.stats()[("/", "GET")].count == 3


def test_stats_percentiles_of_known_durations(app: Tocsin, client: TestClient) -> None:
    @app.route("/<int:n>")
    def number(n: int) -> tuple[str, int]:
        return str(n), 201 if n % 10 == 0 else 200

    clock = FakeClock()
    tracer = Tracer(app, sample=0.0, clock=clock)
    durations = [(n * 37) % 100 + 1 for n in range(100)]  # 1 to 100 ms, shuffled
    for n, ms in enumerate(durations):
        clock.readings = [n * 10**9, n * 10**9 + ms * 10**6]  # begin, then step 15
        client.get(f"/{n}")
    client.get("/missing")  # no rule
    stats = tracer.stats()
    assert list(stats) == [("/<int:n>", "GET"), (None, "GET")]
    route = stats[("/<int:n>", "GET")]
    assert route.count == 100
    assert route.statuses == {200: 90, 201: 10}
    assert (route.durations.p50_ns, route.durations.p95_ns, route.durations.max_ns) == (
        50 * 10**6,
        95 * 10**6,
        100 * 10**6,
    )
    assert stats[(None, "GET")].statuses == {404: 1}
    data = route.as_dict()
    assert (data["p50_ms"], data["p95_ms"], data["max_ms"]) == (50.0, 95.0, 100.0)


def test_per_step_stats_come_from_the_sampled_requests(app: Tocsin, client: TestClient) -> None:
    @app.route("/")
    def index() -> str:
        return "ok"

    tracer = Tracer(app, clock=FakeClock(step=1000))
    for _ in range(4):
        client.get("/")
    steps = tracer.stats()[("/", "GET")].steps
    assert list(steps) == [
        "push_app_context",
        "match_url",
        "dispatch",
        "make_response",
        "send_response",
        "teardown_request",
    ]
    for s in steps.values():  # the same requests on a steady clock: the same durations
        assert s.count == 4 and s.raised == 0
        assert s.durations.p50_ns == s.durations.p95_ns == s.durations.max_ns > 0


def test_capture_traces_every_request_inside_it_only(app: Tocsin, client: TestClient) -> None:
    @app.route("/<int:n>")
    def number(n: int) -> str:
        return str(n)

    tracer = Tracer(app, sample=0.0)
    client.get("/1")
    with tracer.capture() as traces:
        client.get("/2")
        client.get("/3")
    client.get("/4")
    assert [tr.path for tr in traces] == ["/2", "/3"]
    assert [tr.path for tr in tracer.traces] == ["/2", "/3"]
    assert tracer.stats()[("/<int:n>", "GET")].count == 4


def test_config_keys_install_the_tracer(app: Tocsin, client: TestClient) -> None:
    app.config.update(TRACE=True, TRACE_SAMPLE=0.5, TRACE_KEEP=1, TRACE_SERVER_TIMING=True)

    @app.route("/<int:n>")
    def number(n: int) -> str:
        return str(n)

    first = client.get("/1").headers["Server-Timing"]
    second = client.get("/2").headers["Server-Timing"]
    client.get("/3")
    tracer = app.tracer
    assert tracer is not None
    assert (tracer.sample, tracer.server_timing) == (0.5, True)
    assert [tr.path for tr in tracer.traces] == ["/3"]  # keep=1; /2 was not sampled
    assert [part.split(";")[0] for part in first.split(", ")][-2:] == ["make_response", "total"]
    assert second.startswith("total;dur=") and "," not in second


def test_a_second_tracer_is_an_error_that_names_app_tracer(app: Tocsin) -> None:
    first = Tracer(app)
    with pytest.raises(RuntimeError, match=r"app\.tracer"):
        Tracer(app)
    assert app.tracer is first
    first.uninstall()
    assert app.tracer is None
    assert Tracer(app, sample=0.25).sample == 0.25


def test_sample_must_be_a_fraction(app: Tocsin) -> None:
    with pytest.raises(ValueError, match="fraction"):
        Tracer(app, sample=2)
    assert app.tracer is None


def test_a_streamed_response_ends_its_trace_when_the_body_is_done(
    app: Tocsin, client: TestClient
) -> None:
    from tocsin import stream_with_context

    @app.route("/stream")
    def stream() -> t.Any:
        return stream_with_context(iter(["a", "b"]))

    @app.teardown_request
    def torn(exc: BaseException | None) -> None:
        pass

    tracer = Tracer(app)
    response = client.get("/stream")
    assert response.get_data() == b"ab"
    response.close()
    trace = tracer.last
    assert trace is not None and trace.duration_ns is not None
    assert trace.ran[-4:] == [  # (nothing registered for step 18)
        "send_response",
        "teardown_request",
        "pop_request_context",
        "pop_app_context",
    ]
    assert trace.step("send_response").duration_ns is not None  # until teardown began
    assert [shape(c) for c in trace.step("teardown_request").children] == [
        ("call", "teardown_request", "torn", "returned")
    ]


def test_a_custom_session_interface_opens_in_step_2(app: Tocsin, client: TestClient) -> None:
    from tocsin.sessions import SecureCookieSessionInterface

    class Sessions(SecureCookieSessionInterface):
        def open_session(self, app: t.Any, request: t.Any) -> t.Any:
            return super().open_session(app, request)

    app.session_interface = Sessions()

    @app.route("/")
    def index() -> str:
        return "ok"

    tracer = Tracer(app)
    assert client.get("/").data == b"ok"
    trace = tracer.last
    assert trace is not None
    assert [shape(c) for c in trace.step("push_request_context").children] == [
        ("call", "session_open", "open_session", "returned")
    ]
    assert trace.step("push_request_context").covers == ("push_request_context",)
    saved = [shape(c) for c in trace.step("save_session").children]
    assert saved == [("call", "session_save", "save_session", "returned")]


def test_subscribers_get_each_traced_request_as_it_begins_and_once_it_is_over(
    app: Tocsin, client: TestClient
) -> None:
    seen: list[t.Any] = []

    @app.route("/<int:n>")
    def show(n: int) -> str:
        seen.append(("view", n))
        return str(n)

    tracer = Tracer(app, sample=0.5)  # the 1st and 3rd requests are traced
    cancel = tracer.subscribe(
        lambda trace: seen.append(("finished", trace.path, trace.status, trace.duration_ns > 0)),
        began=lambda ctx, trace: seen.append(("began", ctx.environ.get("HTTP_X_ID"), trace.path)),
    )
    for n in (1, 2, 3):
        assert client.get(f"/{n}", headers={"X-Id": f"id{n}"}).status_code == 200
    cancel()
    client.get("/4")
    assert seen == [
        ("began", "id1", "/1"),
        ("view", 1),
        ("finished", "/1", 200, True),
        ("view", 2),
        ("began", "id3", "/3"),
        ("view", 3),
        ("finished", "/3", 200, True),
        ("view", 4),
    ]


def test_a_failing_subscriber_is_logged_and_the_request_goes_on(
    app: Tocsin, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.route("/")
    def index() -> str:
        return "ok"

    def broken(*args: t.Any) -> None:
        raise ValueError("subscriber bug")

    tracer = Tracer(app)
    tracer.subscribe(broken, began=broken)
    after: list[int | None] = []
    tracer.subscribe(lambda trace: after.append(trace.status))
    response = client.get("/")
    assert (response.status_code, response.data) == (200, b"ok")
    assert after == [200]
    failures = [r for r in caplog.records if r.name == "tocsin.tracing"]
    assert [r.getMessage() for r in failures] == [
        "A tracer subscriber failed when a request began",
        "A tracer subscriber failed with a finished trace",
    ]
    assert all(str(r.exc_info[1]) == "subscriber bug" for r in failures if r.exc_info)


def test_keep_bounds_the_traces_shown_not_the_per_step_stats(
    app: Tocsin, client: TestClient
) -> None:
    @app.route("/<int:n>")
    def show(n: int) -> str:
        return str(n)

    tracer = Tracer(app, keep=2)
    for n in range(5):
        client.get(f"/{n}")
    assert [tr.path for tr in tracer.traces] == ["/3", "/4"]
    assert tracer.last is not None and tracer.last.path == "/4"
    assert tracer.stats()[("/<int:n>", "GET")].steps["dispatch"].count == 5
    tracer.uninstall()
    nothing = Tracer(app, keep=0)
    client.get("/1")
    assert (nothing.traces, nothing.last) == ([], None)
    assert nothing.stats()[("/<int:n>", "GET")].count == 1
    nothing.uninstall()
    with pytest.raises(ValueError, match="keep must be a number of traces, 0 or more, not -1"):
        Tracer(app, keep=-1)
