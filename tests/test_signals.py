"""tocsin.signals: the blinker 1.9 API and semantics.

Receivers in these tests are module-level functions, or are connected with
``weak=False``, or are called before they die: a weakly connected nested
function that dies unused raises DeadReceiverWarning (see
test_signals_weak.py), and pytest runs with warnings as errors.
"""

from __future__ import annotations

import typing as t

import pytest

import tocsin.signals
from tocsin.signals import (
    ANY,
    NamedSignal,
    Namespace,
    Signal,
    default_namespace,
    receiver_connected,
    receiver_disconnected,
    signal,
)


def first(sender: t.Any, **kwargs: t.Any) -> tuple[str, t.Any, dict[str, t.Any]]:
    return ("first", sender, kwargs)


def second(sender: t.Any, **kwargs: t.Any) -> tuple[str, t.Any, dict[str, t.Any]]:
    return ("second", sender, kwargs)


def names(results: list[tuple[t.Any, t.Any]]) -> list[str]:
    return [value[0] for _, value in results]


class Sender:
    """A plain object: weakly referenceable, hashed by identity."""


# -- the public surface -------------------------------------------------------


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in vars(tocsin.signals).items()
        if not name.startswith("_") and not isinstance(value, type(tocsin))
    }
    assert sorted(tocsin.signals.__all__) == sorted(public - {"annotations"})


def test_blinker_names_are_importable() -> None:
    from tocsin.signals import ANY, NamedSignal, Namespace, Signal, default_namespace, signal

    assert callable(signal) and isinstance(default_namespace, Namespace)
    assert issubclass(NamedSignal, Signal) and Signal.ANY is ANY


def test_any_repr() -> None:
    assert repr(ANY) == "ANY"


def test_any_survives_pickling() -> None:
    import pickle

    assert pickle.loads(pickle.dumps(ANY)) is ANY


def test_named_signal_repr_and_name() -> None:
    sig = NamedSignal("saved", doc="Sent after saving.")
    assert sig.name == "saved"
    assert repr(sig) == "<NamedSignal 'saved'>"
    assert sig.__doc__ == "Sent after saving."


def test_signal_doc() -> None:
    assert Signal("Sent when it happens.").__doc__ == "Sent when it happens."
    assert Signal().__doc__ == Signal.__doc__


def test_namespace_is_a_dict_that_creates_signals_once() -> None:
    ns = Namespace()
    made = ns.signal("x", doc="first doc")
    assert ns.signal("x", doc="ignored") is made
    assert made.__doc__ == "first doc"
    assert isinstance(ns, dict) and dict(ns) == {"x": made}
    assert isinstance(made, NamedSignal) and made.name == "x"


def test_module_signal_uses_the_default_namespace() -> None:
    made = signal("test-signals-module-level")
    assert signal("test-signals-module-level") is made
    assert default_namespace["test-signals-module-level"] is made


# -- connect and send ---------------------------------------------------------


def test_send_returns_receivers_and_values_in_order() -> None:
    sig = Signal()
    sig.connect(first)
    sig.connect(second)
    sender = Sender()
    assert sig.send(sender, a=1) == [
        (first, ("first", sender, {"a": 1})),
        (second, ("second", sender, {"a": 1})),
    ]


def test_send_without_sender_sends_none() -> None:
    sig = Signal()
    sig.connect(first)
    assert sig.send() == [(first, ("first", None, {}))]


def test_send_with_no_receivers_returns_an_empty_list() -> None:
    sig = Signal()
    assert sig.send(1, a=2) == []
    assert not sig.receivers


def test_connect_returns_the_receiver_and_works_as_a_decorator() -> None:
    sig = Signal()
    assert sig.connect(first) is first

    @sig.connect
    def decorated(sender: t.Any) -> str:
        return "decorated"

    assert names(sig.send(None)) == ["first", "d"]


def test_connecting_twice_for_the_same_sender_calls_once() -> None:
    sig = Signal()
    sig.connect(first)
    sig.connect(first)
    sender = Sender()
    sig.connect(second, sender=sender)
    sig.connect(second, sender=sender)
    assert names(sig.send(sender)) == ["first", "second"]


