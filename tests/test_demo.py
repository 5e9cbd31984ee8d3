"""The notes demo (examples/notes), in process, under both drivers."""

from __future__ import annotations

import asyncio
import importlib.util
import re
import sqlite3
import sys
import typing as t
from pathlib import Path

import httpx
import pytest

from tocsin import Tocsin
from tocsin.lifecycle import STEPS
from tocsin.testing import TestClient

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "notes"
sys.path.insert(0, str(EXAMPLE))

import notes  # noqa: E402  (examples/notes/notes)

create_app, timeago = notes.create_app, notes.timeago
init_db, note_created = notes.db.init_db, notes.events.note_created

#: The steps the demo registers nothing for (and an ordinary request raises nothing
#: for step 9): the tracer shows them as skipped.
SKIPPED = (
    "before_first_request",
    "request_started",
    "url_value_preprocessor",
    "handle_exception",
    "teardown_request",
)
#: The steps an ordinary request runs, in the lifecycle's order.
ORDINARY_STEPS = [s.name for s in STEPS if s.name not in SKIPPED]
#: Every step of the table: a request's DevTools page has a row for each, ran or skipped.
ALL_STEPS = [s.name for s in STEPS]


@pytest.fixture
def app(tmp_path: Path) -> Tocsin:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test key",
            "DATABASE": str(tmp_path / "notes.sqlite3"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashing for tests
        },
        instance_path=str(tmp_path),
    )
    init_db(app)  # the app would create the tables at its first use of the database
    return app


class BufferedClient(TestClient):
    """A test client that reads and closes every response body before returning it.

    Under the WSGI driver, Tocsin runs teardown (and so the demo's commit) for a
    response with a ``Location`` header, a 204 or 304, or no ``Content-Length``
    only when the body is closed; Werkzeug's test client leaves that to the
    test, so an unread redirect would keep its transaction open. Real servers
    always close the body. (Reported as a framework issue.)
    """

    def open(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Tocsin, driver: str) -> TestClient:
    return BufferedClient(app, app.response_class, driver=driver)


def query(app: Tocsin, sql: str, *args: t.Any) -> list[tuple[t.Any, ...]]:
    """Rows read straight from the demo's database file, outside any request."""
    with sqlite3.connect(app.config["DATABASE"]) as db:
        rows = db.execute(sql, args).fetchall()
    db.close()
    return rows


def sign_in(client: TestClient, name: str = "ann", password: str = "secret") -> t.Any:
    form = {"name": name, "password": password}
    return client.post("/auth/signin", data=form, follow_redirects=True)


def flashes(html: str) -> list[str]:
    return re.findall(r'<li class="flash [a-z]+" role="status">([^<]*)</li>', html)


# -- signing in ----------------------------------------------------------------------


def test_sign_in_creates_the_account_then_checks_the_password(
    client: TestClient, app: Tocsin
) -> None:
    page = sign_in(client)
    assert page.status_code == 200
    assert flashes(page.text) == ["Welcome, ann! Your account is ready."]
    assert "Signed in as <strong>ann</strong>" in page.text
    stored = query(app, "SELECT name, password_hash FROM user")
    ((name, password_hash),) = stored
    assert name == "ann" and password_hash.startswith("pbkdf2:") and "secret" not in password_hash

    out = client.post("/auth/signout", follow_redirects=True)
    assert flashes(out.text) == ["You are signed out."]
    assert "Signed in as" not in out.text

    wrong = sign_in(client, password="guess")
    assert wrong.status_code == 400
    assert flashes(wrong.text) == ["Wrong password for that name."]
    assert flashes(sign_in(client).text) == ["Welcome back, ann."]


def test_the_signed_in_user_is_loaded_into_g(client: TestClient) -> None:
    sign_in(client)
    with client:
        client.get("/")
        from tocsin import g

        assert g.user["name"] == "ann"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": " ", "password": "x"}, "Your name is required."),
        ({"name": "n" * 41, "password": "x"}, "Names are at most 40 characters."),
        ({"name": "bob", "password": ""}, "A password is required."),
    ],
)
def test_sign_in_form_errors(
    client: TestClient, app: Tocsin, form: dict[str, str], message: str
) -> None:
    page = client.post("/auth/signin", data=form)
    assert page.status_code == 400
    assert flashes(page.text) == [message]
    assert query(app, "SELECT count(*) FROM user") == [(0,)]


