"""Bad input from clients: always a clear 4xx (or a working request), never a 500 or a leak."""

from __future__ import annotations

import io
import json
import typing as t
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.test import create_environ, encode_multipart, run_wsgi_app

from tocsin import Tocsin, has_app_context, has_request_context, request, session
from tocsin.testing import TestClient

_NOT_UTF8 = b"<p>The request path is not valid UTF-8.</p>"
_NOT_LATIN1 = b"<p>The request URL holds characters that no HTTP request can contain.</p>"
_NOT_JSON = b"<p>The request body is not valid JSON.</p>"


@pytest.fixture
def app(app: Tocsin) -> Tocsin:
    """The shared ``app``, with views that read every part of the request."""

    @app.route("/")
    def index() -> dict[str, t.Any]:
        return {
            "args": request.args.to_dict(flat=False),
            "full_path": request.full_path,
            "url": request.url,
        }

    @app.route("/<p>")
    def segment(p: str) -> dict[str, t.Any]:
        return {"p": p, "path": request.path}

    @app.route("/n/<int:n>")
    def number(n: int) -> str:
        return str(n)

    @app.route("/files/<path:rest>")
    def files(rest: str) -> str:
        return rest

    @app.route("/dir/")
    def directory() -> str:
        return "dir"

    @app.post("/json")
    def json_body() -> dict[str, t.Any]:
        return {"json": request.get_json()}

    @app.post("/json-silent")
    def json_silent() -> dict[str, t.Any]:
        return {"json": request.get_json(silent=True)}

    @app.post("/data")
    def data() -> str:
        return str(len(request.get_data()))

    @app.post("/form")
    def form() -> dict[str, t.Any]:
        return {"form": request.form.to_dict(), "files": sorted(request.files)}

    @app.post("/form-field")
    def form_field() -> str:
        return request.form["name"]

    @app.route("/cookies")
    def cookies() -> dict[str, t.Any]:
        return {"cookies": request.cookies.to_dict(), "session": dict(session)}

    return app


def _raw(client: TestClient, path: str = "/", query: str = "", **environ: str) -> tuple[str, bytes]:
    """Send a raw WSGI environ (latin-1 strings, as a server makes them) through the driver."""
    env = create_environ()
    env["PATH_INFO"] = path
    env["QUERY_STRING"] = query
    env.update(environ)
    app_iter, status, _headers = run_wsgi_app(client.application, env, buffered=True)
    return status, b"".join(app_iter)


@pytest.fixture(autouse=True)
def _no_leaked_context() -> t.Iterator[None]:
    yield
    assert not has_request_context()
    assert not has_app_context()


# -- paths ------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["/\xff", "/\xc3", "/caf\xc3", "/files/\xed\xa0\x80"])
def test_raw_path_not_utf8(client: TestClient, raw: str) -> None:
    status, body = _raw(client, raw)
    assert status == "400 BAD REQUEST"
    assert _NOT_UTF8 in body


def test_raw_path_utf8(client: TestClient) -> None:
    status, body = _raw(client, "/caf\xc3\xa9")
    assert status == "200 OK"
    assert body == b'{"p":"caf\\u00e9","path":"/caf\\u00e9"}\n'


@pytest.mark.parametrize(
    ("path", "p"),
    [
        ("/%ff", "\ufffd"),
        ("/%zz", "%zz"),
        ("/%", "%"),
        ("/%2", "%2"),
        ("/a%00b", "a\x00b"),
        ("/%0a", "\n"),
        ("/caf%C3%A9", "caf\u00e9"),
    ],
)
def test_malformed_percent_encoding_in_path(client: TestClient, path: str, p: str) -> None:
    rv = client.get(path)
    assert rv.status_code == 200
    assert rv.json == {"p": p, "path": f"/{p}"}


def test_bad_int_is_404(client: TestClient) -> None:
    assert client.get("/n/%ff").status_code == 404
    assert client.get("/n/1e3").status_code == 404


