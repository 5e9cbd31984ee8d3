"""The test client's own features: drivers, session_transaction, preserved contexts."""

from __future__ import annotations

import importlib.metadata

import pytest
import werkzeug.test

from tocsin import Tocsin, g, render_template_string_async, request, session
from tocsin.signals import template_rendered
from tocsin.testing import TestClient


def test_unknown_driver_is_refused(app: Tocsin) -> None:
    with pytest.raises(ValueError, match="driver must be one of"):
        app.test_client(driver="cgi")


def test_session_transaction_sets_and_reads(app: Tocsin, client: TestClient) -> None:
    @app.route("/")
    def index() -> str:
        session["seen"] = session.get("seen", 0) + 1
        return f"{session.get('user')}:{session['seen']}"

    with client.session_transaction() as sess:
        sess["user"] = "ada"
    assert client.get("/").data == b"ada:1"
    with client.session_transaction() as sess:
        assert dict(sess) == {"user": "ada", "seen": 1}


def test_session_transaction_needs_cookies(app: Tocsin) -> None:
    client = app.test_client(use_cookies=False)
    with pytest.raises(TypeError, match="Cookies are disabled"), client.session_transaction():
        pass


def test_with_client_keeps_the_last_context(app: Tocsin, client: TestClient) -> None:
    @app.route("/")
    def index() -> str:
        g.value = request.args["v"]
        return "ok"

    with client:
        client.get("/?v=1")
        assert (request.args["v"], g.value) == ("1", "1")
        client.get("/?v=2")
        assert (request.args["v"], g.value) == ("2", "2")
    from tocsin import has_request_context

    assert not has_request_context()


def test_render_template_async_awaits_async_processors_and_receivers(
    app: Tocsin, client: TestClient
) -> None:
    seen: list[str] = []

    @app.context_processor
    async def user() -> dict[str, str]:
        return {"user": "ada"}

    async def on_rendered(sender: Tocsin, /, template: object, context: dict[str, object]) -> None:
        seen.append(str(context["user"]))

    @app.route("/")
    async def index() -> str:
        return await render_template_string_async("hi {{ user }}")

    template_rendered.connect(on_rendered, weak=False)
    try:
        assert client.get("/").data == b"hi ada"
    finally:
        template_rendered.disconnect(on_rendered)
    assert seen == ["ada"]


def test_sync_render_in_async_view_explains_what_to_do(app: Tocsin, client: TestClient) -> None:
    from tocsin import render_template_string

    @app.context_processor
    async def user() -> dict[str, str]:
        return {"user": "ada"}

    @app.route("/")
    async def index() -> str:
        return render_template_string("hi {{ user }}")

    with pytest.raises(RuntimeError, match=r"await render_template_async"):
        client.get("/")


def test_open_with_a_builder_or_request_adds_the_client_environ(
    app: Tocsin, client: TestClient
) -> None:
    app.add_url_rule("/who", "who", lambda: f"{request.remote_addr} {request.user_agent}")
    builder = werkzeug.test.EnvironBuilder(path="/who")
    agent = f"Werkzeug/{importlib.metadata.version('werkzeug')}".encode()  # as Flask's client
    assert client.open(builder).data == b"127.0.0.1 " + agent
    assert builder.environ_base is None  # the caller's builder is not changed
    bare = werkzeug.test.EnvironBuilder(path="/who").get_request()
    assert client.open(bare).data == b"127.0.0.1 " + agent
    assert "REMOTE_ADDR" not in bare.environ
