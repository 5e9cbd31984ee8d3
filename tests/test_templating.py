"""Jinja2 templates: loading, autoescaping, context, registration, streaming, signals."""

from __future__ import annotations

import os
import pathlib
import typing as t

import pytest
from jinja2 import Template, TemplateNotFound
from markupsafe import Markup

from tocsin import (
    Blueprint,
    Tocsin,
    g,
    get_template_attribute,
    render_template,
    render_template_string,
    request,
    session,
    stream_template,
    stream_template_string,
)
from tocsin.signals import before_render_template, record, template_rendered
from tocsin.templating import DispatchingJinjaLoader, Environment
from tocsin.testing import TestClient
from tocsin.wrappers import Response

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


@pytest.fixture
def app() -> Tocsin:
    """An app whose template and static folders are ``tests/fixtures/``."""
    app = Tocsin("tocsin_test_templates", root_path=str(FIXTURES))
    app.config.update(TESTING=True, SECRET_KEY="test key")
    return app


def admin_blueprint(**kwargs: t.Any) -> Blueprint:
    """A blueprint with its own template folder (``tests/fixtures/admin/templates``)."""
    return Blueprint(
        "admin", __name__, root_path=str(FIXTURES / "admin"), template_folder="templates", **kwargs
    )


# -- loading and autoescaping ---------------------------------------------------------------


def test_render_template_from_app_folder(app: Tocsin, client: TestClient) -> None:
    @app.route("/")
    def index() -> str:
        return render_template("simple.html", value="<b>&</b>")

    response = client.get("/")
    assert response.status_code == 200
    assert response.data == b"<p>&lt;b&gt;&amp;&lt;/b&gt;</p>"
    assert response.mimetype == "text/html"


@pytest.mark.parametrize(
    ("extension", "expected"),
    [
        ("html", b"&lt;i&gt;Tom &amp; Jerry&lt;/i&gt;"),
        ("htm", b"&lt;i&gt;Tom &amp; Jerry&lt;/i&gt;"),
        ("xml", b"&lt;i&gt;Tom &amp; Jerry&lt;/i&gt;"),
        ("xhtml", b"&lt;i&gt;Tom &amp; Jerry&lt;/i&gt;"),
        ("svg", b"&lt;i&gt;Tom &amp; Jerry&lt;/i&gt;"),
        ("txt", b"<i>Tom & Jerry</i>"),
    ],
)
def test_autoescape_by_extension(
    app: Tocsin, client: TestClient, extension: str, expected: bytes
) -> None:
    @app.route("/")
    def index() -> str:
        return render_template(f"escape.{extension}", text="<i>Tom & Jerry</i>")

    assert client.get("/").data == expected


def test_select_jinja_autoescape(app: Tocsin) -> None:
    assert app.select_jinja_autoescape(None) is True
    assert app.select_jinja_autoescape("a.html") is True
    assert app.select_jinja_autoescape("a.svg") is True
    assert app.select_jinja_autoescape("a.txt") is False
    assert app.select_jinja_autoescape("a.html.j2") is False


def test_render_template_string_autoescapes_and_markup_is_safe(
    app: Tocsin, client: TestClient
) -> None:
    @app.route("/")
    def index() -> str:
        return render_template_string(
            "{{ raw }}|{{ safe }}|{{ raw|safe }}", raw="<b>", safe=Markup("<i>")
        )

    assert client.get("/").data == b"&lt;b&gt;|<i>|<b>"


def test_template_list_selects_first_existing(app: Tocsin, client: TestClient) -> None:
    @app.route("/")
    def index() -> str:
        return render_template(["missing.html", "nested/page.html", "simple.html"], value=1)

    assert client.get("/").data == b"nested 1"


def test_missing_template_raises_template_not_found(app: Tocsin, client: TestClient) -> None:
    @app.route("/")
    def index() -> str:
        return render_template("does-not-exist.html")

    with pytest.raises(TemplateNotFound) as info:
        client.get("/")
    assert info.value.name == "does-not-exist.html"


