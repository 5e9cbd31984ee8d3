"""tocsin.signals: async receivers (send_async) and error isolation (send_robust)."""

from __future__ import annotations

import asyncio
import functools
import typing as t

import pytest

from tocsin.signals import NamedSignal, Signal, request_started


class Sender:
    pass


def sync_receiver(sender: t.Any, **kwargs: t.Any) -> tuple[str, dict[str, t.Any]]:
    return ("sync", kwargs)


async def async_receiver(sender: t.Any, **kwargs: t.Any) -> tuple[str, dict[str, t.Any]]:
    await asyncio.sleep(0)
    return ("async", kwargs)


async def tagged(tag: str, sender: t.Any, **kwargs: t.Any) -> str:
    return tag


class AsyncCallable:
    async def __call__(self, sender: t.Any, **kwargs: t.Any) -> str:
        return "async object"


# -- send_async ---------------------------------------------------------------


def test_send_async_awaits_async_receivers_and_calls_sync_ones_in_order() -> None:
    sig = Signal()
    sig.connect(async_receiver)
    sig.connect(sync_receiver)
    results = asyncio.run(sig.send_async("s", n=1))
    assert results == [
        (async_receiver, ("async", {"n": 1})),
        (sync_receiver, ("sync", {"n": 1})),
    ]


def test_send_async_runs_receivers_one_after_another() -> None:
    sig = Signal()
    log: list[str] = []

    async def slow(sender: t.Any) -> None:
        log.append("slow start")
        await asyncio.sleep(0.01)
        log.append("slow end")

    async def fast(sender: t.Any) -> None:
        log.append("fast")

    sig.connect(slow, weak=False)
    sig.connect(fast, weak=False)
    asyncio.run(sig.send_async())
    assert log == ["slow start", "slow end", "fast"]


def test_partials_and_objects_with_async_call_are_async_receivers() -> None:
    sig = Signal()
    partial = functools.partial(tagged, "partial")
    nested = functools.partial(functools.partial(tagged), "nested")
    obj = AsyncCallable()
    for receiver in (partial, nested, obj):
        sig.connect(receiver, weak=False)
    assert sig.has_async_receivers
    results = asyncio.run(sig.send_async())
    assert [value for _, value in results] == ["partial", "nested", "async object"]


def test_bound_async_methods_are_async_receivers() -> None:
    class Listener:
        async def on(self, sender: t.Any) -> str:
            return "method"

    listener = Listener()
    sig = Signal()
    sig.connect(listener.on)
    assert sig.has_async_receivers
    assert [value for _, value in asyncio.run(sig.send_async())] == ["method"]


def test_send_async_respects_senders_and_mute() -> None:
    sig = Signal()
    mine = Sender()
    sig.connect(async_receiver, sender=mine)
    assert asyncio.run(sig.send_async(Sender())) == []
    assert len(asyncio.run(sig.send_async(mine))) == 1
    with sig.muted():
        assert asyncio.run(sig.send_async(mine)) == []


def test_send_async_rejects_extra_positional_arguments() -> None:
    sig = Signal()
    expected = r"^Signal\.send_async\(\) takes from 1 to 2 positional arguments but 3 were given$"
    with pytest.raises(TypeError, match=expected):
        asyncio.run(sig.send_async(1, 2))


# -- send meeting an async receiver -------------------------------------------


def test_send_refuses_async_receivers_with_a_message_saying_what_to_do() -> None:
    sig = NamedSignal("saved")
    sig.connect(async_receiver)
    expected = (
        "Cannot send to a coroutine function: signal 'saved' cannot call the coroutine "
        "receiver 'async_receiver' from send(); use 'await saved.send_async(...)', pass "
        "send() an _async_wrapper (such as app.ensure_sync), or serve the app with the "
        "ASGI driver"
    )
    with pytest.raises(RuntimeError) as caught:
        sig.send()
    assert str(caught.value) == expected


def test_the_message_for_a_built_in_signal_names_the_python_identifier() -> None:
    with (
        request_started.connected_to(async_receiver),
        pytest.raises(RuntimeError, match=r"'await request_started\.send_async\(\.\.\.\)'"),
    ):
        request_started.send(object())


def test_send_calls_no_receiver_before_refusing() -> None:
    sig = Signal()
    called: list[str] = []
    sig.connect(lambda sender: called.append("sync"), weak=False, priority=1)
    sig.connect(async_receiver)
    with pytest.raises(RuntimeError):
        sig.send()
    assert called == []


def test_an_async_receiver_for_another_sender_does_not_stop_send() -> None:
    sig = Signal()
    elsewhere = Sender()
    sig.connect(async_receiver, sender=elsewhere)
    sig.connect(sync_receiver)
    assert sig.has_async_receivers
    assert sig.send(Sender()) == [(sync_receiver, ("sync", {}))]
    with pytest.raises(RuntimeError):
        sig.send(elsewhere)


def test_send_robust_refuses_async_receivers_too() -> None:
    sig = Signal()
    sig.connect(async_receiver)
    expected = r"from send_robust\(\); use 'await signal\.send_robust_async"
    with pytest.raises(RuntimeError, match=expected):
        sig.send_robust()


def test_async_call_objects_are_refused_by_send() -> None:
    sig = Signal()
    receiver = AsyncCallable()
    sig.connect(receiver)
    with pytest.raises(RuntimeError, match="AsyncCallable"):
        sig.send()


# -- send_robust --------------------------------------------------------------


def fails(sender: t.Any, **kwargs: t.Any) -> None:
    raise ValueError(f"failed for {sender}")


def test_send_robust_calls_every_receiver_and_returns_exceptions() -> None:
    sig = Signal()
    sig.connect(sync_receiver, priority=1)
    sig.connect(fails)
    sig.connect(sync_receiver, sender="x")
    after = sig.connect(lambda sender, **kw: "after", weak=False)
    results = sig.send_robust("x", n=2)
    assert [receiver for receiver, _ in results] == [sync_receiver, fails, after]
    assert results[0][1] == ("sync", {"n": 2})
    error = results[1][1]
    assert isinstance(error, ValueError) and str(error) == "failed for x"
    assert error.__traceback__ is not None
    assert results[2][1] == "after"


def test_send_robust_lets_base_exceptions_through() -> None:
    sig = Signal()

    def interrupt(sender: t.Any) -> None:
        raise KeyboardInterrupt

    sig.connect(interrupt, weak=False)
    with pytest.raises(KeyboardInterrupt):
        sig.send_robust()


def test_send_robust_async_isolates_sync_and_async_failures() -> None:
    sig = Signal()

    async def async_fails(sender: t.Any) -> None:
        await asyncio.sleep(0)
        raise LookupError("async failure")

    sig.connect(async_fails, weak=False)
    sig.connect(fails)
    sig.connect(async_receiver)
    results = asyncio.run(sig.send_robust_async("s"))
    values = [value for _, value in results]
    assert isinstance(values[0], LookupError) and values[0].__traceback__ is not None
    assert isinstance(values[1], ValueError)
    assert values[2] == ("async", {})


def test_send_robust_async_lets_cancellation_through() -> None:
    sig = Signal()

    async def cancelled(sender: t.Any) -> None:
        raise asyncio.CancelledError

    sig.connect(cancelled, weak=False)
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(sig.send_robust_async())


def test_robust_sends_respect_mute_and_check_arguments() -> None:
    sig = Signal()
    sig.connect(fails)
    with sig.muted():
        assert sig.send_robust() == []
        assert asyncio.run(sig.send_robust_async()) == []
    with pytest.raises(TypeError):
        sig.send_robust(1, 2)