# -- query strings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "args", "url_query"),
    [
        ("a=%ff", {"a": ["%FF"]}, "a=%FF"),
        ("a=%zz&b=%&c=%2", {"a": ["%zz"], "b": ["%"], "c": ["%2"]}, "a=%zz&b=%&c=%2"),
        ("a=1&&=&b", {"a": ["1"], "": [""], "b": [""]}, "a=1&&=&b"),
        ("q=%00", {"q": ["\x00"]}, "q=%00"),
        ("a=%C3%A9&a=2", {"a": ["\u00e9", "2"]}, "a=\u00e9&a=2"),
    ],
)
def test_malformed_query(
    client: TestClient, query: str, args: dict[str, list[str]], url_query: str
) -> None:
    rv = client.get(f"/?{query}")
    assert rv.status_code == 200
    assert rv.json == {
        "args": args,
        "full_path": f"/?{query}",
        "url": f"http://localhost/?{url_query}",
    }


@pytest.mark.parametrize(
    ("raw", "args", "full_path", "url"),
    [
        ("a=\xff", {"a": ["%FF"]}, "/?a=%FF", "http://localhost/?a=%FF"),
        ("a=caf\xc3\xa9", {"a": ["caf\u00e9"]}, "/?a=caf%C3%A9", "http://localhost/?a=caf\u00e9"),
        (
            "a=x y&b=\x01",
            {"a": ["x y"], "b": ["\x01"]},
            "/?a=x y&b=\x01",
            "http://localhost/?a=x%20y&b=%01",
        ),
    ],
)
def test_raw_query_bytes(
    client: TestClient, raw: str, args: dict[str, list[str]], full_path: str, url: str
) -> None:
    """Raw bytes in the query (Flask answers a raw 0xff with a 500)."""
    status, body = _raw(client, "/", raw)
    assert status == "200 OK"
    assert json.loads(body) == {"args": args, "full_path": full_path, "url": url}


def test_cr_lf_in_query_is_percent_encoded_for_a_redirect(client: TestClient) -> None:
    """A strict-slash redirect carries the query: raw CR/LF would end the Location header."""
    rv = client.get("/dir", environ_overrides={"QUERY_STRING": "a=\r\n&b=\xff&c=%41"})
    assert rv.status_code == 308
    assert rv.headers["Location"] == "http://localhost/dir/?a=%0D%0A&b=%FF&c=%41"
    assert client.get(rv.headers["Location"]).data == b"dir"


def test_cr_lf_in_query_reach_the_view_decoded(client: TestClient) -> None:
    rv = client.get("/", environ_overrides={"QUERY_STRING": "a=1\r\n2&b=x y&c=\t"})
    assert rv.status_code == 200
    assert rv.json == {
        "args": {"a": ["1\r\n2"], "b": ["x y"], "c": ["\t"]},
        "full_path": "/?a=1%0D%0A2&b=x y&c=\t",  # other ASCII stays as sent
        "url": "http://localhost/?a=1%0D%0A2&b=x%20y&c=%09",
    }


@pytest.mark.parametrize("query", ["a=\u2603", "a=\udcff", "a=\ud800&b=1", "\U0001f600"])
@pytest.mark.parametrize("path", ["/", "/dir"])
def test_query_not_latin1_is_400(app: Tocsin, query: str, path: str) -> None:
    """WSGI's QUERY_STRING is latin-1 text; anything else comes from a faulty server."""
    status, body = _raw(app.test_client(), path, query)
    assert status == "400 BAD REQUEST"
    assert _NOT_LATIN1 in body


def test_query_not_latin1_error_handler_sees_the_request(app: Tocsin) -> None:
    @app.errorhandler(400)
    def bad_request(e: Exception) -> tuple[str, int]:
        return f"{request.query_string.decode()} {request.args.to_dict()}", 400

    status, body = _raw(app.test_client(), "/", "a=\u2603")
    assert (status, body.decode()) == ("400 BAD REQUEST", "a=%E2%98%83 {'a': '\u2603'}")


