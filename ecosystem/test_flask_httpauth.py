"""Flask-HTTPAuth 4.8.1: basic, token and digest auth, roles, optional auth, error handlers."""

from __future__ import annotations

import base64
import hashlib
import typing as t

import flask
from flask_httpauth import HTTPBasicAuth, HTTPDigestAuth, HTTPTokenAuth, MultiAuth
from werkzeug.http import parse_dict_header
from werkzeug.security import check_password_hash, generate_password_hash

PASSWORDS = {"ada": "lovelace", "bob": "builder"}
HASHES = {
    name: generate_password_hash(pw, method="pbkdf2:sha256:1000") for name, pw in PASSWORDS.items()
}
ROLES = {"ada": ["admin", "staff"], "bob": "staff"}
TOKENS = {"secret-token": "bob"}


def basic(user: str, password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def create_app() -> tuple[flask.Flask, list[str]]:
    """An app with basic, token and digest auth; also the log of verify calls."""
    app = flask.Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY="ecosystem httpauth")
    auth = HTTPBasicAuth(realm="Staff")
    tokens = HTTPTokenAuth(scheme="Bearer")
    digest = HTTPDigestAuth(realm="Digest area")
    either = MultiAuth(auth, tokens)
    calls: list[str] = []

    @auth.verify_password
    def verify_password(username: str, password: str) -> str | None:
        calls.append(f"verify {username!r} in {flask.request.endpoint}")
        if username in HASHES and check_password_hash(HASHES[username], password):
            return username
        return None

    @auth.get_user_roles
    def get_user_roles(user: str) -> t.Any:
        return ROLES.get(user)

    @tokens.verify_token
    def verify_token(token: str) -> str | None:
        return TOKENS.get(token)

    @digest.get_password
    def get_password(username: str) -> str | None:
        return PASSWORDS.get(username)

    @app.get("/private")
    @auth.login_required
    def private() -> str:
        return f"hello {auth.current_user()} ({flask.g.flask_httpauth_user})"

    @app.get("/admin")
    @auth.login_required(role="admin")
    def admin() -> str:
        return f"admin {auth.current_user()}"

    @app.get("/maybe")
    @auth.login_required(optional=True)
    def maybe() -> str:
        return f"maybe {auth.current_user()}"

    @app.get("/either")
    @either.login_required
    def either_view() -> str:
        return f"either {either.current_user()}"

    @app.get("/digest")
    @digest.login_required
    def digest_view() -> str:
        return f"digest {digest.username()}"

    @tokens.error_handler
    def token_error(status: int) -> tuple[dict[str, t.Any], int]:
        return {"error": "bad token", "status": status}, status

    @app.get("/token")
    @tokens.login_required
    def token_view() -> str:
        return f"token {tokens.current_user()}"

    return app, calls


def test_basic_auth_401_then_200(make_client: t.Callable[..., t.Any]) -> None:
    app, calls = create_app()
    client = make_client(app)
    response = client.get("/private")
    assert (response.status_code, response.text) == (401, "Unauthorized Access")
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Staff"'
    wrong = client.get("/private", headers=basic("ada", "babbage"))
    assert (wrong.status_code, wrong.headers["WWW-Authenticate"]) == (401, 'Basic realm="Staff"')
    ok = client.get("/private", headers=basic("ada", "lovelace"))
    assert (ok.status_code, ok.text) == (200, "hello ada (ada)")
    assert "WWW-Authenticate" not in ok.headers
    assert calls == ["verify '' in private", "verify 'ada' in private", "verify 'ada' in private"]


def test_roles_give_403(make_client: t.Callable[..., t.Any]) -> None:
    app, _ = create_app()
    client = make_client(app)
    assert client.get("/admin").status_code == 401
    response = client.get("/admin", headers=basic("bob", "builder"))
    assert (response.status_code, response.text) == (403, "Unauthorized Access")
    assert response.get_data(as_text=True) == "Unauthorized Access"
    ok = client.get("/admin", headers=basic("ada", "lovelace"))
    assert (ok.status_code, ok.text) == (200, "admin ada")


def test_optional_auth(make_client: t.Callable[..., t.Any]) -> None:
    app, _ = create_app()
    client = make_client(app)
    assert client.get("/maybe").text == "maybe None"
    assert client.get("/maybe", headers=basic("bob", "builder")).text == "maybe bob"
    assert client.get("/maybe", headers=basic("bob", "nope")).text == "maybe None"


def test_token_auth_and_its_error_handler(make_client: t.Callable[..., t.Any]) -> None:
    app, _ = create_app()
    client = make_client(app)
    response = client.get("/token", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json == {"error": "bad token", "status": 401}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="Authentication Required"'
    ok = client.get("/token", headers={"Authorization": "Bearer secret-token"})
    assert (ok.status_code, ok.text) == (200, "token bob")


def test_multi_auth(make_client: t.Callable[..., t.Any]) -> None:
    app, _ = create_app()
    client = make_client(app)
    assert client.get("/either").status_code == 401
    assert client.get("/either", headers=basic("ada", "lovelace")).text == "either ada"
    bearer = {"Authorization": "Bearer secret-token"}
    assert client.get("/either", headers=bearer).text == "either bob"


def test_digest_auth_keeps_its_nonce_in_the_session(make_client: t.Callable[..., t.Any]) -> None:
    app, _ = create_app()
    client = make_client(app)
    challenge = client.get("/digest")
    assert challenge.status_code == 401
    scheme, _, params = challenge.headers["WWW-Authenticate"].partition(" ")
    values = parse_dict_header(params)
    assert (scheme, values["realm"], values["qop"], values["algorithm"]) == (
        "Digest",
        "Digest area",
        "auth",
        "MD5",
    )
    with client.session_transaction() as session:
        assert (session["auth_nonce"], session["auth_opaque"]) == (
            values["nonce"],
            values["opaque"],
        )

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    ha1 = md5("ada:Digest area:lovelace")
    ha2 = md5("GET:/digest")
    answer = md5(f"{ha1}:{values['nonce']}:00000001:c0ffee:auth:{ha2}")
    header = (
        f'Digest username="ada", realm="Digest area", nonce="{values["nonce"]}", uri="/digest",'
        f' qop=auth, nc=00000001, cnonce="c0ffee", response="{answer}",'
        f' opaque="{values["opaque"]}"'
    )
    ok = client.get("/digest", headers={"Authorization": header})
    assert (ok.status_code, ok.text) == (200, "digest ada")
    wrong = header.replace(answer, md5("wrong"))
    assert client.get("/digest", headers={"Authorization": wrong}).status_code == 401