def test_missing_template_is_a_500_when_not_testing(app: Tocsin, client: TestClient) -> None:
    app.testing = False

    @app.route("/")
    def index() -> str:
        return render_template("does-not-exist.html")

    assert client.get("/").status_code == 500


def test_render_needs_an_app_context() -> None:
    with pytest.raises(RuntimeError, match="needs an application context"):
        render_template_string("x")
    with pytest.raises(RuntimeError, match="needs an application context"):
        render_template("simple.html")


def test_render_in_app_context_without_request(app: Tocsin) -> None:
    with app.app_context():
        g.name = "worker"
        rv = render_template_string("{{ g.name }} {{ config.TESTING }} {{ request is defined }}")
        assert rv == "worker True True"
        # As in Flask: ``request`` is a global proxy, unbound outside a request.
        with pytest.raises(RuntimeError, match="Working outside of request context"):
            render_template_string("{{ request.path }}")


def test_environment_and_loader_types(app: Tocsin) -> None:
    env = app.jinja_env
    assert isinstance(env, Environment)
    assert env is app.jinja_env
    assert env.app is app
    assert isinstance(env.loader, DispatchingJinjaLoader)
    assert app.jinja_loader is not None
    assert app.jinja_loader.searchpath == [str(FIXTURES / "templates")]
    assert app.jinja_loader is app.jinja_loader  # made once


def test_app_without_template_folder(client: TestClient) -> None:
    app = client.app
    app.template_folder = None
    assert app.jinja_loader is None

    @app.route("/")
    def index() -> str:
        return render_template("simple.html")

    with pytest.raises(TemplateNotFound):
        client.get("/")


def test_jinja_options(app: Tocsin, client: TestClient) -> None:
    app.jinja_options = {"trim_blocks": True, "autoescape": False}

    @app.route("/")
    def index() -> str:
        return render_template_string("{% if true %}\n{{ v }}{% endif %}", v="<b>")

    assert client.get("/").data == b"<b>"


def test_list_templates_covers_app_and_blueprints(app: Tocsin) -> None:
    app.register_blueprint(admin_blueprint())
    names = app.jinja_env.list_templates()
    assert "simple.html" in names
    assert "nested/page.html" in names
    assert "admin/index.html" in names
    assert "admin_only.html" in names
    assert names.count("shared.html") == 1
    assert names == sorted(names)


# -- the default context ---------------------------------------------------------------------


def test_default_context(app: Tocsin, client: TestClient) -> None:
    app.config["ANSWER"] = 42

    @app.route("/page/<int:n>", endpoint="page")
    def page(n: int) -> str:
        g.user = "ada"
        session["theme"] = "dark"
        return render_template_string(
            "{{ config.ANSWER }}|{{ request.path }}|{{ request.args.q }}|{{ g.user }}"
            "|{{ session.theme }}|{{ url_for('page', n=n + 1) }}|{{ get_flashed_messages() }}",
            n=n,
        )

    assert client.get("/page/1?q=x").data == b"42|/page/1|x|ada|dark|/page/2|[]"


def test_default_context_objects_are_the_current_ones(app: Tocsin, client: TestClient) -> None:
    seen: dict[str, t.Any] = {}

    @app.route("/")
    def index() -> str:
        with record(template_rendered) as sent:
            render_template_string("x")
        seen.update(sent[0][1]["context"])
        seen["expected_request"] = request._get_current_object()  # type: ignore[attr-defined]
        seen["expected_g"] = g._get_current_object()  # type: ignore[attr-defined]
        return "ok"

    client.get("/")
    assert seen["request"] is seen["expected_request"]
    assert seen["g"] is seen["expected_g"]
    # Like Flask 3.1.3, the session is not put into the context: it stays a
    # global proxy, so a template that does not use it does not open it.
    assert "session" not in seen


def test_caller_context_wins_over_processors(app: Tocsin, client: TestClient) -> None:
    @app.context_processor
    def defaults() -> dict[str, t.Any]:
        return {"title": "from processor", "extra": "e", "request": "shadowed"}

    @app.route("/")
    def index() -> str:
        return render_template_string("{{ title }}|{{ extra }}|{{ request }}", title="from view")

    assert client.get("/").data == b"from view|e|shadowed"


