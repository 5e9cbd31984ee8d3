"""Memory over many requests: RSS and live objects must stop growing after a warm-up.

Runs ``--requests`` requests in process through each driver (the WSGI app
called as a server calls it, and the ASGI app awaited with a scope, on one
loop), cycling through a sync view, an async view, a view that sets a
session cookie (the next such request sends it back), a JSON POST, a 404,
an ``abort(400)``, a streamed response and a request with a cookie that is
not a valid session. Every ``--every`` requests it runs ``gc.collect()`` and
samples the process's RSS (``/proc/self/statm``) and the number of objects
the collector tracks. Growth is measured from the end of the warm-up (the
first ``--warm-up`` requests, by default a tenth) to the end.

It fails (exit 1) if RSS grows by more than ``--max-growth`` MiB (default 4)
or the tracked objects by more than ``--max-objects`` (default 2,000) after
the warm-up, or if any response is not the expected status. Why these
bounds: a leak of one small object per request (a dict, 200 bytes) over the
900,000 requests after the default warm-up is about 170 MiB and 900,000
objects; 4 MiB allows the allocator's own drift (arenas kept, fragmentation),
and 2,000 objects allows caches that fill slowly (Werkzeug's and Jinja's
bounded caches), while one object leaked every 500 requests still fails::

    python stress/memory.py                     # 1,000,000 requests per driver
    python stress/memory.py --requests 100000 --driver wsgi
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import os
import sys
import time
import typing as t
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import table

from tocsin import Tocsin, abort, request, session

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    """This process's resident set size, in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def make_app() -> Tocsin:
    """The app the requests go to: a little of everything a request can do."""
    app = Tocsin("stress_memory", root_path=str(Path(__file__).parent))
    app.config["SECRET_KEY"] = "memory"

    @app.route("/sync")
    def sync_view() -> str:
        return "sync"

    @app.route("/async")
    async def async_view() -> str:
        await asyncio.sleep(0)
        return "async"

    @app.route("/session")
    def session_view() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    @app.post("/json")
    def json_view() -> dict[str, t.Any]:
        return {"got": request.get_json()}

    @app.route("/abort")
    def abort_view() -> str:
        abort(400)

    @app.route("/stream")
    def stream_view() -> Iterator[str]:
        def chunks() -> Iterator[str]:
            yield "a"
            yield request.path

        return chunks()

    return app


#: The requests cycled through: (method, path, body, cookie kind, expected status).
REQUESTS = (
    ("GET", "/sync", b"", None, 200),
    ("GET", "/async", b"", None, 200),
    ("GET", "/session", b"", "session", 200),
    ("POST", "/json", b'{"a": [1, 2, 3]}', None, 200),
    ("GET", "/missing", b"", None, 404),
    ("GET", "/abort", b"", None, 400),
    ("GET", "/stream", b"", None, 200),
    ("GET", "/session", b"", "bad", 200),
)
_BAD_COOKIE = "session=not.a.valid.signature"


@dataclass
class Result:
    """One driver's run: the samples ``(requests done, RSS, tracked objects)``."""

    driver: str
    requests: int
    warm_up: int
    samples: list[tuple[int, int, int]] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def _at_warm_up(self) -> tuple[int, int, int]:
        return next(s for s in self.samples if s[0] >= self.warm_up)

    @property
    def rss_growth(self) -> int:
        """Bytes of RSS gained from the end of the warm-up to the end."""
        return self.samples[-1][1] - self._at_warm_up()[1]

    @property
    def object_growth(self) -> int:
        """Objects tracked by the collector gained from the end of the warm-up to the end."""
        return self.samples[-1][2] - self._at_warm_up()[2]


def _cookie_from(headers: list[tuple[str, str]]) -> str | None:
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.partition(";")[0]
    return None


def _sample(result: Result, done: int) -> None:
    gc.collect()
    result.samples.append((done, rss(), len(gc.get_objects())))


def _environ(method: str, path: str, body: bytes, cookie: str | None) -> dict[str, t.Any]:
    env: dict[str, t.Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if body:
        env["CONTENT_TYPE"] = "application/json"
        env["CONTENT_LENGTH"] = str(len(body))
    if cookie:
        env["HTTP_COOKIE"] = cookie
    return env


def run_wsgi(app: Tocsin, result: Result, every: int) -> None:
    """*result.requests* WSGI calls, sampling every *every*."""
    cookie: str | None = None
    got: list[t.Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: t.Any = None) -> None:
        got[:] = [int(status[:3]), headers]

    for i in range(result.requests):
        if i % every == 0:
            _sample(result, i)
        method, path, body, kind, expected = REQUESTS[i % len(REQUESTS)]
        sent = cookie if kind == "session" else _BAD_COOKIE if kind == "bad" else None
        app_iter = app(_environ(method, path, body, sent), start_response)
        try:
            b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        if got[0] != expected and len(result.wrong) < 10:
            result.wrong.append(f"{method} {path}: {got[0]}, expected {expected}")
        if kind == "session":
            cookie = _cookie_from(got[1]) or cookie
    _sample(result, result.requests)


def _scope(method: str, path: str, body: bytes, cookie: str | None) -> dict[str, t.Any]:
    headers = [(b"host", b"localhost")]
    if body:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 12345),
    }


