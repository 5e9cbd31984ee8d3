"""The request pipeline: runs an app's compiled plan, phase by phase, for both drivers.

Nothing here does I/O or awaits, and nothing here knows a step: the steps
are :mod:`tocsin._steps`, their order is :data:`tocsin.lifecycle.STEPS`,
and :mod:`tocsin._compile` turns both into the entries of a
:class:`~tocsin._compile.Plan`. This module runs the entries of each phase
in turn and sends exceptions where :data:`tocsin.lifecycle.PHASES` says.

:func:`dispatch` (steps 1 to 14) and :func:`finish` (16 to 19) are
generators. What they yield is a request to their driver
(:mod:`tocsin._drive`): a coroutine to await, or, only when the driver
asked with ``on_loop=True``, :data:`ROUTED` once the URL is matched (the
ASGI driver then reads the body and, for a plan that runs sync code, moves
the request to a worker thread). The driver sends back the result, or
throws the exception.
"""

from __future__ import annotations

import typing as t

from werkzeug.wrappers import Response as BaseResponse

from ._compile import Entry, Plan, compiled
from ._steps import ANSWERS, AWAITS, PENDING, RESPONDS, Pipe, Teardown, not_a_response
from .signals import _registry

if t.TYPE_CHECKING:
    from .app import Tocsin
    from .ctx import AppContext, RequestContext

__all__ = [
    "ROUTED",
    "Direct",
    "Pipe",
    "dispatch",
    "finish",
    "pop_app_context",
    "run",
    "run_teardown",
]

#: A response that no hook needs as an object: ``(status code, headers, body)``,
#: a plain tuple (no Response object is ever a tuple). The drivers write it
#: without building a :class:`~tocsin.wrappers.Response`.
Direct = tuple[int, list[tuple[str, str]], bytes]


class _Routed:
    """What :func:`dispatch` yields to a driver on a loop once it knows the request's plan."""

    def __repr__(self) -> str:
        return "ROUTED"


ROUTED: t.Any = _Routed()


def run(ctx: t.Any, entries: tuple[Entry, ...], value: t.Any) -> Pipe:
    """Run *entries* in order, each getting the value the previous one returned."""
    for fn, work, kind in entries:
        if not kind:
            value = fn(ctx, work, value)
        elif kind is True:
            value = yield from fn(ctx, work, value)
        else:
            value = _awaited(kind, work, (yield fn(ctx, work, value)))
    return value


def _awaited(kind: int, work: t.Any, value: t.Any) -> t.Any:
    """The value of a step that returned an awaitable (:data:`~tocsin._steps.AWAITS` and kin)."""
    if kind is ANSWERS and value is None:
        return PENDING
    if kind is RESPONDS and not isinstance(value, BaseResponse):
        not_a_response(work, value)
    return value


def dispatch(app: Tocsin, ctx: RequestContext, on_loop: bool = False) -> Pipe:
    """Steps 1 to 14: return the response.

    An unhandled exception propagates when ``PROPAGATE_EXCEPTIONS`` is on;
    otherwise it is stored in ``ctx.error`` and a 500 response is returned.
    """
    lc = compiled(app, ctx.trace is not None)  # a sampled request runs the traced twin
    value = PENDING
    try:
        for fn, work, is_gen in lc.open:  # 1 to 3
            value = (yield from fn(ctx, work, value)) if is_gen else fn(ctx, work, value)
    except BaseException as e:  # an appcontext_pushed receiver, a custom session interface
        if not ctx.pushed:  # step 1 failed: step 2 still makes the request current,
            ctx.enter_request()  # so that the error path has it and teardown pops both
        if not isinstance(e, Exception):
            raise
        ctx.plan = lc.plan(ctx)
        return (yield from _error_path(app, ctx, ctx.plan, e))
    plan = ctx.plan = lc.plan(ctx)
    if on_loop and (plan.in_thread or ctx.body_pending):
        yield ROUTED
    try:
        for fn, work, is_gen in plan.enter:  # 4, 5
            value = (yield from fn(ctx, work, value)) if is_gen else fn(ctx, work, value)
        try:
            for fn, work, kind in plan.handle:  # 6 to 8
                if not kind:
                    value = fn(ctx, work, value)
                elif kind is True:
                    value = yield from fn(ctx, work, value)
                elif kind is AWAITS:  # an async view: its value as it is
                    value = yield fn(ctx, work, value)
                elif (value := (yield fn(ctx, work, value))) is None:  # ANSWERS (see _awaited)
                    value = PENDING  # the async before_request function did not answer
                if value is not PENDING:  # a before_request function answered, or the view
                    break
        except Exception as e:  # 9
            fn, work, is_gen = plan.recover
            value = (yield from fn(ctx, work, e)) if is_gen else fn(ctx, work, e)
        if plan.generation != _registry.generation:  # the view connected a receiver...
            plan = ctx.plan = compiled(app, ctx.trace is not None).plan(ctx)
        for fn, work, kind in plan.respond:  # 10 to 14
            if not kind:
                value = fn(ctx, work, value)
            elif kind is True:
                value = yield from fn(ctx, work, value)
            elif not isinstance(value := (yield fn(ctx, work, value)), BaseResponse):
                not_a_response(work, value)  # RESPONDS, the one awaiting kind here (see _awaited)
        return value
    except Exception as e:
        return (yield from _error_path(app, ctx, plan, e))


