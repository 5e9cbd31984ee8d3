"""Static files: the static route, send_file, send_from_directory, caching, ranges, traversal."""

from __future__ import annotations

import datetime
import io
import os
import pathlib
import time
import typing as t
import zlib

import pytest
from werkzeug.http import http_date, parse_date

from tocsin import Blueprint, Tocsin, send_file, send_from_directory, url_for
from tocsin.testing import TestClient

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
STATIC = FIXTURES / "static"
HELLO = STATIC / "hello.txt"
HELLO_DATA = b"Hello, static world!\n"


@pytest.fixture
def app() -> Tocsin:
    """An app whose static folder is ``tests/fixtures/static``."""
    app = Tocsin("tocsin_test_static", root_path=str(FIXTURES))
    app.config.update(TESTING=True, SECRET_KEY="test key")
    return app


def etag_of(path: pathlib.Path) -> str:
    """The ETag Werkzeug gives a file: modification time, size and a path checksum."""
    stat = path.stat()
    check = zlib.adler32(str(path).encode()) & 0xFFFFFFFF
    return f'"{stat.st_mtime}-{stat.st_size}-{check}"'


def get(client: TestClient, path: str, method: str = "GET", **kwargs: t.Any) -> t.Any:
    """Request *path*, read the whole body and close the response (which runs teardown)."""
    with client.open(path, method=method, **kwargs) as response:
        response.get_data()
        return response


# -- the static route -------------------------------------------------------------------------


def test_static_route(client: TestClient) -> None:
    response = get(client, "/static/hello.txt")
    assert response.status_code == 200
    assert response.data == HELLO_DATA
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Length"] == "21"
    assert response.headers["Content-Disposition"] == "inline; filename=hello.txt"
    assert response.headers["ETag"] == etag_of(HELLO)
    assert response.headers["Last-Modified"] == http_date(int(HELLO.stat().st_mtime))
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "Expires" not in response.headers


def test_static_subfolder_and_mimetype(client: TestClient) -> None:
    assert get(client, "/static/sub/inner.txt").data == b"inner file\n"
    css = get(client, "/static/style.css")
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    assert css.data == b"body { color: red; }\n"


def test_static_head(client: TestClient) -> None:
    response = get(client, "/static/hello.txt", method="HEAD")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Length"] == "21"
    assert response.headers["ETag"] == etag_of(HELLO)


def test_missing_static_file_is_404(client: TestClient) -> None:
    assert get(client, "/static/missing.txt").status_code == 404


def test_static_url_for(app: Tocsin) -> None:
    with app.test_request_context():
        assert url_for("static", filename="hello.txt") == "/static/hello.txt"
        assert url_for("static", filename="sub/inner.txt") == "/static/sub/inner.txt"


def test_custom_static_url_path(driver: str) -> None:
    app = Tocsin("assets", root_path=str(FIXTURES), static_url_path="/assets")
    client = app.test_client(driver=driver)
    assert get(client, "/assets/hello.txt").data == HELLO_DATA
    assert get(client, "/static/hello.txt").status_code == 404


def test_no_static_folder_no_route(driver: str) -> None:
    app = Tocsin("nostatic", root_path=str(FIXTURES), static_folder=None)
    assert app.has_static_folder is False
    assert "static" not in app.view_functions
    assert get(app.test_client(driver=driver), "/static/hello.txt").status_code == 404
    with app.test_request_context(), pytest.raises(RuntimeError, match="static_folder"):
        app.send_static_file("hello.txt")


# -- conditional requests -------------------------------------------------------------------


def test_if_none_match_gives_304(client: TestClient) -> None:
    response = get(client, "/static/hello.txt", headers={"If-None-Match": etag_of(HELLO)})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag_of(HELLO)
    # Werkzeug drops the entity headers of a 304 under both drivers.
    assert "Content-Length" not in response.headers
    assert "Content-Type" not in response.headers
    assert "Last-Modified" not in response.headers


def test_if_none_match_star_and_lists(client: TestClient) -> None:
    star = get(client, "/static/hello.txt", headers={"If-None-Match": "*"})
    assert star.status_code == 304
    listed = get(client, "/static/hello.txt", headers={"If-None-Match": f'"x", {etag_of(HELLO)}'})
    assert listed.status_code == 304
    other = get(client, "/static/hello.txt", headers={"If-None-Match": '"other"'})
    assert other.status_code == 200
    assert other.data == HELLO_DATA


