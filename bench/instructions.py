"""Instructions per request, counted by valgrind: repeatable whatever else the machine does.

``python bench/instructions.py [--src DIR ...] [--only hello,json,...]`` runs
each scenario in a child process under ``valgrind --tool=callgrind`` twice,
with 0 and with N requests after a warm-up, and prints the difference divided
by N. ``--src`` points ``PYTHONPATH`` at another checkout's ``src`` (the
commit before a change, say); with several, they are printed side by side.

The count is the same for the same code and inputs, give or take a few
hundred instructions (addresses change dicts keyed by ``id``), so it is the
figure to compare across commits; the clock (``bench/wsgi.py``) is the one
to compare with other frameworks.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: What each scenario's child process runs: an app, then ``run(n)`` requests.
CHILD = r"""
import asyncio, gc, sys
from werkzeug.test import EnvironBuilder
from tocsin import Tocsin, g

scenario, n = sys.argv[1], int(sys.argv[2])
driver = "asgi" if scenario.startswith("asgi-") else "wsgi"
app = Tocsin("bench")
if scenario.endswith("session"):
    app.config["SECRET_KEY"] = "k"


def hello():
    return "Hello, World!"


async def hello_async():
    return "Hello, World!"


app.add_url_rule("/", "hello", hello_async if driver == "asgi" else hello)
app.add_url_rule("/user/<int:id>", "user", lambda id: {"id": id, "name": f"user{id}"})
if scenario.endswith("signals"):  # one no-op receiver for this app on each of four signals
    from tocsin import signals as _signals

    def _noop(sender, **extra):
        pass

    for _name in ("request_started", "request_finished", "request_tearing_down",
                  "appcontext_tearing_down"):
        getattr(_signals, _name).connect(_noop, sender=app, weak=False)
if scenario.endswith("hooks"):

    @app.before_request
    async def before():
        g.x = 1

    @app.after_request
    async def after(response):
        response.headers["X-After"] = "1"
        return response


if "traced" in scenario:  # traced-hello: sample=1.0; -1pc: sample=0.01; -timing: Server-Timing
    from tocsin.tracing import Tracer

    Tracer(
        app,
        sample=0.01 if scenario.endswith("-1pc") else 1.0,
        server_timing=scenario.endswith("-timing"),
    )
path = {"json": "/user/42", "404": "/missing"}.get(scenario.removeprefix("asgi-"), "/")
gc.disable()
if driver == "wsgi":
    env = EnvironBuilder(path).get_environ()

    def start_response(status, headers, exc_info=None):
        pass

    def run(count):
        for _ in range(count):
            body = app(dict(env), start_response)
            for _ in body:
                pass
            getattr(body, "close", lambda: None)()

else:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"localhost")],
        "server": ("localhost", 80), "client": ("127.0.0.1", 1),
    }

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        pass

    # asgi-app: the app object itself, as `uvicorn module:app` serves it (needs a
    # Tocsin whose app answers ASGI calls), with a lifespan call open meanwhile, as
    # uvicorn's; otherwise app.asgi, held as a server holds it.
    asgi = app if scenario == "asgi-app" else app.asgi

    async def lifespan(stop):
        events = [{"type": "lifespan.startup"}]

        async def lifespan_receive():
            if events:
                return events.pop()
            await stop.wait()
            return {"type": "lifespan.shutdown"}

        await asgi({"type": "lifespan", "asgi": {"version": "3.0"}}, lifespan_receive, send)

    def run(count):
        async def requests():
            stop = asyncio.Event()
            serving = asyncio.ensure_future(lifespan(stop)) if scenario == "asgi-app" else None
            await asyncio.sleep(0)
            for _ in range(count):
                await asgi(dict(scope), receive, send)
            stop.set()
            if serving is not None:
                await serving

        asyncio.run(requests())

run(200)
run(n)
"""

SCENARIOS = (
    "hello",
    "json",
    "404",
    "session",
    "signals",
    "asgi-hello",
    "asgi-hooks",
    "asgi-app",
    "traced-hello",
    "traced-hello-1pc",
    "traced-hello-timing",
    "asgi-traced-hello",
    "asgi-traced-hello-1pc",
)


def instructions(src: Path, scenario: str, n: int) -> int:
    """Instructions of one child run under callgrind."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(src)}
    result = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-c",
            CHILD,
            scenario,
            str(n),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    found = re.search(r"Collected : ([\d,]+)", result.stderr)
    if found is None:
        raise RuntimeError(f"no count in valgrind's output:\n{result.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", action="append", type=Path, help="a checkout's src folder")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios")
    parser.add_argument("-n", type=int, default=1000, help="requests counted (default 1000)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is needed: apt-get install -y valgrind")
    sources = args.src or [ROOT / "src"]
    scenarios = [s for s in args.only.split(",") if s]
    unknown = sorted(set(scenarios) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenarios {unknown}; choose from {list(SCENARIOS)}")
    print("| scenario | " + " | ".join(str(src) for src in sources) + " |")
    print("|---" * (len(sources) + 1) + "|")
    for scenario in scenarios:
        counts = [
            (instructions(src, scenario, args.n) - instructions(src, scenario, 0)) // args.n
            for src in sources
        ]
        print(f"| {scenario} | " + " | ".join(f"{c:,}" for c in counts) + " |", flush=True)


if __name__ == "__main__":
    main()
