"""Sessions: the signed cookie, its settings, key rotation, refresh, Vary, bad cookies."""

from __future__ import annotations

import datetime
import hashlib
import json
import time
import typing as t
import uuid
from collections import OrderedDict

import flask
import flask.json.tag as flask_tag
import flask.sessions
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from markupsafe import Markup
from werkzeug.http import parse_date

from custom_tags import FlaskTagOrderedDict, TagOrderedDict
from tocsin import Tocsin, render_template_string, session
from tocsin.json.tag import TaggedJSONSerializer
from tocsin.sessions import (
    NullSession,
    SecureCookieSession,
    SecureCookieSessionInterface,
    SessionInterface,
    SessionMixin,
    session_json_serializer,
)
from tocsin.testing import TestClient
from tocsin.wrappers import Request, Response


def cookie_value(response: t.Any, name: str = "session") -> str:
    """The value of the one Set-Cookie header of *response* (which must set *name*)."""
    (header,) = response.headers.getlist("Set-Cookie")
    assert header.startswith(f"{name}=")
    return str(header.partition("=")[2].partition(";")[0])


def cookie_attributes(response: t.Any) -> str:
    """The one Set-Cookie header of *response* with its value left out."""
    (header,) = response.headers.getlist("Set-Cookie")
    name, _, rest = header.partition("=")
    return f"{name}=...{rest[rest.find(';') :] if ';' in rest else ''}"


def signer(secret_key: str, *fallbacks: str) -> URLSafeTimedSerializer:
    """A serializer like the default session interface's, for the given keys."""
    app = Tocsin("signer", root_path="/nonexistent")
    app.config.update(SECRET_KEY=secret_key, SECRET_KEY_FALLBACKS=list(fallbacks))
    rv = SecureCookieSessionInterface().get_signing_serializer(app)
    assert rv is not None
    return rv


@pytest.fixture
def app(app: Tocsin) -> Tocsin:
    """The conftest app with views that write, read and ignore the session."""

    @app.route("/set/<key>/<value>")
    def set_value(key: str, value: str) -> str:
        session[key] = value
        return "set"

    @app.route("/get/<key>")
    def get_value(key: str) -> str:
        return repr(session.get(key))

    @app.route("/dump")
    def dump() -> str:
        return repr(sorted(session.items()))

    @app.route("/permanent")
    def permanent() -> str:
        session.permanent = True
        session["p"] = 1
        return "permanent"

    @app.route("/untouched")
    def untouched() -> str:
        return "untouched"

    @app.route("/clear")
    def clear() -> str:
        session.clear()
        return "cleared"

    return app


# -- the cookie ------------------------------------------------------------------------------


def test_round_trip(client: TestClient) -> None:
    response = client.get("/set/name/ada")
    assert response.data == b"set"
    assert cookie_attributes(response) == "session=...; HttpOnly; Path=/"
    assert response.headers["Vary"] == "Cookie"
    assert signer("test key").loads(cookie_value(response)) == {"name": "ada"}
    assert client.get("/get/name").data == b"'ada'"
    assert client.get("/get/other").data == b"None"


def test_session_is_a_secure_cookie_session(app: Tocsin, client: TestClient) -> None:
    seen: list[t.Any] = []

    @app.route("/type")
    def session_type() -> str:
        seen.append(session._get_current_object())  # type: ignore[attr-defined]
        return ""

    client.get("/type")
    (obj,) = seen
    assert type(obj) is SecureCookieSession
    assert isinstance(obj, SessionMixin)
    assert obj.permanent is False
    assert obj.new is False


def test_all_cookie_settings(app: Tocsin, client: TestClient) -> None:
    app.config.update(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.test",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_HTTPONLY=False,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PARTITIONED=True,
    )
    response = client.get("/set/a/1", base_url="https://example.test")
    assert cookie_attributes(response) == (
        "sid=...; Domain=example.test; Secure; Path=/app; SameSite=Lax; Partitioned"
    )
    assert signer("test key").loads(cookie_value(response, "sid")) == {"a": "1"}
    response = client.get(
        "/clear",
        base_url="https://example.test",
        headers={"Cookie": f"sid={cookie_value(response, 'sid')}"},
    )
    assert response.headers.getlist("Set-Cookie") == [
        "sid=; Domain=example.test; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure;"
        " Path=/app; SameSite=Lax; Partitioned"
    ]


