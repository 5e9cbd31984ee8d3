"""The lifecycle steps: the function named by each row of :data:`tocsin.lifecycle.STEPS`.

Every step has the same shape, ``step(ctx, work, value) -> value``:
*work* is what the compiler (:mod:`tocsin._compile`) prepared for it once
(the hooks of the request's blueprint scope, the getters of a signal's
receivers...), *value* what the previous step produced (:data:`PENDING`,
then the view's return value, then the response). A step that may have to
wait for a coroutine has a generator variant, named with ``_async``: it
*yields* the coroutine to the driver (:mod:`tocsin._drive`) and gets its
result back. The compiler picks the plain function when nothing the step
calls is ``async``, so a step costs one call. Nothing here decides order
or skips a step: the compiler does that, once; and the tracer wraps the
entries, but for the session's save, which a traced request records here.

The teardown steps (16 to 19) are in :mod:`tocsin._teardown`.
"""

from __future__ import annotations

import typing as t

from werkzeug.exceptions import BadRequestKeyError, HTTPException, InternalServerError
from werkzeug.routing import RoutingException
from werkzeug.wrappers import Response as BaseResponse

from ._responses import direct_response

# The teardown steps (16 to 19) are in :mod:`tocsin._teardown`; they are named
# here too, so that each row of the table names a function of this module.
from ._teardown import (
    Getters,
    Pipe,
    Teardown,
    pop_app_context,
    pop_app_context_async,
    pop_contexts,
    pop_contexts_telling,
    pop_request_context,
    receiver_failed,
    teardown_appcontext,
    teardown_appcontext_async,
    teardown_request,
    teardown_request_async,
)

if t.TYPE_CHECKING:
    from .app import Tocsin
    from .ctx import RequestContext
    from .signals import Signal

__all__ = [
    "ANSWERS",
    "AWAITS",
    "PENDING",
    "Getters",
    "Pipe",
    "Teardown",
    "mark_missing_key",
    "pop_app_context",
    "pop_app_context_async",
    "pop_contexts",
    "pop_contexts_telling",
    "pop_request_context",
    "propagates",
    "receiver_failed",
    "teardown_appcontext",
    "teardown_appcontext_async",
    "teardown_request",
    "teardown_request_async",
]


#: The third field of a plan entry for a step function that returns an awaitable whose
#: result is the step's value (an ``async`` view): the pipeline yields it, no generator.
AWAITS = 2
#: The same, for a ``before_request`` function: a result of ``None`` is no answer.
ANSWERS = 3
#: The same, for an ``after_request`` function: the result must be a response.
RESPONDS = 4

#: How the response steps try the fast path (see :func:`make_response`).
DirectMaker = t.Callable[[t.Any, t.Any], t.Any]

#: The value of the handle phase until a ``before_request`` function or the view gives one.
PENDING: t.Any = type("Pending", (), {"__repr__": lambda self: "PENDING"})()


def _tell(calls: Getters, app: Tocsin) -> None:
    """Call the sync receivers of a signal sent by *app* with no arguments."""
    for get in calls:
        if (receiver := get()) is not None:
            receiver(app)


# -- open: steps 1 to 3, before the plan of the request is known ----------------------------


def push_app_context(ctx: RequestContext, calls: Getters, value: t.Any) -> t.Any:
    """Step 1: make the app context current, then send ``appcontext_pushed``."""
    ctx.enter_app_context()
    if not ctx.shares_app_ctx:
        _tell(calls, ctx.app)
    return value


def push_app_context_async(ctx: RequestContext, signal: Signal, value: t.Any) -> Pipe:
    """Step 1 with ``async`` receivers of ``appcontext_pushed``."""
    ctx.enter_app_context()
    if not ctx.shares_app_ctx:
        yield signal.send_async(ctx.app)
    return value


def push_request_context(ctx: RequestContext, opens_session: bool, value: t.Any) -> t.Any:
    """Step 2: make the request context current; a custom session interface opens now."""
    ctx.enter_request()
    if opens_session:
        ctx.opened_session()
    return value


def push_contexts(ctx: RequestContext, work: None, value: t.Any) -> t.Any:
    """Steps 1 and 2 when neither has anything else to do: one call."""
    ctx.activate()
    return value


