"""Flask-Caching 2.5.1 (SimpleCache): cached views, memoize, query-string keys, clear."""

from __future__ import annotations

import typing as t

import flask
from flask_caching import Cache


def create_app() -> tuple[flask.Flask, Cache, list[str]]:
    """An app with cached views; also its cache and the log of the calls that ran."""
    app = flask.Flask(__name__)
    app.config.update(TESTING=True, CACHE_TYPE="SimpleCache", CACHE_DEFAULT_TIMEOUT=300)
    cache = Cache(app)
    calls: list[str] = []

    @app.get("/news")
    @cache.cached(timeout=60)
    def news() -> str:
        calls.append(f"news {flask.request.full_path}")
        return f"news #{len(calls)}"

    @app.get("/search")
    @cache.cached(query_string=True)
    def search() -> str:
        calls.append(f"search {flask.request.query_string.decode()}")
        return f"results for {flask.request.args.get('q')} #{len(calls)}"

    @app.get("/page/<int:number>")
    @cache.cached()
    def page(number: int) -> flask.Response:
        calls.append(f"page {number}")
        response = flask.make_response(f"page {number}", 203)
        response.headers["X-Built"] = str(len(calls))
        response.set_cookie("seen", str(number))
        return response

    @app.get("/gone")
    @cache.cached()
    def gone() -> str:
        calls.append("gone")
        flask.abort(410)

    @cache.memoize(timeout=60)
    def square(n: int) -> int:
        calls.append(f"square {n}")
        return n * n

    @app.get("/square/<int:n>")
    def square_view(n: int) -> str:
        return f"{square(n)} {square(n)}"

    @app.post("/forget/<int:n>")
    def forget(n: int) -> str:
        cache.delete_memoized(square, n)
        return "forgotten"

    @app.post("/clear")
    def clear() -> str:
        cache.clear()
        return "cleared"

    return app, cache, calls


def test_a_cached_view_is_called_once(make_client: t.Callable[..., t.Any]) -> None:
    app, cache, calls = create_app()
    client = make_client(app)
    assert [client.get("/news").text for _ in range(3)] == ["news #1"] * 3
    # without query_string=True the key is the path alone
    assert client.get("/news?ref=mail").text == "news #1"
    assert calls == ["news /news?"]
    with app.app_context():
        assert cache.get("view//news") == "news #1"


def test_query_string_keys(make_client: t.Callable[..., t.Any]) -> None:
    app, _, calls = create_app()
    client = make_client(app)
    assert client.get("/search?q=owl&page=1").text == "results for owl #1"
    assert client.get("/search?page=1&q=owl").text == "results for owl #1"  # same arguments
    assert client.get("/search?q=cat").text == "results for cat #2"
    assert client.get("/search?q=owl&page=2").text == "results for owl #3"
    assert client.get("/search?q=cat").text == "results for cat #2"
    assert calls == ["search q=owl&page=1", "search q=cat", "search q=owl&page=2"]


def test_a_cached_response_object_keeps_status_headers_and_cookies(
    make_client: t.Callable[..., t.Any],
) -> None:
    app, _, calls = create_app()
    client = make_client(app)
    first, second = client.get("/page/4"), client.get("/page/4")
    for response in (first, second):
        assert (response.status_code, response.text) == (203, "page 4")
        assert response.headers["X-Built"] == "1"
        assert response.headers["Set-Cookie"] == "seen=4; Path=/"
    assert client.get("/page/5").headers["X-Built"] == "2"
    assert calls == ["page 4", "page 5"]


def test_an_aborted_view_is_cached_and_raised_again(make_client: t.Callable[..., t.Any]) -> None:
    app, _, calls = create_app()
    client = make_client(app)
    assert [client.get("/gone").status_code for _ in range(2)] == [410, 410]
    assert calls == ["gone"]


def test_memoize_and_delete_memoized(make_client: t.Callable[..., t.Any]) -> None:
    app, _, calls = create_app()
    client = make_client(app)
    assert client.get("/square/3").text == "9 9"
    assert client.get("/square/3").text == "9 9"
    assert client.get("/square/4").text == "16 16"
    assert calls == ["square 3", "square 4"]
    assert client.post("/forget/3").text == "forgotten"
    assert client.get("/square/3").text == "9 9"
    assert client.get("/square/4").text == "16 16"
    assert calls == ["square 3", "square 4", "square 3"]


def test_clear_empties_the_cache(make_client: t.Callable[..., t.Any]) -> None:
    app, cache, calls = create_app()
    client = make_client(app)
    client.get("/news")
    client.get("/square/2")
    assert client.post("/clear").text == "cleared"
    assert client.get("/news").text == "news #3"
    client.get("/square/2")
    assert calls == ["news /news?", "square 2", "news /news?", "square 2"]
    with app.app_context():
        cache.clear()
        assert cache.get("view//news") is None
    assert client.get("/news").text == "news #5"


def test_template_fragment_caching(make_client: t.Callable[..., t.Any]) -> None:
    app, _, calls = create_app()

    def expensive() -> str:
        calls.append("fragment")
        return f"built {len(calls)}"

    @app.get("/fragment")
    def fragment() -> str:
        return flask.render_template_string(
            "{% cache 60, 'sidebar' %}{{ expensive() }}{% endcache %} / {{ request.path }}",
            expensive=expensive,
        )

    client = make_client(app)
    assert client.get("/fragment").text == "built 1 / /fragment"
    assert client.get("/fragment?again").text == "built 1 / /fragment"
    assert calls == ["fragment"]


def test_unless_and_a_custom_key(make_client: t.Callable[..., t.Any]) -> None:
    app, cache, calls = create_app()

    @app.get("/lang")
    @cache.cached(
        make_cache_key=lambda: f"lang/{flask.request.accept_languages.best}",
        unless=lambda: flask.request.headers.get("Cache-Control") == "no-cache",
    )
    def lang() -> str:
        calls.append(str(flask.request.accept_languages.best))
        return f"{flask.request.accept_languages.best} #{len(calls)}"

    client = make_client(app)
    french = {"Accept-Language": "fr"}
    assert client.get("/lang", headers=french).text == "fr #1"
    assert client.get("/lang", headers={"Accept-Language": "de"}).text == "de #2"
    assert client.get("/lang", headers=french).text == "fr #1"
    assert client.get("/lang", headers={**french, "Cache-Control": "no-cache"}).text == "fr #3"
    assert calls == ["fr", "de", "fr"]
    with app.app_context():
        assert cache.get("lang/de") == "de #2"


def test_response_hit_indication_header(make_client: t.Callable[..., t.Any]) -> None:
    """The extension appends its own after_request function on the view's first call."""
    app, cache, calls = create_app()

    @app.get("/weather")
    @cache.cached(response_hit_indication=True)
    def weather() -> str:
        calls.append("weather")
        return "sunny"

    client = make_client(app)
    first = client.get("/weather")
    assert (first.text, first.headers.get("hit_cache")) == ("sunny", None)
    second = client.get("/weather")
    assert (second.text, second.headers.get("hit_cache")) == ("sunny", "True")
    assert client.get("/news").headers.get("hit_cache") is None
    assert calls == ["weather", "news /news?"]
