"""Routing: rules, methods, converters, automatic HEAD and OPTIONS, redirects, 405."""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.routing import BaseConverter, Rule

from tocsin import Tocsin, request, url_for
from tocsin.testing import TestClient


def _allow(response: t.Any) -> set[str]:
    return {m.strip() for m in response.headers["Allow"].split(",")}


# -- registration -----------------------------------------------------------------------------


def test_route_and_add_url_rule(app: Tocsin, client: TestClient) -> None:
    @app.route("/decorated")
    def decorated() -> str:
        return "decorated"

    def plain() -> str:
        return "plain"

    app.add_url_rule("/plain", view_func=plain)
    app.add_url_rule("/named", "custom_name", plain)
    assert client.get("/decorated").data == b"decorated"
    assert client.get("/plain").data == b"plain"
    assert client.get("/named").data == b"plain"
    assert app.view_functions["decorated"] is decorated
    assert app.view_functions["plain"] is plain
    assert app.view_functions["custom_name"] is plain
    endpoints = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints["/decorated"] == "decorated"
    assert endpoints["/plain"] == "plain"
    assert endpoints["/named"] == "custom_name"


def test_endpoint_decorator(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/ep", "ep")

    @app.endpoint("ep")
    def ep() -> str:
        return "via endpoint"

    assert client.get("/ep").data == b"via endpoint"


def test_request_endpoint_and_rule(app: Tocsin, client: TestClient) -> None:
    @app.route("/item/<int:item_id>", endpoint="item")
    def view(item_id: int) -> dict[str, t.Any]:
        return {
            "endpoint": request.endpoint,
            "rule": request.url_rule.rule if request.url_rule else None,
            "view_args": request.view_args,
            "blueprint": request.blueprint,
        }

    assert client.get("/item/7").json == {
        "endpoint": "item",
        "rule": "/item/<int:item_id>",
        "view_args": {"item_id": 7},
        "blueprint": None,
    }


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_method_shortcuts(app: Tocsin, client: TestClient, method: str) -> None:
    getattr(app, method)("/m")(lambda: request.method)
    rv = client.open("/m", method=method.upper())
    assert rv.status_code == 200
    assert rv.data == method.upper().encode()
    others = {"GET", "POST", "PUT", "PATCH", "DELETE"} - {method.upper()}
    for other in sorted(others):
        assert client.open("/m", method=other).status_code == 405


def test_method_shortcut_refuses_methods(app: Tocsin) -> None:
    with pytest.raises(TypeError, match="Use the 'route' decorator to use the 'methods' argument"):
        app.get("/x", methods=["POST"])


def test_methods_list(app: Tocsin, client: TestClient) -> None:
    @app.route("/both", methods=["get", "POST"])
    def both() -> str:
        return request.method

    assert client.get("/both").data == b"GET"
    assert client.post("/both").data == b"POST"
    rule = next(r for r in app.url_map.iter_rules() if r.rule == "/both")
    assert rule.methods == {"GET", "HEAD", "POST", "OPTIONS"}


def test_methods_as_string_is_a_type_error(app: Tocsin) -> None:
    message = r'Allowed methods must be a list of strings.*methods=\["POST"\]'
    with pytest.raises(TypeError, match=message):
        app.add_url_rule("/x", "x", lambda: "x", methods="POST")


def test_view_function_attributes(app: Tocsin, client: TestClient) -> None:
    def view() -> str:
        return request.method

    view.methods = ["PUT"]  # type: ignore[attr-defined]
    app.add_url_rule("/attr", view_func=view)
    assert client.put("/attr").data == b"PUT"
    assert client.get("/attr").status_code == 405


def test_endpoint_collision(app: Tocsin) -> None:
    @app.route("/a", endpoint="same")
    def first() -> str:
        return "1"

    with pytest.raises(
        AssertionError,
        match="View function mapping is overwriting an existing endpoint function: same",
    ):

        @app.route("/b", endpoint="same")
        def second() -> str:
            return "2"


def test_same_function_on_two_rules(app: Tocsin, client: TestClient) -> None:
    def page(n: int = 1) -> str:
        return f"page {n}"

    app.add_url_rule("/pages/", "page", page)
    app.add_url_rule("/pages/<int:n>", "page", page)
    assert client.get("/pages/").data == b"page 1"
    assert client.get("/pages/3").data == b"page 3"


def test_non_callable_view(app: Tocsin) -> None:
    with pytest.raises(TypeError, match="add_url_rule needs a callable, got 'nope' of type str"):
        app.add_url_rule("/x", "x", "nope")  # type: ignore[arg-type]


def test_add_url_rule_needs_endpoint_or_view(app: Tocsin) -> None:
    with pytest.raises(TypeError, match="needs an endpoint or a view function"):
        app.add_url_rule("/x")


# -- converters -----------------------------------------------------------------------------


def test_builtin_converters(app: Tocsin, client: TestClient) -> None:
    @app.route("/s/<name>")
    def s(name: str) -> str:
        return f"{type(name).__name__}:{name}"

    @app.route("/i/<int:n>")
    def i(n: int) -> str:
        return f"{type(n).__name__}:{n}"

    @app.route("/f/<float:x>")
    def f(x: float) -> str:
        return f"{type(x).__name__}:{x}"

    @app.route("/p/<path:rest>")
    def p(rest: str) -> str:
        return f"path:{rest}"

    @app.route("/u/<uuid:u>")
    def u(u: t.Any) -> str:
        return f"{type(u).__name__}:{u}"

    @app.route("/any/<any(red, blue):color>")
    def color(color: str) -> str:
        return color

    assert client.get("/s/caf%C3%A9").data == "str:café".encode()
    assert client.get("/i/42").data == b"int:42"
    assert client.get("/i/-1").status_code == 404
    assert client.get("/i/x").status_code == 404
    assert client.get("/f/1.5").data == b"float:1.5"
    assert client.get("/p/a/b/c.txt").data == b"path:a/b/c.txt"
    uid = "12345678-1234-5678-1234-567812345678"
    assert client.get(f"/u/{uid}").data == f"UUID:{uid}".encode()
    assert client.get("/any/red").data == b"red"
    assert client.get("/any/green").status_code == 404


class ListConverter(BaseConverter):
    """``a,b,c`` <-> ``["a", "b", "c"]``."""

    def to_python(self, value: str) -> list[str]:
        return value.split(",")

    def to_url(self, value: t.Any) -> str:
        return ",".join(BaseConverter.to_url(self, v) for v in value)


def test_custom_converter(app: Tocsin, client: TestClient) -> None:
    app.url_map.converters["list"] = ListConverter

    @app.route("/tags/<list:tags>")
    def tags(tags: list[str]) -> dict[str, t.Any]:
        from tocsin import url_for

        return {"tags": tags, "url": url_for("tags", tags=["x", "y z"])}

    assert client.get("/tags/a,b,c").json == {"tags": ["a", "b", "c"], "url": "/tags/x,y%20z"}


def test_rule_defaults(app: Tocsin, client: TestClient) -> None:
    @app.route("/users/", defaults={"page": 1})
    @app.route("/users/page/<int:page>")
    def users(page: int) -> str:
        return f"page {page}"

    assert client.get("/users/").data == b"page 1"
    assert client.get("/users/page/2").data == b"page 2"


# -- automatic HEAD and OPTIONS ------------------------------------------------------------


def test_automatic_head(app: Tocsin, client: TestClient) -> None:
    @app.route("/h")
    def h() -> tuple[str, dict[str, str]]:
        return "hello", {"X-Custom": "1"}

    get = client.get("/h")
    head = client.head("/h")
    assert head.status_code == 200
    assert head.data == b""
    assert get.data == b"hello"
    assert head.headers["Content-Length"] == "5"
    assert head.headers["X-Custom"] == "1"
    assert sorted(head.headers.items()) == sorted(get.headers.items())


def test_automatic_head_plain_body(app: Tocsin, client: TestClient) -> None:
    app.route("/plain")(lambda: "plain text")
    head = client.head("/plain")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Length"] == "10"
    assert head.headers["Content-Type"] == "text/html; charset=utf-8"


def test_head_view_sees_head_method(app: Tocsin, client: TestClient) -> None:
    seen: list[str] = []

    @app.route("/m")
    def m() -> str:
        seen.append(request.method)
        return "x"

    client.head("/m")
    assert seen == ["HEAD"]


def test_automatic_options(app: Tocsin, client: TestClient) -> None:
    @app.route("/r", methods=["GET", "POST"])
    def r() -> str:
        raise AssertionError("the view does not run for automatic OPTIONS")

    rv = client.options("/r")
    assert rv.status_code == 200
    assert rv.data == b""
    assert _allow(rv) == {"GET", "HEAD", "POST", "OPTIONS"}


def test_options_for_rule_with_several_rules(app: Tocsin, client: TestClient) -> None:
    app.route("/same", methods=["GET"])(lambda: "g")
    app.add_url_rule("/same", "same_post", lambda: "p", methods=["POST"])
    rv = client.options("/same")
    assert rv.status_code == 200
    assert _allow(rv) == {"GET", "HEAD", "POST", "OPTIONS"}


def test_options_disabled(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/manual", "manual", lambda: "manual", provide_automatic_options=False)
    assert client.options("/manual").status_code == 405


def test_options_disabled_by_config(app: Tocsin, client: TestClient) -> None:
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.route("/g")(lambda: "g")
    assert client.options("/g").status_code == 405


def test_explicit_options_view(app: Tocsin, client: TestClient) -> None:
    @app.route("/o", methods=["GET", "OPTIONS"])
    def o() -> str:
        return f"own {request.method}"

    rv = client.options("/o")
    assert rv.data == b"own OPTIONS"


# -- redirects and method errors ---------------------------------------------------------------


def test_strict_slash_redirect(app: Tocsin, client: TestClient) -> None:
    app.route("/folder/")(lambda: "folder")
    rv = client.get("/folder?x=1")
    assert rv.status_code == 308
    assert rv.headers["Location"] == "http://localhost/folder/?x=1"
    follow = client.get("/folder", follow_redirects=True)
    assert follow.status_code == 200
    assert follow.data == b"folder"


def test_strict_slash_redirect_keeps_host_and_root(app: Tocsin, client: TestClient) -> None:
    app.route("/folder/")(lambda: "folder")
    rv = client.get("/folder", base_url="https://example.com:8443/root")
    assert rv.status_code == 308
    assert rv.headers["Location"] == "https://example.com:8443/root/folder/"


def test_strict_slash_redirect_for_post_keeps_method(app: Tocsin, client: TestClient) -> None:
    app.route("/form/", methods=["POST"])(lambda: request.method)
    rv = client.post("/form")
    assert rv.status_code == 308
    assert rv.headers["Location"] == "http://localhost/form/"


def test_strict_slashes_off(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/loose/", "loose", lambda: "loose", strict_slashes=False)
    assert client.get("/loose").data == b"loose"
    assert client.get("/loose/").data == b"loose"


def test_no_trailing_slash_rule_is_404_with_slash(app: Tocsin, client: TestClient) -> None:
    app.route("/file")(lambda: "file")
    assert client.get("/file/").status_code == 404


def test_redirect_to_rule(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/old", "old", redirect_to="/new")
    app.add_url_rule("/new", "new", lambda: "new")
    rv = client.get("/old")
    assert rv.status_code == 308
    assert rv.headers["Location"] == "http://localhost/new"


def test_405_with_allow(app: Tocsin, client: TestClient) -> None:
    app.route("/r", methods=["GET", "POST"])(lambda: "r")
    rv = client.put("/r")
    assert rv.status_code == 405
    assert _allow(rv) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert b"Method Not Allowed" in rv.data


def test_404(app: Tocsin, client: TestClient) -> None:
    rv = client.get("/nowhere")
    assert rv.status_code == 404
    assert rv.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"<title>404 Not Found</title>" in rv.data


def test_rule_order_static_before_variable(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/u/<name>", "user", lambda name: f"user {name}")
    app.add_url_rule("/u/me", "me", lambda: "me")
    assert client.get("/u/me").data == b"me"
    assert client.get("/u/bob").data == b"user bob"


def test_rules_added_after_a_match_are_seen(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/one", "one", lambda: "one")
    with app.test_request_context("/one"):
        assert request.endpoint == "one"
    app.add_url_rule("/two/<int:n>", "two", lambda n: f"two {n}")
    app.add_url_rule("/three", "three", lambda: "three")
    assert client.get("/one").data == b"one"
    assert client.get("/two/2").data == b"two 2"
    assert client.get("/three").data == b"three"


# -- host and subdomain matching ----------------------------------------------------------------


def test_host_matching(client: TestClient) -> None:
    app = Tocsin(
        "host_app", root_path="/nonexistent", host_matching=True, static_host="static.test"
    )
    app.config["TESTING"] = True
    app.add_url_rule("/", "a", lambda: "a", host="a.test")
    app.add_url_rule("/", "b", lambda: "b", host="b.test")
    c = app.test_client(driver=client.driver)
    assert c.get("/", base_url="http://a.test").data == b"a"
    assert c.get("/", base_url="http://b.test").data == b"b"
    assert c.get("/", base_url="http://c.test").status_code == 404


def test_subdomain_matching(client: TestClient) -> None:
    app = Tocsin("sub_app", root_path="/nonexistent", subdomain_matching=True)
    app.config.update(TESTING=True, SERVER_NAME="example.test")
    app.add_url_rule("/", "root", lambda: "root")
    app.add_url_rule("/", "api", lambda: "api", subdomain="api")
    c = app.test_client(driver=client.driver)
    assert c.get("/").data == b"root"
    assert c.get("/", subdomain="api").data == b"api"


def test_build_only_rules_are_never_matched(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/cdn/logo.png", "cdn_logo", build_only=True)
    app.add_url_rule("/cdn/app.js", "cdn_js", view_func=lambda: "never", build_only=True)
    assert [client.get(p).status_code for p in ("/cdn/logo.png", "/cdn/app.js")] == [404, 404]
    with app.test_request_context():
        assert url_for("cdn_logo") == "/cdn/logo.png"


def test_rules_and_views_changed_after_the_first_request(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/a", "a", lambda: "a")
    assert client.get("/a").data == b"a"
    app.url_map.add(Rule("/direct", endpoint="direct"))  # not a setup method: still seen
    app.view_functions["direct"] = lambda: "direct"
    assert client.get("/direct").data == b"direct"
    app.view_functions["a"] = lambda: "swapped"  # as monkeypatch.setitem does in tests
    assert client.get("/a").data == b"swapped"


def test_overridden_create_url_adapter_decides_the_match(client: TestClient) -> None:
    class App(Tocsin):
        def create_url_adapter(self, request: t.Any) -> t.Any:
            adapter = super().create_url_adapter(request)
            if request is not None and request.path.startswith("/t/"):
                adapter.path_info = "/" + request.path.split("/", 3)[-1]  # /t/<tenant>/x -> /x
            return adapter

    app = App("adapter_app", root_path="/nonexistent")
    app.add_url_rule("/home", "home", lambda: f"home of {request.path}")
    c = app.test_client(driver=client.driver)
    assert (c.get("/t/acme/home").data, c.get("/home").data) == (
        b"home of /t/acme/home",
        b"home of /home",
    )
    assert c.get("/t/acme/nowhere").status_code == 404


@pytest.mark.parametrize("script_name", ["/app", ""])
def test_empty_path_redirects_to_the_root(app: Tocsin, script_name: str) -> None:
    app.add_url_rule("/", "root", lambda: "root")
    response = app.test_client().get(
        "/", environ_overrides={"SCRIPT_NAME": script_name, "PATH_INFO": ""}
    )
    assert (response.status_code, response.location) == (308, f"http://localhost{script_name}/")