def test_receiver_connected_for_any_and_for_the_sender_is_called_once() -> None:
    sig = Signal()
    sender = Sender()
    sig.connect(first)
    sig.connect(first, sender=sender)
    assert sig.send(sender) == [(first, ("first", sender, {}))]


def test_sender_specific_receivers_only_hear_their_sender() -> None:
    sig = Signal()
    mine, other = Sender(), Sender()
    sig.connect(first, sender=mine)
    sig.connect(second)
    assert names(sig.send(mine)) == ["first", "second"]
    assert names(sig.send(other)) == ["second"]
    assert names(sig.send()) == ["second"]


def test_str_and_int_senders_match_by_value_like_blinker() -> None:
    sig = Signal()
    sig.connect(first, sender="".join(["ab", "c"]))
    sig.connect(second, sender=10**6)
    assert names(sig.send("abc")) == ["first"]
    assert names(sig.send(int("1000000"))) == ["second"]
    assert sig.send("abd") == [] and sig.send(10**6 + 1) == []


def test_unhashable_senders_match_by_identity() -> None:
    sig = Signal()
    owner: dict[str, int] = {}
    listed: list[int] = []
    sig.connect(first, sender=owner)
    sig.connect(second, sender=listed)
    assert names(sig.send(owner)) == ["first"]
    assert names(sig.send(listed)) == ["second"]
    assert sig.send({}) == [] and sig.send([]) == []


def test_bound_method_senders_match_any_bound_method_of_the_same_object() -> None:
    class Thing:
        def act(self) -> None: ...

    thing = Thing()
    sig = Signal()
    sig.connect(first, sender=thing.act)
    assert names(sig.send(thing.act)) == ["first"]


def test_send_with_two_positional_arguments_is_a_type_error_as_in_blinker() -> None:
    sig = NamedSignal("saved")
    expected = r"^Signal\.send\(\) takes from 1 to 2 positional arguments but 3 were given$"
    with pytest.raises(TypeError, match=expected):
        sig.send(1, 2)
    sig.connect(first)
    with pytest.raises(TypeError, match=r"but 4 were given$"):
        sig.send(1, 2, 3)


def test_connecting_a_non_callable_is_a_type_error_naming_it() -> None:
    sig = NamedSignal("saved")
    with pytest.raises(TypeError, match=r"cannot connect 42 to signal 'saved'.*int objects"):
        sig.connect(42)  # type: ignore[type-var]
    with pytest.raises(TypeError, match="cannot connect 'nope'"):
        sig.connect("nope", weak=False)  # type: ignore[type-var]
    assert not sig.receivers


def test_weak_connection_of_an_object_without_weakref_support_says_what_to_do() -> None:
    class Slotted:
        __slots__ = ()

        def __call__(self, sender: t.Any) -> str:
            return "slotted"

    sig = Signal()
    receiver = Slotted()
    with pytest.raises(TypeError, match="do not support weak references; pass weak=False"):
        sig.connect(receiver)
    assert not sig.receivers
    sig.connect(receiver, weak=False)
    assert sig.send() == [(receiver, "slotted")]


def test_receiver_exceptions_propagate_and_stop_the_send() -> None:
    sig = Signal()
    calls = []

    def boom(sender: t.Any) -> None:
        calls.append("boom")
        raise ValueError("boom")

    sig.connect(boom, weak=False)
    sig.connect(lambda sender: calls.append("after"), weak=False)
    with pytest.raises(ValueError, match="boom"):
        sig.send()
    assert calls == ["boom"]


# -- disconnect, receivers, has_receivers_for, receivers_for ------------------


def test_disconnect_with_any_removes_every_connection() -> None:
    sig = Signal()
    sender = Sender()
    sig.connect(first)
    sig.connect(first, sender=sender)
    sig.disconnect(first)
    assert sig.send(sender) == []
    assert not sig.receivers


def test_disconnect_for_one_sender_keeps_the_others() -> None:
    sig = Signal()
    a, b = Sender(), Sender()
    sig.connect(first, sender=a)
    sig.connect(first, sender=b)
    sig.disconnect(first, sender=a)
    assert sig.send(a) == []
    assert names(sig.send(b)) == ["first"]
    sig.disconnect(first, sender=b)
    assert not sig.receivers  # blinker keeps a stale entry here


