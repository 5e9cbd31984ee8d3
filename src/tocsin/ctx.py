"""Application and request contexts, held in context variables.

A context is *current* while it is set in its :class:`~contextvars.ContextVar`;
that is all "pushed" means. Each thread and each asyncio task sees its own
current contexts, so concurrent requests never see each other's ``request``
or ``g``.

As in Flask 3.1, a request handled while an application context of the same
app is current (a test's ``with app.app_context():``) shares it: ``g`` and
what extensions keep on it are the test's, and ``teardown_appcontext`` runs
once, when that context ends. The ``FRESH_APP_CONTEXT`` setting gives every
request its own application context instead.
"""

from __future__ import annotations

import collections.abc as cabc
import contextvars
import functools
import sys
import typing as t
from types import TracebackType

from . import signals as _sig
from ._async import call_sync
from ._request_state import RequestState
from .globals import _cv_app, _cv_request

if t.TYPE_CHECKING:
    from werkzeug.exceptions import HTTPException
    from werkzeug.routing import MapAdapter, Rule

    from .app import Tocsin
    from .sessions import SessionMixin
    from .typing import WSGIEnvironment
    from .wrappers import Request, Response

__all__ = [
    "AppContext",
    "RequestContext",
    "RequestState",
    "after_this_request",
    "copy_current_request_context",
    "has_app_context",
    "has_request_context",
]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
_sentinel: t.Any = object()


class _AppCtxGlobals:
    """The ``g`` object: a plain namespace that lives as long as its app context.

    Every request gets a new one. It also offers ``get``, ``pop`` and
    ``setdefault`` like a dict, and ``in`` and iteration over its names.
    """

    if t.TYPE_CHECKING:  # any attribute may be set and read: tell the type checker

        def __getattr__(self, name: str) -> t.Any: ...
        def __setattr__(self, name: str, value: t.Any) -> None: ...
        def __delattr__(self, name: str) -> None: ...

    def get(self, name: str, default: t.Any = None) -> t.Any:
        """Return the attribute *name*, or *default* when it is not set."""
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: t.Any = _sentinel) -> t.Any:
        """Remove the attribute *name* and return it (or *default*)."""
        if default is _sentinel:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: t.Any = None) -> t.Any:
        """Return the attribute *name*, setting it to *default* first if unset."""
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> t.Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        app = _cv_app.get(None)
        if app is not None:
            return f"<tocsin.g of '{app.app.name}'>"
        return object.__repr__(self)


class AppContext:
    """Makes ``current_app`` and ``g`` available.

    Pushed for every request (step 1 of the lifecycle), and by
    ``app.app_context()`` for work outside requests (CLI commands, tests,
    background jobs). Use it as a context manager. As in Flask, any other
    attribute may be set on it (extensions keep their state there).
    """

    # Tocsin's own attributes are slots; ``__dict__`` (made on first use) holds others.
    __slots__ = ("__dict__", "_g", "_tokens", "app", "url_adapter")

    def __init__(self, app: Tocsin) -> None:
        self.app = app
        self._g: _AppCtxGlobals | None = None
        self._tokens: list[contextvars.Token[AppContext]] = []
        #: URL adapter for ``url_for`` outside requests; made on first use.
        self.url_adapter: MapAdapter | None = None

    @property
    def g(self) -> _AppCtxGlobals:
        """The ``g`` namespace of this context, created on first access."""
        g = self._g
        if g is None:
            g = self._g = self.app.app_ctx_globals_class()
        return g

    @g.setter
    def g(self, value: _AppCtxGlobals) -> None:
        self._g = value

    def push(self) -> None:
        """Make this context current and send ``appcontext_pushed``."""
        self._tokens.append(_cv_app.set(self))
        if _sig.appcontext_pushed.receivers:
            call_sync(_sig.appcontext_pushed, self.app, {})

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        """Run ``teardown_appcontext`` functions, then stop being current.

        :param exc: the exception that ended the work, passed to teardown
            functions; defaults to the one being handled, if any.
        """
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        _check_current(_cv_app, self, "app")  # before any teardown runs
        self.app._pop_app_context(self, exc)

    def deactivate(self) -> None:
        """Stop being current, with no teardown (the pipeline's steps 18 and 19 do that)."""
        _check_current(_cv_app, self, "app")
        _cv_app.reset(self._tokens.pop())

    # What steps 18 and 19 (:mod:`tocsin._steps`) read of the context they end, so
    # that they end an app context pushed outside a request as they end a request's.
    shares_app_ctx = False
    trace = None

    @property
    def app_ctx(self) -> AppContext:
        """This context (see above)."""
        return self

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        return f"<AppContext of {self.app.name!r}>"


