"""Blueprints: routes, prefixes, subdomains, nesting, names, hooks and their app-wide twins."""

from __future__ import annotations

import typing as t

import flask
import pytest
from werkzeug.exceptions import NotFound

import tocsin
from tocsin import Blueprint, Tocsin, abort, g, request, url_for
from tocsin.blueprints import BlueprintSetupState
from tocsin.testing import TestClient
from tocsin.wrappers import Response

# -- routes, prefixes and url_for ------------------------------------------------------------


def test_routes_endpoints_and_prefix(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint("shop", __name__, url_prefix="/shop")

    @bp.route("/")
    def index() -> str:
        return f"{request.endpoint}|{request.blueprint}|{request.blueprints}"

    @bp.route("/item/<int:item_id>")
    def item(item_id: int) -> str:
        return f"item {item_id}"

    app.register_blueprint(bp)
    assert client.get("/shop/").data == b"shop.index|shop|['shop']"
    assert client.get("/shop/item/3").data == b"item 3"
    assert client.get("/item/3").status_code == 404
    assert sorted(r.endpoint for r in app.url_map.iter_rules()) == [
        "shop.index",
        "shop.item",
        "static",
    ]
    assert app.blueprints == {"shop": bp}
    assert list(app.iter_blueprints()) == [bp]


@pytest.mark.parametrize(
    ("bp_prefix", "register_prefix", "rule", "expected"),
    [
        ("/a", None, "/b", "/a/b"),
        ("/a/", None, "/b", "/a/b"),
        ("/a", None, "b", "/a/b"),
        ("/a", None, "", "/a"),
        ("/a", "/override", "/b", "/override/b"),
        (None, "/given", "/b", "/given/b"),
        (None, None, "/b", "/b"),
        ("/a", "", "/b", "/b"),
    ],
)
def test_url_prefix_joining(
    app: Tocsin,
    client: TestClient,
    bp_prefix: str | None,
    register_prefix: str | None,
    rule: str,
    expected: str,
) -> None:
    bp = Blueprint("bp", __name__, url_prefix=bp_prefix)

    @bp.route(rule)
    def view() -> str:
        return "view"

    options = {} if register_prefix is None else {"url_prefix": register_prefix}
    app.register_blueprint(bp, **options)
    assert [r.rule for r in app.url_map.iter_rules() if r.endpoint == "bp.view"] == [expected]
    assert client.get(expected).data == b"view"


def test_url_for_absolute_and_relative(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @app.route("/")
    def index() -> str:
        return f"{url_for('index')} {url_for('.index')} {url_for('bp.index')}"

    @bp.route("/", endpoint="index")
    def index_bp() -> str:
        return f"{url_for('index')} {url_for('.index')} {url_for('.other', x=1)}"

    @bp.route("/other")
    def other() -> str:
        return "other"

    app.register_blueprint(bp)
    assert client.get("/").data == b"/ / /bp/"
    assert client.get("/bp/").data == b"/ /bp/ /bp/other?x=1"


def test_add_url_rule(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint("bp", __name__)

    def plain() -> str:
        return str(request.endpoint)

    bp.add_url_rule("/plain", view_func=plain, methods=["GET", "POST"])
    bp.add_url_rule("/named", "named", plain)
    app.register_blueprint(bp)
    assert client.post("/plain").data == b"bp.plain"
    assert client.get("/named").data == b"bp.named"
    assert client.put("/plain").status_code == 405
    assert sorted(app.view_functions) == ["bp.named", "bp.plain", "static"]


def test_endpoint_decorator_registers_unprefixed(app: Tocsin, client: TestClient) -> None:
    # As in Flask (its test_endpoint_decorator): @bp.endpoint names an app endpoint.
    from werkzeug.routing import Rule

    app.url_map.add(Rule("/foo", endpoint="bar"))
    bp = Blueprint("bp", __name__)

    @bp.endpoint("bar")
    def foobar() -> str:
        return str(request.endpoint)

    app.register_blueprint(bp, url_prefix="/bp_prefix")
    assert client.get("/foo").data == b"bar"
    assert client.get("/bp_prefix/bar").status_code == 404


@pytest.mark.parametrize(
    ("prefix", "rule", "url"),
    [
        ("", "/", "/"),
        ("/", "", "/"),
        ("/", "/", "/"),
        ("/foo", "", "/foo"),
        ("/foo/", "", "/foo/"),
        ("", "/bar", "/bar"),
        ("/foo/", "/bar", "/foo/bar"),
        ("/foo/", "bar", "/foo/bar"),
        ("/foo", "/bar", "/foo/bar"),
        ("/foo/", "//bar", "/foo/bar"),
        ("/foo//", "/bar", "/foo/bar"),
    ],
)
def test_prefix_slash_cases_from_flask(
    app: Tocsin, client: TestClient, prefix: str, rule: str, url: str
) -> None:
    bp = Blueprint("test", __name__, url_prefix=prefix)

    @bp.route(rule)
    def index() -> tuple[str, int]:
        return "", 204

    app.register_blueprint(bp)
    assert client.get(url).status_code == 204


def test_empty_url_defaults(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint("bp", __name__)

    @bp.route("/", defaults={"page": 1})
    @bp.route("/page/<int:page>")
    def something(page: int) -> str:
        return str(page)

    app.register_blueprint(bp)
    assert client.get("/").data == b"1"
    assert client.get("/page/2").data == b"2"


def test_method_shortcuts(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint("bp", __name__)

    @bp.get("/thing")
    def read() -> str:
        return "read"

    @bp.post("/thing")
    def write() -> str:
        return "write"

    app.register_blueprint(bp)
    assert client.get("/thing").data == b"read"
    assert client.post("/thing").data == b"write"
    assert client.delete("/thing").status_code == 405


def test_url_defaults_of_blueprint_and_registration(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint("bp", __name__, url_defaults={"lang": "en", "unit": "cm"})

    @bp.route("/")
    def view(lang: str, unit: str) -> str:
        return f"{lang}:{unit}"

    @bp.route("/page/<int:page>", defaults={"unit": "in"})
    def page(lang: str, unit: str, page: int) -> str:
        return f"{lang}:{unit}:{page}"

    app.register_blueprint(bp, url_prefix="/en")
    app.register_blueprint(bp, url_prefix="/de", name="de", url_defaults={"lang": "de"})
    assert client.get("/en/").data == b"en:cm"
    assert client.get("/de/").data == b"de:cm"
    assert client.get("/de/page/5").data == b"de:in:5"


# -- the i18n pattern: url_value_preprocessor and url_defaults ----------------------------------


def test_url_value_preprocessor_and_url_defaults(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint("i18n", __name__, url_prefix="/<lang_code>")

    @bp.url_defaults
    def add_language_code(endpoint: str, values: dict[str, t.Any]) -> None:
        values.setdefault("lang_code", g.lang_code)

    @bp.url_value_preprocessor
    def pull_lang_code(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        assert values is not None
        g.lang_code = values.pop("lang_code")

    @bp.route("/")
    def index() -> str:
        return f"{g.lang_code} {url_for('.about')}"

    @bp.route("/about")
    def about() -> str:
        return "about"

    @app.route("/plain/<lang_code>")
    def plain(lang_code: str) -> str:
        return lang_code  # the blueprint's preprocessor did not run here

    app.register_blueprint(bp)
    assert client.get("/fr/").data == b"fr /fr/about"
    assert client.get("/plain/xx").data == b"xx"


def test_app_url_value_preprocessor_and_app_url_defaults(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint("bp", __name__)
    seen: list[tuple[str | None, dict[str, t.Any] | None]] = []

    @bp.app_url_value_preprocessor
    def everywhere(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        seen.append((endpoint, dict(values or {})))

    @bp.app_url_defaults
    def version(endpoint: str, values: dict[str, t.Any]) -> None:
        if "v" in app.url_map._rules_by_endpoint[endpoint][0].arguments:
            values.setdefault("v", 9)

    @app.route("/app/<int:v>")
    def app_view(v: int) -> str:
        return url_for("bp.bp_view")

    @bp.route("/bp/<int:v>")
    def bp_view(v: int) -> str:
        return url_for("app_view")

    app.register_blueprint(bp)
    assert client.get("/app/1").data == b"/bp/9"
    assert client.get("/bp/2").data == b"/app/9"
    assert seen == [("app_view", {"v": 1}), ("bp.bp_view", {"v": 2})]


def test_blueprint_url_defaults_apply_only_to_its_endpoints(app: Tocsin) -> None:
    bp = Blueprint("bp", __name__)

    @bp.url_defaults
    def add_x(endpoint: str, values: dict[str, t.Any]) -> None:
        values.setdefault("x", "bp")

    @bp.route("/bp")
    def bp_view() -> str:
        return ""

    @app.route("/app")
    def app_view() -> str:
        return ""

    app.register_blueprint(bp)
    with app.test_request_context():
        assert url_for("bp.bp_view") == "/bp?x=bp"
        assert url_for("app_view") == "/app"


# -- hooks: the blueprint's own and the app-wide twins ------------------------------------------


def test_blueprint_hooks_only_for_its_requests(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    log: list[str] = []

    @bp.before_request
    def before() -> None:
        log.append("bp.before")

    @bp.after_request
    def after(response: Response) -> Response:
        log.append("bp.after")
        return response

    @bp.teardown_request
    def teardown(exc: BaseException | None) -> None:
        log.append("bp.teardown")

    @bp.url_value_preprocessor
    def preprocess(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        log.append("bp.preprocess")

    @bp.route("/")
    def bp_index() -> str:
        log.append("bp.view")
        return ""

    @app.route("/")
    def index() -> str:
        log.append("app.view")
        return ""

    app.register_blueprint(bp)
    client.get("/")
    assert log == ["app.view"]
    log.clear()
    client.get("/bp/")
    assert log == ["bp.preprocess", "bp.before", "bp.view", "bp.after", "bp.teardown"]
    log.clear()
    client.get("/bp/missing")  # a routing 404 belongs to no blueprint
    assert log == []


def test_app_hooks_from_blueprint_run_for_every_request(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    log: list[str] = []

    @bp.before_app_request
    def before() -> None:
        log.append("before")

    @bp.after_app_request
    def after(response: Response) -> Response:
        log.append(f"after {response.status_code}")
        return response

    @bp.teardown_app_request
    def teardown(exc: BaseException | None) -> None:
        log.append("teardown")

    @app.route("/")
    def index() -> str:
        return ""

    app.register_blueprint(bp)
    for path in ("/", "/missing"):
        client.get(path)
    assert log == ["before", "after 200", "teardown", "before", "after 404", "teardown"]


def test_before_request_short_circuit_in_blueprint(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint("bp", __name__)
    log: list[str] = []

    @bp.before_request
    def stop() -> str:
        log.append("stop")
        return "stopped"

    @bp.before_request
    def never() -> None:
        log.append("never")

    @bp.route("/bp")
    def view() -> str:
        log.append("view")
        return "view"

    app.register_blueprint(bp)
    assert client.get("/bp").data == b"stopped"
    assert log == ["stop"]


def test_async_blueprint_hooks(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint("bp", __name__)

    @bp.before_request
    async def before() -> None:
        g.value = "async"

    @bp.after_request
    async def after(response: Response) -> Response:
        response.headers["X-After"] = "async"
        return response

    @bp.route("/bp")
    async def view() -> str:
        return str(g.value)

    app.register_blueprint(bp)
    response = client.get("/bp")
    assert response.data == b"async"
    assert response.headers["X-After"] == "async"


def _build_nested(module: t.Any, app: t.Any, log: list[str]) -> None:
    """Register two functions of each hook kind on app, parent and child (same code for Flask)."""
    parent = module.Blueprint("parent", __name__, url_prefix="/parent")
    child = module.Blueprint("child", __name__, url_prefix="/child")

    def hooks(scaffold: t.Any, name: str) -> None:
        for n in (1, 2):
            label = f"{name}{n}"

            def preprocess(endpoint: str | None, values: t.Any, label: str = label) -> None:
                log.append(f"url_value_preprocessor {label} {endpoint} {values}")

            def before(label: str = label) -> None:
                log.append(f"before_request {label}")

            def after(response: t.Any, label: str = label) -> t.Any:
                log.append(f"after_request {label}")
                return response

            def teardown(exc: BaseException | None, label: str = label) -> None:
                log.append(f"teardown_request {label} {exc!r}")

            scaffold.url_value_preprocessor(preprocess)
            scaffold.before_request(before)
            scaffold.after_request(after)
            scaffold.teardown_request(teardown)

    hooks(app, "app")
    hooks(parent, "parent")
    hooks(child, "child")

    @child.before_app_request
    def child_app_before() -> None:
        log.append("before_request child-app")

    @child.after_app_request
    def child_app_after(response: t.Any) -> t.Any:
        log.append("after_request child-app")
        return response

    @child.teardown_app_request
    def child_app_teardown(exc: BaseException | None) -> None:
        log.append("teardown_request child-app")

    @child.route("/view/<name>")
    def view(name: str) -> str:
        log.append(f"view {module.request.endpoint} {module.request.blueprints}")
        return name

    @parent.route("/own")
    def own() -> str:
        log.append(f"view {module.request.endpoint} {module.request.blueprints}")
        return "own"

    parent.register_blueprint(child)
    app.register_blueprint(parent)


NESTED_ORDER = [
    "url_value_preprocessor app1 parent.child.view {'name': 'x'}",
    "url_value_preprocessor app2 parent.child.view {'name': 'x'}",
    "url_value_preprocessor parent1 parent.child.view {'name': 'x'}",
    "url_value_preprocessor parent2 parent.child.view {'name': 'x'}",
    "url_value_preprocessor child1 parent.child.view {'name': 'x'}",
    "url_value_preprocessor child2 parent.child.view {'name': 'x'}",
    "before_request app1",
    "before_request app2",
    "before_request child-app",
    "before_request parent1",
    "before_request parent2",
    "before_request child1",
    "before_request child2",
    "view parent.child.view ['parent.child', 'parent']",
    "after_request child2",
    "after_request child1",
    "after_request parent2",
    "after_request parent1",
    "after_request child-app",
    "after_request app2",
    "after_request app1",
    "teardown_request child2 None",
    "teardown_request child1 None",
    "teardown_request parent2 None",
    "teardown_request parent1 None",
    "teardown_request child-app",
    "teardown_request app2 None",
    "teardown_request app1 None",
]


def test_whole_hook_order_for_nested_blueprint(app: Tocsin, client: TestClient) -> None:
    log: list[str] = []
    _build_nested(tocsin, app, log)
    response = client.get("/parent/child/view/x")
    assert response.data == b"x"
    assert log == NESTED_ORDER


def test_nested_hook_order_matches_flask() -> None:
    log: list[str] = []
    flask_app = flask.Flask("peer")
    _build_nested(flask, flask_app, log)
    assert flask_app.test_client().get("/parent/child/view/x").data == b"x"
    assert log == NESTED_ORDER


def test_hook_order_for_parent_request(app: Tocsin, client: TestClient) -> None:
    log: list[str] = []
    _build_nested(tocsin, app, log)
    assert client.get("/parent/own").data == b"own"
    assert log == [
        "url_value_preprocessor app1 parent.own {}",
        "url_value_preprocessor app2 parent.own {}",
        "url_value_preprocessor parent1 parent.own {}",
        "url_value_preprocessor parent2 parent.own {}",
        "before_request app1",
        "before_request app2",
        "before_request child-app",
        "before_request parent1",
        "before_request parent2",
        "view parent.own ['parent']",
        "after_request parent2",
        "after_request parent1",
        "after_request child-app",
        "after_request app2",
        "after_request app1",
        "teardown_request parent2 None",
        "teardown_request parent1 None",
        "teardown_request child-app",
        "teardown_request app2 None",
        "teardown_request app1 None",
    ]


def test_hook_order_for_app_request(app: Tocsin, client: TestClient) -> None:
    log: list[str] = []
    _build_nested(tocsin, app, log)

    @app.route("/plain")
    def plain() -> str:
        log.append("view")
        return "plain"

    assert client.get("/plain").data == b"plain"
    assert log == [
        "url_value_preprocessor app1 plain {}",
        "url_value_preprocessor app2 plain {}",
        "before_request app1",
        "before_request app2",
        "before_request child-app",
        "view",
        "after_request child-app",
        "after_request app2",
        "after_request app1",
        "teardown_request child-app",
        "teardown_request app2 None",
        "teardown_request app1 None",
    ]


def test_hook_order_for_routing_404(app: Tocsin, client: TestClient) -> None:
    log: list[str] = []
    _build_nested(tocsin, app, log)
    assert client.get("/parent/child/nowhere").status_code == 404
    assert log == [
        "url_value_preprocessor app1 None None",
        "url_value_preprocessor app2 None None",
        "before_request app1",
        "before_request app2",
        "before_request child-app",
        "after_request child-app",
        "after_request app2",
        "after_request app1",
        "teardown_request child-app",
        "teardown_request app2 None",
        "teardown_request app1 None",
    ]


# -- nesting ---------------------------------------------------------------------------------


def test_nested_blueprints(app: Tocsin, client: TestClient) -> None:
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")
    grandchild = Blueprint("grandchild", __name__, url_prefix="/grandchild")

    @grandchild.route("/")
    def index() -> str:
        return f"{request.endpoint} {url_for('.index')} {url_for('parent.child.index')}"

    @child.route("/", endpoint="index")  # the same endpoint name in another blueprint
    def child_index() -> str:
        return url_for(".index")

    child.register_blueprint(grandchild)
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert sorted(app.blueprints) == ["parent", "parent.child", "parent.child.grandchild"]
    assert client.get("/parent/child/grandchild/").data == (
        b"parent.child.grandchild.index /parent/child/grandchild/ /parent/child/"
    )
    assert client.get("/parent/child/").data == b"/parent/child/"


@pytest.mark.parametrize(
    ("parent_prefix", "child_prefix", "register_prefix", "expected"),
    [
        ("/parent", "/child", None, "/parent/child/"),
        ("/parent/", "/child/", None, "/parent/child/"),
        ("/parent", None, None, "/parent/"),
        (None, "/child", None, "/child/"),
        ("/parent", "/child", "/given", "/parent/given/"),
        (None, None, None, "/"),
    ],
)
def test_nested_prefixes(
    app: Tocsin,
    client: TestClient,
    parent_prefix: str | None,
    child_prefix: str | None,
    register_prefix: str | None,
    expected: str,
) -> None:
    parent = Blueprint("parent", __name__, url_prefix=parent_prefix)
    child = Blueprint("child", __name__, url_prefix=child_prefix)

    @child.route("/")
    def index() -> str:
        return "child"

    options = {} if register_prefix is None else {"url_prefix": register_prefix}
    parent.register_blueprint(child, **options)
    app.register_blueprint(parent)
    assert client.get(expected).data == b"child"


@pytest.mark.parametrize(
    ("parent_init", "child_init", "parent_registration", "child_registration"),
    [
        ("/parent", "/child", None, None),
        ("/parent", None, None, "/child"),
        (None, None, "/parent", "/child"),
        ("/other", "/something", "/parent", "/child"),
    ],
)
def test_nesting_url_prefixes_from_flask(
    app: Tocsin,
    client: TestClient,
    parent_init: str | None,
    child_init: str | None,
    parent_registration: str | None,
    child_registration: str | None,
) -> None:
    parent = Blueprint("parent", __name__, url_prefix=parent_init)
    child = Blueprint("child", __name__, url_prefix=child_init)

    @child.route("/")
    def index() -> str:
        return "index"

    parent.register_blueprint(child, url_prefix=child_registration)
    app.register_blueprint(parent, url_prefix=parent_registration)
    assert client.get("/parent/child/").data == b"index"


def test_blueprint_renaming(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint("bp", __name__)
    bp2 = Blueprint("bp2", __name__)

    @bp.get("/")
    def index() -> str:
        return str(request.endpoint)

    @bp.get("/error")
    def error() -> str:
        abort(403)

    @bp.errorhandler(403)
    def forbidden(_: Exception) -> tuple[str, int]:
        return "Error", 403

    @bp2.get("/")
    def index2() -> str:
        return str(request.endpoint)

    bp.register_blueprint(bp2, url_prefix="/a", name="sub")
    app.register_blueprint(bp, url_prefix="/a")
    app.register_blueprint(bp, url_prefix="/b", name="alt")
    assert client.get("/a/").data == b"bp.index"
    assert client.get("/b/").data == b"alt.index"
    assert client.get("/a/a/").data == b"bp.sub.index2"
    assert client.get("/b/a/").data == b"alt.sub.index2"
    assert client.get("/a/error").data == b"Error"
    assert client.get("/b/error").data == b"Error"


def test_same_child_nested_in_two_parents(app: Tocsin, client: TestClient) -> None:
    child = Blueprint("child", __name__, url_prefix="/child")
    a = Blueprint("a", __name__, url_prefix="/a")
    b = Blueprint("b", __name__, url_prefix="/b")

    @child.route("/")
    def index() -> str:
        return str(request.blueprint)

    a.register_blueprint(child)
    b.register_blueprint(child)
    app.register_blueprint(a)
    app.register_blueprint(b)
    assert client.get("/a/child/").data == b"a.child"
    assert client.get("/b/child/").data == b"b.child"


# -- registering twice, names -----------------------------------------------------------------


def test_register_twice_under_different_names(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint("bp", __name__)
    log: list[str] = []
    states: list[tuple[str, bool]] = []

    @bp.before_request
    def before() -> None:
        log.append(f"before {request.blueprint}")

    @bp.before_app_request
    def app_wide() -> None:
        log.append("app-wide")

    @bp.record
    def on_register(state: BlueprintSetupState) -> None:
        states.append((state.name, state.first_registration))

    @bp.route("/")
    def index() -> str:
        return f"{request.blueprint} {url_for('.index')}"

    app.register_blueprint(bp, url_prefix="/one")
    app.register_blueprint(bp, url_prefix="/two", name="two")
    assert app.blueprints == {"bp": bp, "two": bp}
    assert states == [("bp", True), ("two", False)]
    assert client.get("/one/").data == b"bp /one/"
    assert client.get("/two/").data == b"two /two/"
    # before_app_request is registered once (record_once), the blueprint hook per name.
    assert log == ["app-wide", "before bp", "app-wide", "before two"]
    with app.test_request_context():
        assert url_for("bp.index") == "/one/"
        assert url_for("two.index") == "/two/"


def test_duplicate_name_is_a_value_error(app: Tocsin) -> None:
    bp = Blueprint("bp", __name__)
    app.register_blueprint(bp)
    with pytest.raises(ValueError) as same:
        app.register_blueprint(bp)
    assert str(same.value) == (
        "The name 'bp' is already registered for this blueprint. Use 'name=' to provide a"
        " unique name."
    )
    with pytest.raises(ValueError) as different:
        app.register_blueprint(Blueprint("bp", __name__))
    assert str(different.value) == (
        "The name 'bp' is already registered for a different blueprint. Use 'name=' to"
        " provide a unique name."
    )


def test_duplicate_nested_name_is_a_value_error(app: Tocsin) -> None:
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__)
    parent.register_blueprint(child)
    parent.register_blueprint(child)
    with pytest.raises(ValueError) as info:
        app.register_blueprint(parent)
    assert str(info.value) == (
        "The name 'child' is already registered for this blueprint 'parent.child'. Use"
        " 'name=' to provide a unique name."
    )


def test_nested_registered_twice_with_names(app: Tocsin, client: TestClient) -> None:
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__)

    @child.route("/")
    def index() -> str:
        return str(request.blueprint)

    parent.register_blueprint(child, url_prefix="/x")
    parent.register_blueprint(child, url_prefix="/y", name="why")
    app.register_blueprint(parent)
    assert client.get("/x/").data == b"parent.child"
    assert client.get("/y/").data == b"parent.why"


@pytest.mark.parametrize("name", ["", "a.b"])
def test_bad_blueprint_names(name: str) -> None:
    with pytest.raises(ValueError, match="'name' may not"):
        Blueprint(name, __name__)


@pytest.mark.parametrize("name", ["", "a.b"])
def test_bad_registration_names(app: Tocsin, name: str) -> None:
    with pytest.raises(ValueError, match="must be non-empty and contain no dot"):
        app.register_blueprint(Blueprint("bp", __name__), name=name)
    assert app.blueprints == {}


def test_dotted_endpoint_and_view_names_rejected() -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="'endpoint' may not contain a dot"):
        bp.add_url_rule("/", endpoint="a.b")

    def view() -> str:
        return ""

    view.__name__ = "a.b"
    with pytest.raises(ValueError, match="'view_func' name may not contain a dot"):
        bp.add_url_rule("/", view_func=view)


def test_register_on_itself() -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="Cannot register a blueprint on itself"):
        bp.register_blueprint(bp)


def test_setup_after_registration_fails(app: Tocsin) -> None:
    bp = Blueprint("bp", __name__)
    app.register_blueprint(bp)
    with pytest.raises(AssertionError, match="has already been registered at least once"):
        bp.route("/late")(lambda: "")
    with pytest.raises(AssertionError, match="'before_request' can no longer be called"):
        bp.before_request(lambda: None)


def test_non_callable_hook_is_a_type_error() -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(TypeError, match="needs a callable"):
        bp.before_app_request(None)  # type: ignore[type-var]


def test_record_once_and_setup_state(app: Tocsin) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp", subdomain="sub")
    states: list[BlueprintSetupState] = []
    once: list[str] = []
    bp.record(states.append)
    bp.record_once(lambda state: once.append(state.name))
    app.register_blueprint(bp, url_defaults={"x": 1})
    app.register_blueprint(bp, name="again", url_prefix="/again")
    assert once == ["bp"]
    first, second = states
    assert (first.app, first.blueprint, first.name, first.name_prefix) == (app, bp, "bp", "")
    assert (first.url_prefix, first.subdomain, first.url_defaults) == ("/bp", "sub", {"x": 1})
    assert (second.name, second.url_prefix, second.first_registration) == (
        "again",
        "/again",
        False,
    )


# -- subdomains -----------------------------------------------------------------------------


@pytest.fixture
def subdomain_app() -> Tocsin:
    """An app matching subdomains of ``example.test``."""
    app = Tocsin("subdomains", root_path="/nonexistent", subdomain_matching=True)
    app.config.update(TESTING=True, SERVER_NAME="example.test")

    @app.route("/")
    def index() -> str:
        return "main"

    return app


def test_subdomain_blueprint(subdomain_app: Tocsin, driver: str) -> None:
    api = Blueprint("api", __name__, subdomain="api")

    @api.route("/")
    def index() -> str:
        return f"api {url_for('.index')} {url_for('index')}"

    subdomain_app.register_blueprint(api)
    client = subdomain_app.test_client(driver=driver)
    assert client.get("/").data == b"main"
    # Relative within the request's own subdomain, external to another host.
    assert client.get("/", subdomain="api").data == b"api / http://example.test/"
    assert client.get("/", subdomain="other").status_code == 404
    with subdomain_app.app_context():
        assert url_for("api.index") == "http://api.example.test/"


def test_subdomain_given_at_registration(subdomain_app: Tocsin, driver: str) -> None:
    bp = Blueprint("bp", __name__)

    @bp.route("/bp")
    def index() -> str:
        return "bp"

    subdomain_app.register_blueprint(bp, subdomain="admin")
    client = subdomain_app.test_client(driver=driver)
    assert client.get("/bp", subdomain="admin").data == b"bp"
    assert client.get("/bp").status_code == 404


def test_nested_subdomains(subdomain_app: Tocsin, driver: str) -> None:
    parent = Blueprint("parent", __name__, subdomain="api")
    child = Blueprint("child", __name__, subdomain="v1")
    inherits = Blueprint("inherits", __name__, url_prefix="/inherits")

    @child.route("/")
    def index() -> str:
        return "v1.api"

    @inherits.route("/")
    def inherited() -> str:
        return "api"

    parent.register_blueprint(child)
    parent.register_blueprint(inherits)
    subdomain_app.register_blueprint(parent)
    client = subdomain_app.test_client(driver=driver)
    assert client.get("/", subdomain="v1.api").data == b"v1.api"
    assert client.get("/inherits/", subdomain="api").data == b"api"
    assert client.get("/inherits/").status_code == 404
    with subdomain_app.app_context():
        assert url_for("parent.child.index") == "http://v1.api.example.test/"


# -- error handlers ----------------------------------------------------------------------------


class AppError(Exception):
    pass


class SpecificError(AppError):
    pass


@pytest.fixture
def errors_app(app: Tocsin) -> Tocsin:
    """Handlers on app, parent and child; views raising in each scope."""
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")
    bare = Blueprint("bare", __name__, url_prefix="/bare")

    @app.errorhandler(404)
    def app_404(e: NotFound) -> tuple[str, int]:
        return f"app 404 {request.blueprint}", 404

    @app.errorhandler(SpecificError)
    def app_specific(e: Exception) -> str:
        return "app specific"

    @app.errorhandler(AppError)
    def app_base(e: Exception) -> str:
        return "app base"

    @parent.errorhandler(404)
    def parent_404(e: NotFound) -> tuple[str, int]:
        return f"parent 404 {request.blueprint}", 404

    @parent.errorhandler(AppError)
    def parent_base(e: Exception) -> str:
        return "parent base"

    @child.errorhandler(SpecificError)
    def child_specific(e: Exception) -> str:
        return "child specific"

    for scaffold in (app, parent, child, bare):

        @scaffold.route("/abort")
        def do_abort() -> str:
            abort(404)

        @scaffold.route("/specific")
        def specific() -> str:
            raise SpecificError()

        @scaffold.route("/base")
        def base() -> str:
            raise AppError()

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    app.register_blueprint(bare)
    return app


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/abort", 404, b"app 404 None"),
        ("/specific", 200, b"app specific"),
        ("/base", 200, b"app base"),
        # The blueprint's handler wins over the app's, even for a less specific class.
        ("/parent/abort", 404, b"parent 404 parent"),
        ("/parent/specific", 200, b"parent base"),
        ("/parent/base", 200, b"parent base"),
        # The child's own handler first, then its parent's, then the app's.
        ("/parent/child/specific", 200, b"child specific"),
        ("/parent/child/base", 200, b"parent base"),
        ("/parent/child/abort", 404, b"parent 404 parent.child"),
        # A blueprint without handlers uses the app's.
        ("/bare/abort", 404, b"app 404 bare"),
        ("/bare/specific", 200, b"app specific"),
        # A routing 404 has no blueprint, even under a blueprint's prefix: the app's handler.
        ("/parent/missing", 404, b"app 404 None"),
        ("/parent/child/missing", 404, b"app 404 None"),
        ("/nowhere", 404, b"app 404 None"),
    ],
)
def test_error_handler_precedence(
    errors_app: Tocsin, driver: str, path: str, status: int, body: bytes
) -> None:
    response = errors_app.test_client(driver=driver).get(path)
    assert response.status_code == status
    assert response.data == body


def test_app_errorhandler_from_blueprint(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.app_errorhandler(404)
    def not_found(e: NotFound) -> tuple[str, int]:
        return "app-wide 404", 404

    @bp.app_errorhandler(KeyError)
    def key_error(e: KeyError) -> tuple[str, int]:
        return f"key {e.args[0]}", 400

    @app.route("/key")
    def key() -> str:
        return {}["missing"]  # type: ignore[no-any-return]

    app.register_blueprint(bp)
    response = client.get("/nowhere")
    assert (response.status_code, response.data) == (404, b"app-wide 404")
    response = client.get("/key")
    assert (response.status_code, response.data) == (400, b"key missing")


def test_405_goes_to_app_handler(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.errorhandler(405)
    def bp_405(e: Exception) -> tuple[str, int]:
        return "bp 405", 405

    @app.errorhandler(405)
    def app_405(e: Exception) -> tuple[str, int]:
        return "app 405", 405

    @bp.post("/only-post")
    def only_post() -> str:
        return ""

    @bp.route("/abort-405")
    def abort_405() -> str:
        abort(405)

    app.register_blueprint(bp)
    assert client.get("/bp/only-post").data == b"app 405"
    assert client.get("/bp/abort-405").data == b"bp 405"


def test_blueprint_500_handler(app: Tocsin, client: TestClient) -> None:
    app.testing = False
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.errorhandler(500)
    def bp_500(e: Exception) -> tuple[str, int]:
        return f"bp 500 {type(getattr(e, 'original_exception', None)).__name__}", 500

    @app.errorhandler(500)
    def app_500(e: Exception) -> tuple[str, int]:
        return "app 500", 500

    @bp.route("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    @app.route("/boom")
    def app_boom() -> str:
        raise RuntimeError("boom")

    app.register_blueprint(bp)
    assert client.get("/bp/boom").data == b"bp 500 RuntimeError"
    assert client.get("/boom").data == b"app 500"


def test_nesting_subdomains_registered_on_parent(app: Tocsin, driver: str) -> None:
    app.subdomain_matching = True
    app.config["SERVER_NAME"] = "example.test"
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__)

    @child.route("/child/")
    def index() -> str:
        return "child"

    parent.register_blueprint(child)
    app.register_blueprint(parent, subdomain="api")
    client = app.test_client(driver=driver)
    assert client.get("/child/", base_url="http://api.example.test").data == b"child"
    assert client.get("/child/", base_url="http://example.test").status_code == 404


def test_child_and_parent_subdomain(app: Tocsin, driver: str) -> None:
    app.subdomain_matching = True
    app.config["SERVER_NAME"] = "example.test"
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__, subdomain="api")

    @child.route("/")
    def index() -> str:
        return "child"

    parent.register_blueprint(child)
    app.register_blueprint(parent, subdomain="parent")
    client = app.test_client(driver=driver)
    assert client.get("/", base_url="http://api.parent.example.test").data == b"child"
    assert client.get("/", base_url="http://parent.example.test").status_code == 404
