"""The record of one request: flat while it is written, nested when it is read.

While a request runs, its :class:`Trace` only appends to two lists. In
``_marks``, a step is a mark ``(names, start, index)``: it lasts until the
next step's mark, and its calls are those of ``_raw`` from *index* on. In
``_raw``, a call or a signal is one tuple ``(code, label, start, stop,
exception, end)`` at the index where it began, *end* being the index after
its last child (what it called). Names are resolved, nesting is built and
skipped steps are found only when the record is read (:attr:`Trace.steps`,
:meth:`Trace.format`, :meth:`Trace.as_dict`); the ``Server-Timing`` value
is read from the marks alone.
"""

from __future__ import annotations

import contextvars
import time
import typing as t
from dataclasses import dataclass, field

from ..globals import _cv_request
from ..lifecycle import STEPS

if t.TYPE_CHECKING:
    from ..ctx import RequestContext

__all__ = ["Call", "Event", "Node", "Send", "Step", "Trace", "exception_text"]

#: Record codes (the first field of a raw record).
CALL, SIGNAL, POINT = 1, 2, 3
#: A raw record, of a call or a signal:
#: ``(code, label, start ns, stop ns or None, exception, end index or None)``.
Raw = tuple[t.Any, ...]
#: A step's mark: ``(the names of the steps it covers, start ns, index in _raw)``.
Mark = tuple[tuple[str, ...], int, int]

#: The trace of the request being handled, for the wrappers of calls (set by
#: :meth:`Tracer.begin` and by the teardown steps, which may run elsewhere).
current: contextvars.ContextVar[Trace | None] = contextvars.ContextVar("tocsin.trace", default=None)

_NUMBER = {s.name: s.number for s in STEPS}
_SEND = ("send_response",)
#: The names of the first mark, made when the trace is (not by a wrapper): steps 1
#: and 2, done by one call when step 3 follows it (see _top_marks).
_OPENING = ("push_app_context", "push_request_context")
_MATCH = ("match_url",)


def dotted_name(obj: t.Any) -> str:
    """``module.qualname`` of a function (or a bound method, a class), else its ``repr``."""
    if isinstance(obj, str):
        return obj
    module = getattr(obj, "__module__", None) or ""
    qualname = getattr(obj, "__qualname__", None)
    if qualname is None:
        func = getattr(obj, "func", None)  # functools.partial
        return f"partial({dotted_name(func)})" if func is not None else repr(obj)
    return f"{module}.{qualname}" if module and module != "builtins" else qualname


def exception_text(e: BaseException) -> str:
    """``str(e)``, or a stand-in when the exception's own ``__str__`` fails."""
    try:
        return str(e)
    except Exception:
        return f"(str() of this {type(e).__qualname__} failed)"


def _exception_dict(e: BaseException | None) -> dict[str, str] | None:
    return None if e is None else {"type": type(e).__qualname__, "message": exception_text(e)}


def _ms(ns: int | None) -> float | None:
    return None if ns is None else ns / 1e6


@dataclass(frozen=True)
class Call:
    """One function the request called: a hook, view, handler, receiver, render...

    ``kind`` is the hook kind (``before_request``, ``view``, ``errorhandler``,
    ``teardown_request``...), ``receiver`` for a signal's receiver,
    ``context_processor``, ``render`` (``name`` is the template's),
    ``session_open`` or ``session_save``.
    """

    kind: str
    #: The function's dotted name (for a render, the template's name).
    name: str
    #: Nanoseconds from the start of the request to the call.
    start_ns: int
    #: How long it ran (for an ``async`` function, until its result was there).
    duration_ns: int | None
    #: ``"returned"``, ``"raised"``, or ``"running"`` (not finished when read).
    outcome: str
    #: What it raised, if it did.
    exception: BaseException | None = None
    #: What it called in turn (a render's context processors, a view's signals...).
    children: tuple[Node, ...] = ()

    def as_dict(self) -> dict[str, t.Any]:
        """JSON-ready data (times in milliseconds)."""
        return {
            "type": "call",
            "kind": self.kind,
            "name": self.name,
            "start_ms": _ms(self.start_ns),
            "duration_ms": _ms(self.duration_ns),
            "outcome": self.outcome,
            "exception": _exception_dict(self.exception),
            "children": [c.as_dict() for c in self.children],
        }