async def _run_asgi(app: Tocsin, result: Result, every: int) -> None:
    asgi = app.asgi
    cookie: str | None = None
    for i in range(result.requests):
        if i % every == 0:
            _sample(result, i)
        method, path, body, kind, expected = REQUESTS[i % len(REQUESTS)]
        sent = cookie if kind == "session" else _BAD_COOKIE if kind == "bad" else None
        messages: list[dict[str, t.Any]] = []
        pending = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive(pending: list[dict[str, t.Any]] = pending) -> dict[str, t.Any]:
            if pending:
                return pending.pop()
            await asyncio.sleep(3600)  # a client that stays: never reached for these requests
            return {"type": "http.disconnect"}

        async def send(
            message: dict[str, t.Any], messages: list[dict[str, t.Any]] = messages
        ) -> None:
            messages.append(message)

        await asgi(_scope(method, path, body, sent), receive, send)
        status = messages[0]["status"]
        if status != expected and len(result.wrong) < 10:
            result.wrong.append(f"{method} {path}: {status}, expected {expected}")
        if kind == "session":
            headers = [
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in messages[0]["headers"]
            ]
            cookie = _cookie_from(headers) or cookie
    _sample(result, result.requests)


def run(driver: str, requests: int, every: int | None = None, warm_up: int | None = None) -> Result:
    """Run *requests* requests through *driver* on a fresh app; the samples."""
    every = every or max(1, requests // 50)
    result = Result(driver, requests, warm_up if warm_up is not None else requests // 10)
    app = make_app()
    started = time.perf_counter()
    runner: Callable[[], None] = (
        (lambda: run_wsgi(app, result, every))
        if driver == "wsgi"
        else (lambda: asyncio.run(_run_asgi(app, result, every)))
    )
    runner()
    result.seconds = time.perf_counter() - started
    return result


def failures(result: Result, max_growth_mib: float, max_objects: int) -> list[str]:
    """What is wrong with *result* under the bounds given."""
    wrong = list(result.wrong)
    if result.rss_growth > max_growth_mib * 2**20:
        wrong.append(
            f"RSS grew {result.rss_growth / 2**20:.2f} MiB after warm-up (bound {max_growth_mib})"
        )
    if result.object_growth > max_objects:
        wrong.append(
            f"{result.object_growth} more tracked objects after warm-up (bound {max_objects})"
        )
    return wrong


def format_result(result: Result, max_growth_mib: float, max_objects: int) -> str:
    """The samples of *result* as a table, then its verdict."""
    first = result.samples[0]
    rows = [
        (
            done,
            f"{size / 2**20:.2f}",
            f"{(size - first[1]) / 2**20:+.2f}",
            objects,
            f"{objects - first[2]:+d}",
        )
        for done, size, objects in result.samples
    ]
    wrong = failures(result, max_growth_mib, max_objects)
    verdict = "ok" if not wrong else "FAIL: " + "; ".join(wrong)
    return "\n".join(
        [
            f"{result.driver}: {result.requests} requests in {result.seconds:.1f} s, "
            f"warm-up {result.warm_up}",
            table(("requests", "RSS MiB", "Δ MiB", "objects", "Δ objects"), rows),
            f"{result.driver}: after warm-up RSS {result.rss_growth / 2**20:+.2f} MiB, "
            f"objects {result.object_growth:+d}: {verdict}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run both drivers (or one); 1 if either grew past the bounds."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--driver", choices=("wsgi", "asgi", "both"), default="both")
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=None, help="sample every N requests")
    parser.add_argument("--warm-up", type=int, default=None, help="requests before growth counts")
    parser.add_argument("--max-growth", type=float, default=4.0, help="MiB of RSS after warm-up")
    parser.add_argument("--max-objects", type=int, default=2000)
    args = parser.parse_args(argv)
    drivers = ("wsgi", "asgi") if args.driver == "both" else (args.driver,)
    failed = False
    for driver in drivers:
        result = run(driver, args.requests, args.every, args.warm_up)
        print(format_result(result, args.max_growth, args.max_objects), end="\n\n")
        failed = failed or bool(failures(result, args.max_growth, args.max_objects))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
