"""``tocsin signals``: every signal of every namespace, and the receivers they call for the app."""

from __future__ import annotations

import click

from .. import signals as _sig
from .._async import is_async_callable
from ..app import Tocsin
from ._appgroup import _current_app, with_appcontext
from ._tables import _names, _table


def _signal_rows(name: str, where: str, signal: _sig.Signal, app: Tocsin) -> list[list[str]]:
    """One table row per receiver *signal* calls when *app* sends it, in call order."""
    rows = []
    for position, (receiver, priority, for_any) in enumerate(_sig.connections(signal, app), 1):
        qualname, module = _names(receiver)
        rows.append(
            [
                name,
                where,
                str(position),
                str(priority),
                qualname,
                module,
                "async" if is_async_callable(receiver) else "sync",
                "any" if for_any else "app",
            ]
        )
    return rows or [[name, where, "-", "-", "(none)"]]


@click.command("signals", short_help="Show the signals and their receivers.")
@with_appcontext
def signals_command() -> None:
    """Show every signal with the receivers it calls for this app, in call order.

    The built-in signals come first (with any signal added to their
    namespace), then those of tocsin.signals.default_namespace (made with
    tocsin.signals.signal()), then those of every other Namespace() in the
    order they were made, each named after the module global that holds it.
    Receivers are called by priority (higher first), then in connection
    order. 'Sender' says whether a receiver was connected for any sender or
    for this app only.
    """
    app = _current_app()
    rows: list[list[str]] = []
    for where, namespace in _sig.labelled_namespaces():
        for name, signal in list(namespace.items()):
            rows.extend(_signal_rows(name, where, signal, app))
    headers = ("Signal", "Namespace", "#", "Priority", "Receiver", "Module", "Call", "Sender")
    width = len(headers)
    click.echo("\n".join(_table(headers, [row + [""] * (width - len(row)) for row in rows])))
