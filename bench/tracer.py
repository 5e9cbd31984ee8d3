"""What the lifecycle tracer costs: Tocsin hello untraced, traced, traced with Server-Timing.

Run: ``.venv/bin/python bench/tracer.py [--rounds N]``. In-process WSGI calls,
interleaved rounds, medians; the bar (DESIGN.md) is under 10% when enabled.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.test import EnvironBuilder

from tocsin import Tocsin
from tocsin.tracing import Tracer

ENVIRON = EnvironBuilder("/").get_environ()


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def make(tracing: str) -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    """The hello app: untraced, traced, or traced with a Server-Timing header."""
    app = Tocsin(__name__)

    @app.route("/")
    def hello() -> str:
        return "Hello, World!"

    if tracing != "off":
        Tracer(app, keep=50, server_timing=tracing == "server-timing")
    return app


def per_request_us(app: Callable[..., Iterable[bytes]], n: int) -> float:
    gc.disable()
    start = time.perf_counter_ns()
    for _ in range(n):
        body = app(dict(ENVIRON), _start_response)
        b"".join(body)
    elapsed = time.perf_counter_ns() - start
    gc.enable()
    return elapsed / n / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("-n", type=int, default=2000, help="requests per batch")
    options = parser.parse_args()
    apps = {name: make(name) for name in ("off", "on", "server-timing")}
    times: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(options.rounds):
        for name, app in apps.items():
            per_request_us(app, options.n // 10)  # warm up
            times[name].append(per_request_us(app, options.n))
    base = statistics.median(times["off"])
    print("| tracer | us per request | overhead | bar |\n|---|---|---|---|")
    for name, samples in times.items():
        median = statistics.median(samples)
        ratios = [t / o for t, o in zip(samples, times["off"], strict=True)]
        overhead = (statistics.median(ratios) - 1) * 100
        bar = "" if name == "off" else ("< 10% PASS" if overhead < 10 else "< 10% MISS")
        print(f"| {name} | {median:.2f} | {overhead:+.1f}% | {bar} |")
    print(f"\n(untraced hello: {base:.2f} us; {options.rounds} interleaved rounds of {options.n})")


if __name__ == "__main__":
    main()
