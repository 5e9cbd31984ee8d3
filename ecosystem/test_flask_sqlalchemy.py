"""Flask-SQLAlchemy 3.1.1: models in views, the session per app context, pagination, 404s."""

from __future__ import annotations

import typing as t

import flask
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.record_queries import get_recorded_queries
from flask_sqlalchemy.track_modifications import models_committed
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.exceptions import NotFound


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Post(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    author: Mapped[str] = mapped_column(default="anonymous")


def create_app(posts: int = 0, **config: t.Any) -> flask.Flask:
    """An app on a fresh in-memory database holding ``posts`` posts."""
    app = flask.Flask(__name__)
    app.config.update(TESTING=True, SQLALCHEMY_DATABASE_URI="sqlite://", **config)
    db.init_app(app)

    @app.post("/posts")
    def create_post() -> t.Any:
        post = Post(title=flask.request.form["title"], author=flask.request.form["author"])
        db.session.add(post)
        db.session.commit()
        return {"id": post.id, "title": post.title}, 201

    @app.get("/posts")
    def list_posts() -> t.Any:
        page = db.paginate(db.select(Post).order_by(Post.id), max_per_page=3)
        return {
            "titles": [post.title for post in page],
            "page": page.page,
            "pages": page.pages,
            "total": page.total,
            "next": page.next_num,
            "prev": page.prev_num,
        }

    @app.get("/posts/<int:post_id>")
    def show_post(post_id: int) -> str:
        post = db.get_or_404(Post, post_id, description=f"No post {post_id}.")
        return f"{post.title} by {post.author}"

    @app.get("/by/<author>")
    def first_by(author: str) -> str:
        post = db.first_or_404(db.select(Post).filter_by(author=author).order_by(Post.id))
        return post.title

    @app.get("/legacy/<author>")
    def legacy_first_by(author: str) -> str:
        return str(Post.query.filter_by(author=author).first_or_404().title)

    @app.post("/posts/<int:post_id>/rename")
    def rename(post_id: int) -> str:
        post = db.get_or_404(Post, post_id)
        post.title = flask.request.form["title"]
        db.session.commit()
        return "renamed"

    @app.post("/broken")
    def broken() -> str:
        db.session.add(Post(title="half done"))
        db.session.flush()
        raise RuntimeError("the view failed after a flush")

    @app.get("/queries")
    def queries() -> t.Any:
        db.session.scalars(db.select(Post).filter_by(author="ada")).all()
        db.session.get(Post, 2)
        return {"queries": [(q.statement, list(q.parameters)) for q in get_recorded_queries()]}

    @app.get("/count")
    def count() -> t.Any:
        total = db.session.scalar(db.select(db.func.count(Post.id)))
        return {"count": total, "marker": flask.g.get("marker")}

    with app.app_context():
        db.create_all()
        db.session.add_all(
            Post(title=f"post {n}", author="ada" if n % 2 else "bob") for n in range(1, posts + 1)
        )
        db.session.commit()
    return app


def rows(app: flask.Flask) -> list[tuple[int, str, str]]:
    with app.app_context():
        posts = db.session.scalars(db.select(Post).order_by(Post.id))
        return [(post.id, post.title, post.author) for post in posts]


def test_views_write_and_read_rows(make_client: t.Callable[..., t.Any]) -> None:
    app = create_app()
    client = make_client(app)
    response = client.post("/posts", data={"title": "Hello", "author": "ada"})
    assert (response.status_code, response.json) == (201, {"id": 1, "title": "Hello"})
    client.post("/posts", data={"title": "Again", "author": "bob"})
    assert rows(app) == [(1, "Hello", "ada"), (2, "Again", "bob")]
    assert client.get("/posts/2").text == "Again by bob"
    assert client.post("/posts/1/rename", data={"title": "Hi"}).text == "renamed"
    assert rows(app) == [(1, "Hi", "ada"), (2, "Again", "bob")]
    assert client.get("/posts").json == {
        "titles": ["Hi", "Again"],
        "page": 1,
        "pages": 1,
        "total": 2,
        "next": None,
        "prev": None,
    }


def test_the_session_is_removed_when_each_request_ends(make_client: t.Callable[..., t.Any]) -> None:
    app = create_app(posts=1)
    removed: list[BaseException | None] = []
    app.teardown_appcontext(removed.append)
    client = make_client(app)
    client.post("/posts", data={"title": "new", "author": "ada"})
    client.get("/posts/1")
    assert removed == [None, None]


def test_paginate_reads_page_and_per_page_from_the_query_string(
    make_client: t.Callable[..., t.Any],
) -> None:
    app = create_app(posts=7)
    client = make_client(app)
    assert client.get("/posts?page=2&per_page=2").json == {
        "titles": ["post 3", "post 4"],
        "page": 2,
        "pages": 4,
        "total": 7,
        "next": 3,
        "prev": 1,
    }
    # per_page is capped by max_per_page=3
    assert client.get("/posts?page=3&per_page=50").json == {
        "titles": ["post 7"],
        "page": 3,
        "pages": 3,
        "total": 7,
        "next": None,
        "prev": 2,
    }
    # out of range, not positive, not a number: 404 (error_out)
    statuses = [client.get(f"/posts?page={page}").status_code for page in ("9", "0", "x")]
    assert statuses == [404, 404, 404]


def test_get_or_404_and_first_or_404(make_client: t.Callable[..., t.Any]) -> None:
    app = create_app(posts=3)
    client = make_client(app)
    assert client.get("/posts/3").text == "post 3 by ada"
    missing = client.get("/posts/99")
    assert missing.status_code == 404
    assert missing.text == NotFound(description="No post 99.").get_body()
    assert client.get("/by/bob").text == "post 2"
    nobody = client.get("/by/carol")
    assert (nobody.status_code, nobody.text) == (404, NotFound().get_body())
    assert client.get("/legacy/ada").text == "post 1"
    assert client.get("/legacy/carol").status_code == 404
    assert client.post("/posts/42/rename", data={"title": "x"}).status_code == 404


def test_a_failing_view_leaves_no_row_and_the_session_is_removed_with_the_error(
    make_client: t.Callable[..., t.Any],
) -> None:
    app = create_app(posts=1, PROPAGATE_EXCEPTIONS=False)
    removed: list[BaseException | None] = []
    app.teardown_appcontext(removed.append)
    response = make_client(app).post("/broken")
    assert response.status_code == 500
    assert [type(error).__name__ for error in removed] == ["RuntimeError"]
    assert str(removed[0]) == "the view failed after a flush"
    assert rows(app) == [(1, "post 1", "ada")]


def test_record_queries(make_client: t.Callable[..., t.Any]) -> None:
    app = create_app(posts=2, SQLALCHEMY_RECORD_QUERIES=True)
    columns = "SELECT post.id, post.title, post.author \nFROM post \n"
    assert make_client(app).get("/queries").json == {
        "queries": [
            [columns + "WHERE post.author = ?", [["ada"]]],
            [columns + "WHERE post.id = ?", [[2]]],
        ]
    }


def test_models_committed_signal(make_client: t.Callable[..., t.Any]) -> None:
    app = create_app(SQLALCHEMY_TRACK_MODIFICATIONS=True)
    committed: list[tuple[object, list[tuple[str, str]]]] = []

    def on_commit(sender: object, changes: list[tuple[Post, str]]) -> None:
        committed.append((sender, [(post.title, operation) for post, operation in changes]))

    models_committed.connect(on_commit, app)
    try:
        client = make_client(app)
        client.post("/posts", data={"title": "Signal", "author": "ada"})
        client.post("/posts/1/rename", data={"title": "Signalled"})
    finally:
        models_committed.disconnect(on_commit, app)
    assert committed == [(app, [("Signal", "insert")]), (app, [("Signalled", "update")])]


def test_the_shell_context_has_db_and_the_models() -> None:
    app = create_app()
    with app.app_context():  # as ``flask shell`` calls it
        context = app.make_shell_context()
    assert sorted(context) == ["Post", "app", "db", "g"]
    assert (context["db"], context["Post"], context["app"]) == (db, Post, app)
    assert context["g"] is flask.g


def test_a_request_inside_app_context_shares_its_session_and_g(
    make_client: t.Callable[..., t.Any],
) -> None:
    """Flask 3.1 reuses the app context a test pushed: ``g`` and ``db.session`` are shared."""
    app = create_app(posts=2)
    removed: list[BaseException | None] = []
    app.teardown_appcontext(removed.append)
    client = make_client(app)
    with app.app_context():
        db.session.add(Post(title="uncommitted", author="ada"))
        flask.g.marker = "set by the test"
        assert client.get("/count").json == {"count": 3, "marker": "set by the test"}
        assert client.get("/posts/3").text == "uncommitted by ada"
        assert removed == []  # the requests did not end the test's app context
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 3
    assert removed == [None]  # once, when the block ended: the session was removed
    assert rows(app) == [(1, "post 1", "ada"), (2, "post 2", "bob")]  # rolled back
    assert client.get("/count").json == {"count": 2, "marker": None}
    assert removed == [None, None, None]  # rows() and the request each had their own
