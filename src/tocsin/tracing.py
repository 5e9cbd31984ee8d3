"""The lifecycle tracer: what ran, in which order, and how long it took.

Turn it on with :class:`Tracer` (or ``TRACE = True`` in the config, read at
the first request)::

    tracer = Tracer(app, keep=50, server_timing=True)
    client.get("/")
    print(tracer.last.format())

Each request then gets a :class:`Trace`: the lifecycle steps it went
through (named as in :data:`tocsin.lifecycle.STEPS`), each hook function,
view and error handler called, and each signal sent with receivers, with
times. With ``server_timing=True`` every response carries a
``Server-Timing`` header with the duration of each step.

How: when a tracer is installed, the app's lifecycle is compiled again
(:mod:`tocsin._compile`) with every step of the table, each step entry and
each hook, view, handler and receiver wrapped by :class:`Wrapper`. Without
a tracer nothing is wrapped: tracing costs nothing per request.
"""

from __future__ import annotations

import collections
import contextvars
import functools
import threading
import time
import typing as t
import weakref
from dataclasses import dataclass

from .globals import _cv_request
from .lifecycle import STEPS

if t.TYPE_CHECKING:
    from .app import Tocsin
    from .ctx import RequestContext
    from .signals import Namespace

__all__ = ["Event", "Trace", "Tracer", "Wrapper"]

#: The trace of the request being handled (set by each traced step).
_current: contextvars.ContextVar[Trace | None] = contextvars.ContextVar(
    "tocsin.trace", default=None
)
_LAST_STEP = STEPS[-1].name


def _name(obj: t.Any) -> str:
    module = getattr(obj, "__module__", None) or ""
    qualname = getattr(obj, "__qualname__", None) or repr(obj)
    return f"{module}.{qualname}" if module and module != "builtins" else qualname


@dataclass(frozen=True)
class Event:
    """One thing that happened during a request."""

    #: Nanoseconds since the request started.
    at_ns: int
    #: ``"step"`` (a lifecycle step began), ``"call"`` (a function ran) or ``"signal"``.
    kind: str
    #: The step name, or for a call the hook kind (``before_request``, ``view``...).
    name: str
    #: For a call, the function's dotted name; for a signal, its receiver count.
    detail: str = ""


_now = time.perf_counter_ns


class Trace:
    """The trace of one request.

    Recording is kept cheap (a tuple appended per event, names resolved
    later); :attr:`events` builds the :class:`Event` objects when read.
    """

    __slots__ = ("_last_step", "_raw", "_t0", "duration_ns", "method", "path", "started", "status")

    def __init__(self, method: str, path: str) -> None:
        self.method = method
        self.path = path
        #: Wall-clock time the request started (``time.time()``).
        self.started = time.time()
        #: The response status code, once known.
        self.status: int | None = None
        #: Total nanoseconds from the first step to the last, once finished.
        self.duration_ns: int | None = None
        self._raw: list[tuple[int, str, str, t.Any]] = []
        self._last_step = ""
        self._t0 = _now()

    def step(self, name: str) -> None:
        """Record the start of the lifecycle step *name*."""
        self._last_step = name
        self._raw.append((_now(), "step", name, ""))

    def call(self, kind: str, fn: t.Any) -> None:
        """Record that the function *fn* runs as a *kind* hook."""
        self._raw.append((_now(), "call", kind, fn))

    def signal(self, signal: t.Any, sender: t.Any) -> None:
        """Record that *signal* is sent for *sender*, with how many receivers it reaches.

        The tracer's own recorder of watched namespaces is not counted.
        """
        receivers = sum(
            getattr(r, "func", None) is not _record_watched for r in signal.receivers_for(sender)
        )
        self._raw.append((_now(), "signal", getattr(signal, "name", repr(signal)), receivers))

    def end(self) -> None:
        """Mark the trace finished."""
        self.duration_ns = _now() - self._t0
        if _current.get() is self:
            _current.set(None)

    @property
    def events(self) -> list[Event]:
        """Everything recorded, in order."""
        t0 = self._t0
        return [
            Event(at - t0, kind, name, _name(detail) if kind == "call" else str(detail))
            for at, kind, name, detail in self._raw
        ]

    def __repr__(self) -> str:
        return f"<Trace {self.method} {self.path} -> {self.status}, {len(self._raw)} events>"

    @property
    def steps(self) -> list[str]:
        """The names of the steps, in the order they ran."""
        return [name for _, kind, name, _ in self._raw if kind == "step"]

    def step_durations(self) -> list[tuple[str, float]]:
        """``(step name, milliseconds)`` for each step, until the next one began."""
        marks = [(at, name) for at, kind, name, _ in self._raw if kind == "step"]
        end = self._t0 + self.duration_ns if self.duration_ns is not None else _now()
        stops = [at for at, _ in marks[1:]] + [end]
        return [(name, (stop - at) / 1e6) for (at, name), stop in zip(marks, stops, strict=True)]

    def server_timing(self) -> str:
        """The ``Server-Timing`` header value of the steps so far."""
        return ", ".join(f"{name};dur={ms:.3f}" for name, ms in self.step_durations())

    def format(self) -> str:
        """A readable, indented listing of the events."""
        lines = [f"{self.method} {self.path} -> {self.status}"]
        for e in self.events:
            ms = e.at_ns / 1e6
            if e.kind == "step":
                lines.append(f"{ms:9.3f} ms  {e.name}")
            elif e.kind == "call":
                lines.append(f"{ms:9.3f} ms    {e.name}: {e.detail}")
            else:
                lines.append(f"{ms:9.3f} ms    signal {e.name} -> {e.detail} receiver(s)")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, t.Any]:
        """The trace as JSON-ready data."""
        return {
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "started": self.started,
            "duration_ms": None if self.duration_ns is None else self.duration_ns / 1e6,
            "events": [
                {"ms": e.at_ns / 1e6, "kind": e.kind, "name": e.name, "detail": e.detail}
                for e in self.events
            ],
        }


