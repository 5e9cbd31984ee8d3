"""Flask-DebugToolbar 0.16.0: the toolbar injected into HTML pages in debug mode."""

from __future__ import annotations

import re
import typing as t

import flask
import pytest
from flask_debugtoolbar import DebugToolbarExtension

PAGE = "<html><head><title>{{ title }}</title></head><body><h1>{{ title }}</h1></body></html>"


def create_app(**config: t.Any) -> flask.Flask:
    """A debug-mode app with the toolbar and a few kinds of views."""
    app = flask.Flask(__name__)
    app.config.update(DEBUG=True, SECRET_KEY="ecosystem toolbar", **config)
    DebugToolbarExtension(app)

    @app.get("/")
    def index() -> str:
        flask.g.answer = "forty-two"
        flask.session["cart"] = "three-apples"
        app.logger.warning("a logged warning")
        return flask.render_template_string(PAGE, title="Home")

    @app.get("/twice")
    def twice() -> str:
        inner = flask.render_template_string("<p>{{ n }}</p>", n=1)
        return flask.render_template_string("<body>{{ inner|safe }}</body>", inner=inner)

    @app.get("/go")
    def go() -> flask.Response:
        return flask.redirect("/")

    @app.get("/api")
    def api() -> dict[str, int]:
        return {"a": 1}

    @app.get("/fragment")
    def fragment() -> str:
        return "<p>no body tag</p>"

    return app


def subtitles(html: str) -> list[str]:
    """The panels' subtitles in the toolbar, the timer's figures left out."""
    return [re.sub(r"[\d.]+ms", "N", s) for s in re.findall(r"<small>(.*?)</small>", html)]


def test_an_html_page_gets_the_toolbar_before_its_body_ends(
    make_client: t.Callable[..., t.Any],
) -> None:
    app = create_app()
    client = make_client(app)
    response = client.get("/")
    html = response.text
    assert response.status_code == 200
    assert html.startswith("<html><head><title>Home</title></head><body><h1>Home</h1>")
    assert html.endswith("</body></html>")
    assert html.index('<div id="flDebug"') < html.rindex("</body>")
    assert response.headers["Content-Length"] == str(len(response.data))
    assert subtitles(html) == [
        "Flask 3.1.3",
        "CPU: N (N)",
        "1 rendered",
        "Unavailable",
        "1 message",
        "6 routes",
        "in-active",
    ]
    # the panels saw g, the session and the log of this request
    assert "forty-two" in html
    assert "three-apples" in html
    assert "a logged warning" in html


def test_each_rendered_template_is_counted(make_client: t.Callable[..., t.Any]) -> None:
    client = make_client(create_app())
    assert subtitles(client.get("/twice").text)[2] == "2 rendered"
    assert subtitles(client.get("/").text)[2] == "1 rendered"


def test_redirects_are_intercepted(make_client: t.Callable[..., t.Any]) -> None:
    client = make_client(create_app())
    response = client.get("/go")
    assert (response.status_code, "Location" in response.headers) == (200, False)
    assert '<a href="/">/</a>' in response.text
    assert '<div id="flDebug"' in response.text
    passed = make_client(create_app(DEBUG_TB_INTERCEPT_REDIRECTS=False)).get("/go")
    assert (passed.status_code, passed.headers["Location"]) == (302, "/")


def test_other_responses_are_left_alone(make_client: t.Callable[..., t.Any]) -> None:
    app = create_app()
    client = make_client(app)
    api = client.get("/api")
    assert (api.status_code, api.json, api.content_type) == (200, {"a": 1}, "application/json")
    with pytest.warns(UserWarning, match=r"^Could not insert debug toolbar\. </body> tag not"):
        with_warning = client.get("/fragment")
    assert with_warning.text == "<p>no body tag</p>"
    with client.get("/_debug_toolbar/static/css/toolbar.css") as css:
        assert (css.status_code, css.content_type) == (200, "text/css; charset=utf-8")
        assert b"#flDebug" in css.data


def test_off_when_not_debugging_or_for_other_hosts(make_client: t.Callable[..., t.Any]) -> None:
    quiet = make_client(create_app(DEBUG_TB_ENABLED=False)).get("/")
    assert 'id="flDebug"' not in quiet.text
    elsewhere = make_client(create_app(DEBUG_TB_HOSTS=["10.0.0.1"])).get("/")
    assert 'id="flDebug"' not in elsewhere.text
    here = make_client(create_app(DEBUG_TB_HOSTS=["127.0.0.1"])).get("/")
    assert 'id="flDebug"' in here.text
