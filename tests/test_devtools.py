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
from tocsin.tracing._record import _record_watched

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
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert client.head("/_tocsin/").status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_options_advertises_only_the_methods_the_pages_answer(client: TestClient, url: str) -> None:
    client.get("/")  # trace 1
    response = client.options(url)
    assert (response.status_code, response.data) == (200, b"")
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    for method in ("PUT", "PATCH", "DELETE", "POST", "TRACE", "CONNECT"):
        refused = client.open(url, method=method)
        assert refused.status_code == 405, method
        assert refused.headers["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize(
    "url", ["/_tocsin//routes", "/_tocsin//signals", "/_tocsin/trace//1", "/_tocsin///"]
)
def test_doubled_slashes_are_the_apps_404_not_a_redirect(
    app: Tocsin, client: TestClient, url: str
) -> None:
    client.get("/")  # trace 1
    app.debug = False
    unknown = client.get("/no/such/page")
    for method in ("GET", "HEAD", "POST", "OPTIONS"):
        response = client.open(url, method=method)
        assert response.status_code == 404, method
        assert response.data == (b"" if method == "HEAD" else unknown.data)
        assert "Location" not in response.headers and "Allow" not in response.headers


#: Statuses that mean nothing; the last two have non-ASCII digits (Arabic-Indic, fullwidth).
WRONG_STATUSES = ["abc", "6xx", "99", "1000", "4x", "4\u0660\u0664", "4\uff10\uff14"]


def test_bad_input_is_a_clear_4xx(client: TestClient) -> None:
    client.get("/")
    missing = client.get("/_tocsin/trace/999999")
    assert missing.status_code == 404
    assert "No trace #999999 is kept" in missing.text
    assert client.get("/_tocsin/trace/abc").status_code == 404
    assert client.get("/_tocsin/trace/-1").status_code == 404
    for status in WRONG_STATUSES:
        response = client.get("/_tocsin/", query_string={"status": status})
        assert response.status_code == 400, status
        assert f"not {status!r}" in html.unescape(response.text)


def test_the_json_urls_answer_their_errors_in_json(client: TestClient) -> None:
    client.get("/")
    missing = client.get("/_tocsin/trace/999999.json")
    assert (missing.status_code, missing.mimetype) == (404, "application/json")
    assert missing.json == {"error": "No trace #999999 is kept (the tracer keeps the latest ones)."}
    for status in WRONG_STATUSES:
        response = client.get("/_tocsin/traces.json", query_string={"status": status})
        assert (response.status_code, response.mimetype) == (400, "application/json"), status
        assert response.json == {
            "error": f"status must be a code such as 404 or a class such as 5xx, not {status!r}"
        }
    for url in ("/_tocsin/traces.json", "/_tocsin/stats.json", "/_tocsin/trace/1.json"):
        refused = client.post(url)
        assert (refused.status_code, refused.mimetype) == (405, "application/json"), url
        assert refused.json == {"error": "these URLs answer GET, HEAD and OPTIONS, not POST"}
        assert refused.headers["Allow"] == "GET, HEAD, OPTIONS"


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


@pytest.mark.usefixtures("receivers")
def test_the_tracers_own_recorder_is_not_listed_as_a_receiver(
    app: Tocsin, client: TestClient
) -> None:
    assert app.tracer is not None
    app.tracer.watch(events)  # connects its recorder to every signal of the namespace
    try:
        assert len(list(order_placed.receivers_for(app))) == 4
        page = client.get("/_tocsin/signals").text
    finally:
        events.disconnect_all(_record_watched)
    mine = dict(re.findall(r"<h2>(.*?)</h2>(.*?)</section>", page, re.S))[f"{__name__}.events"]
    assert cells(mine, "receiver-name") == [
        f"{__name__}.audit",
        f"{__name__}.notify",
        f"{__name__}.mail",
    ]
    assert [tds(row)[1] for row in re.findall(r'<tr class="receiver">.*?</tr>', mine, re.S)] == [
        "1",
        "2",
        "3",
    ]
    assert "_record_watched" not in page


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