@dataclass(frozen=True)
class Send:
    """A signal sent during the request, with the receivers it reached.

    The receivers of the lifecycle's own signals are timed (:attr:`calls`);
    for other signals (template signals, ``message_flashed``, the custom
    signals of a watched namespace) the record says which receivers the send
    reached, untimed (:attr:`duration_ns` is ``None``).
    """

    #: The signal's name (``request-started``, ``note-created``...).
    signal: str
    start_ns: int
    duration_ns: int | None
    #: The dotted names of the receivers it reached, in call order.
    receivers: tuple[str, ...]
    #: Their calls, when timed.
    calls: tuple[Call, ...] = ()

    @property
    def children(self) -> tuple[Node, ...]:
        """The receivers' calls (for a walk of the tree)."""
        return self.calls

    def as_dict(self) -> dict[str, t.Any]:
        """JSON-ready data (times in milliseconds)."""
        return {
            "type": "signal",
            "signal": self.signal,
            "start_ms": _ms(self.start_ns),
            "duration_ms": _ms(self.duration_ns),
            "receivers": list(self.receivers),
            "calls": [c.as_dict() for c in self.calls],
        }


#: What a step or a call contains.
Node = t.Union[Call, Send, "Step"]


@dataclass(frozen=True)
class Step:
    """One lifecycle step of a request (a row of :data:`tocsin.lifecycle.STEPS`).

    A step that ran has a start and a duration; one with nothing registered
    (the compiler left it out of the request's plan) is ``skipped``, untimed.
    Where the compiler does several steps in one call (a hello request's
    steps 1 and 2, or 10, 11, 13 and 14, or 16 to 19), one :class:`Step`
    stands for them all: :attr:`covers` names each.
    """

    #: The table's number of the first step covered.
    number: int
    #: The table's name of the first step covered.
    name: str
    #: ``"ran"`` or ``"skipped"``.
    outcome: str
    start_ns: int | None = None
    #: Until the next step began (``None``: skipped, or the last one still running).
    duration_ns: int | None = None
    #: The names of the steps this one call did (``(name,)`` for most).
    covers: tuple[str, ...] = ()
    #: The calls and signals of the step, in order.
    children: tuple[Node, ...] = field(default=())

    @property
    def ran(self) -> bool:
        """Whether the step ran (it was not skipped)."""
        return self.outcome != "skipped"

    @property
    def calls(self) -> list[Call]:
        """Every call made in the step, depth first (receivers and nested calls included)."""
        out: list[Call] = []

        def walk(nodes: tuple[Node, ...]) -> None:
            for node in nodes:
                if isinstance(node, Call):
                    out.append(node)
                walk(node.children)

        walk(self.children)
        return out

    def as_dict(self) -> dict[str, t.Any]:
        """JSON-ready data (times in milliseconds)."""
        return {
            "type": "step",
            "number": self.number,
            "name": self.name,
            "covers": list(self.covers),
            "outcome": self.outcome,
            "start_ms": _ms(self.start_ns),
            "duration_ms": _ms(self.duration_ns),
            "children": [c.as_dict() for c in self.children],
        }


@dataclass(frozen=True)
class Event:
    """One line of :attr:`Trace.events`, the flat view of a trace."""

    #: Nanoseconds since the request started.
    at_ns: int
    #: ``"step"``, ``"call"`` or ``"signal"``.
    kind: str
    #: The step name; for a call, its kind; for a signal, its name.
    name: str
    #: For a call, the function's dotted name; for a signal, its receiver count.
    detail: str = ""


