"""JSON: jsonify, the app's provider, dict/list responses and request bodies."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import io
import typing as t
import uuid

import pytest

from tocsin import Tocsin, json, jsonify, request
from tocsin.json.provider import DefaultJSONProvider, JSONProvider
from tocsin.testing import TestClient
from tocsin.wrappers import Response


@dataclasses.dataclass
class Point:
    x: int
    y: str


class Markup:
    def __html__(self) -> str:
        return "<b>bold</b>"


def test_jsonify_kwargs(app: Tocsin) -> None:
    with app.app_context():
        rv = jsonify(b=1, a=[1, 2])
    assert rv.data == b'{"a":[1,2],"b":1}\n'
    assert rv.mimetype == "application/json"
    assert rv.headers["Content-Type"] == "application/json"
    assert rv.status_code == 200


@pytest.mark.parametrize(
    ("args", "body"),
    [
        ((1, 2, 3), b"[1,2,3]\n"),
        ((), b"null\n"),
        (("x",), b'"x"\n'),
        (({"z": "\u00fc"},), b'{"z":"\\u00fc"}\n'),
        (([],), b"[]\n"),
    ],
)
def test_jsonify_args(app: Tocsin, args: tuple[t.Any, ...], body: bytes) -> None:
    with app.app_context():
        assert jsonify(*args).data == body


def test_jsonify_args_and_kwargs(app: Tocsin) -> None:
    with (
        app.app_context(),
        pytest.raises(
            TypeError, match=r"app\.json\.response\(\) takes either args or kwargs, not both"
        ),
    ):
        jsonify(1, a=2)


def test_jsonify_outside_app_context() -> None:
    with pytest.raises(RuntimeError, match=r"app\.app_context\(\)"):
        jsonify(a=1)


def test_default_conversions(app: Tocsin) -> None:
    with app.app_context():
        rv = jsonify(
            d=datetime.date(2024, 1, 2),
            dt=datetime.datetime(2024, 1, 2, 3, 4, 5),
            u=uuid.UUID(int=1),
            dec=decimal.Decimal("1.10"),
            p=Point(1, "a"),
            m=Markup(),
        )
    assert rv.data == (
        b'{"d":"Tue, 02 Jan 2024 00:00:00 GMT","dec":"1.10","dt":"Tue, 02 Jan 2024 03:04:05 GMT",'
        b'"m":"<b>bold</b>","p":{"x":1,"y":"a"},"u":"00000000-0000-0000-0000-000000000001"}\n'
    )


def test_unserializable(app: Tocsin) -> None:
    with (
        app.app_context(),
        pytest.raises(TypeError, match="Object of type object is not JSON serializable"),
    ):
        jsonify(object())


def test_compact_unless_debug(app: Tocsin) -> None:
    with app.app_context():
        assert jsonify(b=1, a=[1, 2]).data == b'{"a":[1,2],"b":1}\n'
        app.debug = True
        assert jsonify(b=1, a=[1, 2]).data == b'{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'
        app.json.compact = True  # type: ignore[attr-defined]
        assert jsonify(b=1, a=[1, 2]).data == b'{"a":[1,2],"b":1}\n'
        app.debug = False
        app.json.compact = False  # type: ignore[attr-defined]
        assert jsonify(b=1, a=[1, 2]).data == b'{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'


def test_sort_keys_and_ensure_ascii(app: Tocsin) -> None:
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    with app.app_context():
        assert jsonify(b=1, a="\u00fc").data == '{"b":1,"a":"\u00fc"}\n'.encode()


def test_dict_and_list_return_values(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/d", "d", lambda: {"b": 1, "a": [1, 2]})
    app.add_url_rule("/l", "l", lambda: [3, {"y": None, "x": True}])
    app.add_url_rule("/s", "s", lambda: ({"created": True}, 201))
    d = client.get("/d")
    assert (d.status_code, d.mimetype, d.data) == (200, "application/json", b'{"a":[1,2],"b":1}\n')
    assert d.headers["Content-Length"] == "18"
    assert client.get("/l").data == b'[3,{"x":true,"y":null}]\n'
    s = client.get("/s")
    assert (s.status_code, s.json) == (201, {"created": True})


def test_dict_return_pretty_in_debug(app: Tocsin, client: TestClient) -> None:
    app.debug = True
    app.add_url_rule("/d", "d", lambda: {"a": 1})
    assert client.get("/d").data == b'{\n  "a": 1\n}\n'


def test_module_functions_use_app_provider(app: Tocsin) -> None:
    app.json.sort_keys = False  # type: ignore[attr-defined]
    with app.app_context():
        assert json.dumps({"b": 1, "a": 2}) == '{"b": 1, "a": 2}'
        assert json.loads(b'{"a": 1}') == {"a": 1}
        buffer = io.StringIO()
        json.dump({"u": uuid.UUID(int=2)}, buffer)
        assert buffer.getvalue() == '{"u": "00000000-0000-0000-0000-000000000002"}'
        assert json.load(io.StringIO("[1]")) == [1]


def test_module_functions_outside_app() -> None:
    assert json.dumps({"b": 1, "a": datetime.date(2024, 1, 2)}) == (
        '{"b": 1, "a": "Tue, 02 Jan 2024 00:00:00 GMT"}'
    )
    assert json.loads('{"a": [1]}') == {"a": [1]}


def test_request_get_json(app: Tocsin, client: TestClient) -> None:
    @app.post("/j")
    def j() -> dict[str, t.Any]:
        return {"got": request.get_json(), "is_json": request.is_json}

    rv = client.post("/j", json={"x": [1, "\u00fc"]})
    assert rv.status_code == 200
    assert rv.data == b'{"got":{"x":[1,"\\u00fc"]},"is_json":true}\n'
    assert rv.json == {"got": {"x": [1, "\u00fc"]}, "is_json": True}


def test_request_json_wrong_content_type_is_415(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/j", "j", lambda: {"got": request.get_json()}, methods=["POST"])
    rv = client.post("/j", data="{}", content_type="text/plain")
    assert rv.status_code == 415
    assert b"Content-Type was not &#39;application/json&#39;" in rv.data


def test_request_json_force(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/j", "j", lambda: {"got": request.get_json(force=True)}, methods=["POST"])
    assert client.post("/j", data='{"a":1}', content_type="text/plain").json == {"got": {"a": 1}}


def test_client_json_uses_app_provider(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/echo", "echo", lambda: request.get_data(as_text=True), methods=["POST"])
    rv = client.post("/echo", json={"u": uuid.UUID(int=3), "b": 1, "a": 2})
    assert rv.data == b'{"a": 2, "b": 1, "u": "00000000-0000-0000-0000-000000000003"}'


class UpperProvider(JSONProvider):
    """A provider that upper-cases every string it writes."""

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        import json as std

        return std.dumps(obj, **kwargs).upper()

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        import json as std

        return std.loads(s, **kwargs)


def test_custom_provider_class(client: TestClient) -> None:
    class App(Tocsin):
        json_provider_class = UpperProvider

    app = App("custom_json_app", root_path="/nonexistent")
    app.add_url_rule("/d", "d", lambda: {"a": "x"})
    app.add_url_rule("/j", "j", lambda: jsonify(a="y"))
    c = app.test_client(driver=client.driver)
    assert isinstance(app.json, UpperProvider)
    d = c.get("/d")
    assert (d.data, d.mimetype) == (b'{"A": "X"}', "application/json")
    assert c.get("/j").data == b'{"A": "Y"}'


def test_custom_default(app: Tocsin, client: TestClient) -> None:
    class Provider(DefaultJSONProvider):
        @staticmethod
        def default(o: t.Any) -> t.Any:
            if isinstance(o, set):
                return sorted(o)
            return DefaultJSONProvider.default(o)

    app.json = Provider(app)
    app.add_url_rule("/s", "s", lambda: {"s": {3, 1, 2}, "d": decimal.Decimal("2.5")})
    assert client.get("/s").data == b'{"d":"2.5","s":[1,2,3]}\n'


class TaggingProvider(DefaultJSONProvider):
    """Overrides only ``dumps``: every response must still go through it."""

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        kwargs.setdefault("default", lambda o: "CUSTOM")
        return super().dumps(obj, **kwargs)


@pytest.mark.parametrize("debug", [False, True])
def test_subclass_dumps_used_for_every_json_response(client: TestClient, debug: bool) -> None:
    class App(Tocsin):
        json_provider_class = TaggingProvider

    app = App("dumps_app", root_path="/nonexistent")
    app.debug = debug
    app.add_url_rule("/d", "d", lambda: {"t": object()})
    app.add_url_rule("/j", "j", lambda: jsonify(t=object()))
    c = app.test_client(driver=client.driver)
    expected = b'{\n  "t": "CUSTOM"\n}\n' if debug else b'{"t":"CUSTOM"}\n'
    assert (c.get("/d").data, c.get("/j").data) == (expected, expected)


def test_instance_patches_of_the_provider_are_used(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/d", "d", lambda: {"a": 1})
    app.json.dumps = lambda obj, **kwargs: '"patched"'  # type: ignore[method-assign]
    assert client.get("/d").data == b'"patched"\n'
    del app.json.dumps  # type: ignore[attr-defined]
    app.json.response = lambda *args, **kw: Response("by response()", 201)  # type: ignore[method-assign]
    assert (client.get("/d").status_code, client.get("/d").data) == (201, b"by response()")


def test_provider_mimetype_for_returned_dicts(app: Tocsin, client: TestClient) -> None:
    app.json.mimetype = "application/vnd.api+json"  # type: ignore[attr-defined]
    app.add_url_rule("/d", "d", lambda: {"a": 1})
    app.add_url_rule("/t", "t", lambda: ({"a": 1}, 201))
    app.add_url_rule("/j", "j", lambda: jsonify(a=1))
    for path, status in (("/d", 200), ("/t", 201), ("/j", 200)):
        response = client.get(path)
        assert (response.status_code, response.content_type, response.data) == (
            status,
            "application/vnd.api+json",
            b'{"a":1}\n',
        )