def match_url(ctx: RequestContext, work: None, value: t.Any) -> t.Any:
    """Step 3: match the URL, storing the rule and values or the routing error."""
    if ctx.url_rule is None and ctx.routing_exception is None:
        ctx.match_request()
    return value


# -- enter: steps 4 and 5 --------------------------------------------------------------


def before_first_request(ctx: RequestContext, work: None, value: t.Any) -> Pipe:
    """Step 4: the ``before_first_request`` functions, once per app."""
    yield ctx.app._run_before_first_request(ctx.trace)
    return value


def request_started(ctx: RequestContext, calls: Getters, value: t.Any) -> t.Any:
    """Step 5: send ``request_started`` (the receivers called here, as in step 14)."""
    app = ctx.app
    for get in calls:
        if (receiver := get()) is not None:
            receiver(app)
    return value


def request_started_async(ctx: RequestContext, signal: Signal, value: t.Any) -> Pipe:
    """Step 5 with ``async`` receivers."""
    yield signal.send_async(ctx.app)
    return value


# -- handle: steps 6 to 8; their exceptions go to step 9 ----------------------------------------


def url_value_preprocessor(ctx: RequestContext, hooks: tuple[t.Any, ...], value: t.Any) -> t.Any:
    """Step 6: each URL value preprocessor gets the endpoint and the URL values."""
    endpoint = ctx.url_rule.endpoint if ctx.url_rule is not None else None
    for fn in hooks:
        fn(endpoint, ctx.view_args)
    return value


def url_value_preprocessor_async(
    ctx: RequestContext, hooks: tuple[tuple[t.Any, bool], ...], value: t.Any
) -> Pipe:
    """Step 6 when a preprocessor is ``async``."""
    endpoint = ctx.url_rule.endpoint if ctx.url_rule is not None else None
    for fn, is_async in hooks:
        rv = fn(endpoint, ctx.view_args)
        if is_async:
            yield rv
    return value


def before_request(ctx: RequestContext, hooks: tuple[t.Any, ...], value: t.Any) -> t.Any:
    """Step 7: the first value other than ``None`` a function returns is the response."""
    for fn in hooks:
        rv = fn()
        if rv is not None:
            return rv
    return value


def before_request_one_async(ctx: RequestContext, fn: t.Callable[[], t.Any], value: t.Any) -> t.Any:
    """Step 7 when its only function is ``async``: the awaitable of its value (:data:`ANSWERS`)."""
    return fn()


def before_request_async(
    ctx: RequestContext, hooks: tuple[tuple[t.Any, bool], ...], value: t.Any
) -> Pipe:
    """Step 7 when a function is ``async``."""
    for fn, is_async in hooks:
        rv = fn()
        if is_async:
            rv = yield rv
        if rv is not None:
            return rv
    return value


def dispatch(ctx: RequestContext, view: t.Callable[..., t.Any], value: t.Any) -> t.Any:
    """Step 8: call the view with the URL values (or answer an automatic ``OPTIONS``)."""
    if ctx.routing_exception is not None:  # stored after matching (the ASGI body's 413)
        raise ctx.routing_exception
    if ctx.method == "OPTIONS" and getattr(ctx.url_rule, "provide_automatic_options", False):
        return ctx.app.make_default_options_response()
    return view(**ctx.view_args)  # type: ignore[arg-type]  # matched: a dict


def dispatch_async(ctx: RequestContext, view: t.Callable[..., t.Any], value: t.Any) -> t.Any:
    """Step 8 for an ``async`` view: the awaitable of its value (an :data:`AWAITS` entry)."""
    if ctx.routing_exception is not None:
        raise ctx.routing_exception
    if ctx.method == "OPTIONS" and getattr(ctx.url_rule, "provide_automatic_options", False):
        return _ready(ctx.app.make_default_options_response())
    return view(**ctx.view_args)  # type: ignore[arg-type]


async def _ready(value: t.Any) -> t.Any:
    return value


