"""The bookkeeping behind a signal: who is connected, in what order, and what a send calls.

Theory of operation. A signal keeps its connections in plain dicts guarded by
a lock (``_records``: one record per receiver; ``_any`` and ``_by_sender``:
the connections, each with its sort key ``(-priority, order)``). Sends never
read those dicts. They read a *plan*: an immutable tuple of getters (see
``_receivers``) in call order, with a parallel tuple of "is async" flags,
built from the dicts under the lock and cached until the next change.

:meth:`Signal.send` reads at most two attributes. ``_fast`` holds the getters
for receivers connected to :data:`ANY` when no receiver is tied to a
particular sender, nothing is async and the signal is not muted (``()`` when
muted or empty). Otherwise ``_by_id`` maps the ids of the senders that have
receivers of their own to their getters, beside the ANY getters for every
other sender. When neither applies (async receivers, or receivers tied to
``str``, ``int`` or bound-method senders), both are ``None`` and sends take
the general path. Any change resets both to ``None``; the general path
rebuilds them on the next send.

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
    sender_key,
)

__all__ = ["ANY", "Plan", "Registry"]

Plan: t.TypeAlias = tuple[tuple[Getter, ...], tuple[bool, ...], bool]
"""Getters in call order, "is async" flags, and whether any flag is set."""
_Order: t.TypeAlias = tuple[int, int]

_EMPTY_PLAN: Plan = ((), (), False)

_generations = itertools.count(1)
generation = 0
"""Changes whenever the receivers of any signal (or whether it is muted) change.

