"""The app that ``isolation.py`` serves: every hook checks it sees its own request.

Each request carries its id twice: in the query (``?id=``) and in the
``X-Stress-Id`` header. A middleware in front of the app reads the id from the
raw request (environ or scope) into a context variable, ``WIRE``, and every
hook, view and teardown function compares what it sees (``g.rid``,
``request.args``, the header) with it: a difference is a request that saw
another request's context. Teardown functions and receivers count their
calls per id. The middleware also checks that no context is current when a
request comes in and when it is done (in the server's thread or task), and
answers ``/_report`` itself, with everything recorded so far, as JSON.

Serve it with ``gunicorn -k gthread isolation_app:wsgi`` or ``uvicorn
isolation_app:asgi``.
"""

from __future__ import annotations

import asyncio
import collections.abc as cabc
import contextvars
import json
import threading
import time
import typing as t
from urllib.parse import parse_qs

from tocsin import (
    Tocsin,
    appcontext_tearing_down,
    g,
    has_app_context,
    has_request_context,
    request,
    request_tearing_down,
)

#: The teardown functions and receivers counted per request, in this order.
TEARDOWNS = (
    "teardown_request",
    "teardown_request_async",
    "teardown_appcontext",
    "teardown_appcontext_async",
    "request_tearing_down",
    "appcontext_tearing_down_async",
)

app = Tocsin(__name__)
app.config["SECRET_KEY"] = "stress"

#: The id of the request being served, read by the middleware from the raw request.
WIRE: contextvars.ContextVar[str | None] = contextvars.ContextVar("stress_wire", default=None)
_lock = threading.Lock()
counts: dict[str, list[int]] = {}
mismatches: list[str] = []
leaks: list[str] = []


def _note(where: str, seen: object) -> None:
    """Record that *where* saw *seen* while serving the request ``WIRE`` names."""
    with _lock:
        if len(mismatches) < 1000:
            mismatches.append(f"{WIRE.get()}: {where} saw {seen!r}")


def _check(where: str, with_request: bool = True) -> str | None:
    """Compare ``g.rid`` (and, with *with_request*, the request's id) with ``WIRE``."""
    wire = WIRE.get()
    rid = g.get("rid")
    if rid != wire:
        _note(f"{where} (g.rid)", rid)
    if with_request:
        if request.args.get("id") != wire:
            _note(f"{where} (request.args)", request.args.get("id"))
        if request.headers.get("X-Stress-Id") != wire:
            _note(f"{where} (header)", request.headers.get("X-Stress-Id"))
    return wire


def _count(name: str) -> None:
    wire = WIRE.get()
    if wire is None:  # the middleware's own /_report, or a request without an id
        return
    with _lock:
        slots = counts.setdefault(wire, [0] * len(TEARDOWNS))
        slots[TEARDOWNS.index(name)] += 1


@app.before_request
def set_rid() -> None:
    g.rid = request.args.get("id")
    _check("before_request")


@app.before_request
async def check_async_before() -> None:
    _check("before_request_async")
    await asyncio.sleep(0)
    _check("before_request_async after a yield")


@app.route("/sync")
def sync_view() -> str:
    time.sleep(0.0005)  # let other threads run while this request's contexts are current
    return f"sync:{_check('sync view')}"


@app.route("/async")
async def async_view() -> str:
    for _ in range(3):
        await asyncio.sleep(0.0005)
        _check("async view")
    return f"async:{_check('async view')}"


@app.post("/echo")
def echo() -> str:
    body = request.get_data(as_text=True)
    if body != WIRE.get():
        _note("echo view (body)", body)
    return f"echo:{_check('echo view')}"


@app.route("/stream")
def stream() -> cabc.Iterator[str]:
    def chunks() -> cabc.Iterator[str]:
        for i in range(3):
            time.sleep(0.0002)
            yield f"{i}:{_check('stream chunk')};"

    return chunks()


@app.after_request
def after(response: t.Any) -> t.Any:
    response.headers["X-Stress-Id"] = str(_check("after_request"))
    return response


@app.after_request
async def after_async(response: t.Any) -> t.Any:
    await asyncio.sleep(0)
    _check("after_request_async")
    return response


