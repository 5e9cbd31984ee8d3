"""The ASGI driver: runs the same pipeline under asyncio.

Serve any app with ``uvicorn module:app`` (the app object answers ASGI calls
with :class:`ASGIApp`'s), hypercorn, ``granian --interface asgi``...

The driver runs the pipeline itself: it never calls ``app.wsgi_app``, so
WSGI middleware set there (``app.wsgi_app = ProxyFix(app.wsgi_app)``) does
not apply under ASGI; the first request warns when ``wsgi_app`` was replaced.

How calls are made (see :mod:`tocsin._drive`): a request routed to an
``async def`` view runs in the request's own task (no task is created per
request, so the context variables set by the pipeline are visible
everywhere): its async functions are awaited, its sync hooks and receivers
are called on the loop (short, like Flask's; a thread hop would cost more).
A request routed to a synchronous view, or of an app with a custom session
interface or overridden Flask request methods, runs its whole pipeline in a
worker thread (:func:`~tocsin._drive.off_loop`, which carries the contexts),
so blocking code never stalls the loop.

The request body is received only when the request asks for it
(``request.form``, ``get_json()``, ``files``, ``stream``): in the worker
thread of a sync view, as it is read; for an ``async def`` view, before its
hooks run, kept in memory up to 512 KiB and in a temporary file beyond
(:mod:`tocsin._asgi_body`). A declared ``Content-Length`` over
``MAX_CONTENT_LENGTH`` is a 413 before anything is received. A client that
disconnects before the end of the body gets a 400 (Werkzeug's
``ClientDisconnected``) when the body is read.
"""

from __future__ import annotations

import asyncio
import collections.abc as cabc
import contextvars
import functools
import typing as t
import warnings

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from ._asgi_body import Inbox, ReceiveStream, Relay, declared_length, spool_body
from ._asgi_http import (
    encode_headers,
    environ_from_scope,
    request_context,
    scan_headers,
    scope_from_environ,
    unframed,
)
from ._async import is_async_callable
from ._drive import (
    drive,
    drive_async,
    finish_after_error,
    finish_after_error_async,
    off_loop,
    tear_down,
)
from ._outgoing import prepare
from ._pipeline import ROUTED, Pipe, dispatch, finish, pop_app_context
from .ctx import AppContext, RequestContext
from .globals import _cv_app
from .lifecycle import StreamAborted

if t.TYPE_CHECKING:
    from .app import Tocsin
    from .typing import ASGIMessage, ASGIReceive, ASGIScope, ASGISend
    from .wrappers import Response

__all__ = ["ASGIApp", "drive_async", "encode_headers", "environ_from_scope", "scope_from_environ"]

#: Warned at the first ASGI request of an app whose ``wsgi_app`` was replaced.
BYPASSED_WSGI_APP = (
    "app.wsgi_app was replaced (by WSGI middleware or a subclass), and the ASGI driver does "
    "not call it: the middleware does nothing under an ASGI server. Serve the app with a WSGI "
    "server, or wrap the app in ASGI middleware instead."
)
_BODYLESS = frozenset(("GET", "HEAD", "OPTIONS", "DELETE"))
#: Set by the test client's ASGI bridge: an object told of each request's context
#: (``seen(ctx)``, for ``with client:``) and given its headers as text, names in
#: their own case (the ASGI messages carry them lowercased).
_TEST_CLIENT = "tocsin.test_client"


