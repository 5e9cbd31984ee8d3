"""The ``tocsin`` command: :class:`TocsinGroup`, its options, and :func:`main`."""

from __future__ import annotations

import collections.abc as c
import importlib
import os
import platform
import traceback
import typing as t
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version

import click

from ..app import Tocsin
from ..globals import _cv_app
from ..helpers import get_load_dotenv
from ._appgroup import AppGroup
from ._discovery import NoAppException, ScriptInfo
from ._explain import explain_command
from ._routes import routes_command
from ._run import run_command
from ._shell import shell_command
from ._signals import signals_command


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


def load_dotenv(path: str | os.PathLike[str] | None = None, load_defaults: bool = True) -> bool:
    """Set environment variables from ``.tocsinenv``, ``.flaskenv``, ``.env`` and *path*.

    The default files are those of the current directory (skipped when
    *load_defaults* is false). Later files win over earlier ones; variables
    already in the environment win over all of them. Does nothing when
    python-dotenv is not installed.

    :return: whether a variable was set.
    """
    dotenv = _dotenv()
    if dotenv is None:
        return False
    names = [".tocsinenv", ".flaskenv", ".env"] if load_defaults else []
    files = [name for name in names if os.path.isfile(name)]
    if path is not None and os.path.isfile(path):
        files.append(os.fspath(path))
    values: dict[str, str | None] = {}
    for name in files:
        values.update(dotenv.dotenv_values(name))
    loaded = False
    for key, text in values.items():
        if text is not None and key not in os.environ:
            os.environ[key] = text
            loaded = True
    return loaded


def _load_env_files(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Load the default env files and the ``--env-file`` (see :func:`load_dotenv`).

    The default files are skipped when the group was made with
    ``load_dotenv=False`` or ``TOCSIN_SKIP_DOTENV`` (or ``FLASK_SKIP_DOTENV``) says so.
    """
    if ctx.resilient_parsing:
        return
    load_dotenv(value, load_defaults=get_load_dotenv(getattr(ctx.command, "load_dotenv", True)))


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
        """Make click's context, with a fresh :class:`ScriptInfo` unless ``obj`` is given.

        Also sets ``TOCSIN_RUN_FROM_CLI=true`` in the environment, so that an
        ``app.run()`` call outside an ``if __name__ == "__main__"`` guard in the
        loaded module returns at once instead of blocking the command.
        """
        os.environ["TOCSIN_RUN_FROM_CLI"] = "true"
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app, set_debug_flag=self.set_debug_flag
            )
        return super().make_context(info_name, args, parent=parent, **extra)


FlaskGroup = TocsinGroup
"""Flask's name for :class:`TocsinGroup`, for ported code."""


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
