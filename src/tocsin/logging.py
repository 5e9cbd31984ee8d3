"""The app's logger."""

from __future__ import annotations

import logging
import sys
import typing as t

if t.TYPE_CHECKING:
    from .app import Tocsin

__all__ = ["create_logger", "default_handler", "has_level_handler"]


def _errors_stream() -> t.TextIO:
    from .globals import _cv_request

    ctx = _cv_request.get(None)
    if ctx is not None and ctx._environ is not None and "wsgi.errors" in ctx._environ:
        return t.cast(t.TextIO, ctx._environ["wsgi.errors"])
    return sys.stderr


class _ErrorsStream:
    """Writes to the current request's ``wsgi.errors``, or to stderr."""

    def write(self, s: str) -> int:
        return _errors_stream().write(s)

    def flush(self) -> None:
        _errors_stream().flush()


#: The handler added to the app's logger when nothing else would show its errors.
default_handler = logging.StreamHandler(_ErrorsStream())
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


def create_logger(app: Tocsin) -> logging.Logger:
    """The logger named after the app; DEBUG level in debug mode."""
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