def test_the_tracer_installed_follows_the_trace_config_keys(driver: str) -> None:
    app = Tocsin("configured", root_path="/nonexistent")
    app.config.update(DEBUG=True, TRACE_SAMPLE=0.5, TRACE_KEEP=3, TRACE_SERVER_TIMING=True)
    DevTools(app)
    app.add_url_rule("/", "index", lambda: "hi")
    assert app.tracer is not None
    assert (app.tracer.sample, app.tracer.keep, app.tracer.server_timing) == (0.5, 3, True)
    client = app.test_client(driver=driver)
    responses = [client.get("/") for _ in range(10)]
    assert all("total;dur=" in r.headers["Server-Timing"] for r in responses)
    assert len(client.get("/_tocsin/traces.json").json["traces"]) == 3  # of 5 traced


# -- the app's Jinja settings ------------------------------------------------------------------


class NoAutoescape(Tocsin):
    """An app whose templates are not HTML: Jinja's autoescape off for all of them."""

    jinja_options = {"autoescape": False}


class TextTemplates(Tocsin):
    """An app that escapes none of its templates (``select_jinja_autoescape``)."""

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        return False


@pytest.mark.parametrize("app_class", [NoAutoescape, TextTemplates])
def test_the_pages_escape_whatever_the_apps_jinja_settings(
    app_class: type[Tocsin], driver: str
) -> None:
    app = app_class("unescaped", root_path="/nonexistent")
    app.config.update(DEBUG=True)
    DevTools(app)
    app.add_url_rule("/echo/<path:p>", "echo", lambda p: "<html><body>echo</body></html>")
    app.add_url_rule("/text", "text", lambda: render_template_string("{{ '<i>' }}"))
    client = app.test_client(driver=driver)
    assert client.get("/text").text == "<i>"  # (the app's own templates: as it chose)
    evil = "/echo/<script>alert(1)</script>"
    escaped = "/echo/&lt;script&gt;alert(1)&lt;/script&gt;"
    landed = client.get(evil).text
    assert "<script>" not in landed and f"GET {escaped}</code>" in landed  # the link bar
    listing = client.get("/_tocsin/").text
    assert "<script>" not in listing and f"<code>{escaped}</code>" in listing
    assert cells(listing, "path") == [evil, "/text"]
    (item,) = client.get("/_tocsin/traces.json", query_string={"path": "script"}).json["traces"]
    page = client.get(item["url"]).text
    assert "<script>" not in page and f'<code class="request">GET {escaped}</code>' in page
    filtered = client.get("/_tocsin/", query_string={"path": '"><script>x</script>'}).text
    assert "<script>x" not in filtered and 'value="&#34;&gt;&lt;script&gt;x' in filtered


# -- the pages' own requests -----------------------------------------------------------------


def test_viewing_the_pages_pushes_none_of_the_apps_traces_out(driver: str) -> None:
    app = Tocsin("small_keep", root_path="/nonexistent")
    app.config.update(DEBUG=True)
    Tracer(app, keep=3)
    DevTools(app)
    app.add_url_rule("/<int:n>", "n", lambda n: str(n))
    client = app.test_client(driver=driver)
    for n in (1, 2, 3):
        client.get(f"/{n}")
    for _ in range(2):
        for url in ("/_tocsin/", "/_tocsin/routes", "/_tocsin/signals", "/_tocsin/stats.json"):
            assert client.get(url).status_code == 200
    listed = client.get("/_tocsin/traces.json").json["traces"]
    assert [tr["path"] for tr in listed] == ["/3", "/2", "/1"]
    assert app.tracer is not None
    assert [tr.path for tr in app.tracer.traces] == ["/1", "/2", "/3"]
    assert client.get(listed[2]["url"]).status_code == 200  # the first one, still there

    # The pages keep their latest 3 (keep) own requests, this one (not listed) included:
    own = client.get("/_tocsin/traces.json?own=1").json["traces"]
    paths = ["/_tocsin/trace/1", "/_tocsin/traces.json"]
    assert [tr["path"] for tr in own] == [*paths, "/3", "/2", "/1"]
    assert [tr["id"] for tr in own] == sorted((tr["id"] for tr in own), reverse=True)
    assert client.get(own[0]["url"] + ".json").json["path"] == "/_tocsin/trace/1"
    stats = client.get("/_tocsin/stats.json?own=1").json["routes"]
    counts = {(s["rule"], s["method"]): s["count"] for s in stats}
    assert counts[("/_tocsin/stats.json", "GET")] == 2  # counted all the same (not this one yet)


