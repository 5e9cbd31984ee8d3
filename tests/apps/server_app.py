"""A module-level app served by real servers in tests/test_servers.py.

The factory's app, plus the views of the fault tests.
"""

from __future__ import annotations

import asyncio
import collections.abc as cabc
import os
import time

from server_factory import create_app

from tocsin import (
    Response,
    Tocsin,
    appcontext_tearing_down,
    g,
    request,
    request_tearing_down,
)

app = create_app()


#: Where teardown records what it got (``path where exc-type`` lines), when set.
TEARDOWN_LOG = os.environ.get("TOCSIN_TEARDOWN_LOG")


@app.before_request
def note_path() -> None:
    g.path = request.path


@app.post("/read-data")
def read_data() -> str:
    return str(len(request.data))


@app.route("/agen")
def async_body() -> Response:
    async def generate() -> cabc.AsyncIterator[str]:
        for i in range(3):
            await asyncio.sleep(0)
            yield f"{i}:{request.path};"

    return Response(generate(), mimetype="text/plain")


@app.route("/teardown/slow-sync")
def slow_sync() -> cabc.Iterator[str]:
    def generate() -> cabc.Iterator[str]:
        for i in range(200):  # 10 s at most: the client goes away long before
            yield f"chunk {i};"
            time.sleep(0.05)

    return generate()


@app.route("/teardown/slow-async")
def slow_async() -> Response:
    async def generate() -> cabc.AsyncIterator[str]:
        for i in range(200):
            yield f"chunk {i};"
            await asyncio.sleep(0.05)

    return Response(generate())


@app.route("/teardown/short")
def short() -> cabc.Iterator[str]:
    return iter(["a;", "b;", "c;"])


def _note(where: str, exc: BaseException | None) -> None:
    """Append what teardown got to :data:`TEARDOWN_LOG`, for the /teardown/ views."""
    path = g.get("path", "")
    if TEARDOWN_LOG and path.startswith(("/teardown/", "/read-data")):
        with open(TEARDOWN_LOG, "a") as log:
            log.write(f"{path} {where} {type(exc).__name__}\n")


@app.teardown_request
def note_teardown_request(exc: BaseException | None) -> None:
    _note("teardown_request", exc)


@app.teardown_appcontext
def note_teardown_appcontext(exc: BaseException | None) -> None:
    _note("teardown_appcontext", exc)


def note_request_tearing_down(sender: Tocsin, /, exc: BaseException | None = None) -> None:
    _note("request_tearing_down", exc)


def note_appcontext_tearing_down(sender: Tocsin, /, exc: BaseException | None = None) -> None:
    _note("appcontext_tearing_down", exc)


request_tearing_down.connect(note_request_tearing_down, app)
appcontext_tearing_down.connect(note_appcontext_tearing_down, app)