@pytest.mark.parametrize(("samesite", "expected"), [("Strict", "Strict"), ("None", "None")])
def test_samesite_values(app: Tocsin, client: TestClient, samesite: str, expected: str) -> None:
    app.config["SESSION_COOKIE_SAMESITE"] = samesite
    response = client.get("/set/a/1")
    assert cookie_attributes(response) == f"session=...; HttpOnly; Path=/; SameSite={expected}"


def test_cookie_path_defaults_to_application_root(app: Tocsin, client: TestClient) -> None:
    app.config["APPLICATION_ROOT"] = "/root"
    response = client.get("/set/a/1")
    assert cookie_attributes(response) == "session=...; HttpOnly; Path=/root"


def test_cookie_name_is_read_back(app: Tocsin, client: TestClient) -> None:
    app.config["SESSION_COOKIE_NAME"] = "my_session"
    response = client.get("/set/a/1")
    assert cookie_attributes(response) == "my_session=...; HttpOnly; Path=/"
    assert client.get("/get/a").data == b"'1'"


def test_clear_deletes_cookie(client: TestClient) -> None:
    client.get("/set/a/1")
    response = client.get("/clear")
    assert response.headers.getlist("Set-Cookie") == [
        "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/"
    ]
    assert response.headers["Vary"] == "Cookie"
    assert client.get("/get/a").data == b"None"


def test_clearing_an_empty_session_still_deletes_the_cookie(client: TestClient) -> None:
    # clear() marks the session modified even when it was empty, as in Flask.
    response = client.get("/clear")
    assert response.headers.getlist("Set-Cookie") == [
        "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/"
    ]


def test_mutating_a_value_needs_modified(app: Tocsin, client: TestClient) -> None:
    @app.route("/init")
    def init() -> str:
        session["items"] = [1]
        return ""

    @app.route("/append-silently")
    def append_silently() -> str:
        session["items"].append(2)
        return ""

    @app.route("/append-modified")
    def append_modified() -> str:
        session["items"].append(3)
        session.modified = True
        return ""

    client.get("/init")
    assert client.get("/append-silently").headers.getlist("Set-Cookie") == []
    assert client.get("/get/items").data == b"[1]"
    assert client.get("/append-modified").headers.getlist("Set-Cookie") != []
    assert client.get("/get/items").data == b"[1, 3]"


# -- permanent sessions and refresh --------------------------------------------------------------


def test_browser_session_cookie_has_no_expiry(client: TestClient) -> None:
    response = client.get("/set/a/1")
    assert "Expires" not in response.headers["Set-Cookie"]


@pytest.mark.parametrize(
    "lifetime", [datetime.timedelta(hours=2), 7200], ids=["timedelta", "seconds"]
)
def test_permanent_session_expires(app: Tocsin, client: TestClient, lifetime: t.Any) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = lifetime
    assert app.permanent_session_lifetime == datetime.timedelta(hours=2)
    before = int(time.time())
    response = client.get("/permanent")
    after = int(time.time())
    header = response.headers["Set-Cookie"]
    assert cookie_attributes(response).startswith("session=...; Expires=")
    assert cookie_attributes(response).endswith(" GMT; HttpOnly; Path=/")
    expires = parse_date(header.split("Expires=")[1].split(";")[0])
    assert expires is not None
    assert before + 7200 <= expires.timestamp() <= after + 7200
    assert signer("test key").loads(cookie_value(response)) == {"_permanent": True, "p": 1}


def test_refresh_each_request_resends_permanent_session(client: TestClient) -> None:
    first = cookie_value(client.get("/permanent"))
    response = client.get("/untouched")
    assert response.data == b"untouched"
    assert cookie_attributes(response).startswith("session=...; Expires=")
    assert signer("test key").loads(cookie_value(response)) == {"_permanent": True, "p": 1}
    assert response.headers["Vary"] == "Cookie"
    assert signer("test key").loads(first) == signer("test key").loads(cookie_value(response))