def test_with_keep_0_the_bar_says_not_kept_and_the_list_says_why(driver: str) -> None:
    app = Tocsin("keeps_nothing", root_path="/nonexistent")
    app.config.update(DEBUG=True)
    Tracer(app, keep=0)
    DevTools(app)
    app.add_url_rule("/", "index", lambda: "<html><body>home</body></html>")
    client = app.test_client(driver=driver)
    (found,) = bar(client.get("/"))
    assert "<span>not kept</span>" in found and "/_tocsin/trace/" not in found
    page = client.get("/_tocsin/").text
    assert cells(page, "empty muted") == [
        "The tracer keeps no trace (keep=0): the Routes page still counts every request."
    ]
    assert cells(client.get("/_tocsin/routes").text, "num count") == ["1"]


# -- an exception in the waterfall --------------------------------------------------------------


class Unprintable(Exception):
    """An exception whose ``str()`` fails."""

    def __str__(self) -> str:
        raise RuntimeError("no str for you")


UNPRINTABLE = "(str() of this Unprintable failed)"


def test_an_exception_whose_str_fails_is_shown_all_the_same(
    app: Tocsin, client: TestClient
) -> None:
    @app.get("/unprintable")
    def unprintable() -> str:
        raise Unprintable

    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get("/unprintable").status_code == 500
    (item,) = client.get("/_tocsin/traces.json?path=unprintable").json["traces"]
    assert client.get(f"/_tocsin/trace/{item['id']}.json").json == item
    page = client.get(item["url"])
    assert page.status_code == 200
    (raised,) = re.findall(r'<tr class="call raised">.*?</tr>', page.text, re.S)
    assert cells(raised, "error-type") == ["Unprintable"]
    assert cells(raised, "error-message") == [UNPRINTABLE]


def test_an_exception_propagated_to_the_server_shows_as_its_500(driver: str) -> None:
    app = Tocsin("propagating", root_path="/nonexistent")
    app.config.update(DEBUG=True)  # PROPAGATE_EXCEPTIONS unset: on in debug mode
    DevTools(app)

    @app.get("/boom")
    def boom() -> str:
        raise ValueError("the <b>disk</b> is full")

    @app.get("/unprintable")
    def unprintable() -> str:
        raise Unprintable

    client = app.test_client(driver=driver)
    for url, error in (("/boom", ValueError), ("/unprintable", Unprintable)):
        with pytest.raises(error):
            client.get(url)
    listing = client.get("/_tocsin/?status=5xx").text
    assert cells(listing, "path") == ["/unprintable", "/boom"]
    assert cells(listing, "status") == ["500", "500"]
    assert all(re.fullmatch(r"\d+\.\d{3} ms", d) for d in cells(listing, "num duration"))
    assert cells(listing, "endpoint") == ["unprintable", "boom"]
    item = client.get("/_tocsin/traces.json?path=boom").json["traces"][0]
    assert (item["status"], item["rule"], item["endpoint"]) == (500, "/boom", "boom")
    assert item["raised"] == {"type": "ValueError", "message": "the <b>disk</b> is full"}
    assert isinstance(item["duration_ms"], float)
    page = client.get(item["url"]).text
    assert '<span class="status s5xx">500</span>' in page and "rule <code>/boom</code>" in page
    (note,) = re.findall(r'<p class="raised error">.*?</p>', page, re.S)
    assert "propagated out of the app to the server, which answered 500" in note
    assert cells(note, "error-type") == ["ValueError"]
    assert cells(note, "error-message") == ["the <b>disk</b> is full"]
    assert "<b>disk" not in page
    (other,) = client.get("/_tocsin/traces.json?path=unprintable").json["traces"]
    note = re.findall(r'<p class="raised error">.*?</p>', client.get(other["url"]).text, re.S)[0]
    assert cells(note, "error-message") == [UNPRINTABLE]
    stats = client.get("/_tocsin/stats.json").json["routes"]
    assert {s["rule"]: s["statuses"] for s in stats} == {
        "/unprintable": {"500": 1},
        "/boom": {"500": 1},
    }
    routes = client.get("/_tocsin/routes").text
    assert sorted(cells(routes, "rule")) == ["/boom", "/unprintable"]
    assert cells(routes, "statuses") == ["500 \u00d7 1", "500 \u00d7 1"]


