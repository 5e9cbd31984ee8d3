"""Flask-Session 0.8.0: server-side sessions (cachelib FileSystemCache, the filesystem type)."""

from __future__ import annotations

import pathlib
import typing as t

import flask
import pytest
from cachelib.file import FileSystemCache
from flask_session import Session
from flask_session.cachelib import CacheLibSession, CacheLibSessionInterface


def create_app(
    store: pathlib.Path, **config: t.Any
) -> tuple[flask.Flask, FileSystemCache, list[str]]:
    """An app whose session lives in a file cache; also the cache and a log of what hooks saw."""
    app = flask.Flask(__name__)
    cache = FileSystemCache(str(store), threshold=100)
    app.config.update(
        TESTING=True,
        SECRET_KEY="ecosystem session",
        SESSION_TYPE="cachelib",
        SESSION_CACHELIB=cache,
        SESSION_SERIALIZATION_FORMAT="json",
        **config,
    )
    Session(app)
    seen: list[str] = []

    @app.before_request
    def before() -> None:
        if flask.request.endpoint in {"sign_in", "visit"}:  # reading the session marks it
            seen.append(
                f"{type(flask.session._get_current_object()).__name__} {dict(flask.session)}"
            )

    @app.post("/sign-in/<name>")
    def sign_in(name: str) -> str:
        flask.session["name"] = name
        flask.session["visits"] = 0
        return "signed in"

    @app.get("/visit")
    def visit() -> str:
        flask.session["visits"] = flask.session.get("visits", 0) + 1
        return f"{flask.session.get('name')} visit {flask.session['visits']}"

    @app.get("/peek")
    def peek() -> str:
        return f"name={flask.session.get('name')}"

    @app.get("/hello")
    def hello() -> str:
        return "hello"

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        return f"no page for {flask.session.get('name')}", 404

    @app.post("/regenerate")
    def regenerate() -> str:
        flask.current_app.session_interface.regenerate(flask.session)
        return "regenerated"

    @app.post("/sign-out")
    def sign_out() -> str:
        flask.session.clear()
        return "signed out"

    return app, cache, seen


def test_values_live_in_the_store_and_the_cookie_holds_the_id(
    make_client: t.Callable[..., t.Any], tmp_path: pathlib.Path
) -> None:
    app, cache, seen = create_app(tmp_path)
    assert type(app.session_interface) is CacheLibSessionInterface
    client = make_client(app)
    response = client.post("/sign-in/ada")
    assert response.status_code == 200
    assert response.headers["Vary"] == "Cookie"
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert len(cookie.value) == 43  # secrets.token_urlsafe(32)
    assert "ada" not in response.headers["Set-Cookie"]
    assert response.headers["Set-Cookie"].endswith("; HttpOnly; Path=/")
    assert [client.get("/visit").text for _ in range(2)] == ["ada visit 1", "ada visit 2"]
    assert cache.get(f"session:{cookie.value}") == {"_permanent": True, "name": "ada", "visits": 2}
    assert client.get_cookie("session").value == cookie.value
    assert seen == [
        "CacheLibSession {'_permanent': True}",
        "CacheLibSession {'_permanent': True, 'name': 'ada', 'visits': 0}",
        "CacheLibSession {'_permanent': True, 'name': 'ada', 'visits': 1}",
    ]


def test_a_session_not_touched_sets_no_cookie_and_no_vary(
    make_client: t.Callable[..., t.Any], tmp_path: pathlib.Path
) -> None:
    app, _, _ = create_app(tmp_path)
    client = make_client(app)
    response = client.get("/hello")
    assert (response.text, "Set-Cookie" in response.headers, "Vary" in response.headers) == (
        "hello",
        False,
        False,
    )
    # read only: Vary, and nothing stored for an empty session
    response = client.get("/peek")
    assert (response.text, response.headers["Vary"], "Set-Cookie" in response.headers) == (
        "name=None",
        "Cookie",
        False,
    )
    assert client.get_cookie("session") is None


def test_every_request_opens_the_session_and_refreshes_its_cookie(
    make_client: t.Callable[..., t.Any], tmp_path: pathlib.Path
) -> None:
    app, _, _ = create_app(tmp_path)
    client = make_client(app)
    client.post("/sign-in/ada")
    sid = client.get_cookie("session").value
    # permanent, SESSION_REFRESH_EACH_REQUEST: stored and sent again, unchanged or not
    hello = client.get("/hello")
    assert hello.headers["Set-Cookie"].startswith(f"session={sid}; Expires=")
    assert hello.headers["Vary"] == "Cookie"
    # the session is open before the URL is matched: a 404 handler reads it
    missing = client.get("/nowhere")
    assert (missing.status_code, missing.text, missing.headers["Vary"]) == (
        404,
        "no page for ada",
        "Cookie",
    )
    refused = client.delete("/hello")
    assert (refused.status_code, refused.headers["Set-Cookie"].startswith(f"session={sid};")) == (
        405,
        True,
    )
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    assert "Set-Cookie" not in client.get("/hello").headers
    assert client.get("/visit").text == "ada visit 1"


