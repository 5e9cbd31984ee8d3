import pytest
from flask import session
from flask_login import current_user

from taskboard import create_app
from taskboard.extensions import db
from taskboard.models import User


def test_register(client, app):
    assert client.get("/auth/register").status_code == 200
    response = client.post(
        "/auth/register",
        data={"username": "carol", "password": "carol-password", "confirm": "carol-password"},
    )
    assert response.headers["Location"] == "/auth/login"
    with app.app_context():
        carol = db.session.scalar(db.select(User).filter_by(username="carol"))
        assert carol.check_password("carol-password")
    page = client.get("/auth/login").text
    assert '<div class="flash success">Registration successful. Please sign in.</div>' in page


@pytest.mark.parametrize(
    ("username", "password", "confirm", "message"),
    [
        ("", "long-enough", "long-enough", "This field is required."),
        ("carol", "short", "short", "Field must be at least 8 characters long."),
        ("carol", "long-enough", "different", "Passwords must match."),
        ("alice", "long-enough", "long-enough", "User alice is already registered."),
    ],
)
def test_register_validate_input(client, app, username, password, confirm, message):
    response = client.post(
        "/auth/register", data={"username": username, "password": password, "confirm": confirm}
    )
    assert response.status_code == 200
    assert f'<p class="error">{message}</p>' in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 2


def test_login(client, auth):
    assert client.get("/auth/login").status_code == 200
    response = auth.login()
    assert response.headers["Location"] == "/"
    with client:
        page = client.get("/").text
        assert session["_user_id"] == "1"
        assert current_user.username == "alice"
    assert "Signed in as <b>alice</b>" in page
    assert '<div class="flash success">Welcome back, alice!</div>' in page


@pytest.mark.parametrize(("username", "password"), [("nobody", "alice-password"), ("alice", "x")])
def test_login_validate_input(auth, username, password):
    response = auth.login(username, password)
    assert response.status_code == 200
    assert '<div class="flash error">Incorrect username or password.</div>' in response.text


def test_login_follows_next_on_this_site_only(client, auth):
    response = client.post(
        "/auth/login?next=/tasks/new", data={"username": "alice", "password": "alice-password"}
    )
    assert response.headers["Location"] == "/tasks/new"
    auth.logout()
    response = client.post(
        "/auth/login?next=https://evil.example/",
        data={"username": "alice", "password": "alice-password"},
    )
    assert response.headers["Location"] == "/"


def test_logout(client, auth):
    auth.login()
    with client:
        response = auth.logout()
        assert response.headers["Location"] == "/auth/login"
        assert "_user_id" not in session
    assert client.get("/").status_code == 302


def test_remember_me(client, auth):
    auth.login(remember="y")
    assert client.get_cookie("remember_token").value.startswith("1|")
    client.delete_cookie("session")
    page = client.get("/")
    assert page.status_code == 200
    assert "Signed in as <b>alice</b>" in page.text


def test_signed_in_through_session_transaction(client):
    with client.session_transaction() as sess:
        sess["_user_id"] = "2"
        sess["_fresh"] = True
    page = client.get("/").text
    assert "Signed in as <b>bob</b>" in page
    assert "Fix the bike" in page


def test_forms_are_csrf_protected():
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    with app.app_context():
        db.create_all()
    client = app.test_client()
    data = {"username": "dave", "password": "dave-password", "confirm": "dave-password"}
    response = client.post("/auth/register", data=data)
    assert response.status_code == 400
    assert "The CSRF token is missing." in response.text
    page = client.get("/auth/register").text
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/auth/register", data={**data, "csrf_token": token})
    assert response.headers["Location"] == "/auth/login"
