"""Per-route aggregates: counts and duration percentiles, bounded in memory.

Every request (sampled or not) adds its duration to its route's
:class:`Route`: to a deque of the last :data:`WINDOW` durations, to the
counter of its status, to the maximum. Percentiles are
computed from the deque when :meth:`Tracer.stats` is called.
"""

from __future__ import annotations

import collections
import math
import typing as t
from dataclasses import dataclass, field

if t.TYPE_CHECKING:
    from ._record import Trace

__all__ = ["WINDOW", "Durations", "Route", "RouteStats", "StepStats", "percentile"]

#: How many of a route's latest durations its percentiles are computed from (a power of 2).
WINDOW = 1024


class Route:
    """The running aggregate of one route and method (written by :meth:`Tracer.annotate`)."""

    __slots__ = ("codes", "latest", "max", "method", "odd_codes", "rule")

    def __init__(self, rule: str | None, method: str) -> None:
        self.rule = rule
        self.method = method
        self.max = 0
        #: Responses by status code (an index of a list is cheaper to bump than a dict's key).
        self.codes = [0] * 600
        #: Those of a code beyond 599.
        self.odd_codes: dict[int, int] = {}
        #: The latest :data:`WINDOW` durations.
        self.latest: collections.deque[int] = collections.deque(maxlen=WINDOW)

    def add(self, duration_ns: int, status: int) -> None:
        """Count one request (what :meth:`Tracer.annotate` does inline, for speed)."""
        self.latest.append(duration_ns)
        if duration_ns > self.max:
            self.max = duration_ns
        if 0 <= status < len(self.codes):
            self.codes[status] += 1
        else:
            self.odd_codes[status] = self.odd_codes.get(status, 0) + 1

    @property
    def count(self) -> int:
        """Requests counted."""
        return sum(self.codes) + sum(self.odd_codes.values())

    def window(self) -> list[int]:
        """The durations kept, oldest first."""
        return list(self.latest)

    def statuses(self) -> dict[int, int]:
        """Responses by status code."""
        out = {code: n for code, n in enumerate(self.codes) if n}
        for code, n in self.odd_codes.items():
            out[code] = out.get(code, 0) + n
        return out


def percentile(values: t.Sequence[int], p: float) -> int:
    """The nearest-rank *p* percentile (0 < *p* <= 100) of sorted *values* (0 if empty)."""
    if not values:
        return 0
    return values[max(0, math.ceil(p / 100 * len(values)) - 1)]


@dataclass(frozen=True)
class Durations:
    """Percentiles of a set of durations, in nanoseconds."""

    #: How many durations they are computed from.
    samples: int
    p50_ns: int
    p95_ns: int
    max_ns: int

    @classmethod
    def of(cls, values: list[int], max_ns: int | None = None) -> Durations:
        """The percentiles of *values* (``max_ns``: the maximum, when known beyond them)."""
        values = sorted(values)
        top = max_ns if max_ns is not None else (values[-1] if values else 0)
        return cls(len(values), percentile(values, 50), percentile(values, 95), top)

    def as_dict(self) -> dict[str, t.Any]:
        """JSON-ready data, in milliseconds."""
        return {
            "samples": self.samples,
            "p50_ms": self.p50_ns / 1e6,
            "p95_ms": self.p95_ns / 1e6,
            "max_ms": self.max_ns / 1e6,
        }


@dataclass(frozen=True)
class StepStats:
    """One step of one route, from its sampled requests."""

    name: str
    #: How many times it ran, and how many of them raised.
    count: int
    raised: int
    durations: Durations

    def as_dict(self) -> dict[str, t.Any]:
        """JSON-ready data."""
        return {"count": self.count, "raised": self.raised, **self.durations.as_dict()}


@dataclass(frozen=True)
class RouteStats:
    """What :meth:`Tracer.stats` says of one route (URL rule) and method."""

    #: The URL rule (``"/notes/<int:id>"``), ``None`` for requests no rule matched.
    rule: str | None
    method: str
    #: Requests counted (every one, sampled or not) since the tracer was installed.
    count: int
    #: Responses by status code.
    statuses: dict[int, int]
    #: From step 1 to the response handed to the server (step 15), over the
    #: latest :data:`WINDOW` requests; ``max_ns`` over all of them.
    durations: Durations
    #: Per step name, from the sampled requests the tracer still holds.
    steps: dict[str, StepStats] = field(default_factory=dict)

    def as_dict(self) -> dict[str, t.Any]:
        """JSON-ready data."""
        return {
            "rule": self.rule,
            "method": self.method,
            "count": self.count,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            **self.durations.as_dict(),
            "steps": {name: s.as_dict() for name, s in self.steps.items()},
        }


def route_stats(
    routes: t.Iterable[Route], traces: t.Iterable[Trace]
) -> dict[tuple[str | None, str], RouteStats]:
    """Aggregate *routes* (several rule objects may share a rule string) and *traces*' steps."""
    merged: dict[tuple[str | None, str], tuple[int, int, dict[int, int], list[int]]] = {}
    for r in routes:
        key = (r.rule, r.method)
        count, top, codes, window = merged.get(key, (0, 0, {}, []))
        for code, n in r.statuses().items():
            codes[code] = codes.get(code, 0) + n
        merged[key] = (count + r.count, max(top, r.max), codes, window + r.window())
    steps: dict[tuple[str | None, str], dict[str, list[t.Any]]] = {}
    for trace in traces:
        key = (trace.rule, trace.method)
        by_step = steps.setdefault(key, {})
        for s in trace.steps:
            if s.ran and s.duration_ns is not None:
                slot = by_step.setdefault(s.name, [0, []])
                slot[0] += s.outcome == "raised"
                slot[1].append(s.duration_ns)
    out: dict[tuple[str | None, str], RouteStats] = {}
    for key, (count, top, codes, window) in sorted(merged.items(), key=_order):
        out[key] = RouteStats(
            key[0],
            key[1],
            count,
            dict(sorted(codes.items())),
            Durations.of(window, top),
            {
                name: StepStats(name, len(ds), raised, Durations.of(ds))
                for name, (raised, ds) in steps.get(key, {}).items()
            },
        )
    return out


def _order(item: tuple[tuple[str | None, str], t.Any]) -> tuple[str, str]:
    (rule, method), _ = item
    return (rule if rule is not None else "\uffff", method)
