"""HTTP behaviours matched to Flask 3.1.3: limits, url_for, hosts, streams, JSON, static, client.

Each expectation here was first observed on the real Flask 3.1.3 with the same app.
"""

from __future__ import annotations

import collections.abc as cabc
import importlib.metadata
import io
import typing as t

import pytest
from werkzeug.test import create_environ, run_wsgi_app

from tocsin import (
    Response,
    Tocsin,
    g,
    has_app_context,
    has_request_context,
    jsonify,
    redirect,
    request,
    session,
    stream_with_context,
    url_for,
)
from tocsin.json.provider import DefaultJSONProvider
from tocsin.testing import TestClient
from tocsin.wrappers import Request

_TOO_LARGE = b"<p>The data value transmitted exceeds the capacity limit.</p>"
_BAD_REQUEST = (
    b"<p>The browser (or proxy) sent a request that this server could not understand.</p>"
)


@pytest.fixture(autouse=True)
def _no_leaked_context() -> t.Iterator[None]:
    yield
    assert not has_request_context()
    assert not has_app_context()


# -- 1. request.max_content_length, max_form_memory_size, max_form_parts, per request -------------


def test_limits_outside_an_app_are_werkzeugs() -> None:
    r = Request(create_environ())
    assert (r.max_content_length, r.max_form_memory_size, r.max_form_parts) == (
        None,
        500_000,
        1_000,
    )
    r.max_content_length, r.max_form_memory_size, r.max_form_parts = 7, 8, 9
    assert (r.max_content_length, r.max_form_memory_size, r.max_form_parts) == (7, 8, 9)


def test_limits_read_the_config_until_set(app: Tocsin) -> None:
    app.config.update(MAX_CONTENT_LENGTH=100, MAX_FORM_MEMORY_SIZE=50, MAX_FORM_PARTS=5)
    with app.app_context():
        r = Request(create_environ())
        assert (r.max_content_length, r.max_form_memory_size, r.max_form_parts) == (100, 50, 5)
        r.max_content_length, r.max_form_memory_size, r.max_form_parts = 0, 0, 0
        assert (r.max_content_length, r.max_form_memory_size, r.max_form_parts) == (0, 0, 0)
        app.config["MAX_FORM_PARTS"] = 6  # a value set on the request wins over the config
        assert r.max_form_parts == 0
        r.max_content_length = r.max_form_memory_size = r.max_form_parts = None  # back to config
        assert (r.max_content_length, r.max_form_memory_size, r.max_form_parts) == (100, 50, 6)


@pytest.fixture
def limits_app(app: Tocsin) -> Tocsin:
    """A before_request function sets the limits the query string gives."""
    app.config["MAX_CONTENT_LENGTH"] = 1_000

    @app.before_request
    def set_limits() -> None:
        q = request.args
        if "mcl" in q:
            request.max_content_length = int(q["mcl"])
        if "mfm" in q:
            request.max_form_memory_size = int(q["mfm"])
        if "mfp" in q:
            request.max_form_parts = int(q["mfp"])

    @app.post("/form")
    def form() -> dict[str, t.Any]:
        return {
            "form": request.form.to_dict(),
            "files": sorted(request.files),
            "limits": [
                request.max_content_length,
                request.max_form_memory_size,
                request.max_form_parts,
            ],
        }

    @app.post("/data")
    def data() -> str:
        return str(len(request.get_data()))

    return app


def _multipart(**fields: t.Any) -> dict[str, t.Any]:
    return {"data": fields, "content_type": "multipart/form-data"}


_DEFAULTS = [1_000, 500_000, 1_000]


