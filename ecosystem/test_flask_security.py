"""Flask-Security 5.9.2 (fsqla_v3 models on Flask-SQLAlchemy): sign-in, roles, register, JSON."""

from __future__ import annotations

import typing as t

import flask
import sqlalchemy
from flask_security import (
    Security,
    SQLAlchemyUserDatastore,
    auth_required,
    current_user,
    hash_password,
    roles_required,
    user_authenticated,
    user_registered,
)
from flask_security.models import fsqla_v3 as fsqla
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
fsqla.FsModels.set_db_info(db)


class Role(db.Model, fsqla.FsRoleMixin):  # type: ignore[name-defined,misc]
    pass


class User(db.Model, fsqla.FsUserMixin):  # type: ignore[name-defined,misc]
    pass


def create_app() -> tuple[flask.Flask, list[str]]:
    """An app with two users (ada is an admin) in an in-memory database; also a signal log."""
    app = flask.Flask(__name__)
    app.config.update(
        TESTING=True,
        SECRET_KEY="ecosystem security",
        SECURITY_PASSWORD_SALT="ecosystem salt",
        SECURITY_PASSWORD_HASH="plaintext",  # fast; the hashing is not what is tried here
        SECURITY_REGISTERABLE=True,
        SECURITY_SEND_REGISTER_EMAIL=False,
        # email-validator refuses example.com and looks domains up: the .test domain, offline
        SECURITY_EMAIL_VALIDATOR_ARGS={"test_environment": True},
        WTF_CSRF_ENABLED=False,
        SQLALCHEMY_DATABASE_URI="sqlite://",
        # one connection, shared with the ASGI driver's worker threads
        SQLALCHEMY_ENGINE_OPTIONS={
            "poolclass": sqlalchemy.pool.StaticPool,
            "connect_args": {"check_same_thread": False},
        },
    )
    db.init_app(app)
    datastore = SQLAlchemyUserDatastore(db, User, Role)
    Security(app, datastore)
    log: list[str] = []

    @user_authenticated.connect_via(app)
    def on_authenticated(sender: flask.Flask, user: User, authn_via: list[str], **_: t.Any) -> None:
        log.append(f"authenticated {user.email} via {authn_via}")

    @user_registered.connect_via(app)
    def on_registered(sender: flask.Flask, user: User, **_: t.Any) -> None:
        log.append(f"registered {user.email}")

    @app.get("/")
    @auth_required()
    def home() -> str:
        return flask.render_template_string("Hello {{ current_user.email }}")

    @app.get("/admin")
    @roles_required("admin")
    def admin() -> str:
        return f"admin {current_user.email}"

    with app.app_context():
        db.create_all()
        admins = datastore.find_or_create_role("admin")
        datastore.create_user(
            email="ada@example.com", password=hash_password("password1"), roles=[admins]
        )
        datastore.create_user(email="bob@example.com", password=hash_password("password2"))
        db.session.commit()
    return app, log


def test_sign_in_with_the_form_then_roles_and_sign_out(make_client: t.Callable[..., t.Any]) -> None:
    app, log = create_app()
    client = make_client(app)
    anonymous = client.get("/")
    assert (anonymous.status_code, anonymous.headers["Location"]) == (302, "/login?next=/")
    page = client.get("/login")
    assert (page.status_code, "<title>Login</title>" in page.text) == (200, True)
    assert 'name="email"' in page.text
    signed_in = client.post(
        "/login?next=/", data={"email": "bob@example.com", "password": "password2"}
    )
    assert (signed_in.status_code, signed_in.headers["Location"]) == (302, "/")
    assert client.get("/").text == "Hello bob@example.com"
    assert client.get("/admin").status_code == 403
    signed_out = client.post("/logout")
    assert (signed_out.status_code, signed_out.headers["Location"]) == (302, "/")
    assert client.get("/").status_code == 302
    assert log == ["authenticated bob@example.com via ['password']"]


def test_json_sign_in_errors_and_register(make_client: t.Callable[..., t.Any]) -> None:
    app, log = create_app()
    client = make_client(app)
    json_api = {"Accept": "application/json"}
    assert client.get("/", headers=json_api).status_code == 401
    wrong = client.post("/login", json={"email": "ada@example.com", "password": "nope"})
    assert (wrong.status_code, wrong.json["response"]["errors"]) == (
        400,
        ["Invalid password"],
    )
    right = client.post("/login", json={"email": "ada@example.com", "password": "password1"})
    assert (right.status_code, right.json["meta"], right.json["response"]["user"]) == (
        200,
        {"code": 200},
        {},
    )
    assert client.get("/admin").text == "admin ada@example.com"
    again = client.post(
        "/register", json={"email": "cy@example.com", "password": "a-long-password-9"}
    )
    assert again.json["response"]["errors"] == [
        "You can only access this endpoint when not logged in."
    ]
    client.post("/logout", json={})
    new = {"email": "cy@site.test", "password": "a-long-password-9"}
    refused = client.post("/register", json=new)
    assert (refused.status_code, refused.json["response"]["field_errors"]) == (
        400,
        {"password_confirm": ["Password not provided"]},
    )
    registered = client.post("/register", json={**new, "password_confirm": new["password"]})
    assert (registered.status_code, registered.json["meta"]) == (200, {"code": 200})
    assert client.get("/").text == "Hello cy@site.test"
    with app.app_context():
        assert db.session.scalars(db.select(User.email).order_by(User.id)).all() == [
            "ada@example.com",
            "bob@example.com",
            "cy@site.test",
        ]
    assert log == [
        "authenticated ada@example.com via ['password']",
        "registered cy@site.test",
        "authenticated cy@site.test via ['register']",
    ]
