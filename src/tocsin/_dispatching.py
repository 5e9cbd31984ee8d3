"""Flask's request-handling methods, for code that calls or overrides them.

Tocsin runs a request from its lifecycle table (:mod:`tocsin._pipeline`).
These methods are Flask's public names for the same steps; each runs its
steps synchronously, in the current request context:

==========================  ==========================================
method                      lifecycle steps
==========================  ==========================================
``full_dispatch_request``   4 to 14
``preprocess_request``      6 and 7
``dispatch_request``        8
``handle_user_exception``   9 (``handle_http_exception`` for HTTP errors)
``finalize_request``        10 to 14
``process_response``        11 to 13
``handle_exception``        the error path
==========================  ==========================================

So ``app.preprocess_request()`` in a test request context runs the
``before_request`` functions, as in Flask. When an app's class overrides one
of them, or the app is given its own (as extensions that wrap
``handle_exception`` do), every request runs steps 4 to 14 through these
methods, so the override takes part. Such requests are slower than the
pipeline's own, and under ASGI they run in a worker thread.
"""

from __future__ import annotations

import typing as t

from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import RoutingException
from werkzeug.wrappers import Response as BaseResponse

from . import _pipeline  # (which imports this module: names are looked up at call time)
from . import signals as _sig
from ._async import call_sync
from .globals import request_ctx

if t.TYPE_CHECKING:
    from ._pipeline import Plan
    from .app import Tocsin
    from .ctx import RequestContext
    from .wrappers import Request, Response

__all__ = ["RequestMethods", "overridden_request_methods", "run_request_methods"]

#: The methods whose overrides make requests run through them.
OVERRIDABLE = (
    "full_dispatch_request",
    "preprocess_request",
    "dispatch_request",
    "handle_user_exception",
    "handle_http_exception",
    "handle_exception",
    "finalize_request",
    "process_response",
    "should_ignore_error",
)


def overridden_request_methods(app: Tocsin) -> frozenset[str]:
    """The names in :data:`OVERRIDABLE` that *app* does not take from Tocsin."""
    return frozenset(
        name
        for name in OVERRIDABLE
        if getattr(getattr(app, name), "__func__", None) is not getattr(RequestMethods, name)
    )


def _current() -> RequestContext:
    ctx: RequestContext = request_ctx._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy
    return ctx


def _plan(app: Tocsin) -> Plan:
    """The hooks of the current request's blueprint scope."""
    ctx = _current()
    if ctx.plan is None:
        ctx.plan = app._plan(ctx.url_rule)
    return ctx.plan  # type: ignore[no-any-return]  # set just above


def run_request_methods(app: Tocsin, ctx: RequestContext) -> Response:
    """Steps 4 to 14 through the request methods, for an app that overrides one."""
    try:
        return app.full_dispatch_request()
    except Exception as e:
        if not app.should_ignore_error(e):
            ctx.error = e  # what teardown gets
        return app.handle_exception(e)