def test_imported_macro_sees_request_global(app: Tocsin, client: TestClient) -> None:
    @app.route("/macro")
    def index() -> str:
        return render_template("import_macro.html", who="Bob")

    assert client.get("/macro").data == b"Hello Bob at /macro"


def test_get_template_attribute(app: Tocsin, client: TestClient) -> None:
    @app.route("/attr")
    def index() -> str:
        hello = get_template_attribute("macros.html", "hello")
        return str(hello("Ann"))

    assert client.get("/attr").data == b"Hello Ann at /attr"


def test_tojson_uses_app_json_provider(app: Tocsin, client: TestClient) -> None:
    import datetime

    @app.route("/")
    def index() -> str:
        return render_template_string(
            "{{ data|tojson }}", data={"b": datetime.date(2024, 1, 2), "a": "</script>"}
        )

    assert client.get("/").data == (
        b'{"a": "\\u003c/script\\u003e", "b": "Tue, 02 Jan 2024 00:00:00 GMT"}'
    )


def test_template_that_ignores_session_does_not_vary(app: Tocsin, client: TestClient) -> None:
    @app.route("/plain")
    def plain() -> str:
        return render_template_string("plain")

    @app.route("/uses-session")
    def uses() -> str:
        return render_template_string("{{ session.get('x') }}")

    plain_response = client.get("/plain")
    assert "Vary" not in plain_response.headers
    assert plain_response.headers.getlist("Set-Cookie") == []
    uses_response = client.get("/uses-session")
    assert uses_response.data == b"None"
    assert uses_response.headers["Vary"] == "Cookie"


# -- context processors ------------------------------------------------------------------


def test_app_context_processor(app: Tocsin, client: TestClient) -> None:
    @app.context_processor
    def site() -> dict[str, t.Any]:
        return {"site": "Tocsin"}

    @app.context_processor
    def site_override() -> dict[str, t.Any]:
        return {"site": "Tocsin 2", "year": 2025}

    @app.route("/")
    def index() -> str:
        return render_template_string("{{ site }} {{ year }}")

    assert client.get("/").data == b"Tocsin 2 2025"


def test_async_context_processor(app: Tocsin, client: TestClient) -> None:
    @app.context_processor
    async def user() -> dict[str, t.Any]:
        return {"user": "async ada"}

    @app.route("/")
    def index() -> str:
        return render_template_string("{{ user }}")

    assert client.get("/").data == b"async ada"


def test_blueprint_context_processors(app: Tocsin, client: TestClient) -> None:
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")
    other = Blueprint("other", __name__, url_prefix="/other")

    @app.context_processor
    def app_proc() -> dict[str, t.Any]:
        return {"who": "app", "app_only": "a"}

    @parent.context_processor
    def parent_proc() -> dict[str, t.Any]:
        return {"who": "parent", "parent_only": "p"}

    @child.context_processor
    def child_proc() -> dict[str, t.Any]:
        return {"who": "child"}

    @other.app_context_processor
    def everywhere() -> dict[str, t.Any]:
        return {"everywhere": "yes"}

    source = "{{ who }}|{{ app_only }}|{{ parent_only }}|{{ everywhere }}"

    @app.route("/")
    def index() -> str:
        return render_template_string(source)

    @parent.route("/")
    def parent_index() -> str:
        return render_template_string(source)

    @child.route("/")
    def child_index() -> str:
        return render_template_string(source)

    @other.route("/")
    def other_index() -> str:
        return render_template_string(source)

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    app.register_blueprint(other)

    assert client.get("/").data == b"app|a||yes"
    assert client.get("/parent/").data == b"parent|a|p|yes"
    assert client.get("/parent/child/").data == b"child|a|p|yes"
    assert client.get("/other/").data == b"app|a||yes"


# -- filters, tests and globals --------------------------------------------------------------


