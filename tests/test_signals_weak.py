"""tocsin.signals: weak references to receivers and senders, and DeadReceiverWarning."""

from __future__ import annotations

import functools
import gc
import typing as t
import warnings

import pytest

from tocsin.signals import ANY, DeadReceiverWarning, NamedSignal, Signal


class Sender:
    pass


def plain(sender: t.Any, **kwargs: t.Any) -> str:
    return "plain"


def make_local() -> t.Callable[..., str]:
    def local(sender: t.Any, **kwargs: t.Any) -> str:
        return "local"

    return local


def module_level_function() -> t.Callable[..., str]:
    """Return a new function whose qualname is module-level, as if defined at top level."""
    namespace: dict[str, t.Any] = {}
    exec("def handler(sender, **kwargs):\n    return 'handler'\n", namespace)
    handler: t.Callable[..., str] = namespace["handler"]
    return handler


# -- receivers ----------------------------------------------------------------


def test_a_collected_weak_receiver_is_disconnected() -> None:
    sig = Signal()
    receiver = make_local()
    sig.connect(receiver)
    assert sig.send() == [(receiver, "local")]
    del receiver
    gc.collect()
    assert not sig.receivers
    assert sig.send() == []


def test_a_weak_bound_method_goes_with_its_object() -> None:
    class Listener:
        def on(self, sender: t.Any) -> str:
            return "method"

    sig = Signal()
    listener = Listener()
    sig.connect(listener.on)
    sig.connect(listener.on)  # a new bound method object, the same receiver
    assert sig.send() == [(listener.on, "method")]
    del listener
    gc.collect()
    assert not sig.receivers and sig.send() == []


def test_a_weak_callable_object_goes_when_collected() -> None:
    class Callable:
        def __call__(self, sender: t.Any) -> str:
            return "object"

    sig = Signal()
    receiver = Callable()
    sig.connect(receiver)
    assert sig.send() == [(receiver, "object")]
    del receiver
    gc.collect()
    assert not sig.receivers


def test_a_strong_receiver_outlives_its_last_outside_reference() -> None:
    sig = Signal()
    sig.connect(make_local(), weak=False)
    gc.collect()
    assert [value for _, value in sig.send()] == ["local"]


def test_the_latest_connect_decides_weak_or_strong_like_blinker() -> None:
    sig = Signal()
    mine = Sender()
    receiver = make_local()
    sig.connect(receiver)
    sig.connect(receiver, sender=mine, weak=False)
    del receiver
    gc.collect()
    assert [value for _, value in sig.send(mine)] == ["local"]

    receiver = make_local()
    sig.connect(receiver, weak=False)
    sig.connect(receiver, weak=True)
    assert [value for _, value in sig.send()] == ["local", "local"]
    del receiver
    gc.collect()
    assert [value for _, value in sig.send()] == ["local"]


def test_a_new_receiver_is_not_mistaken_for_a_dead_one() -> None:
    sig = Signal()
    for _ in range(50):  # dead ids get reused by the next function object
        receiver = make_local()
        sig.connect(receiver)
        assert sig.send() == [(receiver, "local")]
        del receiver
    gc.collect()
    assert not sig.receivers


def test_a_receiver_weakly_connected_to_several_signals() -> None:
    one, two = Signal(), Signal()
    receiver = make_local()
    one.connect(receiver)
    two.connect(receiver)
    one.send()  # a first call by any signal means it was no accident: no warning
    del receiver
    gc.collect()
    assert not one.receivers and not two.receivers


# -- senders ------------------------------------------------------------------


def test_a_collected_sender_takes_its_connections_with_it() -> None:
    sig = Signal()
    mine = Sender()
    sig.connect(plain, sender=mine)
    assert sig.has_receivers_for(mine)
    del mine
    gc.collect()
    assert not sig.receivers


def test_a_collected_sender_leaves_other_connections_alone() -> None:
    sig = Signal()
    mine, other = Sender(), Sender()
    sig.connect(plain, sender=mine)
    sig.connect(plain, sender=other)
    sig.connect(make_local(), weak=False)
    del mine
    gc.collect()
    assert [value for _, value in sig.send(other)] == ["plain", "local"]  # connection order
    assert [value for _, value in sig.send(Sender())] == ["local"]