def _error_path(app: Tocsin, ctx: RequestContext, plan: Plan, e: Exception) -> Pipe:
    """An unhandled exception: the error path, then steps 10 to 14 on the 500 response.

    Errors in steps 10 to 14 are only logged now. An app that overrides
    ``handle_exception`` gets *e* there instead, as in Flask. What propagates
    from here (``PROPAGATE_EXCEPTIONS``, a failing 500 handler) is told to
    the tracer, if any: the server answers 500.
    """
    try:
        return (yield from _handle_error(app, ctx, plan, e))
    except Exception as raised:
        tracer = app.tracer
        if tracer is not None:
            tracer.propagated(ctx, raised)
        raise


def _handle_error(app: Tocsin, ctx: RequestContext, plan: Plan, e: Exception) -> Pipe:
    """The body of :func:`_error_path`."""
    if "handle_exception" in plan.overridden:
        if not app.should_ignore_error(e):
            ctx.error = e
        return app.handle_exception(e)
    fn, work, _ = plan.error_path
    value = yield from fn(ctx, work, e)
    for entry in plan.respond_error:
        try:
            value = yield from run(ctx, (entry,), value)
        except Exception:
            if not isinstance(value, BaseResponse):  # no response to send: unhandled
                raise
            app.logger.exception("Request finalizing failed with an error while handling an error")
            break
    return value


def finish(app: Tocsin, ctx: RequestContext, exc: BaseException | None) -> Pipe:
    """Steps 16 to 19: teardown functions and signals, then pop both contexts.

    Every step runs, even when an earlier one raised (anything, ``BaseException``
    included): what teardown functions and receivers raise is logged and
    kept; then what was kept is raised, alone or as an :class:`ExceptionGroup`.
    """
    plan = ctx.plan
    if plan is None or plan.generation != _registry.generation:  # a receiver came or went
        plan = compiled(app, ctx.trace is not None).plan(ctx)
    if plan.resets_only:  # the usual: two resets, which do not fail
        plan.teardown[0][0](ctx, None, None)
        return
    ignores = exc is not None and "should_ignore_error" in plan.overridden
    if ignores and app.should_ignore_error(exc):
        exc = None
    end: Teardown = (exc, [])
    if not plan.app_teardown:  # one plain entry does 16 to 19 (sync receivers only)
        plan.teardown[0][0](ctx, plan.teardown[0][1], end)
        if end[1]:
            _raise_collected(end[1])
        return
    if plan.teardown_sync:  # 16, 17
        stopped = _run_all_now(ctx, plan.teardown, end)
    else:
        stopped = yield from _run_all(ctx, plan.teardown, end)
    rest, sync = plan.app_teardown, plan.teardown_sync
    if rest and plan.generation != _registry.generation:  # a teardown function connected one
        rest, sync = compiled(app, ctx.trace is not None).app_teardown, False
    if rest:  # 18, 19
        if sync:
            stopped = _run_all_now(ctx, rest, end) or stopped
        else:
            stopped = (yield from _run_all(ctx, rest, end)) or stopped
    if stopped is not None or end[1]:
        _raise_teardown(stopped, end[1])


def _run_all(ctx: t.Any, entries: tuple[Entry, ...], end: Teardown) -> Pipe:
    """Run every one of *entries*; return the first ``BaseException`` one raised, if any."""
    stopped: BaseException | None = None
    for fn, work, is_gen in entries:
        try:
            if is_gen:
                yield from fn(ctx, work, end)
            else:
                fn(ctx, work, end)
        except BaseException as e:  # the rest still runs; the first one is raised
            if stopped is None:
                stopped = e
    return stopped


def _run_all_now(ctx: t.Any, entries: tuple[Entry, ...], end: Teardown) -> BaseException | None:
    """:func:`_run_all` for entries none of which is a generator: no generator either."""
    stopped: BaseException | None = None
    for fn, work, _ in entries:
        try:
            fn(ctx, work, end)
        except BaseException as e:  # the rest still runs; the first one is raised
            if stopped is None:
                stopped = e
    return stopped


def _teardown(ctx: t.Any, entries: tuple[Entry, ...], end: Teardown) -> Pipe:
    _raise_teardown((yield from _run_all(ctx, entries, end)), end[1])


def _raise_teardown(stopped: BaseException | None, errors: list[BaseException]) -> None:
    if stopped is not None:
        raise stopped
    _raise_collected(errors)


def run_teardown(ctx: t.Any, entries: tuple[Entry, ...], exc: BaseException | None) -> Pipe:
    """Run teardown *entries* (every one, as :func:`finish` does), for a direct call."""
    yield from _teardown(ctx, entries, (exc, []))


def pop_app_context(app: Tocsin, app_ctx: AppContext, exc: BaseException | None) -> Pipe:
    """Steps 18 and 19 for an app context pushed outside a request."""
    errors: list[BaseException] = []
    yield from _teardown(app_ctx, compiled(app).app_teardown, (exc, errors))


def _raise_collected(errors: list[BaseException]) -> None:
    """Raise what teardown collected: one error alone, several as an ExceptionGroup.

    A ``BaseException`` that is not an ``Exception`` (``KeyboardInterrupt``,
    ``SystemExit``, ``CancelledError``) is raised itself, the first one kept,
    so that the server sees what it knows; the others were logged.
    """
    if len(errors) == 1:
        raise errors[0]
    for e in errors:
        if not isinstance(e, Exception):
            raise e
    if errors:
        raise ExceptionGroup(
            "several teardown functions or receivers failed", t.cast(list[Exception], errors)
        )
