"""The application object."""

from __future__ import annotations

import collections.abc as cabc
import functools
import os
import threading
import typing as t
import weakref

from werkzeug.routing import MapAdapter

from . import _pipeline
from ._async import is_async_callable, run_coroutine
from ._compile import Lifecycle, compiled, stock
from ._dispatching import RequestMethods
from ._drive import drive
from ._protocols import announce, serves_asgi
from ._responses import ResponseMaker
from ._routing import Matcher, WatchedMap
from .asgi import ASGIApp
from .ctx import AppContext, RequestContext, _AppCtxGlobals
from .globals import _cv_app, _cv_request, g
from .helpers import (
    _build_url,
    _debug_from_env,
    _max_age_seconds,
    get_load_dotenv,
    send_from_directory,
)
from .sansio.app import App
from .sessions import SecureCookieSessionInterface, SessionInterface
from .tracing import Trace, Tracer
from .wrappers import Request, Response
from .wsgi import handle, request_context

if t.TYPE_CHECKING:
    from .testing import TestClient, TocsinCliRunner
    from .typing import ASGIReceive, ASGIScope, ASGISend, StartResponse, WSGIEnvironment

__all__ = ["Flask", "Tocsin"]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class Tocsin(RequestMethods, ResponseMaker, App):
    """The application: a WSGI application and an ASGI 3 one (see :meth:`__call__`).

    :param import_name: the name of the application package or module,
        usually ``__name__``; it locates templates, static files and the
        instance folder.

    The other arguments are Flask's: ``static_url_path``, ``static_folder``,
    ``static_host``, ``host_matching``, ``subdomain_matching``,
    ``template_folder``, ``instance_path``, ``instance_relative_config``,
    ``root_path``.
    """

    request_class: type[Request] = Request
    response_class: type[Response] = Response
    #: The class of ``g``.
    app_ctx_globals_class = _AppCtxGlobals
    #: The session interface; the default signs a cookie with ``SECRET_KEY``.
    session_interface: SessionInterface = SecureCookieSessionInterface()
    test_client_class: type[TestClient] | None = None
    test_cli_runner_class: type[TocsinCliRunner] | None = None

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        # Set before the settings and registrations of App.__init__, which call _changed.
        #: The lifecycle compiled from the registrations (see :mod:`tocsin._compile`):
        #: ``None`` until the first request, and again after any change.
        self.compiled: Lifecycle | None = None
        #: Whether the session interface saves untouched sessions too (decided at the
        #: first request): then every request counts as carrying a cookie.
        self._session_always = False
        self._first_request_done = False
        self._first_request_lock = threading.Lock()
        self._matcher = Matcher(self)
        #: A weak reference to the ASGI app made by :attr:`asgi` (which holds this app).
        self._asgi: weakref.ref[t.Any] | None = None
        #: The app's lifecycle tracer (see :mod:`tocsin.tracing`), or ``None``: set by
        #: installing a :class:`~tocsin.tracing.Tracer` (read it; do not assign it).
        self.tracer: Tracer | None = None
        self._cli: t.Any = None
        announce(self)  # Python 3.11: app.__call__ as inspect sees a coroutine function
        super().__init__(
            import_name,
            static_url_path=static_url_path,
            static_folder=static_folder,
            static_host=static_host,
            host_matching=host_matching,
            subdomain_matching=subdomain_matching,
            template_folder=template_folder,
            instance_path=instance_path,
            instance_relative_config=instance_relative_config,
            root_path=root_path,
        )
        if isinstance(self.url_map, WatchedMap):
            self.url_map.on_add = weakref.WeakMethod(self._matcher.invalidate)
        if self.has_static_folder:
            if bool(static_host) != host_matching:  # an AssertionError, as in Flask
                raise AssertionError("Invalid static_host/host_matching combination")
            app_ref = weakref.ref(self)  # looked up per call: a patched send_static_file is used
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=lambda **kw: app_ref().send_static_file(**kw),  # type: ignore[union-attr]  # alive while serving
            )

    # -- files and serving -----------------------------------------------------------

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> t.IO[t.Any]:
        """Open a file relative to :attr:`instance_path`; unlike resources, it may be written."""
        path = os.path.join(self.instance_path, resource)
        if "b" in mode:
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    def _start_serving(self) -> None:
        """Called by the drivers on the first request: freeze setup, start tracing if asked."""
        self._got_first_request = True
        self._session_always = self.session_interface.saves_every_request()
        self.compiled = None
        config = self.config
        if config["TRACE"] and self.tracer is None:
            Tracer.from_config(self)

    def _changed(self) -> None:
        """A registration changed: drop what was compiled from them."""
        self.compiled = None
        self._matcher.invalidate()

    # -- registration ---------------------------------------------------------------

    def make_shell_context(self) -> dict[str, t.Any]:
        """Names for an interactive shell: ``app``, ``g`` and the processors' names."""
        rv: dict[str, t.Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            rv.update(processor())
        return rv

    # -- the lifecycle ------------------------------------------------------------------

    async def _run_before_first_request(self, trace: Trace | None = None) -> None:
        """Step 4: run the ``before_first_request`` functions exactly once (threads and tasks).

        :param trace: the request's trace, if it is sampled: each call is recorded in it.
        """
        import asyncio

        while not self._first_request_done:
            if not self._first_request_lock.acquire(blocking=False):
                await asyncio.sleep(0.001)  # another thread or task is running them
                continue
            try:
                if self._first_request_done:
                    return
                for f in self.before_first_request_funcs:
                    if trace is None:
                        rv = f()
                    elif is_async_callable(f):
                        rv = trace.timed_async("before_first_request", f, f())
                    else:
                        rv = trace.timed("before_first_request", f, f)
                    if is_async_callable(f):
                        await rv
                self._first_request_done = True
                self.compiled = None  # step 4 has no more work
            finally:
                self._first_request_lock.release()

    # -- errors ---------------------------------------------------------------------

    def log_exception(self, exc_info: BaseException) -> None:
        """Log an unhandled exception that became a 500 response."""
        ctx = _cv_request.get(None)
        where = f"{ctx.path} [{ctx.method}]" if ctx is not None else "?"
        self.logger.error(f"Exception on {where}", exc_info=exc_info)

    # -- running async code -----------------------------------------------------------

    def ensure_sync(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """Return a sync callable for *func*; an async one runs on this thread's loop."""
        if not is_async_callable(func):
            return func
        return self.async_to_sync(func)

    def async_to_sync(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """A sync callable that runs the coroutine function *func* on this thread's loop.

        Flask needs its ``async`` extra (asgiref) for this; Tocsin keeps one
        event loop per thread, so a call does not start a new loop.
        """

        @functools.wraps(func)
        def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return run_coroutine(func(*args, **kwargs))

        return wrapper

    def do_teardown_request(self, exc: BaseException | None = None) -> None:
        """Run the ``teardown_request`` functions and send ``request_tearing_down`` (step 16)."""
        ctx = _cv_request.get()
        entry = compiled(self).plan(ctx).steps.get("teardown_request")
        if entry is not None:
            drive(_pipeline.run_teardown(ctx, (entry,), exc))

    def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
        """Run the ``teardown_appcontext`` functions and send ``appcontext_tearing_down``."""
        entry = compiled(self).steps.get("teardown_appcontext")
        if entry is not None:
            drive(_pipeline.run_teardown(_cv_app.get(), (entry,), exc))

    def _pop_app_context(self, app_ctx: AppContext, exc: BaseException | None) -> None:
        drive(_pipeline.pop_app_context(self, app_ctx, exc))

    # -- contexts -------------------------------------------------------------------------

    def app_context(self) -> AppContext:
        """A new application context: ``with app.app_context(): ...``."""
        return AppContext(self)

    def request_context(self, environ: WSGIEnvironment) -> RequestContext:
        """A request context for a WSGI environ."""
        return request_context(self, environ)

    def test_request_context(self, *args: t.Any, **kwargs: t.Any) -> RequestContext:
        """A request context built from ``werkzeug.test.EnvironBuilder`` arguments."""
        from .testing import EnvironBuilder

        builder = EnvironBuilder(self, *args, **kwargs)
        try:
            return self.request_context(builder.get_environ())
        finally:
            builder.close()

    def test_client(self, use_cookies: bool = True, **kwargs: t.Any) -> TestClient:
        """A test client; ``driver="asgi"`` runs requests through the ASGI driver."""
        cls = self.test_client_class
        if cls is None:
            from .testing import TestClient

            cls = TestClient
        return cls(self, self.response_class, use_cookies=use_cookies, **kwargs)

    def test_cli_runner(self, **kwargs: t.Any) -> TocsinCliRunner:
        """A click runner that invokes this app's commands."""
        cls = self.test_cli_runner_class
        if cls is None:
            from .testing import TocsinCliRunner

            cls = TocsinCliRunner
        return cls(self, **kwargs)

    @property
    def cli(self) -> t.Any:
        """The app's click command group: ``@app.cli.command()`` adds to ``tocsin``."""
        if self._cli is None:
            from .cli import AppGroup

            self._cli = AppGroup(self.name)
        return self._cli

    # -- the two drivers ---------------------------------------------------------------------

    def wsgi_app(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> cabc.Iterable[bytes]:
        """The WSGI application. Wrap this, not the app, with WSGI middleware."""
        return handle(self, environ, start_response)

    def _wsgi_app_replaced(self) -> bool:
        """Whether :meth:`wsgi_app` was replaced (WSGI middleware, a subclass): ASGI bypasses it."""
        return "wsgi_app" in vars(self) or type(self).wsgi_app is not Tocsin.wsgi_app

    @t.overload
    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> cabc.Iterable[bytes]: ...

    @t.overload
    def __call__(
        self, scope: ASGIScope, receive: ASGIReceive, send: ASGISend, /
    ) -> cabc.Coroutine[t.Any, t.Any, None]: ...

    @serves_asgi
    def __call__(
        self,
        environ: t.Any,
        start_response: t.Any,
        send: ASGISend | None = None,
    ) -> t.Any:
        """Serve a WSGI call, or return the coroutine of an ASGI 3 call.

        ``app(environ, start_response)`` calls :meth:`wsgi_app` (so WSGI
        middleware set there is used) and returns its iterable;
        ``await app(scope, receive, send)`` is ``await app.asgi(scope,
        receive, send)``, for every scope type (``http``, ``lifespan``,
        ``websocket``). Servers that detect the interface see a coroutine
        function (see :mod:`tocsin._protocols`), so ``uvicorn module:app``
        and ``hypercorn module:app`` serve ASGI, ``gunicorn module:app`` WSGI.
        """
        if send is None:
            return self.wsgi_app(environ, start_response)
        # The ASGI app of app.asgi, while something holds it: a server's lifespan
        # call keeps it for the server's life, so a request makes none. Its method
        # is called directly (calling the instance would go through the slower
        # __call__ slot of a Python class).
        asgi_app = self._asgi() if self._asgi is not None else None
        if asgi_app is None:
            asgi_app = self.asgi
        return asgi_app.__call__(environ, start_response, send)

    @property
    def asgi(self) -> t.Any:
        """This app as an ASGI 3 application only: ``uvicorn module:app.asgi``.

        The app serves ASGI itself (``uvicorn module:app``); this object is
        for code that wants a callable of ASGI alone. The app keeps it
        weakly (so that an app is freed by reference counting): hold the
        object you serve, as a server does, rather than reading this
        attribute for every request.
        """
        asgi_app = self._asgi() if self._asgi is not None else None
        if asgi_app is None:
            asgi_app = ASGIApp(self)
            self._asgi = weakref.ref(asgi_app)
        return asgi_app

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        **options: t.Any,
    ) -> None:
        """Serve the app with Werkzeug's development server (not for production).

        As in Flask: under the ``tocsin run`` (or ``flask run``) command, which
        sets ``TOCSIN_RUN_FROM_CLI`` (``FLASK_RUN_FROM_CLI``), the call only
        warns and returns, so an unguarded ``app.run()`` does not block the
        command. Otherwise the dotenv files are loaded (see
        :func:`tocsin.cli.load_dotenv`) unless *load_dotenv* is false or
        ``TOCSIN_SKIP_DOTENV`` says so, and then ``TOCSIN_DEBUG`` or
        ``FLASK_DEBUG``, when set, sets :attr:`debug`; *debug*, when given, wins.
        *host* and *port* default to those of ``SERVER_NAME``, else
        ``127.0.0.1:5000``; ``port=0`` picks a free port. The other *options*
        go to :func:`werkzeug.serving.run_simple`.
        """
        import click
        from werkzeug.serving import is_running_from_reloader, run_simple

        from .cli import load_dotenv as load_env_files
        from .cli._run import show_server_banner

        if "true" in (os.environ.get("TOCSIN_RUN_FROM_CLI"), os.environ.get("FLASK_RUN_FROM_CLI")):
            if not is_running_from_reloader():
                click.secho(
                    " * Ignoring a call to 'app.run()' that would block the current 'tocsin'"
                    " CLI command.\n   Only call 'app.run()' in an"
                    " 'if __name__ == \"__main__\"' guard.",
                    fg="red",
                )
            return
        if get_load_dotenv(load_dotenv):
            load_env_files()
            if (debug_from_env := _debug_from_env()) is not None:
                self.debug = debug_from_env
        if debug is not None:
            self.debug = bool(debug)
        server_name = self.config.get("SERVER_NAME")
        sn_host = sn_port = None
        if server_name:
            sn_host, _, sn_port = server_name.partition(":")
        host = host or sn_host or "127.0.0.1"
        port = int(port) if port or port == 0 else int(sn_port or 5000)
        options.setdefault("use_reloader", self.debug)
        options.setdefault("use_debugger", self.debug)
        options.setdefault("threaded", True)
        show_server_banner(self.name, self.debug)
        try:
            run_simple(host, port, self, **options)
        finally:
            # As in Flask: setup methods may be used again, e.g. to restart from a shell.
            self._got_first_request = False

    # -- URLs ------------------------------------------------------------------------------

    @stock  # (an app's own decides every match: see tocsin._routing)
    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        """A URL adapter bound to *request*, or to ``SERVER_NAME`` outside requests."""
        if request is not None:
            if (trusted_hosts := self.config["TRUSTED_HOSTS"]) is not None:
                request.trusted_hosts = trusted_hosts
                request.host  # noqa: B018  (raises SecurityError, a 400, for an untrusted host)
            subdomain = None
            server_name = self.config["SERVER_NAME"]
            if self.url_map.host_matching:
                server_name = None
            elif not self.subdomain_matching:
                subdomain = self.url_map.default_subdomain or ""
            return self.url_map.bind_to_environ(
                request.environ, server_name=server_name, subdomain=subdomain
            )
        if self.config["SERVER_NAME"] is not None:
            return self.url_map.bind(
                self.config["SERVER_NAME"],
                script_name=self.config["APPLICATION_ROOT"],
                url_scheme=self.config["PREFERRED_URL_SCHEME"],
            )
        return None

    def url_for(
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: t.Any,
    ) -> str:
        """Build the URL of *endpoint* (see :func:`tocsin.url_for`)."""
        return _build_url(self, endpoint, _anchor, _method, _scheme, _external, values)

    def send_static_file(self, filename: str) -> Response:
        """The view of the ``static`` route: a file from :attr:`static_folder`."""
        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        max_age = self.get_send_file_max_age(filename)
        return send_from_directory(t.cast(str, self.static_folder), filename, max_age=max_age)

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """``SEND_FILE_MAX_AGE_DEFAULT`` as seconds, or ``None`` for conditional requests only."""
        return _max_age_seconds(self.config["SEND_FILE_MAX_AGE_DEFAULT"])

    # -- sessions -------------------------------------------------------------------------------

    def _session_maybe_refreshed(self, ctx: RequestContext) -> bool:
        """True when an untouched session may still need saving (its cookie came in).

        Callers test ``ctx.has_cookie`` first: without cookies, nothing to refresh
        (``has_cookie`` is always true when the interface saves every request).
        """
        return ctx.has_cookie and (
            self._session_always or self.session_interface.wants_refresh(self, ctx)
        )


#: The application class under Flask's name, so ``from flask.app import Flask`` ports.
Flask = Tocsin