def test_template_filter_all_forms(app: Tocsin, client: TestClient) -> None:
    @app.template_filter
    def bare(s: str) -> str:
        return f"bare({s})"

    @app.template_filter()
    def called(s: str) -> str:
        return f"called({s})"

    @app.template_filter("named")
    def ignored_name(s: str) -> str:
        return f"named({s})"

    def added(s: str) -> str:
        return f"added({s})"

    app.add_template_filter(added)
    app.add_template_filter(added, "added_as")

    assert bare("x") == "bare(x)"  # the decorators return the function itself
    assert "ignored_name" not in app.jinja_env.filters

    @app.route("/")
    def index() -> str:
        return render_template_string(
            "{{ 'a'|bare }} {{ 'b'|called }} {{ 'c'|named }} {{ 'd'|added }} {{ 'e'|added_as }}"
        )

    assert client.get("/").data == b"bare(a) called(b) named(c) added(d) added(e)"


def test_template_test_all_forms(app: Tocsin, client: TestClient) -> None:
    @app.template_test
    def even(n: int) -> bool:
        return n % 2 == 0

    @app.template_test()
    def positive(n: int) -> bool:
        return n > 0

    @app.template_test("big")
    def is_big(n: int) -> bool:
        return n > 100

    def small(n: int) -> bool:
        return n < 10

    app.add_template_test(small)
    app.add_template_test(small, "tiny")

    @app.route("/")
    def index() -> str:
        return render_template_string(
            "{{ 4 is even }} {{ 3 is even }} {{ -1 is positive }} {{ 101 is big }}"
            " {{ 5 is small }} {{ 50 is tiny }}"
        )

    assert client.get("/").data == b"True False False True True False"


def test_template_global_all_forms(app: Tocsin, client: TestClient) -> None:
    @app.template_global
    def one() -> int:
        return 1

    @app.template_global()
    def two() -> int:
        return 2

    @app.template_global("three")
    def third() -> int:
        return 3

    def four() -> int:
        return 4

    app.add_template_global(four)
    app.add_template_global(four, "cuatro")

    @app.route("/")
    def index() -> str:
        return render_template_string(
            "{{ one() }}{{ two() }}{{ three() }}{{ four() }}{{ cuatro() }}"
        )

    assert client.get("/").data == b"12344"


def test_blueprint_app_template_registration_all_forms(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint("bp", __name__)

    @bp.app_template_filter
    def f_bare(s: str) -> str:
        return s + "1"

    @bp.app_template_filter()
    def f_called(s: str) -> str:
        return s + "2"

    @bp.app_template_filter("f_named")
    def f_x(s: str) -> str:
        return s + "3"

    bp.add_app_template_filter(str.upper, "f_added")

    @bp.app_template_test
    def t_bare(n: int) -> bool:
        return n == 1

    @bp.app_template_test("t_named")
    def t_x(n: int) -> bool:
        return n == 2

    bp.add_app_template_test(lambda n: n == 3, "t_added")

    @bp.app_template_global
    def g_bare() -> str:
        return "g1"

    @bp.app_template_global()
    def g_called() -> str:
        return "g2"

    bp.add_app_template_global(lambda: "g3", "g_added")

    assert "f_bare" not in app.jinja_env.filters  # nothing happens before registration
    app.register_blueprint(bp)

    @app.route("/")
    def index() -> str:
        return render_template_string(
            "{{ 'a'|f_bare|f_called|f_named|f_added }} {{ 1 is t_bare }} {{ 2 is t_named }}"
            " {{ 3 is t_added }} {{ g_bare() }}{{ g_called() }}{{ g_added() }}"
        )

    assert client.get("/").data == b"A123 True True True g1g2g3"


def test_template_registration_after_first_request_fails(app: Tocsin, client: TestClient) -> None:
    @app.route("/")
    def index() -> str:
        return "ok"

    client.get("/")
    with pytest.raises(AssertionError, match="already handled its first request"):
        app.add_template_filter(str.upper)
    with pytest.raises(AssertionError, match="already handled its first request"):
        app.template_global(str.lower)


# -- blueprints' template folders --------------------------------------------------------------


def test_blueprint_template_folder(app: Tocsin, client: TestClient) -> None:
    bp = admin_blueprint(url_prefix="/admin")

    @bp.route("/")
    def index() -> str:
        return render_template("admin/index.html")

    @bp.route("/shared")
    def shared() -> str:
        return render_template("shared.html")

    @bp.route("/only")
    def only() -> str:
        return render_template("admin_only.html")

    app.register_blueprint(bp)
    assert client.get("/admin/").data == b"admin index of admin"
    # The app's folder is searched first, so the app's shared.html wins.
    assert client.get("/admin/shared").data == b"app"
    assert client.get("/admin/only").data == b"only in admin"


def test_blueprint_templates_available_to_app_views(app: Tocsin, client: TestClient) -> None:
    app.register_blueprint(admin_blueprint())

    @app.route("/")
    def index() -> str:
        return render_template("admin/index.html")

    assert client.get("/").data == b"admin index of None"


def test_blueprint_package_folders(
    app: Tocsin, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))
    from tocsin_fixture_shop import bp

    assert bp.root_path == str(FIXTURES / "tocsin_fixture_shop")
    app.register_blueprint(bp)
    assert client.get("/shop/item/lamp").data == b"item lamp from shop"
    with client.get("/shop/shop-static/shop.js") as response:
        assert response.status_code == 200
        assert response.data == b'console.log("shop");\n'


