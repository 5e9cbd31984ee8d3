import pytest
from werkzeug.security import generate_password_hash

from taskboard import create_app
from taskboard.extensions import db
from taskboard.models import Task, User

PASSWORDS = {"alice": "alice-password", "bob": "bob-password"}
# hashed once: hashing is slow on purpose
HASHES = {name: generate_password_hash(password) for name, password in PASSWORDS.items()}


@pytest.fixture
def app():
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "testing",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
        alice = User(username="alice", password_hash=HASHES["alice"])
        bob = User(username="bob", password_hash=HASHES["bob"])
        db.session.add_all(
            [
                alice,
                bob,
                Task(title="Buy milk", owner=alice),
                Task(title="Write report", owner=alice, done=True),
                Task(title="Fix the bike", owner=bob),
            ]
        )
        db.session.commit()
        yield app  # the tests and their requests share this app context


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username="alice", password=None, **data):
        password = PASSWORDS.get(username, "") if password is None else password
        return self._client.post(
            "/auth/login", data={"username": username, "password": password, **data}
        )

    def logout(self):
        return self._client.get("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)
