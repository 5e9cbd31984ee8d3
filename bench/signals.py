"""Benchmark: ``tocsin.signals`` send vs blinker 1.9 (and psygnal's emit), side by side.

Run with ``python bench/signals.py`` (``python3 dev.py bench``). Every scenario is
timed for every library in each round, rounds interleaved, and tocsin right
after blinker, so that the noise of a shared machine hits all of them alike.
The table shows the medians over all rounds in nanoseconds per send, and
the median of the per-round ratios tocsin / blinker (more robust than a
ratio of medians when the load comes in bursts). Receivers are no-op
module-level functions connected the default (weak) way; each send passes
one keyword argument.

Performance is reported, never asserted: the bar (DESIGN.md) is at most
0.6x blinker with no receivers and at most 0.5x in the other scenarios.
"""

from __future__ import annotations

import argparse
import statistics
import timeit
import typing as t

import blinker
import psygnal

import tocsin.signals

BAR = {"0 receivers": 0.6, "1 receiver": 0.5, "10 receivers": 0.5, "1 receiver, other sender": 0.5}


def _noop(sender: object, **kwargs: object) -> None:
    return None


def _noop_psygnal(sender: object, value: int) -> None:
    return None


def _receivers(count: int) -> list[t.Callable[..., None]]:
    """Return ``count`` distinct no-op receivers (distinct functions, like real ones)."""
    made = []
    for _ in range(count):
        made.append(_noop.__class__(_noop.__code__, globals(), "receiver"))
    return made


class _Emitter:
    changed = psygnal.Signal(object, int)


_KEEP: list[object] = []  # keeps weakly connected receivers and senders alive


def _signal_send(make: t.Callable[[], t.Any], count: int, other: bool) -> timeit.Timer:
    """Return a timer for one ``sig.send(sender, value=1)``."""
    sig = make()
    sender, elsewhere = object(), object()
    _KEEP.extend([sig, sender, elsewhere])
    for receiver in _receivers(count):
        _KEEP.append(receiver)
        if other:
            sig.connect(receiver, sender=elsewhere)
        else:
            sig.connect(receiver)
    return timeit.Timer("sig.send(sender, value=1)", globals={"sig": sig, "sender": sender})


def _psygnal_emit(count: int) -> timeit.Timer:
    """Return a timer for one psygnal ``emit(sender, 1)`` (psygnal has no keyword arguments)."""
    emitter = _Emitter()
    sender = object()
    _KEEP.extend([emitter, sender])
    for _ in range(count):
        receiver = _noop_psygnal.__class__(_noop_psygnal.__code__, globals(), "receiver")
        _KEEP.append(receiver)
        emitter.changed.connect(receiver)
    sig = emitter.changed
    return timeit.Timer("sig.emit(sender, 1)", globals={"sig": sig, "sender": sender})


def _timers() -> dict[tuple[str, str], timeit.Timer]:
    """Make one timer per (scenario, library)."""
    timers = {}
    for name, count, other in [
        ("0 receivers", 0, False),
        ("1 receiver", 1, False),
        ("10 receivers", 10, False),
        ("1 receiver, other sender", 1, True),
    ]:
        timers[name, "blinker"] = _signal_send(blinker.Signal, count, other)
        timers[name, "tocsin"] = _signal_send(tocsin.signals.Signal, count, other)
        if not other:  # psygnal has no per-sender connections
            timers[name, "psygnal"] = _psygnal_emit(count)
    return timers


def measure(rounds: int, target_seconds: float) -> dict[tuple[str, str], list[float]]:
    """Time every (scenario, library) once per round; return ns per send, per round."""
    timers = _timers()
    loops = {}
    for key, timer in timers.items():
        number, elapsed = timer.autorange()
        loops[key] = max(1, int(number * target_seconds / elapsed))
    samples: dict[tuple[str, str], list[float]] = {key: [] for key in timers}
    for _ in range(rounds):
        for key, timer in timers.items():
            samples[key].append(timer.timeit(loops[key]) / loops[key] * 1e9)
    return samples


def table(samples: dict[tuple[str, str], list[float]]) -> str:
    """Render the medians as a markdown table."""
    lines = [
        "| scenario | blinker `send` | tocsin `send` | tocsin / blinker | bar | psygnal `emit` |",
        "|---|---|---|---|---|---|",
    ]
    scenarios = dict.fromkeys(scenario for scenario, _ in samples)
    for scenario in scenarios:
        med = {lib: statistics.median(v) for (name, lib), v in samples.items() if name == scenario}
        pairs = zip(samples[scenario, "tocsin"], samples[scenario, "blinker"], strict=True)
        ratio = statistics.median(ours / theirs for ours, theirs in pairs)
        psy = f"{med['psygnal']:.0f}" if "psygnal" in med else "n/a"
        lines.append(
            f"| {scenario} | {med['blinker']:.0f} | {med['tocsin']:.0f} | {ratio:.2f}x"
            f" | {BAR[scenario]}x | {psy} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=41, help="interleaved rounds (default 41)")
    parser.add_argument(
        "--seconds", type=float, default=0.004, help="target time per measurement (default 0.004)"
    )
    args = parser.parse_args()
    samples = measure(args.rounds, args.seconds)
    print(f"Medians of {args.rounds} interleaved rounds, ns per send (timeit loop included);")
    print("the ratio is the median of the per-round ratios.\n")
    print(table(samples))


if __name__ == "__main__":
    main()
