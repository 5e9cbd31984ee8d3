"""Class-based views: View and MethodView, sync and async."""

from __future__ import annotations

import asyncio
import functools
import typing as t

import pytest

from tocsin import Tocsin, request
from tocsin.testing import TestClient
from tocsin.views import MethodView, View


def _allow(response: t.Any) -> set[str]:
    return {m.strip() for m in response.headers["Allow"].split(",")}


# -- View -------------------------------------------------------------------------------


def test_view(app: Tocsin, client: TestClient) -> None:
    class Greeting(View):
        """Greets someone."""

        methods: t.ClassVar[list[str]] = ["GET", "POST"]

        def __init__(self, greeting: str) -> None:
            self.greeting = greeting

        def dispatch_request(self, name: str) -> str:
            return f"{self.greeting}, {name} ({request.method})"

    view = Greeting.as_view("greet", "Hello")
    app.add_url_rule("/greet/<name>", view_func=view)
    assert view.__name__ == "greet"
    assert view.__doc__ == "Greets someone."
    assert view.view_class is Greeting  # type: ignore[attr-defined]
    assert view.methods == ["GET", "POST"]  # type: ignore[attr-defined]
    assert client.get("/greet/ann").data == b"Hello, ann (GET)"
    assert client.post("/greet/bob").data == b"Hello, bob (POST)"
    assert client.put("/greet/bob").status_code == 405
    assert app.view_functions["greet"] is view


def test_view_default_methods_is_get(app: Tocsin, client: TestClient) -> None:
    class Plain(View):
        def dispatch_request(self) -> str:
            return "plain"

    app.add_url_rule("/plain", view_func=Plain.as_view("plain"))
    assert client.get("/plain").data == b"plain"
    assert client.post("/plain").status_code == 405