def test_if_modified_since(client: TestClient) -> None:
    mtime = int(HELLO.stat().st_mtime)
    same = get(client, "/static/hello.txt", headers={"If-Modified-Since": http_date(mtime)})
    assert same.status_code == 304
    assert same.data == b""
    later = get(client, "/static/hello.txt", headers={"If-Modified-Since": http_date(mtime + 60)})
    assert later.status_code == 304
    earlier = get(client, "/static/hello.txt", headers={"If-Modified-Since": http_date(mtime - 60)})
    assert earlier.status_code == 200
    assert earlier.data == HELLO_DATA


def test_etag_beats_if_modified_since(client: TestClient) -> None:
    mtime = int(HELLO.stat().st_mtime)
    response = get(
        client,
        "/static/hello.txt",
        headers={"If-None-Match": '"other"', "If-Modified-Since": http_date(mtime)},
    )
    assert response.status_code == 200


# -- byte ranges --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("range_header", "content_range", "body"),
    [
        ("bytes=0-4", "bytes 0-4/21", b"Hello"),
        ("bytes=7-12", "bytes 7-12/21", b"static"),
        ("bytes=14-", "bytes 14-20/21", b"world!\n"),
        ("bytes=-7", "bytes 14-20/21", b"world!\n"),
        ("bytes=0-100", "bytes 0-20/21", HELLO_DATA),
    ],
)
def test_range(client: TestClient, range_header: str, content_range: str, body: bytes) -> None:
    response = get(client, "/static/hello.txt", headers={"Range": range_header})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == content_range
    assert response.headers["Content-Length"] == str(len(body))
    assert response.data == body


