"""url_for: relative and external URLs, anchors, methods, schemes, defaults, errors."""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.routing import BuildError

from tocsin import Tocsin, g, request, url_for
from tocsin.testing import TestClient

_NO_SERVER_NAME = (
    "Unable to build URLs outside an active request without 'SERVER_NAME' configured."
    " Also configure 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME' as needed."
)


@pytest.fixture
def routed(app: Tocsin) -> Tocsin:
    """``app`` with a few rules to build."""
    app.add_url_rule("/", "index", lambda: "index")
    app.add_url_rule("/item/<int:id>", "item_get", lambda id: "get", methods=["GET"])
    app.add_url_rule("/item/<int:id>/edit", "item_post", lambda id: "post", methods=["POST"])
    app.add_url_rule("/p/<path:rest>", "p", lambda rest: rest)
    return app


def test_relative_in_request(routed: Tocsin) -> None:
    with routed.test_request_context("/"):
        assert url_for("index") == "/"
        assert url_for("item_get", id=3) == "/item/3"
        assert url_for("p", rest="a b/c?d") == "/p/a%20b/c%3Fd"


def test_in_a_view(routed: Tocsin, client: TestClient) -> None:
    @routed.route("/where")
    def where() -> dict[str, t.Any]:
        return {
            "relative": url_for("item_get", id=5),
            "external": url_for("item_get", id=5, _external=True),
        }

    assert client.get("/where").json == {
        "relative": "/item/5",
        "external": "http://localhost/item/5",
    }


def test_query_args(routed: Tocsin) -> None:
    with routed.test_request_context("/"):
        assert url_for("index", q="a b", page=2, tags=["x", "y"]) == "/?q=a+b&page=2&tags=x&tags=y"
        assert url_for("item_get", id=1, x="ü") == "/item/1?x=%C3%BC"
        assert url_for("index", q=None) == "/"


def test_external(routed: Tocsin) -> None:
    with routed.test_request_context("/"):
        assert url_for("index", _external=True) == "http://localhost/"
    with routed.test_request_context("/", base_url="https://h.test:8443/root"):
        assert url_for("index") == "/root/"
        assert url_for("index", _external=True) == "https://h.test:8443/root/"


def test_anchor(routed: Tocsin) -> None:
    with routed.test_request_context("/"):
        assert url_for("index", _anchor="top") == "/#top"
        assert url_for("index", _anchor="x y/ü#") == "/#x%20y/%C3%BC#"
        assert url_for("item_get", id=2, q=1, _anchor="a") == "/item/2?q=1#a"


def test_method(routed: Tocsin) -> None:
    with routed.test_request_context("/"):
        assert url_for("item_get", id=3, _method="GET") == "/item/3"
        assert url_for("item_post", id=3, _method="POST") == "/item/3/edit"
        with pytest.raises(BuildError) as exc_info:
            url_for("item_get", id=3, _method="POST")
    assert str(exc_info.value) == (
        "Could not build url for endpoint 'item_get' ('POST') with values ['id']."
        " Did you mean to use methods ['GET', 'HEAD', 'OPTIONS']?"
    )


def test_scheme(routed: Tocsin) -> None:
    with routed.test_request_context("/"):
        assert url_for("index", _scheme="https") == "https://localhost/"
        assert url_for("index", _scheme="https", _external=True) == "https://localhost/"
        message = r"When specifying '_scheme', '_external' must be True\."
        with pytest.raises(ValueError, match=message):
            url_for("index", _scheme="https", _external=False)


def test_build_error_missing_value(routed: Tocsin) -> None:
    with routed.test_request_context("/"), pytest.raises(BuildError) as exc_info:
        url_for("item_get")
    assert str(exc_info.value) == (
        "Could not build url for endpoint 'item_get'. Did you forget to specify values ['id']?"
    )


def test_build_error_unknown_endpoint(routed: Tocsin) -> None:
    with routed.test_request_context("/"), pytest.raises(BuildError) as exc_info:
        url_for("indx")
    assert str(exc_info.value) == (
        "Could not build url for endpoint 'indx'. Did you mean 'index' instead?"
    )


def test_build_error_in_view_propagates(routed: Tocsin, client: TestClient) -> None:
    routed.add_url_rule("/bad", "bad", lambda: url_for("missing"))
    with pytest.raises(BuildError, match="Could not build url for endpoint 'missing'"):
        client.get("/bad")


def test_handle_url_build_error_override(client: TestClient) -> None:
    class App(Tocsin):
        def handle_url_build_error(
            self, error: BuildError, endpoint: str, values: dict[str, t.Any]
        ) -> str:
            return f"/fallback/{endpoint}?{sorted(values)}"

    app = App("override_app", root_path="/nonexistent")
    with app.test_request_context("/"):
        assert url_for("nowhere", a=1) == (
            "/fallback/nowhere?['_anchor', '_external', '_method', '_scheme', 'a']"
        )