class RequestMethods:
    """Flask's request-handling methods on the app (see the module docstring)."""

    def full_dispatch_request(self: Tocsin) -> Response:  # type: ignore[misc]  # a mixin of Tocsin
        """Steps 4 to 14: first-request functions, ``request_started``, dispatch, response."""
        if not self._first_request_done:
            self.ensure_sync(self._run_before_first_request)()
        if _sig.request_started.receivers:
            call_sync(_sig.request_started, self, {})
        try:
            rv = self.preprocess_request()
            if rv is None:
                rv = self.dispatch_request()
        except Exception as e:
            rv = self.handle_user_exception(e)
        return self.finalize_request(rv)

    def preprocess_request(self: Tocsin) -> t.Any:  # type: ignore[misc]
        """Steps 6 and 7: URL value preprocessors, then ``before_request`` functions.

        Returns the first value other than ``None`` that a ``before_request``
        function returns (the response), else ``None``.
        """
        ctx = _current()
        plan = _plan(self)
        endpoint = ctx.url_rule.endpoint if ctx.url_rule is not None else None
        for fn, _ in plan.url_value_preprocessors:
            self.ensure_sync(fn)(endpoint, ctx.view_args)
        for fn, _ in plan.before_request:
            rv = self.ensure_sync(fn)()
            if rv is not None:
                return rv
        return None

    def dispatch_request(self: Tocsin) -> t.Any:  # type: ignore[misc]
        """Step 8: raise the stored routing error, or call the view and return its value."""
        ctx = _current()
        if ctx.routing_exception is not None:
            self.raise_routing_exception(ctx.request)
        view, _ = ctx.view or self._view(ctx)
        return self.ensure_sync(view)(**(ctx.view_args or {}))

    def raise_routing_exception(self, request: Request) -> t.NoReturn:
        """Raise the 404, 405 or redirect that matching *request* stored."""
        raise request.routing_exception  # type: ignore[misc]  # only called when there is one

    def handle_user_exception(self: Tocsin, e: Exception) -> t.Any:  # type: ignore[misc]
        """Step 9: the value of *e*'s error handler; HTTP errors go to ``handle_http_exception``.

        An exception with no handler is raised again.
        """
        _pipeline.mark_missing_key(self, e)
        if isinstance(e, HTTPException) and not self.trap_http_exception(e):
            return self.handle_http_exception(e)
        handler = self._find_error_handler(e, _plan(self).blueprints)
        if handler is None:
            raise e
        return self.ensure_sync(handler[0])(e)

    def handle_http_exception(self: Tocsin, e: HTTPException) -> t.Any:  # type: ignore[misc]
        """Step 9 for an HTTP error: its handler's value, or *e* itself (its own response).

        Routing redirects and errors without a code never go to a handler.
        """
        if e.code is None or isinstance(e, RoutingException):
            return e
        handler = self._find_error_handler(e, _plan(self).blueprints)
        if handler is None:
            return e
        return self.ensure_sync(handler[0])(e)

    def handle_exception(self: Tocsin, e: Exception) -> Response:  # type: ignore[misc]
        """The error path: ``got_request_exception``, then raise *e* or make a 500.

        *e* is raised again when ``PROPAGATE_EXCEPTIONS`` says so (by default
        in debug and testing mode); otherwise it is logged and the 500 handler,
        if any, gets an ``InternalServerError`` whose ``original_exception`` is *e*.
        """
        if _sig.got_request_exception.receivers:
            call_sync(_sig.got_request_exception, self, {"exception": e})
        if _pipeline.propagates(self):
            raise e
        self.log_exception(e)
        server_error: t.Any = InternalServerError(original_exception=e)
        handler = self._find_error_handler(server_error, _plan(self).blueprints)
        if handler is not None:
            server_error = self.ensure_sync(handler[0])(server_error)
        return self.finalize_request(server_error, from_error_handler=True)

    def finalize_request(  # type: ignore[misc]
        self: Tocsin, rv: t.Any, from_error_handler: bool = False
    ) -> Response:
        """Steps 10 to 14: make *rv* a response, process it, send ``request_finished``.

        :param from_error_handler: *rv* comes from the 500 handler: an error
            while processing it is logged, not raised.
        """
        response = self.make_response(rv)
        try:
            response = self.process_response(response)
            if _sig.request_finished.receivers:
                call_sync(_sig.request_finished, self, {"response": response})
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception("Request finalizing failed with an error while handling an error")
        return response

    def process_response(self: Tocsin, response: Response) -> Response:  # type: ignore[misc]
        """Steps 11 to 13: ``after_this_request`` and ``after_request`` functions, session saved."""
        ctx = _current()
        for fn in (
            *ctx._after_request_functions,
            *(fn for fn, _ in _plan(self).after_request),
        ):
            rv = self.ensure_sync(fn)(response)
            response = rv if isinstance(rv, BaseResponse) else _pipeline._not_a_response(fn, rv)  # type: ignore[assignment]  # any Werkzeug response will do
        if ctx._session is not None or self._session_maybe_refreshed(ctx):
            _pipeline._save_session(self, ctx, response)
        return response

    def should_ignore_error(self, error: BaseException | None) -> bool:
        """Whether teardown should get ``None`` rather than the unhandled *error* (never, here)."""
        return False