@pytest.mark.parametrize(
    ("url", "kwargs", "status", "body"),
    [
        ("/form", {"data": {"a": "1"}}, 200, {"form": {"a": "1"}, "limits": _DEFAULTS}),
        (
            "/form?mcl=3",
            {"data": {"a": "1"}},
            200,
            {"form": {"a": "1"}, "limits": [3, 500_000, 1_000]},
        ),
        ("/form?mcl=3", {"data": {"a": "12"}}, 413, None),
        ("/data?mcl=3", {"data": "abcdef"}, 413, None),
        ("/data?mcl=6", {"data": "abcdef"}, 200, "6"),
        # MAX_FORM_MEMORY_SIZE is for multipart fields (Werkzeug does not apply it otherwise)
        (
            "/form?mfm=3",
            {"data": {"a": "1234"}},
            200,
            {"form": {"a": "1234"}, "limits": [1_000, 3, 1_000]},
        ),
        ("/form", _multipart(a="1234"), 200, {"form": {"a": "1234"}, "limits": _DEFAULTS}),
        ("/form?mfm=3", _multipart(a="1234"), 413, None),
        ("/form?mfm=3", {"data": {"a": "1", "f": "<a file>"}}, 413, None),
        # MAX_FORM_PARTS counts multipart parts only
        (
            "/form?mfp=1",
            {"data": {"a": "1", "b": "2"}},
            200,
            {"form": {"a": "1", "b": "2"}, "limits": [1_000, 500_000, 1]},
        ),
        ("/form?mfp=1", _multipart(a="1", b="2"), 413, None),
        (
            "/form?mfp=2",
            _multipart(a="1", b="2"),
            200,
            {"form": {"a": "1", "b": "2"}, "limits": [1_000, 500_000, 2]},
        ),
    ],
)
def test_limits_set_in_before_request_apply_to_the_body(
    limits_app: Tocsin, driver: str, url: str, kwargs: dict[str, t.Any], status: int, body: t.Any
) -> None:
    data = kwargs.get("data")
    if isinstance(data, dict) and "f" in data:
        kwargs = {**kwargs, "data": {**data, "f": (io.BytesIO(b"x"), "f.txt")}}  # one per run
    rv = limits_app.test_client(driver=driver).post(url, **kwargs)
    assert rv.status_code == status
    if status == 413:
        assert _TOO_LARGE in rv.data
    elif isinstance(body, dict):
        assert rv.json == {"files": [], **body}
    else:
        assert rv.text == body


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_max_content_length_raised_per_request(limits_app: Tocsin, driver: str, kind: str) -> None:
    """A request may allow more than MAX_CONTENT_LENGTH (as in Flask), under both drivers.

    The one exception: under ASGI an ``async def`` view's body is received
    before ``before_request`` runs, with the config's limit, so there the
    config value is the most a request can get.
    """
    if kind == "async":

        @limits_app.post("/adata")
        async def adata() -> str:
            return str(len(request.get_data()))

    path = "/data" if kind == "sync" else "/adata"
    rv = limits_app.test_client(driver=driver).post(f"{path}?mcl=3000", data="a" * 1_500)
    if driver == "asgi" and kind == "async":
        assert (rv.status_code, _TOO_LARGE in rv.data) == (413, True)
    else:
        assert (rv.status_code, rv.text) == (200, "1500")


# -- 3. url_for with values named like its own parameters -------------------------------------


@pytest.fixture
def names_app(app: Tocsin) -> Tocsin:
    app.add_url_rule("/s/<self>", "s", lambda self: "s")
    app.add_url_rule("/x/<self>/<endpoint>", "x", lambda self, endpoint: "x")
    app.add_url_rule("/v/<values>", "v", lambda values: "v")
    return app


def test_url_for_takes_self_and_other_parameter_names(names_app: Tocsin) -> None:
    with names_app.test_request_context():
        assert url_for("s", self=1) == "/s/1"
        assert names_app.url_for("s", self=1) == "/s/1"
        assert url_for(endpoint="s", self=2) == "/s/2"  # not positional-only, as in Flask
        assert names_app.url_for(endpoint="s", self=3) == "/s/3"
        assert url_for("v", values=4) == names_app.url_for("v", values=4) == "/v/4"
        assert url_for("s", self=1, app=2, error=3) == "/s/1?app=2&error=3"
        assert url_for("v", values=1, anchor="a", method="m", scheme="s", external="e") == (
            "/v/1?anchor=a&method=m&scheme=s&external=e"
        )


def test_url_for_value_named_endpoint_is_a_type_error(names_app: Tocsin) -> None:
    """As in Flask: ``endpoint`` is the endpoint parameter, so it cannot also be a value."""
    with names_app.test_request_context():
        with pytest.raises(
            TypeError, match=r"^url_for\(\) got multiple values for argument 'endpoint'$"
        ):
            url_for("x", self=1, endpoint=2)  # type: ignore[misc, arg-type]  # the point of the test
        with pytest.raises(
            TypeError, match=r"url_for\(\) got multiple values for argument 'endpoint'$"
        ):
            names_app.url_for("x", self=1, endpoint=2)  # type: ignore[misc, arg-type]  # the point of the test