def dispatch_unmatched(ctx: RequestContext, recover: t.Any, value: t.Any) -> t.Any:
    """Step 8 of a request no rule matched: its routing error goes to step 9 directly.

    (Raising it would cost more than the rest of a 404.) *recover* is the
    plan's step 9 entry.
    """
    fn, work, _ = recover
    return fn(ctx, work, ctx.routing_exception)


def dispatch_unmatched_async(ctx: RequestContext, recover: t.Any, value: t.Any) -> Pipe:
    """:func:`dispatch_unmatched` when step 9 may wait for an ``async`` handler."""
    fn, work, _ = recover
    return (yield from fn(ctx, work, ctx.routing_exception))


# -- recover: step 9 ----------------------------------------------------------------------


#: How step 9 finds the handler of an exception for the blueprints (innermost first):
#: ``(function, is_async)`` or ``None`` (``App._find_error_handler``, unbound).
FindHandler = t.Callable[[t.Any, BaseException, tuple[str, ...]], t.Any]


def _handler_for(find: FindHandler, ctx: RequestContext, e: Exception) -> t.Any:
    """The error handler of *e* (``(function, is_async)``), or *e* itself.

    *e* itself: an HTTP error without a handler, which is its own response.
    Any other exception without one is raised again.
    """
    app = ctx.app
    if isinstance(e, BadRequestKeyError):
        mark_missing_key(app, e)
    plan = ctx.plan
    assert plan is not None  # (the error path runs once the URL is matched)
    if isinstance(e, HTTPException) and not app.trap_http_exception(e):
        if e.code is None or isinstance(e, RoutingException) or not app.error_handler_spec:
            return e
        return find(app, e, plan.blueprints) or e
    handler = find(app, e, plan.blueprints)
    if handler is None:
        raise e
    return handler


def handle_user_exception(ctx: RequestContext, find: FindHandler, e: Exception) -> t.Any:
    """Step 9: the value of *e*'s error handler; an HTTP error without one is the response.

    An exception no handler takes is raised again: it is unhandled.
    """
    handler = _handler_for(find, ctx, e)
    return handler if handler is e else handler[0](e)


def handle_user_exception_async(ctx: RequestContext, find: FindHandler, e: Exception) -> Pipe:
    """Step 9 where an error handler may be ``async``."""
    handler = _handler_for(find, ctx, e)
    if handler is e:
        return e
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


def unhandled(
    ctx: RequestContext, work: tuple[Getters | None, Signal, FindHandler], e: Exception
) -> Pipe:
    """The error path (traced as step 9): ``got_request_exception``, then raise or a 500.

    Returns what steps 10 to 14 make the 500 response from: the 500
    handler's value, else the ``InternalServerError`` (whose
    ``original_exception`` is *e*).
    """
    app = ctx.app
    calls, signal, find = work
    if calls is None:  # async receivers
        yield signal.send_async(app, exception=e)
    else:
        for get in calls:
            if (receiver := get()) is not None:
                receiver(app, exception=e)
    if propagates(app):
        raise e
    ctx.error = e
    app.log_exception(e)
    server_error: t.Any = InternalServerError(original_exception=e)
    assert ctx.plan is not None  # (the error path runs once the URL is matched)
    handler = find(app, server_error, ctx.plan.blueprints)
    if handler is not None:
        server_error = handler[0](server_error)
        if handler[1]:
            server_error = yield server_error
    return server_error


# -- respond: steps 10 to 14 --------------------------------------------------------------


def make_response(ctx: RequestContext, direct: DirectMaker, rv: t.Any) -> t.Any:
    """Step 10: make the return value a response object.

    *direct* is :func:`~tocsin._responses.direct_response` when the
    compiler allows the fast path, else :func:`~tocsin._responses.never_direct`.
    """
    app = ctx.app
    plain = direct(app, rv)
    if plain is not None:
        return app.response_class._complete(*plain)
    return app.make_response(rv)


