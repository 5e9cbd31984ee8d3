"""tocsin.debughelpers (flask.debughelpers): what debug mode explains, and when, as Flask does."""

from __future__ import annotations

import io
import logging
import os
import pathlib
import typing as t

import pytest
from jinja2 import DictLoader, FileSystemLoader
from werkzeug.exceptions import BadRequestKeyError
from werkzeug.routing import RequestRedirect

from tocsin import Blueprint, Tocsin, request
from tocsin.debughelpers import (
    DebugFilesKeyError,
    FormDataRoutingRedirect,
    UnexpectedUnicodeError,
    attach_enctype_error_multidict,
    explain_template_loading_attempts,
)

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
_ONLY = "\n\n(Tocsin explains this in debug mode only.)"


def test_exception_classes_are_flasks() -> None:
    assert DebugFilesKeyError.__mro__[1:] == (
        KeyError,
        LookupError,
        AssertionError,
        Exception,
        BaseException,
        object,
    )
    assert FormDataRoutingRedirect.__mro__[1:] == (AssertionError, Exception, BaseException, object)
    assert issubclass(UnexpectedUnicodeError, AssertionError)
    assert issubclass(UnexpectedUnicodeError, UnicodeError)


# -- request.files in debug mode -----------------------------------------------------------------


@pytest.fixture
def files_app(app: Tocsin) -> Tocsin:
    app.config["TESTING"] = False  # debug mode alone decides, as for a real server

    @app.post("/upload")
    def upload() -> t.Any:
        key = request.args.get("key", "doc")
        try:
            return f"file {request.files[key].filename}"
        except DebugFilesKeyError as e:
            return {
                "error": type(e).__name__,
                "message": str(e),
                "args": [e.args[0] is request._get_current_object(), e.args[1]],  # type: ignore[attr-defined]
                "files_class": type(request.files).__name__,
            }

    return app


def _explained(key: str, values: str) -> str:
    return (
        f"request.files has no file {key!r}. The request body is"
        " 'application/x-www-form-urlencoded', not 'multipart/form-data', so no file content"
        ' can be in it: the form needs enctype="multipart/form-data" to upload files. What came'
        f" instead is a plain form field {key!r} with the value(s) {values} (a browser sends the"
        f" file's name).{_ONLY}"
    )


@pytest.mark.parametrize(
    ("data", "values"),
    [({"doc": "report.pdf"}, "'report.pdf'"), ({"doc": ["a.txt", "b.txt"]}, "'a.txt', 'b.txt'")],
)
def test_file_sent_as_a_form_field_is_explained_in_debug_mode(
    files_app: Tocsin, driver: str, data: dict[str, t.Any], values: str
) -> None:
    files_app.debug = True
    rv = files_app.test_client(driver=driver).post("/upload", data=data)
    assert rv.json == {
        "error": "DebugFilesKeyError",
        "message": _explained("doc", values),
        "args": [True, "doc"],
        "files_class": "ImmutableMultiDict",
    }


def test_debug_files_error_is_a_key_error_that_propagates(files_app: Tocsin, driver: str) -> None:
    files_app.debug = True
    files_app.add_url_rule("/bare", "bare", lambda: request.files["doc"], methods=["POST"])
    with pytest.raises(KeyError) as info:
        files_app.test_client(driver=driver).post("/bare", data={"doc": "x"})
    assert type(info.value) is DebugFilesKeyError
    assert str(info.value) == _explained("doc", "'x'")


@pytest.mark.parametrize(
    ("debug", "url", "kwargs"),
    [
        (True, "/upload?key=other", {"data": {"doc": "x"}}),  # not a form field either
        (True, "/upload", {"data": {"doc": "x"}, "content_type": "multipart/form-data"}),
        (True, "/upload", {"json": {"doc": "x"}}),
        (False, "/upload", {"data": {"doc": "x"}}),  # not in debug mode
    ],
)
def test_other_missing_files_are_the_usual_400(
    files_app: Tocsin, driver: str, debug: bool, url: str, kwargs: dict[str, t.Any]
) -> None:
    files_app.debug = debug
    client = files_app.test_client(driver=driver)
    if debug:  # a missing key is raised in debug mode (TRAP_BAD_REQUEST_ERRORS unset)
        with pytest.raises(BadRequestKeyError):
            client.post(url, **kwargs)
    else:
        rv = client.post(url, **kwargs)
        assert rv.status_code == 400


def test_a_real_upload_is_untouched_in_debug_mode(files_app: Tocsin, driver: str) -> None:
    files_app.debug = True
    rv = files_app.test_client(driver=driver).post(
        "/upload", data={"doc": (io.BytesIO(b"%PDF"), "report.pdf")}
    )
    assert rv.text == "file report.pdf"


def test_attach_enctype_error_multidict_keeps_the_object(app: Tocsin) -> None:
    with app.test_request_context("/", method="POST", data={"a": "1"}):
        files = request.files
        attach_enctype_error_multidict(request._get_current_object())  # type: ignore[attr-defined]
        assert request.files is files
        assert type(files).__name__ == "ImmutableMultiDict"
        assert type(files).__module__ == "werkzeug.datastructures.structures"
        with pytest.raises(DebugFilesKeyError):
            files["a"]
        with pytest.raises(BadRequestKeyError):
            files["b"]
        assert files.get("a") is None


