# ruff: noqa: E501
"""The ten built-in signals of a Tocsin (and Flask) application.

Each is sent by the application with the application object as the sender;
the lifecycle table in ``tocsin.lifecycle`` says at which step. The
namespace is importable as ``_signals`` for code ported from Flask
tutorials (``_signals.signal("my-signal")`` adds a signal beside these).
"""

from __future__ import annotations

from ._namespace import Namespace

__all__ = [
    "_signals",
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "got_request_exception",
    "message_flashed",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "template_rendered",
]

_signals = Namespace()

# One line per signal, as in flask/signals.py; the docs make the lines long.
# fmt: off
template_rendered = _signals.signal("template-rendered", doc="Sent after a template is rendered, with template= (the Jinja template) and context= (the dict it was rendered with).")
before_render_template = _signals.signal("before-render-template", doc="Sent after context processors ran and before a template is rendered, with template= and context=; receivers may still change the context dict.")
request_started = _signals.signal("request-started", doc="Sent when a request starts, once its contexts are pushed and its URL matched and before any before_request function runs; no keyword arguments.")
request_finished = _signals.signal("request-finished", doc="Sent when the response is final (after after_request functions and saving the session), just before it goes to the server, with response=.")
got_request_exception = _signals.signal("got-request-exception", doc="Sent when an exception escapes the view and the hooks and no error handler takes it, before it propagates or becomes a 500, with exception=.")
request_tearing_down = _signals.signal("request-tearing-down", doc="Sent while the request context is torn down, always, even after an error, with exc= (the unhandled exception or None).")
appcontext_tearing_down = _signals.signal("appcontext-tearing-down", doc="Sent while the application context is torn down, always, even after an error, with exc= (the unhandled exception or None).")
appcontext_pushed = _signals.signal("appcontext-pushed", doc="Sent when an application context is pushed, so current_app and g are usable; no keyword arguments.")
appcontext_popped = _signals.signal("appcontext-popped", doc="Sent after an application context is popped; no keyword arguments.")
message_flashed = _signals.signal("message-flashed", doc="Sent when flash() stores a message, with message= and category=.")
# fmt: on
