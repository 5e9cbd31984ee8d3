"""What the compiler wraps a traced plan's entries and calls with.

Only the traced twin of an app's compiled lifecycle is wrapped (see
:func:`tocsin._compile.compiled`): a request that is not sampled runs the
plain plan and none of this. Each wrapper appends one raw record to the
request's :class:`~tocsin.tracing.Trace` (see :mod:`tocsin.tracing._record`):
a step's wrapper, its mark; a call's, its call.
"""

from __future__ import annotations

import functools
import logging
import typing as t

from ..lifecycle import phase
from ._record import CALL, SIGNAL, current, timed_await

if t.TYPE_CHECKING:
    from ..app import Tocsin

__all__ = ["Wrapper"]

log = logging.getLogger("tocsin.tracing")

#: Steps that may run in another context than the request's start (a streamed
#: body closed by the server): their wrapper makes the request's trace current.
_TEARDOWN = frozenset(s.name for s in phase("teardown"))


class Wrapper:
    """Wraps the entries and calls of a traced plan so that they record themselves.

    :param clock: the tracer's clock (``time.perf_counter_ns``, or a test's).
    :param finished: what to call with each trace once its request is over
        (the tracer's subscribers; the list may change later).
    """

    def __init__(
        self, clock: t.Callable[[], int], finished: list[t.Callable[[t.Any], None]] | None = None
    ) -> None:
        self._now = clock
        self._finished = finished if finished is not None else []

    def __call__(self, names: str | tuple[str, ...], entry: t.Any) -> t.Any:
        """A plan entry that marks the start of step *names* (several: one call does them all).

        A step lasts until the next one's mark; the last one (step 19) ends the
        trace. The first (step 1, alone or with step 2) is left as it is: the
        trace begins with its mark.
        """
        label = (names,) if isinstance(names, str) else names
        fn, work, kind = entry
        now = self._now
        if label[0] == "push_app_context":
            return entry
        if "pop_app_context" in label:  # the last step: it also ends the trace
            return self._last(label, entry)
        if label[0] in _TEARDOWN:  # may run in another context: make the trace current there

            def step_elsewhere(ctx: t.Any, work: t.Any, value: t.Any) -> t.Any:
                trace = ctx.trace
                if trace is not None:
                    if current.get() is not trace:
                        current.set(trace)
                    trace._marks.append((label, now(), len(trace._raw)))
                return fn(ctx, work, value)

            return (step_elsewhere, work, kind)

        if kind is True:

            def step_gen(ctx: t.Any, work: t.Any, value: t.Any) -> t.Any:
                trace = ctx.trace
                if trace is not None:
                    trace._marks.append((label, now(), len(trace._raw)))
                return (yield from fn(ctx, work, value))

            return (step_gen, work, True)

        def step(ctx: t.Any, work: t.Any, value: t.Any) -> t.Any:
            trace = ctx.trace
            if trace is not None:
                trace._marks.append((label, now(), len(trace._raw)))
            return fn(ctx, work, value)

        return (step, work, kind)

    def dispatch(self, entry: t.Any) -> t.Any:
        """Step 8's entry for a sync view: marks the step and records the view's call.

        One wrapper for both (the step's function is :func:`tocsin._steps.dispatch`,
        whose work, a call of the view, it does itself unless the step has a
        routing error to raise or an automatic ``OPTIONS`` to answer).
        """
        fn, view, kind = entry
        wrapped = self.call("view", view, False)[0]
        label = ("dispatch",)
        call_label = ("view", view)
        now = self._now

        def traced_dispatch(ctx: t.Any, work: t.Any, value: t.Any) -> t.Any:
            trace = ctx.trace
            if trace is None or ctx.routing_exception is not None or ctx.method == "OPTIONS":
                if trace is not None:
                    trace._marks.append((label, now(), len(trace._raw)))
                return fn(ctx, wrapped, value)
            raw = trace._raw
            i = len(raw)
            t0 = now()
            trace._marks.append((label, t0, i))
            raw.append(None)
            try:
                rv = view(**ctx.view_args)
            except BaseException as e:
                raw[i] = (CALL, call_label, t0, now(), e, len(raw))
                raise
            raw[i] = (CALL, call_label, t0, now(), None, len(raw))
            return rv

        return (traced_dispatch, wrapped, kind)

    def _last(self, label: tuple[str, ...], entry: t.Any) -> t.Any:
        """The entry of the step that covers step 19: when it is over, the trace is complete."""
        fn, work, kind = entry
        now = self._now
        finished = self._finished

        if kind is True:

            def last_gen(ctx: t.Any, work: t.Any, value: t.Any) -> t.Any:
                trace = ctx.trace
                if trace is None:
                    return (yield from fn(ctx, work, value))
                if current.get() is not trace:
                    current.set(trace)
                trace._marks.append((label, now(), len(trace._raw)))
                try:
                    return (yield from fn(ctx, work, value))
                finally:
                    trace.duration_ns = now() - trace._t0
                    if finished:
                        _tell(finished, trace)

            return (last_gen, work, True)

        def last(ctx: t.Any, work: t.Any, value: t.Any) -> t.Any:
            trace = ctx.trace
            if trace is None:
                return fn(ctx, work, value)
            if current.get() is not trace:
                current.set(trace)
            trace._marks.append((label, now(), len(trace._raw)))
            try:
                return fn(ctx, work, value)
            finally:
                trace.duration_ns = now() - trace._t0
                if finished:
                    _tell(finished, trace)

        return (last, work, kind)

    def call(self, kind: str, fn: t.Any, is_async: bool) -> tuple[t.Any, bool]:
        """*fn* (a hook, view, handler...), recording each call as a *kind* call."""
        return functools.wraps(fn)(_recorded((kind, fn), fn, self._now, is_async)), is_async

    def sent(self, signal: t.Any, app: Tocsin) -> t.Any:
        """A stand-in for *signal* that records its sends (for steps with async receivers)."""
        return _RecordedSignal(signal, self._now)

    def signal(self, signal: t.Any, calls: tuple[t.Any, ...], app: Tocsin) -> tuple[t.Any, ...]:
        """The getters *calls* of *signal*'s sync receivers, recording the send and each call.

        The first and last getters record the send and return no receiver
        (they are called, and skipped); each other one returns its receiver
        wrapped so that its call is recorded.
        """
        if not calls:
            return calls
        now = self._now
        label = (signal, None)

        def opening() -> None:
            trace = current.get()
            if trace is not None:
                raw = trace._raw
                trace._sigs.append(len(raw))
                raw.append((SIGNAL, label, now(), None, None, None))

        def closing() -> None:
            trace = current.get()
            if trace is not None and trace._sigs:
                raw = trace._raw
                i = trace._sigs.pop()
                rec = raw[i]
                assert rec is not None
                raw[i] = (SIGNAL, label, rec[2], now(), None, len(raw))

        def timing(get: t.Callable[[], t.Any]) -> t.Callable[[], t.Any]:
            def traced_get() -> t.Any:
                receiver = get()
                if receiver is None:
                    return None
                return _receiver(receiver, now)

            return traced_get

        return (opening, *(timing(get) for get in calls), closing)


