"""tocsin.signals: receivers are called by priority, then in connection order.

blinker gives no order guarantee; Tocsin's order is part of the contract,
for sender-specific and ANY receivers alike.
"""

from __future__ import annotations

import typing as t

from hypothesis import given
from hypothesis import strategies as st

from tocsin.signals import ANY, Namespace, Signal


class Sender:
    pass


def named(name: str, log: list[str] | None = None) -> t.Callable[..., str]:
    def receiver(sender: t.Any, **kwargs: t.Any) -> str:
        if log is not None:
            log.append(name)
        return name

    receiver.__qualname__ = name
    return receiver


def order(sig: Signal, sender: t.Any = None) -> list[str]:
    return [value for _, value in sig.send(sender)]


def test_connection_order_without_priorities() -> None:
    sig = Signal()
    for name in "abcde":
        sig.connect(named(name), weak=False)
    assert order(sig) == list("abcde")


def test_higher_priority_first_then_connection_order() -> None:
    sig = Signal()
    sig.connect(named("low"), weak=False, priority=-5)
    sig.connect(named("a0"), weak=False)
    sig.connect(named("high"), weak=False, priority=10)
    sig.connect(named("b0"), weak=False)
    sig.connect(named("mid"), weak=False, priority=3)
    sig.connect(named("high2"), weak=False, priority=10)
    assert order(sig) == ["high", "high2", "mid", "a0", "b0", "low"]


def test_sender_specific_and_any_receivers_interleave_by_connection_order() -> None:
    sig = Signal()
    mine = Sender()
    sig.connect(named("any1"), weak=False)
    sig.connect(named("mine1"), sender=mine, weak=False)
    sig.connect(named("any2"), weak=False)
    sig.connect(named("mine2"), sender=mine, weak=False)
    sig.connect(named("mine-first"), sender=mine, weak=False, priority=1)
    assert order(sig, mine) == ["mine-first", "any1", "mine1", "any2", "mine2"]
    assert order(sig, Sender()) == ["any1", "any2"]


def test_reconnecting_keeps_the_original_position_and_priority() -> None:
    sig = Signal()
    a, b = named("a"), named("b")
    sig.connect(a, weak=False)
    sig.connect(b, weak=False)
    sig.connect(a, weak=False, priority=100)
    assert order(sig) == ["a", "b"]


def test_reconnecting_after_disconnect_moves_to_the_end() -> None:
    sig = Signal()
    a, b = named("a"), named("b")
    sig.connect(a, weak=False)
    sig.connect(b, weak=False)
    sig.disconnect(a)
    sig.connect(a, weak=False)
    assert order(sig) == ["b", "a"]


def test_a_receiver_connected_twice_runs_at_its_best_position() -> None:
    sig = Signal()
    mine = Sender()
    a, b = named("a"), named("b")
    sig.connect(b, weak=False)
    sig.connect(a, weak=False)
    sig.connect(a, sender=mine, weak=False, priority=1)
    assert order(sig, mine) == ["a", "b"]
    assert order(sig) == ["b", "a"]


def test_send_async_and_send_robust_use_the_same_order() -> None:
    import asyncio

    sig = Signal()
    sig.connect(named("a"), weak=False)
    sig.connect(named("b"), weak=False, priority=1)
    expected = ["b", "a"]
    assert [value for _, value in sig.send_robust()] == expected
    assert [value for _, value in asyncio.run(sig.send_async())] == expected
    assert [value for _, value in asyncio.run(sig.send_robust_async())] == expected


def test_namespace_wide_receivers_take_part_in_the_order() -> None:
    ns = Namespace()
    early = ns.signal("early")
    early.connect(named("direct"), weak=False)

    def everywhere(signal: t.Any, sender: t.Any, **kwargs: t.Any) -> str:
        return "everywhere"

    def urgent(signal: t.Any, sender: t.Any, **kwargs: t.Any) -> str:
        return "urgent"

    ns.connect_all(everywhere)
    ns.connect_all(urgent, priority=5)
    late = ns.signal("late")
    late.connect(named("direct"), weak=False)
    assert order(early) == ["urgent", "direct", "everywhere"]
    assert order(late) == ["urgent", "everywhere", "direct"]


# A reference model: connections as (receiver index, sender index or None, priority).
Connection = tuple[int, int | None, int]
connections = st.lists(
    st.tuples(st.integers(0, 5), st.one_of(st.none(), st.integers(0, 2)), st.integers(-2, 2)),
    max_size=25,
)


def expected_order(plan: list[Connection], sender: int) -> list[int]:
    """Dedupe (receiver, sender) pairs keeping the first, sort, keep each receiver once."""
    firsts: dict[tuple[int, int | None], tuple[int, int]] = {}
    for seq, (receiver, target, priority) in enumerate(plan):
        firsts.setdefault((receiver, target), (-priority, seq))
    matching = sorted(
        (key, receiver) for (receiver, target), key in firsts.items() if target in (None, sender)
    )
    return list(dict.fromkeys(receiver for _, receiver in matching))


@given(connections, st.integers(0, 2))
def test_order_matches_the_reference_model(plan: list[Connection], sender_index: int) -> None:
    sig = Signal()
    senders = [Sender() for _ in range(3)]
    receivers = [named(str(i)) for i in range(6)]
    for receiver, target, priority in plan:
        sender = ANY if target is None else senders[target]
        sig.connect(receivers[receiver], sender=sender, weak=False, priority=priority)
    got = [int(value) for _, value in sig.send(senders[sender_index])]
    assert got == expected_order(plan, sender_index)
    assert [int(r(None)) for r in sig.receivers_for(senders[sender_index])] == got
    listed = sig._connections(senders[sender_index])
    assert [int(r(None)) for r, _, _ in listed] == got
    assert [priority for _, priority, _ in listed] == sorted(
        (priority for _, priority, _ in listed), reverse=True
    )


def test_connections_give_each_receivers_priority_and_sender_in_call_order() -> None:
    sig = Signal()
    mine, other = Sender(), Sender()
    a, b, c = named("a"), named("b"), named("c")
    sig.connect(b, weak=False)
    sig.connect(a, weak=False)
    sig.connect(a, sender=mine, weak=False, priority=1)  # (its better place, for mine)
    sig.connect(c, sender=other, weak=False, priority=-3)
    assert sig._connections(mine) == [(a, 1, False), (b, 0, True)]
    assert sig._connections(other) == [(b, 0, True), (a, 0, True), (c, -3, False)]
    assert sig._connections(ANY) == [(b, 0, True), (a, 0, True)]


def test_connections_skip_dead_receivers() -> None:
    sig = Signal()
    keep = named("keep")
    sig.connect(keep)
    gone = named("gone")
    sig.connect(gone, priority=2)
    del gone
    assert sig._connections(ANY) == [(keep, 0, True)]
