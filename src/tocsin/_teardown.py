"""The teardown steps, 16 to 19: every function and receiver runs, both contexts are popped.

Each gets ``value = (exc, errors)``: the exception the request ended with
and the list where what its functions and receivers raise is kept, to be
raised once teardown is over (see :func:`tocsin._pipeline.finish`). They are
named in :data:`tocsin.lifecycle.STEPS` like the other steps (and reachable
from :mod:`tocsin._steps`).
"""

from __future__ import annotations

import typing as t

from . import signals as _sig

if t.TYPE_CHECKING:
    from .app import Tocsin
    from .ctx import RequestContext
    from .signals import Signal

__all__ = [
    "Getters",
    "Pipe",
    "Teardown",
    "pop_app_context",
    "pop_app_context_async",
    "pop_contexts",
    "pop_contexts_telling",
    "pop_request_context",
    "receiver_failed",
    "teardown_appcontext",
    "teardown_appcontext_async",
    "teardown_request",
    "teardown_request_async",
]

Pipe = t.Generator[t.Any, t.Any, t.Any]
#: The getters of a signal's sync receivers for the app (see ``Signal._sync_calls``).
Getters = tuple[t.Callable[[], t.Any], ...]
#: What teardown steps get: the exception the request ended with, and the errors kept.
Teardown = tuple[BaseException | None, list[BaseException]]


def _function_failed(
    app: Tocsin, step: str, fn: t.Any, e: BaseException, errors: list[BaseException]
) -> None:
    """Keep what a teardown function raised (to raise once teardown is over); log an error."""
    if isinstance(e, Exception):  # (a KeyboardInterrupt... is the server's to report)
        name = getattr(fn, "__qualname__", fn)
        app.logger.error("Error in %s function %r", step, name, exc_info=e)
    errors.append(e)


def receiver_failed(
    app: Tocsin, signal: Signal, receiver: t.Any, e: BaseException, errors: list[BaseException]
) -> None:
    """Keep what a receiver of a teardown signal raised; log an error."""
    if isinstance(e, Exception):  # (a KeyboardInterrupt... is the server's to report)
        app.logger.error(
            "Error in receiver %r of signal %r",
            getattr(receiver, "__qualname__", receiver),
            getattr(signal, "name", signal),
            exc_info=e,
        )
    errors.append(e)


def _tell_robust(calls: Getters, app: Tocsin, signal: Signal, errors: list[BaseException]) -> None:
    """Call every sync receiver of *signal* sent by *app*; keep (and log) what they raise."""
    for get in calls:
        if (receiver := get()) is not None:
            try:
                receiver(app)
            except BaseException as e:  # the rest still runs
                receiver_failed(app, signal, receiver, e, errors)


def _tell_exc_robust(
    calls: Getters,
    app: Tocsin,
    signal: Signal,
    exc: BaseException | None,
    errors: list[BaseException],
) -> None:
    """:func:`_tell_robust` for a tearing-down signal: each receiver gets ``exc=``."""
    for get in calls:
        if (receiver := get()) is not None:
            try:
                receiver(app, exc=exc)  # (explicit keywords: half the cost of **kwargs)
            except BaseException as e:  # the rest still runs
                receiver_failed(app, signal, receiver, e, errors)


def _teardown(
    ctx: RequestContext, name: str, work: tuple[t.Any, Getters, Signal], end: Teardown
) -> None:
    app = ctx.app
    funcs, calls, signal = work
    exc, errors = end
    for fn in funcs:
        try:
            fn(exc)
        except BaseException as e:  # the rest still runs
            _function_failed(app, name, fn, e, errors)
    if calls:
        _tell_exc_robust(calls, app, signal, exc, errors)


def _teardown_async(
    ctx: RequestContext, name: str, work: tuple[t.Any, Signal], end: Teardown
) -> Pipe:
    app = ctx.app
    funcs, signal = work
    exc, errors = end
    for fn, is_async in funcs:
        try:
            rv = fn(exc)
            if is_async:
                yield rv
        except BaseException as e:  # the rest still runs
            _function_failed(app, name, fn, e, errors)
    if signal.receivers:
        yield from _tell_every(signal, app, {"exc": exc}, errors)


