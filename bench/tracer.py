"""What the lifecycle tracer costs: Tocsin hello untraced and traced, side by side in one run.

Run: ``.venv/bin/python bench/tracer.py [--rounds N] [-n N]``. In-process calls of
the same hello app, interleaved rounds, medians of the ratio to the untraced app
of the same driver. Rows:

* WSGI: untraced; ``sample=1.0`` (every request traced in full); ``sample=0.01``
  (one in a hundred traced, every one counted for ``stats()``); ``sample=1.0``
  with ``Server-Timing`` on every response (each step's time), and the same with
  ``sample=0.01`` (the total alone for the requests not traced);
* ASGI (an ``async def`` hello, awaited on one loop): untraced, ``sample=1.0``,
  ``sample=0.01``.

The targets (issue #14): ``sample=1.0`` at most +30%, ``sample=0.01`` at most
+3%, Server-Timing at most +40%. "added us" is the median of the differences
to the untraced app in the same round: what the tracer costs a request,
whatever the untraced app's speed. For a figure that does not depend on the
machine's load, count instructions instead: ``bench/instructions.py --only
hello,traced-hello,traced-hello-1pc,traced-hello-timing,asgi-hello,asgi-traced-hello,...``.

``--floor`` adds WSGI rows of stand-in tracers that do less than the real one
for a request it does not sample, to show what each part of that cost is:
the two calls the drivers make (``begin`` and the step-15 count) doing
nothing; the same reading the clock at both ends; and the same with the real
step-15 count (the route's counters), without the countdown to the next
sampled request.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

from werkzeug.test import EnvironBuilder

from tocsin import Tocsin
from tocsin.ctx import RequestContext
from tocsin.tracing import Tracer

ENVIRON = EnvironBuilder("/").get_environ()
SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/",
    "raw_path": b"/",
    "query_string": b"",
    "root_path": "",
    "headers": [(b"host", b"localhost")],
    "client": ("127.0.0.1", 1234),
    "server": ("localhost", 80),
}
#: ``(row name, driver, Tracer arguments or None)``; the first row of a driver is its base.
ROWS: tuple[tuple[str, str, dict[str, Any] | None], ...] = (
    ("wsgi off", "wsgi", None),
    ("wsgi sample=1.0", "wsgi", {"sample": 1.0}),
    ("wsgi sample=0.01", "wsgi", {"sample": 0.01}),
    ("wsgi server-timing", "wsgi", {"sample": 1.0, "server_timing": True}),
    ("wsgi server-timing sample=0.01", "wsgi", {"sample": 0.01, "server_timing": True}),
    ("asgi off", "asgi", None),
    ("asgi sample=1.0", "asgi", {"sample": 1.0}),
    ("asgi sample=0.01", "asgi", {"sample": 0.01}),
)


class _NoopCalls(Tracer):
    """The drivers' two calls per request, doing nothing (``--floor``)."""

    def begin(self, ctx: RequestContext) -> None:
        return None

    def annotate(self, ctx: RequestContext, response: Any) -> None:
        return None


class _Clocked(_NoopCalls):
    """The two calls, reading the clock at step 1 and at step 15 (``--floor``)."""

    def begin(self, ctx: RequestContext) -> None:
        clock = self._clock
        ctx.trace_t0 = clock()

    def annotate(self, ctx: RequestContext, response: Any) -> None:
        clock = self._clock
        ctx.trace_t0 = clock() - ctx.trace_t0


class _Counted(_Clocked):
    """The clock at step 1, then the real step-15 count; no countdown, no trace (``--floor``)."""

    annotate = Tracer.annotate


FLOORS: tuple[tuple[str, str, dict[str, Any] | None], ...] = (
    ("wsgi floor: two no-op calls", "wsgi", {"kind": _NoopCalls}),
    ("wsgi floor: + two clock readings", "wsgi", {"kind": _Clocked}),
    ("wsgi floor: + the route's counters", "wsgi", {"kind": _Counted}),
)
TARGETS = {
    "sample=1.0": 30.0,
    "sample=0.01": 3.0,
    "server-timing": 40.0,
    "server-timing sample=0.01": 40.0,
}


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def make(driver: str, tracing: dict[str, Any] | None) -> Tocsin:
    """The hello app (a sync view under WSGI, an ``async def`` one under ASGI), maybe traced."""
    app = Tocsin(__name__)

    if driver == "wsgi":

        @app.route("/")
        def hello() -> str:
            return "Hello, World!"

    else:

        @app.route("/")
        async def hello_async() -> str:
            return "Hello, World!"

    if tracing is not None:
        options = dict(tracing)
        kind = options.pop("kind", Tracer)
        kind(app, keep=50, **options)
    return app


def wsgi_us(app: Callable[..., Iterable[bytes]], n: int) -> float:
    """Microseconds per request of *n* WSGI calls."""
    gc.disable()
    start = time.perf_counter_ns()
    for _ in range(n):
        body = app(dict(ENVIRON), _start_response)
        b"".join(body)
    elapsed = time.perf_counter_ns() - start
    gc.enable()
    return elapsed / n / 1000


def asgi_us(loop: asyncio.AbstractEventLoop, app: Tocsin, n: int) -> float:
    """Microseconds per request of *n* awaited ASGI calls on *loop*."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        return None

    async def calls() -> int:
        start = time.perf_counter_ns()
        for _ in range(n):
            await app(dict(SCOPE), receive, send)
        return time.perf_counter_ns() - start

    gc.disable()
    elapsed = loop.run_until_complete(calls())
    gc.enable()
    return elapsed / n / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("-n", type=int, default=2000, help="requests per batch")
    parser.add_argument(
        "--floor", action="store_true", help="add the stand-in tracers' rows (see above)"
    )
    options = parser.parse_args()
    loop = asyncio.new_event_loop()
    rows = ROWS[:5] + FLOORS + ROWS[5:] if options.floor else ROWS
    apps = {name: (driver, make(driver, tracing)) for name, driver, tracing in rows}
    bases = {driver: name for name, driver, tracing in rows if tracing is None}

    def measure(name: str, n: int) -> float:
        driver, app = apps[name]
        return wsgi_us(app, n) if driver == "wsgi" else asgi_us(loop, app, n)

    times: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(options.rounds):
        for name in apps:
            measure(name, options.n // 10)  # warm up
            times[name].append(measure(name, options.n))
    print("| tracer | us per request | added us | overhead | target |\n|---|---|---|---|---|")
    for name, samples in times.items():
        driver = apps[name][0]
        base = times[bases[driver]]
        median = statistics.median(samples)
        ratios = [s / b for s, b in zip(samples, base, strict=True)]
        overhead = (statistics.median(ratios) - 1) * 100
        target = TARGETS.get(name.split(" ", 1)[1])
        bar = (
            ""
            if target is None
            else f"<= +{target:.0f}% {'PASS' if overhead <= target else 'MISS'}"
        )
        added = statistics.median(s - b for s, b in zip(samples, base, strict=True))
        print(f"| {name} | {median:.2f} | {added:+.2f} | {overhead:+.1f}% | {bar} |")
    loop.close()
    print(f"\n({options.rounds} interleaved rounds of {options.n} requests)")


if __name__ == "__main__":
    main()
