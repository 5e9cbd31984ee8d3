"""Flask-Login 0.6.3: sessions, remember-me cookie, loaders, login_required, freshness."""

from __future__ import annotations

import typing as t

import flask
import pytest
from flask.views import MethodView
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    fresh_login_required,
    login_required,
    login_user,
    logout_user,
    user_loaded_from_cookie,
    user_loaded_from_request,
    user_logged_in,
    user_logged_out,
)
from werkzeug.exceptions import Unauthorized


class User(UserMixin):
    def __init__(self, user_id: str, name: str) -> None:
        self.id = user_id
        self.name = name


USERS = {"1": User("1", "ada"), "2": User("2", "bob")}
TOKENS = {"token-of-bob": "2"}

PAGE = (
    "{% for category, message in get_flashed_messages(with_categories=true) %}"
    "[{{ category }}: {{ message }}]{% endfor %}"
    "{% if current_user.is_authenticated %}signed in as {{ current_user.name }}"
    "{% else %}anonymous{% endif %}"
)


def create_app(login_view: str | None = "login") -> tuple[flask.Flask, list[str]]:
    """An app with Flask-Login; also the list of ids the user loader was asked for."""
    app = flask.Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY="ecosystem login")
    login_manager = LoginManager(app)
    login_manager.login_view = login_view
    login_manager.refresh_view = "reauth"
    loaded: list[str] = []

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        loaded.append(user_id)
        return USERS.get(user_id)

    @login_manager.request_loader
    def load_user_from_request(request: flask.Request) -> User | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return USERS.get(TOKENS.get(token, ""))

    @app.route("/login", methods=["GET", "POST"])
    def login() -> t.Any:
        if flask.request.method == "POST":
            user = USERS[flask.request.form["id"]]
            login_user(user, remember=flask.request.form.get("remember") == "yes")
            return flask.redirect(flask.request.args.get("next", "/"))
        return "login page: " + flask.render_template_string(PAGE)

    @app.get("/reauth")
    def reauth() -> str:
        return "reauth page: " + flask.render_template_string(PAGE)

    @app.get("/")
    def index() -> str:
        return flask.render_template_string(PAGE)

    @app.get("/private")
    @login_required
    def private() -> str:
        return f"private page of {current_user.name} ({current_user.get_id()})"

    @app.get("/settings")
    @fresh_login_required
    def settings() -> str:
        return f"settings of {current_user.name}"

    @app.get("/logout")
    def logout() -> t.Any:
        logout_user()
        return flask.redirect("/")

    return app, loaded


def test_login_required_redirects_to_the_login_view_with_next(
    make_client: t.Callable[..., t.Any],
) -> None:
    app, loaded = create_app()
    client = make_client(app)
    response = client.get("/private?tab=2")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fprivate%3Ftab%3D2"
    page = client.get(response.headers["Location"])
    assert page.text == "login page: [message: Please log in to access this page.]anonymous"
    assert loaded == []  # no session user, no cookie: the loader is never asked


def test_login_required_without_login_view_is_401(make_client: t.Callable[..., t.Any]) -> None:
    app, _ = create_app(login_view=None)
    response = make_client(app).get("/private")
    assert response.status_code == 401
    assert response.text == Unauthorized().get_body()
    assert "Set-Cookie" not in response.headers