class Trace:
    """The record of one request (made by :meth:`Tracer.begin`, filled as it runs).

    Read it through :attr:`steps` (every step of the table, ran or skipped,
    in order, each with its calls and signals nested), :attr:`ran`,
    :meth:`format` (a text waterfall) and :meth:`as_dict` (JSON).
    """

    #: The response status code, once known (step 15).
    status: int | None = None
    #: The exception that propagated out of the app to the server, if one did
    #: (``PROPAGATE_EXCEPTIONS``); :attr:`status` is then 500, what servers answer.
    raised: BaseException | None = None
    #: The URL rule the request matched (a Werkzeug ``Rule``), once known (step 15).
    _matched: t.Any = None
    #: Nanoseconds from the start of step 1 to the end of step 19, once finished.
    duration_ns: int | None = None
    _built: tuple[Step, ...] | None = None
    #: ``(time.time_ns(), clock())`` read once, from which :attr:`started` is derived.
    _epoch = (time.time_ns(), time.perf_counter_ns())

    #: What gives the time (the tracer's clock).
    _now: t.Callable[[], int] = time.perf_counter_ns

    def __init__(self, ctx: RequestContext, clock: t.Callable[[], int] | None = None) -> None:
        #: The request's method and path.
        self.method: str = ctx.method
        self.path: str = ctx.path
        self._raw: list[Raw | None] = []
        self._sigs: list[int] = []  # the raw indexes of the signal sends under way
        if clock is None:
            clock = time.perf_counter_ns
        elif clock is not time.perf_counter_ns:  # a test's clock
            self._now = clock
        self._t0: int = clock()
        #: Step 1 begins now (its entry is not wrapped: see Wrapper.__call__).
        self._marks: list[Mark] = [(_OPENING, self._t0, 0)]

    @property
    def rule(self) -> str | None:
        """The URL rule the request matched (``"/notes/<int:id>"``), ``None`` if none or not yet."""
        matched = self._matched
        return matched.rule if matched is not None else None

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the rule the request matched, ``None`` if none or not yet."""
        matched = self._matched
        return matched.endpoint if matched is not None else None

    @property
    def started(self) -> float:
        """Wall-clock time the request started (as ``time.time()``)."""
        return self.started_ns / 1e9

    @property
    def started_ns(self) -> int:
        """Wall-clock time the request started, in nanoseconds (as ``time.time_ns()``)."""
        wall, perf = self._epoch
        if self._now is not time.perf_counter_ns:  # a test's clock: no relation to the wall
            return wall
        return wall + (self._t0 - perf)

    # -- recording (called by the wrappers, templates and sessions) ------------------

    def timed(self, kind: str, obj: t.Any, fn: t.Callable[..., t.Any], *args: t.Any) -> t.Any:
        """Call ``fn(*args)``, recorded as a *kind* call of *obj* (a function or a name)."""
        raw = self._raw
        now = self._now
        i = len(raw)
        raw.append(None)
        t0 = now()
        try:
            rv = fn(*args)
        except BaseException as e:
            raw[i] = (CALL, (kind, obj), t0, now(), e, len(raw))
            raise
        raw[i] = (CALL, (kind, obj), t0, now(), None, len(raw))
        return rv

    def timed_async(
        self, kind: str, obj: t.Any, aw: t.Awaitable[t.Any]
    ) -> t.Coroutine[t.Any, t.Any, t.Any]:
        """Await *aw* (in the coroutine returned), recorded as a *kind* call of *obj*."""
        return timed_await(self._raw, (kind, obj), self._now, aw)

    def signal(self, signal: t.Any, sender: t.Any) -> None:
        """Record that *signal* is sent for *sender*, with the receivers it reaches (untimed).

        The tracer's own recorder of watched namespaces is not one of them.
        """
        receivers = tuple(
            r
            for r in signal.receivers_for(sender)
            if getattr(r, "func", None) is not _record_watched
        )
        raw = self._raw
        at = self._now()
        raw.append((POINT, (signal, receivers), at, at, None, len(raw) + 1))

    # -- reading ---------------------------------------------------------------------

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step of the table, in the order they ran; skipped ones where the table has them.

        A step run twice (steps 10 to 14 after an unhandled error) appears twice.
        """
        built = self._built
        if built is None:
            built = _with_skipped(self._top_steps())
            if self.duration_ns is not None:
                self._built = built
        return built

    @property
    def ran(self) -> list[str]:
        """The names of the steps that ran, in order (each step a fused call covers)."""
        return [name for s in self.steps if s.ran for name in s.covers]

    @property
    def skipped(self) -> list[str]:
        """The names of the table's steps that did not run (nothing registered)."""
        return [s.name for s in self.steps if not s.ran]

    def step(self, name: str) -> Step:
        """The first step that covers *name*.

        :raises KeyError: when no step of the record covers it.
        """
        for s in self.steps:
            if name in s.covers:
                return s
        raise KeyError(f"no step {name!r} in this trace")

    @property
    def calls(self) -> list[Call]:
        """Every call of the request, in order, depth first."""
        return [c for s in self.steps for c in s.calls]

    def step_durations(self) -> list[tuple[str, float]]:
        """``(step name, milliseconds)`` for each step that ran, in order."""
        return [(s.name, (s.duration_ns or 0) / 1e6) for s in self.steps if s.ran]

    def server_timing(self, at: int | None = None) -> str:
        """The ``Server-Timing`` header value: each step so far, then ``total``.

        Read from the marks alone (it is made for every traced response when
        ``server_timing`` is on): each metric is a prefix made once per step
        name and, under a millisecond, a duration read from a table.
        """
        stop = self._now() if at is None else at
        under = _UNDER_MS
        parts: list[str] = []
        name = ""
        start = 0
        for names, at_, _ in self._marks:
            if name:
                us = (at_ - start + 500) // 1000
                parts.append(name + (under[us] if 0 <= us < 1000 else _ms3(us)))
            name, start = _METRIC[names[0]], at_
        us = (stop - start + 500) // 1000
        parts.append(name + (under[us] if 0 <= us < 1000 else _ms3(us)))
        us = (stop - self._t0 + 500) // 1000
        parts.append("total;dur=" + (under[us] if 0 <= us < 1000 else _ms3(us)))
        return ", ".join(parts)

    @property
    def events(self) -> list[Event]:
        """The flat view: each step that ran, call and signal as it began.

        The receivers' calls are left out; the steps one call did are one
        event each, at the same time.
        """
        out: list[Event] = []

        def walk(nodes: tuple[Node, ...]) -> None:
            for node in nodes:
                if isinstance(node, Step):  # (a call that did several steps: one event each)
                    out.extend(Event(node.start_ns or 0, "step", name) for name in node.covers)
                elif isinstance(node, Call):
                    out.append(Event(node.start_ns, "call", node.kind, node.name))
                else:
                    out.append(
                        Event(node.start_ns, "signal", node.signal, str(len(node.receivers)))
                    )
                    continue
                walk(node.children)

        walk(tuple(s for s in self.steps if s.ran))
        return out

    def format(self) -> str:
        """A readable text waterfall: each step and call, its start, duration and bar."""
        total = self.duration_ns or max(
            ((s.start_ns or 0) + (s.duration_ns or 0) for s in self.steps), default=0
        )
        width = 30
        lines = [
            f"{self.method} {self.path} -> {self.status}"
            + (f" in {total / 1e6:.3f} ms" if self.duration_ns is not None else " (running)")
        ]
        if self.raised is not None:
            exc = self.raised
            lines.append(f"raised to the server: {type(exc).__qualname__}: {exception_text(exc)}")

        def bar(start: int | None, duration: int | None) -> str:
            if start is None or not total:
                return " " * width
            a = min(width - 1, int(start * width / total))
            b = max(a + 1, min(width, round((start + (duration or 0)) * width / total)))
            return " " * a + "#" * (b - a) + " " * (width - b)

        def times(start: int | None, duration: int | None) -> str:
            at = "" if start is None else f"{start / 1e6:9.3f}"
            took = "" if duration is None else f"{duration / 1e6:8.3f}"
            return f"{at:>9} {took:>8}"

        def walk(nodes: tuple[Node, ...], depth: int) -> None:
            for node in nodes:
                pad = "  " * depth
                if isinstance(node, Call):
                    mark = "" if node.outcome == "returned" else f" -> {node.outcome}"
                    if node.exception is not None:
                        exc = node.exception
                        mark += f" {type(exc).__qualname__}: {exception_text(exc)}"
                    text = f"{pad}{node.kind} {node.name}{mark}"
                    lines.append(
                        f"|{bar(node.start_ns, node.duration_ns)}| "
                        f"{times(node.start_ns, node.duration_ns)}  {text}"
                    )
                    walk(node.children, depth + 1)
                elif isinstance(node, Send):
                    who = ", ".join(node.receivers) or "no receiver"
                    lines.append(
                        f"|{bar(node.start_ns, node.duration_ns)}| "
                        f"{times(node.start_ns, node.duration_ns)}  {pad}signal {node.signal}"
                        f" -> {who}"
                    )
                    walk(node.calls, depth + 1)

        lines.append(f"|{'':{width}}| {'at ms':>9} {'took ms':>8}  step")
        for s in self.steps:
            label = ", ".join(f"{_NUMBER[n]} {n}" for n in s.covers)
            if not s.ran:
                lines.append(f"|{'':{width}}| {'':>9} {'skipped':>8}  {label}")
                continue
            lines.append(
                f"|{bar(s.start_ns, s.duration_ns)}| {times(s.start_ns, s.duration_ns)}  {label}"
            )
            walk(s.children, 1)
        return "\n".join(lines)

    def as_dict(self) -> dict[str, t.Any]:
        """The trace as JSON-ready data (times in milliseconds)."""
        return {
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "raised": _exception_dict(self.raised),
            "started": self.started,
            "duration_ms": _ms(self.duration_ns),
            "steps": [s.as_dict() for s in self.steps],
        }

    def __repr__(self) -> str:
        return f"<Trace {self.method} {self.path} -> {self.status}, {len(self._raw)} records>"

    # -- building the nested view ------------------------------------------------------

    def _nodes(self, lo: int, hi: int) -> list[Node]:
        """The calls and signals recorded from *lo* to *hi*."""
        raw, t0 = self._raw, self._t0
        out: list[Node] = []
        i = lo
        while i < hi:
            rec = raw[i]
            if rec is None:  # began, not finished yet
                i += 1
                continue
            code, label, start, stop, exc, end = rec
            if end is None or end > hi:  # a send a receiver's exception cut short
                end = hi
            children = tuple(self._nodes(i + 1, end))
            duration = None if stop is None else stop - start
            if code == CALL:
                kind, obj = label
                outcome = "running" if stop is None else "returned" if exc is None else "raised"
                out.append(
                    Call(kind, _call_name(obj), start - t0, duration, outcome, exc, children)
                )
            else:
                signal, receivers = label
                calls = tuple(c for c in children if isinstance(c, Call))
                if receivers is None:  # timed: the receivers are its calls
                    names = tuple(c.name for c in calls)
                else:
                    names = tuple(dotted_name(r) for r in receivers)
                    duration = None
                name = getattr(signal, "name", None) or repr(signal)
                out.append(Send(name, start - t0, duration, names, calls))
            i = end
        return out

    def _top_steps(self) -> list[Step]:
        """The steps that ran, in order, each lasting until the next one's mark."""
        raw, t0 = self._raw, self._t0
        marks = self._top_marks()
        steps: list[Step] = []
        for k, (label, start, at) in enumerate(marks):
            if k + 1 < len(marks):
                stop: int | None = marks[k + 1][1]
                hi = marks[k + 1][2]
            else:
                stop = None if self.duration_ns is None else t0 + self.duration_ns
                hi = len(raw)
            duration = None if stop is None else stop - start
            children = tuple(self._nodes(at, hi))
            steps.append(
                Step(_NUMBER[label[0]], label[0], "ran", start - t0, duration, label, children)
            )
        return steps

    def _top_marks(self) -> list[Mark]:
        """The marks of the steps the pipeline ran (not those a call ran: a Flask method's).

        A mark inside a call's span (made after the call began, before it
        ended) is the call's. Step 9 marked again by the error path is one step.
        """
        raw = self._raw
        spans: list[tuple[int, int, int | None]] = []  # the top-level calls: (index, end, stop)
        i, n = 0, len(raw)
        while i < n:
            rec = raw[i]
            if rec is not None and rec[5] is not None and rec[5] > i:
                spans.append((i, rec[5], rec[3]))
                i = rec[5]
            else:
                i += 1
        marks = list(self._marks)
        if len(marks) < 2 or marks[1][0] != _MATCH:  # step 2 was not done with step 1
            marks[0] = (_OPENING[:1], marks[0][1], 0)
        out: list[Mark] = []
        for mark in marks:
            _, start, at = mark
            if any(
                i < at < end or (at == end and (stop is None or start < stop))
                for i, end, stop in spans
            ):
                continue
            if not out or out[-1][0] != mark[0]:
                out.append(mark)
        return out


