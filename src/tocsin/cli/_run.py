"""``tocsin run``: the development server."""

from __future__ import annotations

import importlib.util
import os
import traceback
import typing as t

import click
from werkzeug.serving import is_running_from_reloader

from ..app import Tocsin
from ._discovery import ScriptInfo, pass_script_info, with_flask_envvars

if t.TYPE_CHECKING:
    from ..typing import StartResponse, WSGIApplication, WSGIEnvironment


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


def _ssl_context(cert: str | None, key: str | None) -> t.Any:
    """What ``run_simple`` takes as ``ssl_context`` for ``--cert`` and ``--key``."""
    if cert is None:
        if key is not None:
            raise click.BadParameter('"--cert" must also be given.', param_hint="'--key'")
        return None
    if cert == "adhoc":
        if key is not None:
            raise click.BadParameter(
                'With "--cert adhoc", "--key" is not used.', param_hint="'--key'"
            )
        if importlib.util.find_spec("cryptography") is None:  # Werkzeug makes it with that
            raise click.BadParameter(
                "Ad-hoc certificates need the cryptography library: pip install cryptography",
                param_hint="'--cert'",
            )
        return "adhoc"
    if not os.path.isfile(cert):
        raise click.BadParameter(f"No certificate file {cert!r}.", param_hint="'--cert'")
    if key is None:
        raise click.BadParameter('"--key" is needed with a certificate file.', param_hint="'--key'")
    return (cert, key)


def show_server_banner(app_name: str, debug: bool) -> None:
    """Say which app is served and whether in debug mode (not again in the reloader's child)."""
    if not is_running_from_reloader():
        click.echo(f" * Serving Tocsin app {app_name!r}")
        click.echo(f" * Debug mode: {'on' if debug else 'off'}")


def _split_paths(value: str | None) -> list[str] | None:
    return [part for part in value.split(os.pathsep) if part] if value else None


@with_flask_envvars
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
@click.option(
    "--cert",
    default=None,
    help="Serve HTTPS with this certificate file, or 'adhoc' for a generated one.",
)
@click.option(
    "--key",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="The key file of the '--cert' certificate.",
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
    cert: str | None,
    key: str | None,
) -> None:
    """Run a local development server (Werkzeug's).

    This server is for development only. It does not provide the
    stability, security, or performance of production WSGI servers.

    The reloader and debugger are enabled by default with the '--debug'
    option. TOCSIN_RUN_HOST and TOCSIN_RUN_PORT (or FLASK_RUN_HOST and
    FLASK_RUN_PORT) set the defaults.
    """
    ssl_context = _ssl_context(cert, key)
    app = _app_for_server(info)
    if isinstance(app, Tocsin):
        if debug is not None:
            app.debug = debug
        debug = app.debug
    else:  # the reloader's stand-in: the parent process ran with the reloader
        debug = True
    show_server_banner(app.name if isinstance(app, Tocsin) else "?", debug)
    from . import run_simple  # looked up on tocsin.cli, so that patching it there works

    run_simple(
        host,
        port,
        app,
        use_reloader=debug if reload is None else reload,
        use_debugger=debug if debugger is None else debugger,
        threaded=with_threads,
        extra_files=_split_paths(extra_files),
        exclude_patterns=_split_paths(exclude_patterns),
        ssl_context=ssl_context,
    )
