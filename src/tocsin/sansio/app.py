"""The application without a driver: its settings and registrations (``flask.sansio.app``).

:class:`App` holds what an application is before it handles a request: the
config, the URL map, the JSON provider, the registered blueprints, hooks and
error handlers, and the rules that pick an error handler or complete a URL.
:class:`tocsin.Tocsin` adds what handling requests needs: contexts, the
pipeline, the drivers, the session interface, the test client and the command
line. Extensions that import or ``isinstance``-check Flask's
``flask.sansio.app.App`` get this class.
"""

from __future__ import annotations

import logging
import os
import sys
import typing as t
from datetime import timedelta

from werkzeug.exceptions import Aborter, BadRequest, BadRequestKeyError
from werkzeug.routing import BuildError, Map, Rule

from .._async import is_async_callable
from .._registries import watched_list
from .._routing import WatchedMap
from ..config import Config, ConfigAttribute
from ..helpers import _instance_path, get_debug_flag
from ..json.provider import DefaultJSONProvider, JSONProvider
from ..logging import create_logger
from ..scaffold import Scaffold, _exc_class_and_code, _require_callable, setupmethod
from ..templating import TemplatingMixin
from ..wrappers import Request, Response, _blueprint_chain

#: An error handler and whether it is ``async``.
Hook = tuple[t.Callable[..., t.Any], bool]

if t.TYPE_CHECKING:
    from .blueprints import Blueprint

__all__ = ["App"]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def _make_timedelta(value: timedelta | int | None) -> timedelta | None:
    if value is None or isinstance(value, timedelta):
        return value
    return timedelta(seconds=value)