# -- notes ------------------------------------------------------------------------------


def test_create_a_note_flash_list_and_audit(client: TestClient, app: Tocsin) -> None:
    sign_in(client)
    posted = client.post("/notes", data={"text": "First!"})
    assert posted.status_code == 302 and posted.headers["Location"] == "/"
    page = client.get("/")
    assert flashes(page.text) == ["Note #1 saved."]
    assert '<p class="text">First!</p>' in page.text
    assert flashes(client.get("/").text) == []  # a flash shows once

    client.post("/notes", data={"text": "Second"})
    page = client.get("/").text
    assert page.index("Second") < page.index("First!")  # newest first

    assert query(app, "SELECT actor, action, note_id, summary FROM audit ORDER BY id") == [
        ("ann", "created", 1, "First!"),
        ("ann", "created", 2, "Second"),
    ]
    audit = client.get("/audit").text
    assert audit.count('<tr class="audit-row">') == 2
    assert "<td>Second</td>" in audit


def test_note_text_is_escaped(client: TestClient) -> None:
    sign_in(client)
    client.post("/notes", data={"text": "<script>alert(1)</script>"})
    page = client.get("/").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_creating_a_note_needs_a_signed_in_user(client: TestClient, app: Tocsin) -> None:
    sent = client.post("/notes", data={"text": "anonymous"})
    assert sent.status_code == 302 and sent.headers["Location"] == "/auth/signin"
    assert flashes(client.get("/auth/signin").text) == ["Sign in to do that."]
    assert query(app, "SELECT count(*) FROM note") == [(0,)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "Write something first: a note cannot be empty."),
        ("x" * 501, "Notes are at most 500 characters; this one has 501."),
    ],
)
def test_bad_notes_are_refused_with_a_flash(
    client: TestClient, app: Tocsin, text: str, message: str
) -> None:
    sign_in(client)
    page = client.post("/notes", data={"text": text})
    assert page.status_code == 400
    assert flashes(page.text) == [message]
    assert query(app, "SELECT count(*) FROM note") == [(0,)]


def test_only_the_author_deletes_a_note(client: TestClient, app: Tocsin) -> None:
    sign_in(client, "ann")
    client.post("/notes", data={"text": "ann's note"})
    client.post("/auth/signout")
    sign_in(client, "bob")

    refused = client.post("/notes/1/delete")
    assert refused.status_code == 403
    assert "<h1>403 Forbidden</h1>" in refused.text  # the app's error page
    assert "Only the author of a note can delete it." in refused.text
    assert query(app, "SELECT text FROM note") == [("ann's note",)]
    assert client.post("/notes/9/delete").status_code == 404

    client.post("/auth/signout")
    sign_in(client, "ann")
    done = client.post("/notes/1/delete", follow_redirects=True)
    assert flashes(done.text) == ["Note #1 deleted."]
    assert query(app, "SELECT count(*) FROM note") == [(0,)]
    assert query(app, "SELECT actor, action FROM audit ORDER BY id") == [
        ("ann", "created"),
        ("ann", "deleted"),
    ]


# -- the JSON API -------------------------------------------------------------------


def test_api_create_list_get_delete(client: TestClient) -> None:
    assert client.get("/api/notes").json == {"notes": []}
    sign_in(client)
    created = client.post("/api/notes", json={"text": "  via the API "})
    assert created.status_code == 201
    note = created.json
    assert note["text"] == "via the API" and note["author"] == "ann" and note["id"] == 1
    assert created.headers["Location"] == note["url"] == "/api/notes/1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", note["created"])
    assert created.headers["Cache-Control"] == "no-store"

    assert client.get("/api/notes").json == {"notes": [note]}
    assert client.get("/api/notes/1").json == note
    assert client.delete("/api/notes/1").status_code == 204
    assert client.get("/api/notes").json == {"notes": []}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"data": b"{not json", "content_type": "application/json"}, "Send a JSON object"),
        ({"json": ["text"]}, "Send a JSON object"),
        ({"json": {"title": "x"}}, 'with a "text" field'),
        ({"json": {"text": ""}}, "a note cannot be empty"),
        ({"json": {"text": 5}}, "The note's text must be a string."),
        ({"data": "text=form", "content_type": "application/x-www-form-urlencoded"}, "JSON object"),
    ],
)
def test_api_bad_input_is_a_json_400(
    client: TestClient, app: Tocsin, body: dict[str, t.Any], message: str
) -> None:
    sign_in(client)
    response = client.post("/api/notes", **body)
    assert response.status_code == 400
    assert response.json["error"] == "Bad Request" and response.json["status"] == 400
    assert message in response.json["message"]
    assert query(app, "SELECT count(*) FROM note") == [(0,)]


