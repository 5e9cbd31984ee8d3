"""Flask's request-handling methods: thin wrappers that run steps of the table.

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

Each runs the entries its steps have in the current request's plan
(:mod:`tocsin._compile`), synchronously, so ``app.preprocess_request()`` in a
test request context runs the ``before_request`` functions, as in Flask.
When an app's class overrides one of them, or the app is given its own (as
extensions that wrap ``handle_exception`` do), the compiler replaces those
steps, in every plan, by a call to the override: it runs inside the same
pipeline, and what it calls of these methods runs their steps. Under ASGI
such requests run in a worker thread (the methods are sync code).
"""

from __future__ import annotations

import typing as t

from werkzeug.exceptions import HTTPException

from . import _steps
from ._compile import Entry, Plan, compiled, stock
from ._drive import drive
from ._pipeline import run
from .globals import request_ctx

if t.TYPE_CHECKING:
    from .app import Tocsin
    from .ctx import RequestContext
    from .wrappers import Request, Response

__all__ = ["RequestMethods"]


def _current(app: Tocsin) -> tuple[RequestContext, Plan]:
    ctx: RequestContext = request_ctx._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy
    if ctx.plan is None:
        ctx.plan = compiled(app).plan(ctx)
    return ctx, ctx.plan


def _run(app: Tocsin, names: tuple[str, ...], value: t.Any) -> t.Any:
    """Run the steps *names* of the current request's plan (those that have work) on *value*."""
    ctx, plan = _current(app)
    entries: tuple[Entry, ...] = tuple(e for n in names if (e := plan.steps.get(n)) is not None)
    return drive(run(ctx, entries, value)) if entries else value


class RequestMethods:
    """Flask's request-handling methods on the app (see the module docstring)."""

    @stock
    def full_dispatch_request(self: Tocsin) -> Response:  # type: ignore[misc]  # a mixin of Tocsin
        """Steps 4 to 14: first-request functions, ``request_started``, dispatch, response."""
        _run(self, ("before_first_request", "request_started"), None)
        try:
            rv = self.preprocess_request()
            if rv is None:
                rv = self.dispatch_request()
        except Exception as e:
            rv = self.handle_user_exception(e)
        return self.finalize_request(rv)

    @stock
    def preprocess_request(self: Tocsin) -> t.Any:  # type: ignore[misc]
        """Steps 6 and 7: URL value preprocessors, then ``before_request`` functions.

        Returns the first value other than ``None`` that a ``before_request``
        function returns (the response), else ``None``.
        """
        rv = _run(self, ("url_value_preprocessor", "before_request"), _steps.PENDING)
        return None if rv is _steps.PENDING else rv

    @stock
    def dispatch_request(self: Tocsin) -> t.Any:  # type: ignore[misc]
        """Step 8: raise the stored routing error, or call the view and return its value."""
        ctx, _ = _current(self)
        if ctx.routing_exception is not None:
            self.raise_routing_exception(ctx.request)
        return _run(self, ("dispatch",), _steps.PENDING)

    def raise_routing_exception(self, request: Request) -> t.NoReturn:
        """Raise the 404, 405 or redirect that matching *request* stored."""
        raise request.routing_exception  # type: ignore[misc]  # only called when there is one

    @stock
    def handle_user_exception(self: Tocsin, e: Exception) -> t.Any:  # type: ignore[misc]
        """Step 9: the value of *e*'s error handler; HTTP errors go to ``handle_http_exception``.

        An exception with no handler is raised again.
        """
        if isinstance(e, HTTPException) and not self.trap_http_exception(e):
            return self.handle_http_exception(e)
        return _run(self, ("handle_exception",), e)

    @stock
    def handle_http_exception(self: Tocsin, e: HTTPException) -> t.Any:  # type: ignore[misc]
        """Step 9 for an HTTP error: its handler's value, or *e* itself (its own response).

        Routing redirects and errors without a code never go to a handler.
        """
        return _run(self, ("handle_exception",), e)

    @stock
    def handle_exception(self: Tocsin, e: Exception) -> Response:  # type: ignore[misc]
        """The error path: ``got_request_exception``, then raise *e* or make a 500.

        *e* is raised again when ``PROPAGATE_EXCEPTIONS`` says so (by default
        in debug and testing mode); otherwise it is logged and the 500 handler,
        if any, gets an ``InternalServerError`` whose ``original_exception`` is *e*.
        """
        ctx, plan = _current(self)
        fn, work, _ = plan.error_path
        server_error = drive(fn(ctx, work, e))
        return self.finalize_request(server_error, from_error_handler=True)

    @stock
    def finalize_request(  # type: ignore[misc]
        self: Tocsin, rv: t.Any, from_error_handler: bool = False
    ) -> Response:
        """Steps 10 to 14: make *rv* a response, process it, send ``request_finished``.

        :param from_error_handler: *rv* comes from the 500 handler: an error
            while processing it is logged, not raised.
        """
        response = _run(self, ("make_response",), rv)
        try:
            response = self.process_response(response)
            response = _run(self, ("request_finished",), response)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception("Request finalizing failed with an error while handling an error")
        return response  # type: ignore[no-any-return]

    @stock
    def process_response(self: Tocsin, response: Response) -> Response:  # type: ignore[misc]
        """Steps 11 to 13: ``after_this_request`` and ``after_request`` functions, session saved."""
        return _run(self, ("after_this_request", "after_request", "save_session"), response)  # type: ignore[no-any-return]

    @stock
    def should_ignore_error(self, error: BaseException | None) -> bool:
        """Whether teardown should get ``None`` rather than the unhandled *error* (never, here)."""
        return False