# -- 5. bad Host headers and SERVER_NAME ---------------------------------------------------------


def _host_app(**kwargs: t.Any) -> Tocsin:
    config = kwargs.pop("config", {})
    app = Tocsin("host_parity_app", root_path="/nonexistent", **kwargs)
    app.config.update(config)
    if app.url_map.host_matching:
        app.add_url_rule("/", "index", lambda h: f"i {request.host}", host="<h>")
    else:
        app.add_url_rule("/", "index", lambda: f"i {request.host}")
    return app


def _get(app: Tocsin, driver: str, host: str, path: str = "/") -> tuple[int, bytes]:
    rv = app.test_client(driver=driver).get(path, headers={"Host": host})
    return rv.status_code, rv.data


@pytest.mark.parametrize("host", ["a..b", ".a.test", "A..B", "a..b:8080", "a" * 64 + ".test"])
@pytest.mark.parametrize("path", ["/", "/missing", "/dir"])
def test_host_no_url_adapter_can_bind_to_is_400(driver: str, host: str, path: str) -> None:
    """Without SERVER_NAME, Flask binds a URL adapter to the Host: a name IDNA refuses is a 400."""
    status, body = _get(_host_app(), driver, host, path)
    assert status == 400
    assert _BAD_REQUEST in body


@pytest.mark.parametrize("host", ["a..b", ".a.test", "a" * 64 + ".test"])
def test_host_that_cannot_bind_is_400_with_host_matching(driver: str, host: str) -> None:
    assert _get(_host_app(host_matching=True, static_folder=None), driver, host)[0] == 400


@pytest.mark.parametrize(
    ("host", "status", "body"),
    [
        ("a.test.", 200, b"i a.test."),  # a trailing dot is a valid name
        ("-a.test", 200, b"i -a.test"),
        ("A.TEST", 200, b"i A.TEST"),
        ("a" * 63 + ".test", 200, b"i " + b"a" * 63 + b".test"),
        ("a b", 200, b"i "),  # invalid characters: Werkzeug reads no host at all
        ("a.test:abc", 200, b"i "),
        ("[::1]", 200, b"i [::1]"),
    ],
)
def test_hosts_that_bind(driver: str, host: str, status: int, body: bytes) -> None:
    assert _get(_host_app(), driver, host) == (status, body)


def test_request_without_host_header_uses_the_server_name() -> None:
    """HTTP/1.0: the server's SERVER_NAME is the host, and it must bind too (WSGI only)."""
    app = _host_app()
    for server_name, status, body in [
        ("a..b", "400 BAD REQUEST", _BAD_REQUEST),
        ("ok.test", "200 OK", b"i ok.test:8080"),
    ]:
        env = create_environ("/")
        del env["HTTP_HOST"]
        env.update(SERVER_NAME=server_name, SERVER_PORT="8080")
        app_iter, got_status, _headers = run_wsgi_app(app, env, buffered=True)
        got_body = b"".join(app_iter)
        assert got_status == status
        assert got_body == body if status == "200 OK" else body in got_body


@pytest.mark.parametrize("host", ["a..b", "other.test", "x.a.test", "a" * 64 + ".test"])
def test_server_name_without_subdomain_matching_serves_any_host(driver: str, host: str) -> None:
    """Flask 3.1 binds to SERVER_NAME itself then: the request's Host neither 404s nor 400s."""
    app = _host_app(config={"SERVER_NAME": "a.test"})
    assert _get(app, driver, host) == (200, f"i {host}".encode())


def test_server_name_with_subdomain_matching_and_another_host_is_404(driver: str) -> None:
    app = _host_app(subdomain_matching=True, config={"SERVER_NAME": "a.test"})
    with pytest.warns(UserWarning, match="^Current server name 'b.test' doesn't match configured"):
        assert _get(app, driver, "b.test")[0] == 404
    assert _get(app, driver, "a.test") == (200, b"i a.test")