def test_a_view_an_earlier_step_answered_for_is_not_run_rather_than_skipped(
    app: Tocsin, client: TestClient
) -> None:
    @app.before_request
    def block() -> tuple[str, int] | None:
        return ("<html><body>blocked</body></html>", 403) if request.path == "/notes/9" else None

    def dispatch_row(number: int) -> str:
        page = client.get(f"/_tocsin/trace/{number}").text
        (row,) = re.findall(
            r'<tr class="step [\w-]+">\s*<td><span class="step-number">8</span>.*?</tr>', page, re.S
        )
        return row

    client.get("/notes/9")
    blocked = client.get("/_tocsin/traces.json").json["traces"][0]
    page = client.get(blocked["url"]).text
    row = dispatch_row(blocked["id"])
    assert row.startswith('<tr class="step not-run">') and '<td class="outcome">not run</td>' in row
    assert "A step not run was passed over: an earlier step answered the request" in page
    skipped = re.findall(
        r'<tr class="step skipped">\s*<td><span class="step-number">\d+</span> '
        r'<code class="step-name">(\w+)',
        page,
    )
    assert "dispatch" not in skipped and "url_value_preprocessor" in skipped

    client.get("/notes/3")  # the view ran
    ran = client.get("/_tocsin/traces.json").json["traces"][0]
    assert dispatch_row(ran["id"]).startswith('<tr class="step ran">')
    assert "A step not run" not in client.get(ran["url"]).text
    client.get("/nothing/here")  # no rule matched: dispatch raises the 404
    missed = client.get("/_tocsin/traces.json").json["traces"][0]
    assert dispatch_row(missed["id"]).startswith('<tr class="step ran">')


# -- without a tracer ------------------------------------------------------------------------------


def test_without_a_tracer_the_pages_say_so_and_the_json_is_empty(
    app: Tocsin, client: TestClient
) -> None:
    client.get("/notes/1")
    assert app.tracer is not None
    app.tracer.uninstall()
    notice = "The app has no tracer (app.tracer is None): no request is recorded."
    for url in ("/_tocsin/", "/_tocsin/routes", "/_tocsin/signals"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert cells(page.text, "no-tracer error")[0].startswith(notice), url
    assert cells(client.get("/_tocsin/").text, "empty muted") == [
        "No request is kept: the app has no tracer."
    ]
    assert client.get("/_tocsin/traces.json").json == {"traces": []}
    assert client.get("/_tocsin/stats.json").json == {"routes": []}
    assert client.get("/_tocsin/trace/1").status_code == 404
    assert client.get("/_tocsin/trace/1.json").status_code == 404
    assert "<span>not traced</span>" in bar(client.get("/notes/2"))[0]

    Tracer(app)  # another one: watched (numbered) from the first time the pages ask
    client.get("/notes/3")
    client.get("/notes/4")
    listed = client.get("/_tocsin/traces.json").json["traces"]
    assert [tr["path"] for tr in listed] == ["/notes/4", "/notes/3"]
    assert listed[0]["id"] > listed[1]["id"]
    assert client.get(listed[1]["url"]).status_code == 200
    assert "No request is kept" not in client.get("/_tocsin/").text


# -- the link bar and HTTP caching -----------------------------------------------------------


def test_head_gets_the_bar_a_get_would(client: TestClient) -> None:
    got = client.get("/notes/7")  # trace 1
    head = client.head("/notes/7")  # trace 2: as many digits
    assert head.data == b""
    assert head.headers["Content-Length"] == got.headers["Content-Length"] == str(len(got.data))
    assert "GET /notes/7</code>" in bar(got)[0]


PAGE = "<!doctype html><html><body><p>cached</p></body></html>"


@pytest.mark.parametrize("validator", ["etag", "last_modified"])
def test_no_link_bar_on_a_page_a_cache_validates(
    app: Tocsin, client: TestClient, validator: str
) -> None:
    @app.get("/cached")
    def cached() -> Response:
        response = Response(PAGE, mimetype="text/html")
        if validator == "etag":
            response.add_etag()
        else:
            response.last_modified = 1_700_000_000
        return response.make_conditional(request)

    first, second = client.get("/cached"), client.get("/cached")
    assert first.text == second.text == PAGE
    assert first.headers["Content-Length"] == str(len(PAGE))
    if validator == "etag":
        check = {"If-None-Match": first.headers["ETag"]}
    else:
        check = {"If-Modified-Since": first.headers["Last-Modified"]}
    assert client.get("/cached", headers=check).status_code == 304