# -- auto-reload -----------------------------------------------------------------------------


def test_auto_reload_defaults_to_debug(app: Tocsin) -> None:
    assert app.config["TEMPLATES_AUTO_RELOAD"] is None
    assert app.templates_auto_reload is False
    assert app.jinja_env.auto_reload is False
    app.debug = True
    assert app.templates_auto_reload is True
    assert app.jinja_env.auto_reload is True
    app.debug = False
    assert app.jinja_env.auto_reload is False


def test_auto_reload_config_wins_over_debug(app: Tocsin) -> None:
    app.templates_auto_reload = False
    assert app.config["TEMPLATES_AUTO_RELOAD"] is False
    app.debug = True
    assert app.templates_auto_reload is False
    assert app.jinja_env.auto_reload is False


def test_auto_reload_config_read_at_environment_creation() -> None:
    app = Tocsin("x", root_path="/nonexistent")
    app.config["TEMPLATES_AUTO_RELOAD"] = True
    assert app.jinja_env.auto_reload is True


def _write(path: pathlib.Path, text: str, mtime: int) -> None:
    path.write_text(text)
    os.utime(path, (mtime, mtime))


@pytest.mark.parametrize(("debug", "expected"), [(True, b"version 2"), (False, b"version 1")])
def test_changed_template_reloaded_in_debug(
    tmp_path: pathlib.Path, driver: str, debug: bool, expected: bytes
) -> None:
    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "page.txt"
    _write(page, "version 1", 1_000_000)
    app = Tocsin("reload", root_path=str(tmp_path))
    app.config["TESTING"] = True
    app.debug = debug

    @app.route("/")
    def index() -> str:
        return render_template("page.txt")

    client = app.test_client(driver=driver)
    assert client.get("/").data == b"version 1"
    _write(page, "version 2", 2_000_000)
    assert client.get("/").data == expected


# -- streaming -------------------------------------------------------------------------------


def test_stream_template(app: Tocsin, client: TestClient) -> None:
    @app.route("/stream")
    def stream() -> Response:
        return Response(stream_template("stream.html", items=[1, 2, 3]))

    with client.get("/stream") as response:
        assert response.status_code == 200
        assert response.is_streamed
        assert response.data == b"1,2,3,/stream"


def test_stream_template_string_uses_request_while_streaming(
    app: Tocsin, client: TestClient
) -> None:
    @app.route("/stream")
    def stream() -> Response:
        def parts() -> t.Iterator[str]:
            yield request.args["a"]
            yield "-"
            yield request.path

        return Response(
            stream_template_string(
                "{% for p in parts %}{{ p }}{% endfor %}|{{ request.method }}|{{ g.x }}",
                parts=parts(),
            )
        )

    @app.before_request
    def set_g() -> None:
        g.x = "gx"

    with client.get("/stream?a=1") as response:
        assert response.data == b"1-/stream|GET|gx"


