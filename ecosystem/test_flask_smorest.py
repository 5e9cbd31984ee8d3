"""flask-smorest 0.47.0 (marshmallow 4): an API blueprint with schemas, OpenAPI, 422 errors."""

from __future__ import annotations

import typing as t

import flask
import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Api, Blueprint, Page, abort


class PetSchema(ma.Schema):
    id = ma.fields.Int(dump_only=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1))
    species = ma.fields.String(load_default="cat")


class NameSchema(ma.Schema):
    name = ma.fields.String()


class PetQuerySchema(ma.Schema):
    species = ma.fields.String()
    limit = ma.fields.Int(validate=ma.validate.Range(min=1))


def create_app() -> flask.Flask:
    """An app with a ``pets`` API blueprint: list, create, get, update, delete."""
    app = flask.Flask(__name__)
    app.config.update(
        TESTING=True,
        API_TITLE="Pets",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/docs",
        OPENAPI_SWAGGER_UI_PATH="/swagger",
        OPENAPI_SWAGGER_UI_URL="https://cdn.example.com/swagger-ui/",
    )
    api = Api(app)
    blp = Blueprint("pets", __name__, url_prefix="/pets", description="Pet operations")
    pets: dict[int, dict[str, t.Any]] = {1: {"id": 1, "name": "Tom", "species": "cat"}}

    @blp.route("/")
    class Pets(MethodView):
        @blp.arguments(PetQuerySchema, location="query")
        @blp.response(200, PetSchema(many=True))
        def get(self, args: dict[str, str]) -> list[dict[str, t.Any]]:
            """List pets"""
            found = [p for p in pets.values() if args.get("species") in (None, p["species"])]
            return found[: args.get("limit")]

        @blp.arguments(PetSchema)
        @blp.response(201, PetSchema)
        def post(self, new: dict[str, t.Any]) -> dict[str, t.Any]:
            """Add a pet"""
            new["id"] = max(pets) + 1
            pets[new["id"]] = new
            return new

    @blp.route("/<int:pet_id>")
    class PetById(MethodView):
        @blp.response(200, PetSchema)
        def get(self, pet_id: int) -> dict[str, t.Any]:
            """Get a pet"""
            if pet_id not in pets:
                abort(404, message="No such pet.")
            return pets[pet_id]

        @blp.response(204)
        def delete(self, pet_id: int) -> None:
            """Delete a pet"""
            pets.pop(pet_id, None)

    @blp.route("/names")
    @blp.response(200, NameSchema(many=True))
    @blp.paginate(Page, page_size=2)
    def names() -> list[dict[str, str]]:
        return [{"name": f"pet{n}"} for n in range(1, 6)]

    @blp.route("/tag/<int:pet_id>")
    @blp.etag
    @blp.response(200, PetSchema)
    def tagged(pet_id: int) -> dict[str, t.Any]:
        return pets[pet_id]

    api.register_blueprint(blp)
    return app


def test_list_filter_and_create(make_client: t.Callable[..., t.Any]) -> None:
    client = make_client(create_app())
    assert client.get("/pets/").json == [{"id": 1, "name": "Tom", "species": "cat"}]
    created = client.post("/pets/", json={"name": "Rex", "species": "dog"})
    assert (created.status_code, created.json) == (201, {"id": 2, "name": "Rex", "species": "dog"})
    assert client.post("/pets/", json={"name": "Kit"}).json == {
        "id": 3,
        "name": "Kit",
        "species": "cat",
    }
    assert client.get("/pets/?species=dog").json == [{"id": 2, "name": "Rex", "species": "dog"}]
    assert client.get("/pets/2").json == {"id": 2, "name": "Rex", "species": "dog"}
    deleted = client.delete("/pets/2")
    assert (deleted.status_code, deleted.data) == (204, b"")


