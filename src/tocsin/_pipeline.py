"""The request pipeline, written once for both drivers.

Nothing here does I/O or awaits. The pipeline is a pair of generators:
:func:`dispatch` runs lifecycle steps 1 to 14 and returns the response,
:func:`finish` runs steps 16 to 19. Synchronous hooks and receivers are
called directly; a coroutine, or a synchronous view, is *yielded* to the
driver, which decides how it is run (:mod:`tocsin._drive`).

The order of the steps is :data:`tocsin.lifecycle.STEPS`; each step below is
marked with its number.
"""

from __future__ import annotations

import collections.abc as cabc
import typing as t

from werkzeug.exceptions import BadRequestKeyError, HTTPException, InternalServerError
from werkzeug.routing import RoutingException
from werkzeug.wrappers import Response as BaseResponse

from . import signals as _sig
from ._async import is_async_callable
from ._delivery import (
    GENERAL,
    builtin_calls,
    rebuild_builtin_calls,
    receiver_failed,
    send,
    send_robust,
)
from ._dispatching import run_request_methods
from .globals import _cv_request
from .signals import _registry

if t.TYPE_CHECKING:
    from .app import Tocsin
    from .ctx import AppContext, RequestContext
    from .signals import Signal
    from .wrappers import Response

__all__ = ["Direct", "Hook", "Hooks", "Plan", "dispatch", "finish"]

#: A registered function and whether it is ``async``, decided once.
Hook = tuple[t.Callable[..., t.Any], bool]
Pipe = cabc.Generator[t.Any, t.Any, t.Any]


class Hooks(tuple[Hook, ...]):
    """Hooks in call order, knowing whether any of them is ``async``."""

    any_async: bool

    def __new__(cls, funcs: cabc.Iterable[t.Callable[..., t.Any]]) -> Hooks:
        self = super().__new__(cls, ((f, is_async_callable(f)) for f in funcs))
        self.any_async = any(is_async for _, is_async in self)
        return self


_NO_HOOKS = Hooks(())


class Plan(t.NamedTuple):
    """The hooks of one blueprint scope, flattened in lifecycle order."""

    #: Blueprint names, innermost first (for error handlers).
    blueprints: tuple[str, ...]
    url_value_preprocessors: Hooks
    before_request: Hooks
    after_request: Hooks
    teardown_request: Hooks


#: A response that no hook needs as an object: ``(status code, headers, body)``,
#: a plain tuple (no Response object is ever a tuple). The drivers write it
#: without building a :class:`~tocsin.wrappers.Response`.
Direct = tuple[int, list[tuple[str, str]], bytes]


# -- steps 1 to 14 --------------------------------------------------------------


def dispatch(app: Tocsin, ctx: RequestContext) -> Pipe:
    """Run steps 1 to 14 and return the response.

    An unhandled exception propagates when ``PROPAGATE_EXCEPTIONS`` is on;
    otherwise it is stored in ``ctx.error`` and a 500 response is returned.
    """
    tr = ctx.trace
    if _sig.appcontext_pushed.receivers:
        ctx._set_app_context()  # 1
        if not ctx.shares_app_ctx:
            aw = send(ctx, _sig.appcontext_pushed, {})
            if aw is not None:
                yield aw
        ctx._tokens.append(_cv_request.set(ctx))  # 2
    else:
        ctx._set()  # 1, 2
    if tr is not None:
        tr.step("push_request_context")
    if app._session_always:  # 2: a custom session interface opens it now, as in Flask
        try:
            ctx.opened_session()
        except Exception as e:  # as an error in the view would be: the error path
            ctx.plan = app._plan(None)
            return (yield from _handle_exception(app, ctx, e))
    if tr is not None:
        tr.step("match_url")
    if ctx.url_rule is None and ctx.routing_exception is None:
        ctx.match_request()  # 3 (the ASGI driver may have matched already)
    plan = ctx.plan = app._plan(ctx.url_rule)
    if app._request_methods:  # the app overrides Flask's request methods: use them
        return run_request_methods(app, ctx)
    try:
        if not app._first_request_done:  # 4
            if tr is not None:
                tr.step("before_first_request")
            yield app._run_before_first_request()
        if tr is not None:
            tr.step("request_started")
        if (sc := app._builtin_calls).generation != _registry.generation:
            sc = rebuild_builtin_calls(app)
        calls = sc.request_started
        if calls:  # 5
            if calls is GENERAL or tr is not None:
                aw = send(ctx, _sig.request_started, {})
                if aw is not None:
                    yield aw
            else:
                for get in calls:
                    if (receiver := get()) is not None:
                        receiver(app)
        try:
            if tr is not None:
                tr.step("url_value_preprocessor")
            for fn, is_async in plan.url_value_preprocessors:  # 6
                if tr is not None:
                    tr.call("url_value_preprocessor", fn)
                rv = fn(ctx.url_rule.endpoint if ctx.url_rule else None, ctx.view_args)
                if is_async:
                    yield rv
            if tr is not None:
                tr.step("before_request")
            for fn, is_async in plan.before_request:  # 7
                if tr is not None:
                    tr.call("before_request", fn)
                rv = fn()
                if is_async:
                    rv = yield rv
                if rv is not None:
                    break  # short-circuit: rv is the response
            else:
                if tr is not None:
                    tr.step("dispatch")
                error = ctx.routing_exception
                if error is not None:  # 8: 404, 405 or a redirect, raised only now
                    rv = yield from _handle_user_exception(app, ctx, plan, error)
                else:
                    view, is_async = ctx.view or app._view(ctx)
                    if tr is not None:
                        tr.call("view", view)
                    if is_async:
                        rv = yield view(**ctx.view_args)  # type: ignore[arg-type]  # matched: a dict
                    else:
                        rv = yield (view, ctx.view_args)
        except Exception as e:  # 9
            rv = yield from _handle_user_exception(app, ctx, plan, e)
        return (yield from _finalize(app, ctx, rv, False))  # 10-14
    except Exception as e:
        return (yield from _handle_exception(app, ctx, e))