class ASGIApp:
    """The ASGI 3 application of a Tocsin app (``app.asgi``)."""

    def __init__(self, app: Tocsin) -> None:
        self.app = app

    async def __call__(self, scope: ASGIScope, receive: ASGIReceive, send: ASGISend) -> None:
        """Serve one ASGI call: an HTTP request through the whole lifecycle, or another scope.

        A request for a synchronous view runs its whole pipeline (hooks, view,
        teardown) in one worker thread, like a WSGI request: the loop is never
        blocked, and objects tied to a thread (a sqlite connection opened in
        ``before_request``) work as they do under WSGI. A request for an
        ``async`` view runs in the request's own task. (The HTTP case is
        written here rather than in a method of its own: one coroutine less
        per request.)
        """
        if scope["type"] != "http":
            await self._not_http(scope, receive, send)
            return
        app = self.app
        if not app._got_first_request:
            app._start_serving()
            if app._wsgi_app_replaced():
                warnings.warn(BYPASSED_WSGI_APP, RuntimeWarning, stacklevel=1)
        ctx = request_context(app, scope)
        has_body, has_cookie, ctx.host = scan_headers(scope)
        ctx.has_cookie = has_cookie or app._session_always
        ctx.body_pending = has_body or ctx.method not in _BODYLESS
        tracer = app.tracer
        if tracer is not None:
            tracer.begin(ctx)
        if app._session_always:  # sync code from step 2 on (a custom session interface)
            await self._handle_in_thread(ctx, scope, receive, send, None, None)
            return
        pipe = dispatch(app, ctx, on_loop=True)
        body: t.IO[bytes] | None = None
        try:
            try:  # drive_async(pipe), written out: the request's own coroutine drives it
                item = next(pipe)
                while True:
                    if item is ROUTED:  # the URL is matched: the body's source; sync code?
                        in_thread = ctx.plan.in_thread  # type: ignore[union-attr]  # (matched)
                        body = await self._take_body(ctx, scope, receive, in_thread)
                        if in_thread or isinstance(body, ReceiveStream):
                            ctx.deactivate()  # made current again in the worker thread
                            await self._handle_in_thread(ctx, scope, receive, send, pipe, body)
                            return
                        item = pipe.send(None)
                        continue
                    try:
                        value = await item
                    except BaseException as e:
                        item = pipe.throw(e)
                    else:
                        item = pipe.send(value)
            except StopIteration as stop:
                response = stop.value
            messages = self._messages(ctx, scope, response)
            if messages[1] is None:
                await self._stream(ctx, response, messages[0], receive, send, body)
                return
            teardown = finish(app, ctx, ctx.error)
            for item in teardown:  # usually nothing to await: a loop starts it at no cost
                await drive_async(teardown, item)
                break
        except BaseException as e:
            if ctx.pushed:  # teardown has not run (its step 17 pops the request context)
                await finish_after_error_async(app, ctx, e)
            raise
        finally:
            if body is not None:  # a body spooled for an async view (maybe a temporary file)
                body.close()
        await send(messages[0])
        await send(messages[1])

    async def _handle_in_thread(
        self,
        ctx: RequestContext,
        scope: ASGIScope,
        receive: ASGIReceive,
        send: ASGISend,
        pipe: Pipe | None,
        body: t.IO[bytes] | None,
    ) -> None:
        """Run the rest of the request in a worker thread: *pipe*, or all of it.

        A *pipe* started on the loop (steps 1 to 3) is resumed there, its
        contexts made current in the thread. *body* is the request's input,
        a :class:`ReceiveStream` when it is received as it is read (its rest
        is received before a coroutine runs on the loop, which cannot wait).
        """
        context = contextvars.copy_context()  # the thread's, then the stream's
        loop = asyncio.get_running_loop()

        def on_loop(coro: t.Any) -> t.Any:
            if isinstance(body, ReceiveStream) and body.waiting:
                body.prefetch()
            return _run_on_loop(loop, coro)

        async def read_body() -> None:  # (for a pipe started here)
            nonlocal body
            body = await self._take_body(ctx, scope, receive, True)

        def run() -> tuple[t.Any, tuple[ASGIMessage, ASGIMessage | None]]:
            try:
                if pipe is None:
                    response = drive(dispatch(self.app, ctx, on_loop=True), on_loop, read_body)
                else:
                    ctx.activate()
                    response = drive(pipe, on_loop, read_body)
                messages = self._messages(ctx, scope, response)
                if messages[1] is not None:  # a complete body: tear down before handing it over
                    tear_down(self.app, ctx, ctx.error, on_loop)
            except BaseException as e:
                if ctx.pushed:  # teardown has not run (its step 17 pops the request context)
                    finish_after_error(self.app, ctx, e, on_loop)
                raise
            return response, messages

        future = off_loop(run, context=context)
        try:
            try:
                response, messages = await asyncio.shield(future)
            except asyncio.CancelledError as cancelled:  # the thread goes on: wait for it
                await _wait_out(future)
                if not future.cancelled() and future.exception() is None:
                    response, messages = future.result()
                    if messages[1] is None:  # streamed, never to be sent: close, tear down
                        await _in_task(self._abandon_stream(ctx, response, cancelled), context)
                raise
            if messages[1] is None:  # streamed: in a task that runs in the request's contexts
                await _in_task(
                    self._stream(ctx, response, messages[0], receive, send, body), context
                )
                return
            await send(messages[0])
            await send(messages[1])
        finally:
            if pipe is None and body is not None:  # given in the thread: closed here
                body.close()

    def _messages(
        self, ctx: RequestContext, scope: ASGIScope, response: t.Any
    ) -> tuple[ASGIMessage, ASGIMessage | None]:
        """Step 15: the start message and, unless the body is streamed, the body message."""
        client = scope.get(_TEST_CLIENT)
        code, headers, body, _, streamed = prepare(
            self.app, ctx, response, client.seen if client is not None else None
        )
        if ctx.method == "HEAD" and scope["method"] != "HEAD":  # sent as "head"
            headers = unframed(headers)
        if client is not None:  # the test client's bridge (see _TEST_CLIENT)
            headers = client.headers = list(headers)
        start = {"type": "http.response.start", "status": code, "headers": encode_headers(headers)}
        if streamed:
            return start, None
        return start, {"type": "http.response.body", "body": body}

    async def _abandon_stream(
        self, ctx: RequestContext, response: Response, cancelled: BaseException
    ) -> None:
        """Close a streamed response that will not be sent, then run teardown.

        Its body is closed before its end: teardown gets
        :class:`~tocsin.lifecycle.StreamAborted`, *cancelled* as its cause.
        """
        aborted = StreamAborted()
        aborted.__cause__ = cancelled
        try:
            await _close_body(response)
        finally:
            await finish_after_error_async(self.app, ctx, aborted)

    async def _take_body(
        self, ctx: RequestContext, scope: ASGIScope, receive: ASGIReceive, in_thread: bool
    ) -> t.IO[bytes] | None:
        """Once the URL is matched: give the request its body (see :mod:`tocsin._asgi_body`).

        Returns the input stream given, if the driver must close it or move
        the request to a worker thread (a :class:`ReceiveStream`): the body of
        a request that runs *in_thread* or matched no view is received as it
        is read; an ``async def`` view's is spooled now.
        """
        if not ctx.body_pending:
            return None
        ctx.body_pending = False
        limit = self.app.config["MAX_CONTENT_LENGTH"]
        if ctx.plan.streams_body:  # type: ignore[union-attr]  # (the URL is matched)
            ctx.body_receiver = Inbox(receive, limit, declared_length(scope))
            return None
        body: t.IO[bytes]
        if in_thread or ctx.routing_exception is not None:
            loop = asyncio.get_running_loop()
            body = t.cast(t.IO[bytes], ReceiveStream(receive, loop, limit))
        else:
            try:
                body = await spool_body(receive, declared_length(scope), limit)
            except (RequestEntityTooLarge, ClientDisconnected) as e:  # the view is not called
                ctx.routing_exception = e
                return None
        if ctx._environ is not None:  # made in steps 1 to 3: give it the body
            ctx._environ["wsgi.input"] = body
        else:
            ctx.environ_factory = functools.partial(environ_from_scope, scope, body)
        return body

    async def _stream(
        self,
        ctx: RequestContext,
        response: Response,
        start: ASGIMessage,
        receive: ASGIReceive,
        send: ASGISend,
        body: t.IO[bytes] | None = None,
    ) -> None:
        """Send a streamed body; a client that disconnects cancels it. Teardown runs after.

        *body* is the request's input stream, if the driver gave one (the
        stream may still read it: see :func:`_cancel_on_disconnect`).

        Teardown then gets :class:`~tocsin.lifecycle.StreamAborted` as ``exc``
        (the cancellation as its ``__cause__``); since the client is gone,
        nothing is raised to the server.
        """
        exc: BaseException | None = ctx.error
        task = asyncio.current_task()
        # (handed over before the watcher starts: no read of the stream may call receive then)
        relay: Relay | Inbox | None = None
        if isinstance(body, ReceiveStream) and body.waiting:
            relay = body.hand_over()
        elif isinstance(ctx.body_receiver, Inbox) and not ctx.body_receiver.done:
            relay = ctx.body_receiver.hand_over()
        watcher = asyncio.ensure_future(_cancel_on_disconnect(receive, task, relay))
        try:
            await send(start)
            if ctx.method != "HEAD" and response.status_code not in (204, 304):  # as WSGI
                await _send_chunks(response, send)
            await send({"type": "http.response.body", "body": b""})
        except BaseException as e:
            exc = e
            if not (isinstance(e, asyncio.CancelledError) and watcher.done()):
                raise
            if ctx.error is not None:  # a 500 response's stream: the error, as under WSGI
                exc = ctx.error
            else:  # the client went away: as under WSGI
                exc = StreamAborted()
                exc.__cause__ = e
            if task is not None:
                task.uncancel()
        finally:
            watcher.cancel()
            try:
                await _close_body(response)
            finally:
                await drive_async(finish(self.app, ctx, exc))

    # -- other scopes ---------------------------------------------------------------------

    async def _not_http(self, scope: ASGIScope, receive: ASGIReceive, send: ASGISend) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self.handle_lifespan(scope, receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1000})
        else:
            raise ValueError(f"Tocsin cannot handle ASGI scope type {kind!r}")

    async def handle_lifespan(self, scope: ASGIScope, receive: ASGIReceive, send: ASGISend) -> None:
        """Run ``before_serving`` at startup and ``after_serving`` at shutdown."""
        phases = {
            "lifespan.startup": ("startup", self.app.before_serving_funcs),
            "lifespan.shutdown": ("shutdown", self.app.after_serving_funcs),
        }
        while True:
            phase, funcs = phases[(await receive())["type"]]
            try:
                await self._serving_hooks(funcs)
            except Exception as e:
                message = f"{type(e).__name__}: {e}"
                await send({"type": f"lifespan.{phase}.failed", "message": message})
                return
            await send({"type": f"lifespan.{phase}.complete"})
            if phase == "shutdown":
                return

    async def _serving_hooks(self, funcs: list[t.Callable[[], t.Any]]) -> None:
        """Call *funcs* (sync or async) inside an application context."""
        app_ctx = AppContext(self.app)
        app_ctx._tokens.append(_cv_app.set(app_ctx))
        exc: BaseException | None = None
        try:
            for f in funcs:
                rv = f()
                if is_async_callable(f):
                    await rv
        except BaseException as e:
            exc = e
            raise
        finally:
            try:
                await drive_async(pop_app_context(self.app, app_ctx, exc))
            except Exception:
                if exc is None:
                    raise


