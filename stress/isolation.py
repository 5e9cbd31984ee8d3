"""Concurrency isolation: many concurrent requests, each sees only its own contexts.

Serves ``isolation_app`` with a real server on loopback (gunicorn's ``gthread``
worker for WSGI, uvicorn for ASGI), sends it ``--requests`` requests with
``--concurrency`` in flight (httpx's async client), a mix of sync views, async
views, a POST whose body is the id, and a streamed response; every request
has a unique id, and the app runs sync and async ``before_request``,
``after_request``, ``teardown_request`` and ``teardown_appcontext`` functions
and teardown signal receivers on each. Then it reads ``/_report`` and checks:

* every request answered 200 with its own id (header and body);
* each of the six teardown functions and receivers ran exactly once per id;
* no hook, view or teardown saw another request's id (in ``g``, ``request``);
* no context was current when a request came in or after it was done.

A request whose kept-alive connection the server closed before answering is
sent once more with the same id (the ``retried`` column): had the first
attempt reached the app, its teardown would count twice and fail the check.

Prints a table (one row per server) and exits 1 if anything failed::

    python stress/isolation.py                      # both servers, 10,000 requests
    python stress/isolation.py --server uvicorn --requests 2000 --concurrency 64
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from _common import SERVERS, serving, table
from isolation_app import TEARDOWNS

#: The views the requests cycle through: (method, path, what the body starts with).
VIEWS = (
    ("GET", "/sync", "sync:"),
    ("GET", "/async", "async:"),
    ("POST", "/echo", "echo:"),
    ("GET", "/stream", "0:"),
)


@dataclass
class Result:
    """What one server's run found."""

    server: str
    requests: int
    seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)
    transport_errors: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    wrong_answers: list[str] = field(default_factory=list)
    teardown_errors: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether anything went wrong."""
        return bool(
            set(self.statuses) - {200}
            or self.transport_errors
            or self.wrong_answers
            or self.teardown_errors
            or self.mismatches
            or self.leaks
        )

    def problems(self) -> list[str]:
        """The first few of each kind of failure, for the report."""
        lines = []
        for name in (
            "retried",
            "transport_errors",
            "wrong_answers",
            "teardown_errors",
            "mismatches",
            "leaks",
        ):
            found = getattr(self, name)
            lines += [f"{self.server} {name}: {line}" for line in found[:5]]
            if len(found) > 5:
                lines.append(f"{self.server} {name}: ... {len(found) - 5} more")
        return lines


def _expected_body(rid: str, prefix: str) -> str:
    if prefix == "0:":
        return "".join(f"{i}:{rid};" for i in range(3))
    return f"{prefix}{rid}"


async def _one(client: httpx.AsyncClient, i: int, result: Result, gate: asyncio.Semaphore) -> None:
    rid = f"r{i}"
    method, path, prefix = VIEWS[i % len(VIEWS)]
    async with gate:
        for attempt in range(2):
            try:
                response = await client.request(
                    method,
                    path,
                    params={"id": rid},
                    headers={"X-Stress-Id": rid},
                    content=rid.encode() if method == "POST" else None,
                )
                break
            except httpx.RemoteProtocolError as e:
                # A kept-alive connection closed under the client: sent again with the
                # same id, so that a first attempt that did reach the app counts twice.
                if attempt:
                    result.transport_errors.append(f"{rid} {path}: {type(e).__name__}: {e}")
                    return
                result.retried.append(f"{rid} {path}: {e}")
            except httpx.HTTPError as e:
                result.transport_errors.append(f"{rid} {path}: {type(e).__name__}: {e}")
                return
    result.statuses[response.status_code] = result.statuses.get(response.status_code, 0) + 1
    if response.status_code != 200:
        result.wrong_answers.append(f"{rid} {path}: {response.status_code} {response.text[:200]!r}")
    elif response.headers.get("X-Stress-Id") != rid or response.text != _expected_body(rid, prefix):
        result.wrong_answers.append(
            f"{rid} {path}: header {response.headers.get('X-Stress-Id')!r}, body {response.text!r}"
        )


async def _load(
    base_url: str, result: Result, concurrency: int, timeout: float
) -> dict[str, object]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as client:
        gate = asyncio.Semaphore(concurrency)
        started = time.perf_counter()
        await asyncio.gather(*(_one(client, i, result, gate) for i in range(result.requests)))
        result.seconds = time.perf_counter() - started
        # A streamed response's teardown runs when the server closes its body, which
        # may be just after the client has it all: wait (a little) for the counts.
        deadline = time.monotonic() + 10
        while True:
            report: dict[str, object] = (await client.get("/_report")).json()
            done = sum(sum(c) for c in report["counts"].values())  # type: ignore[attr-defined]
            if done >= result.requests * len(TEARDOWNS) or time.monotonic() > deadline:
                return report
            await asyncio.sleep(0.1)


def _check_report(report: dict[str, object], result: Result) -> None:
    counts: dict[str, list[int]] = report["counts"]  # type: ignore[assignment]
    sent = {f"r{i}" for i in range(result.requests)}
    for rid in sorted(sent, key=lambda r: int(r[1:])):
        got = counts.get(rid, [0] * len(TEARDOWNS))
        wrong = [f"{name}={n}" for name, n in zip(TEARDOWNS, got, strict=True) if n != 1]
        if wrong:
            result.teardown_errors.append(f"{rid}: {', '.join(wrong)}")
    for rid in sorted(set(counts) - sent):
        result.teardown_errors.append(f"{rid}: counted but never sent")
    result.mismatches = list(report["mismatches"])  # type: ignore[call-overload]
    result.leaks = list(report["leaks"])  # type: ignore[call-overload]


def run(server: str, requests: int = 10_000, concurrency: int = 256, timeout: float = 30) -> Result:
    """Serve ``isolation_app`` with *server* and run the whole check against it."""
    target = "isolation_app:wsgi" if server == "gunicorn" else "isolation_app:asgi"
    result = Result(server, requests)
    with serving(server, target) as (host, port):
        report = asyncio.run(_load(f"http://{host}:{port}", result, concurrency, timeout))
    _check_report(report, result)
    return result


def format_results(results: list[Result]) -> str:
    """The table of *results*, then the first few problems of each."""
    rows = [
        (
            r.server,
            r.requests,
            r.statuses.get(200, 0),
            sum(n for code, n in r.statuses.items() if code != 200),
            len(r.retried),
            len(r.transport_errors),
            len(r.wrong_answers),
            len(r.teardown_errors),
            len(r.mismatches),
            len(r.leaks),
            f"{r.seconds:.1f}",
            "FAIL" if r.failed else "ok",
        )
        for r in results
    ]
    headers = (
        "server",
        "requests",
        "200",
        "other",
        "retried",
        "transport",
        "wrong",
        "teardown≠1",
        "crossed",
        "leaks",
        "s",
        "",
    )
    lines = [table(headers, rows)]
    for r in results:
        lines += r.problems()
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the check for the servers asked; 1 if any failed."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--server", choices=(*SERVERS, "both"), default="both")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--timeout", type=float, default=30, help="per request, in seconds")
    args = parser.parse_args(argv)
    servers = SERVERS if args.server == "both" else (args.server,)
    results = [run(s, args.requests, args.concurrency, args.timeout) for s in servers]
    print(format_results(results))
    return 1 if any(r.failed for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
