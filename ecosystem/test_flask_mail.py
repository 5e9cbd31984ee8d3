"""Flask-Mail 0.10.0 (MAIL_SUPPRESS_SEND): messages sent by views, recorded through its signal."""

from __future__ import annotations

import email
import typing as t

import flask
import pytest
from flask_mail import BadHeaderError, Mail, Message, email_dispatched


def create_app() -> tuple[flask.Flask, Mail]:
    """An app sending mail from its views, with TESTING (so nothing leaves the process)."""
    app = flask.Flask(__name__)
    app.config.update(TESTING=True, MAIL_DEFAULT_SENDER=("Shop", "shop@example.com"))
    mail = Mail(app)

    @app.post("/welcome/<name>")
    def welcome(name: str) -> str:
        message = Message(
            subject=f"Welcome {name}",
            recipients=[f"{name}@example.com"],
            body=flask.render_template_string(
                "Hello {{ name }}, from {{ request.path }}", name=name
            ),
            html=f"<b>Hello {name}</b>",
        )
        message.attach("terms.txt", "text/plain", b"be nice")
        mail.send(message)
        return "sent"

    @app.post("/newsletter")
    def newsletter() -> str:
        with mail.connect() as connection:
            for name in flask.request.form.getlist("to"):
                connection.send_message(subject="News", recipients=[name], body=f"Hi {name}")
        return "queued"

    @app.post("/bad")
    def bad() -> str:
        mail.send(Message(subject="Oops\nBcc: all@example.com", recipients=["x@example.com"]))
        return "unreachable"

    @app.errorhandler(BadHeaderError)
    def bad_header(error: BadHeaderError) -> tuple[str, int]:
        return "bad header", 400

    return app, mail


def test_record_messages_sees_what_a_view_sent(make_client: t.Callable[..., t.Any]) -> None:
    app, mail = create_app()
    assert app.extensions["mail"].suppress is True
    client = make_client(app)
    with mail.record_messages() as outbox:
        assert client.post("/welcome/ada").text == "sent"
    [message] = outbox
    assert (message.subject, message.recipients, message.sender) == (
        "Welcome ada",
        ["ada@example.com"],
        "Shop <shop@example.com>",
    )
    assert message.body == "Hello ada, from /welcome/ada"
    assert message.html == "<b>Hello ada</b>"
    assert [(a.filename, a.content_type, a.data) for a in message.attachments] == [
        ("terms.txt", "text/plain", b"be nice")
    ]
    with app.app_context():  # rendering the message reads the extension's config
        raw = message.as_string()
    parsed = email.message_from_string(raw)
    assert (parsed["Subject"], parsed["From"], parsed["To"]) == (
        "Welcome ada",
        "=?utf-8?q?Shop?= <shop@example.com>",
        "ada@example.com",
    )
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/plain",  # the attachment
    ]
    # outside the block nothing is recorded
    client.post("/welcome/bob")
    assert len(outbox) == 1


def test_the_signal_is_sent_with_the_app(make_client: t.Callable[..., t.Any]) -> None:
    app, mail = create_app()
    client = make_client(app)
    received: list[tuple[t.Any, str]] = []

    def on_dispatch(sender: t.Any, message: Message) -> None:
        received.append((sender, message.subject))

    with email_dispatched.connected_to(on_dispatch), mail.record_messages() as outbox:
        client.post("/newsletter", data={"to": ["a@example.com", "b@example.com"]})
    assert received == [(app, "News"), (app, "News")]
    assert [(m.recipients, m.body) for m in outbox] == [
        (["a@example.com"], "Hi a@example.com"),
        (["b@example.com"], "Hi b@example.com"),
    ]


def test_bad_headers_raise_in_the_view(make_client: t.Callable[..., t.Any]) -> None:
    app, mail = create_app()
    client = make_client(app)
    with mail.record_messages() as outbox:
        response = client.post("/bad")
    assert (response.status_code, response.text, outbox) == (400, "bad header", [])


def test_sending_outside_a_request() -> None:
    app, mail = create_app()
    with pytest.raises(RuntimeError, match="Working outside of application context"):
        mail.send_message(subject="x", recipients=["x@example.com"], body="x")
    with app.app_context(), mail.record_messages() as outbox:
        mail.send_message(subject="cli", recipients=["ops@example.com"], body="done")
    assert [m.subject for m in outbox] == ["cli"]
