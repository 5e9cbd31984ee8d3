"""Flash messages: stored in the session, read once, filtered by category, signalled."""

from __future__ import annotations

import pathlib
import typing as t

import pytest
from markupsafe import Markup

from tocsin import (
    Tocsin,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from tocsin.signals import message_flashed, record
from tocsin.testing import TestClient

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


@pytest.fixture
def app() -> Tocsin:
    """An app (templates in ``tests/fixtures``) with views that flash and read messages."""
    app = Tocsin("tocsin_test_flash", root_path=str(FIXTURES))
    app.config.update(TESTING=True, SECRET_KEY="test key")

    @app.route("/flash")
    def flash_view() -> str:
        for item in request.args.getlist("m"):
            category, _, message = item.rpartition(":")
            if category:
                flash(message, category)
            else:
                flash(message)
        return "flashed"

    @app.route("/messages")
    def messages() -> str:
        return repr(get_flashed_messages())

    @app.route("/with-categories")
    def with_categories() -> str:
        return repr(get_flashed_messages(with_categories=True))

    @app.route("/filtered")
    def filtered() -> str:
        wanted = request.args.getlist("c")
        with_categories = "pairs" in request.args
        return repr(get_flashed_messages(with_categories, category_filter=wanted))

    @app.route("/template")
    def template() -> str:
        return render_template("flashes.html")

    return app


def test_flash_then_read_once(client: TestClient) -> None:
    assert client.get("/flash?m=hello").data == b"flashed"
    assert client.get("/messages").data == b"['hello']"
    assert client.get("/messages").data == b"[]"


def test_messages_keep_their_order(client: TestClient) -> None:
    client.get("/flash?m=one&m=error:two&m=three")
    assert client.get("/with-categories").data == (
        b"[('message', 'one'), ('error', 'two'), ('message', 'three')]"
    )


def test_messages_accumulate_until_read(client: TestClient) -> None:
    client.get("/flash?m=first")
    client.get("/flash?m=second")
    assert client.get("/messages").data == b"['first', 'second']"


def test_default_category_is_message(client: TestClient) -> None:
    client.get("/flash?m=plain")
    assert client.get("/with-categories").data == b"[('message', 'plain')]"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("c=error", b"['e1', 'e2']"),
        ("c=error&c=info", b"['e1', 'i1', 'e2']"),
        ("c=warning", b"[]"),
        ("", b"['m1', 'e1', 'i1', 'e2']"),
        ("c=info&pairs=1", b"[('info', 'i1')]"),
    ],
)
def test_category_filter(client: TestClient, query: str, expected: bytes) -> None:
    client.get("/flash?m=m1&m=error:e1&m=info:i1&m=error:e2")
    assert client.get(f"/filtered?{query}").data == expected
    # Filtering still consumes every message.
    assert client.get("/messages").data == b"[]"


def test_category_filter_given_as_a_string(app: Tocsin, client: TestClient) -> None:
    """As in Flask, the filter is tested with ``in``: a string keeps what it contains."""
    app.add_url_rule(
        "/errors", "errors", lambda: repr(get_flashed_messages(category_filter="error"))
    )
    client.get("/flash?m=error:e1&m=info:i1&m=err:e2")
    assert client.get("/errors").data == b"['e1', 'e2']"


def test_the_read_messages_are_not_kept_in_g(app: Tocsin, client: TestClient) -> None:
    @app.route("/read")
    def read() -> str:
        first = get_flashed_messages()
        names = sorted(g)
        g.__dict__.clear()  # user code that empties g does not lose the messages
        return repr((first, names, get_flashed_messages()))

    client.get("/flash?m=hello")
    assert client.get("/read").data == b"(['hello'], [], ['hello'])"


def test_reading_twice_in_one_request(app: Tocsin, client: TestClient) -> None:
    @app.route("/twice")
    def twice() -> str:
        first = get_flashed_messages(with_categories=True)
        second = get_flashed_messages(category_filter=["error"])
        return repr((first, second))

    client.get("/flash?m=error:bad&m=ok")
    assert client.get("/twice").data == b"([('error', 'bad'), ('message', 'ok')], ['bad'])"


def test_flash_and_read_in_same_request(app: Tocsin, client: TestClient) -> None:
    @app.route("/same")
    def same() -> str:
        flash("now")
        return repr(get_flashed_messages())

    assert client.get("/same").data == b"['now']"
    assert client.get("/messages").data == b"[]"


def test_messages_survive_a_redirect(app: Tocsin, client: TestClient) -> None:
    @app.post("/login")
    def login() -> t.Any:
        flash("Welcome back", "success")
        return redirect(url_for("template"))

    response = client.post("/login", follow_redirects=True)
    assert [r.status_code for r in response.history] == [302]
    assert response.request.path == "/template"
    assert response.data == b"[success:Welcome back]"
    assert client.get("/template").data == b""


def test_messages_in_template_are_escaped_unless_markup(app: Tocsin, client: TestClient) -> None:
    @app.route("/flash-html")
    def flash_html() -> str:
        flash("<b>plain</b>")
        flash(Markup("<b>safe</b>"), "info")
        return ""

    client.get("/flash-html")
    assert client.get("/template").data == (b"[message:&lt;b&gt;plain&lt;/b&gt;][info:<b>safe</b>]")


def test_reading_updates_the_cookie(client: TestClient) -> None:
    first = client.get("/flash?m=x")
    assert first.headers["Set-Cookie"].startswith("session=")
    read = client.get("/messages")
    assert read.headers.getlist("Set-Cookie") == [
        "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/"
    ]
    assert read.headers["Vary"] == "Cookie"


def test_flashes_coexist_with_other_session_data(app: Tocsin, client: TestClient) -> None:
    @app.route("/login")
    def login() -> str:
        session["user"] = "ada"
        flash("hi")
        return ""

    @app.route("/user")
    def user() -> str:
        return repr((get_flashed_messages(), session.get("user")))

    client.get("/login")
    assert client.get("/user").data == b"(['hi'], 'ada')"
    assert client.get("/user").data == b"([], 'ada')"


def test_message_flashed_signal(app: Tocsin, client: TestClient) -> None:
    with record(message_flashed) as sent:
        client.get("/flash?m=one&m=error:two")
    assert sent == [
        (app, {"message": "one", "category": "message"}),
        (app, {"message": "two", "category": "error"}),
    ]


def test_message_flashed_async_receiver(app: Tocsin, client: TestClient) -> None:
    seen: list[tuple[str, str]] = []

    async def receiver(sender: Tocsin, message: str, category: str) -> None:
        seen.append((message, category))

    message_flashed.connect(receiver)
    try:
        client.get("/flash?m=warning:careful")
    finally:
        message_flashed.disconnect(receiver)
    assert seen == [("careful", "warning")]


def test_signal_not_sent_to_other_apps(app: Tocsin, client: TestClient) -> None:
    other = Tocsin("other", root_path="/nonexistent")
    with record(message_flashed, sender=other) as sent:
        client.get("/flash?m=x")
    assert sent == []


def test_flash_without_secret_key_raises(app: Tocsin, client: TestClient) -> None:
    app.config["SECRET_KEY"] = None
    with pytest.raises(RuntimeError, match="no secret key was set"):
        client.get("/flash?m=x")
    assert client.get("/messages").data == b"[]"  # reading still works


def test_flash_needs_a_request_context(app: Tocsin) -> None:
    with pytest.raises(RuntimeError, match="needs a request context"):
        flash("x")
    with app.app_context(), pytest.raises(RuntimeError, match="needs a request context"):
        get_flashed_messages()