class RequestContext(RequestState):
    """Makes ``request`` and ``session`` available for one request.

    The request object and the session are created on first access, so a
    request that never reads them does not pay for them. As in Flask, any
    other attribute may be set on it (extensions keep per-request state there).
    What the pipeline keeps is typed in :class:`RequestState`.
    """

    # Flask's attributes and the context's own are slots; ``__dict__`` (made on
    # first use) holds those extensions set.
    __slots__ = (
        "__dict__",
        "_after_request_functions",
        "_environ",
        "_flashes",
        "_origin_app_ctx",
        "_pushed_app_ctxs",
        "_request",
        "_session",
        "_tokens",
        "app",
        "app_ctx",
        "environ_factory",
        "routing_exception",
        "url_adapter",
        "url_rule",
        "view_args",
    )

    _pushed_app_ctxs: list[AppContext | None]
    _origin_app_ctx: AppContext | None
    #: The messages get_flashed_messages() took from the session (set on first call).
    _flashes: list[tuple[str, t.Any]]

    def __init__(
        self,
        app: Tocsin,
        environ: WSGIEnvironment | None,
        request: Request | None = None,
        session: SessionMixin | None = None,
    ) -> None:
        self.app = app
        self._environ = environ
        #: What makes :attr:`environ` on its first read, when there is none yet
        #: (the ASGI driver sets it: the environ is made from the scope only if read).
        self.environ_factory: t.Callable[[], WSGIEnvironment] | None = None
        self._request = request
        self._session = session
        self.app_ctx: AppContext | None = None
        self._tokens: list[contextvars.Token[RequestContext]] = []
        # Not set here, to keep a request handled by the pipeline cheap (read with
        # getattr and a default): ``_pushed_app_ctxs``, for each :meth:`push` not yet
        # popped the app context it pushed (``None`` when it reused the current one);
        # ``_origin_app_ctx``, for a :meth:`copy`, the app context of its original.
        #: after_this_request functions: a list once there is one (most requests have none).
        self._after_request_functions: list[t.Callable[[Response], Response]] | tuple[()] = ()
        self.method = "GET"
        self.path = "/"
        self.has_cookie = True
        self.url_rule: Rule | None = None
        self.view_args: dict[str, t.Any] | None = None
        self.routing_exception: HTTPException | None = None
        self.url_adapter: MapAdapter | None = None
        self.trace = None  # (trace_t0 is set only by a tracer)
        self.body_receiver = None
        self.body_pending = False
        self.error = None
        self.plan = None
        if environ is not None:
            self.method = environ.get("REQUEST_METHOD", "GET").upper()
            self.has_cookie = "HTTP_COOKIE" in environ or app._session_always
            self.host = environ.get("HTTP_HOST")
        else:
            self.host = None

    @property
    def pushed(self) -> bool:
        """Whether this context is current: pushed (or made current) and not popped yet."""
        return bool(self._tokens)

    # -- lazily built pieces ------------------------------------------------

    @property
    def environ(self) -> WSGIEnvironment:
        """The WSGI environ of the request (built from the ASGI scope under ASGI)."""
        env = self._environ
        if env is None:
            if self.environ_factory is None:
                raise RuntimeError("This request context has neither environ nor ASGI scope.")
            env = self._environ = self.environ_factory()
        return env

    @property
    def request(self) -> Request:
        """The request object, created on first access."""
        req = self._request
        if req is None:
            req = self._request = self.app.request_class(self.environ)
            req.url_rule = self.url_rule
            req.view_args = self.view_args
            req.routing_exception = self.routing_exception
        return req

    @request.setter
    def request(self, value: Request) -> None:
        self._request = value

    @property
    def session(self) -> SessionMixin:
        """The session, opened on first access.

        Every access (the ``session`` proxy goes through here) marks it
        :attr:`~tocsin.sessions.SessionMixin.accessed`, so the response gets
        ``Vary: Cookie``, as in Flask 3.1.3.
        """
        s = self.opened_session()
        s.accessed = True
        return s

    @session.setter
    def session(self, value: SessionMixin) -> None:
        self._session = value

    def opened_session(self) -> SessionMixin:
        """The session, opened now if it was not yet, without marking it accessed."""
        s = self._session
        if s is None:
            iface = self.app.session_interface
            if self.trace is None:
                s = iface.open_session(self.app, self.request)
            else:  # a traced request records it
                s = self.trace.timed(
                    "session_open", iface.open_session, iface.open_session, self.app, self.request
                )
            if s is None:
                s = iface.make_null_session(self.app)
            self._session = s
        return s

    # -- routing --------------------------------------------------------------

    def match_request(self) -> None:
        """Match the URL (step 3), storing the rule and values or the routing error."""
        self.app._matcher.match(self)
        req = self._request
        if req is not None:
            req.url_rule = self.url_rule
            req.view_args = self.view_args
            req.routing_exception = self.routing_exception

    def get_url_adapter(self) -> MapAdapter | None:
        """The URL adapter bound to this request, made on first use (for ``url_for``)."""
        if self.url_adapter is None:
            self.url_adapter = self.app.create_url_adapter(self.request)
        return self.url_adapter

    # -- push and pop -----------------------------------------------------------

    #: Whether this request runs in an app context that was already current when
    #: it began (see :meth:`activate`): then the request does not tear it down or pop it.
    shares_app_ctx = False

    def activate(self) -> None:
        """Make this context (and its app context) current; no hooks, no signals."""
        self.enter_app_context()
        self._tokens.append(_cv_request.set(self))

    def enter_request(self) -> None:
        """Make this context current (step 2; its app context is already)."""
        self._tokens.append(_cv_request.set(self))

    def leave_request(self) -> None:
        """Close the request (uploaded files, as Flask does) and stop being current (step 17)."""
        try:
            if self._request is not None:
                self._request.close()
        finally:
            _cv_request.reset(self._tokens.pop())

    def enter_app_context(self) -> None:
        """Make this context's app context current (step 1), choosing it the first time.

        As in Flask 3.1, an app context of this app that is already current (a
        test's ``with app.app_context():``) is shared by the request, ``g``
        included, unless ``FRESH_APP_CONTEXT`` is set; otherwise the request
        gets a new one.
        """
        app_ctx = self.app_ctx
        if app_ctx is None:
            current = _cv_app.get(None)
            if current is not None and self._joins(current):
                app_ctx = current
                self.shares_app_ctx = True
            else:
                app_ctx = AppContext(self.app)
            self.app_ctx = app_ctx
        app_ctx._tokens.append(_cv_app.set(app_ctx))

    def _joins(self, current: AppContext) -> bool:
        """Whether this request shares *current*, the app context current as it begins.

        As in Flask 3.1 it does when *current* is its app's; with
        ``FRESH_APP_CONTEXT`` set, only a :meth:`copy` does, where the app
        context of the request it was copied from is current.
        """
        return current.app is self.app and (
            not self.app.config["FRESH_APP_CONTEXT"]
            or current is getattr(self, "_origin_app_ctx", None)
        )

    def deactivate(self) -> None:
        """Stop being current (the reverse of :meth:`activate`)."""
        _check_current(_cv_request, self, "request")
        _cv_request.reset(self._tokens.pop())
        assert self.app_ctx is not None
        self.app_ctx.deactivate()

    def push(self) -> None:
        """Make this context current, with an app context, then match the URL.

        Used by ``test_request_context()`` and :func:`copy_current_request_context`;
        handling a real request goes through the pipeline instead, which also
        runs the hooks. As in Flask, the first push shares an app context of
        this app that is already current, and otherwise pushes a new one (a
        fresh ``g``). With ``FRESH_APP_CONTEXT`` set, only a copy pushed where
        the app context of the request it was copied from is current shares
        it; other pushes get a new one. Pushing a context that
        is already pushed pushes no new app context (its own is pushed again
        only if another one is current meanwhile); only the outermost
        :meth:`pop` runs the teardown functions, as in Flask.
        """
        current = _cv_app.get(None)
        app_ctx: AppContext | None
        if self._tokens:  # pushed again: keep the app context it already has
            app_ctx = self.app_ctx if current is not self.app_ctx else None
        elif current is not None and self._joins(current):
            self.app_ctx, app_ctx = current, None
        else:
            app_ctx = self.app_ctx = AppContext(self.app)
        if app_ctx is not None:
            app_ctx.push()
        self._tokens.append(_cv_request.set(self))
        pushed = getattr(self, "_pushed_app_ctxs", None)
        if pushed is None:
            pushed = self._pushed_app_ctxs = []
        pushed.append(app_ctx)
        if self.url_rule is None and self.routing_exception is None:
            self.match_request()

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        """Stop being current; the last pop runs ``teardown_request`` functions.

        The app context that the matching :meth:`push` pushed is popped too
        (running ``teardown_appcontext`` when that was its last push).
        """
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        _check_current(_cv_request, self, "request")  # before any teardown runs
        # A context made current by the pipeline (not by push) pops its app context.
        pushed = getattr(self, "_pushed_app_ctxs", None)
        app_ctx = pushed.pop() if pushed else self.app_ctx
        try:
            if len(self._tokens) == 1:
                try:
                    self.app.do_teardown_request(exc)
                finally:
                    if self._request is not None:
                        self._request.close()  # uploaded files, as Flask closes them
        finally:
            _cv_request.reset(self._tokens.pop())
            if pushed is None and self.shares_app_ctx:
                self.app_ctx.deactivate()  # type: ignore[union-attr]  # the pipeline set it: no teardown
            elif app_ctx is not None:
                app_ctx.pop(exc)

    def copy(self) -> RequestContext:
        """A new context for the same request and session object, to push elsewhere.

        The session is opened now if it was not yet, so that the copy and this
        context share it.
        """
        ctx = self.__class__(self.app, self._environ, self.request, self.session)
        ctx._origin_app_ctx = self.app_ctx
        ctx.environ_factory = self.environ_factory
        ctx.method, ctx.path, ctx.host = self.method, self.path, self.host
        ctx.url_rule, ctx.view_args = self.url_rule, self.view_args
        ctx.routing_exception = self.routing_exception
        return ctx

    def __enter__(self) -> RequestContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        return f"<RequestContext {self.method} {self.path!r} of {self.app.name!r}>"