def test_sign_in_current_user_in_views_and_templates_and_sign_out(
    make_client: t.Callable[..., t.Any],
) -> None:
    app, loaded = create_app()
    client = make_client(app)
    signed_in: list[tuple[object, str]] = []
    signed_out: list[tuple[object, str]] = []

    def on_login(sender: object, user: User) -> None:
        signed_in.append((sender, user.name))

    def on_logout(sender: object, user: User) -> None:
        signed_out.append((sender, user.name))

    user_logged_in.connect(on_login, app)
    user_logged_out.connect(on_logout, app)
    try:
        response = client.post("/login?next=/private", data={"id": "1"})
        assert (response.status_code, response.headers["Location"]) == (302, "/private")
        assert client.get_cookie("remember_token") is None
        assert signed_in == [(app, "ada")]
        assert client.get("/private").text == "private page of ada (1)"
        assert client.get("/").text == "signed in as ada"
        assert loaded == ["1", "1"]
        with client.session_transaction() as session:
            assert (session["_user_id"], session["_fresh"]) == ("1", True)
        response = client.get("/logout")
        assert (response.status_code, response.headers["Location"]) == (302, "/")
        assert signed_out == [(app, "ada")]
        assert client.get("/").text == "anonymous"
        assert client.get("/private").status_code == 302
        with client.session_transaction() as session:
            assert "_user_id" not in session
    finally:
        user_logged_in.disconnect(on_login, app)
        user_logged_out.disconnect(on_logout, app)


def test_remember_me_cookie_signs_in_without_the_session_but_not_freshly(
    make_client: t.Callable[..., t.Any],
) -> None:
    app, loaded = create_app()
    client = make_client(app)
    from_cookie: list[str] = []

    def on_cookie(sender: object, user: User) -> None:
        from_cookie.append(user.name)

    user_loaded_from_cookie.connect(on_cookie, app)
    try:
        response = client.post("/login", data={"id": "1", "remember": "yes"})
        header = next(
            h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")
        )
        assert header.endswith("; HttpOnly; Path=/")
        cookie = client.get_cookie("remember_token")
        assert cookie.value.startswith("1|")
        assert len(cookie.value) == len("1|") + 128  # the id and its SHA-512 HMAC
        assert client.get("/settings").text == "settings of ada"  # a fresh login

        client.delete_cookie("session")  # the browser closed: only the remember cookie is left
        assert client.get("/private").text == "private page of ada (1)"
        assert from_cookie == ["ada"]
        with client.session_transaction() as session:
            assert (session["_user_id"], session["_fresh"]) == ("1", False)
        response = client.get("/settings")
        assert response.status_code == 302
        assert response.headers["Location"] == "/reauth?next=%2Fsettings"
        page = client.get("/reauth").text
        assert page == (
            "reauth page: [message: Please reauthenticate to access this page.]signed in as ada"
        )

        response = client.get("/logout")
        cleared = next(
            h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")
        )
        assert cleared == (
            "remember_token=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"
        )
        assert client.get_cookie("remember_token") is None
        assert client.get("/private").status_code == 302
        # /settings, /private (from the cookie), /settings, /reauth, /logout (for the signal)
        assert loaded == ["1", "1", "1", "1", "1"]
    finally:
        user_loaded_from_cookie.disconnect(on_cookie, app)


def test_fresh_login_required_without_refresh_view_is_401(
    make_client: t.Callable[..., t.Any],
) -> None:
    app, _ = create_app()
    app.login_manager.refresh_view = None
    client = make_client(app)
    client.post("/login", data={"id": "2", "remember": "yes"})
    client.delete_cookie("session")
    response = client.get("/settings")
    assert (response.status_code, response.text) == (401, Unauthorized().get_body())


def test_request_loader_signs_in_from_a_header_without_a_session(
    make_client: t.Callable[..., t.Any],
) -> None:
    app, loaded = create_app()
    client = make_client(app)
    from_request: list[str] = []

    def on_request(sender: object, user: User) -> None:
        from_request.append(user.name)

    user_loaded_from_request.connect(on_request, app)
    try:
        response = client.get("/private", headers={"Authorization": "Bearer token-of-bob"})
        assert (response.status_code, response.text) == (200, "private page of bob (2)")
        assert "Set-Cookie" not in response.headers
        assert from_request == ["bob"]
        assert loaded == []
        response = client.get("/private", headers={"Authorization": "Bearer wrong"})
        assert response.status_code == 302
    finally:
        user_loaded_from_request.disconnect(on_request, app)