def test_host_matching_with_an_unknown_host_is_404(driver: str) -> None:
    app = Tocsin(
        "host_parity_app", root_path="/nonexistent", host_matching=True, static_folder=None
    )
    app.add_url_rule("/", "a", lambda: "a", host="a.test")
    assert _get(app, driver, "a.test") == (200, b"a")
    assert _get(app, driver, "b.test")[0] == 404
    assert _get(app, driver, "a..b")[0] == 400


@pytest.mark.parametrize("server_name", [None, "a.test"])
def test_untrusted_host_is_400_with_or_without_server_name(
    driver: str, server_name: str | None
) -> None:
    app = _host_app(config={"TRUSTED_HOSTS": ["a.test", ".b.test"], "SERVER_NAME": server_name})
    assert _get(app, driver, "a.test") == (200, b"i a.test")
    assert _get(app, driver, "x.b.test") == (200, b"i x.b.test")
    status, body = _get(app, driver, "c.test", "/missing")
    assert (status, b"<p>Host &#39;c.test&#39; is not trusted.</p>" in body) == (400, True)


def test_a_bad_host_reaches_no_hook_and_the_400_handler(driver: str) -> None:
    app = _host_app()
    calls: list[str] = []
    app.before_request(lambda: calls.append("before_request"))
    app.teardown_request(lambda exc: calls.append(f"teardown {exc!r}"))

    @app.errorhandler(400)
    def bad(e: Exception) -> tuple[str, int]:
        return f"handled {type(e).__name__}", 400

    assert _get(app, driver, "a..b") == (400, b"handled BadHost")
    assert calls == [
        "before_request",
        "teardown None",
    ]  # the error is raised at dispatch, as in Flask


# -- 6. stream_with_context keeps the iterator's own close() -----------------------------------


class _Chunks:
    """An iterator (not a generator) with its own close(), that reads the request."""

    def __init__(self, log: list[t.Any]) -> None:
        self.log = log
        self.n = 0

    def __iter__(self) -> _Chunks:
        return self

    def __next__(self) -> str:
        self.n += 1
        if self.n > 2:
            raise StopIteration
        self.log.append(("next", self.n, request.path))
        return str(self.n)

    def close(self) -> None:
        self.log.append(("close", has_request_context()))


@pytest.fixture
def stream_app(app: Tocsin) -> tuple[Tocsin, list[t.Any]]:
    log: list[t.Any] = []

    @app.route("/chunks")
    def chunks() -> Response:
        return Response(stream_with_context(_Chunks(log)))

    @app.route("/gen")
    def gen() -> Response:
        g.mark = "g ok"

        def body() -> cabc.Iterator[str]:
            try:
                log.append(("start", request.path, g.mark))
                yield "a"
                log.append(("mid", request.args.get("q")))
                yield "b"
            finally:
                log.append(("finally", request.path))

        return Response(stream_with_context(body()))

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        log.append("teardown")

    return app, log


def test_stream_with_context_closes_the_iterator_when_exhausted(
    stream_app: tuple[Tocsin, list[t.Any]], client: TestClient
) -> None:
    _app, log = stream_app
    assert client.get("/chunks").data == b"12"
    assert log == [("next", 1, "/chunks"), ("next", 2, "/chunks"), ("close", True), "teardown"]


def test_stream_with_context_closed_early_closes_the_iterator(
    stream_app: tuple[Tocsin, list[t.Any]],
) -> None:
    """Closing the response mid-stream (WSGI: the server does) closes it; twice, as in Flask."""
    app, log = stream_app
    rv = app.test_client().get("/chunks", buffered=False)
    assert next(iter(rv.response)) == b"1"
    rv.close()
    assert log == [("next", 1, "/chunks"), ("close", True), ("close", True), "teardown"]


def test_stream_with_context_generator_runs_its_finally_in_the_context(
    stream_app: tuple[Tocsin, list[t.Any]],
) -> None:
    app, log = stream_app
    rv = app.test_client().get("/gen?q=1", buffered=False)
    assert next(iter(rv.response)) == b"a"
    rv.close()
    assert log == [("start", "/gen", "g ok"), ("finally", "/gen"), "teardown"]
    log.clear()
    assert app.test_client(driver="asgi").get("/gen?q=2").data == b"ab"
    assert log == [("start", "/gen", "g ok"), ("mid", "2"), ("finally", "/gen"), "teardown"]