def test_disconnecting_what_is_not_connected_does_nothing() -> None:
    sig = Signal()
    sig.disconnect(first)
    sig.disconnect(first, sender=Sender())
    sig.connect(first)
    sig.disconnect(first, sender=Sender())
    assert names(sig.send()) == ["first"]


def test_receivers_truth_value_says_whether_anything_is_connected() -> None:
    sig = Signal()
    mine = Sender()
    assert not sig.receivers
    sig.connect(first, sender=mine)
    assert sig.receivers
    sig.disconnect(first)
    assert not sig.receivers


def test_has_receivers_for() -> None:
    sig = Signal()
    mine, other = Sender(), Sender()
    assert not sig.has_receivers_for(mine)
    sig.connect(first, sender=mine)
    assert sig.has_receivers_for(mine)
    assert not sig.has_receivers_for(other)
    assert not sig.has_receivers_for(ANY)
    sig.connect(second)
    assert sig.has_receivers_for(other) and sig.has_receivers_for(ANY)


def test_receivers_for_yields_in_call_order() -> None:
    sig = Signal()
    mine = Sender()
    sig.connect(first, sender=mine)
    sig.connect(second, priority=1)
    assert list(sig.receivers_for(mine)) == [second, first]
    assert list(sig.receivers_for(Sender())) == [second]
    assert list(sig.receivers_for(ANY)) == [second]


# -- connect_via, connected_to, muted -----------------------------------------


def test_connect_via_connects_strongly_by_default() -> None:
    sig = Signal()
    mine = Sender()

    def install() -> None:
        @sig.connect_via(mine)
        def local(sender: t.Any) -> str:
            return "local"

    install()  # ``local`` is now referenced only by the signal
    assert sig.send(mine) == [(next(sig.receivers_for(mine)), "local")]
    assert sig.send(Sender()) == []


def test_connect_via_keeps_the_decorated_function() -> None:
    sig = Signal()

    @sig.connect_via(ANY, priority=3)
    def decorated(sender: t.Any) -> str:
        return "decorated"

    assert decorated(None) == "decorated"
    assert sig.send() == [(decorated, "decorated")]


def test_connected_to_connects_for_the_block_only() -> None:
    sig = Signal()
    with sig.connected_to(first):
        assert names(sig.send()) == ["first"]
    assert sig.send() == []


def test_connected_to_disconnects_after_an_exception() -> None:
    sig = Signal()
    with pytest.raises(KeyError), sig.connected_to(first):
        raise KeyError("x")
    assert not sig.receivers


def test_connected_to_removes_only_its_own_connection() -> None:
    sig = Signal()
    a, b = Sender(), Sender()
    sig.connect(first, sender=a)
    with sig.connected_to(first, sender=b):
        assert names(sig.send(b)) == ["first"]
    assert names(sig.send(a)) == ["first"]  # blinker would have removed this too
    assert sig.send(b) == []


def test_muted_drops_sends() -> None:
    sig = Signal()
    sig.connect(first)
    with sig.muted():
        assert sig.is_muted
        assert sig.send(1) == []
    assert not sig.is_muted
    assert names(sig.send(1)) == ["first"]


def test_muted_nests() -> None:
    sig = Signal()
    sig.connect(first)
    with sig.muted():
        with sig.muted():
            pass
        assert sig.send() == []  # blinker unmutes here
    assert names(sig.send()) == ["first"]


def test_is_muted_can_be_assigned_like_blinkers_attribute() -> None:
    sig = Signal()
    sig.connect(first)
    sig.is_muted = True
    assert sig.send() == []
    sig.is_muted = False
    assert names(sig.send()) == ["first"]


def test_muted_send_still_checks_its_arguments() -> None:
    sig = Signal()
    with sig.muted(), pytest.raises(TypeError):
        sig.send(1, 2)


