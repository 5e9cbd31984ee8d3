"""Signals: :class:`Signal`, :class:`NamedSignal`, and the module-level meta-signals.

The public API and the send paths live here; the bookkeeping they read
(connections, cached plans, weak-reference callbacks) is in ``_registry``.
"""

from __future__ import annotations

import collections.abc as c
import functools
import inspect
import typing as t
from contextlib import contextmanager

from ._receivers import Getter, Receiver, receiver_key
from ._registry import ANY, Plan, Registry

__all__ = ["ANY", "NamedSignal", "Signal", "receiver_connected", "receiver_disconnected"]

F = t.TypeVar("F", bound=c.Callable[..., t.Any])

AsyncWrapper: t.TypeAlias = c.Callable[[Receiver], c.Callable[..., t.Any]]
"""Turns an async receiver into a sync callable (``send``'s ``_async_wrapper``)."""
SyncWrapper: t.TypeAlias = c.Callable[[Receiver], c.Callable[..., c.Awaitable[t.Any]]]
"""Turns a sync receiver into a callable returning an awaitable (``_sync_wrapper``)."""

_NOTHING: Plan = ((), (), False)


class Signal(Registry):
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
        super().__init__()
        if doc:
            self.__doc__ = doc
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
        fresh = self._prepare(receiver, receiver_key(receiver))
        skey = self._sender_key(sender)
        with self._mutating() as grave:
            added = self._link(fresh, receiver, weak, sender, skey, priority, grave)
        try:
            self._announce_connect(receiver, sender, weak)
        except BaseException:
            if added:
                with self._mutating() as grave:
                    self._unlink(fresh.key, skey, grave)
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
        key, skey = receiver_key(receiver), self._sender_key(sender)
        with self._mutating() as grave:
            record = self._records.get(key)
            if record is not None and skey is ANY:
                self._remove_receiver(record, grave)
            elif record is not None:
                self._unlink(key, skey, grave)
        self._announce_disconnect(receiver, sender)

    def send(self, sender: t.Any = None, /, **kwargs: t.Any) -> list[tuple[Receiver, t.Any]]:
        """Call every receiver connected for ``sender`` or for :data:`ANY`.

        The signature is blinker's, ``send(sender=None, /, *,
        _async_wrapper=None, **kwargs)`` (as :func:`inspect.signature` says);
        the wrapper is read from *kwargs* only when a receiver is to be
        called, so that a send nobody listens to costs nothing more.

        :param sender: The object the signal is sent for, passed to each
            receiver as its only positional argument.
        :param _async_wrapper: As in blinker: called with each async receiver,
            it returns a sync callable that is called instead, such as
            ``app.ensure_sync``. Never passed to receivers.
        :param kwargs: Keyword arguments passed to every receiver.
        :return: A list of ``(receiver, return value)`` pairs, in call order.

        Receivers are called by priority, then in connection order. If one
        raises, the exception propagates and later receivers are not called
        (see :meth:`send_robust`). Without ``_async_wrapper``, if the
        receivers for ``sender`` include an async one, a :exc:`RuntimeError`
        is raised before any is called (blinker raises when it reaches that
        receiver). A muted signal returns ``[]``.
        """
        # The hot path: one attribute read when no receiver is tied to a
        # sender, one dict lookup when some are; see the module docstring.
        # Neither holds async receivers, so the wrapper only matters below.
        calls = self._fast
        if calls is None:
            by_id = self._by_id
            if by_id is None:
                return self._send_slow(sender, kwargs.pop("_async_wrapper", None), kwargs)
            plans, calls = by_id
            calls = plans.get(id(sender), calls)
            if calls is None:
                return self._send_slow(sender, kwargs.pop("_async_wrapper", None), kwargs)
        if not calls:
            return []
        kwargs.pop("_async_wrapper", None)  # blinker's argument, never a receiver's
        results = []
        for get in calls:
            receiver = get()
            if receiver is not None:
                results.append((receiver, receiver(sender, **kwargs)))
        return results

    def send_robust(
        self,
        sender: t.Any = None,
        /,
        *,
        _async_wrapper: AsyncWrapper | None = None,
        **kwargs: t.Any,
    ) -> list[tuple[Receiver, t.Any]]:
        """Call every receiver like :meth:`send`, even when some of them raise.

        :param sender: As for :meth:`send`.
        :param _async_wrapper: As for :meth:`send`; an exception from the
            wrapper, or from what it returns, is that receiver's result.
        :param kwargs: As for :meth:`send`.
        :return: ``(receiver, return value)`` pairs, where a receiver that
            raised an :exc:`Exception` has the exception object (with its
            ``__traceback__``) as its value.

        Like Django's ``send_robust``; not in blinker. :exc:`BaseException`
        subclasses that are not :exc:`Exception` (``KeyboardInterrupt``,
        ``SystemExit``) still propagate.
        """
        calls = self._hot_calls(sender)
        if calls is None:  # muted, async receivers...: the general path decides
            return self._send_robust_slow(sender, _async_wrapper, kwargs)
        results: list[tuple[Receiver, t.Any]] = []
        for get in calls:
            receiver = get()
            if receiver is not None:
                try:
                    value = receiver(sender, **kwargs)
                except Exception as exc:
                    value = exc
                results.append((receiver, value))
        return results

    def _send_robust_slow(
        self, sender: t.Any, wrapper: AsyncWrapper | None, kwargs: dict[str, t.Any]
    ) -> list[tuple[Receiver, t.Any]]:
        results: list[tuple[Receiver, t.Any]] = []
        for receiver, is_async in self._deliveries(sender, "send_robust", wrapper is None):
            try:
                call = wrapper(receiver) if is_async and wrapper is not None else receiver
                value = call(sender, **kwargs)
            except Exception as exc:
                value = exc
            results.append((receiver, value))
        return results

    def _hot_calls(self, sender: t.Any) -> tuple[Getter, ...] | None:
        """The getters :meth:`send` would call for ``sender``, or ``None`` for the general path."""
        calls = self._fast
        if calls is None:
            by_id = self._by_id
            if by_id is None:
                return None
            plans, calls = by_id
            calls = plans.get(id(sender), calls)
        return calls

    async def send_async(
        self,
        sender: t.Any = None,
        /,
        *,
        _sync_wrapper: SyncWrapper | None = None,
        **kwargs: t.Any,
    ) -> list[tuple[Receiver, t.Any]]:
        """Call every receiver like :meth:`send`, awaiting the async ones.

        :param sender: As for :meth:`send`.
        :param _sync_wrapper: As in blinker: called with each sync receiver,
            it returns a callable whose result is awaited instead (one that
            runs the receiver in a thread, say). Never passed to receivers.
        :param kwargs: As for :meth:`send`.
        :return: As for :meth:`send`, with awaited results.

        Receivers still run one after another, in order, never concurrently.
        Without ``_sync_wrapper``, sync receivers are called directly, in the
        event loop's thread, so they should be quick; blinker refuses them
        instead.
        """
        results: list[tuple[Receiver, t.Any]] = []
        for receiver, is_async in self._deliveries(sender, "send_async", False):
            if is_async:
                value = await receiver(sender, **kwargs)
            elif _sync_wrapper is not None:
                value = await _sync_wrapper(receiver)(sender, **kwargs)
            else:
                value = receiver(sender, **kwargs)
            results.append((receiver, value))
        return results

    async def send_robust_async(
        self,
        sender: t.Any = None,
        /,
        *,
        _sync_wrapper: SyncWrapper | None = None,
        **kwargs: t.Any,
    ) -> list[tuple[Receiver, t.Any]]:
        """Call every receiver like :meth:`send_async`, even when some of them raise.

        :param sender: As for :meth:`send`.
        :param _sync_wrapper: As for :meth:`send_async`; an exception from the
            wrapper, or from awaiting what it returns, is that receiver's result.
        :param kwargs: As for :meth:`send`.
        :return: As for :meth:`send_robust`.

        Not in blinker. Cancellation (:exc:`asyncio.CancelledError`, a
        :exc:`BaseException`) still propagates.
        """
        results: list[tuple[Receiver, t.Any]] = []
        for receiver, is_async in self._deliveries(sender, "send_robust_async", False):
            try:
                if is_async:
                    value = await receiver(sender, **kwargs)
                elif _sync_wrapper is not None:
                    value = await _sync_wrapper(receiver)(sender, **kwargs)
                else:
                    value = receiver(sender, **kwargs)
            except Exception as exc:
                value = exc
            results.append((receiver, value))
        return results

    def has_receivers_for(self, sender: t.Any) -> bool:
        """Return whether any live receiver is connected for ``sender`` (or for ANY).

        :param sender: A sender; :data:`ANY` asks about receivers connected
            for every sender only.

        As in blinker, muting does not change the answer; unlike blinker,
        weakly referenced receivers that have died do not count. The cheaper
        ``if signal.receivers:`` says whether anything at all is connected.
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

    # -- delivery for the web core -------------------------------------------

    def _sync_calls(self, sender: t.Any) -> tuple[Getter, ...] | None:
        """The getters of the receivers a send for ``sender`` calls, or ``None``.

        ``None`` when one of them is ``async`` (a send needs
        :meth:`send_async`); ``()`` when the signal is muted. Callers may
        keep the answer while :data:`~tocsin.signals._registry.generation`
        stays the same, and call each receiver the getters return (unless
        ``None``: it died) as :meth:`send` would.
        """
        if self._muted:
            return ()
        getters, _, has_async = self._plan_for(sender)
        return None if has_async else getters

    # -- sending ------------------------------------------------------------

    def _send_slow(
        self, sender: t.Any, wrapper: AsyncWrapper | None, kwargs: dict[str, t.Any]
    ) -> list[tuple[Receiver, t.Any]]:
        """The general path of :meth:`send`: the same loop, after :meth:`_checked_plan`."""
        results = []
        for receiver, is_async in self._deliveries(sender, "send", wrapper is None):
            call = wrapper(receiver) if is_async and wrapper is not None else receiver
            results.append((receiver, call(sender, **kwargs)))
        return results

    def _deliveries(
        self, sender: t.Any, method: str, sync_only: bool
    ) -> c.Iterator[tuple[Receiver, bool]]:
        """Yield ``(receiver, is_async)`` for one send, after checking the call."""
        getters, flags, _ = self._checked_plan(sender, method, sync_only)
        for get, is_async in zip(getters, flags, strict=True):
            receiver = get()
            if receiver is not None:
                yield receiver, is_async

    def _checked_plan(self, sender: t.Any, method: str, sync_only: bool) -> Plan:
        """Return the plan a send for ``sender`` runs; ``sync_only`` refuses async receivers."""
        if self._muted:
            return _NOTHING
        plan = self._plan_for(sender)
        if sync_only and plan[2]:
            raise self._async_error(plan[0], plan[1], method)
        return plan

    def _async_error(
        self, getters: tuple[Getter, ...], flags: tuple[bool, ...], method: str
    ) -> RuntimeError:
        receiver = next(get() for get, is_async in zip(getters, flags, strict=True) if is_async)
        while isinstance(receiver, functools.partial):
            receiver = receiver.func
        name = getattr(receiver, "__qualname__", None) or repr(receiver)
        return RuntimeError(
            f"Cannot send to a coroutine function: {self._describe()} cannot call the "
            f"coroutine receiver {name!r} from {method}(); use "
            f"'await {self._identifier()}.{method}_async(...)', pass {method}() an "
            "_async_wrapper (such as app.ensure_sync), or serve the app with the ASGI driver"
        )

    def _mute(self, delta: int) -> None:
        with self._mutating():
            self._muted = max(0, self._muted + delta)

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


receiver_connected = Signal(
    doc="""Sent after a receiver is connected to any signal.

    The sender is the signal; the keyword arguments are ``receiver_arg``,
    ``sender_arg`` and ``weak_arg`` (the :meth:`Signal.connect` arguments,
    renamed so they cannot clash with the positional sender), as blinker's
    module-level ``receiver_connected`` sent them until blinker made it
    private and then removed it (1.9 has only the per-signal one, which
    Tocsin also has: :attr:`Signal.receiver_connected`). If a receiver of
    this signal raises, the new connection is undone.
    """
)

receiver_disconnected = Signal(
    doc="""Sent after :meth:`Signal.disconnect` is called on any signal.

    The sender is the signal; the keyword arguments are ``receiver_arg`` and
    ``sender_arg``, named like :data:`receiver_connected`'s. Not sent when a
    weakly referenced receiver or sender is collected. A Tocsin addition;
    each signal also has its own :attr:`Signal.receiver_disconnected`, as in
    blinker 1.9.
    """
)


def _blinker_send(
    self: Signal,
    sender: t.Any = None,
    /,
    *,
    _async_wrapper: AsyncWrapper | None = None,
    **kwargs: t.Any,
) -> list[tuple[Receiver, t.Any]]:
    """``Signal.send`` as blinker declares it (what :func:`inspect.signature` reports)."""
    raise NotImplementedError


Signal.send.__signature__ = inspect.signature(_blinker_send)  # type: ignore[attr-defined]
