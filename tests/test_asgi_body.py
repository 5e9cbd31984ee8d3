"""The ASGI driver receives a request body only when the request asks for it.

Each test counts the ``http.request`` messages the app took from ``receive``
and, for large bodies, the memory the request cost (``tracemalloc``'s peak
while the server made up the chunks as they were asked for).
"""

from __future__ import annotations

import asyncio
import io
import tracemalloc
import typing as t

import pytest

from asgi_scope import http_scope
from tocsin import Tocsin, abort, g, request, stream_request_body
from tocsin import _asgi_http as asgi_module

Message = dict[str, t.Any]
MiB = 1024 * 1024
CHUNK = 64 * 1024


def _scope(path: str, headers: list[tuple[bytes, bytes]], method: str = "POST") -> dict[str, t.Any]:
    return http_scope(path, method, [(b"host", b"testserver"), *headers])


class Client:
    """A server's side of one request: a body of *size* bytes made up as it is received."""

    def __init__(self, size: int, fill: bytes = b"x", chunk: int = CHUNK) -> None:
        self.size = size
        self.fill = fill
        self.chunk = chunk
        self.given = 0
        self.received = 0  # the http.request messages taken
        self.sent: list[Message] = []
        self.done = asyncio.Event()

    async def receive(self) -> Message:
        if self.given < self.size or (self.size == 0 and self.received == 0):
            n = min(self.chunk, self.size - self.given)
            self.given += n
            self.received += 1
            return {
                "type": "http.request",
                "body": self.fill * n,
                "more_body": self.given < self.size,
            }
        await self.done.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            self.done.set()

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")


def _run(app: Tocsin, path: str, client: Client, headers: list[tuple[bytes, bytes]]) -> int:
    """Serve one request; the peak of memory allocated while it ran."""
    asgi = app.asgi
    tracemalloc.start()
    try:
        asyncio.run(asgi(_scope(path, headers), client.receive, client.send))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _drained(stream: t.IO[bytes]) -> int:
    """Read *stream* to its end in small pieces; how many bytes it held."""
    return sum(len(piece) for piece in iter(lambda: stream.read(CHUNK), b""))


def _length(n: int) -> list[tuple[bytes, bytes]]:
    return [(b"content-length", str(n).encode())]


