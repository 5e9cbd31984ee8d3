"""The HTML pages: the notes list with its form, deleting a note, the audit log."""

from __future__ import annotations

import typing as t

from tocsin import Blueprint, flash, g, redirect, render_template, request, url_for

from . import store
from .auth import authored_note, login_required
from .db import commit, get_db

bp = Blueprint("notes", __name__)


@bp.get("/")
def index() -> t.Any:
    """Every note, newest first, with the form to write one."""
    return render_template("notes/index.html", notes=store.list_notes(), text="")


@bp.post("/notes")
@login_required
def create() -> t.Any:
    """Store a note from the form; on bad input show the form again with the error."""
    text = request.form.get("text", "")
    error = store.check_text(text)
    if error is not None:
        flash(error, "error")
        return render_template("notes/index.html", notes=store.list_notes(), text=text), 400
    note = store.create_note(text, g.user)
    commit()
    flash(f"Note #{note['id']} saved.", "success")
    return redirect(url_for("notes.index"))


@bp.post("/notes/<int:note_id>/delete")
@login_required
def delete(note_id: int) -> t.Any:
    """Delete a note: only its author may (403 for anyone else)."""
    store.delete_note(authored_note(note_id), g.user)
    commit()
    flash(f"Note #{note_id} deleted.", "info")
    return redirect(url_for("notes.index"))


@bp.get("/audit")
def audit() -> t.Any:
    """The audit log, written by the ``note-created`` and ``note-deleted`` receivers."""
    rows = get_db().execute("SELECT * FROM audit ORDER BY id DESC LIMIT 200").fetchall()
    return render_template("audit.html", rows=rows)
