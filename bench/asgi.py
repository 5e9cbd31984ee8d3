"""In-process ASGI benchmark: raw ASGI, Starlette, Quart and Tocsin side by side.

Run: ``.venv/bin/python bench/asgi.py [--quick] [--only json,404] [--frameworks raw,starlette]
[--base ../base/src]``; ``--base`` adds another checkout's Tocsin, timed in the same rounds.
No server: each app is awaited directly with a copied http scope, a
``receive`` that gives one empty request body and then blocks (as a live
connection would), and a ``send`` that collects messages. One event loop for
the whole run; each batch of calls runs inside one coroutine.
See ``docs/performance.md`` for the method and the bar.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from time import perf_counter_ns
from types import ModuleType
from typing import Any

import _harness as h

Scope = dict[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HELLO = b"Hello, World!"
FRAMEWORKS = ("raw", "starlette", "quart", "tocsin")
LABELS = {
    "raw": "raw",
    "starlette": "Starlette",
    "quart": "Quart",
    "tocsin": "Tocsin",
    h.BASE: h.BASE_LABEL,
}
TEXT_HEADERS = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"13")]


@dataclass(frozen=True)
class Scenario:
    """One request shape: which app variant, which path, what must come back."""

    name: str
    kind: str
    path: str
    expect: h.Expect


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("hello", "hello", "/", h.Expect(200, body=HELLO)),
        Scenario("json", "json", "/user/42", h.Expect(200, json={"id": 42, "name": "user42"})),
        Scenario("hooks", "hooks", "/", h.Expect(200, body=HELLO, header=("X-After", "1"))),
        Scenario("404", "hello", "/missing", h.Expect(404)),
    )
}


def make_scope(path: str) -> Scope:
    """A plain HTTP/1.1 GET scope, as a server would build it."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), (b"user-agent", b"bench")],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }


class Exchange:
    """One request's channel: a single empty body, then silence; sends are kept."""

    __slots__ = ("delivered", "sent")

    def __init__(self) -> None:
        self.delivered = False
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        """First the (empty) request body; then block, like an idle client."""
        if not self.delivered:
            self.delivered = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.get_running_loop().create_future()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        """Keep the message."""
        self.sent.append(message)


# -- raw ASGI callables (the floor) -------------------------------------------