@pytest.mark.parametrize("remember", ["yes", "no"])
def test_login_user_in_a_test_request_context(remember: str) -> None:
    """``login_user`` and ``current_user`` in a bare request context, as tests do."""
    app, loaded = create_app()
    with app.test_request_context("/"):
        assert current_user.is_anonymous
        assert login_user(USERS["2"], remember=remember == "yes") is True
        assert current_user.name == "bob"
        assert flask.session["_user_id"] == "2"
        assert flask.session.get("_remember") == ("set" if remember == "yes" else None)
        logout_user()
        assert current_user.is_anonymous
    assert loaded == []


def test_unauthorized_handler_replaces_the_redirect(make_client: t.Callable[..., t.Any]) -> None:
    app, _ = create_app()

    @app.login_manager.unauthorized_handler
    def unauthorized() -> tuple[dict[str, str], int]:
        return {"error": f"sign in to see {flask.request.path}"}, 401

    response = make_client(app).get("/private")
    assert (response.status_code, response.json) == (401, {"error": "sign in to see /private"})


def test_login_disabled_lets_everyone_in(make_client: t.Callable[..., t.Any]) -> None:
    app, _ = create_app()
    app.config["LOGIN_DISABLED"] = True

    @app.get("/who")
    @login_required
    def who() -> str:
        return f"anonymous={current_user.is_anonymous}"

    assert make_client(app).get("/who").text == "anonymous=True"


def test_blueprint_login_views_and_session_for_next(make_client: t.Callable[..., t.Any]) -> None:
    app, _ = create_app()
    app.config["USE_SESSION_FOR_NEXT"] = True
    admin = flask.Blueprint("admin", __name__, url_prefix="/admin")

    @admin.get("/login")
    def login() -> str:
        return "admin login"

    @admin.get("/")
    @login_required
    def index() -> str:
        return "admin home"

    app.register_blueprint(admin)
    app.login_manager.blueprint_login_views = {"admin": "admin.login"}
    client = make_client(app)
    response = client.get("/admin/?x=1")
    assert (response.status_code, response.headers["Location"]) == (302, "/admin/login")
    with client.session_transaction() as session:
        assert session["next"] == "/admin/?x=1"
    assert client.get("/private").headers["Location"] == "/login"


def test_strong_session_protection_drops_a_session_from_another_browser(
    make_client: t.Callable[..., t.Any],
) -> None:
    app, _ = create_app()
    app.login_manager.session_protection = "strong"
    client = make_client(app)
    client.post("/login", data={"id": "1"})
    assert client.get("/private").text == "private page of ada (1)"
    # same cookie, another user agent: the session identifier no longer matches
    response = client.get("/private", headers={"User-Agent": "another browser"})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert client.get("/private").status_code == 302


def test_current_user_in_a_before_request_hook(make_client: t.Callable[..., t.Any]) -> None:
    app, _ = create_app()
    seen: list[str] = []

    @app.before_request
    def note_user() -> None:
        seen.append(current_user.name if current_user.is_authenticated else "anonymous")

    client = make_client(app)
    client.get("/")
    client.post("/login", data={"id": "2"})
    client.get("/")
    assert seen == ["anonymous", "anonymous", "bob"]


def test_login_required_on_a_method_view(make_client: t.Callable[..., t.Any]) -> None:
    app, _ = create_app()

    class Profile(MethodView):
        decorators = [login_required]

        def get(self) -> str:
            return f"profile of {current_user.name}"

        def post(self) -> str:
            return f"saved for {current_user.name}"

    app.add_url_rule("/profile", view_func=Profile.as_view("profile"))
    client = make_client(app)
    assert client.get("/profile").headers["Location"] == "/login?next=%2Fprofile"
    client.post("/login", data={"id": "2"})
    assert client.get("/profile").text == "profile of bob"
    assert client.post("/profile").text == "saved for bob"
