"""Turning return values into responses; redirect, abort and make_response."""

from __future__ import annotations

import asyncio
import collections.abc as cabc
import typing as t

import pytest
from werkzeug.datastructures import Headers
from werkzeug.exceptions import Gone, NotFound
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response as WerkzeugResponse

from tocsin import (
    Response,
    Tocsin,
    abort,
    has_app_context,
    has_request_context,
    make_response,
    redirect,
    request,
    stream_with_context,
)
from tocsin.testing import TestClient

_HTML = "text/html; charset=utf-8"
_BAD_TUPLE = (
    "The view function did not return a valid response tuple. The tuple must have the"
    " form (body, status, headers), (body, status), or (body, headers)."
)


def _route(app: Tocsin, rv: t.Any) -> None:
    app.add_url_rule("/", "index", lambda: rv)


# -- bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["héllo", "héllo".encode(), bytearray("héllo".encode())])
def test_text_and_bytes(app: Tocsin, client: TestClient, body: t.Any) -> None:
    _route(app, body)
    rv = client.get("/")
    assert rv.status_code == 200
    assert rv.headers["Content-Type"] == _HTML
    assert rv.headers["Content-Length"] == "6"
    assert rv.data == "héllo".encode()


def test_dict_and_list(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/d", "d", lambda: {"a": 1})
    app.add_url_rule("/l", "l", lambda: [1, "two"])
    d = client.get("/d")
    assert (d.status_code, d.headers["Content-Type"], d.data) == (
        200,
        "application/json",
        b'{"a":1}\n',
    )
    assert client.get("/l").data == b'[1,"two"]\n'


def test_response_object(app: Tocsin, client: TestClient) -> None:
    _route(app, Response("made", status=202, headers={"X-A": "1"}, mimetype="text/plain"))
    rv = client.get("/")
    assert (rv.status_code, rv.data, rv.headers["X-A"]) == (202, b"made", "1")
    assert rv.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_werkzeug_response_is_converted(app: Tocsin, client: TestClient) -> None:
    _route(app, WerkzeugResponse("plain werkzeug", status=203))
    rv = client.get("/")
    assert (rv.status_code, rv.data) == (203, b"plain werkzeug")
    assert rv.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_wsgi_callable(app: Tocsin, client: TestClient) -> None:
    def wsgi_app(environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]) -> list[bytes]:
        headers = [("Content-Type", "text/x-wsgi"), ("X-Path", environ["PATH_INFO"])]
        start_response("207 MULTI-STATUS", headers)
        return [b"from ", b"wsgi"]

    _route(app, wsgi_app)
    rv = client.get("/")
    assert rv.status_code == 207
    assert rv.data == b"from wsgi"
    assert rv.headers["Content-Type"] == "text/x-wsgi"
    assert rv.headers["X-Path"] == "/"


# -- tuples ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rv", "status", "headers"),
    [
        (("x", 201), "201 CREATED", {}),
        (("x", "299 Custom Thing"), "299 Custom Thing", {}),
        (("x", "418"), "418 I'M A TEAPOT", {}),
        (("x", {"X-A": "1"}), "200 OK", {"X-A": "1"}),
        (("x", [("X-A", "1"), ("X-B", "2")]), "200 OK", {"X-A": "1", "X-B": "2"}),
        (("x", Headers({"X-A": "1"})), "200 OK", {"X-A": "1"}),
        (("x", 404, {"X-A": "1"}), "404 NOT FOUND", {"X-A": "1"}),
        (("x", "500", [("X-A", "1")]), "500 INTERNAL SERVER ERROR", {"X-A": "1"}),
    ],
)
def test_tuples(
    app: Tocsin, client: TestClient, rv: t.Any, status: str, headers: dict[str, str]
) -> None:
    _route(app, rv)
    response = client.get("/")
    assert response.status_code == int(status[:3])
    if client.driver == "wsgi" or status != "299 Custom Thing":  # ASGI sends no reason phrase
        assert response.status == status
    assert response.data == b"x"
    assert response.headers["Content-Type"] == _HTML
    for name, value in headers.items():
        assert response.headers.getlist(name) == [value]


def test_tuple_with_dict_body(app: Tocsin, client: TestClient) -> None:
    _route(app, ({"created": 1}, 201, {"Location": "/items/1"}))
    rv = client.get("/")
    assert (rv.status_code, rv.json, rv.headers["Location"]) == (201, {"created": 1}, "/items/1")
    assert rv.headers["Content-Type"] == "application/json"


def test_tuple_with_response_object(app: Tocsin, client: TestClient) -> None:
    _route(app, (Response("resp", headers={"X-A": "1"}), 404, {"X-B": "2"}))
    rv = client.get("/")
    assert (rv.status_code, rv.data) == (404, b"resp")
    assert (rv.headers["X-A"], rv.headers["X-B"]) == ("1", "2")