A cache of what sends will call, such as the one the request pipeline keeps
per app, stays valid while this number does. Read it *before* building such
a cache: a change made while building then shows as a new number.
"""


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


class Registry:
    """The connections of one signal, and the cached plans that sends read.

    :class:`~tocsin.signals.Signal` builds its public API on this class;
    nothing here is public except the ``receivers`` attribute.
    """

    def __init__(self) -> None:
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
        #: Whether any connected receiver, for any sender, is a coroutine
        #: function. Decided when receivers connect, never per send: when it
        #: is false, :meth:`send` can deliver every send; when it is true, a
        #: send that reaches an async receiver needs :meth:`send_async`. A
        #: plain attribute (kept up to date here), since the web core reads it
        #: on every send. Not in blinker.
        self.has_async_receivers = False
        self._lock = threading.RLock()
        self._busy = 0
        self._pending: list[tuple[str, c.Hashable, object]] = []
        self._me = weakref.ref(self)
        self._any_plan: Plan | None = _EMPTY_PLAN
        self._plans: dict[c.Hashable, Plan] = {}
        self._fast: tuple[Getter, ...] | None = ()
        self._by_id: tuple[dict[c.Hashable, tuple[Getter, ...] | None], tuple[Getter, ...]] | None
        self._by_id = None

    # -- plans ------------------------------------------------------------

    def _plan_for(self, sender: t.Any) -> Plan:
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

    def _build(self, key: c.Hashable) -> Plan:
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

    def _compose(self, key: c.Hashable) -> tuple[Plan, bool]:
        """Return the plan for sender key ``key`` and whether it may be cached."""
        ordered, alive = self._ordered(key)
        getters = tuple(record.getter() for record, _, _ in ordered)
        flags = tuple(record.is_async for record, _, _ in ordered)
        return (getters, flags, any(flags)), alive

    def _ordered(self, key: c.Hashable) -> tuple[list[tuple[ReceiverRecord, _Order, bool]], bool]:
        """The live records a send for sender key ``key`` calls, in call order.

        Each comes with the sort key of the connection that placed it and
        whether that connection is for :data:`ANY`; the second value says
        whether the sender is alive (a plan for a dead one is not cached).
        """
        links = [(rkey, order, True) for rkey, order in self._any.items()]
        holder = self._senders.get(key)
        alive = not (isinstance(holder, weakref.ref) and holder() is None)
        if key is not ANY and alive:
            links.extend(
                (rkey, order, False) for rkey, order in self._by_sender.get(key, {}).items()
            )
        links.sort(key=_order_of)
        ordered: list[tuple[ReceiverRecord, _Order, bool]] = []
        seen: set[c.Hashable] = set()
        for rkey, order, for_any in links:
            record = self._records.get(rkey)
            if rkey in seen or record is None or not record.alive():
                continue
            seen.add(rkey)
            ordered.append((record, order, for_any))
        return ordered, alive

    def _connections(self, sender: t.Any) -> list[tuple[Receiver, int, bool]]:
        """``(receiver, priority, for ANY)`` of each receiver a send for ``sender`` calls.

        In call order, the order of :meth:`receivers_for`; read for tools
        (``tocsin signals``, ``tocsin explain``), never by sends. A receiver
        connected both for ``sender`` and for :data:`ANY` is listed once,
        with the connection that decides its place. Unlike
        :meth:`receivers_for`, this does not count as using a receiver (see
        :class:`DeadReceiverWarning`).
        """
        with self._lock:
            self._busy += 1
            try:
                ordered, _ = self._ordered(self._sender_key(sender))
                found: list[tuple[Receiver, int, bool]] = []
                for record, (negative_priority, _), for_any in ordered:
                    receiver = t.cast(
                        "Receiver | None", record.ref() if record.ref is not None else record.value
                    )
                    if receiver is not None:
                        found.append((receiver, -negative_priority, for_any))
            finally:
                self._busy -= 1
        self._drain()
        return found

    def _publish(self, plan: Plan) -> None:
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
        global generation
        generation = next(_generations)  # a unique number, whatever the threads do
        self._fast = None
        self._by_id = None
        self._any_plan = None
        self._plans = {}

    # -- changes (callers hold the lock) ----------------------------------

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

    def _prepare(self, receiver: Receiver, key: c.Hashable) -> ReceiverRecord:
        """Make a record for ``receiver``, before taking the lock: it inspects user objects."""
        return ReceiverRecord(key, receiver, functools.partial(_probe_used, self._me))

    def _link(
        self,
        fresh: ReceiverRecord,
        receiver: Receiver,
        weak: bool,
        sender: t.Any,
        skey: c.Hashable,
        priority: int,
        grave: list[object],
    ) -> bool:
        """Connect; return whether a new connection was made.

        ``fresh`` (from :meth:`_prepare`) becomes the receiver's record unless
        it already has a live one; ``skey`` is ``self._sender_key(sender)``.
        """
        key = fresh.key
        record = self._records.get(key)
        if record is not None and not record.alive():
            self._remove_receiver(record, grave)
            record = None
        on_death = functools.partial(_receiver_died, self._me, key)
        if record is None:
            record = fresh
            record.hold(receiver, weak, on_death)
            self._records[key] = record
            self._async += record.is_async
            self.has_async_receivers = self._async > 0
        else:
            grave.append(record.hold(receiver, weak, on_death))
        self.receivers[key] = record.value
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
                self.has_async_receivers = self._async > 0
        return True

    def _remove_receiver(self, record: ReceiverRecord, grave: list[object]) -> None:
        for skey in list(record.links):
            self._unlink(record.key, skey, grave)

    def _sender_key(self, sender: t.Any) -> c.Hashable:
        return ANY if sender is ANY else sender_key(sender)

    def _connect_all(self, receiver: Receiver, priority: int) -> None:
        """Connect a namespace-wide receiver (see :meth:`Namespace.connect_all`)."""
        call = functools.partial(receiver, self)
        fresh = self._prepare(call, ("*", id(receiver)))
        with self._mutating() as grave:
            if fresh.key not in self._records:
                self._link(fresh, call, False, ANY, ANY, priority, grave)

    def _disconnect_all(self, receiver: Receiver) -> None:
        """Undo :meth:`_connect_all`."""
        key = ("*", id(receiver))
        with self._mutating() as grave:
            record = self._records.get(key)
            if record is not None:
                self._remove_receiver(record, grave)

    # -- weak reference callbacks -----------------------------------------

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
        global generation
        generation = next(_generations)
        self._by_id = None
        self._plans = {}
        self._pending.append(("sender", key, ref))
        self._drain()

    def _on_probe_used(self) -> None:
        self._pending.append(("rebuild", None, None))
        self._drain()

    def _describe(self) -> str:
        return repr(self)


def _order_of(link: tuple[c.Hashable, _Order, bool]) -> _Order:
    return link[1]


def _receiver_died(me: weakref.ref[Registry], key: c.Hashable, ref: object) -> None:
    signal = me()
    if signal is not None and not sys.is_finalizing():
        signal._on_receiver_death(key, ref)


def _sender_died(me: weakref.ref[Registry], key: c.Hashable, ref: object) -> None:
    signal = me()
    if signal is not None and not sys.is_finalizing():
        signal._on_sender_death(key, ref)


def _probe_used(me: weakref.ref[Registry]) -> None:
    signal = me()
    if signal is not None:
        signal._on_probe_used()
