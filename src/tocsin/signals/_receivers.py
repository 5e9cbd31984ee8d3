"""Receiver and sender bookkeeping shared by :class:`~tocsin.signals.Signal`.

Nothing here is public except :class:`DeadReceiverWarning` (``__all__`` lists
what the rest of the package uses). The rest turns the objects a caller
passes to ``connect`` into keys, references and the small "getter" callables
that a send loop calls to reach a receiver:

* a weakly connected receiver's getter is its :class:`weakref.ref` (or
  :class:`weakref.WeakMethod`), so a cached tuple of getters never keeps the
  receiver alive;
* a strongly connected receiver's getter is ``itertools.repeat(f).__next__``,
  a C-level callable returning ``f``, as cheap to call as a weak reference;
* a lambda, nested function or :func:`functools.partial` connected weakly
  starts with a *probe* getter that notes its first use, so that its death
  before that first use can be reported with a :class:`DeadReceiverWarning`.
"""

from __future__ import annotations

import collections.abc as c
import functools
import inspect
import itertools
import threading
import types
import typing as t
import weakref

__all__ = [
    "DeadReceiverWarning",
    "Getter",
    "Receiver",
    "ReceiverRecord",
    "hold_sender",
    "receiver_key",
    "sender_key",
]

Receiver: t.TypeAlias = c.Callable[..., t.Any]
Getter: t.TypeAlias = c.Callable[[], Receiver | None]
Callback: t.TypeAlias = c.Callable[[t.Any], None]


class DeadReceiverWarning(UserWarning):
    """Warn that a weakly connected receiver was collected before it ever ran.

    A lambda, a nested function or a :func:`functools.partial` passed to
    ``connect()`` with the default ``weak=True`` is often referenced by
    nothing but the signal's weak reference, so it disappears as soon as the
    statement that connected it ends, and the signal silently never calls it.
    Tocsin reports that case with this warning, naming the receiver and the
    signal. blinker has no such warning.
    """


def receiver_key(receiver: object) -> c.Hashable:
    """Return the identity key of a receiver.

    Bound methods are keyed by their function and instance, because every
    attribute access creates a new bound method object.
    """
    if isinstance(receiver, types.MethodType):
        return (id(receiver.__func__), id(receiver.__self__))
    return id(receiver)


def sender_key(sender: object) -> c.Hashable:
    """Return the key a sender is filed under.

    Like blinker, ``str`` and ``int`` senders are keyed by value, so an equal
    string or number sent later reaches the same receivers; every other
    sender, hashable or not, is keyed by identity. The four kinds of key
    cannot collide: strings, ``(int, value)`` pairs, identity ints, and
    ``(id, id)`` pairs for bound methods (keyed like receivers).
    """
    if isinstance(sender, str):
        return sender
    if isinstance(sender, int):
        return (int, sender)
    if isinstance(sender, types.MethodType):
        return (id(sender.__func__), id(sender.__self__))
    return id(sender)


def hold_sender(sender: object, on_death: Callback) -> object:
    """Return what a signal keeps to remember a sender it has connections for.

    A weak reference (calling ``on_death`` when the sender is collected) where
    the sender allows one; a 1-tuple holding the sender otherwise, so that
    its identity key cannot be reused by another object while connections
    exist; ``None`` for value-keyed ``str`` and ``int`` senders.
    """
    if isinstance(sender, (str, int)):
        return None
    try:
        if isinstance(sender, types.MethodType):
            return weakref.WeakMethod(sender, on_death)
        return weakref.ref(sender, on_death)
    except TypeError:
        return (sender,)


def is_async_callable(obj: object) -> bool:
    """Return whether calling ``obj`` returns an awaitable to be awaited.

    True for coroutine functions, bound coroutine methods, partials of them
    (at any depth) and objects whose class defines ``async def __call__``.
    Decided once, when the receiver is connected.
    """
    while isinstance(obj, functools.partial):
        obj = obj.func
    if inspect.iscoroutinefunction(obj):
        return True
    if isinstance(obj, (types.FunctionType, types.MethodType, types.BuiltinFunctionType, type)):
        return False
    return inspect.iscoroutinefunction(type(obj).__call__)


