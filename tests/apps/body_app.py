"""An app for tests/test_servers_body.py: bodies nobody reads, limits, teardown faults."""

from __future__ import annotations

import asyncio
import os

from tocsin import Tocsin, request, stream_request_body

app = Tocsin(__name__)
app.config["MAX_CONTENT_LENGTH"] = 64 * 1024 * 1024
ran: list[str] = []
FAULTS = {"cancel": asyncio.CancelledError, "interrupt": KeyboardInterrupt, "exit": SystemExit}


@app.get("/peak")
def peak() -> dict[str, int]:
    """The worker's pid and its peak resident size so far, in KiB."""
    with open(f"/proc/{os.getpid()}/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return {"pid": os.getpid(), "kib": int(fields["VmHWM"].split()[0])}


@app.post("/ignore")
def ignore() -> str:
    return "ignored"


@app.post("/aignore")
async def aignore() -> str:
    return "ignored"


@app.post("/size")
def size() -> str:
    return str(len(request.get_data()))


@app.post("/asize")
async def asize() -> str:
    return str(len(request.get_data()))


@app.get("/fault/<kind>/<fault>")
def fault_sync(kind: str, fault: str) -> str:
    return "answered"


@app.get("/afault/<kind>/<fault>")
async def fault_async(kind: str, fault: str) -> str:
    return "answered"


@app.teardown_request
def first(exc: BaseException | None) -> None:
    if request.view_args and "fault" in request.view_args:
        ran.append("teardown_request 1")


@app.teardown_request
def failing(exc: BaseException | None) -> None:
    fault = FAULTS.get((request.view_args or {}).get("fault", ""))
    if fault is not None:
        raise fault()


@app.teardown_request
def last(exc: BaseException | None) -> None:
    if request.view_args and "fault" in request.view_args:
        ran.append("teardown_request 2")


@app.teardown_appcontext
def app_teardown(exc: BaseException | None) -> None:
    if ran and not ran[-1].startswith("appcontext"):
        ran.append("appcontext")


@app.get("/ran")
def what_ran() -> list[str]:
    """What the teardown of earlier requests did; emptied."""
    done = list(ran)
    ran.clear()
    return done


@app.post("/echo-stream")
def echo_stream() -> object:
    """Streams the request body back while reading it."""
    from tocsin import stream_with_context

    def chunks() -> object:
        while piece := request.stream.read(65536):
            yield piece

    return stream_with_context(chunks())


@app.post("/digest")
def digest() -> str:
    import hashlib

    return hashlib.sha256(request.get_data()).hexdigest()


@app.post("/aecho-stream")
@stream_request_body
async def aecho_stream() -> object:
    """An async view that streams its request body back as it arrives."""

    async def chunks() -> object:
        async for piece in request.body_chunks():
            yield piece

    return chunks()