def _run_on_loop(loop: asyncio.AbstractEventLoop, coro: t.Any) -> t.Any:
    """From a worker thread: run *coro* on the server's loop and wait for its result.

    Whatever *coro* raises is raised here, in the thread, and from there in
    the request's own task, as if it had been awaited there.
    """
    return _unboxed(asyncio.run_coroutine_threadsafe(_outcome(coro), loop).result())


async def _in_task(coro: t.Any, context: contextvars.Context) -> t.Any:
    """Await *coro* in a task of its own that runs in *context*; what it raises is raised here.

    (Raised in the task, a ``KeyboardInterrupt`` or ``SystemExit`` would stop
    the whole loop; here it reaches the server as from any request.)
    """
    return _unboxed(await asyncio.create_task(_outcome(coro), context=context))


async def _outcome(coro: t.Any) -> tuple[bool, t.Any]:
    """``(True, result)`` or ``(False, exception)`` of awaiting *coro*.

    (Raised in the task that ``run_coroutine_threadsafe`` makes, a
    ``KeyboardInterrupt`` or ``SystemExit`` would stop the whole loop.)
    """
    try:
        return True, await coro
    except BaseException as e:  # handed to the awaiting side, which raises it
        return False, e


def _unboxed(outcome: tuple[bool, t.Any]) -> t.Any:
    """The result an :func:`_outcome` holds, or its exception raised."""
    ok, value = outcome
    if ok:
        return value
    raise value