# -- FormDataRoutingRedirect ----------------------------------------------------------------------


@pytest.fixture
def redirect_app(app: Tocsin) -> Tocsin:
    app.config["TESTING"] = False
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"]
    app.add_url_rule("/s/", "s", lambda: "s", methods=methods)
    app.add_url_rule("/old", "old", redirect_to="/s/", methods=["GET", "POST"])

    @app.errorhandler(AssertionError)
    def explained(e: AssertionError) -> tuple[str, int]:
        return f"{type(e).__name__}: {e}", 418

    return app


def _redirect_message(method: str, url: str, code: int, new_url: str, slash: bool) -> str:
    return (
        f"Routing answered the {method} request for {url!r} with a {code} redirect to the"
        f" canonical URL {new_url!r}."
        + (
            " The rule's URL ends with a slash: a request for it without the slash is"
            " redirected to the URL with it."
            if slash
            else ""
        )
        + " A browser follows such a redirect with a GET and drops the form data: send the"
        " request to the canonical URL, or redirect with 307 or 308." + _ONLY
    )


@pytest.mark.parametrize("code", [301, 302, 303])
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "BREW"])
def test_body_method_redirected_with_a_get_code_is_explained_in_debug_mode(
    redirect_app: Tocsin, driver: str, monkeypatch: pytest.MonkeyPatch, code: int, method: str
) -> None:
    monkeypatch.setattr(RequestRedirect, "code", code)
    redirect_app.debug = True
    client = redirect_app.test_client(driver=driver)
    rv = client.open("/s?x=1", method=method)
    assert (rv.status_code, rv.text) == (
        418,
        "FormDataRoutingRedirect: "
        + _redirect_message(
            method, "http://localhost/s?x=1", code, "http://localhost/s/?x=1", True
        ),
    )
    if method == "POST":  # a redirect_to rule: no trailing-slash sentence
        assert client.post("/old").text == "FormDataRoutingRedirect: " + _redirect_message(
            "POST", "http://localhost/old", code, "http://localhost/s/", False
        )


@pytest.mark.parametrize(
    ("code", "debug", "method"),
    [
        (308, True, "POST"),  # Werkzeug's own code: the body is kept
        (307, True, "POST"),
        (301, False, "POST"),  # not in debug mode
        (301, True, "GET"),
        (301, True, "HEAD"),
        (302, True, "OPTIONS"),
    ],
)
def test_other_redirects_are_sent(
    redirect_app: Tocsin,
    driver: str,
    monkeypatch: pytest.MonkeyPatch,
    code: int,
    debug: bool,
    method: str,
) -> None:
    monkeypatch.setattr(RequestRedirect, "code", code)
    redirect_app.debug = debug
    rv = redirect_app.test_client(driver=driver).open("/s", method=method)
    assert (rv.status_code, rv.headers["Location"]) == (code, "http://localhost/s/")


def test_unhandled_form_data_redirect_propagates_in_debug_mode(
    app: Tocsin, driver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RequestRedirect, "code", 301)
    app.debug = True
    app.add_url_rule("/s/", "s", lambda: "s", methods=["POST"])
    with pytest.raises(FormDataRoutingRedirect) as info:
        app.test_client(driver=driver).post("/s", base_url="http://other.test")
    assert str(info.value) == _redirect_message(
        "POST", "http://other.test/s", 301, "http://other.test/s/", True
    )


# -- explain_template_loading_attempts ------------------------------------------------------------


def test_explain_template_loading_attempts_logs_tocsins_explanation(
    app: Tocsin, caplog: pytest.LogCaptureFixture
) -> None:
    folder = str(FIXTURES / "templates")
    bp = Blueprint("admin", __name__)
    found = (FileSystemLoader(folder), app, ("src", os.path.join(folder, "x.html"), None))
    missing = (DictLoader({}), bp, None)
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        explain_template_loading_attempts(app, "x.html", [found, missing, found])  # type: ignore[list-item]
        explain_template_loading_attempts(app, "y.html", [missing])  # type: ignore[list-item]
    assert [r.getMessage() for r in caplog.records] == [
        "\n".join(
            [
                "Locating template 'x.html':",
                f"  1: FileSystemLoader of application 'tocsin_test_app', searching [{folder!r}]",
                f"     -> found ({os.path.join(folder, 'x.html')!r})",
                "  2: DictLoader of blueprint 'admin'",
                "     -> no match",
                f"  3: FileSystemLoader of application 'tocsin_test_app', searching [{folder!r}]",
                f"     -> found ({os.path.join(folder, 'x.html')!r})",
                "Warning: several loaders have the template; the first one is used.",
            ]
        ),
        "\n".join(
            [
                "Locating template 'y.html':",
                "  1: DictLoader of blueprint 'admin'",
                "     -> no match",
                "Error: no loader has the template.",
            ]
        ),
    ]
    assert found[0].get_source.__self__ is found[0]  # type: ignore[attr-defined]  # loaders untouched