def test_a_new_sender_reusing_a_dead_senders_id_gets_no_stale_receivers() -> None:
    sig = Signal()
    sig.connect(make_local(), weak=False)
    for _ in range(50):
        mine = Sender()
        sig.connect(plain, sender=mine)
        assert [value for _, value in sig.send(mine)] == ["local", "plain"]
        del mine
        fresh = Sender()  # may well get the dead sender's id
        assert [value for _, value in sig.send(fresh)] == ["local"]
        del fresh
    assert list(sig.receivers_for(ANY)) == list(sig.receivers_for(Sender()))


def test_a_sender_without_weakref_support_is_held_until_disconnected() -> None:
    deleted: list[str] = []

    class Slotted:
        __slots__ = ()

        def __del__(self) -> None:
            deleted.append("gone")

    sig = Signal()
    mine = Slotted()
    sig.connect(plain, sender=mine)
    del mine
    gc.collect()
    assert deleted == []  # held strongly, so its id cannot be reused meanwhile
    assert sig.receivers
    sig.disconnect(plain)
    gc.collect()
    assert deleted == ["gone"]


def test_a_bound_method_sender_is_held_weakly_through_its_object() -> None:
    class Thing:
        def act(self) -> None: ...

    thing = Thing()
    sig = Signal()
    sig.connect(plain, sender=thing.act)
    gc.collect()  # the temporary bound method is gone, the connection is not
    assert [value for _, value in sig.send(thing.act)] == ["plain"]
    del thing
    gc.collect()
    assert not sig.receivers


# -- DeadReceiverWarning ------------------------------------------------------


def test_a_weakly_connected_lambda_warns_at_once() -> None:
    sig = NamedSignal("saved")
    with pytest.warns(DeadReceiverWarning) as caught:
        sig.connect(lambda sender: None)
        gc.collect()
    message = str(caught[0].message)
    assert "<lambda>" in message and "signal 'saved'" in message
    assert "never ran" in message and "weak=False" in message
    assert not sig.receivers


def test_a_local_function_collected_before_its_first_call_warns() -> None:
    sig = NamedSignal("saved")
    receiver = make_local()
    sig.connect(receiver)
    with pytest.warns(DeadReceiverWarning, match=r"make_local\.<locals>\.local was connected"):
        del receiver
        gc.collect()


def test_a_weakly_connected_partial_warns() -> None:
    sig = NamedSignal("saved")
    with pytest.warns(DeadReceiverWarning, match=r"functools\.partial\(.*plain, \.\.\.\)"):
        sig.connect(functools.partial(plain))
        gc.collect()


def test_no_warning_once_the_receiver_has_run() -> None:
    sig = Signal()
    receiver = make_local()
    sig.connect(receiver)
    sig.send()
    assert sig.send() == [(receiver, "local")]  # still delivered after the first use
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        del receiver
        gc.collect()
    assert not sig.receivers


def test_no_warning_once_receivers_for_has_handed_it_out() -> None:
    sig = Signal()
    receiver = make_local()
    sig.connect(receiver)
    assert list(sig.receivers_for(None)) == [receiver]
    del receiver
    gc.collect()
    assert not sig.receivers


def test_no_warning_for_a_module_level_function_deleted_on_purpose() -> None:
    sig = Signal()
    handler = module_level_function()
    sig.connect(handler)
    del handler
    gc.collect()
    assert not sig.receivers


def test_no_warning_for_a_strongly_connected_lambda() -> None:
    sig = Signal()
    sig.connect(lambda sender: "kept", weak=False)
    gc.collect()
    assert [value for _, value in sig.send()] == ["kept"]


def test_no_warning_for_a_receiver_disconnected_before_it_dies() -> None:
    sig = Signal()
    receiver = make_local()
    sig.connect(receiver)
    sig.disconnect(receiver)
    del receiver
    gc.collect()


def test_no_warning_when_the_signal_dies_first() -> None:
    sig = Signal()
    receiver = make_local()
    sig.connect(receiver)
    del sig
    gc.collect()
    del receiver
    gc.collect()


def test_the_warning_is_a_user_warning() -> None:
    assert issubclass(DeadReceiverWarning, UserWarning)
