"""Request and Response: what Tocsin adds to Werkzeug's."""

from __future__ import annotations

import typing as t

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response as WerkzeugResponse

from tocsin import Tocsin
from tocsin._responses import complete_headers
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


def adopted(items: list[tuple[str, str]]) -> ResponseHeaders:
    """The headers of a complete response that adopted *items*."""
    headers = Response._complete(200, items, b"").headers
    assert type(headers) is ResponseHeaders
    return headers


def test_complete_headers_adopt_the_list_and_know_when_a_decisive_name_changes() -> None:
    items = [("Content-Type", "text/plain"), ("Content-Length", "2")]
    response = Response._complete(200, items, b"ok")
    headers = response.headers
    assert type(headers) is ResponseHeaders and headers._list is items
    assert complete_headers(response) is items  # sent as it is
    response.headers["X-Extra"] = "1"
    assert headers._adopted_intact and complete_headers(response) is items
    response.headers["Content-Length"] = "2"
    assert not headers._adopted_intact
    assert complete_headers(response) == items and complete_headers(response) is not items
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


_CHANGE_CALLS: dict[str, t.Callable[[ResponseHeaders], object]] = {
    "__delitem__": lambda h: h.__delitem__("X-A"),
    "__ior__": lambda h: h.__ior__({"X-B": "1"}),
    "add": lambda h: h.add("X-B", "1"),
    "add_header": lambda h: h.add_header("X-B", "1"),
    "clear": lambda h: h.clear(),
    "extend": lambda h: h.extend([("X-B", "1")]),
    "pop": lambda h: h.pop("X-A"),
    "popitem": lambda h: h.popitem(),
    "remove": lambda h: h.remove("X-A"),
    "set": lambda h: h.set("X-B", "1"),
    "setdefault": lambda h: h.setdefault("X-B", "1"),
    "setlist": lambda h: h.setlist("X-B", ["1"]),
    "setlistdefault": lambda h: h.setlistdefault("X-B", ["1"]),
    "update": lambda h: h.update({"X-B": "1"}),
}


@pytest.mark.parametrize("name", sorted(_CHANGE_CALLS))
def test_every_werkzeug_change_marks_adopted_headers(name: str) -> None:
    headers = adopted([("X-A", "1"), ("Content-Length", "2")])
    assert headers._adopted_intact
    _CHANGE_CALLS[name](headers)
    assert not headers._adopted_intact


def test_the_changers_are_all_of_werkzeugs() -> None:
    """A Werkzeug release with a new way to change headers must be looked at here."""
    from tocsin.wrappers import _CHANGERS

    readers = {"__contains__", "__copy__", "__eq__", "__getitem__", "__init__", "__iter__"}
    readers |= {"__len__", "__or__", "__repr__", "__str__", "_get_key", "copy", "get"}
    readers |= {"get_all", "getlist", "items", "keys", "to_wsgi_list", "values"}
    ours = {"__setitem__", "_del_key"}  # our own fast path; a helper of the changers
    methods = {k for k, v in vars(Headers).items() if callable(v)}
    assert methods == readers | ours | set(_CHANGERS) == readers | ours | set(_CHANGE_CALLS)


@pytest.mark.parametrize(
    ("name", "intact"),
    [
        ("X-After", True),
        ("Content-Length", False),
        ("LOCATION", False),
        ("content-location", False),
    ],
)
def test_setting_a_decisive_name_marks_adopted_headers(name: str, intact: bool) -> None:
    headers = adopted([("Content-Type", "text/plain"), ("Content-Length", "2")])
    headers[name] = "1"
    assert headers._adopted_intact is intact


def test_copies_and_new_headers_are_not_adopted() -> None:
    headers = adopted([("Content-Length", "2")])
    assert not headers.copy()._adopted_intact
    assert not ResponseHeaders([("Content-Length", "2")])._adopted_intact
