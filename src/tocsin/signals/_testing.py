"""Test helpers: record what a signal, or a whole namespace, sends."""

from __future__ import annotations

import collections.abc as c
import sys
import typing as t
from contextlib import contextmanager

from ._namespace import Namespace
from ._signal import ANY, Signal

__all__ = ["record", "record_all"]


@contextmanager
def record(signal: Signal, sender: t.Any = ANY) -> c.Iterator[list[tuple[t.Any, dict[str, t.Any]]]]:
    """Record the sends of ``signal`` during a ``with`` block.

    :param signal: The signal to listen to.
    :param sender: Record only sends for this sender; :data:`ANY` (the
        default) records every send.
    :return: A context manager yielding a list that fills with one
        ``(sender, kwargs)`` pair per send.

    The recorder runs before every other receiver (it is connected with the
    highest priority), so a send is recorded even if a receiver raises.
    Sends of a muted signal are not recorded. Not in blinker.

    >>> from tocsin.signals import Signal, record
    >>> saved = Signal()
    >>> with record(saved) as sent:
    ...     _ = saved.send("doc", version=2)
    >>> sent
    [('doc', {'version': 2})]
    """
    sent: list[tuple[t.Any, dict[str, t.Any]]] = []

    def recorder(sender: t.Any, /, **kwargs: t.Any) -> None:
        sent.append((sender, kwargs))

    with signal.connected_to(recorder, sender, priority=sys.maxsize):
        yield sent


@contextmanager
def record_all(namespace: Namespace) -> c.Iterator[list[tuple[str, t.Any, dict[str, t.Any]]]]:
    """Record the sends of every signal of ``namespace`` during a ``with`` block.

    :param namespace: The namespace to listen to, including signals created
        inside the block.
    :return: A context manager yielding a list that fills with one
        ``(signal_name, sender, kwargs)`` triple per send, in send order.

    Built on :meth:`Namespace.connect_all`, with the highest priority, like
    :func:`record`. Not in blinker.
    """
    sent: list[tuple[str, t.Any, dict[str, t.Any]]] = []

    def recorder(signal: Signal, sender: t.Any, /, **kwargs: t.Any) -> None:
        sent.append((getattr(signal, "name", repr(signal)), sender, kwargs))

    namespace.connect_all(recorder, priority=sys.maxsize)
    try:
        yield sent
    finally:
        namespace.disconnect_all(recorder)
