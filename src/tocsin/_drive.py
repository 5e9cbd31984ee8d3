"""Running a request's pipeline: the one place that resolves what it yields.

:mod:`tocsin._pipeline` does no I/O and never awaits. It yields its
driver one of two requests and gets the result (or the exception) back:

* a coroutine (from an ``async def`` view, hook, handler or receiver): the
  ASGI driver awaits it; the WSGI driver runs it on its thread's loop;
* :data:`~tocsin._pipeline.ROUTED`, only to a driver that asked for it
  (``dispatch(..., on_loop=True)``): the URL is matched and the plan chosen;
  the ASGI driver reads the body and, when the plan runs sync code, moves
  the request where sync code runs under ASGI, :func:`off_loop`.

:func:`drive` and :func:`drive_async` are those two ways of answering, used
by :mod:`tocsin.wsgi` and :mod:`tocsin.asgi` (which never import each
other), by the app's own synchronous teardown, and by a request that runs
in a worker thread under ASGI.
"""

from __future__ import annotations

import asyncio
import contextvars
import typing as t

from ._async import run_coroutine
from ._pipeline import ROUTED, Pipe, finish

if t.TYPE_CHECKING:
    from .app import Tocsin
    from .ctx import RequestContext

__all__ = [
    "drive",
    "drive_async",
    "finish_after_error",
    "finish_after_error_async",
    "off_loop",
    "tear_down",
]

T = t.TypeVar("T")

_UNSTARTED: t.Any = object()


def drive(
    pipe: Pipe,
    run_coro: t.Callable[[t.Any], t.Any] = run_coroutine,
    on_routed: t.Callable[[], t.Any] | None = None,
    item: t.Any = _UNSTARTED,
) -> t.Any:
    """Run *pipe* to its end, resolving each call it yields synchronously.

    :param run_coro: how a yielded coroutine is run: by default on this
        thread's own event loop (the ASGI driver passes one that hands it
        to the server's loop).
    :param on_routed: for a pipe that yields :data:`~tocsin._pipeline.ROUTED`,
        the function whose coroutine is run then.
    :param item: what *pipe* yielded first, when the caller started it.
    """
    try:
        if item is _UNSTARTED:
            item = next(pipe)
        while True:
            try:
                if item is ROUTED:
                    item = on_routed()  # type: ignore[misc]  # given with such a pipe
                value = run_coro(item)
            except BaseException as e:
                item = pipe.throw(e)
            else:
                item = pipe.send(value)
    except StopIteration as stop:
        return stop.value


def tear_down(
    app: Tocsin,
    ctx: RequestContext,
    exc: BaseException | None,
    run_coro: t.Callable[[t.Any], t.Any] = run_coroutine,
) -> None:
    """Run steps 16 to 19 (:func:`~tocsin._pipeline.finish`) synchronously.

    Teardown usually yields nothing; a ``for`` loop starts it without the
    ``StopIteration`` that ``next()`` raises (which costs as much as the rest).
    """
    pipe = finish(app, ctx, exc)
    for item in pipe:
        drive(pipe, run_coro, item=item)
        break


def finish_after_error(
    app: Tocsin,
    ctx: RequestContext,
    e: BaseException,
    run_coro: t.Callable[[t.Any], t.Any] = run_coroutine,
) -> None:
    """Teardown after an exception that propagates; its own errors are logged, not raised."""
    try:  # after a failing 500 handler, teardown gets the original error, as in Flask
        tear_down(app, ctx, ctx.error if ctx.error is not None else e, run_coro)
    except Exception:
        app.logger.exception("Teardown failed while an exception was propagating")


def off_loop(
    func: t.Callable[..., T], /, *args: t.Any, context: contextvars.Context | None = None
) -> asyncio.Future[T]:
    """Where sync code runs under ASGI: ``func(*args)`` in a worker thread.

    The loop's default executor runs it in *context*, by default a copy of
    the current one, so ``request``, ``g`` and the rest are current there too (what
    :func:`asyncio.to_thread` does, with a future the caller may shield: a
    cancelled request waits for its thread rather than leave it running).
    Sync views, the whole pipeline of a request that runs in a thread, and
    the chunks of a sync streamed body all run here.
    """
    if context is None:
        context = contextvars.copy_context()
    return asyncio.get_running_loop().run_in_executor(None, context.run, func, *args)


async def drive_async(pipe: Pipe, item: t.Any = _UNSTARTED) -> t.Any:
    """Run *pipe* to its end on the loop, awaiting what it yields.

    :param item: what *pipe* yielded first, when the caller started it.
    """
    try:
        if item is _UNSTARTED:
            item = next(pipe)
        while True:
            try:
                value = await item
            except BaseException as e:
                item = pipe.throw(e)
            else:
                item = pipe.send(value)
    except StopIteration as stop:
        return stop.value


async def finish_after_error_async(app: Tocsin, ctx: RequestContext, e: BaseException) -> None:
    """:func:`finish_after_error` awaited on the loop, for the ASGI driver."""
    try:  # after a failing 500 handler, teardown gets the original error, as in Flask
        await drive_async(finish(app, ctx, ctx.error if ctx.error is not None else e))
    except Exception:
        app.logger.exception("Teardown failed while an exception was propagating")