@pytest.mark.parametrize("key", ["SCRIPT_NAME", "PATH_INFO"])
def test_script_name_or_path_not_latin1_is_400(app: Tocsin, key: str) -> None:
    status, body = _raw(app.test_client(), "/", **{key: "/\u2603"})
    assert status == "400 BAD REQUEST"
    assert (_NOT_LATIN1 if key == "SCRIPT_NAME" else _NOT_UTF8) in body


# -- bodies ------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", ["nope", "", "{", '{"a": }', "\xff"])
def test_invalid_json_is_400(client: TestClient, data: str) -> None:
    rv = client.post("/json", data=data, content_type="application/json")
    assert rv.status_code == 400
    assert b"<p>The request body is not valid JSON.</p>" in rv.data


def test_invalid_json_silent(client: TestClient) -> None:
    rv = client.post("/json-silent", data="nope", content_type="application/json")
    assert (rv.status_code, rv.json) == (200, {"json": None})
    rv = client.post("/json-silent", data="{}", content_type="text/plain")
    assert (rv.status_code, rv.json) == (200, {"json": None})


def test_json_without_json_content_type_is_415(client: TestClient) -> None:
    assert client.post("/json", data="{}", content_type="text/plain").status_code == 415


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_400(client: TestClient, depth: int) -> None:
    data = b"[" * depth + b"]" * depth
    rv = client.post("/json", data=data, content_type="application/json")
    assert rv.status_code == 400
    assert _NOT_JSON in rv.data
    rv = client.post("/json-silent", data=data, content_type="application/json")
    assert (rv.status_code, rv.json) == (200, {"json": None})


def test_deeply_nested_json_results_are_cached(app: Tocsin, client: TestClient) -> None:
    @app.post("/twice")
    def twice() -> str:
        first = request.get_json(silent=True)
        again = request.get_json(silent=True)
        try:
            request.get_json()
        except Exception as e:
            return f"{first} {again} {type(e).__name__}"
        return "parsed"

    rv = client.post("/twice", data=b"[" * 5000 + b"]" * 5000, content_type="application/json")
    assert rv.data == b"None None BadRequest"
    nested = b"[" * 50 + b"]" * 50  # a depth JSON can have
    assert client.post("/json", data=nested, content_type="application/json").status_code == 200


# -- bodies without Content-Length (chunked, HTTP/2) ---------------------------------------------