def test_an_unknown_or_forged_id_opens_a_new_empty_session(
    make_client: t.Callable[..., t.Any], tmp_path: pathlib.Path
) -> None:
    app, _, _ = create_app(tmp_path)
    client = make_client(app)
    client.set_cookie("session", "not-a-stored-id")
    assert client.get("/peek").text == "name=None"
    assert client.get("/visit").text == "None visit 1"
    assert client.get_cookie("session").value != "not-a-stored-id"


def test_clear_deletes_the_stored_session_and_the_cookie(
    make_client: t.Callable[..., t.Any], tmp_path: pathlib.Path
) -> None:
    app, cache, _ = create_app(tmp_path)
    client = make_client(app)
    client.post("/sign-in/bob")
    sid = client.get_cookie("session").value
    response = client.post("/sign-out")
    assert response.headers["Set-Cookie"] == (
        "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"
    )
    assert client.get_cookie("session") is None
    # clear() keeps _permanent, which alone counts as empty: the store forgets it
    assert cache.get(f"session:{sid}") is None
    assert client.get("/peek").text == "name=None"


def test_regenerate_moves_the_values_to_a_new_id(
    make_client: t.Callable[..., t.Any], tmp_path: pathlib.Path
) -> None:
    app, cache, _ = create_app(tmp_path)
    client = make_client(app)
    client.post("/sign-in/cy")
    old = client.get_cookie("session").value
    assert client.post("/regenerate").text == "regenerated"
    new = client.get_cookie("session").value
    assert new != old
    assert cache.get(f"session:{old}") is None
    assert cache.get(f"session:{new}") == {"_permanent": True, "name": "cy", "visits": 0}
    assert client.get("/visit").text == "cy visit 1"


def test_a_non_permanent_session_cookie_has_no_expiry(
    make_client: t.Callable[..., t.Any], tmp_path: pathlib.Path
) -> None:
    app, cache, _ = create_app(tmp_path, SESSION_PERMANENT=False)
    client = make_client(app)
    response = client.post("/sign-in/dee")
    sid = client.get_cookie("session").value
    assert response.headers["Set-Cookie"] == f"session={sid}; HttpOnly; Path=/"
    assert cache.get(f"session:{sid}") == {"name": "dee", "visits": 0}


def test_session_transaction_goes_through_the_interface(
    make_client: t.Callable[..., t.Any], tmp_path: pathlib.Path
) -> None:
    app, cache, _ = create_app(tmp_path)
    client = make_client(app)
    with client.session_transaction() as session:
        assert type(session) is CacheLibSession
        session["name"] = "eve"
    sid = client.get_cookie("session").value
    assert cache.get(f"session:{sid}") == {"_permanent": True, "name": "eve"}
    assert client.get("/visit").text == "eve visit 1"
    with client.session_transaction() as session:
        assert dict(session) == {"_permanent": True, "name": "eve", "visits": 1}


def test_the_filesystem_session_type(
    make_client: t.Callable[..., t.Any], tmp_path: pathlib.Path
) -> None:
    app = flask.Flask(__name__)
    app.config.update(
        TESTING=True, SESSION_TYPE="filesystem", SESSION_FILE_DIR=str(tmp_path / "sessions")
    )
    with pytest.warns(DeprecationWarning) as warned:
        Session(app)
    assert [str(w.message).partition(" is deprecated")[0] for w in warned] == [
        "'SESSION_FILE_DIR'",
        "FileSystemSessionInterface",
    ]

    @app.get("/count")
    def count() -> str:
        flask.session["n"] = flask.session.get("n", 0) + 1
        return str(flask.session["n"])

    client = make_client(app)
    assert [client.get("/count").text for _ in range(3)] == ["1", "2", "3"]
    sid = client.get_cookie("session").value
    stored = FileSystemCache(str(tmp_path / "sessions")).get(f"session:{sid}")
    assert stored == {"_permanent": True, "n": 3}
    assert make_client(app).get("/count").text == "1"
    assert client.get("/count").text == "4"
