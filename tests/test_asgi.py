"""The ASGI driver called directly: lifespan, concurrency, streaming, disconnects, bodies."""

from __future__ import annotations

import asyncio
import collections.abc as cabc
import threading
import typing as t

import httpx
import pytest

from asgi_scope import http_scope
from tocsin import Tocsin, g, has_app_context, has_request_context, request
from tocsin.signals import request_finished
from tocsin.testing import TestClient

Message = dict[str, t.Any]


async def _call(app: Tocsin, scope: dict[str, t.Any], body: bytes = b"") -> list[Message]:
    sent: list[Message] = []
    chunks = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Message:
        if chunks:
            return chunks.pop(0)
        await asyncio.Event().wait()  # no disconnect: wait forever
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await app.asgi(scope, receive, send)
    return sent


def _body(messages: list[Message]) -> bytes:
    return b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")


def test_lifespan_runs_serving_hooks_in_app_context(app: Tocsin) -> None:
    calls: list[str] = []

    @app.before_serving
    async def start() -> None:
        calls.append(f"start:{g.__class__.__name__}")

    @app.after_serving
    def stop() -> None:
        calls.append("stop")

    @app.teardown_appcontext
    def teardown(exc: BaseException | None) -> None:
        calls.append(f"teardown:{exc}")

    async def run() -> list[Message]:
        inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
        sent: list[Message] = []

        async def receive() -> Message:
            return inbox.pop(0)

        async def send(message: Message) -> None:
            sent.append(message)

        await app.asgi({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
        return sent

    sent = asyncio.run(run())
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert calls == ["start:_AppCtxGlobals", "teardown:None", "stop", "teardown:None"]


def test_lifespan_reports_startup_failure(app: Tocsin) -> None:
    @app.before_serving
    def start() -> None:
        raise RuntimeError("database is down")

    async def run() -> list[Message]:
        sent: list[Message] = []

        async def receive() -> Message:
            return {"type": "lifespan.startup"}

        async def send(message: Message) -> None:
            sent.append(message)

        await app.asgi({"type": "lifespan"}, receive, send)
        return sent

    assert asyncio.run(run()) == [
        {"type": "lifespan.startup.failed", "message": "RuntimeError: database is down"}
    ]


def test_200_concurrent_tasks_see_only_their_own_request_and_g(app: Tocsin) -> None:
    @app.route("/<int:n>")
    async def view(n: int) -> dict[str, t.Any]:
        g.n = n
        await asyncio.sleep(0.01)
        return {"n": g.n, "arg": request.args["q"], "path": request.path}

    async def run() -> list[list[Message]]:
        return await asyncio.gather(*(_call(app, http_scope(f"/{i}?q={i}")) for i in range(200)))

    results = asyncio.run(run())
    for i, messages in enumerate(results):
        assert messages[0]["status"] == 200
        assert _body(messages) == f'{{"arg":"{i}","n":{i},"path":"/{i}"}}\n'.encode()


def test_sync_view_runs_in_a_worker_thread_with_contexts(app: Tocsin) -> None:
    @app.route("/")
    def view() -> str:
        g.x = "set in thread"
        return f"{threading.current_thread() is threading.main_thread()}:{request.args['a']}:{g.x}"

    messages = asyncio.run(_call(app, http_scope("/?a=1")))
    assert _body(messages) == b"False:1:set in thread"


def test_body_is_read_before_dispatch_for_sync_and_async_views(app: Tocsin) -> None:
    @app.post("/sync")
    def sync_view() -> dict[str, t.Any]:
        return {"form": request.form.to_dict()}

    @app.post("/async")
    async def async_view() -> dict[str, t.Any]:
        return {"json": request.get_json()}

    form = [(b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", b"7")]
    as_json = [(b"content-type", b"application/json"), (b"content-length", b"8")]
    sync_messages = asyncio.run(_call(app, http_scope("/sync", "POST", form), b"a=1&b=2"))
    async_messages = asyncio.run(_call(app, http_scope("/async", "POST", as_json), b'{"x": 1}'))
    assert _body(sync_messages) == b'{"form":{"a":"1","b":"2"}}\n'
    assert _body(async_messages) == b'{"json":{"x":1}}\n'


def test_body_over_max_content_length_is_413(app: Tocsin) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 4

    @app.post("/")
    def view() -> str:
        return request.get_data(as_text=True)

    headers = [(b"content-length", b"10")]
    messages = asyncio.run(_call(app, http_scope("/", "POST", headers), b"0123456789"))
    assert messages[0]["status"] == 413


def test_disconnect_mid_stream_cancels_and_tears_down(app: Tocsin) -> None:
    seen: list[str] = []
    cleaned = asyncio.Event()

    @app.route("/stream")
    async def stream() -> cabc.AsyncIterator[str]:
        async def generate() -> cabc.AsyncIterator[str]:
            try:
                for i in range(1000):
                    yield f"{i},"
                    await asyncio.sleep(0.005)
            finally:
                seen.append("generator closed")

        return generate()

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(f"teardown:{type(exc).__name__}")
        cleaned.set()

    async def run() -> list[Message]:
        sent: list[Message] = []
        inbox: list[Message] = [{"type": "http.request", "body": b"", "more_body": False}]
        disconnect = asyncio.Event()

        async def receive() -> Message:
            if inbox:
                return inbox.pop(0)
            await disconnect.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)
            if len(sent) == 4:
                disconnect.set()

        await app.asgi(http_scope("/stream"), receive, send)
        return sent

    sent = asyncio.run(asyncio.wait_for(run(), 10))
    assert 4 <= len(sent) < 50
    assert seen == ["generator closed", "teardown:StreamAborted"]


def test_async_receivers_of_builtin_signals_are_awaited(app: Tocsin) -> None:
    got: list[int] = []

    async def on_finished(sender: Tocsin, /, response: t.Any) -> None:
        await asyncio.sleep(0)
        got.append(response.status_code)

    @app.route("/")
    async def view() -> str:
        return "ok"

    request_finished.connect(on_finished, weak=False)
    try:
        asyncio.run(_call(app, http_scope("/")))
    finally:
        request_finished.disconnect(on_finished)
    assert got == [200]


def test_httpx_asgi_transport(app: Tocsin) -> None:
    @app.route("/hello/<name>")
    async def hello(name: str) -> str:
        return f"hello {name}"

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app.asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return await c.get("/hello/world")

    response = asyncio.run(run())
    assert (response.status_code, response.text) == (200, "hello world")
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_websocket_scope_is_closed(app: Tocsin) -> None:
    sent: list[Message] = []

    async def run() -> None:
        async def receive() -> Message:
            return {"type": "websocket.connect"}

        async def send(message: Message) -> None:
            sent.append(message)

        await app.asgi({"type": "websocket", "path": "/"}, receive, send)

    asyncio.run(run())
    assert sent == [{"type": "websocket.close", "code": 1000}]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_head_has_headers_but_no_body(app: Tocsin, method: str) -> None:
    @app.route("/")
    async def view() -> str:
        return "twelve bytes"

    messages = asyncio.run(_call(app, http_scope("/", method)))
    headers = dict(messages[0]["headers"])
    assert headers[b"content-length"] == b"12"
    assert _body(messages) == (b"twelve bytes" if method == "GET" else b"")


def test_streamed_request_body_arrives_in_chunks(app: Tocsin) -> None:
    from tocsin import stream_request_body

    seen: list[bytes] = []

    @app.post("/upload")
    @stream_request_body
    async def upload() -> dict[str, t.Any]:
        async for chunk in request.body_chunks():
            seen.append(chunk)
        return {"chunks": len(seen), "size": sum(map(len, seen)), "form": request.form.to_dict()}

    async def run() -> list[Message]:
        inbox: list[Message] = [
            {"type": "http.request", "body": b"a" * 10, "more_body": True},
            {"type": "http.request", "body": b"b" * 20, "more_body": True},
            {"type": "http.request", "body": b"c" * 5, "more_body": False},
        ]
        sent: list[Message] = []

        async def receive() -> Message:
            return inbox.pop(0)

        async def send(message: Message) -> None:
            sent.append(message)

        headers = [
            (b"content-type", b"application/octet-stream"),
            (b"transfer-encoding", b"chunked"),
        ]
        await app.asgi(http_scope("/upload", "POST", headers), receive, send)
        return sent

    messages = asyncio.run(run())
    assert _body(messages) == b'{"chunks":3,"form":{},"size":35}\n'
    assert seen == [b"a" * 10, b"b" * 20, b"c" * 5]


def test_streamed_request_body_over_the_limit_is_413(app: Tocsin) -> None:
    from tocsin import stream_request_body

    app.config["MAX_CONTENT_LENGTH"] = 8

    @app.post("/upload")
    @stream_request_body
    async def upload() -> str:
        return str(sum([len(c) async for c in request.body_chunks()]))

    async def run() -> list[Message]:
        inbox: list[Message] = [
            {"type": "http.request", "body": b"x" * 6, "more_body": True},
            {"type": "http.request", "body": b"y" * 6, "more_body": False},
        ]
        sent: list[Message] = []

        async def receive() -> Message:
            return inbox.pop(0)

        async def send(message: Message) -> None:
            sent.append(message)

        await app.asgi(
            http_scope("/upload", "POST", [(b"transfer-encoding", b"chunked")]), receive, send
        )
        return sent

    assert asyncio.run(run())[0]["status"] == 413


def test_body_chunks_work_under_both_drivers(app: Tocsin, driver: str) -> None:
    from tocsin import stream_request_body

    @app.post("/upload")
    @stream_request_body
    async def upload() -> str:
        return b"|".join([c async for c in request.body_chunks(chunk_size=4)]).decode()

    response = app.test_client(driver=driver).post("/upload", data=b"0123456789")
    assert response.status_code == 200
    assert response.data.replace(b"|", b"") == b"0123456789"


def test_sync_view_request_runs_hooks_view_and_teardown_in_one_thread(app: Tocsin) -> None:
    threads: list[tuple[str, int]] = []

    @app.before_request
    def before() -> None:
        threads.append(("before_request", threading.get_ident()))

    @app.route("/")
    def view() -> str:
        threads.append(("view", threading.get_ident()))
        return "ok"

    @app.teardown_appcontext
    def teardown(exc: BaseException | None) -> None:
        threads.append(("teardown_appcontext", threading.get_ident()))

    asyncio.run(_call(app, http_scope("/")))
    assert [name for name, _ in threads] == ["before_request", "view", "teardown_appcontext"]
    assert len({ident for _, ident in threads}) == 1
    assert threads[0][1] != threading.main_thread().ident


def test_async_hook_in_a_sync_view_request_runs_on_the_loop(app: Tocsin) -> None:
    seen: list[str] = []

    @app.before_request
    async def before() -> None:
        seen.append(f"async hook sees {request.path}")
        g.user = "ada"

    @app.route("/")
    def view() -> str:
        return f"hello {g.user}"

    messages = asyncio.run(_call(app, http_scope("/")))
    assert _body(messages) == b"hello ada"
    assert seen == ["async hook sees /"]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_teardown_runs_before_the_response_is_sent(app: Tocsin, kind: str) -> None:
    order: list[str] = []

    def view() -> t.Any:
        from tocsin import redirect

        return redirect("/elsewhere")

    async def async_view() -> t.Any:
        return view()

    app.add_url_rule("/", "index", view if kind == "sync" else async_view)

    @app.teardown_appcontext
    def teardown(exc: BaseException | None) -> None:
        order.append("teardown")

    async def run() -> None:
        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            order.append(message["type"])

        await app.asgi(http_scope("/"), receive, send)

    asyncio.run(run())
    assert order == ["teardown", "http.response.start", "http.response.body"]


# -- bad input and disconnects --------------------------------------------------------------------


async def _exchange(
    app: Tocsin, scope: dict[str, t.Any], inbox: list[Message], *, disconnect_on_body: bool = False
) -> tuple[list[Message], BaseException | None]:
    """Run one request: *inbox* first, then a disconnect once the response is over.

    With *disconnect_on_body*, the client goes away at the first body message.
    Returns what was sent and what ``app.asgi`` raised.
    """
    sent: list[Message] = []
    gone = asyncio.Event()

    async def receive() -> Message:
        if inbox:
            return inbox.pop(0)
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and (
            disconnect_on_body or not message.get("more_body")
        ):
            gone.set()

    try:
        await app.asgi(scope, receive, send)
    except BaseException as e:
        return sent, e
    return sent, None


def _chunks(*bodies: bytes) -> list[Message]:
    """``http.request`` messages for *bodies*, the last one ending the body."""
    return [
        {"type": "http.request", "body": b, "more_body": i < len(bodies) - 1}
        for i, b in enumerate(bodies)
    ]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_body_without_content_length_reaches_the_view(app: Tocsin, kind: str) -> None:
    """Chunked (HTTP/1.1) or simply unannounced (HTTP/2): the body is read all the same."""

    def view() -> dict[str, t.Any]:
        return {
            "data": request.get_data(as_text=True),
            "form": request.form.to_dict(),
            "json": request.get_json(silent=True),
            "length": request.content_length,
        }

    async def async_view() -> dict[str, t.Any]:
        return view()

    app.add_url_rule("/", "index", view if kind == "sync" else async_view, methods=["POST"])
    chunked = [(b"transfer-encoding", b"chunked")]
    form = [(b"content-type", b"application/x-www-form-urlencoded")]
    json_type = [(b"content-type", b"application/json")]
    cases = [
        (chunked, _chunks(b"hel", b"lo"), {"data": "hello", "form": {}, "json": None}),
        (
            chunked + form,
            _chunks(b"a=1&", b"b=2"),
            {"data": "a=1&b=2", "form": {"a": "1", "b": "2"}},
        ),
        ([], _chunks(b'{"x": [1, 2]}'), None),  # HTTP/2: no length, no transfer-encoding
        (json_type, _chunks(b'{"x":', b" [1, 2]}"), {"json": {"x": [1, 2]}}),
    ]
    for headers, inbox, expected in cases:
        sent, exc = asyncio.run(_exchange(app, http_scope("/", "POST", headers), inbox))
        assert (exc, sent[0]["status"]) == (None, 200)
        got = httpx.Response(200, content=_body(sent)).json()
        assert got["length"] is None
        if expected is None:
            assert got["data"] == '{"x": [1, 2]}'
        else:
            assert {k: got[k] for k in expected} == expected


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_body_without_content_length_over_the_limit_is_413(app: Tocsin, kind: str) -> None:
    """A sync view reads its body as it asks (the 413 comes from the read, as under WSGI);
    an async view's is spooled before its hooks run, so the view is not called."""
    app.config["MAX_CONTENT_LENGTH"] = 8
    called: list[str] = []

    def view() -> str:
        called.append("view")
        return request.get_data(as_text=True)

    async def async_view() -> str:
        return view()

    app.add_url_rule("/", "index", view if kind == "sync" else async_view, methods=["POST"])
    headers = [(b"transfer-encoding", b"chunked")]
    sent, exc = asyncio.run(
        _exchange(app, http_scope("/", "POST", headers), _chunks(b"1234", b"5678"))
    )
    assert (exc, sent[0]["status"], _body(sent)) == (None, 200, b"12345678")
    inbox = _chunks(b"1234", b"5678", b"9")
    sent, exc = asyncio.run(_exchange(app, http_scope("/", "POST", headers), inbox))
    assert (exc, sent[0]["status"]) == (None, 413)
    assert called == (["view", "view"] if kind == "sync" else ["view"])


def test_disconnect_mid_body_is_client_disconnected_for_a_streaming_view(app: Tocsin) -> None:
    from werkzeug.exceptions import ClientDisconnected

    from tocsin import stream_request_body

    seen: list[t.Any] = []
    torn_down: list[BaseException | None] = []

    @app.post("/upload")
    @stream_request_body
    async def upload() -> str:
        try:
            async for chunk in request.body_chunks():
                seen.append(chunk)
        except ClientDisconnected as e:
            seen.append(type(e).__name__)
            raise
        return "complete"

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn_down.append(exc)

    inbox: list[Message] = [
        {"type": "http.request", "body": b"a" * 100, "more_body": True},
        {"type": "http.disconnect"},
    ]
    headers = [(b"transfer-encoding", b"chunked")]
    sent, exc = asyncio.run(_exchange(app, http_scope("/upload", "POST", headers), inbox))
    assert exc is None
    assert seen == [b"a" * 100, "ClientDisconnected"]
    assert sent[0]["status"] == 400  # sent to nobody, but the view could tell
    assert torn_down == [None]  # a 400 is an HTTP error, not an unhandled one


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_disconnect_mid_body_is_a_400(app: Tocsin, kind: str) -> None:
    """A sync view sees the disconnect when it reads (as under WSGI); an async view,
    whose body is received before its hooks run, is not called."""
    called: list[str] = []
    torn_down: list[BaseException | None] = []

    def view() -> str:
        called.append("view")
        return str(len(request.get_data()))

    async def async_view() -> str:
        return view()

    app.add_url_rule("/", "index", view if kind == "sync" else async_view, methods=["POST"])
    app.teardown_request(torn_down.append)
    inbox: list[Message] = [
        {"type": "http.request", "body": b"a" * 10, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent, exc = asyncio.run(
        _exchange(app, http_scope("/", "POST", [(b"content-length", b"20")]), inbox)
    )
    expected_calls = ["view"] if kind == "sync" else []
    assert (exc, sent[0]["status"], called, torn_down) == (None, 400, expected_calls, [None])


def test_disconnect_during_a_sync_streamed_body_closes_it_once(app: Tocsin) -> None:
    """The chunk being made when the client goes away is finished, then the generator closed."""
    events: list[str] = []
    disconnected = threading.Event()

    @app.route("/slow")
    def slow() -> t.Any:
        def generate() -> cabc.Iterator[bytes]:
            try:
                yield b"first"
                disconnected.wait(5)  # the client is gone, and the stream cancelled, while
                events.append("second chunk made")  # this chunk is being made
                yield b"second"
                events.append("not reached")
            finally:
                events.append("generator closed")

        response = app.response_class(generate())
        response.call_on_close(lambda: events.append("on_close"))
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append(f"teardown:{type(exc).__name__}")

    async def run() -> tuple[list[Message], BaseException | None]:
        sent: list[Message] = []
        inbox = _chunks(b"")
        client_gone = asyncio.Event()

        async def receive() -> Message:
            if inbox:
                return inbox.pop(0)
            await client_gone.wait()
            # Set once this step is over: the driver's watcher has cancelled the stream by then.
            asyncio.get_running_loop().call_soon(disconnected.set)
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)
            if message.get("body"):
                client_gone.set()

        try:
            await app.asgi(http_scope("/slow"), receive, send)
        except BaseException as e:
            return sent, e
        return sent, None

    for _ in range(3):
        events.clear()
        disconnected.clear()
        sent, exc = asyncio.run(asyncio.wait_for(run(), 10))
        assert exc is None
        assert _body(sent) == b"first"
        assert events == [
            "second chunk made",
            "generator closed",
            "on_close",
            "teardown:StreamAborted",
        ]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_rule_without_a_view_is_a_handled_500(app: Tocsin, kind: str, driver: str) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    torn_down: list[BaseException | None] = []
    app.teardown_request(torn_down.append)
    app.add_url_rule("/nv", endpoint="nv")
    app.add_url_rule("/async", "async_view", _async_hello)
    rv = app.test_client(driver=driver).get("/nv")
    assert rv.status_code == 500
    assert [type(e) for e in torn_down] == [KeyError]
    assert not has_request_context() and not has_app_context()


async def _async_hello() -> str:
    return "hello"


def test_rule_without_a_view_propagates_in_testing(app: Tocsin, driver: str) -> None:
    torn_down: list[BaseException | None] = []
    app.teardown_request(torn_down.append)
    app.add_url_rule("/nv", endpoint="nv")
    with pytest.raises(KeyError, match="nv"):
        app.test_client(driver=driver).get("/nv")
    assert [type(e) for e in torn_down] == [KeyError]
    assert not has_request_context() and not has_app_context()


@pytest.mark.parametrize(
    ("raw_path", "status"),
    [
        (b"/p/%FF", 400),
        (b"/p/%ff%fe", 400),
        (b"/p/\xff", 400),
        (b"/p/%EF%BF%BD", 200),  # a real U+FFFD, sent percent-encoded
        (b"/p/\xef\xbf\xbd", 200),
        (b"/p/%EF%BF%BD?q=%ff", 200),  # a server that leaves the query in raw_path
        (None, 200),  # no raw_path: the path is all there is
    ],
)
def test_path_decoded_with_replacement_is_checked_against_raw_path(
    app: Tocsin, raw_path: bytes | None, status: int
) -> None:
    """uvicorn decodes ``%ff`` to U+FFFD; under gunicorn the same request is a 400."""

    @app.route("/p/<name>")
    def page(name: str) -> str:
        return name

    scope = http_scope("/p/\ufffd")
    scope["raw_path"] = raw_path
    sent, exc = asyncio.run(_exchange(app, scope, _chunks(b"")))
    assert (exc, sent[0]["status"]) == (None, status)
    if status == 400:
        assert b"<p>The request path is not valid UTF-8.</p>" in _body(sent)
    else:
        assert _body(sent) == "\ufffd".encode()


def test_query_string_given_as_text(app: Tocsin) -> None:
    @app.route("/args")
    def args() -> dict[str, t.Any]:
        return request.args.to_dict()

    for query, status, body in [
        ("a=1&b=%C3%A9", 200, b'{"a":"1","b":"\\u00e9"}\n'),
        ("a=\xff", 200, b'{"a":"%FF"}\n'),
        ("a=\u2603", 400, None),
        ("a=\udcff", 400, None),
    ]:
        scope = http_scope("/args")
        scope["query_string"] = query
        sent, exc = asyncio.run(_exchange(app, scope, _chunks(b"")))
        assert (exc, sent[0]["status"]) == (None, status)
        if body is not None:
            assert _body(sent) == body


@pytest.mark.parametrize("root_path", ["/\ud800", "/\udcff", "/a\udc80b"])
def test_root_path_with_lone_surrogates_is_400(app: Tocsin, root_path: str) -> None:
    @app.route("/args")
    def args() -> dict[str, t.Any]:
        return request.args.to_dict()

    scope = http_scope("/args")
    scope["root_path"] = root_path
    sent, exc = asyncio.run(_exchange(app, scope, _chunks(b"")))
    assert (exc, sent[0]["status"]) == (None, 400)


@pytest.mark.parametrize("path", ["/\ud800", "/x/\udfff"])
def test_path_with_lone_surrogates_that_are_not_escaped_bytes_is_400(
    app: Tocsin, path: str
) -> None:
    @app.errorhandler(400)
    def bad_request(e: Exception) -> tuple[str, int]:
        return f"bad: {request.path!r}", 400  # the request object can be made

    scope = http_scope("/")
    scope["path"], scope["raw_path"] = path, None
    sent, exc = asyncio.run(_exchange(app, scope, _chunks(b"")))
    assert (exc, sent[0]["status"]) == (None, 400)
    assert _body(sent).startswith(b"bad: ")


@pytest.mark.parametrize(
    ("method", "status", "body"),
    [
        ("options", 200, b""),
        ("head", 200, b""),
        ("HEAD", 200, b""),
        ("get", 200, b"view"),
        ("", 405, None),
    ],
)
@pytest.mark.parametrize("kind", ["direct", "response", "streamed"])
def test_method_is_uppercased(
    app: Tocsin, method: str, status: int, body: bytes | None, kind: str
) -> None:
    @app.route("/only-get")
    def only_get() -> t.Any:
        if kind == "direct":
            return "view"
        if kind == "response":
            return app.response_class("view", headers={"Location": "/x"})
        return app.response_class(iter([b"vi", b"ew"]), headers={"Content-Length": "4"})

    sent, exc = asyncio.run(_exchange(app, http_scope("/only-get", method), _chunks(b"")))
    assert (exc, sent[0]["status"]) == (None, status)
    headers = dict(sent[0]["headers"])
    if body is not None:
        assert _body(sent) == body
    if method in ("options", ""):
        assert set(headers[b"allow"].split(b", ")) == {b"GET", b"HEAD", b"OPTIONS"}
    if method == "HEAD":
        assert headers[b"content-length"] == b"4"
    if method == "head":
        # The method token is case-sensitive: h11 frames the answer to "head" as
        # one with a body, so a Content-Length of 4 with no body would break it.
        assert b"content-length" not in headers


def test_test_client_sends_a_host_latin1_cannot_hold(app: Tocsin, client: TestClient) -> None:
    """The ASGI test bridge encodes such a header as UTF-8 (it used to raise), as under WSGI."""

    @app.get("/")
    def index() -> str:
        return f"{request.host!r} {request.path}"

    response = client.get("/", headers={"Host": "☃.test"})
    assert (response.status_code, response.text) == (200, "'' /")


def test_test_client_keeps_header_names_as_the_app_wrote_them(
    app: Tocsin, client: TestClient
) -> None:
    """The ASGI messages carry lowercase names; the test response has the app's, as under WSGI."""
    from tocsin import Response, redirect, stream_with_context

    @app.get("/")
    def index() -> t.Any:
        response = redirect("/next")
        response.headers["x-lower"] = "1"
        response.headers["X-Upper"] = "2"
        return response

    @app.get("/stream")
    def stream() -> Response:
        return Response(stream_with_context(iter(["a", "b"])), headers={"X-Streamed": "yes"})

    response = client.get("/")
    assert list(response.headers.keys()) == [
        "Content-Type",
        "Content-Length",
        "Location",
        "x-lower",
        "X-Upper",
    ]
    assert "Location" in dict(response.headers)
    streamed = client.get("/stream")
    assert (streamed.text, list(streamed.headers.keys())) == ("ab", ["X-Streamed", "Content-Type"])
