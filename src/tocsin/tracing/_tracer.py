"""The :class:`Tracer`: which requests are traced, what is kept, the per-route aggregates."""

from __future__ import annotations

import collections
import contextlib
import logging
import time
import typing as t

from ._record import _SEND, Trace, _milliseconds, _record_watched, current
from ._stats import Route, RouteStats, route_stats
from ._wrap import Wrapper

if t.TYPE_CHECKING:
    from ..app import Tocsin
    from ..ctx import RequestContext
    from ..signals import Namespace

__all__ = ["STATS_TRACES", "Tracer"]

log = logging.getLogger("tocsin.tracing")

#: How many of the latest sampled traces per-step figures are computed from.
STATS_TRACES = 256
#: The sampling counter's unit: ``sample`` is kept as parts per million.
_ONE = 1_000_000
#: The countdown of a tracer that samples nothing: never reaches 0.
_NEVER = 1 << 62
#: Methods a route's aggregates are kept for by name; any other is counted as ``OTHER``
#: for requests no rule matched (their method is the client's choice: memory stays bounded).
_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))


class Tracer:
    """Traces the requests of *app*: a full :class:`Trace` for a fraction, counts for all.

    :param keep: how many of the latest traces :attr:`traces` keeps.
    :param server_timing: add a ``Server-Timing`` header to every response
        (each step's duration for a traced request, the total for the others).
    :param sample: the fraction of requests traced in full, from 0 to 1;
        one request in ``1 / sample`` is (the first one is), by a counter,
        not at random. Every request feeds :meth:`stats`.
    :param clock: what gives the time in nanoseconds (``time.perf_counter_ns``;
        tests give a fake one).

    An app has one tracer at most (``app.tracer``); the config keys ``TRACE``,
    ``TRACE_SAMPLE``, ``TRACE_KEEP`` and ``TRACE_SERVER_TIMING`` install one
    at the first request.
    """

    def __init__(
        self,
        app: Tocsin,
        keep: int = 50,
        server_timing: bool = False,
        sample: float = 1.0,
        *,
        clock: t.Callable[[], int] | None = None,
    ) -> None:
        if app.tracer is not None:
            raise RuntimeError(
                f"the app {app.name!r} already has a tracer: use it through app.tracer (or call"
                " app.tracer.uninstall() before installing another)"
            )
        if not 0.0 <= sample <= 1.0:
            raise ValueError(f"sample must be a fraction from 0 to 1, not {sample!r}")
        self.app = app
        self.server_timing = server_timing
        #: The fraction of requests traced in full.
        self.sample = sample
        self._rate = round(sample * _ONE)
        #: The sampling counter: what ``sample`` added since the last sampled request,
        #: in parts per million, and how many requests are left until the next one.
        self._residue = 0
        self._skip = 0 if self._rate else _NEVER  # the first request is traced
        self._clock: t.Callable[[], int] = clock if clock is not None else time.perf_counter_ns
        if keep < 0:
            raise ValueError(f"keep must be a number of traces, 0 or more, not {keep!r}")
        self.keep = keep
        #: The latest traces: the last ``keep`` are :attr:`traces`, the last
        #: :data:`STATS_TRACES` feed the per-step figures of :meth:`stats`.
        self._latest: collections.deque[Trace] = collections.deque(maxlen=max(keep, STATS_TRACES))
        self._routes: dict[str | None, dict[str, Route]] = {}
        self._captures: list[list[Trace]] = []
        self._watched: list[Namespace] = []
        self._began: list[t.Callable[[RequestContext, Trace], None]] = []
        self._finished: list[t.Callable[[Trace], None]] = []
        app.tracer = self
        app._changed()  # compiled again, with a traced twin

    @classmethod
    def from_config(cls, app: Tocsin) -> Tracer:
        """A tracer for *app* as its config's ``TRACE_*`` keys describe it (``TRACE`` aside)."""
        config = app.config
        return cls(
            app,
            keep=config.get("TRACE_KEEP", 50),
            server_timing=bool(
                config.get("TRACE_SERVER_TIMING") or config.get("TRACE_HEADER", False)
            ),
            sample=config.get("TRACE_SAMPLE", 1.0),
        )

    def wrapper(self) -> Wrapper:
        """What the compiler wraps the traced plans' steps and calls with."""
        return Wrapper(self._clock, self._finished)

    def subscribe(
        self,
        finished: t.Callable[[Trace], None] | None = None,
        *,
        began: t.Callable[[RequestContext, Trace], None] | None = None,
    ) -> t.Callable[[], None]:
        """Call ``finished(trace)`` when each traced request is over (after step 19).

        :param began: called, as ``began(ctx, trace)``, when a traced request
            begins (before step 1), to read what only the request has (a
            header, say). Either may be left out, not both.
        :return: a function that cancels the subscription.

        What a subscriber raises is logged (logger ``tocsin.tracing``), never
        raised into the request. Exporters (:mod:`tocsin.tracing.otel`) and
        tools (:mod:`tocsin.devtools`) are built on this.
        """
        if finished is None and began is None:
            raise TypeError("subscribe() needs finished, began or both")
        if finished is not None:
            self._finished.append(finished)
        if began is not None:
            self._began.append(began)

        def cancel() -> None:
            if finished is not None and finished in self._finished:
                self._finished.remove(finished)
            if began is not None and began in self._began:
                self._began.remove(began)

        return cancel

    # -- per request (called by the drivers) ---------------------------------------------

    def begin(self, ctx: RequestContext) -> Trace | None:
        """Start the request of *ctx*: its :class:`Trace` if it is sampled, else ``None``.

        A sampled request's trace is kept, made current (for the wrappers of
        calls) and given to the ``began`` subscribers.
        """
        skip = self._skip
        if skip:  # not sampled: only timed, for stats()
            self._skip = skip - 1
            clock = self._clock  # (an attribute called: cheaper read first, then called)
            ctx.trace_t0 = clock()
            return None
        if self._rate != _ONE:  # (every request is sampled: the countdown stays at 0)
            self._schedule()
        trace = ctx.trace = Trace(ctx, self._clock)
        ctx.trace_t0 = trace._t0
        current.set(trace)
        self._latest.append(trace)
        if self._captures:
            for captured in self._captures:
                captured.append(trace)
        if self._began:
            self._tell_began(ctx, trace)
        return trace

    def _schedule(self) -> None:
        """Count down to the next sampled request: ``sample`` added per request reaches one."""
        rate = self._rate
        if not rate:
            self._skip = _NEVER
            return
        gap = (_ONE - self._residue + rate - 1) // rate  # requests from this one to the next
        self._residue += gap * rate - _ONE
        self._skip = gap - 1

    def _tell_began(self, ctx: RequestContext, trace: Trace) -> None:
        for began in self._began:
            try:
                began(ctx, trace)
            except Exception:
                log.exception("A tracer subscriber failed when a request began")

    def annotate(self, ctx: RequestContext, response: t.Any) -> None:
        """Step 15: count the request, add ``Server-Timing`` if asked (called by the drivers)."""
        clock = self._clock
        now = clock()
        try:
            d = now - ctx.trace_t0
        except AttributeError:  # begun before this tracer was installed
            return
        direct = type(response) is tuple  # (status code, headers, body): see _pipeline.Direct
        status = response[0] if direct else response._status_code  # (Werkzeug's storage)
        rule = ctx.url_rule
        try:
            route = self._routes[rule.rule if rule is not None else None][ctx.method]
        except KeyError:
            route = self._route(rule.rule if rule is not None else None, ctx.method)
        # Route.add, written out (a call costs a hello about 1%):
        route.latest.append(d)
        if d > route.max:
            route.max = d
        try:
            route.codes[status] += 1
        except IndexError:
            route.odd_codes[status] = route.odd_codes.get(status, 0) + 1
        trace = ctx.trace
        if trace is not None:
            trace.status = status
            trace._matched = rule
            value = trace.server_timing(now) if self.server_timing else None
            trace._marks.append((_SEND, now, len(trace._raw)))  # step 15 begins
        elif self.server_timing:
            value = "total;dur=" + _milliseconds(d)
        else:
            return
        if value is None:
            return
        if direct:
            response[1].append(("Server-Timing", value))
        else:
            response.headers["Server-Timing"] = value

    def propagated(self, ctx: RequestContext, e: BaseException) -> None:
        """*e* propagates out of the app (called by the pipeline): counted as the 500 servers send.

        A sampled request's trace gets ``status`` 500, :attr:`Trace.raised`
        and the rule it matched; step 15 does not run.
        """
        clock = self._clock
        now = clock()
        try:
            d = now - ctx.trace_t0
        except AttributeError:  # begun before this tracer was installed
            return
        rule = ctx.url_rule
        key = rule.rule if rule is not None else None
        route = self._routes.get(key, {}).get(ctx.method) or self._route(key, ctx.method)
        route.add(d, 500)
        trace = ctx.trace
        if trace is not None:
            trace.status = 500
            trace.raised = e
            trace._matched = rule

    def _route(self, rule: str | None, method: str) -> Route:
        """A new route aggregate (once per rule and method)."""
        by_method = self._routes.setdefault(rule, {})
        if rule is None and method not in _METHODS:
            method = "OTHER"
            if method in by_method:
                return by_method[method]
        route = by_method[method] = Route(rule, method)
        return route

    # -- reading ----------------------------------------------------------------------------

    def stats(self) -> dict[tuple[str | None, str], RouteStats]:
        """Per ``(rule, method)``: request count, statuses, duration percentiles, per-step figures.

        Durations run from step 1 to the response handed to the server (step
        15); percentiles are over each route's latest requests (up to
        :data:`~tocsin.tracing.WINDOW`), the maximum and counts over all of
        them. Per-step figures come from the latest sampled requests (up to
        :data:`STATS_TRACES`). Requests no rule matched have ``None`` as rule.
        """
        routes = [r for by_method in list(self._routes.values()) for r in by_method.values()]
        recent = list(self._latest)[-STATS_TRACES:]
        return route_stats(routes, [tr for tr in recent if tr.duration_ns is not None])

    @contextlib.contextmanager
    def capture(self) -> t.Iterator[list[Trace]]:
        """Collect the traces of the requests begun inside the ``with`` block (for tests).

        Every such request is traced in full, whatever ``sample`` says.
        """
        captured: list[Trace] = []
        self._captures.append(captured)
        self._rate = _ONE  # every request is sampled meanwhile
        self._skip = 0
        try:
            yield captured
        finally:
            self._captures.remove(captured)
            if not self._captures:
                self._rate = round(self.sample * _ONE)
                self._schedule()

    def watch(self, namespace: Namespace) -> None:
        """Record the sends of every signal of *namespace* (custom signals) in traces.

        A send appears where it happened (in the view's call, say), with the
        receivers it reached. One recorder serves every tracer watching the
        namespace; it writes into the trace of the current request when that
        request's app is traced by a watcher.
        """
        namespace.connect_all(_record_watched)
        self._watched.append(namespace)

    @property
    def traces(self) -> list[Trace]:
        """The kept traces, oldest first."""
        latest = list(self._latest)
        return latest[max(0, len(latest) - self.keep) :]

    @property
    def last(self) -> Trace | None:
        """The most recent trace, if any."""
        traces = self._latest
        return traces[-1] if traces and self.keep else None

    def forget(self, trace: Trace) -> None:
        """Stop keeping *trace* (a tool's own request, say); its route's counts stay."""
        latest = self._latest
        if latest and latest[-1] is trace:  # (the usual case: the request just finished)
            latest.pop()
        elif trace in latest:
            latest.remove(trace)

    def clear(self) -> None:
        """Forget the kept traces and the aggregates."""
        self._latest.clear()
        self._routes = {}

    def uninstall(self) -> None:
        """Stop tracing the app (and stop watching namespaces)."""
        if self.app.tracer is self:
            self.app.tracer = None
            self.app._changed()  # compiled again, without a traced twin
        self._watched.clear()