def test_stream_with_context_iterated_after_the_context_ended(app: Tocsin) -> None:
    """The context is current again while it runs, including in close()."""
    log: list[t.Any] = []
    with app.test_request_context("/t"):
        wrapped = stream_with_context(_Chunks(log))
    assert not has_request_context()
    assert list(wrapped) == ["1", "2"]
    assert log == [("next", 1, "/t"), ("next", 2, "/t"), ("close", True)]
    assert not has_request_context()


def test_stream_with_context_closed_before_it_started(app: Tocsin) -> None:
    log: list[t.Any] = []
    with app.test_request_context("/t"):
        wrapped = stream_with_context(_Chunks(log))
    wrapped.close()
    assert log == []  # (as in Flask: an iterator never started is not closed)


def test_stream_with_context_is_a_generator(app: Tocsin) -> None:
    def echo() -> cabc.Generator[str, str, None]:
        got = yield "first"
        yield f"got {got}"

    with app.test_request_context("/t"):
        wrapped = stream_with_context(echo())
        assert next(wrapped) == "first"
        assert wrapped.send("x") == "got x"
        with pytest.raises(ValueError, match=r"^boom$"):
            wrapped.throw(ValueError("boom"))
        assert list(stream_with_context(["p", "q"])) == ["p", "q"]  # any iterable


def test_stream_with_context_as_a_decorator_keeps_the_function_name(
    app: Tocsin, client: TestClient
) -> None:
    def numbers(n: int) -> cabc.Iterator[str]:
        yield from (f"{i}{request.path}" for i in range(n))

    wrapped = stream_with_context(numbers)
    assert (wrapped.__name__, wrapped.__wrapped__) == ("numbers", numbers)
    app.add_url_rule("/n", "n", lambda: Response(wrapped(2)))
    assert client.get("/n").data == b"0/n1/n"
    with pytest.raises(
        RuntimeError, match=r"^'stream_with_context' can only be used when a request"
    ):
        wrapped(1)  # outside a request: when the generator is made


# -- 7. JSON providers that override default ---------------------------------------------------


class _Thing:
    pass


class StaticDefault(DefaultJSONProvider):
    @staticmethod
    def default(o: t.Any) -> t.Any:
        if isinstance(o, _Thing):
            return "thing"
        return DefaultJSONProvider.default(o)


class MethodDefault(DefaultJSONProvider):
    def default(self, o: t.Any) -> t.Any:  # a method, as Flask allows
        if isinstance(o, _Thing):
            return f"thing of {type(self).__name__}"
        return super().default(o)


class HeaderResponse(StaticDefault):
    """Also overrides response(): the pipeline must call it for returned dicts."""

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        rv = super().response(*args, **kwargs)
        rv.headers["X-Provider"] = type(self).__name__
        return rv


def _json_app(provider: type[DefaultJSONProvider], how: str) -> Tocsin:
    if how == "class":

        class App(Tocsin):
            json_provider_class = provider

        app: Tocsin = App("json_parity_app", root_path="/nonexistent")
    else:
        app = Tocsin("json_parity_app", root_path="/nonexistent")
        app.json = provider(app)
    app.add_url_rule("/d", "d", lambda: {"t": _Thing(), "a": 1})
    app.add_url_rule("/l", "l", lambda: [_Thing()])
    app.add_url_rule("/s", "s", lambda: ({"t": _Thing()}, 201))
    app.add_url_rule("/h", "h", lambda: ({"t": _Thing()}, 201, {"X-Own": "1"}))
    app.add_url_rule("/j", "j", lambda: jsonify(t=_Thing()))
    return app


