"""Registration shared by the application and blueprints.

A :class:`Scaffold` collects views, hooks and error handlers. Nothing here
runs them: the order in which they run is decided by :mod:`tocsin.lifecycle`
and carried out by :mod:`tocsin._pipeline`.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import sys
import typing as t
from collections import defaultdict

from werkzeug.exceptions import HTTPException, default_exceptions

from ._registries import registry_attribute, watched_views

__all__ = ["Scaffold", "setupmethod"]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
ErrorHandlerMap = dict[type[BaseException], t.Callable[..., t.Any]]
HookScope = str | None


def setupmethod(f: F) -> F:
    """Mark a registration method: it refuses to run once the app has handled a request."""
    f_name = f.__name__

    def wrapper_func(self: Scaffold, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._check_setup_finished(f_name)
        return f(self, *args, **kwargs)

    wrapper_func.__name__ = f.__name__
    wrapper_func.__qualname__ = f.__qualname__
    wrapper_func.__doc__ = f.__doc__
    return t.cast(F, wrapper_func)


def _require_callable(what: str, f: t.Any) -> None:
    """Raise a clear :class:`TypeError` when *f*, given to the method *what*, is not callable."""
    if not callable(f):
        if what.startswith(("add_", "register_")):  # called with the function, not a decorator
            hint = " Pass it a function."
        else:
            hint = f" Use it as a decorator, @{what}, on a function."
        raise TypeError(f"{what} needs a callable, got {f!r} of type {type(f).__name__}.{hint}")


def _endpoint_from_view_func(view_func: t.Callable[..., t.Any] | None) -> str:
    """The endpoint named after *view_func*, for a rule registered without one."""
    if view_func is None:
        raise TypeError("A rule needs an endpoint or a view function to name it after.")
    return view_func.__name__


def _exc_class_and_code(
    exc_class_or_code: type[BaseException] | int,
) -> tuple[type[BaseException], int | None]:
    """Resolve an error handler key to (exception class, HTTP code or None).

    Bad keys raise what Flask raises: an unknown HTTP code or a class that
    is not an ``Exception`` is a :exc:`ValueError`, an instance or any other
    object a :exc:`TypeError`, with Flask's messages (where Flask lets
    ``issubclass`` fail, the message says what the key is instead).
    """
    only = "Handlers can only be registered for Exception classes or HTTP error codes."
    exc_class: object = exc_class_or_code
    if isinstance(exc_class_or_code, int):
        try:
            exc_class = default_exceptions[exc_class_or_code]
        except KeyError:
            raise ValueError(
                f"'{exc_class_or_code}' is not a recognized HTTP error code. Use a subclass"
                " of HTTPException with that code instead."
            ) from None
    if isinstance(exc_class, BaseException):
        raise TypeError(f"{exc_class!r} is an instance, not a class. {only}")
    if not isinstance(exc_class, type):
        raise TypeError(
            f"{exc_class!r} is neither an exception class nor an HTTP error code. {only}"
        )
    if not issubclass(exc_class, Exception):
        raise ValueError(f"'{exc_class.__name__}' is not a subclass of Exception. {only}")
    if issubclass(exc_class, HTTPException):
        return exc_class, exc_class.code
    return exc_class, None


def get_root_path(import_name: str) -> str:
    """The folder of the module or package *import_name* (the cwd when unknown)."""
    mod = sys.modules.get(import_name)
    file: str | None = getattr(mod, "__file__", None)
    if file is not None:
        return os.path.dirname(os.path.abspath(file))
    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin in (None, "namespace", "built-in"):
        return os.getcwd()
    return os.path.dirname(os.path.abspath(spec.origin))


class Scaffold:
    """What the app and blueprints have in common: views, hooks, error handlers.

    The dicts below are keyed by scope: ``None`` for the app's own functions,
    a blueprint's name for that blueprint's. They are public because Flask's
    are, and they may be changed directly, as in Flask (extensions do): the
    app's compiled per-request plans are dropped on every change, so the next
    request runs what they hold then.
    """

    view_functions = watched_views()
    before_request_funcs = registry_attribute()
    after_request_funcs = registry_attribute()
    teardown_request_funcs = registry_attribute()
    template_context_processors = registry_attribute()
    url_value_preprocessors = registry_attribute()
    url_default_functions = registry_attribute()

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        #: The name of the package or module that this object belongs to.
        self.import_name = import_name
        self.static_folder = static_folder
        self.static_url_path = static_url_path
        #: Templates folder, relative to :attr:`root_path`.
        self.template_folder = template_folder
        if root_path is None:
            root_path = get_root_path(self.import_name)
        #: Absolute path to the package on the filesystem.
        self.root_path = root_path
        #: Endpoint name -> view function.
        self.view_functions = {}  # (endpoint to view function; watched: see above)
        #: scope -> HTTP code or None -> exception class -> handler.
        self.error_handler_spec: dict[HookScope, dict[int | None, ErrorHandlerMap]] = defaultdict(
            lambda: defaultdict(dict)
        )
        #: The hook registries, Flask's dicts of lists by scope (see
        #: :mod:`tocsin._registries`: changing them, even directly, is seen).
        self.before_request_funcs = {}
        self.after_request_funcs = {}
        self.teardown_request_funcs = {}
        self.template_context_processors = {}
        self.url_value_preprocessors = {}
        self.url_default_functions = {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    name: str

    def _check_setup_finished(self, f_name: str) -> None:
        raise NotImplementedError

    def _changed(self) -> None:
        """Called after every registration; the app drops its compiled plans."""

    # -- folders ---------------------------------------------------------------

    @property
    def static_folder(self) -> str | None:
        """Absolute path to the static folder, or ``None``."""
        if self._static_folder is not None:
            return os.path.join(self.root_path, self._static_folder)
        return None

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        if value is not None:
            value = os.fspath(value).rstrip(r"\/")
        self._static_folder = value

    @property
    def has_static_folder(self) -> bool:
        """True when a static folder is set."""
        return self.static_folder is not None

    @property
    def static_url_path(self) -> str | None:
        """URL prefix of the static route (defaults to ``/`` + the folder's name)."""
        if self._static_url_path is not None:
            return self._static_url_path
        if self.static_folder is not None:
            basename = os.path.basename(self.static_folder)
            return f"/{basename}".rstrip("/")
        return None

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        if value is not None:
            value = value.rstrip("/")
        self._static_url_path = value

    @property
    def has_template_folder(self) -> bool:
        """True when a template folder is set."""
        return self.template_folder is not None

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = None
    ) -> t.IO[t.Any]:
        """Open a file relative to :attr:`root_path` for reading."""
        if mode not in {"r", "rt", "rb"}:
            raise ValueError("Resources can only be opened for reading.")
        path = pathlib.Path(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    # -- routes -------------------------------------------------------------------

    def _method_route(
        self, method: str, rule: str, options: dict[str, t.Any]
    ) -> t.Callable[[F], F]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    @setupmethod
    def get(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route(rule, methods=["GET"])``."""
        return self._method_route("GET", rule, options)

    @setupmethod
    def post(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route(rule, methods=["POST"])``."""
        return self._method_route("POST", rule, options)

    @setupmethod
    def put(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route(rule, methods=["PUT"])``."""
        return self._method_route("PUT", rule, options)

    @setupmethod
    def delete(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route(rule, methods=["DELETE"])``."""
        return self._method_route("DELETE", rule, options)

    @setupmethod
    def patch(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route(rule, methods=["PATCH"])``."""
        return self._method_route("PATCH", rule, options)

    @setupmethod
    def route(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """Register the decorated function as the view for the URL *rule*.

        :param rule: the URL rule, e.g. ``"/user/<int:id>"``.
        :param options: ``endpoint``, ``methods`` and Werkzeug ``Rule`` options.
        """

        def decorator(f: F) -> F:
            _require_callable("route", f)  # None would register a rule without a view
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, **options)
            return f

        return decorator

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Register a URL rule (see :meth:`route`)."""
        raise NotImplementedError

    @setupmethod
    def endpoint(self, endpoint: str) -> t.Callable[[F], F]:
        """Register the decorated function as the view of *endpoint* (rule added elsewhere)."""

        def decorator(f: F) -> F:
            _require_callable("endpoint", f)
            self.view_functions[endpoint] = f
            self._changed()
            return f

        return decorator

    # -- hooks ----------------------------------------------------------------------

    def _add_hook(self, funcs: list[t.Any], what: str, f: F) -> F:
        """Check *f* is callable, append it to *funcs*, and drop compiled plans."""
        _require_callable(what, f)
        funcs.append(f)
        self._changed()
        return f

    @setupmethod
    def before_request(self, f: F) -> F:
        """Run *f* before each request (lifecycle step 7).

        A non-None return value becomes the response: the remaining
        ``before_request`` functions and the view are skipped.
        """
        return self._add_hook(self.before_request_funcs[None], "before_request", f)

    @setupmethod
    def after_request(self, f: F) -> F:
        """Run *f* with the response after each request (step 12); it returns a response."""
        return self._add_hook(self.after_request_funcs[None], "after_request", f)

    @setupmethod
    def teardown_request(self, f: F) -> F:
        """Run *f* when the request ends (step 16), even after an error.

        It gets the unhandled exception, or ``None``. Its return value is ignored.
        """
        return self._add_hook(self.teardown_request_funcs[None], "teardown_request", f)

    @setupmethod
    def context_processor(self, f: F) -> F:
        """Register a function returning a dict of names for every template."""
        return self._add_hook(self.template_context_processors[None], "context_processor", f)

    @setupmethod
    def url_value_preprocessor(self, f: F) -> F:
        """Run ``f(endpoint, values)`` before ``before_request`` (step 6); it may edit values."""
        return self._add_hook(self.url_value_preprocessors[None], "url_value_preprocessor", f)

    @setupmethod
    def url_defaults(self, f: F) -> F:
        """Run ``f(endpoint, values)`` in ``url_for`` to fill in default values."""
        return self._add_hook(self.url_default_functions[None], "url_defaults", f)

    @setupmethod
    def errorhandler(self, code_or_exception: type[Exception] | int) -> t.Callable[[F], F]:
        """Register the decorated function to handle an HTTP code or exception class.

        The handler gets the exception and returns a response. The most
        specific class wins; blueprint handlers win over the app's.
        """

        def decorator(f: F) -> F:
            self.register_error_handler(code_or_exception, f)
            return f

        return decorator

    @setupmethod
    def register_error_handler(
        self, code_or_exception: type[Exception] | int, f: t.Callable[..., t.Any]
    ) -> None:
        """Non-decorator form of :meth:`errorhandler`."""
        _require_callable("errorhandler", f)
        exc_class, code = _exc_class_and_code(code_or_exception)
        self.error_handler_spec[None][code][exc_class] = f
        self._changed()
