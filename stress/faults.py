"""Fault injection: an exception raised in every hook and receiver kind, and what follows.

For every site of ``faults_app`` (each hook kind, each built-in signal's
receivers, the view), sync and async, routed to a sync and to an async view,
it injects an ``Exception``, a ``KeyboardInterrupt``, a ``SystemExit`` and an
``asyncio.CancelledError`` (subclasses, so that what propagates is known to
be the injected one), runs one request and tabulates, per driver:

* the outcome: the status sent, or ``raised X`` (what propagated out of the
  WSGI call or the ASGI coroutine);
* whether every teardown function and receiver (``teardown_request``,
  ``request_tearing_down``, ``teardown_appcontext``, ``appcontext_tearing_down``,
  ``appcontext_popped``; sync and async: ten) ran exactly once;
* whether both contexts were popped: no context seen during the request is
  still pushed, and none is current in the calling thread (WSGI) or task (ASGI).

What must hold (else the row is ``FAIL`` and the script exits 1): an injected
``Exception`` gives a 500, or propagates itself (teardown errors do, as in
Flask); an injected ``BaseException`` propagates itself, whatever the site;
(an injected ``CancelledError`` may come out as a fresh ``CancelledError``:
raised inside an asyncio task, it cancels the task, and whoever waits for the
task gets a new one); in every case all ten teardown functions and receivers ran once and both
contexts were popped; no case hangs (a 10 s limit).

The ``stream`` site is the view's streamed body, raising after its first
chunk: there ``teardown_request`` must also get the injected exception as
``exc``. The ``abort`` rows inject nothing: the client goes away after the
first chunk of a streamed body (WSGI: the body is closed; ASGI:
``http.disconnect``); teardown must run once and get the same ``exc`` under
both drivers.

Drivers: ``wsgi`` (Werkzeug's test client on the app, in a fresh thread per
case), ``asgi`` (the ASGI driver called as a server calls it, on a fresh
loop per case); ``--uvicorn`` adds a subset under a real uvicorn, where the
middleware ``faults_app.asgi`` records the same facts in the server::

    python stress/faults.py                  # in process, both drivers
    python stress/faults.py --uvicorn        # and the subset under uvicorn
    python stress/faults.py --failures-only
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import logging
import sys
import threading
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import faults_app
import httpx
from _common import serving, table
from faults_app import CASE, EXCEPTIONS, KINDS, RECORD, SITES, Case, Record
from werkzeug.test import Client

from tocsin.globals import _cv_app, _cv_request

DRIVERS = ("wsgi", "asgi")
#: The sites run under uvicorn with ``--uvicorn``.
UVICORN_SITES = (
    "view",
    "before_request",
    "after_request",
    "teardown_request",
    "teardown_appcontext",
    "request_tearing_down",
    "appcontext_popped",
)
TIMEOUT = 10.0


@dataclass
class Outcome:
    """What one case did under one driver."""

    result: str  # "500", or "raised InjectedSystemExit", or "HANG"
    missing: list[str]  # teardown sites that did not run exactly once, with their counts
    left: list[str]  # contexts still pushed or current
    note: str = ""  # under a server: what the client saw
    teardown_exc: list[str] = field(default_factory=list)  # what teardown_request got
    extra: list[str] = field(default_factory=list)  # problems found by comparing drivers

    def problems(self, case: Case) -> list[str]:
        """What is wrong with this outcome for *case*; empty when it is as promised."""
        wrong = []
        injected = EXCEPTIONS[case.exc].__name__ if case.site not in ("none", "abort") else None
        if self.result == "HANG":
            wrong.append("hung")
        elif injected is None:
            if self.result not in ("200", "409"):
                wrong.append(f"baseline gave {self.result}")
        elif case.exc == "Exception":
            if self.result not in ("500", f"raised {injected}"):
                wrong.append(f"expected 500 or raised {injected}")
        elif case.exc == "CancelledError":
            if self.result not in (f"raised {injected}", "raised CancelledError"):
                wrong.append(f"expected raised {injected} (or a CancelledError)")
        elif self.result != f"raised {injected}":
            wrong.append(f"expected raised {injected}")
        if case.site == "stream" and self.teardown_exc not in (
            [injected],
            ["CancelledError"] if case.exc == "CancelledError" else [injected],
        ):
            wrong.append(f"teardown_request got exc={', '.join(self.teardown_exc)}")
        if self.missing:
            wrong.append("teardown " + ", ".join(self.missing))
        if self.left:
            wrong.append("left " + ", ".join(self.left))
        return wrong + self.extra

    def cell(self, case: Case) -> str:
        """The table cell: the outcome, then ``ok`` or what is wrong."""
        wrong = self.problems(case)
        verdict = "ok" if not wrong else "FAIL: " + "; ".join(wrong)
        told = f" (teardown exc={','.join(self.teardown_exc)})" if case.site == "abort" else ""
        return f"{self.result}{self.note}{told} {verdict}"


def cases(sites: t.Sequence[str] = SITES, excs: t.Sequence[str] = tuple(EXCEPTIONS)) -> list[Case]:
    """Every (site, kind, exception, view) to run, the two baselines first.

    With the ``stream`` site come the two ``abort`` rows.

    The view's own site is run with a view of its own kind only.
    """
    rv = [Case("none", "sync", "Exception", view) for view in KINDS]
    if "stream" in sites:  # and a client that goes away in the middle of a stream
        rv += [Case("abort", view, "Exception", view) for view in KINDS]
    for site in sites:
        for kind in KINDS:
            for view in KINDS:
                if site in ("view", "stream") and view != kind:
                    continue
                if site == "message_flashed" and view == "async":  # flash() is sync: see the app
                    continue
                rv += [Case(site, kind, exc, view) for exc in excs]
    return rv


def _missing(record: Record) -> list[str]:
    return [f"{name}={n}" for name, n in record.teardown_counts().items() if n != 1]


def _left(record: Record) -> list[str]:
    left = record.still_current()
    if _cv_app.get(None) is not None or _cv_request.get(None) is not None:
        left.append("current in the caller")
    return left


def _run_wsgi(case: Case, out: list[Outcome]) -> None:
    record = Record()
    CASE.set(case)
    RECORD.set(record)
    try:
        if case.site == "abort":  # the client goes away after the first chunk: close() now
            response = Client(faults_app.app).get(case.path)
            next(iter(response.response))
            response.close()
        else:
            response = Client(faults_app.app).get(case.path, buffered=True)
        result = str(response.status_code)
    except BaseException as e:
        result = f"raised {type(e).__name__}"
    out.append(Outcome(result, _missing(record), _left(record), "", record.teardown_exc))


async def _call_asgi(case: Case, record: Record) -> str:
    CASE.set(case)
    RECORD.set(record)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": case.path,
        "raw_path": case.path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 12345),
    }
    done = asyncio.Event()
    received = False
    status: list[int] = []

    async def receive() -> dict[str, t.Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, t.Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif case.site == "abort" and message.get("more_body"):  # gone after the first chunk
            done.set()

    try:
        await faults_app.app.asgi(scope, receive, send)
    except BaseException as e:
        return f"raised {type(e).__name__}"
    finally:
        done.set()
    return str(status[0]) if status else "no response"


class _DaemonExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs each call in a new daemon thread: one left blocked cannot stop the process exiting.

    (A ``KeyboardInterrupt`` that escapes the loop can leave a worker thread waiting
    forever for a coroutine the stopped loop will never run; the default executor's
    threads are joined at exit, so the script would never end.)
    """

    def submit(
        self, fn: t.Any, /, *args: t.Any, **kwargs: t.Any
    ) -> concurrent.futures.Future[t.Any]:
        future: concurrent.futures.Future[t.Any] = concurrent.futures.Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as e:
                future.set_exception(e)

        threading.Thread(target=work, daemon=True).start()
        return future