def test_api_errors_are_json(client: TestClient) -> None:
    missing = client.get("/api/notes/42")
    assert missing.status_code == 404
    assert missing.json == {"error": "Not Found", "message": "There is no note #42.", "status": 404}

    anonymous = client.post("/api/notes", json={"text": "hi"})
    assert anonymous.status_code == 401 and anonymous.json["error"] == "Unauthorized"

    sign_in(client, "ann")
    client.post("/api/notes", json={"text": "mine"})
    client.post("/auth/signout")
    sign_in(client, "bob")
    forbidden = client.delete("/api/notes/1")
    assert forbidden.status_code == 403 and forbidden.json["error"] == "Forbidden"

    nowhere = client.get("/api/nowhere")  # no API view matched: the app handler answers in JSON
    assert nowhere.status_code == 404 and nowhere.json["status"] == 404
    wrong_method = client.put("/api/notes")
    assert wrong_method.status_code == 405 and wrong_method.json["error"] == "Method Not Allowed"


# -- errors, and the rollback -----------------------------------------------------------


def test_the_404_page_uses_the_layout(client: TestClient) -> None:
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    assert "<h1>404 Not Found</h1>" in page.text
    assert 'href="/static/style.css"' in page.text  # the base layout


def _fail(sender: Tocsin, **kwargs: t.Any) -> None:
    raise RuntimeError("the disk is full")


def test_a_failing_request_writes_nothing_and_propagates_in_testing(
    client: TestClient, app: Tocsin
) -> None:
    sign_in(client)
    # connected after the audit receiver: the note and its audit row are written, then this fails
    failing = note_created.connected_to(_fail, sender=app)
    with failing, pytest.raises(RuntimeError, match="disk is full"):
        client.post("/notes", data={"text": "doomed"})
    assert query(app, "SELECT count(*) FROM note") == [(0,)]
    assert query(app, "SELECT count(*) FROM audit") == [(0,)]
    assert client.get("/").status_code == 200  # and the next request is fine


