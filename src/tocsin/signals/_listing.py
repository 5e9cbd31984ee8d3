"""Listings for tools: every namespace with a label, and the receivers a signal calls.

``tocsin signals`` and the developer page (:mod:`tocsin.devtools`) show the
same thing; both read it from here. Nothing here is used by sends.
"""

from __future__ import annotations

import sys
import typing as t

from ._builtin import _signals
from ._namespace import Namespace, default_namespace, namespaces
from ._receivers import Receiver

if t.TYPE_CHECKING:
    from ._signal import Signal

__all__ = ["Connection", "connections", "labelled_namespaces"]


class Connection(t.NamedTuple):
    """A receiver a send calls, with what decides its place (see :func:`connections`)."""

    receiver: Receiver
    #: Higher is called first.
    priority: int
    #: True when connected for any sender, False when for this sender only.
    for_any: bool


def connections(signal: Signal, sender: t.Any) -> list[Connection]:
    """The receivers a send of *signal* for *sender* calls, in call order.

    A receiver connected both for *sender* and for any sender is listed
    once, with the connection that decides its place. Reading this does not
    count as using a receiver (no :class:`DeadReceiverWarning` is avoided or
    caused by it). Not in blinker.
    """
    return [Connection(*found) for found in signal._connections(sender)]


def labelled_namespaces() -> list[tuple[str, Namespace]]:
    """Every live namespace with a label: built-in, default, then the others as created.

    Another namespace is named after a module global that holds it
    (``notes.events.events``), else ``namespace N`` (its place among the
    unnamed ones). Not in blinker.
    """
    fixed = {id(_signals): "built-in", id(default_namespace): "default"}
    holders = _module_globals({id(ns) for ns in namespaces()} - set(fixed))
    labelled = [("built-in", _signals), ("default", default_namespace)]
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
