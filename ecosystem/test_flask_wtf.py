"""Flask-WTF 1.3.0: CSRFProtect, FlaskForm.validate_on_submit, exemptions, file fields."""

from __future__ import annotations

import io
import re
import typing as t

import flask
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class CommentForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=10)])


class UploadForm(FlaskForm):
    upload = FileField("File", validators=[FileRequired(), FileAllowed(["txt"], "Text only!")])


FORM_PAGE = (
    "<form method=post>{{ form.csrf_token }}{{ form.name }}</form>"
    "{% for field, errors in form.errors.items() %}"
    "{% for error in errors %}[{{ field }}: {{ error }}]{% endfor %}{% endfor %}"
)


def create_app() -> flask.Flask:
    app = flask.Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY="ecosystem wtf")
    csrf = CSRFProtect(app)

    @app.route("/comment", methods=["GET", "POST"])
    def comment() -> str:
        form = CommentForm()
        if form.validate_on_submit():
            return f"thanks, {form.name.data}"
        return flask.render_template_string(FORM_PAGE, form=form)

    @app.post("/json/comment")
    def api_comment() -> t.Any:
        form = CommentForm()  # from the JSON body, the token in a header
        if form.validate_on_submit():
            return {"name": form.name.data}
        return {"errors": form.errors}, 422

    @app.post("/plain")
    def plain() -> str:
        return "plain post accepted"

    @app.get("/token")
    def token() -> str:
        return flask.render_template_string("{{ csrf_token() }}")

    @app.post("/webhook")
    @csrf.exempt
    def webhook() -> str:
        return f"webhook got {flask.request.get_data(as_text=True)}"

    api = flask.Blueprint("api", __name__, url_prefix="/api")

    @api.post("/ping")
    def ping() -> str:
        return "pong"

    csrf.exempt(api)
    app.register_blueprint(api)

    @app.route("/upload", methods=["GET", "POST"])
    def upload() -> t.Any:
        form = UploadForm()
        if form.validate_on_submit():
            data = form.upload.data
            return f"{data.filename}: {data.read().decode()}"
        return {"errors": form.errors}, 422

    return app


def csrf_token_of(page: str) -> str:
    found = re.search(
        r'<input id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)">', page
    )
    assert found is not None, page
    return found.group(1)


def test_csrf_missing_and_bad_tokens_are_400(make_client: t.Callable[..., t.Any]) -> None:
    client = make_client(create_app())
    missing = client.post("/plain", data={"x": "1"})
    assert (missing.status_code, missing.text) == (
        400,
        CSRFError("The CSRF token is missing.").get_body(),
    )
    # a token with no token in the session yet
    no_session = client.post("/plain", data={"csrf_token": "made-up"})
    assert no_session.text == CSRFError("The CSRF session token is missing.").get_body()
    client.get("/comment")  # the session now holds the raw token
    bad = client.post("/plain", data={"csrf_token": "made-up"})
    assert (bad.status_code, bad.text) == (400, CSRFError("The CSRF token is invalid.").get_body())
    assert client.get("/comment").status_code == 200  # GET is not checked


def test_a_csrf_error_handler_gets_the_reason(make_client: t.Callable[..., t.Any]) -> None:
    app = create_app()

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return f"csrf: {error.description}", 400

    response = make_client(app).post("/plain")
    assert (response.status_code, response.text) == (400, "csrf: The CSRF token is missing.")


def test_the_token_from_the_rendered_page_is_accepted(make_client: t.Callable[..., t.Any]) -> None:
    client = make_client(create_app())
    page = client.get("/comment").text
    assert page.startswith('<form method=post><input id="csrf_token" name="csrf_token"')
    assert page.endswith(
        '<input id="name" maxlength="10" name="name" required type="text" value=""></form>'
    )
    token = csrf_token_of(page)
    response = client.post("/comment", data={"csrf_token": token, "name": "Ada"})
    assert (response.status_code, response.text) == (200, "thanks, Ada")
    # the same token again (it is valid for the session's lifetime limit), as a header
    response = client.post("/plain", headers={"X-CSRFToken": token})
    assert (response.status_code, response.text) == (200, "plain post accepted")
    # csrf_token() in a template gives a token for the same session secret
    response = client.post("/plain", data={"csrf_token": client.get("/token").text})
    assert response.text == "plain post accepted"


