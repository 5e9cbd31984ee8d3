"""How the app object tells servers that it is an ASGI application as well as a WSGI one.

``Tocsin.__call__`` is a plain function: called with WSGI's two arguments
it returns the response iterable, so a WSGI server's call costs what it
always did; called with ASGI's three, it returns the ASGI app's coroutine.
Servers that pick the interface themselves ask whether ``app.__call__`` is
a coroutine function (uvicorn's ``--interface auto`` with
``asyncio.iscoroutinefunction``, hypercorn with
``inspect.iscoroutinefunction``), and without help the answer is no:
uvicorn then treats the app as ASGI 2 (and every request fails), hypercorn
as WSGI. :func:`serves_asgi` marks the function, which is the truth about
it: what an ASGI server calls returns a coroutine.

* Python 3.12 and later: ``inspect.markcoroutinefunction``, which both
  checks honour (``asyncio.iscoroutinefunction`` asks ``inspect`` first);
* Python 3.11: asyncio's own marker (``_is_coroutine``, what its
  ``iscoroutinefunction`` reads besides the code flags) answers uvicorn,
  but 3.11's ``inspect.iscoroutinefunction`` reads only the ``CO_COROUTINE``
  flag of a function's code, or of a "function-like" object's
  (``inspect._signature_is_functionlike``: ``__name__``, ``__code__``,
  ``__defaults__``, ``__kwdefaults__``, ``__annotations__``). A plain
  function cannot carry that flag without becoming a coroutine function,
  so :func:`announce` gives each app, in its instance dict, a
  :class:`CallForInspect` as ``app.__call__``: function-like, with the code
  of a coroutine function of the same parameters (while the class's
  ``__call__`` is marked: one patched on later shows a plain function's),
  and calling the class's ``__call__`` when called. Attribute lookup finds
  it (a method is not a data descriptor), while ``app(...)``, looked up on
  the class, still calls the plain function at no extra cost.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import types
import typing as t
import weakref

__all__ = ["CallForInspect", "announce", "serves_asgi"]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

#: What 3.11's ``asyncio.iscoroutinefunction`` looks for in ``func._is_coroutine``.
_ASYNCIO_MARK: object = getattr(asyncio.coroutines, "_is_coroutine", None)


def serves_asgi(func: F) -> F:
    """Mark *func*, a ``__call__`` that returns a coroutine when called ASGI-style, as async."""
    if sys.version_info >= (3, 12):
        return inspect.markcoroutinefunction(func)
    setattr(func, "_is_coroutine", _ASYNCIO_MARK)
    return func


def _is_marked(func: t.Any) -> bool:
    """Whether *func* was marked by :func:`serves_asgi` (3.11: asyncio's marker)."""
    return _ASYNCIO_MARK is not None and getattr(func, "_is_coroutine", None) is _ASYNCIO_MARK


async def _asgi_call(environ: t.Any, start_response: t.Any, send: t.Any = None) -> None:
    """Never run: the code :class:`CallForInspect` shows (``Tocsin.__call__``'s parameters)."""


def _wsgi_call(environ: t.Any, start_response: t.Any, send: t.Any = None) -> None:
    """Never run: the code shown once the class's ``__call__`` is no longer marked."""


class CallForInspect:
    """Python 3.11: ``app.__call__`` as ``inspect`` needs it to see a coroutine function.

    It holds the app weakly (the app holds it): call the app itself, or
    keep the app alive, rather than keeping only ``app.__call__``.
    """

    def __init__(self, app: t.Any) -> None:
        self._app = weakref.ref(app)
        self.__name__ = "__call__"
        self.__qualname__ = f"{type(app).__qualname__}.__call__"
        self.__defaults__ = _asgi_call.__defaults__
        self.__kwdefaults__ = None
        self.__annotations__: dict[str, t.Any] = dict(type(app).__call__.__annotations__)
        self.__doc__ = type(app).__call__.__doc__

    @property
    def __code__(self) -> types.CodeType:
        """A coroutine function's code while the app's class has a marked ``__call__``.

        Read when asked, so that a ``__call__`` patched onto the class later
        (a WSGI-only wrapper) is seen as it would be on Python 3.12.
        """
        app = self._app()
        marked = app is not None and _is_marked(type(app).__call__)
        return _asgi_call.__code__ if marked else _wsgi_call.__code__

    def __call__(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        app = self._app()
        if app is None:
            raise ReferenceError("the app of this __call__ no longer exists")
        return type(app).__call__(app, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<serving __call__ of {self._app()!r}>"


def announce(app: t.Any) -> None:
    """Python 3.11: give *app* a :class:`CallForInspect` if its class's ``__call__`` is marked.

    A subclass that defines its own ``__call__`` without :func:`serves_asgi`
    gets none, so that servers see a WSGI application, as it is.
    """
    if sys.version_info < (3, 12) and _is_marked(type(app).__call__):
        vars(app)["__call__"] = CallForInspect(app)