@pytest.mark.parametrize("how", ["class", "instance"])
@pytest.mark.parametrize(
    ("provider", "thing"),
    [
        (StaticDefault, "thing"),
        (MethodDefault, "thing of MethodDefault"),
        (HeaderResponse, "thing"),
    ],
)
def test_provider_default_is_used_for_every_json_response(
    driver: str, how: str, provider: type[DefaultJSONProvider], thing: str
) -> None:
    client = _json_app(provider, how).test_client(driver=driver)
    expected = {
        "/d": (200, f'{{"a":1,"t":"{thing}"}}\n'),
        "/l": (200, f'["{thing}"]\n'),
        "/s": (201, f'{{"t":"{thing}"}}\n'),
        "/h": (201, f'{{"t":"{thing}"}}\n'),
        "/j": (200, f'{{"t":"{thing}"}}\n'),
    }
    for _ in range(2):  # the first request and the ones after it
        for path, (status, body) in expected.items():
            rv = client.get(path)
            assert (rv.status_code, rv.content_type, rv.text) == (status, "application/json", body)
            assert rv.headers.get("X-Provider") == (
                "HeaderResponse" if provider is HeaderResponse else None
            )
        assert client.get("/h").headers["X-Own"] == "1"


def test_provider_assigned_after_the_first_request_is_used(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/d", "d", lambda: {"t": _Thing()})
    with pytest.raises(TypeError, match=r"^Object of type _Thing is not JSON serializable$"):
        client.get("/d")  # the stock provider cannot encode it
    app.json = HeaderResponse(app)
    rv = client.get("/d")
    assert (rv.text, rv.headers["X-Provider"]) == ('{"t":"thing"}\n', "HeaderResponse")


def test_provider_subclass_settings(driver: str) -> None:
    class Unsorted(DefaultJSONProvider):
        sort_keys = False
        ensure_ascii = False
        mimetype = "application/vnd.x+json"

    app = _json_app(Unsorted, "class")
    app.add_url_rule("/u", "u", lambda: {"z": 1, "\u00e9": 2})
    rv = app.test_client(driver=driver).get("/u")
    assert (rv.content_type, rv.data) == ("application/vnd.x+json", '{"z":1,"\u00e9":2}\n'.encode())


# -- 8. the static route with host_matching and static_host -----------------------------------


@pytest.fixture
def static_root(tmp_path: t.Any) -> str:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "a.css").write_text("body{}\n")
    return str(tmp_path)


@pytest.mark.parametrize(
    ("static_host", "url_path", "served", "url"),
    [
        ("static.test", None, "http://static.test/static/a.css", "http://static.test/static/a.css"),
        (
            "static.test:8080",
            None,
            "http://static.test:8080/static/a.css",
            "http://static.test:8080/static/a.css",
        ),
        ("static.test", "/s", "http://static.test/s/a.css", "http://static.test/s/a.css"),
        ("static.test", "", "http://static.test/a.css", "http://static.test/a.css"),
    ],
)
def test_static_route_on_its_host(
    static_root: str, driver: str, static_host: str, url_path: str | None, served: str, url: str
) -> None:
    app = Tocsin(
        "static_host_app",
        root_path=static_root,
        host_matching=True,
        static_host=static_host,
        static_url_path=url_path,
    )
    app.add_url_rule("/", "index", lambda: "index", host="www.test")
    (rule,) = (r for r in app.url_map.iter_rules() if r.endpoint == "static")
    assert (rule.host, rule.methods) == (static_host, {"GET", "HEAD", "OPTIONS"})
    with app.test_request_context("/", base_url="http://www.test"):
        assert url_for("static", filename="a.css") == url  # always external: another host
        assert url_for("static", filename="a b.css", v=1) == url.replace("a.css", "a%20b.css?v=1")
    app.config["SERVER_NAME"] = "www.test"
    with app.app_context():
        assert url_for("static", filename="a.css", _external=False) == url
    app.config["SERVER_NAME"] = None
    client = app.test_client(driver=driver)
    rv = client.get(served)
    assert (rv.status_code, rv.data) == (200, b"body{}\n")
    rv.close()
    others = [
        "http://www.test/static/a.css",
        "http://localhost/static/a.css",
        "http://x.static.test/static/a.css",
    ]
    for other in (*others, served.replace("a.css", "missing.css")):
        rv = client.get(other)
        assert rv.status_code == 404, other
        rv.close()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"host_matching": True},
        {"static_host": "static.test"},
        {"subdomain_matching": True, "static_host": "s.test"},
    ],
)
def test_static_host_needs_host_matching(static_root: str, kwargs: dict[str, t.Any]) -> None:
    with pytest.raises(AssertionError, match=r"^Invalid static_host/host_matching combination$"):
        Tocsin("static_host_app", root_path=static_root, **kwargs)