async def _raw_send(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def raw_hello(scope: Scope, receive: Receive, send: Send) -> None:
    """GET / -> Hello, World!"""
    if scope["path"] != "/":
        return await _raw_send(send, 404, [(b"content-type", b"text/plain")], b"Not Found")
    await _raw_send(send, 200, TEXT_HEADERS, HELLO)


async def raw_hooks(scope: Scope, receive: Receive, send: Send) -> None:
    """Hello, with the X-After header an after-hook would add."""
    if scope["path"] != "/":
        return await _raw_send(send, 404, [(b"content-type", b"text/plain")], b"Not Found")
    scope.setdefault("state", {})["x"] = 1
    await _raw_send(send, 200, [*TEXT_HEADERS, (b"x-after", b"1")], HELLO)


async def raw_json(scope: Scope, receive: Receive, send: Send) -> None:
    """GET /user/<int:id> -> {"id": id, "name": "user42"}."""
    path: str = scope["path"]
    tail = path[6:]
    if not (path.startswith("/user/") and tail.isdigit()):
        return await _raw_send(send, 404, [(b"content-type", b"text/plain")], b"Not Found")
    body = json.dumps({"id": int(tail), "name": "user42"}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await _raw_send(send, 200, headers, body)


def build_raw(kind: str) -> ASGIApp:
    """The raw callable for an app variant."""
    return {"json": raw_json, "hooks": raw_hooks}.get(kind, raw_hello)


# -- Starlette ------------------------------------------------------------------


class AfterHeader:
    """Pure ASGI middleware: the 'before' sets state, the 'after' adds X-After."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        scope.setdefault("state", {})["x"] = 1

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message["headers"], (b"x-after", b"1")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_header)


def build_starlette(kind: str) -> ASGIApp:
    """Starlette app with async endpoints."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    async def hello(request: Request) -> Response:
        return PlainTextResponse("Hello, World!")

    async def user(request: Request) -> Response:
        return JSONResponse({"id": request.path_params["id"], "name": "user42"})

    routes = [Route("/user/{id:int}", user)] if kind == "json" else [Route("/", hello)]
    middleware = [Middleware(AfterHeader)] if kind == "hooks" else []
    return Starlette(routes=routes, middleware=middleware)


# -- Quart and Tocsin (same code, Flask's API, async views) -------------------


def build_flasky(package: ModuleType, cls: type[Any], kind: str) -> Any:
    """Build the app variant ``kind`` with a Flask-API framework, async views."""
    app = cls(__name__)
    if kind == "json":

        @app.route("/user/<int:id>")
        async def user(id: int) -> dict[str, object]:
            return {"id": id, "name": "user42"}

        return app

    @app.route("/")
    async def hello() -> str:
        return "Hello, World!"

    if kind == "hooks":
        _add_hooks(app, package.g)
    return app


def _add_hooks(app: Any, g: Any) -> None:
    """One before_request (sets g.x) and one after_request (sets X-After)."""

    @app.before_request
    async def before() -> None:
        g.x = 1

    @app.after_request
    async def after(response: Any) -> Any:
        response.headers["X-After"] = "1"
        return response


def builders(base: str | None = None) -> dict[str, Callable[[str], ASGIApp]]:
    """Builders for the frameworks that are importable now (``base``: a ``src`` dir)."""
    import quart

    found: dict[str, Callable[[str], ASGIApp]] = {
        "raw": build_raw,
        "starlette": build_starlette,
        "quart": lambda kind: build_flasky(quart, quart.Quart, kind),
    }
    for key, package in h.tocsins(base).items():
        found[key] = lambda kind, package=package: build_flasky(package, package.Tocsin, kind).asgi
    return found


# -- calling and timing -------------------------------------------------------


async def call_once(app: ASGIApp, scope: Scope) -> tuple[int, dict[str, str], bytes]:
    """Await ``app`` once; return status code, lower-cased headers, body."""
    exchange = Exchange()
    await asyncio.wait_for(app(dict(scope), exchange.receive, exchange.send), timeout=10)
    starts = [m for m in exchange.sent if m["type"] == "http.response.start"]
    if len(starts) != 1:
        raise AssertionError(f"{len(starts)} http.response.start messages: {exchange.sent}")
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in starts[0]["headers"]}
    body = b"".join(m.get("body", b"") for m in exchange.sent if m["type"] == "http.response.body")
    return starts[0]["status"], headers, body


def asgi_batch(loop: asyncio.AbstractEventLoop, app: ASGIApp, scope: Scope) -> h.Batch:
    """A batch function: ``n`` awaited calls inside one coroutine, in seconds."""

    async def calls(n: int) -> float:
        copy, make = dict, Exchange
        start = perf_counter_ns()
        for _ in range(n):
            exchange = make()
            await app(copy(scope), exchange.receive, exchange.send)
        return (perf_counter_ns() - start) / 1e9

    def batch(n: int) -> float:
        return loop.run_until_complete(calls(n))

    return batch


def make_contender(
    loop: asyncio.AbstractEventLoop, build: Callable[[str], ASGIApp], key: str, scenario: Scenario
) -> h.Contender:
    """Build, verify and wrap one app."""
    scope = make_scope(scenario.path)
    app = build(scenario.kind)
    h.check(scenario.expect, *loop.run_until_complete(call_once(app, scope)))
    return h.Contender(f"{key}:{scenario.kind}", asgi_batch(loop, app, scope))


# -- report -------------------------------------------------------------------


def table(results: dict[str, h.Outcome], columns: tuple[str, ...]) -> str:
    """The markdown table of medians, ratios and the bar (base ratios if timed)."""
    with_base = h.BASE in columns
    rows = []
    for name, outcome in results.items():
        versus_starlette = outcome.ratio("tocsin", "starlette")
        versus_quart = outcome.ratio("tocsin", "quart")
        cells = [outcome.cell(key) for key in columns]
        versus_base = h.base_cells(outcome, "starlette") if with_base else []
        bar = f"<= Starlette {h.verdict(versus_starlette, 1.0)}"
        ratios = [h.fmt_ratio(versus_starlette), h.fmt_ratio(versus_quart), *versus_base]
        rows.append([name, *cells, *ratios, bar])
    base_headers = h.base_headers("Starlette") if with_base else []
    ratio_headers = ["Tocsin/Starlette", "Tocsin/Quart", *base_headers]
    headers = ["scenario", *(LABELS[key] for key in columns), *ratio_headers, "bar"]
    return h.markdown_table(headers, rows)


def main() -> int:
    """Run the chosen scenarios and print the report."""
    options = h.parse_args(__doc__.splitlines()[0], list(SCENARIOS), FRAMEWORKS)
    available = builders(options.base)
    chosen = [key for key in options.frameworks if key in available]
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    results = {}
    try:
        for name in options.only:
            scenario = SCENARIOS[name]

            def make(key: str, baseline: bool, scenario: Scenario = scenario) -> h.Contender | None:
                if baseline:
                    return None
                return make_contender(loop, available[key], key, scenario)

            results[name] = h.measure(name, chosen, make, options)
    finally:
        loop.close()
    print(h.header_line(f"ASGI, microseconds per request, {options.rounds} rounds"))
    print()
    print(table(results, options.columns(FRAMEWORKS)))
    if options.verbose:
        print()
        print("\n".join(h.spread_lines(results, LABELS)))
    return 1 if any(outcome.failed for outcome in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