def _handle_user_exception(app: Tocsin, ctx: RequestContext, plan: Plan, e: Exception) -> Pipe:
    """Step 9: give *e* to its handler; HTTP errors without one become their response."""
    if isinstance(e, BadRequestKeyError):  # (tested here: a 404 need not make a call)
        mark_missing_key(app, e)
    if isinstance(e, HTTPException) and not app.trap_http_exception(e):
        if e.code is None or isinstance(e, RoutingException) or not app.error_handler_spec:
            return e
        handler = app._find_error_handler(e, plan.blueprints)
        if handler is None:
            return e
    else:
        handler = app._find_error_handler(e, plan.blueprints)
        if handler is None:
            raise e
    if ctx.trace is not None:
        ctx.trace.step("handle_exception")
        ctx.trace.call("errorhandler", handler[0])
    rv = handler[0](e)
    if handler[1]:
        rv = yield rv
    return rv


def mark_missing_key(app: Tocsin, e: Exception) -> None:
    """In debug mode (or when trapping bad requests), let the 400 page of a missing key name it."""
    if isinstance(e, BadRequestKeyError) and (app.debug or app.config["TRAP_BAD_REQUEST_ERRORS"]):
        e.show_exception = True


def propagates(app: Tocsin) -> bool:
    """Whether an unhandled exception is raised to the server (``PROPAGATE_EXCEPTIONS``).

    Unset, it is in testing and debug mode.
    """
    propagate = app.config["PROPAGATE_EXCEPTIONS"]
    return bool(propagate or (propagate is None and (app.testing or app.debug)))


def _handle_exception(app: Tocsin, ctx: RequestContext, e: Exception) -> Pipe:
    """The error path: ``got_request_exception``, then re-raise or a 500 response.

    Traced as step 9, ``handle_exception``, with the signal and the 500 handler.
    """
    tr = ctx.trace
    if tr is not None:
        tr.step("handle_exception")
    if _sig.got_request_exception.receivers:
        aw = send(ctx, _sig.got_request_exception, {"exception": e})
        if aw is not None:
            yield aw
    if propagates(app):
        raise e
    ctx.error = e
    app.log_exception(e)
    server_error: t.Any = InternalServerError(original_exception=e)
    handler = app._find_error_handler(server_error, ctx.plan.blueprints)
    if handler is not None:
        if tr is not None:
            tr.call("errorhandler", handler[0])
        server_error = handler[0](server_error)
        if handler[1]:
            server_error = yield server_error
    return (yield from _finalize(app, ctx, server_error, True))