def _chunked(
    client: TestClient, path: str, body: bytes, content_type: str = "application/octet-stream"
) -> t.Any:
    """POST *body* as a server hands over a chunked body: no CONTENT_LENGTH, a terminated input."""
    return client.post(
        path,
        input_stream=io.BytesIO(body),
        content_type=content_type,
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def _multipart(fields: dict[str, t.Any]) -> tuple[bytes, str]:
    boundary, data = encode_multipart(fields)
    return data, f"multipart/form-data; boundary={boundary}"


_URLENCODED = "application/x-www-form-urlencoded"


def test_chunked_body_reaches_the_view(app: Tocsin, client: TestClient) -> None:
    @app.post("/upload")
    def upload() -> dict[str, t.Any]:
        files = {name: f.read().decode() for name, f in request.files.items()}
        opened.extend(request.files.values())
        return {"form": request.form.to_dict(), "files": files}

    opened: list[FileStorage] = []

    assert _chunked(client, "/data", b"hello").data == b"5"
    rv = _chunked(client, "/form", b"name=x&b=2", _URLENCODED)
    assert rv.json == {"form": {"name": "x", "b": "2"}, "files": []}
    rv = _chunked(client, "/json", b'{"a": [1]}', "application/json")
    assert rv.json == {"json": {"a": [1]}}
    upload_body = _multipart({"name": "n", "f": FileStorage(io.BytesIO(b"abc"), "f.txt")})
    rv = _chunked(client, "/upload", *upload_body)
    assert rv.json == {"form": {"name": "n"}, "files": {"f": "abc"}}
    assert [f.stream.closed for f in opened] == [True]  # closed with the request (step 17)


@pytest.mark.parametrize("size", [0, 9, 10])
def test_chunked_body_up_to_max_content_length(app: Tocsin, client: TestClient, size: int) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10
    assert _chunked(client, "/data", b"a" * size).data == str(size).encode()


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        ("/data", b"a" * 11, "application/octet-stream"),
        ("/data", b"a" * 100_000, "application/octet-stream"),
        ("/form", b"name=" + b"x" * 50, _URLENCODED),
        ("/json", b'"' + b"x" * 50 + b'"', "application/json"),
        ("/json-silent", b'"' + b"x" * 50 + b'"', "application/json"),
        ("/form", *_multipart({"f": FileStorage(io.BytesIO(b"x" * 100), "f.txt")})),
    ],
)
def test_chunked_body_over_max_content_length_is_413(
    app: Tocsin, client: TestClient, path: str, body: bytes, content_type: str
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10
    rv = _chunked(client, path, body, content_type)
    assert rv.status_code == 413
    assert b"<title>413 Request Entity Too Large</title>" in rv.data


def test_chunked_body_over_the_limit_read_from_the_stream(app: Tocsin, client: TestClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10
    read: list[bytes] = []

    @app.post("/stream")
    def stream() -> str:
        while chunk := request.stream.read(4):
            read.append(chunk)
        return "read"

    assert _chunked(client, "/stream", b"0123456789").data == b"read"
    assert b"".join(read) == b"0123456789"
    read.clear()
    assert _chunked(client, "/stream", b"0123456789A").status_code == 413
    assert len(b"".join(read)) <= 10  # what came before the limit; then the 413


# -- a server's input stream that fails ---------------------------------------------------------


class _BrokenChunk(Exception):  # named like a server's parse error
    """What a server's input stream raises for a body it cannot read (gunicorn's
    ``InvalidChunkSize`` is neither ``OSError`` nor ``ValueError``)."""


class _FailingInput:
    """A server's ``wsgi.input`` that hands over *good* bytes, then raises :class:`_BrokenChunk`."""

    def __init__(self, good: bytes = b"") -> None:
        self._good = good

    def _fail_after(self, size: int | None) -> bytes:
        if self._good and size is not None and size >= 0:  # reading it all hits the bad chunk
            part = self._good[:size]
            self._good = self._good[len(part) :]
            return part
        raise _BrokenChunk("invalid chunk size")

    def read(self, size: int | None = None) -> bytes:
        return self._fail_after(size)

    def readline(self, size: int | None = None) -> bytes:
        return self._fail_after(size)


def _read_stream() -> int:
    return len(request.stream.read())


def _read_lines() -> int:
    return len(request.stream.readline()) + len(request.stream.readline())


def _read_chunks() -> int:
    async def count() -> int:
        return sum([len(chunk) async for chunk in request.body_chunks(2)])

    from tocsin._async import run_coroutine

    return run_coroutine(count())


#: Each way Tocsin or Werkzeug reads the body, with the Content-Type it needs.
_READERS: dict[str, tuple[t.Callable[[], object], str]] = {
    "data": (lambda: request.data, "application/octet-stream"),
    "get_data": (lambda: request.get_data(), "application/octet-stream"),
    "form": (lambda: request.form, _URLENCODED),
    "files": (lambda: request.files, "multipart/form-data; boundary=b"),
    "get_json": (lambda: request.get_json(), "application/json"),
    "json": (lambda: request.json, "application/json"),
    "stream.read": (_read_stream, "application/octet-stream"),
    "stream.readline": (_read_lines, "application/octet-stream"),
    "body_chunks": (_read_chunks, "application/octet-stream"),
}

#: How the server hands the body over: with a Content-Length, or terminated (chunked).
_FRAMINGS: dict[str, dict[str, t.Any]] = {
    "content-length": {"CONTENT_LENGTH": "100"},
    "chunked": {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True},
}


def _post_failing(
    app: Tocsin, stream: object, framing: str = "content-length", content_type: str = ""
) -> t.Any:
    """POST to ``/read`` under WSGI with *stream* as the server's ``wsgi.input``."""
    overrides = {**_FRAMINGS[framing], "wsgi.input": stream}
    return app.test_client(driver="wsgi").post(
        "/read", content_type=content_type or None, environ_overrides=overrides
    )


@pytest.mark.parametrize("limit", [None, 1000])
@pytest.mark.parametrize("framing", sorted(_FRAMINGS))
@pytest.mark.parametrize("reader", sorted(_READERS))
def test_failing_server_input_is_400(
    app: Tocsin, reader: str, framing: str, limit: int | None
) -> None:
    """Any error of the server's stream, read any way, is a 400 with teardown run (WSGI)."""
    app.config["MAX_CONTENT_LENGTH"] = limit
    read, content_type = _READERS[reader]
    seen: list[BaseException] = []
    torn_down: list[object] = []

    @app.post("/read")
    def read_body() -> str:
        try:
            read()
        except Exception as e:
            seen.append(e)
            raise
        return "read"

    app.teardown_request(lambda exc: torn_down.append(("request", exc)))
    app.teardown_appcontext(lambda exc: torn_down.append(("app", exc)))
    rv = _post_failing(app, _FailingInput(b"a=1"), framing, content_type)
    assert rv.status_code == 400
    assert b"<p>The request body could not be read.</p>" in rv.data
    [error] = seen
    assert type(error) is ClientDisconnected
    assert type(error.__cause__) is _BrokenChunk
    assert torn_down == [("request", None), ("app", None)]  # a handled HTTP error, as in Flask


def test_failing_server_input_with_a_content_length_read_past_the_good_bytes(app: Tocsin) -> None:
    """Werkzeug's LimitedStream reads the guarded stream in pieces: the good ones arrive first."""
    got: list[bytes] = []

    @app.post("/read")
    def read_body() -> str:
        got.append(request.stream.read(3))
        request.stream.read(3)
        return "unreachable"

    rv = _post_failing(app, _FailingInput(b"abc"))
    assert rv.status_code == 400
    assert got == [b"abc"]


def test_http_error_of_a_middleware_stream_passes_unchanged(app: Tocsin) -> None:
    """A stream that raises an HTTP error itself (a middleware's limit) keeps that error."""

    class Limited(_FailingInput):
        def read(self, size: int | None = None) -> bytes:
            raise RequestEntityTooLarge()

    app.add_url_rule("/read", "read", lambda: str(len(request.data)), methods=["POST"])
    rv = _post_failing(app, Limited())
    assert rv.status_code == 413


def test_unreadable_body_under_propagate_exceptions_is_still_400(app: Tocsin) -> None:
    """TESTING propagates unhandled errors; the unreadable body is an HTTP error, not one."""
    assert app.config["TESTING"]
    app.add_url_rule("/read", "read", lambda: request.get_json(), methods=["POST"])
    rv = _post_failing(app, _FailingInput(), content_type="application/json")
    assert rv.status_code == 400


def test_max_content_length_data(app: Tocsin, client: TestClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10
    assert client.post("/data", data="x" * 10).data == b"10"
    rv = client.post("/data", data="x" * 11)
    assert rv.status_code == 413
    assert b"<title>413 Request Entity Too Large</title>" in rv.data


def test_max_content_length_form(app: Tocsin, client: TestClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 50
    assert client.post("/form", data={"a": "x"}).json == {"form": {"a": "x"}, "files": []}
    assert client.post("/form", data={"a": "x" * 100}).status_code == 413
    assert client.post("/form", data={"f": (io.BytesIO(b"x" * 100), "f.txt")}).status_code == 413


def test_max_form_memory_size(app: Tocsin, client: TestClient) -> None:
    app.config["MAX_FORM_MEMORY_SIZE"] = 10
    rv = client.post("/form", data={"a": "x" * 100}, content_type="multipart/form-data")
    assert rv.status_code == 413


def test_max_form_parts(app: Tocsin, client: TestClient) -> None:
    app.config["MAX_FORM_PARTS"] = 2
    parts = {f"f{i}": "v" for i in range(5)}
    rv = client.post("/form", data=parts, content_type="multipart/form-data")
    assert rv.status_code == 413


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (
            b'--xx\r\nContent-Disposition: form-data; name="name"\r\n\r\nbroken',
            "multipart/form-data; boundary=xx",
        ),
        (b"garbage", "multipart/form-data"),
        (b"garbage", "multipart/form-data; boundary=yy"),
        (b"--xx\r\nno headers end", "multipart/form-data; boundary=xx"),
    ],
)
def test_malformed_multipart(client: TestClient, data: bytes, content_type: str) -> None:
    rv = client.post("/form", data=data, content_type=content_type)
    assert (rv.status_code, rv.json) == (200, {"form": {}, "files": []})
    rv = client.post("/form-field", data=data, content_type=content_type)
    assert rv.status_code == 400


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", ""])
def test_invalid_content_length(client: TestClient, length: str) -> None:
    rv = client.post("/data", data="xyz", headers={"Content-Length": length})
    assert rv.status_code in (200, 400)


# -- methods, cookies, hosts --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/dir", "/dir/", "/n/1"])
def test_empty_method_is_405_as_in_flask(client: TestClient, path: str) -> None:
    rv = client.open(path, method="")
    assert rv.status_code == 405
    assert {m.strip() for m in rv.headers["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}
    assert client.open("/n/x/y", method="").status_code == 404
    assert client.get(path).status_code in (200, 308)


def test_empty_method_is_404_where_no_rule_matches(driver: str) -> None:
    app = Tocsin(__name__)

    @app.route("/only/")
    def only() -> str:
        return "only"

    client = app.test_client(driver=driver)
    assert client.get("/only").status_code == 308
    assert client.open("/only", method="").status_code == 404  # no redirect for no method


def test_empty_method_matches_a_rule_for_every_method(app: Tocsin, client: TestClient) -> None:
    from werkzeug.routing import Rule

    app.url_map.add(Rule("/any", endpoint="any"))  # methods=None: every method
    app.view_functions["any"] = lambda: f"method={request.method!r}"
    assert client.open("/any", method="").data == b"method=''"
    assert client.open("/any", method="BREW").data == b"method='BREW'"


@pytest.mark.parametrize(
    ("method", "status", "body", "ran"),
    [
        ("get", "200 OK", b"view ran", ["GET"]),
        ("Get", "200 OK", b"view ran", ["GET"]),
        ("head", "200 OK", b"", ["HEAD"]),
        ("options", "200 OK", b"", []),  # the automatic OPTIONS response, not the view
        ("post", "405 METHOD NOT ALLOWED", None, []),
        ("brew", "405 METHOD NOT ALLOWED", None, []),
    ],
)
def test_lowercase_method_is_uppercased(
    app: Tocsin, client: TestClient, method: str, status: str, body: bytes | None, ran: list[str]
) -> None:
    """Servers pass the method as sent (h11 keeps its case); both drivers uppercase it."""
    seen: list[str] = []

    @app.route("/only-get")
    def only_get() -> str:
        seen.append(request.method)
        return "view ran"

    env = create_environ("/only-get", method="GET")
    env["REQUEST_METHOD"] = method
    app_iter, got_status, headers = run_wsgi_app(client.application, env, buffered=True)
    got_body = b"".join(app_iter)
    assert got_status == status
    if body is not None:
        assert got_body == body
    assert seen == ran
    if method == "options":
        assert {m.strip() for m in headers["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}
    if method == "head":  # ASGI: sent as "head", h11 frames it as a body (see test_asgi.py)
        assert headers.get("Content-Length") == ("8" if client.driver == "wsgi" else None)


@pytest.mark.parametrize("kind", ["location", "streamed"])
def test_lowercase_head_sends_no_body(app: Tocsin, client: TestClient, kind: str) -> None:
    """Also for the responses that Werkzeug prepares, which read the method from the environ."""
    closed: list[str] = []

    @app.route("/prepared")
    def prepared() -> t.Any:
        if kind == "location":
            return app.response_class("moved", 201, headers={"Location": "/elsewhere"})
        response = app.response_class(iter([b"streamed"]))
        response.call_on_close(lambda: closed.append("closed"))
        return response

    env = create_environ("/prepared")
    env["REQUEST_METHOD"] = "head"
    app_iter, status, headers = run_wsgi_app(client.application, env, buffered=True)
    assert (status, b"".join(app_iter)) == ("201 CREATED" if kind == "location" else "200 OK", b"")
    assert closed == ([] if kind == "location" else ["closed"])
    assert headers.get("Location") == ("/elsewhere" if kind == "location" else None)


@pytest.mark.parametrize(
    "cookie",
    [
        'a=1; b="unterminated; =x; session=%%%',
        "session=not.a.signed.value",
        "session=" + "x" * 5000,
        ";;;=;",
        "\xff=\xff",
    ],
)
def test_malformed_cookie(client: TestClient, cookie: str) -> None:
    status, body = _raw(client, "/cookies", HTTP_COOKIE=cookie)
    assert status == "200 OK"
    assert b'"session":{}' in body


def test_malformed_cookie_keeps_good_pairs(client: TestClient) -> None:
    status, body = _raw(client, "/cookies", HTTP_COOKIE='good=1; bad; b="open; other=2')
    assert status == "200 OK"
    assert json.loads(body) == {"cookies": {"good": "1", "bad": "", "other": "2"}, "session": {}}


@pytest.mark.parametrize("host", ["exa mple.com", "[::1", "\xff", "a:b:c", ""])
def test_malformed_host(client: TestClient, host: str) -> None:
    status, _body = _raw(client, "/dir", HTTP_HOST=host)
    assert status == "308 PERMANENT REDIRECT"
    status, _body = _raw(client, "/", HTTP_HOST=host)
    assert status == "200 OK"


def test_untrusted_host_is_400(app: Tocsin, client: TestClient) -> None:
    app.config["TRUSTED_HOSTS"] = ["good.test"]

    @app.route("/url")
    def url() -> str:
        return request.host

    assert client.get("/url", base_url="http://good.test").data == b"good.test"
    for path in ("/url", "/", "/missing/path", "/dir"):
        rv = client.get(path, base_url="http://evil.test")
        assert rv.status_code == 400
        assert b"<p>Host &#39;evil.test&#39; is not trusted.</p>" in rv.data


# -- random input -------------------------------------------------------------------------------

_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@_SETTINGS
@given(segments=st.lists(st.text(), max_size=4), query=st.text())
def test_random_paths_and_queries(client: TestClient, segments: list[str], query: str) -> None:
    path = "/" + "/".join(quote(s, safe="") for s in segments)
    assume(not path.startswith("//"))  # the test client would read a host from it
    rv = client.get(path, query_string=quote(query, safe="=&%+"))
    assert rv.status_code in (200, 308, 404, 405)
    assert not has_request_context()


@_SETTINGS
@given(
    path=st.binary(max_size=30),
    query=st.binary(max_size=30),
    method=st.sampled_from(["GET", "POST", "HEAD", "OPTIONS", "DELETE", "BREW"]),
)
def test_random_raw_environ(client: TestClient, path: bytes, query: bytes, method: str) -> None:
    status, _body = _raw(
        client, "/" + path.decode("latin-1"), query.decode("latin-1"), REQUEST_METHOD=method
    )
    assert int(status[:3]) in (200, 308, 400, 404, 405, 415)  # (415: POST /json, no JSON)
    assert not has_request_context()


@_SETTINGS
@given(
    body=st.binary(max_size=200),
    content_type=st.sampled_from(
        [
            "application/json",
            "multipart/form-data",
            "multipart/form-data; boundary=b",
            "application/x-www-form-urlencoded",
            "text/plain",
            "application/octet-stream",
        ]
    ),
)
def test_random_bodies(client: TestClient, body: bytes, content_type: str) -> None:
    for path in ("/json-silent", "/form", "/data"):
        rv = client.post(path, data=body, content_type=content_type)
        assert rv.status_code in (200, 413)
    assert client.post("/json", data=body, content_type=content_type).status_code in (200, 400, 415)
