"""Namespaces: named signals, created on first use, and namespace-wide receivers."""

from __future__ import annotations

import collections.abc as c
import itertools
import threading
import typing as t
import weakref

from ._signal import NamedSignal

__all__ = ["Namespace", "default_namespace", "namespaces", "signal"]

F = t.TypeVar("F", bound=c.Callable[..., t.Any])


class Namespace(dict[str, NamedSignal]):
    """A dict of signals by name that creates each signal the first time it is asked for.

    ``ns.signal("saved") is ns.signal("saved")``: a name always gives the
    same :class:`NamedSignal`. As in blinker, the namespace holds its
    signals strongly, so a signal made once lives as long as its namespace.

    Beyond blinker, :meth:`connect_all` subscribes a receiver to every
    signal of the namespace, present and future.
    """

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._everywhere: dict[int, tuple[c.Callable[..., t.Any], int]] = {}
        _alive[next(_made)] = self

    def signal(self, name: str, doc: str | None = None) -> NamedSignal:
        """Return the signal called ``name``, creating it if needed.

        :param name: The signal's name.
        :param doc: The docstring given to the signal if this call creates
            it; ignored if the signal already exists.

        A new signal starts with every receiver subscribed through
        :meth:`connect_all` already connected.
        """
        try:
            return self[name]
        except KeyError:
            pass
        with self._lock:
            existing = self.get(name)
            if existing is not None:
                return existing
            created = NamedSignal(name, doc)
            for receiver, priority in self._everywhere.values():
                created._connect_all(receiver, priority)
            self[name] = created
            return created

    def connect_all(self, receiver: F, *, priority: int = 0) -> F:
        """Subscribe ``receiver`` to every signal of this namespace, present and future.

        :param receiver: Called as ``receiver(signal, sender, **kwargs)``
            for every send of every signal in the namespace; it may be a
            coroutine function, called by ``send_async`` like any async
            receiver.
        :param priority: As for :meth:`Signal.connect`.
        :return: ``receiver``, so that this can be a decorator.

        The receiver is held strongly until :meth:`disconnect_all`; it
        counts as a connected receiver (``signal.receivers`` is true), and
        appears in send results and :meth:`Signal.receivers_for` as
        ``functools.partial(receiver, signal)``. It is not announced through
        ``receiver_connected``. Subscribing the same receiver again does
        nothing. Not in blinker; the lifecycle tracer and
        :func:`~tocsin.signals.record_all` are built on it.
        """
        if not callable(receiver):
            raise TypeError(
                f"cannot subscribe {receiver!r} to every signal: a receiver must be callable, "
                f"and {type(receiver).__name__} objects are not"
            )
        with self._lock:
            if id(receiver) in self._everywhere:
                return receiver
            self._everywhere[id(receiver)] = (receiver, priority)
            for each in self.values():
                each._connect_all(receiver, priority)
        return receiver

    def disconnect_all(self, receiver: c.Callable[..., t.Any]) -> None:
        """Undo :meth:`connect_all` for ``receiver``, on every signal of the namespace.

        :param receiver: A receiver passed to :meth:`connect_all`; anything
            else is ignored.
        """
        with self._lock:
            if self._everywhere.pop(id(receiver), None) is None:
                return
            for each in self.values():
                each._disconnect_all(receiver)


#: Every namespace still alive, by creation number (a dict is not hashable: no WeakSet).
#: Written once per ``Namespace()``, read only by tools such as ``tocsin signals``.
_alive: weakref.WeakValueDictionary[int, Namespace] = weakref.WeakValueDictionary()
_made = itertools.count()


def namespaces() -> list[Namespace]:
    """Every :class:`Namespace` still alive, in the order they were created.

    The namespaces are held weakly: one that nothing else refers to goes
    away as before. Not in blinker.
    """
    return [ns for _, ns in sorted(_alive.items())]


default_namespace = Namespace()
"""The namespace that :func:`signal` uses."""


def signal(name: str, doc: str | None = None) -> NamedSignal:
    """Return the signal called ``name`` in :data:`default_namespace`, creating it if needed.

    :param name: The signal's name.
    :param doc: The docstring given to the signal if this call creates it.

    Two modules that ask for the same name share one signal, which is what
    makes named signals useful across a code base.
    """
    return default_namespace.signal(name, doc)