def is_ephemeral(obj: object) -> bool:
    """Return whether ``obj`` is likely kept alive only by whoever connects it.

    Lambdas, functions defined inside another function and partials are the
    receivers that a weak connection typically loses at once.
    """
    if isinstance(obj, functools.partial):
        return True
    if isinstance(obj, types.FunctionType):
        return obj.__name__ == "<lambda>" or "<locals>" in obj.__qualname__
    return False


def describe(obj: object) -> str:
    """Return a short human name for a receiver, for messages."""
    if isinstance(obj, functools.partial):
        return f"functools.partial({describe(obj.func)}, ...)"
    if isinstance(obj, (types.FunctionType, types.MethodType)):
        return f"{obj.__module__}.{obj.__qualname__}"
    return repr(obj)


class Usage:
    """Whether a receiver has been called (or handed out) by any signal yet."""

    __slots__ = ("used",)

    def __init__(self) -> None:
        self.used = False


_usages: weakref.WeakKeyDictionary[t.Any, Usage] = weakref.WeakKeyDictionary()
_usages_lock = threading.Lock()


def usage_of(receiver: Receiver) -> Usage:
    """Return the :class:`Usage` shared by every signal ``receiver`` is connected to.

    The entry goes with the receiver; the records that need it after the
    receiver's death hold the :class:`Usage` itself.
    """
    with _usages_lock:
        return _usages.setdefault(receiver, Usage())


class ReceiverRecord:
    """Everything a signal knows about one connected receiver.

    ``links`` holds the keys of the senders the receiver is connected for
    (the signal's ANY key among them). :meth:`getter` is what plans store;
    :attr:`value` is what the blinker-compatible ``Signal.receivers`` shows.
    ``usage`` is set for the receivers that :class:`DeadReceiverWarning`
    watches; ``probing`` says that plans should use :meth:`probe` for now.
    """

    __slots__ = (
        "_repeat",
        "is_async",
        "key",
        "label",
        "links",
        "notify",
        "probing",
        "ref",
        "usage",
    )

    def __init__(self, key: c.Hashable, receiver: Receiver, notify: c.Callable[[], None]) -> None:
        self.key = key
        self.is_async = is_async_callable(receiver)
        self.links: set[c.Hashable] = set()
        self.notify = notify
        self.ref: Getter | None = None
        self._repeat: Getter = _nothing
        self.usage: Usage | None = None
        self.probing = False
        self.label = describe(receiver)

    def hold(self, receiver: Receiver, weak: bool, on_death: Callback) -> object:
        """Hold ``receiver`` weakly or strongly, as the latest ``connect`` asked.

        Return what the record held before (for the caller to drop outside
        its lock), or ``None`` when nothing changed.
        """
        if weak and self.ref is None:
            old: object = self._repeat
            self.ref = _weak(receiver, on_death)
            self._repeat = _nothing
            self.usage = usage_of(receiver) if is_ephemeral(receiver) else None
            self.probing = self.usage is not None and not self.usage.used
            return old
        if not weak and (self.ref is not None or self._repeat is _nothing):
            old = self.ref
            self._repeat = itertools.repeat(receiver).__next__
            self.ref = None
            self.usage = None
            self.probing = False
            return old
        return None

    @property
    def value(self) -> object:
        """The weak reference, or the receiver itself when held strongly."""
        return self.ref if self.ref is not None else self._repeat()

    def getter(self) -> Getter:
        """Return the callable a send loop calls to reach the receiver."""
        if self.ref is None:
            return self._repeat
        return self.probe if self.probing else self.ref

    def alive(self) -> bool:
        """Return whether the receiver still exists."""
        return self.ref is None or self.ref() is not None

    def died_unused(self) -> bool:
        """Return whether the receiver is one that no signal ever called."""
        return self.usage is not None and not self.usage.used

    def probe(self) -> Receiver | None:
        """Return the receiver, noting that it has now been used."""
        receiver = self.ref() if self.ref is not None else None
        if self.probing and receiver is not None:
            self.probing = False
            if self.usage is not None:
                self.usage.used = True
            self.notify()
        return receiver


def _weak(receiver: Receiver, on_death: Callback) -> Getter:
    try:
        if isinstance(receiver, types.MethodType):
            return weakref.WeakMethod(receiver, on_death)
        return weakref.ref(receiver, on_death)
    except TypeError:
        raise TypeError(
            f"cannot connect {receiver!r} weakly: {type(receiver).__name__} objects do not "
            "support weak references; pass weak=False to connect()"
        ) from None


def _nothing() -> None:
    return None
