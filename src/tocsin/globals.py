"""The context variables and the proxies that users import.

Inside Tocsin, code reads the context variables directly (``_cv_request.get()``);
the proxies cost about a microsecond per access and are for applications.
"""

from __future__ import annotations

import typing as t
from contextvars import ContextVar

from werkzeug.local import LocalProxy

if t.TYPE_CHECKING:
    from .app import Tocsin
    from .ctx import AppContext, RequestContext, _AppCtxGlobals
    from .sessions import SessionMixin
    from .wrappers import Request

__all__ = ["app_ctx", "current_app", "g", "request", "request_ctx", "session"]

_no_app_msg = """\
Working outside of application context.

This typically means that you attempted to use functionality that needed
the current application. To solve this, set up an application context
with app.app_context(). See the documentation for more information.\
"""
_no_req_msg = """\
Working outside of request context.

This typically means that you attempted to use functionality that needed
an active HTTP request. To solve this, push a request context with
app.test_request_context() in tests, or make sure the code runs while a
request is being handled. See the documentation for more information.\
"""

_cv_app: ContextVar[AppContext] = ContextVar("tocsin.app_ctx")
_cv_request: ContextVar[RequestContext] = ContextVar("tocsin.request_ctx")


def _proxy(var: ContextVar[t.Any], name: str | None, message: str) -> t.Any:
    """Make a proxy to ``var.get()``, or to its attribute *name*.

    Typed as ``Any`` here so that each proxy below is declared with the type
    of what it stands for, with no ``type: ignore``.
    """
    return LocalProxy(var, name, unbound_message=message)


def _current_g() -> _AppCtxGlobals:
    ctx = _cv_app.get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx._g if ctx._g is not None else ctx.g


class _GlobalsProxy(LocalProxy[t.Any]):
    """The ``g`` proxy: a Werkzeug ``LocalProxy`` with quick attribute access.

    ``g.name`` and ``g.name = value`` are what applications do most with a
    proxy; here they cost one function call instead of Werkzeug's generic
    lookup (about a third of the time). Names that ``LocalProxy`` itself
    defines (``__wrapped__``, ``__module__``, ``__repr__``...) are answered
    as Flask's ``LocalProxy`` answers them, so introspection outside an app
    context (``hasattr(g, "__wrapped__")``, doctest collection) does not raise.
    """

    __slots__ = ()

    def __getattribute__(self, name: str) -> t.Any:
        if name not in _PROXY_OWN:
            return getattr(_current_g(), name)
        if name == "__doc__":  # the class's own docstring would shadow LocalProxy's
            return LocalProxy.__doc__ if _cv_app.get(None) is None else _current_g().__doc__
        return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        setattr(_current_g(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(_current_g(), name)

    def __contains__(self, name: object) -> bool:
        return name in _current_g().__dict__

    def __repr__(self) -> str:
        # LocalProxy's fallback would name this class; Flask's g says LocalProxy.
        return "<LocalProxy unbound>" if _cv_app.get(None) is None else repr(_current_g())


#: Names the ``g`` proxy resolves as a ``LocalProxy`` (on its class) rather
#: than forwarding them to ``g``: every name its class has, as in Flask.
_PROXY_OWN = frozenset(dir(_GlobalsProxy))

app_ctx: AppContext = _proxy(_cv_app, None, _no_app_msg)
current_app: Tocsin = _proxy(_cv_app, "app", _no_app_msg)
g: _AppCtxGlobals = t.cast(
    "_AppCtxGlobals", _GlobalsProxy(_cv_app, "g", unbound_message=_no_app_msg)
)
request_ctx: RequestContext = _proxy(_cv_request, None, _no_req_msg)
request: Request = _proxy(_cv_request, "request", _no_req_msg)
session: SessionMixin = _proxy(_cv_request, "session", _no_req_msg)