def _tell_every(
    signal: Signal, app: Tocsin, kwargs: dict[str, t.Any], errors: list[BaseException]
) -> Pipe:
    """Send a teardown signal, awaiting ``async`` receivers: whatever one raises, the rest run.

    An ``Exception`` is logged and kept; any other ``BaseException`` is kept,
    to be raised once teardown is over.
    """
    for receiver, is_async in signal._deliveries(app, "send_async", False):
        try:
            rv = receiver(app, **kwargs)
            if is_async:
                yield rv
        except BaseException as e:  # the rest still runs
            receiver_failed(app, signal, receiver, e, errors)


def teardown_request(ctx: RequestContext, work: t.Any, end: Teardown) -> Teardown:
    """Step 16: the ``teardown_request`` functions, then ``request_tearing_down``."""
    _teardown(ctx, "teardown_request", work, end)
    return end


def teardown_request_async(ctx: RequestContext, work: t.Any, end: Teardown) -> Pipe:
    """Step 16 when a function or receiver is ``async``."""
    yield from _teardown_async(ctx, "teardown_request", work, end)
    return end


def pop_request_context(ctx: RequestContext, work: None, end: Teardown) -> Teardown:
    """Step 17: close the request (its uploaded files) and stop it being current."""
    ctx.leave_request()
    return end


def _tears_down_app_context(ctx: RequestContext) -> bool:
    """Whether this request ends its app context (it did not share one, nor push it twice)."""
    return not ctx.shares_app_ctx and ctx.app_ctx is not None and len(ctx.app_ctx._tokens) == 1


def teardown_appcontext(ctx: RequestContext, work: t.Any, end: Teardown) -> Teardown:
    """Step 18: the ``teardown_appcontext`` functions, then ``appcontext_tearing_down``."""
    if _tears_down_app_context(ctx):
        _teardown(ctx, "teardown_appcontext", work, end)
    return end


def teardown_appcontext_async(ctx: RequestContext, work: t.Any, end: Teardown) -> Pipe:
    """Step 18 when a function or receiver is ``async``."""
    if _tears_down_app_context(ctx):
        yield from _teardown_async(ctx, "teardown_appcontext", work, end)
    return end


def pop_app_context(ctx: RequestContext, work: tuple[Getters, Signal], end: Teardown) -> Teardown:
    """Step 19: stop the app context being current, then send ``appcontext_popped``."""
    last = _tears_down_app_context(ctx)
    ctx.app_ctx.deactivate()  # type: ignore[union-attr]  # set in step 1
    calls, signal = work
    if last and calls:
        _tell_robust(calls, ctx.app, signal, end[1])
    return end


def pop_app_context_async(ctx: RequestContext, signal: Signal, end: Teardown) -> Pipe:
    """Step 19 with ``async`` receivers of ``appcontext_popped``."""
    last = _tears_down_app_context(ctx)
    ctx.app_ctx.deactivate()  # type: ignore[union-attr]  # set in step 1
    if last and signal.receivers:
        yield from _tell_every(signal, ctx.app, {}, end[1])
    return end


def pop_contexts_telling(
    ctx: RequestContext, work: tuple[Getters, Getters], end: Teardown
) -> Teardown:
    """Steps 16 to 19 when their only work is sync receivers of the two tearing-down signals.

    *work* is the getters of ``request_tearing_down`` and of
    ``appcontext_tearing_down`` receivers for the app.
    """
    app = ctx.app
    request_calls, app_calls = work
    exc, errors = end
    app_ctx = ctx.app_ctx
    assert app_ctx is not None  # (made current in step 1)
    try:
        _tell_exc_robust(request_calls, app, _sig.request_tearing_down, exc, errors)  # 16
    finally:  # (after anything, BaseException included: both contexts are popped)
        try:
            ctx.leave_request()  # 17
            # 18, if this request ends its app context (as _tears_down_app_context says)
            if app_calls and not ctx.shares_app_ctx and len(app_ctx._tokens) == 1:
                _tell_exc_robust(app_calls, app, _sig.appcontext_tearing_down, exc, errors)
        finally:
            app_ctx.deactivate()  # 19, with nobody to tell
    return end


def pop_contexts(ctx: RequestContext, work: None, end: Teardown) -> Teardown:
    """Steps 16 to 19 when only the pops have work: close the request, reset both contexts."""
    ctx.leave_request()
    ctx.app_ctx.deactivate()  # type: ignore[union-attr]  # set in step 1
    return end
