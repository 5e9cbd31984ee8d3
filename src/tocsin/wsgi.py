"""The WSGI driver: runs the pipeline synchronously.

Calls the pipeline yields are resolved here: a synchronous view is called
directly, a coroutine is run on this thread's event loop (made once per
thread). For a streamed body, teardown runs when the server closes the
body, so ``request`` and resources opened for the request live as long as
the stream; a body closed before its end (the client went away) gives
teardown :class:`~tocsin.lifecycle.StreamAborted`.
"""

from __future__ import annotations

import collections.abc as cabc
import typing as t

from werkzeug.exceptions import HTTPException

from ._drive import drive, finish_after_error, tear_down
from ._outgoing import prepare, sent_environ
from ._pipeline import dispatch
from ._routing import decode_path
from .ctx import RequestContext
from .globals import _cv_request
from .lifecycle import StreamAborted
from .wrappers import status_line

if t.TYPE_CHECKING:
    from .app import Tocsin
    from .typing import StartResponse, WSGIEnvironment
    from .wrappers import Response

__all__ = ["handle", "request_context"]


def request_context(app: Tocsin, environ: WSGIEnvironment) -> RequestContext:
    """A request context for *environ*; a path that is not UTF-8 is stored as a 400."""
    ctx = RequestContext(app, environ)
    try:
        raw = environ.get("PATH_INFO", "")
        # An empty path (an app mounted at /app, asked for /app) is kept empty, so
        # that it is redirected to the app's root with a slash, as Flask does.
        ctx.path = "/" + decode_path(raw).lstrip("/") if raw else ""
    except HTTPException as e:
        ctx.routing_exception = e
    return ctx


def handle(
    app: Tocsin, environ: WSGIEnvironment, start_response: StartResponse
) -> cabc.Iterable[bytes]:
    """Handle one WSGI request through the whole lifecycle."""
    if not app._got_first_request:
        app._start_serving()
    ctx = request_context(app, environ)
    tracer = app.tracer
    if tracer is not None:
        tracer.begin(ctx)
    try:
        response = drive(dispatch(app, ctx))
        code, headers, body, obj, streamed = prepare(
            app, ctx, response, environ.get("tocsin.preserve_context")
        )
        status = obj._status if obj is not None else status_line(code)  # (Werkzeug's storage)
        if streamed:  # torn down when the server closes the body
            assert obj is not None
            start_response(status, headers)
            return StreamedBody(app, ctx, obj, obj.get_app_iter(sent_environ(ctx)))
        start_response(status, headers)
        tear_down(app, ctx, ctx.error)
    except BaseException as e:  # from the pipeline, or from sending what it returned
        if ctx.pushed:  # teardown has not run (its step 17 pops the request context)
            finish_after_error(app, ctx, e)
        raise
    return (body,)


class StreamedBody:
    """A streamed response body; teardown runs when it is finished or closed, once.

    Both contexts are current while each chunk is produced and while the body
    is closed, and only then: between chunks, and between the return of the
    WSGI call and the first chunk, the calling thread sees no request.
    """

    def __init__(
        self, app: Tocsin, ctx: RequestContext, response: Response, app_iter: cabc.Iterable[bytes]
    ):
        self._app = app
        self._ctx = ctx
        self._response = response
        self._app_iter = app_iter
        self._exc: BaseException | None = ctx.error
        self._closed = False
        self._ended = False  # exhausted, or failed: a close() before is an abort
        self._deferred: Exception | None = None
        ctx.deactivate()

    def __iter__(self) -> cabc.Iterator[bytes]:
        chunks = iter(self._app_iter)
        while True:
            try:
                chunk = self._next_chunk(chunks)
            except StopIteration:
                self._ended = True
                break
            except BaseException as e:
                self._exc = e
                self._ended = True
                # No more body: tear down now, not at a close() that a server or a
                # test client may never call after a failed iteration.
                self._close_after_error()
                raise
            yield chunk
        try:  # the body is finished: tear down now rather than at the server's close()
            self.close()
        except Exception as e:  # logged already; raised by close(), after the server ends the body
            self._deferred = e

    def _next_chunk(self, chunks: cabc.Iterator[bytes]) -> bytes:
        """The next chunk of the body, made with both contexts current."""
        self._ctx.activate()
        try:
            return next(chunks)
        finally:
            self._ctx.deactivate()

    def _close_after_error(self) -> None:
        """Close and tear down after the body failed; teardown's own errors are logged."""
        try:
            self.close()
        except Exception:
            self._app.logger.exception("Teardown failed after the response body failed")

    def close(self) -> None:
        """Close the body, then run teardown (steps 16 to 19), once.

        Closed before the body was exhausted (the client went away), teardown
        gets :class:`~tocsin.lifecycle.StreamAborted` as ``exc``, as under
        ASGI. If teardown already ran when the body finished and failed, its
        error is raised here.
        """
        if self._closed:
            if self._deferred is not None:
                error, self._deferred = self._deferred, None
                raise error
            return
        self._closed = True
        if not self._ended and self._exc is None:
            self._exc = StreamAborted()
        if _cv_request.get(None) is not self._ctx:  # current if a test client preserved it
            self._ctx.activate()  # finish() resets it
        try:
            app_iter, response = self._app_iter, self._response
            close = getattr(app_iter, "close", None)
            if close is None or app_iter is response.response:  # the body itself (passthrough)
                response.close()  # closes the body, then calls the call_on_close functions
            else:
                close()  # Werkzeug's ClosingIterator: closes the body and calls response.close()
        finally:
            tear_down(self._app, self._ctx, self._exc)
