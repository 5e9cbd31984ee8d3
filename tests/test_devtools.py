"""tocsin.devtools: the developer page, its gate, its JSON and the link bar, under both drivers."""

from __future__ import annotations

import html
import logging
import re
import typing as t

import pytest

from tocsin import Response, Tocsin, abort, render_template_string, request
from tocsin.devtools import DevTools
from tocsin.lifecycle import STEPS
from tocsin.signals import Namespace
from tocsin.testing import TestClient
from tocsin.tracing import Tracer

#: A namespace of the app's own, found by the signals page as ``<module>.events``.
events = Namespace()
order_placed = events.signal("order-placed", doc="Sent with order= after an order is stored.")


def audit(sender: t.Any, **extra: t.Any) -> None:
    """A receiver of order-placed (priority 10)."""


def mail(sender: t.Any, **extra: t.Any) -> None:
    """A receiver of order-placed (priority 0)."""


async def notify(sender: t.Any, **extra: t.Any) -> None:
    """An async receiver of order-placed for any sender (priority 5)."""


@pytest.fixture
def app() -> Tocsin:
    """An app in debug mode with DevTools, a few routes, hooks and an error handler."""
    app = Tocsin("devtools_app", root_path="/nonexistent")
    app.config.update(TESTING=True, SECRET_KEY="test key", DEBUG=True)
    DevTools(app)

    @app.before_request
    def load_user() -> None:
        pass

    @app.get("/")
    def index() -> str:
        return render_template_string("<!doctype html><html><body><p>home</p></body></html>")

    @app.get("/notes/<int:n>")
    def note(n: int) -> str:
        if n == 0:
            abort(404)
        return f"<html><body>note {n}</body></html>"

    @app.post("/notes")
    def create() -> tuple[str, int]:
        return "<html><body>created</body></html>", 201

    @app.get("/api/data")
    def data() -> dict[str, int]:
        return {"n": 1}

    @app.get("/boom")
    def boom() -> str:
        raise ValueError("the <b>disk</b> is full")

    @app.errorhandler(ValueError)
    def failed(e: ValueError) -> tuple[str, int]:
        return "<html><body>failed</body></html>", 500

    @app.get("/stream")
    def stream() -> Response:
        return Response(iter(["<html><body>", "streamed", "</body></html>"]), mimetype="text/html")

    @app.get("/plain")
    def plain() -> Response:
        return Response("<html><body>text</body></html>", mimetype="text/plain")

    @app.get("/echo/<path:anything>")
    def echo(anything: str) -> str:
        return "<html><body>echo</body></html>"

    return app


def tools(app: Tocsin) -> DevTools:
    return t.cast(DevTools, app.extensions["tocsin.devtools"])