def test_refresh_is_resigned_with_a_new_timestamp(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.get("/permanent")
    now = int(time.time())
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now + 100)
    response = client.get("/untouched")
    _, timestamp = signer("test key").loads(cookie_value(response), return_timestamp=True)
    assert int(timestamp.timestamp()) == now + 100


def test_no_refresh_when_disabled(app: Tocsin, client: TestClient) -> None:
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    client.get("/permanent")
    response = client.get("/untouched")
    assert response.headers.getlist("Set-Cookie") == []
    assert "Vary" not in response.headers
    assert client.get("/get/p").data == b"1"


def test_no_refresh_for_browser_session(client: TestClient) -> None:
    client.get("/set/a/1")
    response = client.get("/untouched")
    assert response.headers.getlist("Set-Cookie") == []
    assert "Vary" not in response.headers


def test_no_session_work_without_cookie(client: TestClient) -> None:
    response = client.get("/untouched")
    assert response.headers.getlist("Set-Cookie") == []
    assert "Vary" not in response.headers


def test_refresh_with_custom_cookie_name(app: Tocsin, client: TestClient) -> None:
    app.config["SESSION_COOKIE_NAME"] = "sid"
    client.get("/permanent")
    response = client.get("/untouched")
    assert cookie_attributes(response).startswith("sid=...; Expires=")


# -- accessed, modified and Vary ---------------------------------------------------------------


@pytest.mark.parametrize(
    "read",
    [
        lambda: session.get("a"),
        lambda: session["a"] if "a" in session else None,  # noqa: SIM401
        lambda: "a" in session,
        lambda: len(session),
        lambda: bool(session),
        lambda: list(session),
        lambda: list(session.keys()),
        lambda: list(session.values()),
        lambda: list(session.items()),
        lambda: session.permanent,
    ],
    ids=["get", "getitem", "in", "len", "bool", "iter", "keys", "values", "items", "permanent"],
)
def test_reading_adds_vary_cookie(
    app: Tocsin, client: TestClient, read: t.Callable[[], t.Any]
) -> None:
    @app.route("/read")
    def read_view() -> str:
        read()
        return "read"

    response = client.get("/read")
    assert response.headers["Vary"] == "Cookie"
    assert response.headers.getlist("Set-Cookie") == []


def test_modified_and_accessed_flags(app: Tocsin, client: TestClient) -> None:
    flags: list[tuple[bool, bool]] = []

    @app.route("/flags")
    def flags_view() -> str:
        s = session._get_current_object()  # type: ignore[attr-defined]
        flags.append((s.modified, s.accessed))
        s.get("a")
        flags.append((s.modified, s.accessed))
        s["a"] = 1
        flags.append((s.modified, s.accessed))
        return ""

    client.get("/flags")
    # Reaching the session through the proxy is an access already, as in Flask 3.1.3.
    assert flags == [(False, True), (False, True), (True, True)]


@pytest.mark.parametrize(
    "read",
    [
        lambda: render_template_string("{{ session }}"),
        lambda: repr(session),
        lambda: str(session == {"a": "1"}),
        lambda: str(session.modified),
    ],
    ids=["template", "repr", "compare", "attribute"],
)
def test_every_access_through_the_proxy_varies_on_the_cookie(
    app: Tocsin, client: TestClient, read: t.Callable[[], str]
) -> None:
    app.add_url_rule("/read", "read", read)
    client.get("/set/a/1")
    assert client.get("/read").headers["Vary"] == "Cookie"


def test_untouched_session_has_no_vary(client: TestClient) -> None:
    client.get("/set/a/1")
    response = client.get("/untouched")
    assert "Vary" not in response.headers


# -- bad cookies ----------------------------------------------------------------------------------


def _valid_cookie() -> str:
    return signer("test key").dumps({"a": "1"})