def test_no_static_folder_no_static_rule_and_no_check(static_root: str) -> None:
    app = Tocsin("static_host_app", root_path=static_root, host_matching=True, static_folder=None)
    assert [r.endpoint for r in app.url_map.iter_rules()] == []
    Tocsin("static_host_app", root_path=static_root, static_folder=None, static_host="x")


def test_static_view_calls_the_current_send_static_file(static_root: str, driver: str) -> None:
    """As in Flask, the static view looks the method up per call, so an instance patch is used."""
    app = Tocsin("static_host_app", root_path=static_root)
    client = app.test_client(driver=driver)
    assert client.get("/static/a.css").data == b"body{}\n"
    app.send_static_file = lambda filename: Response(f"patched {filename}")  # type: ignore[method-assign]
    assert client.get("/static/a.css").data == b"patched a.css"


# -- 9. the test client -------------------------------------------------------------------------


@pytest.fixture
def client_app(app: Tocsin) -> Tocsin:
    @app.route("/")
    def index() -> str:
        g.value = f"v{request.args.get('n', '')}"
        return f"{request.headers.get('User-Agent')}|{request.remote_addr}"

    @app.route("/login")
    def login() -> t.Any:
        g.value = "login"
        session["user"] = "ann"
        return redirect("/who")

    @app.route("/who")
    def who() -> str:
        g.value = "who"
        return f"who={session.get('user')}"

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        g.torn_down = True

    return app


def test_client_sends_werkzeugs_user_agent_and_an_address(
    client_app: Tocsin, client: TestClient
) -> None:
    agent = f"Werkzeug/{importlib.metadata.version('werkzeug')}"
    assert client.environ_base == {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": agent}
    assert client.get("/").text == f"{agent}|127.0.0.1"
    assert client.get("/", environ_base={"REMOTE_ADDR": "10.0.0.1"}).text == f"{agent}|10.0.0.1"
    assert client.get("/", headers={"User-Agent": "mine"}).text == "mine|127.0.0.1"
    client.environ_base["HTTP_USER_AGENT"] = "changed"
    assert client.get("/").text == "changed|127.0.0.1"


def test_with_client_keeps_the_last_requests_g(client_app: Tocsin, client: TestClient) -> None:
    with client:
        client.get("/?n=1")
        assert (g.value, g.torn_down, request.path) == ("v1", True, "/")
        client.get("/?n=2")
        assert (g.value, request.args["n"]) == ("v2", "2")
    assert not has_request_context()


def test_with_client_and_followed_redirects(client_app: Tocsin, client: TestClient) -> None:
    """The last response's context is kept; none is left once the block ends."""
    with client:
        rv = client.get("/login", follow_redirects=True)
        assert (rv.text, [r.request.path for r in rv.history]) == ("who=ann", ["/login"])
        assert (g.value, request.path, dict(session)) == ("who", "/who", {"user": "ann"})
        with client.session_transaction() as sess:
            assert dict(sess) == {"user": "ann"}
    assert not has_request_context()


def test_followed_redirect_keeps_the_session_cookie(client_app: Tocsin, client: TestClient) -> None:
    assert client.get("/login", follow_redirects=True).text == "who=ann"
    assert client.get("/who").text == "who=ann"


def test_session_transaction_errors_are_flasks(client_app: Tocsin, driver: str) -> None:
    no_cookies = client_app.test_client(use_cookies=False, driver=driver)
    cookies_off = r"^Cookies are disabled\. Create a client with 'use_cookies=True'\.$"
    with pytest.raises(TypeError, match=cookies_off), no_cookies.session_transaction():
        pass
    client_app.secret_key = None
    no_session = r"^Session backend did not open a session\.$"
    with (
        pytest.raises(RuntimeError, match=no_session),
        client_app.test_client(driver=driver).session_transaction(),
    ):
        pass


def test_session_transaction_runs_outside_any_request_context(
    client_app: Tocsin, client: TestClient
) -> None:
    with client.session_transaction() as sess:
        assert not has_request_context()
        sess["user"] = "bob"
    assert client.get("/who").text == "who=bob"
