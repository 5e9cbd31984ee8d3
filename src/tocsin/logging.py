"""Logging as in ``flask.logging``: the app's logger, its default handler and its stream."""

from __future__ import annotations

import logging
import sys
import typing as t

from werkzeug.local import LocalProxy

from .globals import _cv_request

if t.TYPE_CHECKING:
    from .sansio.app import App

__all__ = ["create_logger", "default_handler", "has_level_handler", "wsgi_errors_stream"]


def _current_errors_stream() -> t.TextIO:
    ctx = _cv_request.get(None)
    # Under ASGI the environ is built on first use; until then its
    # ``wsgi.errors`` would be sys.stderr anyway, so do not build it for a log line.
    env = ctx._environ if ctx is not None else None
    if env is not None and "wsgi.errors" in env:
        return t.cast(t.TextIO, env["wsgi.errors"])
    return sys.stderr


wsgi_errors_stream: t.TextIO = t.cast(t.TextIO, LocalProxy(_current_errors_stream))
"""The current request's ``wsgi.errors`` stream, or :data:`sys.stderr` outside a request.

A proxy, as in Flask, looked up at every use; the ASGI driver's environ
has :data:`sys.stderr` as its ``wsgi.errors``. An environ without one
also gives :data:`sys.stderr` (Flask raises :exc:`KeyError`).
"""

#: The handler added to the app's logger when nothing else would show its errors.
default_handler = logging.StreamHandler(wsgi_errors_stream)
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


def has_level_handler(logger: logging.Logger) -> bool:
    """True when some handler in *logger*'s chain shows records of its effective level."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


def create_logger(app: App) -> logging.Logger:
    """The logger named after the app; DEBUG level in debug mode."""
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
