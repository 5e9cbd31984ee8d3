"""The ``tocsin`` command: :class:`TocsinGroup`, its options, and :func:`main`."""

from __future__ import annotations

import collections.abc as c
import os
import platform
import sys
import traceback
import typing as t
from importlib.metadata import entry_points
from importlib.metadata import version as _dist_version

import click

from .. import FLASK_API_VERSION, __version__
from ..app import Tocsin
from ..globals import _cv_app
from ._appgroup import AppGroup
from ._discovery import NoAppException, ScriptInfo
from ._explain import explain_command
from ._routes import routes_command
from ._run import run_command
from ._shell import shell_command
from ._signals import signals_command
from ._trace import trace_command


def _set_app_import_path(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(ScriptInfo).app_import_path = value


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool | None) -> None:
    if value is not None:
        ctx.ensure_object(ScriptInfo).debug = value


#: The default dotenv files, lowest precedence first: Flask's own, Tocsin's, then ``.env``.
_DOTENV_FILES = (".flaskenv", ".tocsinenv", ".env")


def get_version(ctx: click.Context, param: click.Parameter, value: t.Any) -> None:
    """The ``--version`` callback: print the versions, then exit.

    Python's, Tocsin's, the Flask API's that Tocsin implements and
    Werkzeug's, one a line (Flask's lines, with Tocsin's added). Does
    nothing unless *value* is true.
    """
    if not value or ctx.resilient_parsing:
        return
    click.echo(
        f"Python {platform.python_version()}\n"
        f"Tocsin {__version__}\n"
        f"Flask {FLASK_API_VERSION}\n"
        f"Werkzeug {_dist_version('werkzeug')}",
        color=ctx.color,
    )
    ctx.exit()


version_option = click.Option(
    ["--version"],
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=get_version,
    help="Show the Tocsin version.",
)
"""The ``--version`` option of :class:`TocsinGroup` (``add_version_option``)."""


def load_dotenv(path: str | os.PathLike[str] | None = None, load_defaults: bool = True) -> bool:
    """Set environment variables from the dotenv files, as Flask 3.1 does.

    :param path: a file loaded last, so its values win over the default
        files'; ignored when it is not a file.
    :param load_defaults: also load ``.flaskenv``, ``.tocsinenv`` and
        ``.env`` (in that order, each later one winning), each the nearest
        one found from the current directory upwards.
    :return: whether the files held at least one variable, even one that
        was not set because the environment already has it.

    A variable already in the environment keeps its value. The current
    directory is not changed. Without python-dotenv nothing is loaded and
    the result is ``False``; if *path* is given or a default file is in
    the current directory, a tip to install it is printed to stderr.
    """
    dotenv = _dotenv()
    if dotenv is None:
        if path or any(os.path.isfile(name) for name in _DOTENV_FILES):
            click.secho(
                " * Tip: There are .env files present. Install python-dotenv to use them.",
                fg="yellow",
                err=True,
            )
        return False
    files = [dotenv.find_dotenv(name, usecwd=True) for name in _DOTENV_FILES if load_defaults]
    if path is not None and os.path.isfile(path):
        files.append(os.fspath(path))
    values: dict[str, str | None] = {}
    for file in filter(None, files):
        values.update(dotenv.dotenv_values(file, encoding="utf-8"))
    for key, value in values.items():
        if value is not None:
            os.environ.setdefault(key, value)
    return bool(values)


def _dotenv() -> t.Any:
    """The python-dotenv module, or ``None`` when it is not installed."""
    try:
        import dotenv
    except ImportError:
        return None
    return dotenv


def _load_env_files(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """The ``--env-file`` callback: load the default files and *value* (see :func:`load_dotenv`).

    The default files are skipped when :attr:`ScriptInfo.load_dotenv_defaults`
    is false (the group was made with ``load_dotenv=False``, or
    ``TOCSIN_SKIP_DOTENV``/``FLASK_SKIP_DOTENV`` says so).
    """
    if value is not None and _dotenv() is None:
        raise click.BadParameter(
            "python-dotenv must be installed to load an env file.", ctx=ctx, param=param
        )
    defaults = ctx.ensure_object(ScriptInfo).load_dotenv_defaults
    if value is not None or defaults:
        load_dotenv(value, load_defaults=defaults)


env_file_option = click.Option(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False),
    is_eager=True,
    expose_value=False,
    callback=_load_env_files,
    help="Load environment variables from this file, taking precedence over those set by"
    " '.env', '.tocsinenv' and '.flaskenv'. Variables set directly in the environment take"
    " highest precedence. python-dotenv must be installed.",
)
"""The ``-e/--env-file`` option of :class:`TocsinGroup`; it also loads the default files."""


