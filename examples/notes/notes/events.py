"""The demo's own signals, and the receivers that listen to them.

The views announce what happened (``note_created.send(app, note=..., user=...)``)
and know nothing of who listens. Here, the listeners:
:func:`audit_created` and :func:`audit_deleted`, connected for each app,
write a row into the ``audit`` table, in the same transaction as the note,
so a failing request leaves neither. The app's tracer watches this
namespace too (``tracer.watch(events)``), so each request's page of DevTools
(``/_tocsin/``) shows each send among the steps.
"""

from __future__ import annotations

import collections
import threading
import time
import typing as t

from tocsin import Tocsin, request_finished
from tocsin.signals import Namespace

from .db import get_db

events = Namespace()

note_created = events.signal(
    "note-created", doc="Sent after a note is stored, with note= (a dict) and user= (a name)."
)
note_deleted = events.signal(
    "note-deleted", doc="Sent after a note is deleted, with note= (a dict) and user= (a name)."
)


def _write_audit(action: str, note: dict[str, t.Any], user: str) -> None:
    get_db().execute(
        "INSERT INTO audit (at, actor, action, note_id, summary) VALUES (?, ?, ?, ?, ?)",
        (time.time(), user, action, note["id"], note["text"][:60]),
    )


def audit_created(sender: Tocsin, note: dict[str, t.Any], user: str) -> None:
    """Write an audit row for a ``note-created`` send."""
    _write_audit("created", note, user)


def audit_deleted(sender: Tocsin, note: dict[str, t.Any], user: str) -> None:
    """Write an audit row for a ``note-deleted`` send."""
    _write_audit("deleted", note, user)


_count_lock = threading.Lock()


def count_response(sender: Tocsin, response: t.Any) -> None:
    """Count responses by status code, in ``app.extensions["notes.statuses"]``."""
    with _count_lock:
        sender.extensions["notes.statuses"][response.status_code] += 1


def init_app(app: Tocsin) -> None:
    """Connect the receivers for *app* only (other apps in the process are not affected)."""
    app.extensions["notes.statuses"] = collections.Counter()
    note_created.connect(audit_created, sender=app)
    note_deleted.connect(audit_deleted, sender=app)
    request_finished.connect(count_response, sender=app)