def test_a_failing_request_gets_the_500_page_and_is_rolled_back(
    client: TestClient, app: Tocsin
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    sign_in(client)
    client.post("/api/notes", json={"text": "kept"})
    with note_created.connected_to(_fail, sender=app):
        page = client.post("/notes", data={"text": "doomed"})
        api = client.post("/api/notes", json={"text": "doomed too"})
    assert page.status_code == 500
    assert "<h1>500 Internal Server Error</h1>" in page.text
    assert api.status_code == 500 and api.json["error"] == "Internal Server Error"
    assert query(app, "SELECT text FROM note") == [("kept",)]
    assert query(app, "SELECT summary FROM audit") == [("kept",)]
    trace = app.extensions["notes.tracer"].last
    assert "handle_exception" in trace.ran  # the error path is step 9
    assert trace.status == 500


# -- the lifecycle, in DevTools (/_tocsin/) -------------------------------------------------

LINK_BAR = "tocsin.devtools._link_bar.add_link_bar"


def ran(trace: dict[str, t.Any]) -> list[str]:
    """The names of the steps a trace (of ``/_tocsin/traces.json``) ran, in order."""
    return [name for s in trace["steps"] if s["outcome"] == "ran" for name in s["covers"]]


def flat(trace: dict[str, t.Any]) -> list[tuple[str, str, str]]:
    """Each step that ran, call and signal of a trace as it began (receivers' calls left out)."""
    out: list[tuple[str, str, str]] = []

    def walk(nodes: list[dict[str, t.Any]]) -> None:
        for node in nodes:
            if node["type"] == "call":
                out.append(("call", node["kind"], node["name"]))
                walk(node["children"])
            else:
                out.append(("signal", node["signal"], str(len(node["receivers"]))))

    for step in trace["steps"]:
        if step["outcome"] == "ran":
            out.append(("step", step["name"], ""))
            walk(step["children"])
    return out


def test_devtools_json_lists_the_steps_of_previous_requests_in_order(
    client: TestClient,
) -> None:
    client.get("/")  # the first request also runs before_first_request
    client.get("/static/style.css")
    client.get("/")
    client.get("/_tocsin/")  # DevTools' own requests are not listed
    traces = client.get("/_tocsin/traces.json").json["traces"]
    assert [(tr["method"], tr["path"], tr["status"]) for tr in traces] == [
        ("GET", "/", 200),
        ("GET", "/static/style.css", 200),
        ("GET", "/", 200),
    ]
    newest, _, first = traces
    assert ran(newest) == ran(first) == ORDINARY_STEPS
    assert [s["name"] for s in newest["steps"] if s["outcome"] == "skipped"] == list(SKIPPED)
    timed = [s for s in newest["steps"] if s["outcome"] == "ran"]
    assert all(s["duration_ms"] >= 0 for s in timed)
    assert newest["id"] > first["id"] and newest["url"] == f"/_tocsin/trace/{newest['id']}"

    shown = ("before_request", "dispatch", "after_request")
    sessions = "tocsin.sessions.SecureCookieSessionInterface"
    assert [e for e in flat(newest) if e[0] != "step" or e[1] in shown] == [
        ("step", "before_request", ""),
        ("call", "before_request", "notes.auth.load_logged_in_user"),
        ("call", "session_open", f"{sessions}.open_session"),
        ("step", "dispatch", ""),
        ("call", "view", "notes.views.index"),
        ("call", "render", "notes/index.html"),
        ("call", "context_processor", "tocsin.templating._default_template_ctx_processor"),
        ("call", "context_processor", "notes.nav"),
        ("step", "after_request", ""),
        ("call", "after_request", "notes.security_headers"),
        ("call", "after_request", LINK_BAR),  # registered before the app's: runs after it
        ("call", "session_save", f"{sessions}.save_session"),
        ("signal", "request-finished", "1"),
        ("call", "teardown_appcontext", "notes.db.close_db"),
    ]


def test_devtools_shows_blueprint_hooks_and_the_custom_signal(client: TestClient) -> None:
    sign_in(client)
    client.post("/api/notes", json={"text": "traced"})
    post = client.get("/_tocsin/traces.json").json["traces"][0]
    assert (post["method"], post["path"], post["status"]) == ("POST", "/api/notes", 201)
    sessions = "tocsin.sessions.SecureCookieSessionInterface"
    assert [e for e in flat(post) if e[0] != "step"] == [
        ("call", "before_request", "notes.auth.load_logged_in_user"),
        ("call", "session_open", f"{sessions}.open_session"),
        ("call", "view", "notes.api.create_note"),
        ("signal", "note-created", "1"),  # the audit receiver
        ("call", "after_request", "notes.api.no_store"),  # blueprint first,
        ("call", "after_request", "notes.security_headers"),  # then the app
        ("call", "after_request", LINK_BAR),  # (JSON: left alone)
        ("call", "session_save", f"{sessions}.save_session"),
        ("signal", "request-finished", "1"),
        ("call", "teardown_appcontext", "notes.db.close_db"),
    ]


def test_devtools_pages_show_a_request_and_hide_their_own(client: TestClient) -> None:
    client.get("/audit")
    client.get("/_tocsin/")
    page = client.get("/_tocsin/").text
    (number,) = re.findall(r'<a class="id" href="/_tocsin/trace/(\d+)">', page)
    assert "<code>/audit</code>" in page and "1 of 1 kept requests" in page
    waterfall = client.get(f"/_tocsin/trace/{number}").text
    names = re.findall(r'<code class="step-name">(\w+)</code>', waterfall)
    assert names == ALL_STEPS  # a row for each step, ran or skipped
    assert "notes.views.audit" in waterfall and "notes.db.close_db" in waterfall
    assert "notes.events.count_response" in waterfall  # request-finished's receiver

    everything = client.get("/_tocsin/?own=1").text
    assert "4 of 4 kept requests" in everything  # never the page being rendered
    paths = [tr["path"] for tr in client.get("/_tocsin/traces.json?own=1").json["traces"]]
    assert paths == ["/_tocsin/", f"/_tocsin/trace/{number}", "/_tocsin/", "/_tocsin/", "/audit"]


def test_devtools_is_for_this_machine_only(app: Tocsin, client: TestClient) -> None:
    away = {"REMOTE_ADDR": "192.0.2.7"}
    assert client.get("/_tocsin/").status_code == 200
    assert client.get("/_tocsin/", environ_base=away).status_code == 404
    assert "tocsin-devtools-bar" in client.get("/audit").text
    assert "tocsin-devtools-bar" not in client.get("/audit", environ_base=away).text
    assert app.debug is False  # (allowed out of debug mode: the gate is the address)


def test_every_response_has_a_server_timing_header(client: TestClient) -> None:
    timing = client.get("/").headers["Server-Timing"]
    names = [part.split(";")[0] for part in timing.split(", ")]
    assert names[:2] == ["push_app_context", "match_url"]  # steps 1 and 2: one call
    assert "dispatch" in names and "request_finished" in names and names[-1] == "total"
    assert re.fullmatch(r"(\w+;dur=\d+\.\d{3})(, \w+;dur=\d+\.\d{3})*", timing)


# -- layout, static files, filters, config, CLI, ASGI entry ------------------------------


def test_layout_nav_and_static_css(client: TestClient) -> None:
    page = client.get("/audit")
    assert '<a href="/audit" class="active" aria-current="page">Audit log</a>' in page.text
    assert '<a href="/_tocsin/">DevTools</a>' in page.text
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    css = client.get("/static/style.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert b".flash" in css.data


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "just now"),
        (42, "42 seconds ago"),
        (60, "1 minute ago"),
        (7300, "2 hours ago"),
        (86400 * 3, "3 days ago"),
    ],
)
def test_timeago_filter(seconds: int, text: str) -> None:
    assert timeago(1000.0, now=1000.0 + seconds) == text


