"""``tocsin shell``: an interactive Python shell in the application context."""

from __future__ import annotations

import code
import os
import sys
import typing as t

import click

from ._appgroup import _current_app, with_appcontext


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