@pytest.fixture
def app() -> Tocsin:
    app = Tocsin(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * MiB

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

    @app.post("/upload")
    def upload() -> dict[str, t.Any]:
        f = request.files["f"]
        return {"size": _drained(f.stream), "in_memory": isinstance(f.stream, io.BytesIO)}

    return app


@pytest.mark.parametrize(
    ("path", "status"),
    [("/ignore", 200), ("/missing", 404), ("/aborted", 403)],
)
def test_a_body_nobody_reads_is_never_received(app: Tocsin, path: str, status: int) -> None:
    @app.post("/aborted")
    def aborted() -> str:
        return "never"

    @app.before_request
    def refuse() -> None:
        if request.path == "/aborted":
            abort(403)

    client = Client(32 * MiB)
    peak = _run(app, path, client, _length(32 * MiB))
    assert (client.status, client.received) == (status, 0)
    assert peak < 2 * MiB


def test_a_sync_view_receives_the_body_as_it_reads_it(app: Tocsin) -> None:
    client = Client(3 * CHUNK + 5)
    _run(app, "/size", client, [(b"transfer-encoding", b"chunked")])
    assert (client.status, client.body, client.received) == (200, str(3 * CHUNK + 5).encode(), 4)


def test_a_large_upload_to_a_sync_view_is_spooled_by_the_form_parser(app: Tocsin) -> None:
    """Werkzeug's parser reads the stream and keeps a large file on disk, as under WSGI."""
    size = 8 * MiB
    head = b'--B\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n\r\n'
    tail = b"\r\n--B--\r\n"

    class Upload(Client):
        async def receive(self) -> Message:
            if self.received == 0:
                self.received += 1
                return {"type": "http.request", "body": head, "more_body": True}
            if self.given >= self.size:
                self.received += 1
                return {"type": "http.request", "body": tail, "more_body": False}
            return await super().receive() | {"more_body": True}

    client = Upload(size)
    length = len(head) + size + len(tail)
    headers = [(b"content-type", b"multipart/form-data; boundary=B"), *_length(length)]
    peak = _run(app, "/upload", client, headers)
    assert (client.status, client.body) == (200, b'{"in_memory":false,"size":8388608}\n')
    assert peak < 3 * MiB


def test_an_async_view_gets_its_body_spooled_to_disk(app: Tocsin) -> None:
    """On the loop a read cannot wait: the body is received first, past 512 KiB on disk."""
    seen: list[str] = []

    @app.post("/kind")
    async def kind() -> str:
        stream = request.environ["wsgi.input"]
        seen.append(type(stream).__name__)
        seen.append(str(getattr(stream, "_rolled", None)))
        return str(_drained(request.stream))

    client = Client(16 * MiB)
    peak = _run(app, "/kind", client, [(b"transfer-encoding", b"chunked")])
    assert (client.status, client.body) == (200, str(16 * MiB).encode())
    assert seen == ["SpooledTemporaryFile", "True"]
    assert peak < 3 * MiB
    small = Client(100)
    _run(app, "/asize", small, _length(100))
    assert (small.status, small.body, small.received) == (200, b"100", 1)


def test_an_async_view_that_ignores_a_large_body_stays_small(app: Tocsin) -> None:
    client = Client(32 * MiB)
    peak = _run(app, "/aignore", client, _length(32 * MiB))
    assert (client.status, client.body) == (200, b"ignored")
    assert peak < 3 * MiB


@pytest.mark.parametrize("path", ["/size", "/asize", "/ignore", "/streamed"])
@pytest.mark.parametrize("expect", [False, True])
def test_a_declared_length_over_the_limit_is_413_before_receiving(
    app: Tocsin, path: str, expect: bool
) -> None:
    """As under WSGI: refused from the header (a client waiting on 100-continue is answered).

    A view that never reads its body is not refused, as under WSGI and in Flask.
    """

    @app.post("/streamed")
    @stream_request_body
    async def streamed() -> str:
        return str(sum([len(c) async for c in request.body_chunks()]))

    app.config["MAX_CONTENT_LENGTH"] = 1000
    headers = _length(5000) + ([(b"expect", b"100-continue")] if expect else [])
    client = Client(5000)
    _run(app, path, client, headers)
    expected = 200 if path == "/ignore" else 413
    assert (client.status, client.received) == (expected, 0)


def test_an_async_hook_of_a_sync_view_can_read_the_body(app: Tocsin) -> None:
    """The thread receives the rest of the body before a coroutine runs on the loop."""

    @app.post("/hooked")
    def hooked() -> str:
        return f"{g.size}/{len(request.get_data())}"

    @app.before_request
    async def measure() -> None:
        if request.path == "/hooked":
            g.size = len(request.get_data())

    client = Client(2 * MiB)
    _run(app, "/hooked", client, [(b"transfer-encoding", b"chunked")])
    assert (client.status, client.body) == (200, f"{2 * MiB}/{2 * MiB}".encode())


def test_a_prefetched_body_over_the_limit_is_413(app: Tocsin) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 100

    @app.post("/hooked")
    def hooked() -> str:
        return "never"

    @app.before_request
    async def read() -> None:
        request.get_data()

    client = Client(1000, chunk=60)
    _run(app, "/hooked", client, [(b"transfer-encoding", b"chunked")])
    assert client.status == 413


def test_a_client_gone_mid_body_is_a_400_when_a_sync_view_reads(app: Tocsin) -> None:
    class Gone(Client):
        async def receive(self) -> Message:
            if self.received == 2:
                return {"type": "http.disconnect"}
            return await super().receive()

    client = Gone(10 * CHUNK)
    _run(app, "/size", client, _length(10 * CHUNK))
    assert (client.status, client.received) == (400, 2)


def test_the_header_cache_keeps_only_pairs_seen_twice(app: Tocsin) -> None:
    """Per-request values (a session cookie) are never kept; shared ones are, on second sight."""
    app.secret_key = "header cache"

    @app.post("/login/<user>")
    def login(user: str) -> tuple[str, dict[str, str]]:
        from tocsin import session

        session["user"] = user
        return "ok", {"X-Shared": "yes"}

    asgi_module._ENCODED.clear()
    asgi_module._SEEN.clear()
    cookies = []
    for user in ("ann", "bob", "cat"):
        client = Client(0)
        _run(app, f"/login/{user}", client, [])
        assert client.status == 200
        headers = dict(client.sent[0]["headers"])
        cookies.append(headers[b"set-cookie"])
    assert len(set(cookies)) == 3
    kept = {name: value for name, value in asgi_module._ENCODED}
    assert kept == {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Length": "2",
        "Vary": "Cookie",
        "X-Shared": "yes",
    }


def _echo_stream_app(app: Tocsin) -> None:
    from tocsin import stream_with_context

    @app.post("/echo")
    def echo() -> t.Any:
        def chunks() -> t.Iterator[bytes]:
            while piece := request.stream.read(CHUNK):
                yield piece

        return stream_with_context(chunks())

    @app.post("/ignore-stream")
    def ignore_stream() -> t.Any:
        return iter([b"a", b"b", b"c"])


def test_a_streamed_response_may_read_the_body_while_it_streams(app: Tocsin) -> None:
    """The disconnect watcher is then the one caller of receive, and passes the body on."""
    _echo_stream_app(app)

    class Varied(Client):
        async def receive(self) -> Message:
            message = await super().receive()
            if message["type"] == "http.request":  # each chunk of its own bytes
                message["body"] = bytes([65 + self.received % 26]) * len(message["body"])
            return message

    client = Varied(2 * MiB + 7)
    _run(app, "/echo", client, [(b"transfer-encoding", b"chunked")])
    expected = b"".join(
        bytes([65 + i % 26]) * min(CHUNK, 2 * MiB + 7 - (i - 1) * CHUNK)
        for i in range(1, client.received + 1)
    )
    assert (client.status, len(client.body), client.body == expected) == (200, 2 * MiB + 7, True)


def test_a_streamed_response_that_ignores_a_large_body_stays_small(app: Tocsin) -> None:
    _echo_stream_app(app)
    client = Client(32 * MiB)
    peak = _run(app, "/ignore-stream", client, _length(32 * MiB))
    assert (client.status, client.body) == (200, b"abc")
    assert peak < 3 * MiB
    assert client.received * CHUNK < 2 * MiB  # waits for reads after 512 KiB


def test_a_client_gone_while_a_stream_reads_the_body(app: Tocsin) -> None:
    """The read waiting for the next part gets ClientDisconnected; nothing hangs."""
    _echo_stream_app(app)
    torn_down: list[str] = []
    app.teardown_request(lambda exc: torn_down.append(type(exc).__name__))

    class Gone(Client):
        async def receive(self) -> Message:
            if self.received == 3:
                await asyncio.sleep(0.05)
                return {"type": "http.disconnect"}
            return await super().receive()

    client = Gone(10 * CHUNK)
    asgi = app.asgi

    async def serve() -> None:
        await asyncio.wait_for(
            asgi(_scope("/echo", _length(10 * CHUNK)), client.receive, client.send), 10
        )

    asyncio.run(serve())
    assert client.status == 200
    assert len(client.body) <= 3 * CHUNK
    assert torn_down == ["StreamAborted"]  # the watcher saw the disconnect first


def test_receive_has_one_caller_at_a_time_while_a_stream_reads_the_body(app: Tocsin) -> None:
    """ASGI allows one: a read in the thread and the disconnect watcher never overlap."""
    _echo_stream_app(app)

    class Slow(Client):
        in_flight = most = 0

        async def receive(self) -> Message:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            try:
                await asyncio.sleep(0.005)  # long enough for another caller to come
                return await super().receive()
            finally:
                self.in_flight -= 1

    client = Slow(8 * CHUNK)
    _run(app, "/echo", client, [(b"transfer-encoding", b"chunked")])
    assert (client.status, len(client.body), client.most) == (200, 8 * CHUNK, 1)


def test_a_streamed_response_may_read_a_streaming_views_body_while_it_streams(app: Tocsin) -> None:
    """The same for an async view marked stream_request_body: one caller of receive."""

    @app.post("/aecho")
    @stream_request_body
    async def aecho() -> t.Any:
        async def chunks() -> t.AsyncIterator[bytes]:
            async for piece in request.body_chunks():
                yield piece

        return chunks()

    class Slow(Client):
        in_flight = most = 0

        async def receive(self) -> Message:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            try:
                await asyncio.sleep(0.002)
                return await super().receive()
            finally:
                self.in_flight -= 1

    client = Slow(2 * MiB + 3)
    _run(app, "/aecho", client, [(b"transfer-encoding", b"chunked")])
    assert (client.status, len(client.body), client.most) == (200, 2 * MiB + 3, 1)
    assert client.body == b"x" * (2 * MiB + 3)
