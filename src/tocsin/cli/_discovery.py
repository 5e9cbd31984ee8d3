"""Finding and loading the application: ``--app`` values, default files, :class:`ScriptInfo`."""

from __future__ import annotations

import ast
import collections.abc as c
import difflib
import importlib
import inspect
import os
import re
import sys
import traceback
import types
import typing as t

import click

from ..app import Tocsin
from ..helpers import get_debug_flag, get_load_dotenv

#: Module attributes tried, in order, when ``--app`` names no attribute.
_APP_NAMES = ("app", "application")
#: Factory functions tried, in order, when no app attribute is found.
_FACTORY_NAMES = ("create_app", "make_app")
#: Files tried, in order, in the current directory when nothing names the app.
_DEFAULT_FILES = ("wsgi.py", "app.py")


class NoAppException(click.UsageError):
    """The command line could not find or load the application.

    The message says what was tried and what to do; click prints it under
    the command's usage line and exits with status 2.
    """


class _NothingToLoad(NoAppException):
    """No app was named and no default file exists in the current directory."""


CommandT = t.TypeVar("CommandT", bound=click.Command)


def with_flask_envvars(command: CommandT) -> CommandT:
    """Let each option of a built-in *command* read Tocsin's variable, then Flask's.

    ``run --port`` reads ``TOCSIN_RUN_PORT``, else ``FLASK_RUN_PORT``, so a
    ``.flaskenv`` written for ``flask run`` keeps working.
    """
    for param in command.params:
        if isinstance(param, click.Option) and param.envvar is None and param.name:
            name = f"{command.name}_{param.name}".upper()
            param.envvar = [f"TOCSIN_{name}", f"FLASK_{name}"]
    return command


def prepare_import(path: str) -> str:
    """Return the dotted module name to import for an ``--app`` path.

    :param path: a dotted module name (``hello``, ``pkg.web``) or a file or
        package path (``src/hello.py``, ``pkg/web/__init__.py``, ``pkg``).

    The folder above the top package (the first folder without an
    ``__init__.py``) is put first on ``sys.path``, so ``src/hello.py``
    imports as ``hello`` and ``pkg/web.py`` (with ``pkg/__init__.py``) as
    ``pkg.web``.
    """
    path = os.path.realpath(path)
    stem, ext = os.path.splitext(path)
    if ext == ".py":
        path = stem
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)
    parts: list[str] = []
    folder = path
    while True:
        folder, name = os.path.split(folder)
        parts.append(name)
        if not os.path.isfile(os.path.join(folder, "__init__.py")):
            break
    if not sys.path or sys.path[0] != folder:
        sys.path.insert(0, folder)
    return ".".join(reversed(parts))


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[True] = True
) -> Tocsin: ...


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = ...
) -> Tocsin | None: ...


def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = True
) -> Tocsin | None:
    """Import *module_name* and return the application that *app_name* names in it.

    :param module_name: a dotted module name, importable from ``sys.path``.
    :param app_name: an attribute (``app``), a factory (``create_app``), a
        factory call with literal arguments (``create_app("dev")``), or
        ``None`` to search the module with :func:`find_best_app`.
    :param raise_if_not_found: when false, a module that does not exist
        gives ``None`` instead of an error.
    :raises NoAppException: the module does not exist (unless
        *raise_if_not_found* is false), raised an ``ImportError`` while
        importing, or does not give an application that way.

    An exception other than ``ImportError`` raised while importing the
    module propagates unchanged: it is a bug in the module, shown with its
    traceback.
    """
    module = _import_module(module_name, raise_if_not_found)
    if module is None:
        return None
    if app_name is None:
        return find_best_app(module)
    return find_app_by_string(module, app_name)


