"""How the request pipeline sends the built-in signals.

``Signal.send(app, response=response)`` costs about as much again as the
receiver it calls: a ``**kwargs`` call is twice the price of one with
explicit keywords, and ``send`` also looks up the plan for the sender and
collects results nobody reads. So the pipeline keeps, per app, the getters
each built-in signal calls for that app (:class:`BuiltinCalls`, rebuilt
whenever any signal changes) and calls the receivers itself, with explicit
keywords, at its four per-request sends. Empty getters mean "nobody
listens to this app", which is also what lets a hello request skip
building a response object.

When a signal has ``async`` receivers for the app, its entry is
:data:`GENERAL` and the pipeline takes the general path: :func:`send` (or
:func:`send_robust`), which returns what the driver must await.
"""

from __future__ import annotations

import typing as t

from . import signals as _sig
from .signals import _registry

if t.TYPE_CHECKING:
    from .app import Tocsin
    from .ctx import RequestContext
    from .signals import Signal

__all__ = [
    "GENERAL",
    "BuiltinCalls",
    "builtin_calls",
    "rebuild_builtin_calls",
    "receiver_failed",
    "send",
    "send_robust",
]

Getters = tuple[t.Callable[[], t.Any], ...]
Pipe = t.Generator[t.Any, t.Any, t.Any]

#: The entry of a signal that needs the general path (it has ``async`` receivers).
GENERAL: Getters = (lambda: None,)

_HOT = ("request_started", "request_finished", "request_tearing_down", "appcontext_tearing_down")


class BuiltinCalls:
    """For one app: the getters of the receivers of each per-request signal.

    Valid while :data:`tocsin.signals._registry.generation` equals
    :attr:`generation`.
    """

    __slots__ = ("generation", *_HOT)

    def __init__(self, app: Tocsin | None) -> None:
        self.generation = _registry.generation if app is not None else -1  # read first
        for name in _HOT:
            calls = getattr(_sig, name)._sync_calls(app) if app is not None else ()
            setattr(self, name, GENERAL if calls is None else calls)

    request_started: Getters
    request_finished: Getters
    request_tearing_down: Getters
    appcontext_tearing_down: Getters


#: What an app holds before its first request.
NOT_BUILT = BuiltinCalls(None)


def builtin_calls(app: Tocsin) -> BuiltinCalls:
    """The current :class:`BuiltinCalls` of *app*, rebuilt if any signal changed.

    The pipeline inlines this test (it runs at every send).
    """
    calls = app._builtin_calls
    if calls.generation != _registry.generation:
        calls = rebuild_builtin_calls(app)
    return calls


def rebuild_builtin_calls(app: Tocsin) -> BuiltinCalls:
    """Build and keep the :class:`BuiltinCalls` of *app* (after a signal changed)."""
    calls = app._builtin_calls = BuiltinCalls(app)
    return calls


def send(ctx: RequestContext, signal: Signal, kwargs: dict[str, t.Any]) -> t.Any:
    """The general path: send *signal* now, or return the coroutine that sends it."""
    app = ctx.app
    if ctx.trace is not None:
        ctx.trace.signal(signal, app)
    if signal.has_async_receivers:
        return signal.send_async(app, **kwargs)
    signal.send(app, **kwargs)
    return None


def send_robust(
    app: Tocsin, tr: t.Any, signal: Signal, errors: list[BaseException], kwargs: dict[str, t.Any]
) -> Pipe | None:
    """Send a teardown signal so that every receiver runs; keep (and log) what they raise.

    Returns ``None`` when done, or a generator that awaits the async receivers.
    """
    if tr is not None:
        tr.signal(signal, app)
    if signal.has_async_receivers:
        return _await_robust(app, signal, signal.send_robust_async(app, **kwargs), errors)
    _keep_failures(app, signal, signal.send_robust(app, **kwargs), errors)
    return None


def _await_robust(app: Tocsin, signal: Signal, aw: t.Any, errors: list[BaseException]) -> Pipe:
    _keep_failures(app, signal, (yield aw), errors)


def _keep_failures(
    app: Tocsin, signal: Signal, results: list[tuple[t.Any, t.Any]], errors: list[BaseException]
) -> None:
    for receiver, value in results:
        if isinstance(value, Exception):
            receiver_failed(app, signal, receiver, value, errors)


def receiver_failed(
    app: Tocsin, signal: Signal, receiver: t.Any, exc: Exception, errors: list[BaseException]
) -> None:
    """Log a receiver that raised during a teardown signal; keep its exception."""
    app.logger.error(
        "Error in receiver %r of signal %r",
        getattr(receiver, "__qualname__", receiver),
        getattr(signal, "name", signal),
        exc_info=exc,
    )
    errors.append(exc)