def test_unsatisfiable_range_is_416(client: TestClient) -> None:
    response = get(client, "/static/hello.txt", headers={"Range": "bytes=100-200"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */21"


def test_if_range(client: TestClient) -> None:
    fresh = get(
        client, "/static/hello.txt", headers={"Range": "bytes=0-4", "If-Range": etag_of(HELLO)}
    )
    assert fresh.status_code == 206
    assert fresh.data == b"Hello"
    stale = get(client, "/static/hello.txt", headers={"Range": "bytes=0-4", "If-Range": '"old"'})
    assert stale.status_code == 200
    assert stale.data == HELLO_DATA


@pytest.mark.parametrize("range_header", ["lines=1-2", "bytes=abc", "bytes=5-2", "bytes=0-1,3-4"])
def test_malformed_or_multiple_ranges_are_416(client: TestClient, range_header: str) -> None:
    # As in Flask (Werkzeug): only one well-formed byte range is served.
    response = get(client, "/static/hello.txt", headers={"Range": range_header})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */21"


# -- cache headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "max_age", [3600, datetime.timedelta(hours=1)], ids=["seconds", "timedelta"]
)
def test_send_file_max_age_default(app: Tocsin, client: TestClient, max_age: t.Any) -> None:
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = max_age
    assert app.get_send_file_max_age("hello.txt") == 3600
    before = int(time.time())
    response = get(client, "/static/hello.txt")
    after = int(time.time())
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    expires = parse_date(response.headers["Expires"])
    assert expires is not None
    assert before + 3600 <= expires.timestamp() <= after + 3600


def test_max_age_zero(app: Tocsin, client: TestClient) -> None:
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 0
    assert get(client, "/static/hello.txt").headers["Cache-Control"] == "no-cache, max-age=0"


def test_get_send_file_max_age_override(driver: str) -> None:
    class App(Tocsin):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            return 60 if filename is not None and filename.endswith(".css") else None

    app = App("override", root_path=str(FIXTURES))
    client = app.test_client(driver=driver)
    assert get(client, "/static/style.css").headers["Cache-Control"] == "public, max-age=60"
    assert get(client, "/static/hello.txt").headers["Cache-Control"] == "no-cache"


# -- path traversal ------------------------------------------------------------------------------

TRAVERSALS = [
    "../secret.txt",
    "%2e%2e/secret.txt",
    "%2E%2E/secret.txt",
    ".%2e/secret.txt",
    "%2e%2e%2fsecret.txt",
    "..%2fsecret.txt",
    "..%2Fsecret.txt",
    "..%5csecret.txt",
    "%5c..%5csecret.txt",
    "..\\secret.txt",
    "sub/../../secret.txt",
    "sub/%2e%2e/%2e%2e/secret.txt",
    "..%2f..%2f..%2f..%2fetc%2fpasswd",
    "%252e%252e%252fsecret.txt",
    "%c0%ae%c0%ae/secret.txt",
    "....//secret.txt",
    "..;/secret.txt",
    "hello.txt%00.png",
    "%00",
    "..",
    "%2e%2e",
    ".",
    "sub/..",
    "sub",
    "",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_on_static_route_is_404(client: TestClient, path: str) -> None:
    response = get(client, f"/static/{path}")
    assert response.status_code == 404
    assert b"TOP SECRET" not in response.data


@pytest.mark.parametrize("path", ["/etc/passwd", "%2fetc%2fpasswd", "%2Fetc/passwd"])
def test_absolute_path_on_static_route(client: TestClient, path: str) -> None:
    # Werkzeug merges the double slash with a redirect that stays in /static/;
    # the file is then looked up inside the static folder and not found.
    response = get(client, f"/static/{path}")
    assert response.status_code == 308
    assert response.headers["Location"] == "http://localhost/static/etc/passwd"
    assert get(client, f"/static/{path}", follow_redirects=True).status_code == 404


@pytest.fixture
def download_app(app: Tocsin) -> Tocsin:
    """Views that pass a user-given path to send_from_directory and send_file."""

    @app.route("/download/<path:name>")
    def download(name: str) -> t.Any:
        return send_from_directory(STATIC, name)

    @app.route("/relative/<path:name>")
    def relative(name: str) -> t.Any:
        return send_from_directory("static", name)

    @app.route("/query")
    def query() -> t.Any:
        from tocsin import request

        return send_from_directory(str(STATIC), request.args["name"])

    return app


@pytest.mark.parametrize("path", [p for p in TRAVERSALS if p])
def test_traversal_on_send_from_directory_is_404(
    download_app: Tocsin, driver: str, path: str
) -> None:
    client = download_app.test_client(driver=driver)
    for prefix in ("/download/", "/relative/"):
        response = get(client, prefix + path)
        assert response.status_code == 404, prefix + path
        assert b"TOP SECRET" not in response.data


@pytest.mark.parametrize(
    "name",
    [
        str(FIXTURES / "secret.txt"),
        "/etc/passwd",
        "../secret.txt",
        "..\\secret.txt",
        "sub/../../secret.txt",
        "C:\\Windows\\win.ini",
        "\\\\server\\share",
        "hello.txt\x00",
    ],
)
def test_send_from_directory_rejects_unsafe_names(
    download_app: Tocsin, driver: str, name: str
) -> None:
    client = download_app.test_client(driver=driver)
    response = get(client, "/query", query_string={"name": name})
    assert response.status_code == 404
    assert b"TOP SECRET" not in response.data


def test_send_from_directory_serves_files(download_app: Tocsin, driver: str) -> None:
    client = download_app.test_client(driver=driver)
    assert get(client, "/download/hello.txt").data == HELLO_DATA
    assert get(client, "/relative/sub/inner.txt").data == b"inner file\n"  # relative to root_path
    response = get(client, "/download/hello.txt", headers={"If-None-Match": etag_of(HELLO)})
    assert response.status_code == 304


# -- send_file --------------------------------------------------------------------------------


def test_send_file_path_variants(app: Tocsin, client: TestClient) -> None:
    @app.route("/absolute")
    def absolute() -> t.Any:
        return send_file(str(HELLO))

    @app.route("/pathlib")
    def as_pathlib() -> t.Any:
        return send_file(HELLO)

    @app.route("/relative")
    def relative() -> t.Any:
        return send_file("static/hello.txt")  # relative to app.root_path

    for url in ("/absolute", "/pathlib", "/relative"):
        response = get(client, url)
        assert response.status_code == 200
        assert response.data == HELLO_DATA
        assert response.headers["ETag"] == etag_of(HELLO)
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_send_file_options(app: Tocsin, client: TestClient) -> None:
    @app.route("/attachment")
    def attachment() -> t.Any:
        return send_file(HELLO, as_attachment=True, download_name="report.txt")

    @app.route("/unicode-name")
    def unicode_name() -> t.Any:
        return send_file(HELLO, as_attachment=True, download_name="r\u00e9sum\u00e9.txt")

    @app.route("/mimetype")
    def mimetype() -> t.Any:
        return send_file(HELLO, mimetype="application/x-custom")

    @app.route("/no-etag")
    def no_etag() -> t.Any:
        return send_file(HELLO, etag=False)

    @app.route("/custom-etag")
    def custom_etag() -> t.Any:
        return send_file(HELLO, etag="v1")

    @app.route("/unconditional")
    def unconditional() -> t.Any:
        return send_file(HELLO, conditional=False)

    @app.route("/max-age")
    def max_age() -> t.Any:
        return send_file(HELLO, max_age=10)

    assert get(client, "/attachment").headers["Content-Disposition"] == (
        "attachment; filename=report.txt"
    )
    assert get(client, "/unicode-name").headers["Content-Disposition"] == (
        "attachment; filename=resume.txt; filename*=UTF-8''r%C3%A9sum%C3%A9.txt"
    )
    assert get(client, "/mimetype").headers["Content-Type"] == "application/x-custom"
    assert "ETag" not in get(client, "/no-etag").headers
    assert get(client, "/custom-etag").headers["ETag"] == '"v1"'
    assert get(client, "/custom-etag", headers={"If-None-Match": '"v1"'}).status_code == 304
    unconditional_response = get(
        client, "/unconditional", headers={"If-None-Match": etag_of(HELLO), "Range": "bytes=0-1"}
    )
    assert unconditional_response.status_code == 200
    assert unconditional_response.data == HELLO_DATA
    assert "Accept-Ranges" not in unconditional_response.headers
    assert get(client, "/max-age").headers["Cache-Control"] == "public, max-age=10"


def test_send_file_object(app: Tocsin, client: TestClient) -> None:
    @app.route("/bytes")
    def from_bytes() -> t.Any:
        return send_file(io.BytesIO(b"in memory"), mimetype="text/plain", download_name="m.txt")

    @app.route("/guess")
    def guess() -> t.Any:
        return send_file(io.BytesIO(b"{}"), download_name="data.json")

    @app.route("/range")
    def ranged() -> t.Any:
        return send_file(io.BytesIO(b"0123456789"), mimetype="text/plain")

    response = get(client, "/bytes")
    assert response.data == b"in memory"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"] == "inline; filename=m.txt"
    assert "ETag" not in response.headers  # no path to derive it from
    assert get(client, "/guess").headers["Content-Type"] == "application/json"
    partial = get(client, "/range", headers={"Range": "bytes=2-4"})
    assert partial.status_code == 206
    assert partial.data == b"234"
    assert partial.headers["Content-Range"] == "bytes 2-4/10"


def test_send_file_missing_file(app: Tocsin, client: TestClient) -> None:
    @app.route("/missing")
    def missing() -> t.Any:
        return send_file(STATIC / "nope.txt")

    with pytest.raises(FileNotFoundError):
        client.get("/missing")


def test_send_file_needs_a_request() -> None:
    with pytest.raises(RuntimeError, match="needs a request context"):
        send_file(HELLO)
    with pytest.raises(RuntimeError, match="needs a request context"):
        send_from_directory(STATIC, "hello.txt")


def test_send_from_directory_max_age_none_is_the_apps(app: Tocsin, client: TestClient) -> None:
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 30
    app.add_url_rule("/dir", "dir", lambda: send_from_directory(STATIC, "hello.txt", max_age=None))
    assert get(client, "/dir").headers["Cache-Control"] == "public, max-age=30"


def test_send_file_uses_app_max_age(app: Tocsin, client: TestClient) -> None:
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 120

    @app.route("/file")
    def file() -> t.Any:
        return send_file(HELLO)

    assert get(client, "/file").headers["Cache-Control"] == "public, max-age=120"


# -- blueprint static folders --------------------------------------------------------------------


def test_blueprint_static_folder(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint(
        "admin",
        __name__,
        root_path=str(FIXTURES / "admin"),
        static_folder="static",
        url_prefix="/admin",
    )
    app.register_blueprint(bp)
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 30
    response = get(client, "/admin/static/admin.css")
    assert response.status_code == 200
    assert response.data == b".admin { color: blue; }\n"
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=30"
    with app.test_request_context():
        assert url_for("admin.static", filename="admin.css") == "/admin/static/admin.css"
    for path in ("../templates/shared.html", "%2e%2e/templates/shared.html", "..%5cx"):
        assert get(client, f"/admin/static/{path}").status_code == 404
    # The app's own static route is unaffected.
    assert get(client, "/static/hello.txt").data == HELLO_DATA


def test_blueprint_static_url_path(app: Tocsin, client: TestClient) -> None:
    bp = Blueprint(
        "admin",
        __name__,
        root_path=str(FIXTURES / "admin"),
        static_folder="static",
        static_url_path="/admin-assets",
    )
    app.register_blueprint(bp)
    assert get(client, "/admin-assets/admin.css").status_code == 200
    with app.test_request_context():
        assert url_for("admin.static", filename="admin.css") == "/admin-assets/admin.css"


def test_blueprint_get_send_file_max_age_override(app: Tocsin, client: TestClient) -> None:
    class CachedBlueprint(Blueprint):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            return 100

    bp = CachedBlueprint(
        "admin",
        __name__,
        root_path=str(FIXTURES / "admin"),
        static_folder="static",
        url_prefix="/admin",
    )
    app.register_blueprint(bp)
    assert get(client, "/admin/static/admin.css").headers["Cache-Control"] == (
        "public, max-age=100"
    )
    assert get(client, "/static/hello.txt").headers["Cache-Control"] == "no-cache"
    with app.app_context():
        assert Blueprint.get_send_file_max_age(bp, "x") is None
    with pytest.raises(RuntimeError, match="needs an application context"):
        Blueprint.get_send_file_max_age(bp, "x")


def test_blueprint_without_static_folder(app: Tocsin) -> None:
    bp = Blueprint("plain", __name__)
    app.register_blueprint(bp)
    assert "plain.static" not in app.view_functions
    with app.test_request_context(), pytest.raises(RuntimeError, match="static_folder"):
        bp.send_static_file("x")


def test_static_file_changes_are_seen(tmp_path: pathlib.Path, driver: str) -> None:
    (tmp_path / "static").mkdir()
    page = tmp_path / "static" / "page.txt"
    page.write_text("one")
    os.utime(page, (1_000_000, 1_000_000))
    app = Tocsin("changing", root_path=str(tmp_path))
    client = app.test_client(driver=driver)
    first = get(client, "/static/page.txt")
    page.write_text("two!")
    os.utime(page, (2_000_000, 2_000_000))
    second = get(client, "/static/page.txt", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert second.data == b"two!"
    assert second.headers["ETag"] != first.headers["ETag"]


# -- statuses without a body -------------------------------------------------------------------


@pytest.mark.parametrize("status", [204, 304])
def test_bodyless_status_sends_no_body(app: Tocsin, client: TestClient, status: int) -> None:
    @app.route("/empty")
    def empty() -> tuple[str, int]:
        return "ignored body", status

    response = get(client, "/empty")
    assert response.status_code == status
    assert response.data == b""
    assert "Content-Length" not in response.headers


def test_conditional_plain_response(app: Tocsin, client: TestClient) -> None:
    from tocsin import request
    from tocsin.wrappers import Response

    @app.route("/conditional")
    def conditional() -> Response:
        response = Response("a body")
        response.set_etag("v2")
        return response.make_conditional(request)

    response = get(client, "/conditional", headers={"If-None-Match": '"v2"'})
    assert response.status_code == 304
    assert response.data == b""
    assert "Content-Length" not in response.headers
    assert get(client, "/conditional", headers={"If-None-Match": '"v1"'}).data == b"a body"


def test_blueprint_static_files_use_the_config_not_the_apps_override(driver: str) -> None:
    class App(Tocsin):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            return 99

    app = App("override_bp", root_path=str(FIXTURES))
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 60
    bp = Blueprint("admin", __name__, root_path=str(FIXTURES / "admin"), static_folder="static")
    app.register_blueprint(bp, url_prefix="/admin")
    client = app.test_client(driver=driver)
    assert get(client, "/admin/static/admin.css").headers["Cache-Control"] == "public, max-age=60"
    assert get(client, "/static/hello.txt").headers["Cache-Control"] == "public, max-age=99"