@app.teardown_request
def teardown_request(exc: BaseException | None) -> None:
    _check("teardown_request")
    _count("teardown_request")


@app.teardown_request
async def teardown_request_async(exc: BaseException | None) -> None:
    await asyncio.sleep(0)
    _check("teardown_request_async")
    _count("teardown_request_async")


@app.teardown_appcontext
def teardown_appcontext(exc: BaseException | None) -> None:
    if has_request_context():
        _note("teardown_appcontext (request context still current)", True)
    _check("teardown_appcontext", with_request=False)
    _count("teardown_appcontext")


@app.teardown_appcontext
async def teardown_appcontext_async(exc: BaseException | None) -> None:
    await asyncio.sleep(0)
    _check("teardown_appcontext_async", with_request=False)
    _count("teardown_appcontext_async")


def on_request_tearing_down(sender: Tocsin, exc: BaseException | None = None) -> None:
    _check("request_tearing_down")
    _count("request_tearing_down")


async def on_appcontext_tearing_down(sender: Tocsin, exc: BaseException | None = None) -> None:
    await asyncio.sleep(0)
    _check("appcontext_tearing_down_async", with_request=False)
    _count("appcontext_tearing_down_async")


_connected = False


def connect() -> None:
    """Connect the teardown receivers (for this app only); again is a no-op.

    Called by the middlewares, not at import: the async receiver would send every
    app's ``appcontext_tearing_down`` through the async path (``isolation.py``,
    imported by the test suite, imports this module).
    """
    global _connected
    if _connected:
        return
    _connected = True
    request_tearing_down.connect(on_request_tearing_down, app)
    appcontext_tearing_down.connect(on_appcontext_tearing_down, app)


def _leak(where: str) -> None:
    """Record a context current where none should be (between requests)."""
    if has_app_context() or has_request_context():
        with _lock:
            leaks.append(f"{WIRE.get()}: a context is current {where}")


def report() -> bytes:
    """Everything recorded so far, as JSON."""
    with _lock:
        return json.dumps({"counts": counts, "mismatches": mismatches, "leaks": leaks}).encode()


def _wire_id(query: str) -> str | None:
    ids = parse_qs(query).get("id")
    return ids[0] if ids else None


class _Body:
    """A WSGI body whose chunks and ``close()`` run with ``WIRE`` set."""

    def __init__(self, body: cabc.Iterable[bytes], wire: str | None) -> None:
        self._body = body
        self._wire = wire

    def __iter__(self) -> cabc.Iterator[bytes]:
        chunks = iter(self._body)
        while True:
            token = WIRE.set(self._wire)
            try:
                chunk = next(chunks)
            except StopIteration:
                return
            finally:
                WIRE.reset(token)
            yield chunk

    def close(self) -> None:
        token = WIRE.set(self._wire)
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
            _leak("after the WSGI body was closed")
        finally:
            WIRE.reset(token)


def wsgi(environ: dict[str, t.Any], start_response: t.Any) -> cabc.Iterable[bytes]:
    """The WSGI middleware: ``WIRE`` from the query, leak checks, ``/_report``."""
    connect()
    if environ.get("PATH_INFO") == "/_report":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [report()]
    wire = _wire_id(environ.get("QUERY_STRING", ""))
    token = WIRE.set(wire)
    try:
        _leak("when a WSGI request came in")
        body = app(environ, start_response)
    finally:
        WIRE.reset(token)
    return _Body(body, wire)


async def asgi(scope: dict[str, t.Any], receive: t.Any, send: t.Any) -> None:
    """The ASGI middleware: ``WIRE`` from the query, leak checks, ``/_report``."""
    connect()
    if scope["type"] != "http":
        await app.asgi(scope, receive, send)
        return
    if scope["path"] == "/_report":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": report()})
        return
    WIRE.set(_wire_id(scope["query_string"].decode("latin-1")))  # this request's task only
    _leak("when an ASGI request came in")
    try:
        await app.asgi(scope, receive, send)
    finally:
        _leak("in the request's task after the ASGI call")