def test_config_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NOTES_SECRET_KEY", "from env")
    monkeypatch.setenv("NOTES_INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app()
    assert app.config["SECRET_KEY"] == "from env"
    assert app.instance_path == str(tmp_path / "inst")
    assert app.config["DATABASE"] == str(tmp_path / "inst" / "notes.sqlite3")


def test_init_db_command(app: Tocsin, client: TestClient) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Created the tables in" in result.output
    sign_in(client)
    client.post("/notes", data={"text": "gone soon"})
    result = runner.invoke(args=["init-db", "--drop"])
    assert "Emptied and created" in result.output
    assert query(app, "SELECT count(*) FROM note") == [(0,)]


def test_the_asgi_module_serves_the_demo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NOTES_INSTANCE_PATH", str(tmp_path))
    spec = importlib.util.spec_from_file_location("notes_asgi_entry", EXAMPLE / "asgi.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    async def fetch() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=module.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as http:
            return await http.get("/"), await http.get("/api/notes")

    page, api = asyncio.run(fetch())
    assert page.status_code == 200 and "Tocsin notes" in page.text
    assert "dispatch;dur=" in page.headers["server-timing"]
    assert api.json() == {"notes": []}


def test_tocsin_signals_lists_the_demos_own_namespace(
    app: Tocsin, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tocsin.cli import cli

    for name in ("TOCSIN_RUN_FROM_CLI", "FLASK_RUN_FROM_CLI"):  # (the group sets them)
        monkeypatch.setenv(name, "recorded")
        monkeypatch.delenv(name)
    result = app.test_cli_runner().invoke(cli, ["signals"])
    assert result.exit_code == 0, result.output
    rows = [" ".join(line.split()) for line in result.output.splitlines()[2:]]
    assert [row for row in rows if row.split()[1] == "notes.events.events"] == [
        "note-created notes.events.events 1 0 partial(_record_watched)"
        " tocsin.tracing._record sync any",
        "note-created notes.events.events 2 0 audit_created notes.events sync app",
        "note-deleted notes.events.events 1 0 partial(_record_watched)"
        " tocsin.tracing._record sync any",
        "note-deleted notes.events.events 2 0 audit_deleted notes.events sync app",
    ]