def _group_options(add_version_option: bool) -> list[click.Parameter]:
    """The options of :class:`TocsinGroup`, in Flask's order (``--env-file`` first)."""
    options: list[click.Parameter] = [
        env_file_option,
        click.Option(
            ["-A", "--app"],
            metavar="IMPORT",
            envvar=["TOCSIN_APP", "FLASK_APP"],
            is_eager=True,
            expose_value=False,
            callback=_set_app_import_path,
            help="The Tocsin application or factory function to load, in the form"
            " 'module:name'. Module can be a dotted import or file path. Name is not required"
            " if it is 'app', 'application', 'create_app' or 'make_app', and can be"
            " 'name(args)' to pass arguments. Defaults to TOCSIN_APP, then FLASK_APP.",
        ),
        click.Option(
            ["--debug/--no-debug"],
            default=None,
            expose_value=False,
            callback=_set_debug,
            help="Set debug mode.",
        ),
    ]
    if add_version_option:
        options.append(version_option)
    return options


class TocsinGroup(AppGroup):
    """The ``tocsin`` command: the built-in commands plus the application's own.

    Like Flask's ``FlaskGroup`` (also importable under that name). The
    options ``-e/--env-file``, ``--app``, ``--debug/--no-debug`` and
    ``--version`` are added. Options also read ``TOCSIN_``-prefixed
    environment variables (``TOCSIN_RUN_PORT``).

    :param add_default_commands: add ``run``, ``routes``, ``shell``,
        ``signals``, ``explain`` and ``trace``.
    :param create_app: a function returning the application; skips discovery.
    :param add_version_option: add ``--version``.
    :param load_dotenv: load the nearest ``.flaskenv``, ``.tocsinenv`` and
        ``.env`` files (see :func:`load_dotenv`) before the command runs.
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
        self._plugins_loaded = False
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

    def _load_plugin_commands(self) -> None:
        """Add the commands installed packages declare, once.

        Those of the ``tocsin.commands`` entry-point group, and, as Flask's
        ``flask`` command does, those of ``flask.commands`` (Flask-Limiter's
        ``limiter``) when ``flask`` resolves to Tocsin
        in this process (``import tocsin.as_flask``, which the app's module
        runs): they are written against ``flask``, and would otherwise bring
        the real Flask in beside Tocsin. A command of the group's own wins
        over a plugin's of the same name.
        """
        if self._plugins_loaded:
            return
        groups = ["tocsin.commands"]
        as_flask = sys.modules.get("tocsin.as_flask")  # (importing it would install it)
        if as_flask is not None and as_flask.installed():
            groups.append("flask.commands")
        self._plugins_loaded = True
        for group in groups:
            for entry_point in entry_points(group=group):
                if entry_point.name not in self.commands:
                    self.add_command(entry_point.load(), entry_point.name)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Return a built-in command, else a plugin's, else the application's *cmd_name*.

        The application is loaded before the plugins, so that its module's
        ``import tocsin.as_flask`` comes first.
        """
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        try:
            app: Tocsin | None = self._app(ctx)
        except NoAppException as e:
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
            app = None
        self._load_plugin_commands()
        command = super().get_command(ctx, cmd_name)
        if command is not None or app is None:
            return command
        found: click.Command | None = app.cli.get_command(ctx, cmd_name)
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Names of the built-in, plugin and application commands, sorted.

        A failure to load the application is printed to stderr, not raised,
        so that ``tocsin --help`` still works.
        """
        app_names: list[str] = []
        try:
            app_names = ctx.ensure_object(ScriptInfo).load_app().cli.list_commands(ctx)
        except NoAppException as e:
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
        except Exception:
            click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
        self._load_plugin_commands()
        return sorted({*super().list_commands(ctx), *app_names})

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        """Make click's context, with a fresh :class:`ScriptInfo` unless ``obj`` is given.

        Also sets ``TOCSIN_RUN_FROM_CLI=true`` (and Flask's ``FLASK_RUN_FROM_CLI``)
        in the environment, so that an ``app.run()`` call outside an
        ``if __name__ == "__main__"`` guard in the loaded module returns at
        once instead of blocking the command.
        """
        os.environ["TOCSIN_RUN_FROM_CLI"] = os.environ["FLASK_RUN_FROM_CLI"] = "true"
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        return super().make_context(info_name, args, parent=parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse *args*; before showing the help, load the env files.

        With no arguments or only ``--help``, click prints the help before any
        option callback runs; the env files are loaded first so that an app
        they name (``TOCSIN_APP`` in ``.flaskenv``) lists its commands there.
        """
        if (not args and self.no_args_is_help) or (
            len(args) == 1 and args[0] in self.get_help_option_names(ctx)
        ):
            env_file_option.handle_parse_result(ctx, {}, [])
        return super().parse_args(ctx, args)


FlaskGroup = TocsinGroup
"""Flask's name for :class:`TocsinGroup`, for ported code."""


_BUILTIN_COMMANDS: tuple[click.Command, ...] = (
    run_command,
    routes_command,
    shell_command,
    signals_command,
    explain_command,
    trace_command,
)
"""The commands every :class:`TocsinGroup` gets unless ``add_default_commands=False``."""

cli = TocsinGroup(
    name="tocsin",
    help="""\
A general utility script for Tocsin applications.

An application to load must be given with the '--app' option,
'TOCSIN_APP' or 'FLASK_APP' environment variable, or with a 'wsgi.py'
or 'app.py' file in the current directory.
""",
)
"""The ``tocsin`` command."""


def main() -> None:
    """Run the ``tocsin`` command (also ``python -m tocsin``)."""
    cli.main()
