import tocsin.as_flask  # noqa: F401, I001 -- the only Tocsin line: flask is Tocsin from here on

# A small app written for Flask (Flask-Login sign-in, Flask-SQLAlchemy rows),
# served by real servers in test_servers.py:
#
#     tocsin --app signin_app run        gunicorn signin_app:app
#     uvicorn signin_app:app             hypercorn signin_app:app
#
# SIGNIN_DATABASE_URI names the database (an in-memory one by default).

import os
import typing as t

import flask
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from flask_login import logout_user
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
login_manager.login_view = "site.login"


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(unique=True)
    password_hash: Mapped[str]


class Note(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int]
    text: Mapped[str]


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


bp = flask.Blueprint("site", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> t.Any:
    if flask.request.method == "POST":
        name = flask.request.form.get("name", "")
        user = db.session.scalar(db.select(User).filter_by(name=name))
        if user is not None and check_password_hash(
            user.password_hash, flask.request.form.get("password", "")
        ):
            login_user(user)
            return flask.redirect(flask.request.args.get("next") or flask.url_for("site.private"))
        flask.flash("Wrong name or password.")
    messages = " ".join(flask.get_flashed_messages())
    return flask.render_template_string(
        "<h1>Sign in</h1><p>{{ messages }}</p>"
        "<form method=post><input name=name><input name=password type=password></form>",
        messages=messages,
    )


@bp.get("/private")
@login_required
def private() -> str:
    return f"Hello {current_user.name}"


@bp.route("/notes", methods=["GET", "POST"])
@login_required
def notes() -> t.Any:
    if flask.request.method == "POST":
        db.session.add(Note(user_id=current_user.id, text=flask.request.form["text"]))
        db.session.commit()
        return {"saved": flask.request.form["text"]}, 201
    rows = db.session.scalars(db.select(Note).filter_by(user_id=current_user.id).order_by(Note.id))
    return {"notes": [note.text for note in rows]}


@bp.get("/logout")
def logout() -> t.Any:
    logout_user()
    return flask.redirect(flask.url_for("site.login"))


def create_app(database_uri: str | None = None) -> flask.Flask:
    """The app, on ``database_uri`` (default: SIGNIN_DATABASE_URI, else in memory)."""
    app = flask.Flask(__name__)
    app.config.update(
        SECRET_KEY="signin demo",
        SQLALCHEMY_DATABASE_URI=database_uri or os.environ.get("SIGNIN_DATABASE_URI", "sqlite://"),
    )
    db.init_app(app)
    login_manager.init_app(app)
    app.register_blueprint(bp)
    return app


def init_db(app: flask.Flask) -> None:
    """Create the tables and the user ``ada`` (password ``lovelace``)."""
    with app.app_context():
        db.create_all()
        db.session.add(User(name="ada", password_hash=generate_password_hash("lovelace")))
        db.session.commit()


app = create_app()
