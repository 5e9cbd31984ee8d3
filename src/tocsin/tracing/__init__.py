"""The lifecycle tracer: what ran, in which order, how long it took, and how it ended.

Turn it on with :class:`Tracer` (or ``TRACE = True`` in the config, read at
the first request)::

    tracer = Tracer(app, keep=50, server_timing=False, sample=1.0)
    client.get("/")
    print(tracer.last.format())
    tracer.stats()[("/", "GET")].durations.p95_ns

A traced request gets a :class:`Trace`: each lifecycle :class:`Step`
(named as in :data:`tocsin.lifecycle.STEPS`; skipped when nothing is
registered for it), with start and duration, and nested in it each
:class:`Call` (hook, view, error handler, context processor, receiver,
template render, session open and save) with its duration and outcome, and
each signal :class:`Send` with the receivers it reached. ``sample`` is the
fraction of requests traced so; every request, traced or not, feeds the
per-route aggregates of :meth:`Tracer.stats`.

How: installing a tracer makes the app compile a traced twin of its plans
(:mod:`tocsin._compile`), the same plans with each entry and call wrapped
by :class:`Wrapper`; a request that is sampled runs the twin, any other
runs the plain plans. Without a tracer there is no twin and no wrapper.
"""

from __future__ import annotations

from ._record import Call, Event, Node, Send, Step, Trace, exception_text
from ._stats import WINDOW, Durations, RouteStats, StepStats
from ._tracer import STATS_TRACES, Tracer
from ._wrap import Wrapper

__all__ = [
    "STATS_TRACES",
    "WINDOW",
    "Call",
    "Durations",
    "Event",
    "Node",
    "RouteStats",
    "Send",
    "Step",
    "StepStats",
    "Trace",
    "Tracer",
    "Wrapper",
    "exception_text",
]