def _finalize(app: Tocsin, ctx: RequestContext, rv: t.Any, from_error: bool) -> Pipe:
    """Steps 10 to 14. Errors here are unhandled; after an error they are only logged."""
    plan = ctx.plan
    tr = ctx.trace
    if tr is not None:
        tr.step("make_response")
    hooked = plan.after_request or ctx._after_request_functions
    direct = app._direct_response(rv)  # 10
    if direct is not None:
        if (  # a plain body that no hook will see needs no Response object...
            not hooked
            and ctx._session is None
            and not (ctx.has_cookie and app._session_maybe_refreshed(ctx))
        ):
            if (sc := app._builtin_calls).generation != _registry.generation:
                sc = rebuild_builtin_calls(app)
            calls = sc.request_finished
            if not calls:  # ... nor any receiver
                if tr is not None:
                    _trace_skipped_steps(tr, direct[0])
                return direct
            if calls is not GENERAL and tr is None and not from_error:
                response = app.response_class._complete(*direct)  # 14 is all there is to do
                for get in calls:
                    if (receiver := get()) is not None:
                        receiver(app, response=response)
                return response
        response = app.response_class._complete(*direct)
    else:
        response = app.make_response(rv)
    try:
        if hooked or tr is not None:
            if tr is not None:
                tr.step("after_this_request")
            for fn in ctx._after_request_functions:  # 11
                if tr is not None:
                    tr.call("after_this_request", fn)
                rv = fn(response)
                response = rv if isinstance(rv, BaseResponse) else _not_a_response(fn, rv)  # type: ignore[assignment]  # any Werkzeug response will do
            if tr is not None:
                tr.step("after_request")
            for fn, is_async in plan.after_request:  # 12
                if tr is not None:
                    tr.call("after_request", fn)
                rv = fn(response)
                if is_async:
                    rv = yield rv
                response = rv if isinstance(rv, BaseResponse) else _not_a_response(fn, rv)  # type: ignore[assignment]  # any Werkzeug response will do
        if tr is not None:
            tr.step("save_session")
        if ctx._session is not None or (ctx.has_cookie and app._session_maybe_refreshed(ctx)):  # 13
            _save_session(app, ctx, response)
        if tr is not None:
            tr.step("request_finished")
            tr.status = response.status_code
        if (sc := app._builtin_calls).generation != _registry.generation:
            sc = rebuild_builtin_calls(app)
        calls = sc.request_finished
        if calls:  # 14
            if calls is GENERAL or tr is not None:
                aw = send(ctx, _sig.request_finished, {"response": response})
                if aw is not None:
                    yield aw
            else:
                for get in calls:
                    if (receiver := get()) is not None:
                        receiver(app, response=response)
    except Exception:
        if not from_error:
            raise
        app.logger.exception("Request finalizing failed with an error while handling an error")
    return response


def _not_a_response(fn: t.Callable[..., t.Any], rv: t.Any) -> t.NoReturn:
    """An after-request function returned something else than a response object."""
    name = getattr(fn, "__qualname__", repr(fn))
    raise TypeError(
        f"The after-request function {name!r} returned {type(rv).__name__}, not a response"
        " object. It must return the response it was given (or a new one)."
    )


def _save_session(app: Tocsin, ctx: RequestContext, response: Response) -> None:
    """Step 13: store the session, unless it is the null session."""
    iface = app.session_interface
    session = ctx.opened_session()  # not ctx.session: saving is no access (no Vary: Cookie)
    if not iface.is_null_session(session):
        iface.save_session(app, session, response)


# -- steps 16 to 19 -------------------------------------------------------------


def _trace_skipped_steps(tr: t.Any, status: int) -> None:
    """Record steps 11 to 14 for a response that needed none of them."""
    for name in ("after_this_request", "after_request", "save_session", "request_finished"):
        tr.step(name)
    tr.status = status


def teardown_step(
    app: Tocsin,
    tr: t.Any,
    step: str,
    funcs: Hooks,
    signal: Signal,
    calls: tuple[t.Any, ...],
    exc: BaseException | None,
    errors: list[BaseException],
) -> Pipe | None:
    """Step 16 or 18: every teardown function, then the step's signal, robustly.

    *calls* is the signal's entry in :func:`~tocsin._delivery.builtin_calls`.
    What the functions and receivers raise is logged and kept in *errors*.
    When nothing involved is ``async`` the step runs now and ``None`` is
    returned; otherwise the returned generator runs it.
    """
    if funcs.any_async or calls is GENERAL:
        return _teardown_async(app, tr, step, funcs, signal, exc, errors)
    for fn, _ in funcs:
        if tr is not None:
            tr.call(step, fn)
        try:
            fn(exc)
        except Exception as e:
            _teardown_failed(app, step, fn, e, errors)
    if not calls:
        return None
    if tr is not None:
        tr.signal(signal, app)
    for get in calls:
        if (receiver := get()) is not None:
            try:
                receiver(app, exc=exc)
            except Exception as e:
                receiver_failed(app, signal, receiver, e, errors)
    return None


