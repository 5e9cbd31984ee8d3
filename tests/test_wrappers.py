"""Request and Response: what Tocsin adds to Werkzeug's."""

from __future__ import annotations

import typing as t

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response as WerkzeugResponse

from tocsin import Tocsin
from tocsin.wrappers import Response, ResponseHeaders, status_line


@pytest.mark.parametrize(
    ("status", "ctype", "body"),
    [
        (200, "text/html; charset=utf-8", b"hello"),
        (404, "application/json", b"{}\n"),
        (299, "text/plain", b""),
    ],
)
def test_complete_equals_the_normal_constructor(status: int, ctype: str, body: bytes) -> None:
    headers = [("Content-Type", ctype), ("Content-Length", str(len(body)))]
    fast = Response._complete(status, headers, body)
    normal = Response(body, status, headers={"Content-Type": ctype})
    assert (fast.status, fast.status_code) == (normal.status, normal.status_code)
    assert fast.get_data() == normal.get_data()
    assert fast.headers.to_wsgi_list() == normal.headers.to_wsgi_list()
    environ = {
        "REQUEST_METHOD": "GET",
        "SERVER_NAME": "x",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
    }
    assert fast.get_wsgi_response(environ)[1:] == normal.get_wsgi_response(environ)[1:]


def test_complete_headers_are_built_on_first_read_and_then_kept() -> None:
    response = Response._complete(
        200, [("Content-Type", "text/plain"), ("Content-Length", "2")], b"ok"
    )
    assert response.untouched_headers == [("Content-Type", "text/plain"), ("Content-Length", "2")]
    response.headers["X-Extra"] = "1"
    assert response.untouched_headers is None
    assert response.headers.to_wsgi_list() == [
        ("Content-Type", "text/plain"),
        ("Content-Length", "2"),
        ("X-Extra", "1"),
    ]


def test_force_type_keeps_the_headers_of_a_werkzeug_response() -> None:
    plain = WerkzeugResponse("moved", 302, headers={"Location": "/there"})
    converted = Response.force_type(plain)
    assert isinstance(converted, Response)
    assert converted.headers["Location"] == "/there"
    assert converted.get_data() == b"moved"


def test_status_line() -> None:
    assert (status_line(200), status_line(418), status_line(299)) == (
        "200 OK",
        "418 I'M A TEAPOT",
        "299 UNKNOWN",
    )


def test_request_knows_its_route(app: Tocsin) -> None:
    @app.route("/a/<int:n>", endpoint="things.show")
    def show(n: int) -> str:
        return str(n)

    with app.test_request_context("/a/3"):
        from tocsin import request

        assert (request.endpoint, request.view_args, request.blueprint) == (
            "things.show",
            {"n": 3},
            "things",
        )
        assert request.blueprints == ["things"]
        assert request.url_rule is not None and request.url_rule.rule == "/a/<int:n>"


def test_max_content_length_comes_from_the_app(app: Tocsin) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10
    with app.test_request_context("/", data=b"x"):
        from tocsin import request

        assert request.max_content_length == 10


_names = st.sampled_from(["X-A", "x-a", "X-B", "Content-Length", "content-length", "Set-Cookie"])
_values = st.one_of(
    st.text(alphabet="ab \r\n;=", max_size=4), st.integers(-2, 2), st.none(), st.just(b"v")
)


def _outcome(headers: Headers, name: t.Any, value: t.Any) -> object:
    try:
        headers[name] = value
    except Exception as e:  # the same class and message are expected from both
        return (type(e), str(e))
    return list(headers._list)


@given(
    start=st.lists(st.tuples(_names, st.text(alphabet="ab", max_size=2)), max_size=5),
    sets=st.lists(st.tuples(st.one_of(_names, st.integers(-3, 3)), _values), max_size=6),
)
def test_response_headers_set_items_exactly_as_werkzeug(
    start: list[tuple[str, str]], sets: list[tuple[t.Any, t.Any]]
) -> None:
    ours, theirs = ResponseHeaders(start), Headers(start)
    for name, value in sets:
        if isinstance(name, int):  # index assignment takes a (name, value) pair
            value = ("X-I", value)
        assert _outcome(ours, name, value) == _outcome(theirs, name, value)


def test_response_headers_refuse_a_line_break() -> None:
    headers = ResponseHeaders([("X-A", "1")])
    with pytest.raises(ValueError, match="newline"):
        headers["X-A"] = "1\r\nX-Injected: 1"
    assert headers.to_wsgi_list() == [("X-A", "1")]