def _check_current(var: contextvars.ContextVar[t.Any], ctx: t.Any, kind: str) -> None:
    """Raise unless *ctx* was pushed and is the current context of *var*; change nothing."""
    if not ctx._tokens:
        raise RuntimeError(f"Popped {ctx!r}, which was not pushed.")
    current = var.get(None)
    if current is not ctx:
        raise RuntimeError(
            f"Popped wrong {kind} context ({current!r} instead of {ctx!r});"
            " pop the most recently pushed context first."
        )


def has_app_context() -> bool:
    """True when an application context is current."""
    return _cv_app.get(None) is not None


def has_request_context() -> bool:
    """True when a request context is current."""
    return _cv_request.get(None) is not None


def after_this_request(f: F) -> F:
    """Run *f* with the response after this request's view (lifecycle step 11).

    *f* takes the response and returns a response. Functions registered this
    way run in registration order, before the ``after_request`` functions.
    """
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(
            "'after_this_request' can only be used when a request context is active,"
            " such as in a view function."
        )
    if not callable(f):
        raise TypeError(f"after_this_request() needs a callable, got {f!r}")
    if ctx._after_request_functions:
        ctx._after_request_functions.append(f)  # a list once non-empty
    else:
        ctx._after_request_functions = [f]
    return f


def copy_current_request_context(f: F) -> F:
    """Decorate *f* so that it runs in a copy of the current request context.

    Useful for work handed to another thread or greenlet: ``request`` and
    ``session`` (the same session object) are available inside *f* wherever
    it is called. As in Flask, each call pushes the copy and pops it when *f*
    returns, so ``teardown_request`` functions run for it once per call.

    ``g``: called where the request's own app context is current (in the
    view, on the same thread or task), the copy shares it, and so its ``g``;
    elsewhere (another thread) each call gets a fresh app context and ``g``,
    whose ``teardown_appcontext`` functions run when the call ends, as in
    Flask. An ``async def`` *f* is run to its end by :meth:`Tocsin.ensure_sync`
    (the decorated function is sync).
    """
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(
            "'copy_current_request_context' can only be used when a request context is"
            " active, such as in a view function."
        )
    copied = ctx.copy()

    @functools.wraps(f)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        with copied:
            return copied.app.ensure_sync(f)(*args, **kwargs)

    return t.cast(F, wrapper)


def _iter_in_context(ctx: RequestContext, it: cabc.Iterable[t.AnyStr]) -> t.Iterator[t.AnyStr]:
    """Iterate *it* with *ctx* current, unless it already is."""
    if _cv_request.get(None) is ctx:
        yield from it
        return
    ctx.activate()
    try:
        yield from it
    finally:
        ctx.deactivate()
