"""The demo's own signals, and the receivers that listen to them.

The views announce what happened (``note_created.send(app, note=..., user=...)``)
and know nothing of who listens. Here, two listeners:

- :func:`audit_created` and :func:`audit_deleted`, connected for each app,
  write a row into the ``audit`` table, in the same transaction as the
  note, so a failing request leaves neither;
- :func:`trace_signal`, subscribed to every signal of the namespace (and to
  ``template_rendered`` and ``message_flashed``), adds each send to the
  request's lifecycle trace, so the ``/lifecycle`` page shows it among the
  steps.
"""

from __future__ import annotations

import collections
import threading
import time
import typing as t

from tocsin import Tocsin, has_request_context, message_flashed, request_finished, template_rendered
from tocsin.globals import request_ctx
from tocsin.signals import Namespace, Signal

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


def trace_signal(signal: Signal, sender: t.Any, **kwargs: t.Any) -> None:
    """Record a send of *signal* in the current request's lifecycle trace, if any.

    The tracer records the request signals that the pipeline sends; the
    demo's own signals and the template and flash signals are added here.
    """
    if not has_request_context():
        return
    trace = request_ctx.trace
    if trace is not None:
        trace.signal(getattr(signal, "name", repr(signal)), len(list(signal.receivers_for(sender))))


def _trace_builtin(signal: Signal) -> t.Callable[..., None]:
    def receiver(sender: t.Any, **kwargs: t.Any) -> None:
        trace_signal(signal, sender, **kwargs)

    receiver.__qualname__ = receiver.__name__ = f"trace_{signal.name}".replace("-", "_")
    return receiver


events.connect_all(trace_signal)
_trace_template_rendered = _trace_builtin(template_rendered)
_trace_message_flashed = _trace_builtin(message_flashed)


_count_lock = threading.Lock()


def count_response(sender: Tocsin, response: t.Any) -> None:
    """Count responses by status code (shown on the lifecycle page)."""
    with _count_lock:
        sender.extensions["notes.statuses"][response.status_code] += 1


def init_app(app: Tocsin) -> None:
    """Connect the receivers for *app* only (other apps in the process are not affected)."""
    app.extensions["notes.statuses"] = collections.Counter()
    note_created.connect(audit_created, sender=app)
    note_deleted.connect(audit_deleted, sender=app)
    template_rendered.connect(_trace_template_rendered, sender=app)
    message_flashed.connect(_trace_message_flashed, sender=app)
    request_finished.connect(count_response, sender=app)
