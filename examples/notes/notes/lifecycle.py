"""The ``/lifecycle`` page: what the last requests went through, from the app's tracer.

``create_app`` installs a :class:`tocsin.tracing.Tracer`; each request's
trace lists the lifecycle steps in the order they ran (named as in
:data:`tocsin.lifecycle.STEPS`), the hook functions and views called in each
step, the signals sent, and the time of each. The page's own requests and
static files are left out unless ``?all=1`` is given.
"""

from __future__ import annotations

import typing as t

from tocsin import Blueprint, current_app, render_template, request, url_for
from tocsin.globals import request_ctx
from tocsin.lifecycle import STEPS
from tocsin.tracing import Trace, Tracer

bp = Blueprint("lifecycle", __name__)

_NUMBERS = {s.name: s.number for s in STEPS}


def tracer() -> Tracer:
    """The tracer that ``create_app`` installed."""
    return t.cast(Tracer, current_app.extensions["notes.tracer"])


def is_own(trace: Trace) -> bool:
    """True for the lifecycle pages' own requests and for static files."""
    static = url_for("static", filename="")
    return trace.path.startswith(("/lifecycle", static))


def shown_traces() -> list[Trace]:
    """The finished traces to show, newest first."""
    everything = request.args.get("all") == "1"
    current = request_ctx.trace
    return [
        tr
        for tr in reversed(tracer().traces)
        if tr is not current and tr.duration_ns is not None and (everything or not is_own(tr))
    ]


def trace_view(trace: Trace) -> dict[str, t.Any]:
    """A trace grouped by step, each with its calls and signals, for the template."""
    durations = iter(trace.step_durations())
    steps: list[dict[str, t.Any]] = []
    for event in trace.events:
        if event.kind == "step":
            _, ms = next(durations)
            steps.append(
                {
                    "number": _NUMBERS.get(event.name),
                    "name": event.name,
                    "at_ms": event.at_ns / 1e6,
                    "ms": ms,
                    "items": [],
                }
            )
        elif steps:
            steps[-1]["items"].append(
                {
                    "kind": event.kind,
                    "name": event.name,
                    "detail": event.detail,
                    "at_ms": event.at_ns / 1e6,
                }
            )
    return {
        "trace": trace,
        "own": is_own(trace),
        "steps": steps,
        "duration_ms": (trace.duration_ns or 0) / 1e6,
    }


@bp.get("/lifecycle")
def page() -> t.Any:
    """The recent requests, each with its steps, calls, signals and timings."""
    views = [trace_view(tr) for tr in shown_traces()]
    statuses = sorted(current_app.extensions["notes.statuses"].items())
    return render_template(
        "lifecycle.html",
        traces=views,
        statuses=statuses,
        steps=STEPS,
        everything=request.args.get("all") == "1",
    )


@bp.get("/lifecycle.json")
def as_json() -> t.Any:
    """The same traces as JSON: ``{"traces": [...]}``, newest first."""
    traces = []
    for tr in shown_traces():
        data = tr.as_dict()
        data["steps"] = tr.steps
        data["step_durations"] = [[name, ms] for name, ms in tr.step_durations()]
        traces.append(data)
    return {"traces": traces}
