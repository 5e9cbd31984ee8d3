"""JSON helpers that use the current app's JSON provider, as ``flask.json`` does."""

from __future__ import annotations

import json as _json
import typing as t

from ..globals import _cv_app
from .provider import _default

if t.TYPE_CHECKING:
    from ..wrappers import Response

__all__ = ["dump", "dumps", "jsonify", "load", "loads"]


def dumps(obj: t.Any, **kwargs: t.Any) -> str:
    """Serialize *obj* with the current app's provider, or the standard library outside one."""
    ctx = _cv_app.get(None)
    if ctx is not None:
        return ctx.app.json.dumps(obj, **kwargs)
    kwargs.setdefault("default", _default_outside_app)
    return _json.dumps(obj, **kwargs)


def dump(obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
    """Serialize *obj* as JSON into *fp*."""
    fp.write(dumps(obj, **kwargs))


def loads(s: str | bytes, **kwargs: t.Any) -> t.Any:
    """Deserialize *s* with the current app's provider, or the standard library."""
    ctx = _cv_app.get(None)
    if ctx is not None:
        return ctx.app.json.loads(s, **kwargs)
    return _json.loads(s, **kwargs)


def load(fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
    """Deserialize the JSON document read from *fp*."""
    return loads(fp.read(), **kwargs)


def jsonify(*args: t.Any, **kwargs: t.Any) -> Response:
    """Return a JSON response of the arguments, using the current app's provider.

    One argument is dumped as is, several as a list, keywords as a dict.
    """
    ctx = _cv_app.get(None)
    if ctx is None:
        raise RuntimeError(
            "jsonify() needs an application context; call it in a view or inside app.app_context()."
        )
    return ctx.app.json.response(*args, **kwargs)


def _default_outside_app(o: t.Any) -> t.Any:
    return _default(o)