class App(TemplatingMixin, Scaffold):
    """An application's settings and registrations, with no request handling.

    The arguments are those of :class:`tocsin.Tocsin`, which derives from it
    (the static route is the subclass's, since serving files is I/O).
    """

    #: The request and response classes (set by :class:`tocsin.Tocsin`).
    request_class: type[Request]
    response_class: type[Response]

    config_class = Config
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    url_rule_class = Rule
    #: The class of :attr:`aborter`, made by :meth:`make_aborter`.
    aborter_class = Aborter
    url_map_class: type[Map] = WatchedMap
    #: ``teardown_appcontext`` functions, in registration order (changes are seen).
    teardown_appcontext_funcs = watched_list()
    testing = ConfigAttribute[bool]("TESTING")
    secret_key = ConfigAttribute[str | bytes | None]("SECRET_KEY")
    permanent_session_lifetime = ConfigAttribute[timedelta](
        "PERMANENT_SESSION_LIFETIME",
        get_converter=_make_timedelta,  # type: ignore[arg-type]  # None only for None
    )

    default_config: dict[str, t.Any] = {
        "DEBUG": None,
        "TESTING": False,
        "PROPAGATE_EXCEPTIONS": None,
        "SECRET_KEY": None,
        "SECRET_KEY_FALLBACKS": None,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
        "USE_X_SENDFILE": False,
        "TRUSTED_HOSTS": None,
        "SERVER_NAME": None,
        "APPLICATION_ROOT": "/",
        "SESSION_COOKIE_NAME": "session",
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_PATH": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_PARTITIONED": False,
        "SESSION_COOKIE_SAMESITE": None,
        "SESSION_REFRESH_EACH_REQUEST": True,
        "MAX_CONTENT_LENGTH": None,
        "MAX_FORM_MEMORY_SIZE": 500_000,
        "MAX_FORM_PARTS": 1_000,
        "SEND_FILE_MAX_AGE_DEFAULT": None,
        "TRAP_BAD_REQUEST_ERRORS": None,
        "TRAP_HTTP_EXCEPTIONS": False,
        "EXPLAIN_TEMPLATE_LOADING": False,
        "PREFERRED_URL_SCHEME": "http",
        "TEMPLATES_AUTO_RELOAD": None,
        "MAX_COOKIE_SIZE": 4093,
        "PROVIDE_AUTOMATIC_OPTIONS": True,
        "FRESH_APP_CONTEXT": False,
        "TRACE": False,
        "TRACE_SAMPLE": 1.0,
        "TRACE_KEEP": 50,
        "TRACE_SERVER_TIMING": False,
    }

    # -- settings ---------------------------------------------------------------------

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
        super().__init__(import_name, static_folder, static_url_path, template_folder, root_path)
        if instance_path is None:
            instance_path = self.auto_find_instance_path()
        elif not os.path.isabs(instance_path):
            raise ValueError("If an instance path is provided it must be absolute.")
        #: Folder for files that belong to this deployment, not to the package.
        self.instance_path = instance_path
        self.config = self.make_config(instance_relative_config)
        #: Raises the HTTP errors of :func:`tocsin.abort`; add codes to its ``mapping``.
        self.aborter = self.make_aborter()
        #: How this app turns data into JSON and back.
        self.json: JSONProvider = self.json_provider_class(self)
        #: Functions run once, before the first request's ``request_started``.
        self.before_first_request_funcs: list[t.Callable[[], t.Any]] = []
        self.teardown_appcontext_funcs = []
        self.shell_context_processors: list[t.Callable[[], dict[str, t.Any]]] = []
        #: ASGI lifespan hooks: run once when the server starts and stops.
        self.before_serving_funcs: list[t.Callable[[], t.Any]] = []
        self.after_serving_funcs: list[t.Callable[[], t.Any]] = []
        #: Registered blueprints by name.
        self.blueprints: dict[str, Blueprint] = {}
        #: Extension state, by extension name.
        self.extensions: dict[str, t.Any] = {}
        #: Functions ``f(error, endpoint, values)`` tried in order when ``url_for``
        #: cannot build a URL; the first that returns a value other than ``None``
        #: supplies the URL (see :meth:`handle_url_build_error`).
        self.url_build_error_handlers: list[
            t.Callable[[BuildError, str, dict[str, t.Any]], str | None]
        ] = []
        #: The URL map: Werkzeug's rules, converters and matcher.
        self.url_map = self.url_map_class(host_matching=host_matching)
        self.subdomain_matching = subdomain_matching
        self._got_first_request = False
        self._init_templating()

    @property
    def name(self) -> str:  # type: ignore[override]  # Scaffold's is an attribute
        """The app's name: the import name, or the script's name when run as ``__main__``."""
        if self.import_name == "__main__":
            fn: str | None = getattr(sys.modules["__main__"], "__file__", None)
            if fn is None:
                return "__main__"
            return os.path.splitext(os.path.basename(fn))[0]
        return self.import_name

    @property
    def logger(self) -> logging.Logger:
        """The ``logging`` logger named after the app."""
        logger = self.__dict__.get("_logger")
        if logger is None:
            logger = self.__dict__["_logger"] = create_logger(self)
        return logger

    @property
    def debug(self) -> bool:
        """Debug mode: the ``DEBUG`` config key, returned as stored, as in Flask."""
        value: bool = self.config["DEBUG"]
        return value

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        if self.config["TEMPLATES_AUTO_RELOAD"] is None:
            self.jinja_env.auto_reload = self.templates_auto_reload

    def make_config(self, instance_relative: bool = False) -> Config:
        """Create the config, with defaults and ``DEBUG`` from ``TOCSIN_DEBUG``.

        ``FLASK_DEBUG`` is read when ``TOCSIN_DEBUG`` is not set; see
        :func:`~tocsin.helpers.get_debug_flag` for the values that mean on.
        """
        root_path = self.instance_path if instance_relative else self.root_path
        defaults = dict(self.default_config)
        defaults["DEBUG"] = get_debug_flag()
        return self.config_class(root_path, defaults)

    def make_aborter(self) -> Aborter:
        """Create :attr:`aborter` (an instance of :attr:`aborter_class`)."""
        return self.aborter_class()

    def auto_find_instance_path(self) -> str:
        """The default :attr:`instance_path`, as Flask finds it.

        An installed package or module (in ``site-packages``, or under
        ``sys.prefix``) gets ``<prefix>/var/<name>-instance``; otherwise it is
        the ``instance`` folder next to the top-level package or module (of
        ``mypkg`` for ``mypkg.views``), or in the cwd when that is unknown.
        """
        return _instance_path(self.import_name, self.name)

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_first_request:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the application."
                " It has already handled its first request, any changes will not be applied"
                " consistently.\nMake sure all imports, decorators, functions, etc. needed to"
                " set up the application are done before running it."
            )

    # -- registration -----------------------------------------------------------------

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        if view_func is not None:
            _require_callable("add_url_rule", view_func)
        if endpoint is None:
            if view_func is None:
                raise TypeError("add_url_rule() needs an endpoint or a view function.")
            endpoint = view_func.__name__
        options["endpoint"] = endpoint
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                "Allowed methods must be a list of strings, for example:"
                ' @app.route(..., methods=["POST"])'
            )
        methods = {item.upper() for item in methods}
        required_methods: set[str] = set(getattr(view_func, "required_methods", ()))
        if provide_automatic_options is None:
            provide_automatic_options = getattr(view_func, "provide_automatic_options", None)
        if provide_automatic_options is None:
            provide_automatic_options = (
                "OPTIONS" not in methods and self.config["PROVIDE_AUTOMATIC_OPTIONS"]
            )
            if provide_automatic_options:
                required_methods.add("OPTIONS")
        methods |= required_methods
        rule_obj = self.url_rule_class(rule, methods=methods, **options)
        rule_obj.provide_automatic_options = provide_automatic_options  # type: ignore[attr-defined]  # Flask's extra attribute
        self.url_map.add(rule_obj)
        if view_func is not None:
            old = self.view_functions.get(endpoint)
            if old is not None and old != view_func:
                raise AssertionError(
                    "View function mapping is overwriting an existing endpoint function:"
                    f" {endpoint}"
                )
            self.view_functions[endpoint] = view_func
        self._changed()

    @setupmethod
    def before_first_request(self, f: F) -> F:
        """Run *f* once, before the first request's ``request_started`` (step 4).

        Safe under concurrent first requests: one request runs the functions,
        the others wait. If one raises, that request fails and the next
        request tries again. (Flask removed this hook in 2.3; Tocsin keeps it.)
        """
        return self._add_hook(self.before_first_request_funcs, "before_first_request", f)

    @setupmethod
    def teardown_appcontext(self, f: F) -> F:
        """Run ``f(exc)`` when every application context ends (step 18), even after an error."""
        return self._add_hook(self.teardown_appcontext_funcs, "teardown_appcontext", f)

    @setupmethod
    def shell_context_processor(self, f: F) -> F:
        """Register a function returning names for ``tocsin shell``."""
        return self._add_hook(self.shell_context_processors, "shell_context_processor", f)

    @setupmethod
    def before_serving(self, f: F) -> F:
        """Run *f* (sync or async) once when an ASGI server starts the app (lifespan)."""
        return self._add_hook(self.before_serving_funcs, "before_serving", f)

    @setupmethod
    def after_serving(self, f: F) -> F:
        """Run *f* (sync or async) once when an ASGI server shuts the app down (lifespan)."""
        return self._add_hook(self.after_serving_funcs, "after_serving", f)

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Register *blueprint*: its routes, hooks and handlers join the app's."""
        blueprint.register(self, options)
        self._changed()

    def iter_blueprints(self) -> t.ValuesView[Blueprint]:
        """The registered blueprints, in registration order."""
        return self.blueprints.values()

    # -- errors and URLs ----------------------------------------------------------------

    def _find_error_handler(self, e: BaseException, blueprints: tuple[str, ...]) -> Hook | None:
        """The handler for *e*: by code before class, blueprints before app, MRO order."""
        exc_class, code = (
            _exc_class_and_code(type(e)) if isinstance(e, Exception) else (type(e), None)
        )
        spec = self.error_handler_spec
        for c in (code, None) if code is not None else (None,):
            for name in (*blueprints, None):
                scope = spec.get(name)
                handler_map = scope.get(c) if scope else None
                if not handler_map:
                    continue
                for cls in exc_class.__mro__:
                    handler = handler_map.get(cls)
                    if handler is not None:
                        return (handler, is_async_callable(handler))
        return None

    def trap_http_exception(self, e: Exception) -> bool:
        """True when the HTTP error *e* should be raised like any other exception."""
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if trap_bad_request is None and self.debug and isinstance(e, BadRequestKeyError):
            return True
        if trap_bad_request:
            return isinstance(e, BadRequest)
        return False

    def inject_url_defaults(self, endpoint: str, values: dict[str, t.Any]) -> None:
        """Run the ``url_defaults`` functions of *endpoint*'s scopes on *values*."""
        names: tuple[str | None, ...] = (None,)
        if "." in endpoint:
            names = (None, *reversed(_blueprint_chain(endpoint.rpartition(".")[0])))
        for name in names:
            for func in self.url_default_functions.get(name, ()):
                func(endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, t.Any]
    ) -> str:
        """Return a URL from the first of :attr:`url_build_error_handlers` that gives one.

        A handler that returns ``None`` or raises ``BuildError`` is skipped; when
        none gives a URL, the (last) ``BuildError`` is raised.
        """
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as e:
                error = e
            else:
                if rv is not None:
                    return rv
        raise error