def cells(page: str, cls: str) -> list[str]:
    """The text of each element whose class list starts with *cls* (tags removed, unescaped)."""
    found = re.findall(rf'<(\w+) class="{cls}[^"]*"[^>]*>(.*?)</\1>', page, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", inner)).strip() for _, inner in found]


def tds(row: str) -> list[str]:
    """The text of each cell of a table row."""
    return [
        re.sub(r"<[^>]+>", "", td).strip() for td in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


# -- the gate ------------------------------------------------------------------------------

PAGES = [
    "/_tocsin/",
    "/_tocsin",
    "/_tocsin/trace/1",
    "/_tocsin/trace/1.json",
    "/_tocsin/routes",
    "/_tocsin/signals",
    "/_tocsin/traces.json",
    "/_tocsin/stats.json",
]


@pytest.mark.parametrize("url", PAGES)
def test_out_of_debug_mode_every_page_is_the_apps_404(
    app: Tocsin, client: TestClient, url: str
) -> None:
    client.get("/")
    app.debug = False
    unknown = client.get("/no/such/page")
    for method in ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"):
        response = client.open(url, method=method)
        assert response.status_code == 404, method
        assert response.data == (b"" if method == "HEAD" else unknown.data)
        assert response.mimetype == unknown.mimetype
        assert "Allow" not in response.headers


def test_the_404_is_the_apps_own_404_page(app: Tocsin, client: TestClient) -> None:
    app.debug = False

    @app.errorhandler(404)
    def not_found(e: Exception) -> tuple[str, int]:
        return f"<html><body>nothing at {request.path}</body></html>", 404

    response = client.get("/_tocsin/signals")
    assert (response.status_code, response.text) == (
        404,
        "<html><body>nothing at /_tocsin/signals</body></html>",
    )


@pytest.mark.parametrize("url", PAGES)
def test_in_debug_mode_every_page_is_served(client: TestClient, url: str) -> None:
    client.get("/")  # trace 1
    response = client.get(url)
    assert response.status_code == 200, url
    expected = "application/json" if url.endswith(".json") else "text/html"
    assert response.mimetype == expected


def test_allow_decides_who_sees_the_pages(app: Tocsin, driver: str) -> None:
    app.extensions.pop("tocsin.devtools")
    other = Tocsin("allowed_app", root_path="/nonexistent")
    other.config.update(TESTING=True, DEBUG=True)  # debug on, but allow decides
    DevTools(other, allow=lambda req: req.remote_addr == "127.0.0.1")
    client = other.test_client(driver=driver)
    assert client.get("/_tocsin/").status_code == 200
    refused = client.get("/_tocsin/", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert refused.status_code == 404
    assert refused.data == client.get("/nothing/here").data

    other.debug = False  # allow admits out of debug mode too
    assert client.get("/_tocsin/signals").status_code == 200
    refused = client.get("/_tocsin/signals", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert refused.status_code == 404


def test_an_allow_that_raises_refuses_and_is_logged(
    driver: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = Tocsin("raising_allow", root_path="/nonexistent")
    app.config.update(TESTING=True, DEBUG=True)

    def allow(req: t.Any) -> bool:
        raise KeyError("no such header")

    DevTools(app, allow=allow)
    with caplog.at_level(logging.ERROR, logger="tocsin.devtools"):
        assert app.test_client(driver=driver).get("/_tocsin/").status_code == 404
    assert [r.getMessage() for r in caplog.records] == [
        "DevTools' allow(request) failed: the request is refused"
    ]


def test_open_pages_answer_only_reading_methods(client: TestClient) -> None:
    response = client.post("/_tocsin/")
    assert response.status_code == 405
    assert sorted(response.headers["Allow"].split(", ")) == ["GET", "HEAD", "OPTIONS"]
    assert client.head("/_tocsin/").status_code == 200


def test_bad_input_is_a_clear_4xx(client: TestClient) -> None:
    client.get("/")
    missing = client.get("/_tocsin/trace/999999")
    assert missing.status_code == 404
    assert "No trace #999999 is kept" in missing.text
    assert client.get("/_tocsin/trace/abc").status_code == 404
    assert client.get("/_tocsin/trace/-1").status_code == 404
    assert client.get("/_tocsin/trace/999999.json").status_code == 404
    for status in ("abc", "6xx", "99", "1000", "4x"):
        for url in ("/_tocsin/", "/_tocsin/traces.json"):
            response = client.get(url, query_string={"status": status})
            assert response.status_code == 400, (url, status)
            assert f"not {status!r}" in html.unescape(response.text)


# -- the requests ----------------------------------------------------------------------------


def test_the_requests_are_listed_newest_first_without_the_pages_own(
    app: Tocsin, client: TestClient
) -> None:
    client.get("/")
    client.get("/notes/3")
    client.post("/notes")
    client.get("/_tocsin/")  # its own request: not listed, nor the one rendering
    page = client.get("/_tocsin/").text
    assert cells(page, "method") == ["POST", "GET", "GET"]
    assert cells(page, "path") == ["/notes", "/notes/3", "/"]
    assert cells(page, "status") == ["201", "200", "200"]
    assert cells(page, "endpoint") == ["create", "note", "index"]
    assert all(re.fullmatch(r"\d+\.\d{3} ms", d) for d in cells(page, "num duration"))
    assert "3 of 3 kept requests" in page
    numbers = [tools(app).id_of(tr) for tr in reversed(app.tracer.traces)]
    shown = [int(n) for n in re.findall(r'<a class="id" href="/_tocsin/trace/(\d+)">', page)]
    assert shown == [n for n in numbers if n in shown] and len(shown) == 3
    assert shown == sorted(shown, reverse=True)

    everything = client.get("/_tocsin/?own=1").text
    assert cells(everything, "path") == ["/_tocsin/", "/_tocsin/", "/notes", "/notes/3", "/"]


def test_filters_by_path_and_status(client: TestClient) -> None:
    client.get("/notes/1")
    client.get("/notes/0")  # 404
    client.get("/boom")  # 500
    client.get("/echo/x")
    client.get("/")

    def paths(**args: str) -> list[str]:
        return cells(client.get("/_tocsin/", query_string=args).text, "path")

    assert paths(path="notes") == ["/notes/0", "/notes/1"]
    assert paths(status="404") == ["/notes/0"]
    assert paths(status="4xx") == ["/notes/0"]
    assert paths(status="5XX") == ["/boom"]
    assert paths(status="2xx") == ["/", "/echo/x", "/notes/1"]
    assert paths(path="notes", status="200") == ["/notes/1"]
    assert paths(path="nothing-like-it") == []
    assert "No kept request matches these filters." in client.get("/_tocsin/?path=zzz").text
    page = client.get("/_tocsin/?path=notes&status=4xx").text
    assert 'value="notes"' in page and 'value="4xx"' in page  # the form keeps them
    assert 'href="/_tocsin/traces.json?path=notes&amp;status=4xx"' in page


def test_the_json_honours_the_filters_and_has_each_trace_as_dict(
    app: Tocsin, client: TestClient
) -> None:
    client.get("/notes/2")
    client.get("/notes/0")
    client.get("/_tocsin/")
    data = client.get("/_tocsin/traces.json").json
    kept = [tr for tr in reversed(app.tracer.traces) if not tr.path.startswith("/_tocsin")]
    assert [tr["path"] for tr in data["traces"]] == ["/notes/0", "/notes/2"]
    for item, trace in zip(data["traces"], kept, strict=True):
        number = tools(app).id_of(trace)
        assert item == {
            **trace.as_dict(),
            "id": number,
            "rule": "/notes/<int:n>",
            "endpoint": "note",
            "url": f"/_tocsin/trace/{number}",
        }
    first = data["traces"][1]
    assert (first["method"], first["status"]) == ("GET", 200)
    assert [s["name"] for s in first["steps"]][:3] == [
        "push_app_context",
        "match_url",
        "before_first_request",
    ]
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] > 0

    filtered = client.get("/_tocsin/traces.json?status=404").json["traces"]
    assert [(tr["path"], tr["status"]) for tr in filtered] == [("/notes/0", 404)]
    one = client.get(f"/_tocsin/trace/{first['id']}.json").json
    assert one == first


# -- one request's waterfall ---------------------------------------------------------------


def test_the_waterfall_has_every_step_in_order_with_the_calls(
    app: Tocsin, client: TestClient
) -> None:
    client.get("/notes/5")
    trace = app.tracer.last
    assert trace is not None
    page = client.get(f"/_tocsin/trace/{tools(app).id_of(trace)}").text
    names = cells(page, "step-name")
    expected = [name for s in trace.steps for name in s.covers]
    assert names == expected
    assert sorted(names, key=[s.name for s in STEPS].index) == names  # the table's order
    skipped = re.findall(
        r'<tr class="step skipped">\s*<td><span class="step-number">\d+</span> '
        r'<code class="step-name">(\w+)</code>',
        page,
    )
    assert skipped == trace.skipped and "url_value_preprocessor" in skipped
    assert cells(page, "kind") == [c.kind for c in trace.calls]
    assert cells(page, "name") == [c.name for c in trace.calls]
    assert f"{__name__}.app.<locals>.load_user" in cells(page, "name")
    assert f"{__name__}.app.<locals>.note" in cells(page, "name")
    assert '<code class="request">GET /notes/5</code>' in page
    assert '<span class="status s2xx">200</span>' in page
    assert "rule <code>/notes/&lt;int:n&gt;</code>" in page


def test_an_error_shows_its_type_and_message_escaped(app: Tocsin, client: TestClient) -> None:
    assert client.get("/boom").status_code == 500
    trace = app.tracer.last
    assert trace is not None
    page = client.get(f"/_tocsin/trace/{tools(app).id_of(trace)}").text
    assert "<b>disk</b>" not in page
    raised = re.findall(r'<tr class="call raised">.*?</tr>', page, re.S)
    assert len(raised) == 1
    assert cells(raised[0], "name") == [f"{__name__}.app.<locals>.boom"]
    assert cells(raised[0], "error-type") == ["ValueError"]
    assert cells(raised[0], "error-message") == ["the <b>disk</b> is full"]
    assert "the &lt;b&gt;disk&lt;/b&gt; is full" in raised[0]
    handlers = [c.name for c in trace.calls if c.kind == "errorhandler"]
    assert handlers == [f"{__name__}.app.<locals>.failed"]
    assert handlers[0] in cells(page, "name")


def test_a_path_with_markup_never_injects_it(app: Tocsin, client: TestClient) -> None:
    evil = "/echo/<script>alert(1)</script>"
    landed = client.get(evil)
    assert landed.status_code == 200
    assert "<script>alert(1)</script>" not in landed.text  # the link bar escapes it too
    assert "GET /echo/&lt;script&gt;alert(1)&lt;/script&gt;" in landed.text
    listing = client.get("/_tocsin/").text
    assert "<script>" not in listing
    assert cells(listing, "path") == [evil]
    (trace,) = [tr for tr in app.tracer.traces if tr.path == evil]
    page = client.get(f"/_tocsin/trace/{tools(app).id_of(trace)}").text
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    filtered = client.get("/_tocsin/", query_string={"path": '"><script>x</script>'}).text
    assert "<script>x" not in filtered and 'value="&#34;&gt;&lt;script&gt;x' in filtered


def test_trace_numbers_stay_put_as_requests_come_and_go(app: Tocsin, client: TestClient) -> None:
    client.get("/notes/1")
    first = tools(app).id_of(app.tracer.last)
    for n in range(2, 5):
        client.get(f"/notes/{n}")
    page = client.get(f"/_tocsin/trace/{first}").text
    assert '<code class="request">GET /notes/1</code>' in page
    with app.app_context():
        assert tools(app).find(first) is app.tracer.traces[0]


def test_a_trace_no_longer_kept_is_a_404(driver: str) -> None:
    app = Tocsin("small", root_path="/nonexistent")
    app.config.update(TESTING=True, DEBUG=True)
    Tracer(app, keep=2)
    DevTools(app)
    app.add_url_rule("/<int:n>", "n", lambda n: str(n))
    client = app.test_client(driver=driver)
    client.get("/1")
    gone = tools(app).id_of(app.tracer.last)
    client.get("/2")
    client.get("/3")
    assert client.get(f"/_tocsin/trace/{gone}").status_code == 404


# -- routes and signals ------------------------------------------------------------------------


def test_the_routes_page_and_stats_json(client: TestClient) -> None:
    for n in (1, 2, 0):
        client.get(f"/notes/{n}")
    client.get("/")
    client.get("/_tocsin/")
    stats = client.get("/_tocsin/stats.json").json["routes"]
    assert [(s["rule"], s["method"], s["count"]) for s in stats] == [
        ("/notes/<int:n>", "GET", 3),
        ("/", "GET", 1),
    ]
    notes = stats[0]
    assert notes["statuses"] == {"200": 2, "404": 1}
    assert notes["samples"] == 3 and 0 < notes["p50_ms"] <= notes["p95_ms"] <= notes["max_ms"]
    assert notes["steps"]["dispatch"]["count"] == 3
    assert notes["steps"]["handle_exception"]["count"] == 1  # the 404

    page = client.get("/_tocsin/routes").text
    assert cells(page, "rule") == ["/notes/<int:n>", "/"]
    assert cells(page, "num count") == ["3", "1"]
    assert cells(page, "statuses") == ["200 \u00d7 2 404 \u00d7 1", "200 \u00d7 1"]
    assert "dispatch" in cells(page, "step-name")
    own = client.get("/_tocsin/routes?own=1").text
    assert "/_tocsin/" in cells(own, "rule")


@pytest.fixture
def receivers(app: Tocsin) -> t.Iterator[None]:
    order_placed.connect(mail, sender=app)
    order_placed.connect(audit, sender=app, priority=10)
    order_placed.connect(notify, priority=5)
    yield
    for receiver in (mail, audit, notify):
        order_placed.disconnect(receiver)


@pytest.mark.usefixtures("receivers")
def test_the_signals_page_lists_receivers_in_call_order(client: TestClient) -> None:
    page = client.get("/_tocsin/signals").text
    sections = dict(re.findall(r"<h2>(.*?)</h2>(.*?)</section>", page, re.S))
    assert list(sections)[:2] == ["built-in", "default"]
    mine = sections[f"{__name__}.events"]
    assert cells(mine, "signal-name") == ["order-placed"]
    assert cells(mine, "receiver-name") == [
        f"{__name__}.audit",
        f"{__name__}.notify",
        f"{__name__}.mail",
    ]
    assert cells(mine, "num priority") == ["10", "5", "0"]
    rows = [tds(row) for row in re.findall(r'<tr class="receiver">.*?</tr>', mine, re.S)]
    assert [row[-2:] for row in rows] == [["sync", "app"], ["async", "any"], ["sync", "app"]]
    assert 'title="Sent with order= after an order is stored."' in mine
    assert "request-started" in cells(sections["built-in"], "signal-name")
    assert "(no receiver)" in sections["built-in"]


def test_another_apps_receivers_are_not_listed(app: Tocsin, client: TestClient) -> None:
    other = Tocsin("other")
    order_placed.connect(audit, sender=other)
    try:
        page = client.get("/_tocsin/signals").text
    finally:
        order_placed.disconnect(audit, sender=other)
    mine = dict(re.findall(r"<h2>(.*?)</h2>(.*?)</section>", page, re.S))[f"{__name__}.events"]
    assert cells(mine, "receiver-name") == []
    assert "(no receiver)" in mine


# -- the link bar ---------------------------------------------------------------------------


def bar(response: t.Any) -> list[str]:
    return re.findall(r'<div id="tocsin-devtools-bar".*?</div>', response.text, re.S)


def test_the_link_bar_ends_html_pages_and_links_to_their_trace(
    app: Tocsin, client: TestClient
) -> None:
    response = client.get("/notes/7")
    (found,) = bar(response)
    assert response.text.endswith(found + "</body></html>")
    assert response.headers["Content-Length"] == str(len(response.data))
    trace = app.tracer.last
    assert trace is not None
    number = tools(app).id_of(trace)
    assert f'<a href="/_tocsin/trace/{number}" style="color: #bcd4ff;">trace #{number}</a>' in found
    assert "<code" in found and "GET /notes/7</code>" in found
    assert '<span class="tocsin-status">200</span>' in found
    linked = client.get(f"/_tocsin/trace/{number}")  # complete by now
    assert linked.status_code == 200 and "GET /notes/7</code>" in linked.text
    assert ' in <span class="duration">' in linked.text

    created = client.post("/notes")
    assert '<span class="tocsin-status">201</span>' in bar(created)[0]
    assert len(bar(client.get("/"))) == 1  # a rendered template too


@pytest.mark.parametrize("url", ["/api/data", "/stream", "/plain", "/_tocsin/", "/_tocsin/signals"])
def test_no_link_bar_outside_html_pages(client: TestClient, url: str) -> None:
    client.get("/")
    response = client.get(url)
    assert response.status_code == 200
    assert "tocsin-devtools-bar" not in response.text


def test_no_link_bar_without_a_body_end_or_when_refused(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/fragment", "fragment", lambda: "<p>no body end</p>")
    assert client.get("/fragment").text == "<p>no body end</p>"
    app.debug = False
    assert bar(client.get("/notes/1")) == []


def test_the_link_bar_switches_off_by_config_and_by_argument(
    app: Tocsin, client: TestClient, driver: str
) -> None:
    app.config["TOCSIN_DEVTOOLS_LINK_BAR"] = False
    page = client.get("/notes/1")
    assert page.text == "<html><body>note 1</body></html>"
    assert page.headers["Content-Length"] == str(len(page.data))

    quiet = Tocsin("quiet", root_path="/nonexistent")
    quiet.config.update(TESTING=True, DEBUG=True)
    DevTools(quiet, link_bar=False)
    quiet.add_url_rule("/", "index", lambda: "<html><body>q</body></html>")
    assert quiet.test_client(driver=driver).get("/").text == "<html><body>q</body></html>"
    assert not quiet.after_request_funcs  # no hook at all


def test_the_link_bar_of_an_untraced_request_links_to_the_list(driver: str) -> None:
    app = Tocsin("sampled", root_path="/nonexistent")
    app.config.update(TESTING=True, DEBUG=True)
    Tracer(app, sample=0.0)
    DevTools(app)
    app.add_url_rule("/", "index", lambda: "<html><body>x</body></html>")
    (found,) = bar(app.test_client(driver=driver).get("/"))
    assert "<span>not traced</span>" in found and 'href="/_tocsin/"' in found


# -- installing ----------------------------------------------------------------------------------


def test_init_app_reuses_the_apps_tracer_or_installs_one() -> None:
    plain = Tocsin("plain", root_path="/nonexistent")
    tools_ = DevTools()
    tools_.init_app(plain)
    assert isinstance(plain.tracer, Tracer)
    assert plain.extensions["tocsin.devtools"] is tools_
    with pytest.raises(RuntimeError, match="already has DevTools"):
        DevTools(plain)

    traced = Tocsin("traced", root_path="/nonexistent")
    tracer = Tracer(traced, keep=5)
    DevTools(traced)
    assert traced.tracer is tracer


def test_one_devtools_serves_two_apps(driver: str) -> None:
    shared = DevTools()
    first, second = Tocsin("first"), Tocsin("second")
    for each in (first, second):
        each.config.update(DEBUG=True)
        shared.init_app(each)
        each.add_url_rule("/where", "where", lambda: "here")
    a, b = first.test_client(driver=driver), second.test_client(driver=driver)
    a.get("/where")
    a.get("/where")
    b.get("/where")
    assert len(a.get("/_tocsin/traces.json").json["traces"]) == 2
    assert len(b.get("/_tocsin/traces.json").json["traces"]) == 1


def test_another_url_prefix(driver: str) -> None:
    app = Tocsin("prefixed", root_path="/nonexistent")
    app.config.update(DEBUG=True)
    DevTools(app, url_prefix="/debug/tools/")
    app.add_url_rule("/", "index", lambda: "<html><body>x</body></html>")
    client = app.test_client(driver=driver)
    assert 'href="/debug/tools/trace/' in client.get("/").text
    assert cells(client.get("/debug/tools/").text, "path") == ["/"]
    assert client.get("/_tocsin/").status_code == 404
    with pytest.raises(ValueError, match="url_prefix must be a path"):
        DevTools(Tocsin("bad"), url_prefix="_tocsin")