async def _send_chunks(response: Response, send: ASGISend) -> None:
    body: t.Any = response.response
    if hasattr(body, "__aiter__"):
        async for chunk in body:
            await send({"type": "http.response.body", "body": _encode(chunk), "more_body": True})
        return
    iterator = iter(body)
    sentinel = object()
    while True:  # a sync generator may block: each step runs in a worker thread
        future = off_loop(next, iterator, sentinel)
        try:
            chunk = await asyncio.shield(future)
        except asyncio.CancelledError:
            await _wait_out(future)  # closing a generator still running would fail
            raise
        if chunk is sentinel:
            return
        await send({"type": "http.response.body", "body": _encode(chunk), "more_body": True})


async def _wait_out(future: asyncio.Future[t.Any]) -> None:
    """Wait for a worker thread's *future* after a cancellation; further cancellations wait too.

    What it raised is retrieved (so asyncio does not log it), not raised: the
    request was cancelled, and that is what the caller raises.
    """
    while not future.done():
        try:
            await asyncio.wait((future,))
        except asyncio.CancelledError:
            continue
    if not future.cancelled():
        future.exception()  # retrieved, so asyncio does not log it as never retrieved


def _encode(chunk: str | bytes) -> bytes:
    return chunk.encode() if isinstance(chunk, str) else chunk


async def _close_body(response: Response) -> None:
    body: t.Any = response.response
    aiter = getattr(body, "aiter", None)
    aclose = getattr(aiter if aiter is not None else body, "aclose", None)
    if aclose is not None:
        await aclose()
    close = getattr(body, "close", None)
    if close is not None and aclose is None:
        close()
    for func in response._on_close:
        func()


async def _cancel_on_disconnect(
    receive: ASGIReceive, task: asyncio.Task[t.Any] | None, relay: Relay | Inbox | None
) -> None:
    """While a body is streamed: cancel *task* when the client disconnects.

    The request body, if still being received as it is read, gets its
    messages from here, through *relay*: ``receive`` has one caller.
    """
    try:
        while True:
            if relay is not None and relay.more:
                await relay.room()
            message = await receive()
            if relay is not None and relay.more:
                relay.put(message)
            if message["type"] == "http.disconnect":
                if task is not None:
                    task.cancel()
                return
    finally:
        if relay is not None and relay.more:  # a read still waiting must not wait forever
            relay.put({"type": "http.disconnect"})


_ = cabc