def test_view_not_implemented(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/base", view_func=View.as_view("base"))
    with pytest.raises(NotImplementedError):
        client.get("/base")


def test_new_instance_per_request(app: Tocsin, client: TestClient) -> None:
    instances: list[int] = []

    class Counter(View):
        def __init__(self) -> None:
            self.hits = 0

        def dispatch_request(self) -> str:
            self.hits += 1
            instances.append(id(self))
            return str(self.hits)

    app.add_url_rule("/c", view_func=Counter.as_view("c"))
    assert [client.get("/c").data for _ in range(3)] == [b"1", b"1", b"1"]


def test_init_every_request_false(app: Tocsin, client: TestClient) -> None:
    created: list[str] = []

    class Counter(View):
        init_every_request = False

        def __init__(self, label: str) -> None:
            created.append(label)
            self.hits = 0

        def dispatch_request(self) -> str:
            self.hits += 1
            return str(self.hits)

    app.add_url_rule("/c", view_func=Counter.as_view("c", "once"))
    assert created == ["once"]
    assert [client.get("/c").data for _ in range(3)] == [b"1", b"2", b"3"]
    assert created == ["once"]


def test_decorators_applied_in_order(app: Tocsin, client: TestClient) -> None:
    def tag(label: str) -> t.Callable[[t.Callable[..., t.Any]], t.Callable[..., t.Any]]:
        def decorator(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
            @functools.wraps(f)
            def wrapper(**kwargs: t.Any) -> str:
                return f"{label}({f(**kwargs)})"

            return wrapper

        return decorator

    class Tagged(View):
        decorators: t.ClassVar[list[t.Callable[..., t.Any]]] = [tag("inner"), tag("outer")]

        def dispatch_request(self) -> str:
            return "view"

    app.add_url_rule("/t", view_func=Tagged.as_view("t"))
    assert client.get("/t").data == b"outer(inner(view))"


def test_decorators_see_endpoint_name_and_module(app: Tocsin, client: TestClient) -> None:
    seen: list[str] = []

    def record(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        seen.append(f"{f.__module__}.{f.__name__}")

        def plain(**kwargs: t.Any) -> t.Any:  # no functools.wraps
            return f(**kwargs)

        return plain

    class Report(MethodView):
        """The report."""

        decorators: t.ClassVar[list[t.Callable[..., t.Any]]] = [record, record]

        def get(self) -> str:
            return "report"

    view = Report.as_view("report_page")
    assert seen == [f"{__name__}.report_page", f"{__name__}.plain"]
    assert (view.__name__, view.__module__) == ("report_page", __name__)
    assert view.__doc__ == "The report."
    assert view.view_class is Report  # type: ignore[attr-defined]
    assert view.methods == {"GET"}  # type: ignore[attr-defined]
    app.add_url_rule("/report", view_func=view)
    assert app.view_functions["report_page"] is view
    assert client.get("/report").data == b"report"


def test_provide_automatic_options_false(app: Tocsin, client: TestClient) -> None:
    class NoOptions(View):
        provide_automatic_options = False

        def dispatch_request(self) -> str:
            return request.method

    app.add_url_rule("/n", view_func=NoOptions.as_view("n"))
    assert client.options("/n").status_code == 405


def test_async_view(app: Tocsin, client: TestClient) -> None:
    class AsyncView(View):
        async def dispatch_request(self, n: int) -> str:
            await asyncio.sleep(0)
            return f"async {n}"

    app.add_url_rule("/a/<int:n>", view_func=AsyncView.as_view("a"))
    assert client.get("/a/3").data == b"async 3"


def test_async_view_single_instance(app: Tocsin, client: TestClient) -> None:
    class AsyncCounter(View):
        init_every_request = False

        def __init__(self) -> None:
            self.hits = 0

        async def dispatch_request(self) -> str:
            self.hits += 1
            return str(self.hits)

    app.add_url_rule("/a", view_func=AsyncCounter.as_view("a"))
    assert [client.get("/a").data for _ in range(2)] == [b"1", b"2"]


# -- MethodView ----------------------------------------------------------------------------


class Items(MethodView):
    def get(self, item_id: int | None = None) -> str:
        return f"get {item_id}"

    def post(self) -> tuple[str, int]:
        return f"post {request.get_data(as_text=True)}", 201

    def delete(self, item_id: int) -> tuple[str, int]:
        return "", 204


def test_method_view_methods() -> None:
    assert Items.methods == {"GET", "POST", "DELETE"}


def test_method_view_dispatch(app: Tocsin, client: TestClient) -> None:
    view = Items.as_view("items")
    app.add_url_rule("/items/", view_func=view, methods=["GET", "POST"])
    app.add_url_rule("/items/<int:item_id>", view_func=view, methods=["GET", "DELETE"])
    assert client.get("/items/").data == b"get None"
    rv = client.post("/items/", data="body")
    assert (rv.status_code, rv.data) == (201, b"post body")
    assert client.get("/items/4").data == b"get 4"
    assert client.delete("/items/4").status_code == 204
    assert client.put("/items/4").status_code == 405


def test_method_view_head_falls_back_to_get(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/items/", view_func=Items.as_view("items"))
    rv = client.head("/items/")
    assert rv.status_code == 200
    assert rv.data == b""
    assert rv.headers["Content-Length"] == "8"


def test_method_view_options_allow(app: Tocsin, client: TestClient) -> None:
    app.add_url_rule("/items/", view_func=Items.as_view("items"))
    assert _allow(client.options("/items/")) == {"GET", "HEAD", "POST", "DELETE", "OPTIONS"}


def test_method_view_inheritance() -> None:
    class Base(MethodView):
        def get(self) -> str:
            return "get"

    class Child(Base):
        def patch(self) -> str:
            return "patch"

    class Explicit(Base):
        methods: t.ClassVar[list[str]] = ["GET"]

        def put(self) -> str:
            return "put"

    assert Base.methods == {"GET"}
    assert Child.methods == {"GET", "PATCH"}
    assert Explicit.methods == ["GET"]


def test_method_view_inherited_methods_dispatch(app: Tocsin, client: TestClient) -> None:
    class Base(MethodView):
        def get(self) -> str:
            return "base get"

    class Child(Base):
        def post(self) -> str:
            return "child post"

    app.add_url_rule("/c", view_func=Child.as_view("c"))
    assert client.get("/c").data == b"base get"
    assert client.post("/c").data == b"child post"


def test_method_view_async_methods(app: Tocsin, client: TestClient) -> None:
    class AsyncItems(MethodView):
        async def get(self, n: int) -> str:
            await asyncio.sleep(0)
            return f"async get {n}"

        async def post(self, n: int) -> tuple[dict[str, int], int]:
            await asyncio.sleep(0)
            return {"created": n}, 201

        def put(self, n: int) -> str:
            return f"sync put {n}"

    app.add_url_rule("/a/<int:n>", view_func=AsyncItems.as_view("a"))
    assert client.get("/a/1").data == b"async get 1"
    rv = client.post("/a/2")
    assert (rv.status_code, rv.json) == (201, {"created": 2})
    assert client.put("/a/3").data == b"sync put 3"
    head = client.head("/a/1")
    assert (head.status_code, head.data, head.headers["Content-Length"]) == (200, b"", "11")


def test_method_view_with_url_args_and_class_args(app: Tocsin, client: TestClient) -> None:
    class Api(MethodView):
        def __init__(self, model: str) -> None:
            self.model = model

        def get(self, id: int) -> str:
            return f"{self.model} {id}"

    app.add_url_rule("/users/<int:id>", view_func=Api.as_view("users", "user"))
    app.add_url_rule("/posts/<int:id>", view_func=Api.as_view("posts", "post"))
    assert client.get("/users/1").data == b"user 1"
    assert client.get("/posts/2").data == b"post 2"