def _tampered_signature() -> str:
    # Change the first character of the signature: all six of its bits count (the
    # last one carries padding bits, so changing it may leave the signature valid).
    payload, _, sig = _valid_cookie().rpartition(".")
    return f"{payload}.{'B' if sig[0] == 'A' else 'A'}{sig[1:]}"


@pytest.mark.parametrize(
    "cookie",
    [
        pytest.param(_tampered_signature, id="tampered-signature"),
        pytest.param(
            lambda: "eyJhIjoiMiJ9" + _valid_cookie()[_valid_cookie().index(".") :],
            id="tampered-payload",
        ),
        pytest.param(lambda: _valid_cookie()[: len(_valid_cookie()) // 2], id="truncated"),
        pytest.param(lambda: _valid_cookie().rpartition(".")[0], id="no-signature"),
        pytest.param(lambda: "garbage", id="garbage"),
        pytest.param(lambda: "a.b.c", id="dots"),
        pytest.param(lambda: "...", id="only-dots"),
        pytest.param(lambda: "%%%", id="percent"),
        pytest.param(lambda: "\u00e9t\u00e9", id="non-ascii"),
        pytest.param(lambda: signer("another key").dumps({"a": "1"}), id="other-key"),
        pytest.param(lambda: signer("test key").dumps([1, 2]), id="not-a-dict"),
        pytest.param(lambda: signer("test key").dumps("text"), id="a-string"),
        pytest.param(
            lambda: signer("test key").make_signer().sign(b"!!not base64!!").decode(),
            id="bad-payload",
        ),
        pytest.param(
            lambda: signer("test key").make_signer().sign(b"bm90IGpzb24").decode(),
            id="not-json",
        ),
    ],
)
def test_bad_cookie_gives_empty_session(client: TestClient, cookie: t.Callable[[], str]) -> None:
    client.set_cookie("session", cookie())
    response = client.get("/dump")
    assert response.status_code == 200
    assert response.data == b"[]"
    assert response.headers.getlist("Set-Cookie") == []
    # And the session can be written over it.
    response = client.get("/set/b/2")
    assert signer("test key").loads(cookie_value(response)) == {"b": "2"}


def test_valid_cookie_is_read(client: TestClient) -> None:
    client.set_cookie("session", _valid_cookie())
    assert client.get("/dump").data == b"[('a', '1')]"


def test_expired_cookie_gives_empty_session(
    app: Tocsin, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = 60
    hour_ago = int(time.time()) - 3600
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: hour_ago)
        old = signer("test key").dumps({"a": "1"})
    client.set_cookie("session", old)
    response = client.get("/dump")
    assert response.status_code == 200
    assert response.data == b"[]"
    app.config["PERMANENT_SESSION_LIFETIME"] = 7200
    assert client.get("/dump").data == b"[('a', '1')]"


# -- secret keys -----------------------------------------------------------------------------------


def test_key_rotation_with_fallbacks(app: Tocsin, client: TestClient) -> None:
    app.config.update(SECRET_KEY="new key", SECRET_KEY_FALLBACKS=["older key", "old key"])
    client.set_cookie("session", signer("old key").dumps({"a": "from old"}))
    assert client.get("/get/a").data == b"'from old'"
    client.set_cookie("session", signer("older key").dumps({"a": "from older"}))
    assert client.get("/get/a").data == b"'from older'"
    response = client.get("/set/b/2")
    value = cookie_value(response)
    assert signer("new key").loads(value) == {"a": "from older", "b": "2"}
    with pytest.raises(Exception, match="does not match"):
        signer("old key").loads(value)


def test_old_key_without_fallback_is_rejected(app: Tocsin, client: TestClient) -> None:
    app.config["SECRET_KEY"] = "new key"
    client.set_cookie("session", signer("old key").dumps({"a": "1"}))
    assert client.get("/get/a").data == b"None"


def test_changing_keys_between_requests(app: Tocsin, client: TestClient) -> None:
    client.get("/set/a/1")
    app.config["SECRET_KEY"] = "rotated"
    assert client.get("/get/a").data == b"None"
    app.config["SECRET_KEY_FALLBACKS"] = ["test key"]
    assert client.get("/get/a").data == b"'1'"


def test_bytes_secret_key(app: Tocsin, client: TestClient) -> None:
    app.secret_key = b"\x00binary key\xff"
    client.get("/set/a/1")
    assert client.get("/get/a").data == b"'1'"


def test_no_secret_key_reads_empty_and_refuses_writes(app: Tocsin, client: TestClient) -> None:
    app.config["SECRET_KEY"] = None
    seen: list[t.Any] = []

    @app.route("/null")
    def null() -> str:
        seen.append(session._get_current_object())  # type: ignore[attr-defined]
        return repr((session.get("a"), "a" in session, len(session), session.permanent))

    response = client.get("/null")
    assert response.data == b"(None, False, 0, False)"
    assert response.headers.getlist("Set-Cookie") == []
    assert isinstance(seen[0], NullSession)
    with pytest.raises(RuntimeError, match="no secret key was set") as info:
        client.get("/set/a/1")
    assert "app.secret_key" in str(info.value)
    assert "SECRET_KEY" in str(info.value)


@pytest.mark.parametrize(
    "write",
    [
        lambda s: s.__setitem__("a", 1),
        lambda s: s.__delitem__("a"),
        lambda s: s.clear(),
        lambda s: s.pop("a", None),
        lambda s: s.popitem(),
        lambda s: s.update(a=1),
        lambda s: s.setdefault("a", 1),
        lambda s: setattr(s, "permanent", True),
    ],
    ids=["setitem", "delitem", "clear", "pop", "popitem", "update", "setdefault", "permanent"],
)
def test_null_session_refuses_every_write(write: t.Callable[[NullSession], t.Any]) -> None:
    with pytest.raises(RuntimeError, match="no secret key was set"):
        write(NullSession())


def test_no_secret_key_write_is_a_500_when_not_testing(app: Tocsin, client: TestClient) -> None:
    app.config.update(SECRET_KEY=None, TESTING=False)
    assert client.get("/set/a/1").status_code == 500


# -- what the cookie can hold --------------------------------------------------------------------

VALUES: dict[str, t.Any] = {
    "tuple": (1, "two", (3.0, None)),
    "bytes": b"\x00\xffbinary",
    "markup": Markup("<b>bold</b>"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "datetime": datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.UTC),
    "nested": {"a": {"b": [1, (2, b"3")], "c": {"d": Markup("&")}}},
    "tag_key": {" t": [1, 2]},
    "tag_key_di": {" di": "x"},
    "tag_key_b": {" b": "not bytes"},
    "tag_like_key": {" t__": 1},
    "two_tag_keys": {" t": 1, " b": 2},
    "list_of_tuples": [(1, 2), (3, 4)],
    "unicode": "h\u00e9llo \u2603",
    "empty": {},
    "none_bool_float": [None, True, 1.5],
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_serializer_round_trip(name: str) -> None:
    value = VALUES[name]
    serializer = TaggedJSONSerializer()
    loaded = serializer.loads(serializer.dumps({"v": value}))
    assert loaded == {"v": value}
    assert type(loaded["v"]) is type(value)


def test_session_round_trips_types(app: Tocsin, client: TestClient) -> None:
    @app.route("/store")
    def store() -> str:
        session.update(VALUES)
        return ""

    loaded: dict[str, t.Any] = {}

    @app.route("/load")
    def load() -> str:
        loaded.update(session)
        return ""

    client.get("/store")
    client.get("/load")
    assert loaded == VALUES
    assert {k: type(v) for k, v in loaded.items()} == {k: type(v) for k, v in VALUES.items()}


def test_serializer_format_is_flasks(app: Tocsin) -> None:
    from flask.json.tag import TaggedJSONSerializer as FlaskSerializer

    data = {
        "t": (1,),
        "b": b"x",
        "m": Markup("<i>"),
        "u": uuid.UUID(int=1),
        "d": datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC),
        "k": {" t": 1},
        "n": {"x": [(b"",)]},
    }
    with app.app_context():  # the app's JSON provider sorts keys, as Flask's does
        dumped = TaggedJSONSerializer().dumps(data)
    assert dumped == (
        '{"b":{" b":"eA=="},"d":{" d":"Tue, 02 Jan 2024 00:00:00 GMT"},"k":{" di":{" t__":1}},'
        '"m":{" m":"<i>"},"n":{"x":[{" t":[{" b":""}]}]},"t":{" t":[1]},'
        '"u":{" u":"00000000000000000000000000000001"}}'
    )
    with flask.Flask("peer").app_context():
        assert FlaskSerializer().dumps(data) == dumped
    assert TaggedJSONSerializer().dumps(data) == FlaskSerializer().dumps(data)


def test_naive_datetime_is_read_back_as_utc() -> None:
    serializer = TaggedJSONSerializer()
    loaded = serializer.loads(serializer.dumps(datetime.datetime(2024, 1, 2, 3, 4, 5, 999)))
    assert loaded == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


def test_other_values_go_through_the_json_provider() -> None:
    import decimal

    serializer = TaggedJSONSerializer()
    loaded = serializer.loads(
        serializer.dumps({"d": decimal.Decimal("1.5"), "day": datetime.date(2024, 1, 2)})
    )
    assert loaded == {"d": "1.5", "day": "Tue, 02 Jan 2024 00:00:00 GMT"}


def test_unserializable_value_raises_type_error() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        TaggedJSONSerializer().dumps({"o": object()})


# -- Flask compatibility ---------------------------------------------------------------------------


def _flask_app() -> flask.Flask:
    app = flask.Flask("flask_peer")
    app.secret_key = "test key"
    return app


def test_reads_a_cookie_written_by_flask(client: TestClient) -> None:
    flask_app = _flask_app()
    flask_signer = flask_app.session_interface.get_signing_serializer(flask_app)  # type: ignore[attr-defined]
    data = {
        key: VALUES[key]
        for key in (
            "tuple",
            "bytes",
            "markup",
            "uuid",
            "datetime",
            "nested",
            "tag_key",
            "tag_key_di",
        )
    }
    client.set_cookie("session", flask_signer.dumps(data))
    loaded: dict[str, t.Any] = {}

    @client.app.route("/load")
    def load() -> str:
        loaded.update(session)
        return ""

    client.get("/load")
    assert loaded == data


def test_flask_reads_a_cookie_written_by_tocsin(app: Tocsin, client: TestClient) -> None:
    data = {
        key: VALUES[key]
        for key in (
            "tuple",
            "bytes",
            "markup",
            "uuid",
            "datetime",
            "nested",
            "tag_key",
            "tag_key_di",
        )
    }

    @app.route("/store")
    def store() -> str:
        session.update(data)
        return ""

    value = cookie_value(client.get("/store"))
    flask_app = _flask_app()
    flask_signer = flask_app.session_interface.get_signing_serializer(flask_app)  # type: ignore[attr-defined]
    with flask_app.app_context():
        assert flask_signer.loads(value) == data


# -- the serializer --------------------------------------------------------------------------------


def test_session_json_serializer_is_the_interfaces() -> None:
    assert isinstance(session_json_serializer, TaggedJSONSerializer)
    assert SecureCookieSessionInterface.serializer is session_json_serializer
    assert SecureCookieSessionInterface().serializer is session_json_serializer
    app = Tocsin("serializer", root_path="/nonexistent")
    assert app.session_interface.serializer is session_json_serializer  # type: ignore[attr-defined]
    assert type(flask.sessions.session_json_serializer).__name__ == "TaggedJSONSerializer"


class RawJSON:
    """An itsdangerous serializer that hands back the JSON text of the payload."""

    @staticmethod
    def dumps(obj: t.Any) -> str:
        return json.dumps(obj)

    @staticmethod
    def loads(s: str) -> str:
        return s


def _flask_app_with_od_tag() -> flask.Flask:
    flask_app = _flask_app()
    iface = flask.sessions.SecureCookieSessionInterface()
    iface.serializer = flask_tag.TaggedJSONSerializer()
    iface.serializer.register(FlaskTagOrderedDict, index=0)
    flask_app.session_interface = iface
    return flask_app


def test_custom_tag_at_index_0_round_trips_through_a_session(
    app: Tocsin, client: TestClient
) -> None:
    iface = SecureCookieSessionInterface()
    iface.serializer = TaggedJSONSerializer()
    iface.serializer.register(TagOrderedDict, index=0)
    app.session_interface = iface
    stored = OrderedDict([("z", (1, b"x")), ("a", [Markup("<b>")]), ("m", {" t": 1})])

    @app.route("/store")
    def store() -> str:
        session["od"] = stored
        session["plain"] = {"k": (2,)}
        return ""

    loaded: dict[str, t.Any] = {}

    @app.route("/load")
    def load() -> str:
        loaded.update(session)
        return ""

    value = cookie_value(client.get("/store"))
    client.get("/load")
    assert type(loaded["od"]) is OrderedDict
    assert list(loaded["od"].items()) == list(stored.items())
    assert type(loaded["od"]["z"]) is tuple
    assert loaded["plain"] == {"k": (2,)}
    raw = URLSafeTimedSerializer(
        "test key",
        salt="cookie-session",
        serializer=RawJSON,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    ).loads(value)
    assert raw == (
        '{"od":{" od":[["z",{" t":[1,{" b":"eA=="}]}],["a",[{" m":"<b>"}]],'
        '["m",{" di":{" t__":1}}]]},"plain":{"k":{" t":[2]}}}'
    )
    assert " od" not in session_json_serializer.tags  # the shared serializer is untouched

    # A Flask app with the same tag reads the cookie, and Tocsin reads Flask's.
    flask_app = _flask_app_with_od_tag()
    flask_signer = flask_app.session_interface.get_signing_serializer(flask_app)  # type: ignore[attr-defined]
    with flask_app.app_context():
        assert flask_signer.dumps(dict(loaded)).rsplit(".", 2)[0] == value.rsplit(".", 2)[0]
        from_flask = flask_signer.loads(value)
        assert type(from_flask["od"]) is OrderedDict
        assert from_flask == loaded
        client.set_cookie("session", flask_signer.dumps({"od": OrderedDict(b=(3,))}))
    loaded.clear()
    client.get("/load")
    assert loaded == {"od": OrderedDict(b=(3,))}
    assert type(loaded["od"]) is OrderedDict


# -- custom interfaces -----------------------------------------------------------------------------


class DictSession(dict[str, t.Any], SessionMixin):
    """A session kept in a server-side dict."""


class MemoryInterface(SessionInterface):
    """Sessions in memory, keyed by a ``sid`` cookie."""

    def __init__(self) -> None:
        self.store: dict[str, dict[str, t.Any]] = {}
        self.calls: list[str] = []

    def open_session(self, app: Tocsin, request: Request) -> DictSession | None:
        self.calls.append("open")
        sid = request.cookies.get("sid")
        if sid == "null":
            return None
        return DictSession(self.store.get(sid or "", {}))

    def save_session(self, app: Tocsin, session: SessionMixin, response: Response) -> None:
        self.calls.append("save")
        self.store["s1"] = dict(session)
        response.set_cookie("sid", "s1")


def test_custom_session_interface(app: Tocsin, client: TestClient) -> None:
    iface = MemoryInterface()
    app.session_interface = iface
    response = client.get("/set/a/1")
    assert response.headers.getlist("Set-Cookie") == ["sid=s1; Path=/"]
    assert iface.store == {"s1": {"a": "1"}}
    assert client.get("/get/a").data == b"'1'"
    assert iface.calls == ["open", "save", "open", "save"]


def test_custom_interface_returning_none_gives_null_session(
    app: Tocsin, client: TestClient
) -> None:
    iface = MemoryInterface()
    app.session_interface = iface
    client.set_cookie("sid", "null")
    assert client.get("/get/a").data == b"None"
    assert iface.calls == ["open"]  # a null session is never saved
    with pytest.raises(RuntimeError, match="no secret key was set"):
        client.get("/set/a/1")


def test_other_cookies_do_not_open_the_session(client: TestClient) -> None:
    client.get("/permanent")
    client.delete_cookie("session")
    client.set_cookie("theme", "dark")
    response = client.get("/untouched")
    assert response.headers.getlist("Set-Cookie") == []
    assert "Vary" not in response.headers


# -- ported from Flask's own session tests ---------------------------------------------------------


def test_session_vary_cookie_from_flask(app: Tocsin, client: TestClient) -> None:
    @app.route("/getitem")
    def getitem() -> str:
        return str(session["test"])

    @app.route("/setdefault")
    def setdefault() -> str:
        return str(session.setdefault("test", "default"))

    @app.route("/vary-cookie-header-set")
    def vary_cookie_header_set() -> Response:
        response = Response()
        response.vary.add("Cookie")
        session["test"] = "test"
        return response

    @app.route("/vary-header-set")
    def vary_header_set() -> Response:
        response = Response()
        response.vary.update(("Accept-Encoding", "Accept-Language"))
        session["test"] = "test"
        return response

    def expect(path: str, header_value: str | None = "Cookie") -> None:
        response = client.get(path)
        if header_value:
            assert len(response.headers.getlist("Vary")) == 1
            assert response.headers["Vary"] == header_value
        else:
            assert "Vary" not in response.headers

    expect("/set/test/test")
    expect("/get/test")
    expect("/getitem")
    expect("/setdefault")
    expect("/clear")
    expect("/vary-cookie-header-set")
    expect("/vary-header-set", "Accept-Encoding, Accept-Language, Cookie")
    expect("/untouched", None)


def test_session_stored_last(app: Tocsin, client: TestClient) -> None:
    @app.after_request
    def modify_session(response: Response) -> Response:
        session["foo"] = 42
        return response

    @app.route("/foo")
    def foo() -> str:
        return repr(session.get("foo"))

    assert client.get("/foo").data == b"None"
    assert client.get("/foo").data == b"42"


@pytest.mark.parametrize(
    ("is_permanent", "refresh", "expect_header"),
    [(True, True, True), (True, False, False), (False, True, False), (False, False, False)],
)
def test_session_cookie_setting_from_flask(
    app: Tocsin, driver: str, is_permanent: bool, refresh: bool, expect_header: bool
) -> None:
    app.config["SESSION_REFRESH_EACH_REQUEST"] = refresh

    @app.route("/bump")
    def bump() -> str:
        rv = session["foo"] = session.get("foo", 0) + 1
        session.permanent = is_permanent
        return str(rv)

    @app.route("/read")
    def read() -> str:
        return str(session.get("foo", 0))

    with app.test_client(driver=driver) as c:
        assert c.get("/bump").data == b"1"
        assert c.get("/bump").data == b"2"
        assert c.get("/bump").data == b"3"
        response = c.get("/read")
        assert (response.headers.get("Set-Cookie") is not None) == expect_header
        assert response.data == b"3"


class HeaderSavingInterface(SecureCookieSessionInterface):
    """A custom interface with work of its own on every request."""

    def save_session(self, app: Tocsin, session: t.Any, response: Response) -> None:
        response.headers["X-Saved"] = str(len(session))
        super().save_session(app, session, response)


def test_a_custom_interface_is_saved_on_every_request(client: TestClient) -> None:
    app = Tocsin("custom_iface", root_path="/nonexistent")
    app.config["SECRET_KEY"] = "k"
    app.session_interface = HeaderSavingInterface()
    app.add_url_rule("/untouched", "untouched", lambda: "ok")
    c = app.test_client(driver=client.driver)
    response = c.get("/untouched")  # no cookie, session never touched: saved all the same
    assert (response.headers.get("X-Saved"), "Set-Cookie" in response.headers) == ("0", False)


def test_only_the_stock_cookie_interface_skips_untouched_sessions() -> None:
    class Salted(SecureCookieSessionInterface):
        salt = "another salt"

    assert SecureCookieSessionInterface().saves_every_request() is False
    assert Salted().saves_every_request() is False  # settings only: still skipped
    assert HeaderSavingInterface().saves_every_request() is True
