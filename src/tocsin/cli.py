"""The ``tocsin`` command line, built on click.

``tocsin --app hello:app COMMAND`` loads an application and runs one of the
built-in commands (``run``, ``routes``, ``shell``, ``signals``,
``explain``) or a command the application added with
``@app.cli.command()``. How the application is found, the commands and
their options follow Flask's ``flask`` command, so a ported project keeps
its habits: ``TOCSIN_APP`` names the app, and ``FLASK_APP`` still works.

Finding the application (:meth:`ScriptInfo.load_app`), first match wins:

1. the ``create_app`` function given to :class:`ScriptInfo` (what
   ``app.test_cli_runner()`` uses);
2. ``--app``, else ``TOCSIN_APP``, else ``FLASK_APP``: ``module``,
   ``module:name``, ``module:factory("arg")`` or ``path/to/file.py``, each
   optionally followed by ``:name``;
3. ``wsgi.py``, then ``app.py``, in the current directory.

In a module without a name (:func:`find_best_app`): an attribute ``app`` or
``application``, else the only :class:`~tocsin.app.Tocsin` instance, else a
``create_app`` or ``make_app`` factory called without arguments.

Where this differs from Flask: ``--debug`` is applied to the loaded app
instead of being written into the process environment; ``routes`` strips
trailing spaces from its table; ``signals`` and ``explain`` are new.
"""

from __future__ import annotations

import ast
import code
import collections.abc as c
import difflib
import functools
import importlib
import inspect
import os
import platform
import re
import sys
import textwrap
import traceback
import types
import typing as t
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version

import click
from werkzeug.serving import is_running_from_reloader, run_simple

from . import lifecycle
from . import signals as _sig
from ._async import is_async_callable
from .app import Tocsin
from .globals import _cv_app

if t.TYPE_CHECKING:
    from .typing import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "AppGroup",
    "FlaskGroup",
    "NoAppException",
    "ScriptInfo",
    "TocsinGroup",
    "cli",
    "explain_command",
    "find_app_by_string",
    "find_best_app",
    "locate_app",
    "main",
    "pass_script_info",
    "prepare_import",
    "routes_command",
    "run_command",
    "shell_command",
    "signals_command",
    "with_appcontext",
]

F = t.TypeVar("F", bound=c.Callable[..., t.Any])

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


# -- finding the application ---------------------------------------------------------


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


def locate_app(module_name: str, app_name: str | None) -> Tocsin:
    """Import *module_name* and return the application that *app_name* names in it.

    :param module_name: a dotted module name, importable from ``sys.path``.
    :param app_name: an attribute (``app``), a factory (``create_app``), a
        factory call with literal arguments (``create_app("dev")``), or
        ``None`` to search the module with :func:`find_best_app`.
    :raises NoAppException: the module cannot be imported, or does not
        give an application that way.

    An exception other than ``ImportError`` raised while importing the
    module propagates unchanged: it is a bug in the module, shown with its
    traceback.
    """
    module = _import_module(module_name)
    if app_name is None:
        return find_best_app(module)
    return find_app_by_string(module, app_name)


def _import_module(name: str) -> types.ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as e:
        missing = getattr(e, "name", None)
        if isinstance(e, ModuleNotFoundError) and missing and f"{name}.".startswith(f"{missing}."):
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
    :param set_debug_flag: whether ``--debug``/``--no-debug`` is applied to
        the loaded application.
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: c.Callable[..., Tocsin] | None = None,
        set_debug_flag: bool = True,
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
        self._loaded_app: Tocsin | None = None

    def load_app(self) -> Tocsin:
        """Find, import and return the application; later calls return the same one.

        :raises NoAppException: when no application can be found or loaded;
            the message says what was tried and what to do.
        """
        if self._loaded_app is None:
            app = self._locate()
            if self.set_debug_flag and self.debug is not None:
                app.debug = self.debug
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
            "Could not locate a Tocsin application. Use the 'tocsin --app' option, the"
            " 'TOCSIN_APP' environment variable, or a 'wsgi.py' or 'app.py' file in the"
            f" current directory ({os.getcwd()})."
        )


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)
"""Pass the :class:`ScriptInfo` to the decorated command function as its first argument."""