def _teardown_async(
    app: Tocsin,
    tr: t.Any,
    step: str,
    funcs: Hooks,
    signal: Signal,
    exc: BaseException | None,
    errors: list[BaseException],
) -> Pipe:
    """:func:`teardown_step` when a function or receiver is ``async``."""
    for fn, is_async in funcs:
        if tr is not None:
            tr.call(step, fn)
        try:
            rv = fn(exc)
            if is_async:
                yield rv
        except Exception as e:
            _teardown_failed(app, step, fn, e, errors)
    if signal.receivers:
        rest = send_robust(app, tr, signal, errors, {"exc": exc})
        if rest is not None:
            yield from rest


def _teardown_failed(
    app: Tocsin, step: str, fn: t.Callable[..., t.Any], e: Exception, errors: list[BaseException]
) -> None:
    app.logger.exception("Error in %s function %r", step, getattr(fn, "__qualname__", fn))
    errors.append(e)


def finish(app: Tocsin, ctx: RequestContext, exc: BaseException | None) -> Pipe:
    """Steps 16 to 19: teardown functions and signals, then pop both contexts.

    Every function and receiver runs even when some raise; both contexts are
    always popped. Then what was raised is raised: alone, or as an
    :class:`ExceptionGroup` when several failed.
    """
    errors: list[BaseException] = []
    tr = ctx.trace
    try:
        if tr is not None:
            tr.step("teardown_request")
        funcs = ctx.plan.teardown_request if ctx.plan is not None else _NO_HOOKS
        if (sc := app._builtin_calls).generation != _registry.generation:
            sc = rebuild_builtin_calls(app)
        calls = sc.request_tearing_down
        if funcs or calls is GENERAL or tr is not None:  # 16
            sig = _sig.request_tearing_down
            rest = teardown_step(app, tr, "teardown_request", funcs, sig, calls, exc, errors)
            if rest is not None:
                yield from rest
        elif calls:  # sync receivers only (the common case), called here: two frames fewer
            for get in calls:
                if (receiver := get()) is not None:
                    try:
                        receiver(app, exc=exc)
                    except Exception as e:
                        receiver_failed(app, _sig.request_tearing_down, receiver, e, errors)
    finally:
        if tr is not None:
            tr.step("pop_request_context")
        if ctx._request is not None:
            ctx._request.close()  # uploaded files, as Flask closes them
        _cv_request.reset(ctx._tokens.pop())  # 17
    if tr is not None:
        tr.step("teardown_appcontext")
    app_ctx: AppContext = ctx.app_ctx  # type: ignore[assignment]  # set in step 1
    if (funcs or calls) and sc.generation != _registry.generation:  # code ran: look again
        sc = rebuild_builtin_calls(app)
    calls = sc.appcontext_tearing_down
    if ctx.shares_app_ctx:  # 18, 19 belong to whoever pushed it
        app_ctx._reset()
    elif (
        tr is None
        and calls is not GENERAL
        and not app._teardown_appcontext
        and not _sig.appcontext_popped.receivers
    ):  # the usual case, without the generator of pop_app_context
        try:
            if calls and len(app_ctx._tokens) == 1:  # 18: sync receivers only, called here
                for get in calls:
                    if (receiver := get()) is not None:
                        try:
                            receiver(app, exc=exc)
                        except Exception as e:
                            receiver_failed(app, _sig.appcontext_tearing_down, receiver, e, errors)
        finally:
            app_ctx._reset()  # 19, with nobody to tell
    else:
        yield from pop_app_context(app, app_ctx, exc, errors, tr)  # 18, 19
    if tr is not None:
        tr.end()
    if errors:
        _raise_collected(errors)


def pop_app_context(
    app: Tocsin,
    app_ctx: AppContext,
    exc: BaseException | None,
    errors: list[BaseException],
    tr: t.Any = None,
) -> Pipe:
    """Steps 18 and 19: ``teardown_appcontext``, then pop the app context."""
    try:
        funcs = app._teardown_appcontext
        calls = builtin_calls(app).appcontext_tearing_down
        if len(app_ctx._tokens) == 1 and (funcs or calls):  # else the last pop tears down
            sig = _sig.appcontext_tearing_down
            rest = teardown_step(app, tr, "teardown_appcontext", funcs, sig, calls, exc, errors)
            if rest is not None:
                yield from rest
    finally:
        if tr is not None:
            tr.step("pop_app_context")
        app_ctx._reset()
    sig = _sig.appcontext_popped
    if sig.receivers:
        rest = send_robust(app, tr, sig, errors, {})
        if rest is not None:
            yield from rest


def _raise_collected(errors: list[BaseException]) -> None:
    """Raise what teardown collected: one error alone, several as an ExceptionGroup."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ExceptionGroup(
            "several teardown functions or receivers failed", t.cast(list[Exception], errors)
        )