def test_validate_on_submit_reports_field_errors(make_client: t.Callable[..., t.Any]) -> None:
    client = make_client(create_app())
    token = csrf_token_of(client.get("/comment").text)
    empty = client.post("/comment", data={"csrf_token": token, "name": ""})
    assert empty.status_code == 200
    assert empty.text.endswith("</form>[name: This field is required.]")
    long = client.post("/comment", data={"csrf_token": token, "name": "x" * 11})
    assert long.text.endswith("</form>[name: Field cannot be longer than 10 characters.]")
    assert 'value="xxxxxxxxxxx"' in long.text  # the submitted value is re-rendered


def test_exempt_views_and_blueprints_skip_the_check(make_client: t.Callable[..., t.Any]) -> None:
    client = make_client(create_app())
    response = client.post("/webhook", data=b"payload", content_type="text/plain")
    assert (response.status_code, response.text) == (200, "webhook got payload")
    assert client.post("/api/ping").text == "pong"
    assert client.post("/plain").status_code == 400


def test_file_field(make_client: t.Callable[..., t.Any]) -> None:
    client = make_client(create_app())
    token = csrf_token_of(client.get("/comment").text)
    response = client.post(
        "/upload",
        data={"csrf_token": token, "upload": (io.BytesIO(b"some notes"), "notes.txt")},
    )
    assert (response.status_code, response.text) == (200, "notes.txt: some notes")
    wrong = client.post(
        "/upload",
        data={"csrf_token": token, "upload": (io.BytesIO(b"\x89PNG"), "image.png")},
    )
    assert (wrong.status_code, wrong.json) == (422, {"errors": {"upload": ["Text only!"]}})
    none = client.post("/upload", data={"csrf_token": token}, content_type="multipart/form-data")
    assert none.json == {"errors": {"upload": ["This field is required."]}}


def test_a_form_from_a_json_body_with_the_token_in_a_header(
    make_client: t.Callable[..., t.Any],
) -> None:
    client = make_client(create_app())
    token = client.get("/token").text
    response = client.post("/json/comment", json={"name": "Grace"}, headers={"X-CSRF-Token": token})
    assert (response.status_code, response.json) == (200, {"name": "Grace"})
    invalid = client.post("/json/comment", json={"name": ""}, headers={"X-CSRF-Token": token})
    assert (invalid.status_code, invalid.json) == (
        422,
        {"errors": {"name": ["This field is required."]}},
    )
    assert client.post("/json/comment", json={"name": "Grace"}).status_code == 400


def test_csrf_can_be_turned_off_for_tests(make_client: t.Callable[..., t.Any]) -> None:
    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False
    client = make_client(app)
    assert client.post("/comment", data={"name": "Ada"}).text == "thanks, Ada"
    assert client.post("/plain").text == "plain post accepted"


def test_over_https_the_referrer_must_be_this_host(make_client: t.Callable[..., t.Any]) -> None:
    client = make_client(create_app())
    token = client.get("/token", base_url="https://localhost").text
    data = {"csrf_token": token}
    missing = client.post("/plain", data=data, base_url="https://localhost")
    assert missing.text == CSRFError("The referrer header is missing.").get_body()
    other = client.post(
        "/plain", data=data, base_url="https://localhost", headers={"Referer": "https://evil/"}
    )
    assert other.text == CSRFError("The referrer does not match the host.").get_body()
    same = client.post(
        "/plain",
        data=data,
        base_url="https://localhost",
        headers={"Referer": "https://localhost/comment"},
    )
    assert (same.status_code, same.text) == (200, "plain post accepted")


def test_a_file_form_in_a_test_request_context_closes_the_upload() -> None:
    app = create_app()
    data = {"upload": (io.BytesIO(b"some notes"), "notes.txt")}
    with app.test_request_context("/upload", method="POST", data=data):
        form = UploadForm(meta={"csrf": False})
        assert form.validate()
        upload = form.upload.data
        assert (upload.filename, upload.read()) == ("notes.txt", b"some notes")
    assert upload.stream.closed
