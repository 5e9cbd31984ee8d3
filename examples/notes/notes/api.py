"""The JSON API at ``/api``: every error, too, comes back as JSON.

``GET /api/notes``, ``GET /api/notes/<id>``, ``POST /api/notes`` with
``{"text": "..."}`` (signed in, through the session cookie) and
``DELETE /api/notes/<id>`` (the author only).
"""

from __future__ import annotations

import datetime
import typing as t

from werkzeug.exceptions import HTTPException

from tocsin import Blueprint, Response, abort, g, jsonify, request, url_for

from . import store
from .auth import authored_note, login_required
from .db import commit

bp = Blueprint("api", __name__, url_prefix="/api")


def note_json(note: dict[str, t.Any]) -> dict[str, t.Any]:
    """A note as the API shows it."""
    created = datetime.datetime.fromtimestamp(note["created"], datetime.UTC)
    return {
        "id": note["id"],
        "text": note["text"],
        "author": note["author"],
        "created": created.isoformat(timespec="seconds"),
        "url": url_for("api.get_note", note_id=note["id"]),
    }


def error_json(e: HTTPException) -> tuple[Response, int]:
    """An HTTP error as ``{"error": ..., "message": ..., "status": ...}``."""
    code = e.code or 500
    body = jsonify(error=e.name, message=e.description, status=code)
    return body, code


@bp.errorhandler(HTTPException)
def api_error(e: HTTPException) -> t.Any:
    """Errors raised by the API's views come back as JSON, not as the HTML error page."""
    return error_json(e)


@bp.after_request
def no_store(response: Response) -> Response:
    """API answers change with every write: tell caches not to keep them."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/notes")
def list_notes() -> t.Any:
    """Every note, newest first."""
    return {"notes": [note_json(n) for n in store.list_notes()]}


@bp.get("/notes/<int:note_id>")
def get_note(note_id: int) -> t.Any:
    """One note, or a JSON 404."""
    note = store.get_note(note_id)
    if note is None:
        abort(404, f"There is no note #{note_id}.")
    return note_json(note)


@bp.post("/notes")
@login_required
def create_note() -> t.Any:
    """Create a note from a JSON body ``{"text": "..."}``; 201 with the note."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or "text" not in data:
        abort(400, 'Send a JSON object with a "text" field, for example {"text": "Hello"}.')
    error = store.check_text(data["text"])
    if error is not None:
        abort(400, error)
    note = note_json(store.create_note(data["text"], g.user))
    commit()
    return note, 201, {"Location": note["url"]}


@bp.delete("/notes/<int:note_id>")
@login_required
def delete_note(note_id: int) -> t.Any:
    """Delete a note (its author only); 204."""
    store.delete_note(authored_note(note_id), g.user)
    commit()
    return "", 204