class Tracer:
    """Traces every request of *app*, keeping the last *keep* traces.

    :param server_timing: add a ``Server-Timing`` header to every response.
    """

    def __init__(self, app: Tocsin, keep: int = 50, server_timing: bool = False) -> None:
        self.app = app
        self.server_timing = server_timing
        self._traces: collections.deque[Trace] = collections.deque(maxlen=keep)
        self._lock = threading.Lock()
        self._watched: list[Namespace] = []
        app._tracer = self
        app._changed()  # compiled again, wrapped

    def wrapper(self) -> Wrapper:
        """What the compiler wraps steps and calls with (see :class:`Wrapper`)."""
        return Wrapper()

    def begin(self, ctx: RequestContext) -> Trace:
        """Start the trace of the request of *ctx* (called by the drivers)."""
        trace = Trace(ctx.method, ctx.path)
        ctx.trace = trace
        _current.set(trace)
        with self._lock:
            self._traces.append(trace)
        return trace

    def watch(self, namespace: Namespace) -> None:
        """Record the sends of every signal of *namespace* (custom signals) in traces.

        Built-in signals are always recorded; this adds your own, e.g. a
        ``note-created`` signal sent from a view. One recorder serves every
        tracer watching the namespace; it writes into the trace of the
        current request when that request's app is traced by a watcher.
        """
        namespace.connect_all(_record_watched)
        self._watched.append(namespace)

    def annotate(self, ctx: RequestContext, response: t.Any) -> None:
        """Mark step 15 and, if asked for, add ``Server-Timing`` (called by the drivers)."""
        trace = ctx.trace
        direct = type(response) is tuple  # (status code, headers, body): see _pipeline.Direct
        trace.status = response[0] if direct else response.status_code
        if self.server_timing:
            value = trace.server_timing()
            if direct:
                response[1].append(("Server-Timing", value))
            else:
                response.headers["Server-Timing"] = value
        trace.step("send_response")

    @property
    def traces(self) -> list[Trace]:
        """The kept traces, oldest first."""
        with self._lock:
            return list(self._traces)

    @property
    def last(self) -> Trace | None:
        """The most recent trace, if any."""
        with self._lock:
            return self._traces[-1] if self._traces else None

    def clear(self) -> None:
        """Forget the kept traces."""
        with self._lock:
            self._traces.clear()

    def uninstall(self) -> None:
        """Stop tracing the app (and stop watching namespaces)."""
        if self.app._tracer is self:
            self.app._tracer = None
            self.app._changed()  # compiled again, unwrapped
        self._watched.clear()