def _run_asgi(case: Case, out: list[Outcome]) -> None:
    record = Record()
    loop = asyncio.new_event_loop()
    loop.set_default_executor(_DaemonExecutor())
    try:
        result = loop.run_until_complete(_checked(case, record))
    except BaseException as e:  # got out of the loop itself
        result = f"raised {type(e).__name__} (out of the loop)"
        out.append(
            Outcome(result, _missing(record), record.still_current(), "", record.teardown_exc)
        )
        return
    finally:
        loop.close()
    out.append(Outcome(result[0], _missing(record), result[1], "", record.teardown_exc))


async def _checked(case: Case, record: Record) -> tuple[str, list[str]]:
    """Run the case, then look for contexts left, in the same task."""
    result = await _call_asgi(case, record)
    return result, _left(record)


def run_case(case: Case, driver: str) -> Outcome:
    """Run *case* under *driver* in a fresh thread; ``HANG`` after :data:`TIMEOUT`."""
    out: list[Outcome] = []
    target = _run_wsgi if driver == "wsgi" else _run_asgi
    thread = threading.Thread(target=target, args=(case, out), daemon=True)
    thread.start()
    thread.join(TIMEOUT)
    if not out:
        return Outcome("HANG", [], [])
    return out[0]


#: What, escaping uvicorn's event loop, makes it shut down (after answering, maybe).
_STOPS_SERVER = ("KeyboardInterrupt", "SystemExit")