def test_validation_errors_are_422(make_client: t.Callable[..., t.Any]) -> None:
    client = make_client(create_app())
    response = client.post("/pets/", json={"species": "dog", "id": 9})
    assert response.status_code == 422
    assert response.json == {
        "code": 422,
        "status": "Unprocessable Entity",
        "errors": {
            "json": {"name": ["Missing data for required field."], "id": ["Unknown field."]}
        },
    }
    empty = client.post("/pets/", json={"name": ""})
    assert empty.json["errors"] == {"json": {"name": ["Shorter than minimum length 1."]}}
    query = client.get("/pets/?limit=none")
    assert (query.status_code, query.json["errors"]) == (
        422,
        {"query": {"limit": ["Not a valid integer."]}},
    )
    # unknown query arguments are left out, as webargs does for the query string
    assert client.get("/pets/?colour=red&limit=1").json == [
        {"id": 1, "name": "Tom", "species": "cat"}
    ]


def test_abort_and_unknown_urls_give_json_errors(make_client: t.Callable[..., t.Any]) -> None:
    client = make_client(create_app())
    missing = client.get("/pets/7")
    assert (missing.status_code, missing.json) == (
        404,
        {"code": 404, "status": "Not Found", "message": "No such pet."},
    )
    nowhere = client.get("/nowhere")
    assert (nowhere.status_code, nowhere.json) == (404, {"code": 404, "status": "Not Found"})
    wrong = client.put("/pets/1", json={})
    assert (wrong.status_code, wrong.json) == (
        405,
        {"code": 405, "status": "Method Not Allowed"},
    )


def test_the_openapi_document(make_client: t.Callable[..., t.Any]) -> None:
    client = make_client(create_app())
    response = client.get("/docs/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert (spec["openapi"], spec["info"]) == ("3.0.3", {"title": "Pets", "version": "v1"})
    assert spec["tags"] == [{"name": "pets", "description": "Pet operations"}]
    assert sorted(spec["paths"]) == [
        "/pets/",
        "/pets/names",
        "/pets/tag/{pet_id}",
        "/pets/{pet_id}",
    ]
    assert sorted(spec["paths"]["/pets/"]) == ["get", "post"]
    post = spec["paths"]["/pets/"]["post"]
    assert post["summary"] == "Add a pet"
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Pet"
    }
    assert sorted(post["responses"]) == ["201", "422", "default"]
    assert spec["paths"]["/pets/{pet_id}"]["parameters"] == [
        {
            "in": "path",
            "name": "pet_id",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    ]
    assert spec["components"]["schemas"]["Pet"] == {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "name": {"type": "string", "minLength": 1},
            "species": {"type": "string", "default": "cat"},
        },
        "required": ["name"],
        "additionalProperties": False,
    }


def test_pagination_headers(make_client: t.Callable[..., t.Any]) -> None:
    client = make_client(create_app())
    first = client.get("/pets/names")
    assert first.json == [{"name": "pet1"}, {"name": "pet2"}]
    assert flask.json.loads(first.headers["X-Pagination"]) == {
        "total": 5,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 1,
        "next_page": 2,
    }
    last = client.get("/pets/names?page=3")
    assert last.json == [{"name": "pet5"}]
    assert flask.json.loads(last.headers["X-Pagination"])["previous_page"] == 2
    assert client.get("/pets/names?page_size=0").json["errors"] == {
        "query": {
            "page_size": ["Must be greater than or equal to 1 and less than or equal to 100."]
        }
    }


def test_etag_and_conditional_get(make_client: t.Callable[..., t.Any]) -> None:
    client = make_client(create_app())
    response = client.get("/pets/tag/1")
    etag = response.headers["ETag"]
    assert (response.status_code, response.json, etag.startswith('"')) == (
        200,
        {"id": 1, "name": "Tom", "species": "cat"},
        True,
    )
    cached = client.get("/pets/tag/1", headers={"If-None-Match": etag})
    assert (cached.status_code, cached.data, "ETag" in cached.headers) == (304, b"", False)
    other = client.get("/pets/tag/1", headers={"If-None-Match": '"stale"'})
    assert (other.status_code, other.headers["ETag"]) == (200, etag)


def test_the_swagger_ui_page(make_client: t.Callable[..., t.Any]) -> None:
    client = make_client(create_app())
    page = client.get("/docs/swagger")
    assert (page.status_code, page.content_type) == (200, "text/html; charset=utf-8")
    assert "<title>Pets</title>" in page.text
    assert 'src="https://cdn.example.com/swagger-ui/swagger-ui-bundle.js"' in page.text
    assert 'url: "/docs/openapi.json"' in page.text