def respond_direct(ctx: RequestContext, calls: Getters, rv: t.Any) -> t.Any:
    """Steps 10, 11, 13 and 14 in one call, for a plan with no ``after_request``
    function and only sync ``request_finished`` receivers (*calls*, maybe none).

    A plain body (text, bytes, JSON) becomes a :data:`~tocsin._pipeline.Direct`
    tuple, which the drivers write as it is, unless a receiver needs a
    response object, or this request registered an ``after_this_request``
    function or has a session to save.
    """
    app = ctx.app
    direct = direct_response(app, rv)  # (compiled only where direct_allowed)
    if direct is None:
        response = app.make_response(rv)
    elif (
        calls
        or ctx._after_request_functions
        or ctx._session is not None
        or (ctx.has_cookie and app._session_maybe_refreshed(ctx))
    ):
        response = app.response_class._complete(*direct)
    else:
        return direct
    if ctx._after_request_functions:
        response = after_this_request(ctx, None, response)
    if ctx._session is not None or (ctx.has_cookie and app._session_maybe_refreshed(ctx)):
        response = save_session(ctx, None, response)
    for get in calls:
        if (receiver := get()) is not None:
            receiver(app, response=response)
    return response


def make_response_once(ctx: RequestContext, direct: DirectMaker, rv: t.Any) -> t.Any:
    """Steps 10 and 11 in one call: the response object, then this request's
    ``after_this_request`` functions, if it registered any."""
    app = ctx.app
    plain = direct(app, rv)
    response = app.response_class._complete(*plain) if plain is not None else app.make_response(rv)
    if ctx._after_request_functions:
        return after_this_request(ctx, None, response)
    return response


def not_a_response(fn: t.Callable[..., t.Any], rv: t.Any) -> t.NoReturn:
    """An after-request function returned something else than a response object."""
    name = getattr(fn, "__qualname__", repr(fn))
    raise TypeError(
        f"The after-request function {name!r} returned {type(rv).__name__}, not a response"
        " object. It must return the response it was given (or a new one)."
    )


def after_this_request(ctx: RequestContext, work: None, response: t.Any) -> t.Any:
    """Step 11: this request's one-shot functions, in registration order (traced if sampled)."""
    for fn in ctx._after_request_functions:
        trace = ctx.trace
        rv = fn(response) if trace is None else trace.timed("after_this_request", fn, fn, response)
        response = rv if isinstance(rv, BaseResponse) else not_a_response(fn, rv)
    return response


def after_request(ctx: RequestContext, hooks: tuple[t.Any, ...], response: t.Any) -> t.Any:
    """Step 12: each function gets the response and returns one."""
    for fn in hooks:
        rv = fn(response)
        response = rv if isinstance(rv, BaseResponse) else not_a_response(fn, rv)
    return response


def after_request_one_async(
    ctx: RequestContext, fn: t.Callable[..., t.Any], response: t.Any
) -> t.Any:
    """Step 12 when its only function is ``async``: the awaitable of its response (RESPONDS)."""
    return fn(response)


def after_request_async(
    ctx: RequestContext, hooks: tuple[tuple[t.Any, bool], ...], response: t.Any
) -> Pipe:
    """Step 12 when a function is ``async``."""
    for fn, is_async in hooks:
        rv = fn(response)
        if is_async:
            rv = yield rv
        response = rv if isinstance(rv, BaseResponse) else not_a_response(fn, rv)
    return response


def save_session(ctx: RequestContext, work: None, response: t.Any) -> t.Any:
    """Step 13: store the session, if it was opened or its cookie may need refreshing."""
    app = ctx.app
    if ctx._session is not None or (ctx.has_cookie and app._session_maybe_refreshed(ctx)):
        iface = app.session_interface
        session = ctx.opened_session()  # not ctx.session: saving is no access (no Vary: Cookie)
        if not iface.is_null_session(session):
            if ctx.trace is None:
                iface.save_session(app, session, response)
            else:  # a traced request records it
                save = iface.save_session
                ctx.trace.timed("session_save", save, save, app, session, response)
    return response


def request_finished(ctx: RequestContext, calls: Getters, response: t.Any) -> t.Any:
    """Step 14: send ``request_finished`` with the response."""
    app = ctx.app
    for get in calls:
        if (receiver := get()) is not None:
            receiver(app, response=response)
    return response


def request_finished_async(ctx: RequestContext, signal: Signal, response: t.Any) -> Pipe:
    """Step 14 with ``async`` receivers."""
    yield signal.send_async(ctx.app, response=response)
    return response
