"""Signals: :class:`Signal`, :class:`NamedSignal` and the :data:`ANY` sender.

Theory of operation. A signal keeps its connections in plain dicts guarded by
a lock (``_records``: one record per receiver; ``_any`` and ``_by_sender``:
the connections, each with its sort key ``(-priority, order)``). Sends never
read those dicts. They read a *plan*: an immutable tuple of getters (see
``_receivers``) in call order, with a parallel tuple of "is async" flags,
built from the dicts under the lock and cached until the next change. The
plan for receivers connected to :data:`ANY` is also kept in ``_fast``, the
one attribute :meth:`Signal.send` reads when no receiver is tied to a
particular sender, nothing is async and the signal is not muted; any change
resets ``_fast`` to ``None``, which sends the next call down the general
path, which rebuilds it.

Weak references die at arbitrary moments, possibly inside our own critical
section, so their callbacks never touch the dicts directly: they queue the
work in ``_pending`` and whoever holds (or next takes) the lock applies it.
References dropped while the lock is held are parked in a "grave" list and
released after it, so no finalizer runs under the lock.
"""

from __future__ import annotations

import collections.abc as c
import functools
import itertools
import sys
import threading
import typing as t
import warnings
import weakref
from contextlib import contextmanager

from ._receivers import (
    DeadReceiverWarning,
    Getter,
    Receiver,
    ReceiverRecord,
    hold_sender,
    receiver_key,
    sender_key,
)

__all__ = ["ANY", "NamedSignal", "Signal", "receiver_connected", "receiver_disconnected"]

F = t.TypeVar("F", bound=c.Callable[..., t.Any])
_Plan: t.TypeAlias = tuple[tuple[Getter, ...], tuple[bool, ...], bool]
_Order: t.TypeAlias = tuple[int, int]

_EMPTY_PLAN: _Plan = ((), (), False)


class _AnySender:
    """The type of :data:`ANY`; it has exactly one instance."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ANY"

    def __reduce__(self) -> str:
        return "ANY"


ANY: t.Final[t.Any] = _AnySender()
"""The sender that means "every sender".