def with_appcontext(f: F) -> F:
    """Make a click command callback run inside the application context.

    The application comes from the :class:`ScriptInfo` context object and
    is loaded on first use; an application context that is already current
    is reused, else one is pushed for as long as the command runs (its
    teardown functions run when the command ends). Commands made with
    ``@app.cli.command()`` get this automatically.
    """

    @click.pass_context
    def wrapper(ctx: click.Context, /, *args: t.Any, **kwargs: t.Any) -> t.Any:
        if _cv_app.get(None) is None:
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(app.app_context())
        return ctx.invoke(f, *args, **kwargs)

    return t.cast(F, functools.update_wrapper(wrapper, f))


def _current_app() -> Tocsin:
    return _cv_app.get().app


class AppGroup(click.Group):
    """A click group whose commands run inside the application context.

    ``app.cli`` and ``blueprint.cli`` are AppGroups. :meth:`command` wraps
    each callback with :func:`with_appcontext` (pass
    ``with_appcontext=False`` to opt out) and :meth:`group` makes nested
    AppGroups.
    """

    def command(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        """Like :meth:`click.Group.command`; the command runs in the application context.

        :param with_appcontext: ``False`` to run the callback without one.

        Usable bare (``@app.cli.command``) or called (``@app.cli.command("name")``).
        """
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return self.command()(args[0])
        wrap = kwargs.pop("with_appcontext", True)

        def decorator(f: c.Callable[..., t.Any]) -> click.Command:
            if wrap:
                f = with_appcontext(f)
            command: click.Command = super(AppGroup, self).command(*args, **kwargs)(f)
            return command

        return decorator

    def group(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        """Like :meth:`click.Group.group`, but makes an :class:`AppGroup` by default."""
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return self.group()(args[0])
        kwargs.setdefault("cls", AppGroup)
        return super().group(*args, **kwargs)


# -- the tocsin group ------------------------------------------------------------------


def _set_app_import_path(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(ScriptInfo).app_import_path = value


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool | None) -> None:
    if value is not None:
        ctx.ensure_object(ScriptInfo).debug = value


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    lines = [f"Python {platform.python_version()}"]
    for dist in ("tocsin", "werkzeug"):
        try:
            lines.append(f"{dist.capitalize()} {_dist_version(dist)}")
        except PackageNotFoundError:
            lines.append(f"{dist.capitalize()} (version unknown)")
    click.echo("\n".join(lines), color=ctx.color)
    ctx.exit()


def _dotenv() -> t.Any:
    """The python-dotenv module, or ``None`` when it is not installed."""
    try:
        return importlib.import_module("dotenv")
    except ImportError:
        return None


def _load_env_files(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Load ``.tocsinenv``, ``.flaskenv``, ``.env`` and the ``--env-file`` into ``os.environ``.

    Later files win over earlier ones; variables already in the
    environment win over all of them. The default files are skipped when
    the group was made with ``load_dotenv=False``.
    """
    dotenv = _dotenv()
    if dotenv is None or ctx.resilient_parsing:
        return
    files = [name for name in (".tocsinenv", ".flaskenv", ".env") if os.path.isfile(name)]
    if not getattr(ctx.command, "load_dotenv", True):
        files = []
    values: dict[str, str | None] = {}
    for name in [*files, *([value] if value else [])]:
        values.update(dotenv.dotenv_values(name))
    for key, text in values.items():
        if text is not None:
            os.environ.setdefault(key, text)


def _group_options(add_version_option: bool) -> list[click.Parameter]:
    options: list[click.Parameter] = []
    if _dotenv() is not None:
        options.append(
            click.Option(
                ["-e", "--env-file"],
                type=click.Path(exists=True, dir_okay=False),
                is_eager=True,
                expose_value=False,
                callback=_load_env_files,
                help="Load environment variables from this file, taking precedence over those"
                " set by '.env' and '.tocsinenv'. Variables set directly in the environment take"
                " highest precedence.",
            )
        )
    options.append(
        click.Option(
            ["-A", "--app"],
            metavar="IMPORT",
            is_eager=True,
            expose_value=False,
            callback=_set_app_import_path,
            help="The Tocsin application or factory function to load, in the form"
            " 'module:name'. Module can be a dotted import or file path. Name is not required"
            " if it is 'app', 'application', 'create_app' or 'make_app', and can be"
            " 'name(args)' to pass arguments. Defaults to TOCSIN_APP, then FLASK_APP.",
        )
    )
    options.append(
        click.Option(
            ["--debug/--no-debug"],
            default=None,
            expose_value=False,
            callback=_set_debug,
            help="Set debug mode.",
        )
    )
    if add_version_option:
        options.append(
            click.Option(
                ["--version"],
                is_flag=True,
                is_eager=True,
                expose_value=False,
                callback=_show_version,
                help="Show the Tocsin version.",
            )
        )
    return options


class TocsinGroup(AppGroup):
    """The ``tocsin`` command: the built-in commands plus the application's own.

    Like Flask's ``FlaskGroup`` (also importable under that name). The
    options ``--app``, ``--debug/--no-debug`` and ``--version`` are added,
    and ``-e/--env-file`` when python-dotenv is installed. Options also
    read ``TOCSIN_``-prefixed environment variables (``TOCSIN_RUN_PORT``).

    :param add_default_commands: add ``run``, ``routes``, ``shell``,
        ``signals`` and ``explain``.
    :param create_app: a function returning the application; skips discovery.
    :param add_version_option: add ``--version``.
    :param load_dotenv: with python-dotenv installed, also load
        ``.tocsinenv``, ``.flaskenv`` and ``.env`` from the current directory.
    :param set_debug_flag: apply ``--debug``/``--no-debug`` to the application.

    Commands of the application are looked up after the built-in ones; if
    the application cannot be loaded, the error is printed and only the
    built-in commands are available.
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: c.Callable[..., Tocsin] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: t.Any,
    ) -> None:
        params = [*(extra.pop("params", None) or ()), *_group_options(add_version_option)]
        settings = dict(extra.pop("context_settings", None) or {})
        settings.setdefault("auto_envvar_prefix", "TOCSIN")
        super().__init__(params=params, context_settings=settings, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        if add_default_commands:
            for command in _BUILTIN_COMMANDS:
                self.add_command(command)

    def _app(self, ctx: click.Context) -> Tocsin:
        """Load the application and make its context current for this group's run."""
        app = ctx.ensure_object(ScriptInfo).load_app()
        current = _cv_app.get(None)
        if current is None or current.app is not app:
            ctx.with_resource(app.app_context())
        return app

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Return a built-in command, else the application's command called *cmd_name*."""
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        try:
            app = self._app(ctx)
        except NoAppException as e:
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
            return None
        found: click.Command | None = app.cli.get_command(ctx, cmd_name)
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Names of the built-in commands and the application's, sorted.

        A failure to load the application is printed to stderr, not raised,
        so that ``tocsin --help`` still works.
        """
        names = set(super().list_commands(ctx))
        try:
            names.update(ctx.ensure_object(ScriptInfo).load_app().cli.list_commands(ctx))
        except NoAppException as e:
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
        except Exception:
            click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
        return sorted(names)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        """Make click's context, with a fresh :class:`ScriptInfo` unless ``obj`` is given."""
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app, set_debug_flag=self.set_debug_flag
            )
        return super().make_context(info_name, args, parent=parent, **extra)


FlaskGroup = TocsinGroup
"""Flask's name for :class:`TocsinGroup`, for ported code."""


# -- tables ------------------------------------------------------------------------------


def _table(headers: c.Sequence[str], rows: c.Sequence[c.Sequence[str]]) -> list[str]:
    """Lines of a plain-text table: header, dashes, rows; columns two spaces apart."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: c.Sequence[str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    return [line(headers), line(["-" * width for width in widths]), *map(line, rows)]


def _names(func: t.Any) -> tuple[str, str]:
    """(qualified name, module) of a function, method, partial or callable object."""
    target, partial = func, False
    while isinstance(target, functools.partial):
        target, partial = target.func, True
    qualname = getattr(target, "__qualname__", None)
    if not isinstance(qualname, str):
        qualname = f"{type(target).__qualname__}()"
    module = getattr(target, "__module__", None) or type(target).__module__
    return (f"partial({qualname})" if partial else qualname), str(module)


def _describe(func: t.Any) -> str:
    """``module.qualname``, with `` (async)`` for an async function."""
    qualname, module = _names(func)
    return f"{module}.{qualname}" + (" (async)" if is_async_callable(func) else "")


# -- run ---------------------------------------------------------------------------------


def _app_for_server(info: ScriptInfo) -> WSGIApplication:
    """The application, or, in the reloader's child process, a stand-in that shows the error.

    So a typo saved while the server runs does not kill the reloader: the
    traceback is printed and every request raises it until the next reload.
    """
    try:
        return info.load_app()
    except Exception as e:
        if not is_running_from_reloader():
            raise
        traceback.print_exc()
        error = e

        def broken(environ: WSGIEnvironment, start_response: StartResponse) -> t.Any:
            raise error from None

        return broken


def _split_paths(value: str | None) -> list[str] | None:
    return [part for part in value.split(os.pathsep) if part] if value else None


@click.command("run", short_help="Run a development server.")
@click.option("--debug/--no-debug", default=None, help="Set debug mode.")
@click.option(
    "--host", "-h", default="127.0.0.1", show_default=True, help="The interface to bind to."
)
@click.option("--port", "-p", default=5000, show_default=True, help="The port to bind to.")
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Enable or disable the reloader. By default the reloader is active if debug is enabled.",
)
@click.option(
    "--debugger/--no-debugger",
    default=None,
    help="Enable or disable the debugger. By default the debugger is active if debug is enabled.",
)
@click.option(
    "--with-threads/--without-threads",
    default=True,
    show_default=True,
    help="Enable or disable multithreading.",
)
@click.option(
    "--extra-files",
    default=None,
    metavar="PATHS",
    help=f"Extra files that trigger a reload on change, separated by {os.pathsep!r}.",
)
@click.option(
    "--exclude-patterns",
    default=None,
    metavar="PATTERNS",
    help="Files matching these fnmatch patterns will not trigger a reload on"
    f" change, separated by {os.pathsep!r}.",
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    debug: bool | None,
    host: str,
    port: int,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    extra_files: str | None,
    exclude_patterns: str | None,
) -> None:
    """Run a local development server (Werkzeug's).

    This server is for development only. It does not provide the
    stability, security, or performance of production WSGI servers.

    The reloader and debugger are enabled by default with the '--debug'
    option. TOCSIN_RUN_HOST and TOCSIN_RUN_PORT set the defaults.
    """
    app = _app_for_server(info)
    if isinstance(app, Tocsin):
        if debug is not None:
            app.debug = debug
        debug = app.debug
    else:  # the reloader's stand-in: the parent process ran with the reloader
        debug = True
    if not is_running_from_reloader():
        name = app.name if isinstance(app, Tocsin) else "?"
        click.echo(f" * Serving Tocsin app {name!r}")
        click.echo(f" * Debug mode: {'on' if debug else 'off'}")
    run_simple(
        host,
        port,
        app,
        use_reloader=debug if reload is None else reload,
        use_debugger=debug if debugger is None else debugger,
        threaded=with_threads,
        extra_files=_split_paths(extra_files),
        exclude_patterns=_split_paths(exclude_patterns),
    )


# -- routes ------------------------------------------------------------------------------

_ROUTE_SORTS = ("endpoint", "methods", "domain", "rule", "match")


@click.command("routes", short_help="Show the routes for the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(_ROUTE_SORTS),
    default="endpoint",
    show_default=True,
    help="Column to sort by. 'match' keeps the order in which the rules were"
    " registered (the URL map's order).",
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS methods.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """Show all registered routes with their endpoints and methods.

    A Host (or Subdomain) column appears when a rule has one.
    """
    url_map = _current_app().url_map
    rules = list(url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    hidden = set() if all_methods else {"HEAD", "OPTIONS"}
    domains = [(rule.host if url_map.host_matching else rule.subdomain) or "" for rule in rules]
    rows = [
        (rule.endpoint, ", ".join(sorted((rule.methods or set()) - hidden)), domain, rule.rule)
        for rule, domain in zip(rules, domains, strict=True)
    ]
    if sort != "match":
        column = {"endpoint": 0, "methods": 1, "domain": 2, "rule": 3}[sort]
        rows.sort(key=lambda row: row[column])
    headers = ("Endpoint", "Methods", "Host" if url_map.host_matching else "Subdomain", "Rule")
    keep = [0, 1, 2, 3] if any(domains) else [0, 1, 3]
    table = _table([headers[i] for i in keep], [[row[i] for i in keep] for row in rows])
    click.echo("\n".join(table))


# -- shell -------------------------------------------------------------------------------


def _run_startup_file(namespace: dict[str, t.Any]) -> None:
    """Run the ``PYTHONSTARTUP`` file in *namespace*, as the plain interpreter does."""
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup, encoding="utf-8") as f:
            exec(compile(f.read(), startup, "exec"), namespace)


def _enable_completion(namespace: dict[str, t.Any]) -> None:
    """Set up readline history and tab completion of *namespace*, at a terminal only."""
    if not sys.stdin.isatty():
        return
    hook = getattr(sys, "__interactivehook__", None)
    if hook is not None:
        hook()
    try:
        import readline
        from rlcompleter import Completer
    except ImportError:
        return
    readline.set_completer(Completer(namespace).complete)


@click.command("shell", short_help="Run a shell in the app context.")
@with_appcontext
def shell_command() -> None:
    """Run an interactive Python shell in the context of the application.

    The names from app.make_shell_context() are defined: 'app', 'g' and
    those of the @app.shell_context_processor functions.
    """
    app = _current_app()
    banner = (
        f"Python {sys.version} on {sys.platform}\nApp: {app.name}\nInstance: {app.instance_path}"
    )
    namespace: dict[str, t.Any] = {}
    _run_startup_file(namespace)
    namespace.update(app.make_shell_context())
    _enable_completion(namespace)
    code.interact(banner=banner, local=namespace)


# -- signals -----------------------------------------------------------------------------


def _signal_rows(name: str, where: str, signal: _sig.Signal, app: Tocsin) -> list[list[str]]:
    """One table row per receiver *signal* calls when *app* sends it, in call order."""
    for_any = list(signal.receivers_for(_sig.ANY))
    rows = []
    for position, receiver in enumerate(signal.receivers_for(app), 1):
        qualname, module = _names(receiver)
        rows.append(
            [
                name,
                where,
                str(position),
                qualname,
                module,
                "async" if is_async_callable(receiver) else "sync",
                "any" if receiver in for_any else "app",
            ]
        )
    return rows or [[name, where, "-", "(none)"]]


@click.command("signals", short_help="Show the signals and their receivers.")
@with_appcontext
def signals_command() -> None:
    """Show every signal with the receivers it calls for this app, in call order.

    The built-in signals come first (with any signal added to their
    namespace), then those of tocsin.signals.default_namespace. Receivers
    are called by priority (higher first), then in connection order.
    'Sender' says whether a receiver was connected for any sender or for
    this app only.
    """
    app = _current_app()
    rows: list[list[str]] = []
    for where, namespace in (("built-in", _sig._signals), ("default", _sig.default_namespace)):
        for name, signal in list(namespace.items()):
            rows.extend(_signal_rows(name, where, signal, app))
    headers = ("Signal", "Namespace", "#", "Receiver", "Module", "Call", "Sender")
    width = len(headers)
    click.echo("\n".join(_table(headers, [row + [""] * (width - len(row)) for row in rows])))


# -- explain -----------------------------------------------------------------------------

#: Where each hook of the lifecycle table keeps its functions, by scope
#: (``None`` for the app, else a blueprint's name).
_REGISTRIES: dict[str, c.Callable[[Tocsin], c.Mapping[str | None, c.Sequence[t.Any]]]] = {
    "before_first_request": lambda app: {None: app.before_first_request_funcs},
    "url_value_preprocessor": lambda app: app.url_value_preprocessors,
    "before_request": lambda app: app.before_request_funcs,
    "after_request": lambda app: app.after_request_funcs,
    "teardown_request": lambda app: app.teardown_request_funcs,
    "teardown_appcontext": lambda app: {None: app.teardown_appcontext_funcs},
}


def _scope_label(scope: str | None) -> str:
    return "app" if scope is None else f"blueprint {scope}"


def _hook_lines(app: Tocsin, hook: str) -> list[str]:
    """The functions registered for *hook*, one line each, in call order."""
    if hook == "view":
        return [f"{len(app.view_functions)} view functions (see 'tocsin routes')"]
    if hook == "after_this_request":
        return ["(added during a request by after_this_request())"]
    if hook == "errorhandler":
        return _error_handler_lines(app)
    registry = _REGISTRIES[hook](app)
    scopes = [scope for scope, funcs in registry.items() if scope is not None and funcs]
    reverse = lifecycle.runs_reversed(hook)
    ordered = [*reversed(scopes), None] if reverse else [None, *scopes]
    funcs = {scope: list(registry.get(scope, ())) for scope in ordered}
    return [
        f"{_scope_label(scope)}: {_describe(f)}"
        for scope in ordered
        for f in (reversed(funcs[scope]) if reverse else funcs[scope])
    ]


def _error_handler_lines(app: Tocsin) -> list[str]:
    """Error handlers, blueprints first (they are tried before the app's)."""
    spec = app.error_handler_spec
    scopes = [*(scope for scope in spec if scope is not None), None]
    return [
        f"{_scope_label(scope)}: {code or exc_class.__name__} -> {_describe(handler)}"
        for scope in scopes
        for code, handlers in list(spec.get(scope, {}).items())
        for exc_class, handler in handlers.items()
    ]


def _step_details(step: lifecycle.Step, app: Tocsin | None, verbose: bool) -> list[str]:
    """Indented lines under a step: its summary, then the app's functions and receivers."""
    lines = [step.summary] if verbose else []
    if app is not None:
        for hook in step.hooks:
            lines.extend(_hook_lines(app, hook) or [f"{hook}: (none registered)"])
        if step.signal is not None:
            signal: _sig.Signal = getattr(_sig, step.signal)
            lines.extend(f"receiver: {_describe(r)}" for r in signal.receivers_for(app))
    return [f"      {line}" for line in lines]


def _optional_app(info: ScriptInfo) -> Tocsin | None:
    """The application, or ``None`` when none was named and none is in the current directory."""
    try:
        return info.load_app()
    except _NothingToLoad:
        return None


@click.command("explain", short_help="Show the request lifecycle and the app's hooks.")
@click.option("--verbose", "-v", is_flag=True, help="Also say what happens in each step.")
@pass_script_info
def explain_command(info: ScriptInfo, verbose: bool) -> None:
    """Show the nineteen steps of a request, from tocsin.lifecycle.STEPS.

    With an application (--app, TOCSIN_APP, or app.py in the current
    directory), also list under each step the functions registered for its
    hooks and the receivers of its signal, in the order they are called.
    Works without an application too.
    """
    app = _optional_app(info)
    rows = [
        [str(s.number), s.name, ", ".join(s.hooks) or "-", s.signal or "-"] for s in lifecycle.STEPS
    ]
    table = _table(("#", "Step", "Hooks", "Signal"), rows)
    out = table[:2]
    for step, line in zip(lifecycle.STEPS, table[2:], strict=True):
        out.append(line)
        out.extend(_step_details(step, app, verbose))
    out.append("")
    out.append("Error path:")
    out.append(textwrap.fill(lifecycle.ERROR_PATH, 79, initial_indent="  ", subsequent_indent="  "))
    click.echo("\n".join(out))


_BUILTIN_COMMANDS: tuple[click.Command, ...] = (
    run_command,
    routes_command,
    shell_command,
    signals_command,
    explain_command,
)
"""The commands every :class:`TocsinGroup` gets unless ``add_default_commands=False``."""

cli = TocsinGroup(
    name="tocsin",
    help="""\
A general utility script for Tocsin applications.

An application to load must be given with the '--app' option, the
'TOCSIN_APP' (or 'FLASK_APP') environment variable, or with a 'wsgi.py'
or 'app.py' file in the current directory.
""",
)
"""The ``tocsin`` command."""


def main() -> None:
    """Run the ``tocsin`` command (also ``python -m tocsin``)."""
    cli.main()


if __name__ == "__main__":  # python -m tocsin.cli: use the imported module, not a copy
    from tocsin.cli import main as _main

    _main()