def test_stream_template_is_lazy(app: Tocsin, client: TestClient) -> None:
    events: list[str] = []

    @app.template_global
    def mark(label: str) -> str:
        events.append(label)
        return label

    @app.route("/stream")
    def stream() -> Response:
        rv = stream_template_string("{{ mark('a') }}{{ mark('b') }}")
        events.append("view returned")
        return Response(rv)

    with client.get("/stream") as response:
        assert response.data == b"ab"
    assert events == ["view returned", "a", "b"]


def test_stream_outside_request(app: Tocsin) -> None:
    with app.app_context():
        rv = stream_template_string("{{ x }}{{ request is defined }}", x=1)
        assert "".join(rv) == "1True"


# -- signals ---------------------------------------------------------------------------------


def test_render_signals_around_render(app: Tocsin, client: TestClient) -> None:
    events: list[t.Any] = []

    @app.template_global()
    def mark() -> str:
        events.append("render")
        return ""

    @app.context_processor
    def proc() -> dict[str, t.Any]:
        events.append("context_processor")
        return {"from_proc": 1}

    def before(sender: t.Any, template: Template, context: dict[str, t.Any]) -> None:
        events.append(("before_render_template", sender, template.name, dict(context)))

    def after(sender: t.Any, template: Template, context: dict[str, t.Any]) -> None:
        events.append(("template_rendered", sender, template.name, dict(context)))

    @app.route("/")
    def index() -> str:
        g.who = "g"
        return render_template("simple.html", value="{{ mark() }}") + render_template_string(
            "{{ mark() }}"
        )

    before_render_template.connect(before)
    template_rendered.connect(after)
    try:
        response = client.get("/")
    finally:
        before_render_template.disconnect(before)
        template_rendered.disconnect(after)
    assert response.data == b"<p>{{ mark() }}</p>"

    assert [e if isinstance(e, str) else e[:3] for e in events] == [
        "context_processor",
        ("before_render_template", app, "simple.html"),
        ("template_rendered", app, "simple.html"),
        "context_processor",
        ("before_render_template", app, None),
        "render",
        ("template_rendered", app, None),
    ]
    assert sorted(events[1][3]) == ["from_proc", "g", "request", "value"]
    assert events[1][3]["value"] == "{{ mark() }}"
    assert events[1][3]["from_proc"] == 1
    assert events[2][3] == events[1][3]


def test_render_signals_with_record(app: Tocsin, client: TestClient) -> None:
    captured: dict[str, t.Any] = {}

    @app.route("/")
    def index() -> str:
        with record(before_render_template) as before, record(template_rendered) as after:
            rv = render_template("simple.html", value=7)
        captured["before"], captured["after"] = before, after
        return rv

    client.get("/")
    ((sender_b, kwargs_b),) = captured["before"]
    ((sender_a, kwargs_a),) = captured["after"]
    assert sender_b is app and sender_a is app
    assert list(kwargs_b) == ["template", "context"]
    assert kwargs_b["template"] is kwargs_a["template"]
    assert kwargs_b["template"].name == "simple.html"
    assert kwargs_a["context"]["value"] == 7


def test_stream_signals(app: Tocsin, client: TestClient) -> None:
    events: list[str] = []

    @app.template_global()
    def mark() -> str:
        events.append("render")
        return "x"

    def before(sender: t.Any, template: Template, context: dict[str, t.Any]) -> None:
        events.append("before_render_template")

    def after(sender: t.Any, template: Template, context: dict[str, t.Any]) -> None:
        events.append("template_rendered")

    @app.route("/")
    def index() -> Response:
        rv = Response(stream_template_string("{{ mark() }}"))
        events.append("view returned")
        return rv

    before_render_template.connect(before)
    template_rendered.connect(after)
    try:
        with client.get("/") as response:
            assert response.data == b"x"
    finally:
        before_render_template.disconnect(before)
        template_rendered.disconnect(after)
    assert events == ["before_render_template", "view returned", "render", "template_rendered"]