def _import_module(name: str, raise_if_not_found: bool = True) -> types.ModuleType | None:
    """Import *name*; ``None`` when it does not exist and *raise_if_not_found* is false."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        missing = getattr(e, "name", None)
        if isinstance(e, ModuleNotFoundError) and missing and f"{name}.".startswith(f"{missing}."):
            if not raise_if_not_found:
                return None
            raise NoAppException(
                f"Could not import {name!r}: no module of that name was found on sys.path"
                f" (the current directory is {os.getcwd()}). Check the spelling, or give"
                " the path of the file, such as 'src/hello.py'."
            ) from None
        raise NoAppException(
            f"While importing {name!r}, an ImportError was raised:\n\n{traceback.format_exc()}"
        ) from e


def find_best_app(module: types.ModuleType) -> Tocsin:
    """Return the application in *module*, found without a name.

    In order: an attribute ``app`` or ``application`` holding a
    :class:`~tocsin.app.Tocsin`; else the module's only Tocsin instance;
    else what a ``create_app`` or ``make_app`` function returns when called
    without arguments.

    :raises NoAppException: several instances and none called ``app`` or
        ``application``, a factory that needs arguments, or nothing at all;
        the message says how to name the application.
    """
    mod = module.__name__
    for name in _APP_NAMES:
        if isinstance(found := getattr(module, name, None), Tocsin):
            return found
    apps = [name for name, value in vars(module).items() if isinstance(value, Tocsin)]
    if len(apps) == 1:
        return t.cast(Tocsin, getattr(module, apps[0]))
    if apps:
        raise NoAppException(
            f"Detected several Tocsin applications in module {mod!r} ({', '.join(apps)})."
            f" Use '{mod}:name' to pick one, for example '{mod}:{apps[0]}'."
        )
    for name in _FACTORY_NAMES:
        factory = getattr(module, name, None)
        if inspect.isfunction(factory):
            _check_call(
                factory,
                (),
                {},
                f"Detected factory {name!r} in module {mod!r}, but could not call it without"
                f" arguments. Use '{mod}:{name}(args)' to pass arguments",
            )
            if isinstance(app := factory(), Tocsin):
                return app
            raise NoAppException(
                f"The factory {name!r} in module {mod!r} returned {type(app).__name__}"
                f" {app!r:.60}, not a Tocsin application. Make it return the app."
            )
    raise NoAppException(
        f"Failed to find a Tocsin application or factory in module {mod!r}: looked for an"
        f" attribute {' or '.join(map(repr, _APP_NAMES))}, for a Tocsin instance, and for a"
        f" factory {' or '.join(map(repr, _FACTORY_NAMES))}. Use '{mod}:name' to name one."
    )


def find_app_by_string(module: types.ModuleType, app_name: str) -> Tocsin:
    """Return the application that *app_name* names in *module*.

    :param app_name: an attribute holding an application, a function
        returning one (called without arguments), or a call such as
        ``create_app("dev", testing=True)``; arguments must be Python
        literals.
    :raises NoAppException: with what went wrong and how to fix it.
    """
    mod = module.__name__
    name, args, kwargs = _parse_app_name(app_name)
    try:
        attr = getattr(module, name)
    except AttributeError:
        raise NoAppException(_missing_attribute(module, name)) from None
    if inspect.isfunction(attr):
        _check_call(
            attr,
            args or (),
            kwargs,
            f"The factory {app_name!r} in module {mod!r} could not be called with the"
            " specified arguments",
        )
        app = attr(*(args or ()), **kwargs)
    elif args is not None:
        raise NoAppException(
            f"{name!r} in module {mod!r} is not a function (it is {type(attr).__name__}), so"
            f" it cannot be called as {app_name!r}. Use '{mod}:{name}' without parentheses."
        )
    else:
        app = attr
    if isinstance(app, Tocsin):
        return app
    raise NoAppException(
        f"A valid Tocsin application was not obtained from '{mod}:{app_name}' (got"
        f" {type(app).__name__} {app!r:.60}). Name a Tocsin instance, or a function that"
        " returns one."
    )


def _parse_app_name(app_name: str) -> tuple[str, tuple[t.Any, ...] | None, dict[str, t.Any]]:
    """Split ``name`` or ``name(args)`` into (name, args or None, kwargs)."""
    unparsable = NoAppException(
        f"Failed to parse {app_name!r} as an attribute name or function call. Use 'name'"
        " or 'factory(args)', for example 'create_app(\"dev\")'."
    )
    try:
        expr = ast.parse(app_name.strip(), mode="eval").body
    except SyntaxError:
        raise unparsable from None
    if isinstance(expr, ast.Name):
        return expr.id, None, {}
    if not (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name)):
        raise unparsable
    try:
        args = tuple(ast.literal_eval(arg) for arg in expr.args)
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in expr.keywords if kw.arg}
    except (ValueError, TypeError, SyntaxError):
        raise NoAppException(
            f"Failed to parse arguments as literal values: {app_name!r}. Only Python"
            " literals (strings, numbers, lists, dicts, True, None...) can be passed."
        ) from None
    if len(kwargs) != len(expr.keywords):
        raise NoAppException(f"Failed to parse arguments as literal values: {app_name!r}.")
    return expr.func.id, args, kwargs


def _check_call(
    factory: c.Callable[..., t.Any], args: tuple[t.Any, ...], kwargs: dict[str, t.Any], message: str
) -> None:
    """Raise :class:`NoAppException` if *factory* cannot take these arguments.

    Checked against the signature before the call, so that a ``TypeError``
    raised inside the factory is never mistaken for wrong arguments.
    """
    try:
        inspect.signature(factory).bind(*args, **kwargs)
    except TypeError as e:
        raise NoAppException(f"{message} ({e}).") from None


def _missing_attribute(module: types.ModuleType, name: str) -> str:
    mod = module.__name__
    known = [
        key
        for key, value in vars(module).items()
        if isinstance(value, Tocsin) or inspect.isfunction(value)
    ]
    close = difflib.get_close_matches(name, known, n=1)
    hint = (
        f" Did you mean {close[0]!r}?"
        if close
        else f" Use '{mod}:name' with the name of a Tocsin instance or factory in it."
    )
    return f"Failed to find attribute {name!r} in module {mod!r}.{hint}"


def _load_import_path(target: str) -> Tocsin:
    """Load the app an ``--app`` value names: a module or path, then ``:name``."""
    path, *rest = re.split(r":(?![\\/])", target, maxsplit=1)
    name = rest[0].strip() if rest and rest[0].strip() else None
    looks_like_path = path.endswith(".py") or "/" in path or os.sep in path
    if looks_like_path and not os.path.exists(path):
        raise NoAppException(
            f"Could not import {path!r}: there is no such file or folder (the current"
            f" directory is {os.getcwd()}). Check the path, or give a dotted module name."
        )
    return locate_app(prepare_import(path), name)


class ScriptInfo:
    """What the command line knows about the application, shared by its commands.

    Click passes one ScriptInfo to every command as its context object;
    :func:`pass_script_info` hands it to a command function.

    :param app_import_path: where the application is, as given to
        ``--app``. ``None`` falls back to ``TOCSIN_APP``, then ``FLASK_APP``,
        then ``wsgi.py`` or ``app.py`` in the current directory.
    :param create_app: a function returning the application; when given it
        wins over everything else.
    :param set_debug_flag: whether to set the loaded application's
        ``debug``: from ``--debug``/``--no-debug``, else from ``TOCSIN_DEBUG``
        (or ``FLASK_DEBUG``), else off, as Flask does: a ``DEBUG`` set in
        the app's code does not survive.
    :param load_dotenv_defaults: whether the command line loads the default
        dotenv files (``TOCSIN_SKIP_DOTENV`` or ``FLASK_SKIP_DOTENV`` can turn
        it off); ScriptInfo itself loads nothing.
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: c.Callable[..., Tocsin] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        #: Where the application is; set by ``--app``.
        self.app_import_path = app_import_path
        #: A function returning the application, tried first.
        self.create_app = create_app
        #: Whether :attr:`debug` is applied to the loaded application.
        self.set_debug_flag = set_debug_flag
        #: ``True`` or ``False`` when ``--debug``/``--no-debug`` was given, else ``None``.
        self.debug: bool | None = None
        #: Free space for commands and extensions to share data.
        self.data: dict[t.Any, t.Any] = {}
        #: Whether the default dotenv files are to be loaded, as the
        #: ``*_SKIP_DOTENV`` variables and *load_dotenv_defaults* say.
        self.load_dotenv_defaults = get_load_dotenv(load_dotenv_defaults)
        self._loaded_app: Tocsin | None = None

    def load_app(self) -> Tocsin:
        """Find, import and return the application; later calls return the same one.

        :raises NoAppException: when no application can be found or loaded;
            the message says what was tried and what to do.
        """
        if self._loaded_app is None:
            app = self._locate()
            if self.set_debug_flag:
                # --debug/--no-debug, else the environment's (off when unset).
                app.debug = self.debug if self.debug is not None else get_debug_flag()
            self._loaded_app = app
        return self._loaded_app

    def _locate(self) -> Tocsin:
        if self.create_app is not None:
            app = self.create_app()
            if not isinstance(app, Tocsin):
                raise NoAppException(
                    f"The create_app function given to ScriptInfo returned {app!r:.60},"
                    " not a Tocsin application."
                )
            return app
        target = self.app_import_path or os.environ.get("TOCSIN_APP") or os.environ.get("FLASK_APP")
        if target:
            return _load_import_path(target)
        for filename in _DEFAULT_FILES:
            if os.path.isfile(filename):
                return locate_app(prepare_import(filename), None)
        raise _NothingToLoad(
            "Could not locate a Tocsin application. Use the 'tocsin --app' option,"
            " 'TOCSIN_APP' or 'FLASK_APP' environment variable, or a 'wsgi.py' or"
            f" 'app.py' file in the current directory ({os.getcwd()})."
        )


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)
"""Pass the :class:`ScriptInfo` to the decorated command function as its first argument."""
