"""Reading and writing notes, shared by the HTML views and the JSON API.

Writes announce themselves through :mod:`notes.events`; the receivers run in
the same transaction (committed or rolled back by :func:`notes.db.close_db`).
"""

from __future__ import annotations

import time
import typing as t

from tocsin import current_app

from .db import get_db
from .events import note_created, note_deleted

MAX_TEXT = 500

_SELECT = (
    "SELECT note.id, note.text, note.created, note.author_id, user.name AS author"
    " FROM note JOIN user ON user.id = note.author_id"
)


def check_text(text: t.Any) -> str | None:
    """What is wrong with *text* as a note's text, or ``None`` when it is fine."""
    if not isinstance(text, str):
        return "The note's text must be a string."
    if not text.strip():
        return "Write something first: a note cannot be empty."
    if len(text) > MAX_TEXT:
        return f"Notes are at most {MAX_TEXT} characters; this one has {len(text)}."
    return None


def list_notes(limit: int = 100) -> list[dict[str, t.Any]]:
    """The newest notes first."""
    rows = get_db().execute(f"{_SELECT} ORDER BY note.created DESC, note.id DESC LIMIT ?", (limit,))
    return [dict(row) for row in rows]


def get_note(note_id: int) -> dict[str, t.Any] | None:
    """The note *note_id*, or ``None``."""
    row = get_db().execute(f"{_SELECT} WHERE note.id = ?", (note_id,)).fetchone()
    return None if row is None else dict(row)


def create_note(text: str, user: t.Any) -> dict[str, t.Any]:
    """Store a note by *user* (a row with ``id`` and ``name``) and send ``note-created``."""
    cur = get_db().execute(
        "INSERT INTO note (author_id, text, created) VALUES (?, ?, ?)",
        (user["id"], text.strip(), time.time()),
    )
    note = t.cast(dict[str, t.Any], get_note(t.cast(int, cur.lastrowid)))  # just inserted
    note_created.send(current_app._get_current_object(), note=note, user=user["name"])
    return note


def delete_note(note: dict[str, t.Any], user: t.Any) -> None:
    """Delete *note* and send ``note-deleted``; the caller checks ownership."""
    get_db().execute("DELETE FROM note WHERE id = ?", (note["id"],))
    note_deleted.send(current_app._get_current_object(), note=note, user=user["name"])
