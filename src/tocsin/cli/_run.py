"""``tocsin run``: the development server."""

from __future__ import annotations

import importlib
import os
import traceback
import typing as t

import click
from werkzeug.serving import is_running_from_reloader
from werkzeug.utils import import_string

from ..app import Tocsin
from ._discovery import ScriptInfo, pass_script_info, with_flask_envvars

if t.TYPE_CHECKING:
    import ssl

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


if t.TYPE_CHECKING:
    _ParamType: t.TypeAlias = click.ParamType[t.Any]  # generic from click 8.5 on
else:
    _ParamType = click.ParamType


class CertParamType(_ParamType):
    """The type of ``run --cert``: a certificate file, ``adhoc``, or an SSL context's import path.

    A file is made absolute; ``adhoc`` (in any case) needs the cryptography
    library, which Werkzeug uses to make the certificate; an import path
    such as ``mymodule.ssl_context`` must name an :class:`ssl.SSLContext`.
    """

    name = "path"

    def __init__(self) -> None:
        self.path_type = click.Path(exists=True, dir_okay=False, resolve_path=True)

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        """Return the file's absolute path, ``"adhoc"``, or the SSL context object."""
        try:
            import ssl
        except ImportError:
            self.fail('Using "--cert" requires Python to be compiled with SSL support.', param, ctx)
        try:
            return self.path_type.convert(value, param, ctx)
        except click.BadParameter:
            text = click.STRING.convert(value, param, ctx)
            if text.lower() == "adhoc":
                try:
                    importlib.import_module("cryptography")  # Werkzeug makes it with that
                except ImportError:
                    self.fail(
                        "Using ad-hoc certificates requires the cryptography library.", param, ctx
                    )
                return "adhoc"
            if _is_import_path(text):
                found = import_string(text, silent=True)
                if isinstance(found, ssl.SSLContext):
                    return found
            raise


def _is_import_path(text: str) -> bool:
    """Whether *text* looks like ``module.name`` or ``module:name`` (what import_string takes)."""
    return all(part.isidentifier() for part in text.replace(":", ".").split("."))


def _validate_key(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The ``run --key`` callback: check it against ``--cert`` and pair them.

    ``--key`` is required with a certificate file, refused with ``adhoc``
    or an SSL context, and needs ``--cert``; with a file, ``cert`` becomes
    the ``(cert, key)`` pair that :func:`~werkzeug.serving.run_simple` takes.
    """
    cert = ctx.params.get("cert")
    adhoc = cert == "adhoc"
    try:
        import ssl
    except ImportError:
        context = False
    else:
        context = isinstance(cert, ssl.SSLContext)
    if value is not None:
        if adhoc:
            raise click.BadParameter('When "--cert" is "adhoc", "--key" is not used.', ctx, param)
        if context:
            raise click.BadParameter(
                'When "--cert" is an SSLContext object, "--key" is not used.', ctx, param
            )
        if not cert:
            raise click.BadParameter('"--cert" must also be specified.', ctx, param)
        ctx.params["cert"] = (cert, value)
    elif cert and not (adhoc or context):
        raise click.BadParameter('Required when using "--cert".', ctx, param)
    return value


class SeparatedPathType(click.Path):
    """A :class:`click.Path` type taking several paths separated by ``os.pathsep``.

    The value becomes a list, each item checked as the path type says;
    empty items are kept, as Flask keeps them.
    """

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        """Split *value* on ``os.pathsep`` and convert each item."""
        convert = super().convert
        return [convert(item, param, ctx) for item in self.split_envvar_value(value)]


def show_server_banner(app_name: str | None, debug: bool) -> None:
    """Say which app is served and whether in debug mode (not again in the reloader's child).

    :param app_name: the app's name (``app.run()``) or import path (``run``);
        ``None`` leaves the first line out, as when ``run`` found the app in
        ``wsgi.py`` or ``app.py``.
    """
    if not is_running_from_reloader():
        if app_name is not None:
            click.echo(f" * Serving Tocsin app {app_name!r}")
        click.echo(f" * Debug mode: {'on' if debug else 'off'}")


@with_flask_envvars
@click.command("run", short_help="Run a development server.")
@click.option("--debug/--no-debug", default=None, help="Set debug mode.")
@click.option(
    "--host", "-h", default="127.0.0.1", show_default=True, help="The interface to bind to."
)
@click.option("--port", "-p", default=5000, show_default=True, help="The port to bind to.")
@click.option(
    "--cert",
    type=CertParamType(),
    is_eager=True,
    help="Serve HTTPS with this certificate file, 'adhoc' for a generated one, or the import"
    " path of an ssl.SSLContext.",
)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    callback=_validate_key,
    expose_value=False,
    help="The key file of the '--cert' certificate file.",
)
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
    type=SeparatedPathType(),
    help=f"Extra files that trigger a reload on change, separated by {os.pathsep!r}.",
)
@click.option(
    "--exclude-patterns",
    default=None,
    type=SeparatedPathType(),
    help="Files matching these fnmatch patterns will not trigger a reload on"
    f" change, separated by {os.pathsep!r}.",
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    debug: bool | None,
    host: str,
    port: int,
    cert: ssl.SSLContext | tuple[str, str] | t.Literal["adhoc"] | None,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    """Run a local development server (Werkzeug's).

    This server is for development only. It does not provide the
    stability, security, or performance of production WSGI servers.

    The reloader and debugger are enabled by default with the '--debug'
    option. TOCSIN_RUN_HOST and TOCSIN_RUN_PORT (or FLASK_RUN_HOST and
    FLASK_RUN_PORT) set the defaults.
    """
    app = _app_for_server(info)
    if isinstance(app, Tocsin):
        if debug is not None:
            app.debug = debug
        debug = app.debug
    else:  # the reloader's stand-in: the parent process ran with the reloader
        debug = True
    show_server_banner(info.app_import_path, debug)
    from . import run_simple  # looked up on tocsin.cli, so that patching it there works

    run_simple(
        host,
        port,
        app,
        use_reloader=debug if reload is None else reload,
        use_debugger=debug if debugger is None else debugger,
        threaded=with_threads,
        extra_files=extra_files,
        exclude_patterns=exclude_patterns,
        ssl_context=cert,
    )