def _tell(finished: list[t.Callable[[t.Any], None]], trace: t.Any) -> None:
    """Give the finished *trace* to each subscriber; what one raises is logged."""
    for subscriber in list(finished):
        try:
            subscriber(trace)
        except Exception:
            log.exception("A tracer subscriber failed with a finished trace")


def _receiver(receiver: t.Any, now: t.Callable[[], int], is_async: bool = False) -> t.Any:
    """*receiver*, recording its call in the current trace (made per send: no ``wraps``)."""
    traced = _recorded(("receiver", receiver), receiver, now, is_async)
    traced.__qualname__ = getattr(receiver, "__qualname__", "receiver")
    return traced


def _recorded(
    label: tuple[str, t.Any], fn: t.Any, now: t.Callable[[], int], is_async: bool
) -> t.Callable[..., t.Any]:
    """*fn*, each call recorded in the current trace as a call named by *label*.

    An ``async`` one is recorded until its awaitable is done (:func:`timed_await`).
    """
    if is_async:

        def traced_async(*args: t.Any, **kwargs: t.Any) -> t.Any:
            trace = current.get()
            aw = fn(*args, **kwargs)
            return aw if trace is None else timed_await(trace._raw, label, now, aw)

        return traced_async

    def traced(*args: t.Any, **kwargs: t.Any) -> t.Any:
        trace = current.get()
        if trace is None:
            return fn(*args, **kwargs)
        raw = trace._raw
        i = len(raw)
        raw.append(None)
        t0 = now()
        try:
            rv = fn(*args, **kwargs)
        except BaseException as e:
            raw[i] = (CALL, label, t0, now(), e, len(raw))
            raise
        raw[i] = (CALL, label, t0, now(), None, len(raw))
        return rv

    return traced


class _RecordedSignal:
    """Stands for a signal in a traced plan's async steps: records each send and receiver."""

    def __init__(self, signal: t.Any, now: t.Callable[[], int]) -> None:
        self._signal = signal
        self._now = now
        self._label = (signal, None)

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._signal, name)

    def _open(self) -> tuple[list[t.Any], int] | None:
        trace = current.get()
        if trace is None:
            return None
        raw = trace._raw
        raw.append((SIGNAL, self._label, self._now(), None, None, None))
        return raw, len(raw) - 1

    def _close(self, opened: tuple[list[t.Any], int] | None) -> None:
        if opened is not None:
            raw, i = opened
            raw[i] = (SIGNAL, self._label, raw[i][2], self._now(), None, len(raw))

    async def send_async(self, sender: t.Any = None, /, **kwargs: t.Any) -> list[t.Any]:
        """:meth:`Signal.send_async`, recorded."""
        opened = self._open()
        results = []
        try:
            for receiver, is_async in self._signal._deliveries(sender, "send_async", False):
                call = _receiver(receiver, self._now, is_async)
                value = call(sender, **kwargs)
                if is_async:
                    value = await value
                results.append((receiver, value))
        finally:
            self._close(opened)
        return results

    def _deliveries(self, *args: t.Any) -> t.Any:  # (teardown's sends: see _teardown._tell_every)
        opened = self._open()
        try:
            for receiver, is_async in self._signal._deliveries(*args):
                yield _receiver(receiver, self._now, is_async), is_async
        finally:
            self._close(opened)

    def send_robust(self, sender: t.Any = None, /, **kwargs: t.Any) -> t.Any:
        """:meth:`Signal.send_robust`, its send recorded (its receivers untimed)."""
        self._point(sender)
        return self._signal.send_robust(sender, **kwargs)

    def send_robust_async(self, sender: t.Any = None, /, **kwargs: t.Any) -> t.Any:
        """:meth:`Signal.send_robust_async`, its send recorded (its receivers untimed)."""
        self._point(sender)
        return self._signal.send_robust_async(sender, **kwargs)

    def _point(self, sender: t.Any) -> None:
        trace = current.get()
        if trace is not None:
            trace.signal(self._signal, sender)