A receiver connected with ``sender=ANY`` (the default) is called for every
send, whatever its sender; one connected for a particular sender is called
only when that object is sent.
"""


class Signal:
    """A signal that calls its connected receivers when it is sent.

    :param doc: The docstring for the signal, saying when it is sent and
        with which keyword arguments.

    Unlike blinker, receivers are called by priority (higher first), then in
    connection order; sends take a snapshot of the receivers, so connecting
    or disconnecting from a receiver or another thread affects only later
    sends.
    """

    ANY = ANY
    """An alias of :data:`ANY`, as on blinker's ``Signal``."""

    def __init__(self, doc: str | None = None) -> None:
        if doc:
            self.__doc__ = doc
        self.receivers: dict[c.Hashable, t.Any] = {}
        """The connected receivers (or weak references to them), by receiver key.

        As in blinker, this dict is not a public API except for its truth
        value: ``if signal.receivers:`` is the cheapest way to skip a send
        when nobody listens. Treat it as read-only; iterate with
        :meth:`receivers_for`.
        """
        self._records: dict[c.Hashable, ReceiverRecord] = {}
        self._any: dict[c.Hashable, _Order] = {}
        self._by_sender: dict[c.Hashable, dict[c.Hashable, _Order]] = {}
        self._senders: dict[c.Hashable, object] = {}
        self._order = itertools.count()
        self._muted = 0
        self._async = 0
        self._lock = threading.RLock()
        self._busy = 0
        self._pending: list[tuple[str, c.Hashable, object]] = []
        self._me = weakref.ref(self)
        self._any_plan: _Plan | None = _EMPTY_PLAN
        self._plans: dict[c.Hashable, _Plan] = {}
        self._fast: tuple[Getter, ...] | None = ()
        self._by_id: tuple[dict[c.Hashable, tuple[Getter, ...] | None], tuple[Getter, ...]] | None
        self._by_id = None
        self._on_connect: Signal | None = None
        self._on_disconnect: Signal | None = None

    @property
    def receiver_connected(self) -> Signal:
        """Sent after each :meth:`connect` call on this signal.

        The sender is this signal; the keyword arguments are :meth:`connect`'s
        ``receiver``, ``sender`` and ``weak``, so a receiver is best written
        as ``def on_connect(signal, **kwargs)``. Sent even when the call
        connected nothing new. Not sent for :meth:`Namespace.connect_all`
        subscriptions.
        """
        if self._on_connect is None:
            self._on_connect = Signal(doc="Sent after each connect() call on a signal.")
        return self._on_connect

    @property
    def receiver_disconnected(self) -> Signal:
        """Sent after each :meth:`disconnect` call on this signal.

        The sender is this signal; the keyword arguments are ``receiver`` and
        ``sender``. As in blinker, it is sent even when nothing was connected,
        and not when a weakly referenced receiver or sender is collected.
        """
        if self._on_disconnect is None:
            self._on_disconnect = Signal(doc="Sent after each disconnect() call on a signal.")
        return self._on_disconnect

    @property
    def has_async_receivers(self) -> bool:
        """Whether any connected receiver, for any sender, is a coroutine function.

        Decided when receivers connect, never per send. When it is false,
        :meth:`send` can deliver every send; when it is true, a send that
        reaches an async receiver needs :meth:`send_async`. Not in blinker.
        """
        return self._async > 0

    @property
    def is_muted(self) -> bool:
        """Whether sends are currently dropped; see :meth:`muted`.

        Assigning ``True`` or ``False`` mutes or unmutes the signal, as
        blinker's attribute does.
        """
        return self._muted > 0

    @is_muted.setter
    def is_muted(self, value: bool) -> None:
        with self._mutating():
            self._muted = 1 if value else 0

    def connect(
        self, receiver: F, sender: t.Any = ANY, weak: bool = True, *, priority: int = 0
    ) -> F:
        """Connect ``receiver`` to be called when the signal is sent.

        :param receiver: A callable, called as ``receiver(sender, **kwargs)``.
            A coroutine function (or a partial of one, or an object with an
            ``async def __call__``) is an async receiver, called only by
            :meth:`send_async`.
        :param sender: Call the receiver only for sends from this object.
            :data:`ANY` (the default) means every sender. ``str`` and ``int``
            senders match by value, every other object by identity; it need
            not be hashable. A sender that supports weak references is held
            weakly, and its connections go when it is collected.
        :param weak: Hold only a weak reference to the receiver, so that the
            connection goes when the receiver is collected.
        :param priority: Receivers with a higher priority are called first;
            equal priorities are called in connection order. Not in blinker.
        :return: ``receiver``, so that ``connect`` can be a decorator.

        Connecting a receiver again for the same sender changes nothing but,
        as in blinker, whether it is held weakly (the latest ``weak`` wins).
        A lambda or nested function connected weakly dies as soon as nothing
        else refers to it: if that happens before it ever ran, a
        :class:`DeadReceiverWarning` says so. Unlike blinker, a receiver
        that is not callable is a :exc:`TypeError` here, not at send time.
        """
        if not callable(receiver):
            raise TypeError(
                f"cannot connect {receiver!r} to {self._describe()}: a receiver must be "
                f"callable, and {type(receiver).__name__} objects are not"
            )
        key = receiver_key(receiver)
        with self._mutating() as grave:
            added = self._link(key, receiver, weak, sender, priority, grave)
        try:
            self._announce_connect(receiver, sender, weak)
        except BaseException:
            if added:
                with self._mutating() as grave:
                    self._unlink(key, self._sender_key(sender), grave)
            raise
        return receiver

    def connect_via(
        self, sender: t.Any = ANY, weak: bool = False, *, priority: int = 0
    ) -> c.Callable[[F], F]:
        """Return a decorator that connects the function it decorates.

        :param sender: As for :meth:`connect`.
        :param weak: As for :meth:`connect`, but strong by default, since a
            decorated function is usually meant to live as long as the signal.
        :param priority: As for :meth:`connect`.
        """

        def decorator(fn: F) -> F:
            self.connect(fn, sender, weak, priority=priority)
            return fn

        return decorator

    @contextmanager
    def connected_to(
        self, receiver: Receiver, sender: t.Any = ANY, *, priority: int = 0
    ) -> c.Iterator[None]:
        """Connect ``receiver`` (strongly) for the duration of a ``with`` block.

        :param receiver: As for :meth:`connect`.
        :param sender: As for :meth:`connect`.
        :param priority: As for :meth:`connect`.

        Useful for tests. The receiver is disconnected when the block ends,
        even by an exception. Unlike blinker, only the connection for
        ``sender`` is removed; blinker removes the receiver's connections
        for every sender.
        """
        self.connect(receiver, sender, weak=False, priority=priority)
        try:
            yield None
        finally:
            self.disconnect(receiver, sender)

    @contextmanager
    def muted(self) -> c.Iterator[None]:
        """Drop every send of this signal for the duration of a ``with`` block.

        Useful for tests. A muted signal's sends return ``[]`` and call
        nothing, in every thread. Unlike blinker, blocks nest: the signal
        stays muted until the outermost block ends.
        """
        self._mute(1)
        try:
            yield None
        finally:
            self._mute(-1)

    def disconnect(self, receiver: Receiver, sender: t.Any = ANY) -> None:
        """Disconnect ``receiver``.

        :param receiver: A receiver passed to :meth:`connect`.
        :param sender: Remove only the connection for this sender; with
            :data:`ANY` (the default), every connection of the receiver.

        Disconnecting what is not connected does nothing. A receiver
        subscribed through :meth:`Namespace.connect_all` is removed with
        :meth:`Namespace.disconnect_all` instead.
        """
        key = receiver_key(receiver)
        with self._mutating() as grave:
            record = self._records.get(key)
            if record is not None and sender is ANY:
                self._remove_receiver(record, grave)
            elif record is not None:
                self._unlink(key, self._sender_key(sender), grave)
        self._announce_disconnect(receiver, sender)

    def send(self, sender: t.Any = None, /, *args: t.Any, **kwargs: t.Any) -> list[
        tuple[Receiver, t.Any]
    ]:
        """Call every receiver connected for ``sender`` or for :data:`ANY`.

        :param sender: The object the signal is sent for, passed to each
            receiver as its only positional argument.
        :param kwargs: Keyword arguments passed to every receiver.
        :return: A list of ``(receiver, return value)`` pairs, in call order.

        Receivers are called by priority, then in connection order. If one
        raises, the exception propagates and later receivers are not called
        (see :meth:`send_robust`). If the receivers for ``sender`` include a
        coroutine function, a :exc:`RuntimeError` is raised before any is
        called: use ``await signal.send_async(...)``. A muted signal returns
        ``[]``. More than one positional argument is a :exc:`TypeError`.

        Unlike blinker, there is no ``_async_wrapper`` argument: it would
        cost every send, and :meth:`send_async` runs mixed receivers itself.
        """
        # The hot path: one attribute read when no receiver is tied to a
        # sender, one dict lookup when some are; see the module docstring.
        calls = self._fast
        if calls is None:
            by_id = self._by_id
            if by_id is None or args:
                return self._send_slow(sender, args, kwargs)
            plans, calls = by_id
            calls = plans.get(id(sender), calls)
            if calls is None:
                return self._send_slow(sender, args, kwargs)
        elif args:
            return self._send_slow(sender, args, kwargs)
        if not calls:
            return []
        results = []
        for get in calls:
            receiver = get()
            if receiver is not None:
                results.append((receiver, receiver(sender, **kwargs)))
        return results

    def send_robust(
        self, sender: t.Any = None, /, *args: t.Any, **kwargs: t.Any
    ) -> list[tuple[Receiver, t.Any]]:
        """Call every receiver like :meth:`send`, even when some of them raise.

        :param sender: As for :meth:`send`.
        :param kwargs: As for :meth:`send`.
        :return: ``(receiver, return value)`` pairs, where a receiver that
            raised an :exc:`Exception` has the exception object (with its
            ``__traceback__``) as its value.

        Like Django's ``send_robust``; not in blinker. :exc:`BaseException`
        subclasses that are not :exc:`Exception` (``KeyboardInterrupt``,
        ``SystemExit``) still propagate.
        """
        results: list[tuple[Receiver, t.Any]] = []
        for receiver, _ in self._deliveries(sender, args, "send_robust", sync_only=True):
            try:
                value = receiver(sender, **kwargs)
            except Exception as exc:
                value = exc
            results.append((receiver, value))
        return results

    async def send_async(
        self, sender: t.Any = None, /, *args: t.Any, **kwargs: t.Any
    ) -> list[tuple[Receiver, t.Any]]:
        """Call every receiver like :meth:`send`, awaiting the async ones.

        :param sender: As for :meth:`send`.
        :param kwargs: As for :meth:`send`.
        :return: As for :meth:`send`, with awaited results.

        Receivers still run one after another, in order, never concurrently;
        sync receivers are called directly, in the event loop's thread, so
        they should be quick. Unlike blinker, which refuses sync receivers
        unless given a ``_sync_wrapper`` argument (which Tocsin does not
        take), sync and async receivers mix freely.
        """
        results: list[tuple[Receiver, t.Any]] = []
        for receiver, is_async in self._deliveries(sender, args, "send_async", sync_only=False):
            value = receiver(sender, **kwargs)
            if is_async:
                value = await value
            results.append((receiver, value))
        return results

    async def send_robust_async(
        self, sender: t.Any = None, /, *args: t.Any, **kwargs: t.Any
    ) -> list[tuple[Receiver, t.Any]]:
        """Call every receiver like :meth:`send_async`, even when some of them raise.

        :param sender: As for :meth:`send`.
        :param kwargs: As for :meth:`send`.
        :return: As for :meth:`send_robust`.

        Not in blinker. Cancellation (:exc:`asyncio.CancelledError`, a
        :exc:`BaseException`) still propagates.
        """
        results: list[tuple[Receiver, t.Any]] = []
        for receiver, is_async in self._deliveries(sender, args, "send_robust_async", False):
            try:
                value = receiver(sender, **kwargs)
                if is_async:
                    value = await value
            except Exception as exc:
                value = exc
            results.append((receiver, value))
        return results

    def has_receivers_for(self, sender: t.Any) -> bool:
        """Return whether a send for ``sender`` would call any receiver.

        :param sender: A sender; :data:`ANY` asks about receivers connected
            for every sender only.

        Cheaper checks exist: ``if signal.receivers:`` says whether anything
        at all is connected.
        """
        return any(get() is not None for get in self._plan_for(sender)[0])

    def receivers_for(self, sender: t.Any) -> c.Iterator[Receiver]:
        """Yield the receivers a send for ``sender`` would call, in call order.

        :param sender: A sender; :data:`ANY` yields the receivers connected
            for every sender only.

        Weakly referenced receivers that have died are skipped. Unlike
        blinker's, the order is the call order.
        """
        for get in self._plan_for(sender)[0]:
            receiver = get()
            if receiver is not None:
                yield receiver

    def _connect_all(self, receiver: Receiver, priority: int) -> None:
        """Connect a namespace-wide receiver (see :meth:`Namespace.connect_all`)."""
        key = ("*", id(receiver))
        call = functools.partial(receiver, self)
        with self._mutating() as grave:
            if key not in self._records:
                self._link(key, call, False, ANY, priority, grave)

    def _disconnect_all(self, receiver: Receiver) -> None:
        """Undo :meth:`_connect_all`."""
        key = ("*", id(receiver))
        with self._mutating() as grave:
            record = self._records.get(key)
            if record is not None:
                self._remove_receiver(record, grave)

    # -- sending ------------------------------------------------------------

    def _send_slow(
        self, sender: t.Any, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> list[tuple[Receiver, t.Any]]:
        return [
            (receiver, receiver(sender, **kwargs))
            for receiver, _ in self._deliveries(sender, args, "send", sync_only=True)
        ]

    def _deliveries(
        self, sender: t.Any, args: tuple[t.Any, ...], method: str, sync_only: bool
    ) -> c.Iterator[tuple[Receiver, bool]]:
        """Yield ``(receiver, is_async)`` for one send, after checking the call."""
        if args:
            raise TypeError(
                f"{self._describe()}: {method}() takes the sender as its only positional "
                f"argument, but {1 + len(args)} were given; pass the rest as keyword arguments"
            )
        if self._muted:
            return
        getters, flags, has_async = self._plan_for(sender)
        if sync_only and has_async:
            raise self._async_error(getters, flags, method)
        for get, is_async in zip(getters, flags, strict=True):
            receiver = get()
            if receiver is not None:
                yield receiver, is_async

    def _async_error(
        self, getters: tuple[Getter, ...], flags: tuple[bool, ...], method: str
    ) -> RuntimeError:
        receiver = next(get() for get, is_async in zip(getters, flags, strict=True) if is_async)
        while isinstance(receiver, functools.partial):
            receiver = receiver.func
        name = getattr(receiver, "__qualname__", None) or repr(receiver)
        return RuntimeError(
            f"{self._describe()} cannot call the coroutine receiver {name!r} from {method}(); "
            f"use 'await {self._identifier()}.{method}_async(...)', "
            "or serve the app with the ASGI driver"
        )

    # -- plans --------------------------------------------------------------

    def _plan_for(self, sender: t.Any) -> _Plan:
        any_plan = self._any_plan
        if any_plan is None:
            any_plan = self._build(ANY)
        if self._by_sender:
            key = sender_key(sender)
            plan = self._plans.get(key)
            if plan is not None:
                return plan
            if key in self._by_sender:
                return self._build(key)
        return any_plan

    def _build(self, key: c.Hashable) -> _Plan:
        """Compose the plan for sender key ``key`` and cache it where the send paths look."""
        with self._lock:
            self._busy += 1
            try:
                plans, by_id = self._plans, self._by_id
                plan, cacheable = self._compose(key)
                if key is ANY:
                    self._publish(plan)
                elif cacheable:
                    plans[key] = plan
                    if by_id is not None and key in by_id[0] and not plan[2]:
                        by_id[0][key] = plan[0]
            finally:
                self._busy -= 1
        self._drain()
        return plan

    def _compose(self, key: c.Hashable) -> tuple[_Plan, bool]:
        """Return the plan for sender key ``key`` and whether it may be cached."""
        links = list(self._any.items())
        holder = self._senders.get(key)
        alive = not (isinstance(holder, weakref.ref) and holder() is None)
        if key is not ANY and alive:
            links.extend(self._by_sender.get(key, {}).items())
        links.sort(key=_order_of)
        getters: list[Getter] = []
        flags: list[bool] = []
        seen: set[c.Hashable] = set()
        for rkey, _ in links:
            record = self._records.get(rkey)
            if rkey in seen or record is None or not record.alive():
                continue
            seen.add(rkey)
            getters.append(record.getter())
            flags.append(record.is_async)
        return (tuple(getters), tuple(flags), any(flags)), alive

    def _publish(self, plan: _Plan) -> None:
        """Install the plan for :data:`ANY` and the fast-path attributes derived from it.

        ``_fast`` serves every send when no receiver is tied to a sender.
        ``_by_id`` serves sends when all such ties are to identity-keyed
        senders: a dict from each such sender's id to its getters (``None``
        until a send builds them) and the ANY getters for every other
        sender. Both are ``None`` when the slow path must decide: async
        receivers, or ``str``/``int``/bound-method senders.
        """
        getters, _, has_async = plan
        self._any_plan = plan
        self._fast, self._by_id = None, None
        if self._muted:
            self._fast = ()
        elif has_async:
            pass
        elif not self._by_sender:
            self._fast = getters
        elif all(type(key) is int for key in self._by_sender):
            self._by_id = (dict.fromkeys(self._by_sender), getters)

    def _invalidate(self) -> None:
        self._fast = None
        self._by_id = None
        self._any_plan = None
        self._plans = {}

    # -- bookkeeping (callers hold the lock) --------------------------------

    @contextmanager
    def _mutating(self) -> c.Iterator[list[object]]:
        """Hold the lock for a change; yield a list to park dropped references in."""
        grave: list[object] = []
        with self._lock:
            self._busy += 1
            try:
                self._apply_pending(grave)
                yield grave
            finally:
                self._invalidate()
                self._busy -= 1
        grave.clear()
        self._drain()

    def _link(
        self,
        key: c.Hashable,
        receiver: Receiver,
        weak: bool,
        sender: t.Any,
        priority: int,
        grave: list[object],
    ) -> bool:
        """Connect; return whether a new connection was made."""
        record = self._records.get(key)
        if record is not None and not record.alive():
            self._remove_receiver(record, grave)
            record = None
        on_death = functools.partial(_receiver_died, self._me, key)
        if record is None:
            record = ReceiverRecord(key, receiver, functools.partial(_probe_used, self._me))
            record.hold(receiver, weak, on_death)
            self._records[key] = record
            self._async += record.is_async
        else:
            grave.append(record.hold(receiver, weak, on_death))
        self.receivers[key] = record.value
        skey = self._sender_key(sender)
        table = self._any if skey is ANY else self._by_sender.setdefault(skey, {})
        if key in table:
            return False
        table[key] = (-priority, next(self._order))
        record.links.add(skey)
        if skey is not ANY and skey not in self._senders:
            on_gone = functools.partial(_sender_died, self._me, skey)
            self._senders[skey] = hold_sender(sender, on_gone)
        return True

    def _unlink(self, key: c.Hashable, skey: c.Hashable, grave: list[object]) -> bool:
        """Remove one connection; return whether it existed."""
        table = self._any if skey is ANY else self._by_sender.get(skey)
        if table is None or table.pop(key, None) is None:
            return False
        if skey is not ANY and not table:
            del self._by_sender[skey]
            grave.append(self._senders.pop(skey, None))
        record = self._records.get(key)
        if record is not None:
            record.links.discard(skey)
            if not record.links:
                del self._records[key]
                grave.append(self.receivers.pop(key, None))
                grave.append(record)
                self._async -= record.is_async
        return True

    def _remove_receiver(self, record: ReceiverRecord, grave: list[object]) -> None:
        for skey in list(record.links):
            self._unlink(record.key, skey, grave)

    def _sender_key(self, sender: t.Any) -> c.Hashable:
        return ANY if sender is ANY else sender_key(sender)

    def _mute(self, delta: int) -> None:
        with self._mutating():
            self._muted = max(0, self._muted + delta)

    # -- weak reference callbacks -------------------------------------------

    def _apply_pending(self, grave: list[object]) -> None:
        while self._pending:
            kind, key, ref = self._pending.pop()
            if kind == "receiver":
                record = self._records.get(key)
                if record is not None and record.ref is ref:
                    self._remove_receiver(record, grave)
            elif kind == "sender" and self._senders.get(key) is ref:
                for rkey in list(self._by_sender.get(key, ())):
                    self._unlink(rkey, key, grave)

    def _drain(self) -> None:
        """Apply queued weak-reference work, unless someone else holds the lock."""
        while self._pending:
            if not self._lock.acquire(blocking=False):
                return
            grave: list[object] = []
            try:
                if self._busy:
                    return
                self._apply_pending(grave)
                self._invalidate()
            finally:
                self._lock.release()
            grave.clear()

    def _on_receiver_death(self, key: c.Hashable, ref: object) -> None:
        record = self._records.get(key)
        self._pending.append(("receiver", key, ref))
        self._drain()
        if record is not None and record.ref is ref and record.died_unused():
            message = (
                f"{record.label} was connected weakly to {self._describe()} and garbage-"
                "collected before it was ever called, so it never ran. Pass weak=False to "
                "connect(), or keep a reference to the receiver for as long as it should listen."
            )
            warnings.warn(DeadReceiverWarning(message), stacklevel=3)

    def _on_sender_death(self, key: c.Hashable, ref: object) -> None:
        # Lock-free, at once: the dead sender's id may be reused right away.
        self._by_id = None
        self._plans = {}
        self._pending.append(("sender", key, ref))
        self._drain()

    def _on_probe_used(self) -> None:
        self._pending.append(("rebuild", None, None))
        self._drain()

    # -- meta signals -------------------------------------------------------

    def _announce_connect(self, receiver: Receiver, sender: t.Any, weak: bool) -> None:
        meta = self._on_connect
        if meta is not None and meta.receivers:
            meta.send(self, receiver=receiver, sender=sender, weak=weak)
        if receiver_connected.receivers and not self._is_meta():
            receiver_connected.send(self, receiver_arg=receiver, sender_arg=sender, weak_arg=weak)

    def _announce_disconnect(self, receiver: Receiver, sender: t.Any) -> None:
        meta = self._on_disconnect
        if meta is not None and meta.receivers:
            meta.send(self, receiver=receiver, sender=sender)
        if receiver_disconnected.receivers and not self._is_meta():
            receiver_disconnected.send(self, receiver_arg=receiver, sender_arg=sender)

    def _is_meta(self) -> bool:
        return self is receiver_connected or self is receiver_disconnected

    def _describe(self) -> str:
        return repr(self)

    def _identifier(self) -> str:
        return "signal"

    def __repr__(self) -> str:
        return f"<Signal at {id(self):#x}>"


class NamedSignal(Signal):
    """A signal with a name, as made by :meth:`Namespace.signal`.

    :param name: The name, unique within its namespace.
    :param doc: As for :class:`Signal`.
    """

    def __init__(self, name: str, doc: str | None = None) -> None:
        super().__init__(doc)
        self.name = name
        """The name the signal was created with."""

    def __repr__(self) -> str:
        return f"<NamedSignal {self.name!r}>"

    def _describe(self) -> str:
        return f"signal {self.name!r}"

    def _identifier(self) -> str:
        name = self.name.replace("-", "_")
        return name if name.isidentifier() else "signal"


def _order_of(link: tuple[c.Hashable, _Order]) -> _Order:
    return link[1]


def _receiver_died(me: weakref.ref[Signal], key: c.Hashable, ref: object) -> None:
    signal = me()
    if signal is not None and not sys.is_finalizing():
        signal._on_receiver_death(key, ref)


def _sender_died(me: weakref.ref[Signal], key: c.Hashable, ref: object) -> None:
    signal = me()
    if signal is not None and not sys.is_finalizing():
        signal._on_sender_death(key, ref)


def _probe_used(me: weakref.ref[Signal]) -> None:
    signal = me()
    if signal is not None:
        signal._on_probe_used()


receiver_connected = Signal(
    doc="""Sent after a receiver is connected to any signal.

    The sender is the signal; the keyword arguments are ``receiver_arg``,
    ``sender_arg`` and ``weak_arg`` (the :meth:`Signal.connect` arguments,
    renamed so they cannot clash with the positional sender), as in blinker
    before 1.6. Each signal also has its own :attr:`Signal.receiver_connected`.
    If a receiver of this signal raises, the new connection is undone.
    """
)

receiver_disconnected = Signal(
    doc="""Sent after :meth:`Signal.disconnect` is called on any signal.

    The sender is the signal; the keyword arguments are ``receiver_arg`` and
    ``sender_arg``. Not sent when a weakly referenced receiver or sender is
    collected. Each signal also has its own
    :attr:`Signal.receiver_disconnected`.
    """
)
