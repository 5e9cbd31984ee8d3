"""``tocsin signals``: every signal of every namespace, and the receivers they call for the app."""

from __future__ import annotations

import sys

import click

from .. import signals as _sig
from .._async import is_async_callable
from ..app import Tocsin
from ..signals._namespace import namespaces
from ._appgroup import _current_app, with_appcontext
from ._tables import _names, _table


def _signal_rows(name: str, where: str, signal: _sig.Signal, app: Tocsin) -> list[list[str]]:
    """One table row per receiver *signal* calls when *app* sends it, in call order."""
    rows = []
    for position, (receiver, priority, for_any) in enumerate(signal._connections(app), 1):
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


def _labelled_namespaces() -> list[tuple[str, _sig.Namespace]]:
    """Every live namespace with a label: built-in, default, then the others as created.

    Another namespace is named after a module global that holds it
    (``notes.events.events``), else ``namespace N`` (its place among the
    unnamed ones).
    """
    fixed = {id(_sig._signals): "built-in", id(_sig.default_namespace): "default"}
    holders = _module_globals({id(ns) for ns in namespaces()} - set(fixed))
    labelled = [("built-in", _sig._signals), ("default", _sig.default_namespace)]
    unnamed = 0
    for ns in namespaces():
        if id(ns) in fixed:
            continue
        label = holders.get(id(ns))
        if label is None:
            unnamed += 1
            label = f"namespace {unnamed}"
        labelled.append((label, ns))
    return labelled


def _module_globals(wanted: set[int]) -> dict[int, str]:
    """``module.name`` of a module global that is each object of id in *wanted*.

    Modules are searched in name order, so the label does not depend on
    import order; the first name found wins.
    """
    found: dict[int, str] = {}
    for module_name in sorted(name for name in list(sys.modules) if isinstance(name, str)):
        module = sys.modules.get(module_name)
        try:
            items = list(vars(module).items())
        except TypeError:  # (None, or an object without __dict__)
            continue
        for attr, value in items:
            if id(value) in wanted and id(value) not in found and isinstance(value, dict):
                found[id(value)] = f"{module_name}.{attr}"
    return found


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
    for where, namespace in _labelled_namespaces():
        for name, signal in list(namespace.items()):
            rows.extend(_signal_rows(name, where, signal, app))
    headers = ("Signal", "Namespace", "#", "Priority", "Receiver", "Module", "Call", "Sender")
    width = len(headers)
    click.echo("\n".join(_table(headers, [row + [""] * (width - len(row)) for row in rows])))