def _record_watched(signal: t.Any, sender: t.Any, /, **kwargs: t.Any) -> None:
    """Namespace-wide receiver behind :meth:`Tracer.watch`."""
    ctx = _cv_request.get(None)
    if ctx is None or ctx.trace is None:
        return
    tracer = ctx.app._tracer
    if tracer is None or not any(
        signal.name in ns and ns[signal.name] is signal for ns in tracer._watched
    ):
        return
    ctx.trace.signal(signal, sender)


class Wrapper:
    """Wraps the entries and calls of a traced app's plans so that they record themselves."""

    def __call__(self, name: str, entry: t.Any) -> t.Any:
        """A plan entry that records the start of step *name*, then runs it."""
        fn, work, is_gen = entry
        last = name == _LAST_STEP
        if is_gen is True:  # (an AWAITS or ANSWERS step returns an awaitable: plain)

            def step_gen(ctx: t.Any, work: t.Any, value: t.Any) -> t.Any:
                trace = _begin_step(ctx, name)
                try:
                    return (yield from fn(ctx, work, value))
                finally:
                    if last and trace is not None:
                        trace.end()

            return (step_gen, work, True)

        def step(ctx: t.Any, work: t.Any, value: t.Any) -> t.Any:
            trace = _begin_step(ctx, name)
            try:
                return fn(ctx, work, value)
            finally:
                if last and trace is not None:
                    trace.end()

        return (step, work, is_gen)

    def call(self, kind: str, fn: t.Any, is_async: bool) -> tuple[t.Any, bool]:
        """*fn* (a hook, view, handler...), recording each call as a *kind* call."""
        if is_async:

            @functools.wraps(fn)
            async def traced_async(*args: t.Any, **kwargs: t.Any) -> t.Any:
                trace = _current.get()
                if trace is not None:
                    trace.call(kind, fn)
                return await fn(*args, **kwargs)

            return traced_async, True

        @functools.wraps(fn)
        def traced(*args: t.Any, **kwargs: t.Any) -> t.Any:
            trace = _current.get()
            if trace is not None:
                trace.call(kind, fn)
            return fn(*args, **kwargs)

        return traced, False

    def sent(self, signal: t.Any, app: Tocsin) -> t.Any:
        """A stand-in for *signal* that records its sends (for steps with async receivers)."""
        return _RecordedSignal(signal, app)

    def signal(self, signal: t.Any, calls: tuple[t.Any, ...], app: Tocsin) -> tuple[t.Any, ...]:
        """The getters *calls* of *signal*'s receivers for *app*, recording the send first.

        The recorder is a getter that returns no receiver: it is called, and skipped.
        """
        if not calls:
            return calls
        app_ref = weakref.ref(app)

        def record() -> None:
            trace = _current.get()
            if trace is not None:
                trace.signal(signal, app_ref())
            return None

        return (record, *calls)


class _RecordedSignal:
    """Stands for a signal in a traced plan's async steps: records each send, then makes it."""

    def __init__(self, signal: t.Any, app: Tocsin) -> None:
        self._signal = signal
        self._app = weakref.ref(app)

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._signal, name)

    def _record(self) -> None:
        trace = _current.get()
        if trace is not None and self._signal.receivers:
            trace.signal(self._signal, self._app())

    def send_async(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._record()
        return self._signal.send_async(*args, **kwargs)

    def send_robust_async(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._record()
        return self._signal.send_robust_async(*args, **kwargs)

    def send_robust(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._record()
        return self._signal.send_robust(*args, **kwargs)

    def _deliveries(self, *args: t.Any) -> t.Any:  # (teardown's sends: see _steps._tell_every)
        self._record()
        return self._signal._deliveries(*args)


def _begin_step(ctx: t.Any, name: str) -> Trace | None:
    trace: Trace | None = getattr(ctx, "trace", None)
    if trace is None:
        return None
    if _current.get() is not trace:
        _current.set(trace)
    if trace._last_step != name:  # (the error path after step 9 found no handler: one step)
        trace.step(name)
    return trace
