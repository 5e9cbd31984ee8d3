"""tocsin.signals: connect and disconnect from other threads while sends run.

Each test churns real threads and then checks exact outcomes: no exception
anywhere, receivers that were never touched are never missed by a send,
and the final set of receivers is exactly what the threads left connected.
"""

from __future__ import annotations

import collections.abc as c
import gc
import sys
import threading
import typing as t

import pytest

from tocsin.signals import ANY, Namespace, Signal

CHURNERS = 8
SENDERS = 4
ITERATIONS = 1500


class Sender:
    pass


class Listener:
    """Owner of a weakly connected bound-method receiver."""

    def on(self, sender: t.Any, **kwargs: t.Any) -> str:
        return "listener"


def receiver_named(name: str) -> t.Callable[..., str]:
    def receiver(sender: t.Any, **kwargs: t.Any) -> str:
        return name

    return receiver


@pytest.fixture(autouse=True)
def fast_switching() -> c.Iterator[None]:
    """Make the interpreter switch threads very often, to provoke races."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def run_threads(targets: list[t.Callable[[], None]]) -> list[BaseException]:
    """Run every target in its own thread, started together; return what they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(targets))

    def guarded(target: t.Callable[[], None]) -> None:
        barrier.wait()
        try:
            target()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_churning_connections_never_disturb_sends() -> None:
    sig = Signal()
    mine = Sender()
    stable = [receiver_named(f"stable{i}") for i in range(3)]
    sig.connect(stable[0], weak=False)
    sig.connect(stable[1], sender=mine, weak=False)
    sig.connect(stable[2], weak=False, priority=-3)
    left: dict[int, list[t.Callable[..., str]]] = {}

    def churn(index: int) -> t.Callable[[], None]:
        def run() -> None:
            own = [receiver_named(f"t{index}r{i}") for i in range(4)]
            for n in range(ITERATIONS):
                receiver, target = own[n % 4], (mine if n % 3 else Sender())
                sig.connect(receiver, sender=target, weak=False, priority=n % 5 - 2)
                sig.disconnect(receiver, sender=target if n % 2 else ANY)
            sig.connect(own[0], weak=False)
            sig.connect(own[1], sender=mine, weak=False)
            left[index] = own[:2]

        return run

    def send() -> None:
        while len(left) < CHURNERS:
            for results in (sig.send(mine, n=1), sig.send_robust(mine)):
                got = [receiver for receiver, _ in results]
                assert len(got) == len(set(got)), "a receiver was called twice"
                positions = [got.index(receiver) for receiver in stable]
                assert positions == sorted(positions), "stable receivers out of order"
            assert stable[0] in list(sig.receivers_for(Sender()))

    errors = run_threads([churn(i) for i in range(CHURNERS)] + [send] * SENDERS)
    assert errors == []
    expected_any = {stable[0], stable[2]} | {own[0] for own in left.values()}
    expected_mine = expected_any | {stable[1]} | {own[1] for own in left.values()}
    assert set(sig.receivers_for(Sender())) == expected_any
    assert set(sig.receivers_for(mine)) == expected_mine
    assert len(sig.send(mine)) == len(expected_mine) == 3 + 2 * CHURNERS


def test_weak_receivers_dying_in_other_threads() -> None:
    sig = Signal()
    keep = receiver_named("kept")
    sig.connect(keep)

    def churn() -> None:
        for n in range(ITERATIONS):
            listener = Listener()
            sig.connect(listener.on, sender=None if n % 2 else Sender())
            if n % 7 == 0:
                gc.collect(0)
            del listener

    def send() -> None:
        for _ in range(ITERATIONS):
            results = sig.send(None)
            assert (keep, "kept") in results
            assert all(value in ("kept", "listener") for _, value in results)

    errors = run_threads([churn] * CHURNERS + [send] * SENDERS)
    assert errors == []
    gc.collect()
    assert sig.send(None) == [(keep, "kept")]
    assert len(sig.receivers) == 1


def test_a_receiver_connected_during_a_send_waits_for_the_next_send() -> None:
    sig = Signal()
    late = receiver_named("late")

    def connects_another(sender: t.Any) -> str:
        sig.connect(late, weak=False)
        return "first"

    sig.connect(connects_another, weak=False)
    assert [value for _, value in sig.send()] == ["first"]
    assert [value for _, value in sig.send()] == ["first", "late"]


def test_a_receiver_disconnected_during_a_send_still_runs_in_that_send() -> None:
    sig = Signal()
    second = receiver_named("second")

    def disconnects_the_next(sender: t.Any) -> str:
        sig.disconnect(second)
        return "first"

    sig.connect(disconnects_the_next, weak=False)
    sig.connect(second, weak=False)
    assert [value for _, value in sig.send()] == ["first", "second"]
    assert [value for _, value in sig.send()] == ["first"]


def test_namespace_signals_and_subscriptions_from_many_threads() -> None:
    ns = Namespace()
    heard: list[str] = []
    lock = threading.Lock()

    def everywhere(signal: t.Any, sender: t.Any, **kwargs: t.Any) -> None:
        with lock:
            heard.append(signal.name)

    def create(index: int) -> t.Callable[[], None]:
        def run() -> None:
            for n in range(200):
                ns.signal(f"s{n % 50}").send(index)

        return run

    def subscribe() -> None:
        for _ in range(200):
            ns.connect_all(everywhere)
            ns.disconnect_all(everywhere)
        ns.connect_all(everywhere)

    errors = run_threads([create(i) for i in range(CHURNERS)] + [subscribe] * 2)
    assert errors == []
    assert sorted(ns) == sorted(f"s{n}" for n in range(50))
    heard.clear()
    for each in ns.values():
        each.send(None)
    assert sorted(heard) == sorted(ns)