def run_uvicorn(selected: list[Case]) -> dict[Case, Outcome]:
    """Run *selected* under a real uvicorn.

    A case that injects a ``KeyboardInterrupt`` or a ``SystemExit`` may stop the
    server, or start its shutdown (which cancels what runs next): each such case
    is the last on its server, and the next case gets a new one.
    """
    outcomes: dict[Case, Outcome] = {}
    pending = list(selected)
    while pending:
        with (
            serving("uvicorn", "faults_app:asgi") as (host, port),
            httpx.Client(base_url=f"http://{host}:{port}", timeout=TIMEOUT) as client,
        ):
            while pending:
                case = pending.pop(0)
                key = f"{case.site}/{case.kind}/{case.exc}/{case.view}"
                try:
                    sent = str(client.get(case.path, params={"case": key}).status_code)
                except httpx.TimeoutException:
                    outcomes[case] = Outcome("HANG", [], [])
                    break
                except httpx.TransportError as e:
                    sent = f"no answer ({type(e).__name__})"
                try:
                    seen = client.get("/_result", params={"case": key}).json()
                except httpx.TransportError:  # the server stopped: what it saw is lost
                    outcomes[case] = Outcome(f"{sent}; server stopped", ["unknown"], [])
                    break
                raised = seen["raised"]
                result = f"raised {raised}" if raised else str(seen["status"])
                missing = [f"{k}={n}" for k, n in seen["teardown"].items() if n != 1]
                note = f" (client: {sent})" if raised else ""
                outcomes[case] = Outcome(result, missing, seen["left"], note)
                if case.exc in _STOPS_SERVER:  # uvicorn shuts down: the next case gets a new one
                    break
    return outcomes


def main(argv: list[str] | None = None) -> int:
    """Run the matrix; print the table; 1 if any row failed."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--uvicorn", action="store_true", help="also run a subset under uvicorn")
    parser.add_argument("--failures-only", action="store_true", help="print failing rows only")
    parser.add_argument("--sites", nargs="*", default=list(SITES), choices=SITES)
    args = parser.parse_args(argv)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # escaped exceptions: in the table
    failed = print_matrix(cases(args.sites), args.uvicorn, args.failures_only)
    return 1 if failed else 0


def run_matrix(
    selected: list[Case], uvicorn: bool = False
) -> tuple[list[tuple[Case, dict[str, Outcome]]], int]:
    """Run *selected* under every driver: the outcomes per case, and how many rows failed."""
    under_uvicorn = (
        run_uvicorn([c for c in selected if c.site in UVICORN_SITES or c.site == "none"])
        if uvicorn
        else {}
    )
    rows = []
    failed = 0
    faults_app.connect()
    try:
        in_process = [{d: run_case(case, d) for d in DRIVERS} for case in selected]
    finally:
        faults_app.disconnect()
    for case, outcomes in zip(selected, in_process, strict=True):
        if case.site == "abort":  # the drivers must tell teardown the same thing
            told = {d: outcomes[d].teardown_exc for d in DRIVERS}
            if len({tuple(v) for v in told.values()}) > 1:
                for d in DRIVERS:
                    outcomes[d].extra.append("teardown exc differs between drivers")
        if case in under_uvicorn:
            outcomes["uvicorn"] = under_uvicorn[case]
        bad = any(o.problems(case) for o in outcomes.values())
        failed += bool(bad)
        rows.append((case, outcomes))
    return rows, failed


def print_matrix(selected: list[Case], uvicorn: bool = False, failures_only: bool = False) -> int:
    """Run and print the matrix; return the number of failing rows."""
    rows, failed = run_matrix(selected, uvicorn)
    drivers = (*DRIVERS, "uvicorn") if uvicorn else DRIVERS
    lines = []
    for case, outcomes in rows:
        cells = [outcomes[d].cell(case) if d in outcomes else "-" for d in drivers]
        if failures_only and all(c.endswith(" ok") or c == "-" for c in cells):
            continue
        lines.append((case.site, case.kind, case.view, case.exc, *cells))
    print(table(("site", "kind", "view", "injected", *drivers), lines))
    print(f"\n{len(rows)} cases, {failed} failing")
    return failed


if __name__ == "__main__":
    sys.exit(main())