def test_async_signal_receiver_for_render(app: Tocsin, client: TestClient) -> None:
    seen: list[str | None] = []

    async def receiver(sender: t.Any, template: Template, context: dict[str, t.Any]) -> None:
        seen.append(template.name)

    @app.route("/")
    def index() -> str:
        return render_template("simple.html", value=1)

    template_rendered.connect(receiver)
    try:
        assert client.get("/").data == b"<p>1</p>"
    finally:
        template_rendered.disconnect(receiver)
    assert seen == ["simple.html"]


def test_render_in_async_view(app: Tocsin, client: TestClient) -> None:
    @app.context_processor
    def proc() -> dict[str, t.Any]:
        return {"who": "proc"}

    @app.route("/async")
    async def view() -> str:
        with record(template_rendered) as sent:
            rv = render_template("simple.html", value=request.path)
        assert len(sent) == 1
        return rv + render_template_string("|{{ who }}")

    @app.route("/async-stream")
    async def stream() -> Response:
        return Response(stream_template("stream.html", items=["a"]))

    assert client.get("/async").data == b"<p>/async</p>|proc"
    with client.get("/async-stream") as response:
        assert response.data == b"a,/async-stream"


def test_each_app_has_its_own_environment(app: Tocsin) -> None:
    other = Tocsin("other", root_path="/nonexistent")

    @app.template_filter
    def only_here(s: str) -> str:
        return s

    assert app.jinja_env is not other.jinja_env
    assert "only_here" in app.jinja_env.filters
    assert "only_here" not in other.jinja_env.filters
    assert other.jinja_env.globals["config"] is other.config
    assert app.jinja_env.globals["config"] is app.config


def test_explain_template_loading_logs_every_loader(
    app: Tocsin, caplog: pytest.LogCaptureFixture
) -> None:
    app.register_blueprint(admin_blueprint())
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    app_folder, bp_folder = str(FIXTURES / "templates"), str(FIXTURES / "admin" / "templates")
    with caplog.at_level("INFO", logger=app.logger.name), app.test_request_context():
        assert render_template("shared.html").strip() != ""
        with pytest.raises(TemplateNotFound):
            render_template("nowhere.html")
    shared, nowhere = (r.getMessage() for r in caplog.records)
    assert shared == "\n".join(
        [
            "Locating template 'shared.html':",
            f"  1: FileSystemLoader of application 'tocsin_test_templates', searching"
            f" [{app_folder!r}]",
            f"     -> found ({os.path.join(app_folder, 'shared.html')!r})",
            f"  2: FileSystemLoader of blueprint 'admin', searching [{bp_folder!r}]",
            f"     -> found ({os.path.join(bp_folder, 'shared.html')!r})",
            "Warning: several loaders have the template; the first one is used.",
        ]
    )
    assert nowhere.splitlines()[0] == "Locating template 'nowhere.html':"
    assert nowhere.splitlines()[-1] == "Error: no loader has the template."


def test_an_assigned_jinja_loader_replaces_the_folders_as_in_flask(
    tmp_path: pathlib.Path, app: Tocsin, client: TestClient
) -> None:
    from jinja2 import DictLoader

    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("from the folder")
    app.root_path = str(tmp_path)
    bp = Blueprint("parts", __name__)
    bp.jinja_loader = DictLoader({"part.html": "part {{ n }}"})
    app.register_blueprint(bp)

    @app.route("/<name>")
    def show(name: str) -> str:
        return render_template(name, n=7)

    assert client.get("/page.html").data == b"from the folder"
    assert client.get("/part.html").data == b"part 7"
    app.jinja_loader = DictLoader({"page.html": "from a dict"})
    app.jinja_env.cache.clear()
    assert client.get("/page.html").data == b"from a dict"
    del app.jinja_loader
    app.jinja_env.cache.clear()
    assert client.get("/page.html").data == b"from the folder"