#: ``"name;dur="`` for each step name, the start of its ``Server-Timing`` metric.
_METRIC = {row.name: f"{row.name};dur=" for row in STEPS}
#: ``"0.000"`` to ``"0.999"``: a duration under a millisecond, by microseconds.
_UNDER_MS = tuple(f"0.{us:03d}" for us in range(1000))


def _ms3(us: int) -> str:
    """*us* microseconds in milliseconds with three decimals."""
    return f"{us / 1000:.3f}"


def _milliseconds(ns: int) -> str:
    """*ns* in milliseconds with three decimals, as ``Server-Timing`` gives a duration."""
    us = (ns + 500) // 1000
    return _UNDER_MS[us] if 0 <= us < 1000 else _ms3(us)


def _call_name(obj: t.Any) -> str:
    if isinstance(obj, str):
        return obj
    if getattr(obj, "__self__", None) is not None and not isinstance(obj.__self__, type):
        owner = type(obj.__self__)  # a bound method: Class.method
        return f"{dotted_name(owner)}.{getattr(obj, '__name__', '?')}"
    return dotted_name(getattr(obj, "__wrapped__", obj))


def _with_skipped(ran: list[Step]) -> tuple[Step, ...]:
    """*ran*, with each row of the table no step covers inserted before the first later one."""
    covered = {name for s in ran for name in s.covers}
    missing = [row for row in STEPS if row.name not in covered]
    out: list[Step] = []
    for s in ran:
        while missing and missing[0].number < s.number:
            row = missing.pop(0)
            out.append(Step(row.number, row.name, "skipped", covers=(row.name,)))
        out.append(s)
    out.extend(Step(row.number, row.name, "skipped", covers=(row.name,)) for row in missing)
    return tuple(out)


async def timed_await(raw: list[t.Any], label: t.Any, now: t.Callable[[], int], aw: t.Any) -> t.Any:
    """Await *aw*, recorded in *raw* as a call named by *label*."""
    i = len(raw)
    raw.append(None)
    t0 = now()
    try:
        rv = await aw
    except BaseException as e:
        raw[i] = (CALL, label, t0, now(), e, len(raw))
        raise
    raw[i] = (CALL, label, t0, now(), None, len(raw))
    return rv


def _record_watched(signal: t.Any, sender: t.Any, /, **kwargs: t.Any) -> None:
    """Namespace-wide receiver behind :meth:`Tracer.watch`."""
    ctx = _cv_request.get(None)
    if ctx is None or ctx.trace is None:
        return
    tracer = ctx.app.tracer
    if tracer is None or not any(
        signal.name in ns and ns[signal.name] is signal for ns in tracer._watched
    ):
        return
    ctx.trace.signal(signal, sender)
