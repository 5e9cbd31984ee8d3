"""The ``/lifecycle`` page: what the last requests went through, from the app's tracer.

``create_app`` installs a :class:`tocsin.tracing.Tracer`; each request's
trace lists the lifecycle steps in the order they ran (named as in
:data:`tocsin.lifecycle.STEPS`; those with nothing registered are shown as
skipped), the hook functions, views, receivers and renders called in each
step with their durations and outcomes, the signals sent, and the time of
each. The page's own requests and static files are left out unless
``?all=1`` is given.
"""

from __future__ import annotations

import typing as t

from tocsin import Blueprint, current_app, render_template, request, url_for
from tocsin.globals import request_ctx
from tocsin.lifecycle import STEPS
from tocsin.tracing import Call, Node, Send, Trace, Tracer

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
    """A trace as rows for the template: each step of the table, with its calls and signals.

    A step one call did together with others (steps 1 and 2, say) is one row
    per step, the first one timed; a skipped step (nothing registered) is a
    row without times.
    """
    rows: list[dict[str, t.Any]] = []
    for step in trace.steps:
        items: list[dict[str, t.Any]] = []
        _items(step.children, 0, items)
        for k, name in enumerate(step.covers):
            rows.append(
                {
                    "number": _NUMBERS.get(name),
                    "name": name,
                    "ran": step.ran,
                    "same_call": k > 0,
                    "at_ms": None if step.start_ns is None else step.start_ns / 1e6,
                    "ms": None if step.duration_ns is None else step.duration_ns / 1e6,
                    "items": items if k == 0 else [],
                }
            )
    return {
        "trace": trace,
        "own": is_own(trace),
        "steps": rows,
        "ran": len(trace.ran),
        "duration_ms": (trace.duration_ns or 0) / 1e6,
    }


def _items(nodes: tuple[Node, ...], depth: int, out: list[dict[str, t.Any]]) -> None:
    """The calls and signals of a step, depth first, each with its depth."""
    for node in nodes:
        if isinstance(node, Call):
            out.append(
                {
                    "kind": "call",
                    "name": node.kind,
                    "detail": node.name,
                    "depth": depth,
                    "ms": None if node.duration_ns is None else node.duration_ns / 1e6,
                    "outcome": node.outcome,
                }
            )
            _items(node.children, depth + 1, out)
        elif isinstance(node, Send):
            out.append(
                {
                    "kind": "signal",
                    "name": node.signal,
                    "detail": ", ".join(node.receivers),
                    "count": len(node.receivers),
                    "depth": depth,
                    "ms": None if node.duration_ns is None else node.duration_ns / 1e6,
                    "outcome": "",
                }
            )
            _items(node.calls, depth + 1, out)


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
        data["ran"] = tr.ran
        data["skipped"] = tr.skipped
        data["events"] = [
            {"ms": e.at_ns / 1e6, "kind": e.kind, "name": e.name, "detail": e.detail}
            for e in tr.events
        ]
        traces.append(data)
    return {"traces": traces}