def test_response_object_and_headers(app: Tocsin, client: TestClient) -> None:
    _route(app, (Response("resp"), {"X-B": "2"}))
    rv = client.get("/")
    assert (rv.status_code, rv.data, rv.headers["X-B"]) == (200, b"resp", "2")


@pytest.mark.parametrize("rv", [("a",), ("a", 200, {}, 1), ()])
def test_invalid_tuple(app: Tocsin, client: TestClient, rv: tuple[t.Any, ...]) -> None:
    _route(app, rv)
    with pytest.raises(TypeError) as exc_info:
        client.get("/")
    assert str(exc_info.value) == _BAD_TUPLE
    assert not has_request_context()


def test_none_names_the_endpoint(app: Tocsin, client: TestClient) -> None:
    @app.route("/nothing")
    def nothing() -> None:
        return None

    with pytest.raises(TypeError) as exc_info:
        client.get("/nothing")
    assert str(exc_info.value) == (
        "The view function for 'nothing' did not return a valid response. The function either"
        " returned None or ended without a return statement."
    )


def test_none_in_tuple(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/none", "none_tuple", lambda: (None, 200))
    with pytest.raises(TypeError, match="The view function for 'none_tuple' did not return"):
        client.get("/none")


def test_invalid_type(app: Tocsin, client: TestClient) -> None:
    _route(app, 42)
    with pytest.raises(TypeError) as exc_info:
        client.get("/")
    assert str(exc_info.value) == (
        "The view function did not return a valid response. The return type must be a string,"
        " dict, list, tuple with headers or status, Response instance, or WSGI callable, but it"
        " was a int."
    )


# -- HTTP exceptions returned -------------------------------------------------------------------


def test_http_exception_returned(app: Tocsin, client: TestClient) -> None:
    _route(app, NotFound())
    rv = client.get("/")
    assert rv.status_code == 404
    assert b"<title>404 Not Found</title>" in rv.data
    assert rv.headers["Content-Type"] == _HTML


def test_http_exception_returned_with_status(app: Tocsin, client: TestClient) -> None:
    _route(app, (NotFound(), 410))
    rv = client.get("/")
    assert rv.status_code == 410
    assert b"<title>404 Not Found</title>" in rv.data


def test_http_exception_returned_with_description(app: Tocsin, client: TestClient) -> None:
    _route(app, Gone(description="long gone"))
    rv = client.get("/")
    assert rv.status_code == 410
    assert rv.data.endswith(b"<p>long gone</p>\n")


# -- streaming ------------------------------------------------------------------------------


def test_sync_generator(app: Tocsin, client: TestClient) -> None:
    @app.route("/stream")
    def stream() -> cabc.Iterator[str]:
        def generate() -> cabc.Iterator[str]:
            yield "a"
            yield request.args["x"]
            yield "c"

        return generate()

    rv = client.get("/stream?x=b")
    assert rv.status_code == 200
    assert rv.data == b"abc"
    assert rv.headers["Content-Type"] == _HTML
    assert "Content-Length" not in rv.headers
    assert not has_request_context()


def test_generator_with_status_and_headers(app: Tocsin, client: TestClient) -> None:
    def generate() -> cabc.Iterator[bytes]:
        yield b"1,"
        yield b"2"

    _route(app, (generate(), 206, {"Content-Type": "text/csv"}))
    rv = client.get("/")
    assert (rv.status_code, rv.data, rv.headers["Content-Type"]) == (206, b"1,2", "text/csv")


def test_async_generator(app: Tocsin, client: TestClient) -> None:
    @app.route("/astream")
    async def astream() -> t.Any:
        async def generate() -> cabc.AsyncIterator[str]:
            for part in ("x", request.args["y"], "z"):
                await asyncio.sleep(0)
                yield part

        return generate()

    rv = client.get("/astream?y=y")
    assert rv.status_code == 200
    assert rv.data == b"xyz"
    assert not has_request_context()


def test_async_generator_from_sync_view(app: Tocsin, client: TestClient) -> None:
    async def generate() -> cabc.AsyncIterator[bytes]:
        yield b"one "
        await asyncio.sleep(0)
        yield b"two"

    app.add_url_rule("/", "index", lambda: (generate(), 201))
    rv = client.get("/")
    assert (rv.status_code, rv.data) == (201, b"one two")


def test_stream_teardown_after_body(app: Tocsin, client: TestClient) -> None:
    events: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append("teardown")

    @app.route("/stream")
    def stream() -> cabc.Iterator[str]:
        def generate() -> cabc.Iterator[str]:
            events.append("body start")
            yield "x"
            events.append("body end")

        return generate()

    rv = client.get("/stream")
    if client.driver == "wsgi":  # Werkzeug's client takes the first chunk, the rest on reading
        assert events == ["body start"]
    assert rv.data == b"x"  # the body is finished: teardown has run, with no close() needed
    assert events == ["body start", "body end", "teardown"]
    rv.close()  # what a WSGI server does after the body: nothing is run twice
    assert events == ["body start", "body end", "teardown"]
    assert not has_request_context()


def test_stream_closed_early_runs_teardown(app: Tocsin, client: TestClient) -> None:
    events: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append(f"teardown {request.path}")

    @app.route("/stream")
    def stream() -> cabc.Iterator[str]:
        def generate() -> cabc.Iterator[str]:
            try:
                yield "first"
                yield "second"
            finally:
                events.append(f"generator closed in {request.path}")

        return generate()

    if client.driver == "asgi":
        assert client.get("/stream").data == b"firstsecond"
    else:
        rv = client.get("/stream", buffered=False)
        assert not has_request_context()
        rv.close()
    assert events == ["generator closed in /stream", "teardown /stream"]
    assert not has_request_context()


def test_stream_with_context(app: Tocsin, client: TestClient) -> None:
    @app.route("/s")
    def s() -> t.Any:
        @stream_with_context
        def generate() -> cabc.Iterator[str]:
            yield request.args.get("name", "?")
            yield "!"

        return generate()

    assert client.get("/s?name=ann").data == b"ann!"


def test_stream_with_context_outside_request() -> None:
    with pytest.raises(RuntimeError, match="request context is active"):
        stream_with_context(iter(["x"]))


def test_head_of_streamed_response(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/", "index", lambda: iter(["a", "b"]))
    rv = client.head("/")
    assert (rv.status_code, rv.data) == (200, b"")


# -- redirect, abort, make_response ---------------------------------------------------------------


def test_redirect(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/r", "r", lambda: redirect("/target"))
    app.add_url_rule("/p", "p", lambda: redirect("https://x.test/a b", 301))
    rv = client.get("/r")
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/target"
    assert rv.headers["Content-Type"] == _HTML
    assert b"Redirecting..." in rv.data
    perm = client.get("/p")
    assert (perm.status_code, perm.headers["Location"]) == (301, "https://x.test/a%20b")


def test_redirect_outside_app() -> None:
    rv = redirect("/somewhere", 303)
    assert isinstance(rv, WerkzeugResponse)
    assert (rv.status_code, rv.headers["Location"]) == (303, "/somewhere")


def test_redirect_uses_app_response_class(app: Tocsin) -> None:
    class MyResponse(Response):
        pass

    app.response_class = MyResponse
    with app.app_context():
        assert type(redirect("/x")) is MyResponse


def test_abort_code(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/a", "a", lambda: abort(404))
    app.add_url_rule("/d", "d", lambda: abort(403, description="not yours"))
    rv = client.get("/a")
    assert rv.status_code == 404
    assert b"<title>404 Not Found</title>" in rv.data
    d = client.get("/d")
    assert d.status_code == 403
    assert d.data.endswith(b"<p>not yours</p>\n")


def test_abort_response(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/a", "a", lambda: abort(Response("custom", 418, {"X-Why": "tea"})))
    rv = client.get("/a")
    assert (rv.status_code, rv.data, rv.headers["X-Why"]) == (418, b"custom", "tea")


def test_abort_unknown_code() -> None:
    with pytest.raises(LookupError, match="no exception for 299"):
        abort(299)


def test_make_response_helper(app: Tocsin, client: TestClient) -> None:
    @app.route("/m")
    def m() -> Response:
        response = make_response("body", 201, {"X-A": "1"})
        response.headers["X-B"] = "2"
        return response

    app.add_url_rule("/empty", "empty", lambda: make_response())
    app.add_url_rule("/json", "json", lambda: make_response({"a": 1}, 202))
    app.add_url_rule("/tuple", "tuple", lambda: make_response(("t", 203)))
    rv = client.get("/m")
    assert (rv.status_code, rv.data, rv.headers["X-A"], rv.headers["X-B"]) == (
        201,
        b"body",
        "1",
        "2",
    )
    empty = client.get("/empty")
    assert (empty.status_code, empty.data, empty.headers["Content-Length"]) == (200, b"", "0")
    j = client.get("/json")
    assert (j.status_code, j.data, j.headers["Content-Type"]) == (
        202,
        b'{"a":1}\n',
        "application/json",
    )
    assert client.get("/tuple").status_code == 203


def test_make_response_outside_app() -> None:
    with pytest.raises(RuntimeError, match=r"app\.app_context\(\)"):
        make_response("x")


def test_app_make_response(app: Tocsin) -> None:
    with app.test_request_context("/"):
        rv = app.make_response(("body", 201))
    assert isinstance(rv, Response)
    assert (rv.status_code, rv.get_data()) == (201, b"body")


def test_custom_response_class(app: Tocsin, client: TestClient) -> None:
    class TextResponse(Response):
        default_mimetype = "text/plain"

    app.response_class = TextResponse
    seen: list[type] = []

    @app.after_request
    def after(response: Response) -> Response:
        seen.append(type(response))
        return response

    app.add_url_rule("/", "index", lambda: "plain")
    rv = client.get("/")
    assert rv.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert seen == [TextResponse]


def test_list_of_str_with_content_length_is_encoded(app: Tocsin, client: TestClient) -> None:
    from tocsin import Response

    @app.route("/")
    def index() -> Response:
        return Response(["ab", "c"], headers={"Content-Length": "3"})

    response = client.get("/")
    assert (response.status_code, response.data) == (200, b"abc")


# -- headers an after_request function changes on a plain response ---------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda h: h.__setitem__("X-After", "1"), {"x-after": "1", "content-length": "5"}),
        (lambda h: h.__delitem__("Content-Length"), {"content-length": "5"}),  # recomputed
        (lambda h: h.__setitem__("content-LENGTH", "5"), {"content-length": "5"}),
        (lambda h: h.__setitem__("LOCATION", "/caf\u00e9"), {"location": "/caf%C3%A9"}),
        (lambda h: h.add("Content-Location", "/\u00e9"), {"content-location": "/%C3%A9"}),
    ],
    ids=["add", "drop-length", "length-odd-case", "location-iri", "content-location-iri"],
)
def test_after_request_header_changes_reach_the_client(
    app: Tocsin, client: TestClient, change: t.Callable[[Headers], None], expected: dict[str, str]
) -> None:
    app.add_url_rule("/", "index", lambda: "hello")

    @app.after_request
    def after(response: Response) -> Response:
        change(response.headers)
        return response

    rv = client.get("/")
    assert rv.status_code == 200
    assert rv.data == b"hello"
    got = {name.lower(): value for name, value in rv.headers.items()}
    for name, value in expected.items():
        assert got[name] == value


def test_a_teardown_error_after_a_finished_stream_is_raised_by_close(app: Tocsin) -> None:
    @app.teardown_request
    def fail(exc: BaseException | None) -> None:
        raise LookupError("teardown failed")

    app.add_url_rule("/", "index", lambda: iter(["a", "b"]))
    environ = EnvironBuilder("/").get_environ()
    body = app(environ, lambda status, headers, exc_info=None: None)
    assert list(body) == [b"a", b"b"]  # the whole body, though teardown failed at its end
    with pytest.raises(LookupError, match="teardown failed"):
        body.close()  # type: ignore[attr-defined]  # a WSGI body with close()
    body.close()  # type: ignore[attr-defined]  # raised once
    assert not has_request_context()


def test_overridden_make_response_sees_every_return_value(client: TestClient) -> None:
    seen: list[str] = []

    class App(Tocsin):
        def make_response(self, rv: t.Any) -> Response:
            seen.append(type(rv).__name__)
            response = super().make_response(rv)
            response.headers["X-Made"] = "yes"
            return response

    app = App("made_app", root_path="/nonexistent")
    app.add_url_rule("/s", "s", lambda: "text")
    app.add_url_rule("/d", "d", lambda: {"a": 1})
    app.add_url_rule("/t", "t", lambda: ("made", 201))
    app.add_url_rule("/e", "e", lambda: abort(403))
    c = app.test_client(driver=client.driver)
    got = [(c.get(p).status_code, c.get(p).headers.get("X-Made")) for p in ("/s", "/d", "/t", "/e")]
    assert got == [(200, "yes"), (200, "yes"), (201, "yes"), (403, "yes")]
    missing = c.get("/missing")
    assert (missing.status_code, missing.headers.get("X-Made")) == (404, "yes")
    assert seen[:2] == ["str", "str"] and seen[-1] == "NotFound"


def test_a_stream_that_fails_midway_is_torn_down_at_once(app: Tocsin, client: TestClient) -> None:
    torn_down: list[str] = []
    app.teardown_request(lambda exc: torn_down.append(f"request {exc!r}"))
    app.teardown_appcontext(lambda exc: torn_down.append(f"app {exc!r}"))

    @app.route("/stream")
    def stream() -> Response:
        def body() -> cabc.Iterator[str]:
            yield "first"
            raise ValueError("midway")

        return Response(body())

    with pytest.raises(ValueError, match="midway"):
        client.get("/stream").get_data()  # the WSGI test client reads the body here
    assert torn_down == ["request ValueError('midway')", "app ValueError('midway')"]
    assert not has_request_context() and not has_app_context()