def test_url_build_error_handlers(app: Tocsin, client: TestClient) -> None:
    calls: list[str] = []

    def skips(error: BuildError, endpoint: str, values: dict[str, t.Any]) -> None:
        calls.append(f"skips {endpoint}")

    def raises(error: BuildError, endpoint: str, values: dict[str, t.Any]) -> str:
        calls.append(f"raises {endpoint}")
        raise BuildError(endpoint, values, None)

    def external(error: BuildError, endpoint: str, values: dict[str, t.Any]) -> str | None:
        calls.append(f"external {endpoint}")
        return f"https://other.test/{endpoint}" if endpoint.startswith("ext.") else None

    app.url_build_error_handlers.extend([skips, raises, external])
    app.add_url_rule("/u", "u", lambda: url_for("ext.page"))
    assert client.get("/u").data == b"https://other.test/ext.page"
    assert calls == ["skips ext.page", "raises ext.page", "external ext.page"]
    with app.test_request_context("/"), pytest.raises(BuildError) as exc_info:
        url_for("missing")
    assert exc_info.value.endpoint == "missing"


# -- url_defaults and url_value_preprocessor -------------------------------------------------


def test_lang_code_pattern(app: Tocsin, client: TestClient) -> None:
    calls: list[tuple[str, dict[str, t.Any]]] = []

    @app.url_defaults
    def add_language_code(endpoint: str, values: dict[str, t.Any]) -> None:
        if "lang_code" in values or not g.get("lang_code"):
            return
        if app.url_map.is_endpoint_expecting(endpoint, "lang_code"):
            values["lang_code"] = g.lang_code

    @app.url_value_preprocessor
    def pull_lang_code(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        calls.append((t.cast(str, endpoint), dict(values or {})))
        g.lang_code = values.pop("lang_code", None) if values else None

    @app.route("/<lang_code>/")
    def index() -> dict[str, t.Any]:
        return {
            "lang": g.lang_code,
            "about": url_for("about"),
            "other": url_for("about", lang_code="fr"),
            "view_args": request.view_args,
        }

    @app.route("/<lang_code>/about")
    def about() -> str:
        return f"about in {g.lang_code}"

    assert client.get("/de/").json == {
        "lang": "de",
        "about": "/de/about",
        "other": "/fr/about",
        "view_args": {},
    }
    assert client.get("/en/about").data == b"about in en"
    assert calls == [("index", {"lang_code": "de"}), ("about", {"lang_code": "en"})]


def test_url_defaults_run_for_every_build(app: Tocsin) -> None:
    app.add_url_rule("/page/<int:n>", "page", lambda n: str(n))

    @app.url_defaults
    def default_page(endpoint: str, values: dict[str, t.Any]) -> None:
        values.setdefault("n", 1)

    with app.test_request_context("/"):
        assert url_for("page") == "/page/1"
        assert url_for("page", n=4) == "/page/4"


def test_url_defaults_needs_callable(app: Tocsin) -> None:
    with pytest.raises(TypeError, match="url_defaults needs a callable"):
        app.url_defaults(None)  # type: ignore[arg-type]


# -- outside a request ------------------------------------------------------------------------


def test_outside_request_with_server_name(routed: Tocsin) -> None:
    routed.config.update(
        SERVER_NAME="example.test", APPLICATION_ROOT="/app", PREFERRED_URL_SCHEME="https"
    )
    with routed.app_context():
        assert url_for("index") == "https://example.test/app/"
        assert url_for("index", _external=False) == "/app/"
        assert url_for("item_get", id=1, x=2) == "https://example.test/app/item/1?x=2"
    assert routed.url_for("index") == "https://example.test/app/"


def test_outside_request_without_server_name(routed: Tocsin) -> None:
    with routed.app_context(), pytest.raises(RuntimeError) as exc_info:
        url_for("index")
    assert str(exc_info.value) == _NO_SERVER_NAME
    with pytest.raises(RuntimeError) as exc_info:
        routed.url_for("index")
    assert str(exc_info.value) == _NO_SERVER_NAME


def test_outside_any_context() -> None:
    with pytest.raises(RuntimeError, match=r"app\.app_context\(\)"):
        url_for("index")


def test_server_name_in_request_uses_request_host(routed: Tocsin, client: TestClient) -> None:
    routed.config["SERVER_NAME"] = "example.test"

    @routed.route("/ext")
    def ext() -> str:
        return url_for("index", _external=True)

    assert client.get("/ext").data == b"http://example.test/"
