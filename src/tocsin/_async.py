"""Running coroutines from synchronous code, and the reverse.

Under WSGI an ``async def`` view, hook or receiver runs on an event loop
kept for the calling thread, made once and reused, not one loop per call
(which is what costs Flask about 430 us per async call).
"""

from __future__ import annotations

import asyncio
import collections.abc as cabc
import contextvars
import inspect
import threading
import typing as t
import weakref

from .globals import _cv_request

if t.TYPE_CHECKING:
    from .signals import Signal

__all__ = ["LoopHolder", "call_sync", "is_async_callable", "run_coroutine"]

T = t.TypeVar("T")
_local = threading.local()


def is_async_callable(obj: t.Any) -> bool:
    """True when calling *obj* returns an awaitable (``async def``, partials, ``__call__``)."""
    while hasattr(obj, "func") and hasattr(obj, "args"):  # functools.partial
        obj = obj.func
    if inspect.iscoroutinefunction(obj):
        return True
    call = getattr(obj, "__call__", None)  # noqa: B004
    return call is not None and not inspect.isfunction(obj) and inspect.iscoroutinefunction(call)


class LoopHolder:
    """Owns an event loop and closes it when dropped (e.g. when its thread ends)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        # A finalizer, not __del__: when the holder dies in a garbage cycle (say,
        # with a test client), the collector may call the loop's __del__ first,
        # which warns about an unclosed loop; weakref callbacks run before any __del__.
        weakref.finalize(self, _close_loop, self.loop)


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    if loop.is_closed() or loop.is_running():
        return
    try:
        loop.close()
    except (OSError, ValueError):
        # Collected together with its sockets (at thread or interpreter
        # exit), which may already be closed: nothing is left to release.
        pass


def _thread_loop() -> asyncio.AbstractEventLoop:
    holder: LoopHolder | None = getattr(_local, "holder", None)
    if holder is None or holder.loop.is_closed():
        # Made in an empty context: a loop keeps the context it was made in (its
        # self-pipe handle), and one made during a request would keep that request alive.
        holder = _local.holder = contextvars.Context().run(LoopHolder)
    return holder.loop


def run_coroutine(aw: cabc.Awaitable[T]) -> T:
    """Run *aw* to completion from synchronous code, on this thread's own loop.

    :raises RuntimeError: when called from a thread whose event loop is
        running (an ``async`` caller must ``await`` instead).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        if inspect.iscoroutine(aw):
            aw.close()
        name = getattr(aw, "__qualname__", repr(aw))
        raise RuntimeError(
            f"Cannot run the coroutine {name!r} synchronously: an event loop is already"
            " running in this thread (an async view or hook is calling synchronous code that"
            " needs an async function). Await it instead; for templates, use"
            " 'await render_template_async(...)'."
        )
    return _thread_loop().run_until_complete(aw)


def call_sync(signal: Signal, sender: t.Any, kwargs: dict[str, t.Any]) -> list[t.Any]:
    """Send *signal* from synchronous code, running async receivers on this thread's loop.

    Recorded in the current request's trace, if it is traced.
    """
    ctx = _cv_request.get(None)
    if ctx is not None and ctx.trace is not None:
        ctx.trace.signal(signal, sender)
    if signal.has_async_receivers:
        return run_coroutine(signal.send_async(sender, **kwargs))
    return signal.send(sender, **kwargs)
