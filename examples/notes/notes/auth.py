"""Signing in and out with the session: a name and a password, stored hashed.

Signing in with a new name creates the account, so the demo needs no
separate registration page.
"""

from __future__ import annotations

import functools
import time
import typing as t

from werkzeug.security import check_password_hash, generate_password_hash

from tocsin import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from . import store
from .db import commit, get_db

bp = Blueprint("auth", __name__, url_prefix="/auth")

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

MAX_NAME = 40


def load_logged_in_user() -> None:
    """``before_request``: put the signed-in user (a row) or ``None`` into ``g.user``."""
    user_id = session.get("user_id")
    g.user = None
    if user_id is not None:
        g.user = get_db().execute("SELECT id, name FROM user WHERE id = ?", (user_id,)).fetchone()


def login_required(view: F) -> F:
    """Send visitors who are not signed in to the sign-in page (API: a JSON 401)."""

    @functools.wraps(view)
    def wrapped(**kwargs: t.Any) -> t.Any:
        if g.user is None:
            if request.blueprint == "api":
                abort(401, "Sign in first: POST your name and password to /auth/signin.")
            flash("Sign in to do that.", "error")
            return redirect(url_for("auth.signin"))
        return view(**kwargs)

    return t.cast(F, wrapped)


def authored_note(note_id: int) -> dict[str, t.Any]:
    """The note *note_id* if the signed-in user wrote it; else a 404 or a 403."""
    note = store.get_note(note_id)
    if note is None:
        abort(404, f"There is no note #{note_id}.")
    if note["author_id"] != g.user["id"]:
        abort(403, "Only the author of a note can delete it.")
    return note


def _check_form(name: str, password: str) -> str | None:
    if not name:
        return "Your name is required."
    if len(name) > MAX_NAME:
        return f"Names are at most {MAX_NAME} characters."
    if not password:
        return "A password is required."
    return None


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> t.Any:
    """Sign in; a name seen for the first time creates the account."""
    if request.method == "GET":
        return render_template("auth/signin.html", name="")
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    error = _check_form(name, password)
    user, created = None, False
    if error is None:
        user, created = _find_or_create(name, password)
        if user is None:
            error = "Wrong password for that name."
    if error is not None:
        flash(error, "error")
        return render_template("auth/signin.html", name=name), 400
    session.clear()  # a fresh session for the signed-in user (and before flash, which uses it)
    session["user_id"] = user["id"]
    commit()  # a new account must exist before the browser follows the redirect
    flash(
        f"Welcome, {name}! Your account is ready." if created else f"Welcome back, {name}.",
        "success",
    )
    return redirect(url_for("notes.index"))


def _find_or_create(name: str, password: str) -> tuple[t.Any, bool]:
    """``(user, created)``: the user *name* if *password* is theirs, a new user if the name
    is new, or ``(None, False)`` for a wrong password."""
    db = get_db()
    user = db.execute("SELECT * FROM user WHERE name = ?", (name,)).fetchone()
    if user is None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        cur = db.execute(
            "INSERT INTO user (name, password_hash, created) VALUES (?, ?, ?)",
            (name, generate_password_hash(password, method=method), time.time()),
        )
        return {"id": cur.lastrowid, "name": name}, True
    if check_password_hash(user["password_hash"], password):
        return user, False
    return None, False


@bp.post("/signout")
def signout() -> t.Any:
    """Forget the signed-in user."""
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("notes.index"))
