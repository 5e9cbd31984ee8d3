"""Flask-Principal 0.4.0: identities in the session, its signals, permissions and needs."""

from __future__ import annotations

import typing as t

import flask
from flask_principal import (
    AnonymousIdentity,
    Identity,
    Permission,
    PermissionDenied,
    Principal,
    RoleNeed,
    UserNeed,
    identity_changed,
    identity_loaded,
)

ROLES = {"ada": ["admin"], "bob": []}
admin = Permission(RoleNeed("admin"))


def create_app() -> tuple[flask.Flask, list[str]]:
    """An app signing users in through Flask-Principal; also the log of loaded identities."""
    app = flask.Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY="ecosystem principal")
    Principal(app)
    loaded: list[str] = []

    @identity_loaded.connect_via(app)
    def on_identity_loaded(sender: flask.Flask, identity: Identity) -> None:
        loaded.append(f"{identity.id} at {flask.request.path}")
        if identity.id is not None:
            identity.provides.add(UserNeed(identity.id))
            for role in ROLES.get(identity.id, []):
                identity.provides.add(RoleNeed(role))

    @app.post("/sign-in/<name>")
    def sign_in(name: str) -> str:
        identity_changed.send(flask.current_app._get_current_object(), identity=Identity(name))
        return f"signed in {flask.g.identity.id}"

    @app.post("/sign-out")
    def sign_out() -> str:
        identity_changed.send(flask.current_app._get_current_object(), identity=AnonymousIdentity())
        return "signed out"

    @app.get("/me")
    def me() -> str:
        identity = flask.g.identity
        needs = sorted(f"{need.method}:{need.value}" for need in identity.provides)
        return f"{type(identity).__name__} {identity.id} {needs}"

    @app.get("/admin")
    @admin.require(http_exception=403)
    def admin_page() -> str:
        return "admin area"

    @app.get("/mine/<name>")
    def mine(name: str) -> str:
        with Permission(UserNeed(name)).require():
            return f"{name}'s page"

    @app.errorhandler(PermissionDenied)
    def denied(error: PermissionDenied) -> tuple[str, int]:
        return f"denied {sorted(n.value for n in error.args[0].needs)}", 401

    return app, loaded


def test_the_identity_is_kept_in_the_session(make_client: t.Callable[..., t.Any]) -> None:
    app, loaded = create_app()
    client = make_client(app)
    assert client.get("/me").text == "AnonymousIdentity None []"
    assert client.post("/sign-in/ada").text == "signed in ada"
    with client.session_transaction() as session:
        assert (session["identity.id"], session["identity.auth_type"]) == ("ada", None)
    assert client.get("/me").text == "Identity ada ['id:ada', 'role:admin']"
    assert client.post("/sign-out").text == "signed out"
    # the session saver stores the anonymous identity's id (None), loaded back as an Identity
    assert client.get("/me").text == "Identity None []"
    assert loaded == [
        "ada at /sign-in/ada",
        "ada at /me",
        "ada at /sign-out",
        "None at /sign-out",
        "None at /me",
    ]


def test_permissions(make_client: t.Callable[..., t.Any]) -> None:
    app, _ = create_app()
    client = make_client(app)
    assert client.get("/admin").status_code == 403
    client.post("/sign-in/bob")
    assert client.get("/admin").status_code == 403
    assert client.get("/mine/bob").text == "bob's page"
    assert (client.get("/mine/ada").status_code, client.get("/mine/ada").text) == (
        401,
        "denied ['ada']",
    )
    client.post("/sign-in/ada")
    assert (client.get("/admin").status_code, client.get("/admin").text) == (200, "admin area")


def test_identity_changed_outside_a_request_needs_a_context() -> None:
    app, loaded = create_app()
    with app.test_request_context("/tool"):
        identity_changed.send(app, identity=Identity("bob"))
        assert (flask.g.identity.id, flask.session["identity.id"]) == ("bob", "bob")
        assert admin.can() is False
    assert loaded == ["bob at /tool"]