def test_inspecting_a_muted_signal_does_not_unmute_it() -> None:
    sig = Signal()
    mine = Sender()
    sig.connect(first)
    sig.connect(second, sender=mine)
    with sig.muted():
        assert sig.has_receivers_for(Sender()) and sig.has_receivers_for(mine)
        assert list(sig.receivers_for(mine)) == [first, second]
        assert sig.send() == [] and sig.send(mine) == []
    assert names(sig.send(mine)) == ["first", "second"]


def test_connect_while_muted_stays_muted() -> None:
    sig = Signal()
    mine = Sender()
    with sig.muted():
        sig.connect(first)
        sig.connect(second, sender=mine)
        assert sig.send(mine) == []
    assert names(sig.send()) == ["first"]


# -- meta signals -------------------------------------------------------------


def test_per_signal_receiver_connected_and_disconnected() -> None:
    sig = Signal()
    seen: list[tuple[str, t.Any, dict[str, t.Any]]] = []

    def on_connect(signal: t.Any, **kwargs: t.Any) -> None:
        seen.append(("connected", signal, kwargs))

    def on_disconnect(signal: t.Any, **kwargs: t.Any) -> None:
        seen.append(("disconnected", signal, kwargs))

    sig.receiver_connected.connect(on_connect)
    sig.receiver_disconnected.connect(on_disconnect)
    assert sig.receiver_connected is sig.receiver_connected
    mine = Sender()
    sig.connect(first, sender=mine, weak=False)
    sig.disconnect(first, sender=mine)
    assert seen == [
        ("connected", sig, {"receiver": first, "sender": mine, "weak": False}),
        ("disconnected", sig, {"receiver": first, "sender": mine}),
    ]


def test_module_level_meta_signals_use_arg_suffixed_keywords() -> None:
    sig = Signal()
    seen: list[tuple[str, t.Any, dict[str, t.Any]]] = []

    def on_connect(signal: t.Any, **kwargs: t.Any) -> None:
        seen.append(("connected", signal, kwargs))

    def on_disconnect(signal: t.Any, **kwargs: t.Any) -> None:
        seen.append(("disconnected", signal, kwargs))

    with (
        receiver_connected.connected_to(on_connect),
        receiver_disconnected.connected_to(on_disconnect),
    ):
        sig.connect(first)
        sig.disconnect(first)
    assert seen == [
        ("connected", sig, {"receiver_arg": first, "sender_arg": ANY, "weak_arg": True}),
        ("disconnected", sig, {"receiver_arg": first, "sender_arg": ANY}),
    ]


def test_meta_signals_are_sent_even_when_nothing_changes_like_blinker() -> None:
    sig = Signal()
    seen: list[str] = []
    sig.receiver_connected.connect(lambda signal, **kw: seen.append("c"), weak=False)
    sig.receiver_disconnected.connect(lambda signal, **kw: seen.append("d"), weak=False)
    sig.connect(first)
    sig.connect(first)
    sig.disconnect(first)
    sig.disconnect(first)
    assert seen == ["c", "c", "d", "d"]


def test_a_raising_receiver_connected_receiver_undoes_the_connection() -> None:
    sig = Signal()

    def refuse(signal: t.Any, **kwargs: t.Any) -> None:
        raise LookupError("refused")

    sig.receiver_connected.connect(refuse)
    with pytest.raises(LookupError, match="refused"):
        sig.connect(first)
    assert not sig.receivers
    assert sig.send() == []


def test_a_raising_meta_receiver_does_not_undo_an_earlier_connection() -> None:
    sig = Signal()
    sig.connect(first)

    def refuse(signal: t.Any, **kwargs: t.Any) -> None:
        raise LookupError("refused")

    sig.receiver_connected.connect(refuse)
    with pytest.raises(LookupError):
        sig.connect(first)
    assert names(sig.send()) == ["first"]


def test_has_async_receivers() -> None:
    sig = Signal()
    assert not sig.has_async_receivers

    async def coro(sender: t.Any) -> None: ...

    sig.connect(first)
    assert not sig.has_async_receivers
    mine = Sender()
    sig.connect(coro, sender=mine)
    assert sig.has_async_receivers
    sig.disconnect(coro)
    assert not sig.has_async_receivers
