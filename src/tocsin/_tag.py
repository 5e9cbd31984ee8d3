"""A JSON serializer that round-trips the types sessions commonly hold.

A tagged value is a one-key dict whose key is a tag: ``{" t": [1, 2]}`` is
the tuple ``(1, 2)``. The tags are Flask's, in Flask's format, so a session
cookie written by a Flask app with the same ``SECRET_KEY`` reads in Tocsin
and the other way round (a ported app keeps its users signed in):

=========  ==========================  ====================================
tag        Python value                JSON value
=========  ==========================  ====================================
``" t"``   ``tuple``                   list of tagged items
``" b"``   ``bytes``                   base64 text
``" m"``   anything with ``__html__``  its markup, read back as ``Markup``
``" u"``   ``uuid.UUID``               hex text
``" d"``   ``datetime``                HTTP date (second precision, UTC)
``" di"``  a one-key dict whose key    ``{key + "__": tagged value}``
           is a tag
=========  ==========================  ====================================

Other values go through the app's JSON provider, as in Flask (so a
``Decimal`` or a ``date`` is stored as a string and read back as one).
"""

from __future__ import annotations

import typing as t
from base64 import b64decode, b64encode
from datetime import datetime
from uuid import UUID

from markupsafe import Markup
from werkzeug.http import http_date, parse_date

from . import json as _json

__all__ = ["TaggedJSONSerializer"]

_Untag = t.Callable[[t.Any], t.Any]
_SCALARS: dict[str, _Untag] = {" b": b64decode, " m": Markup, " u": UUID, " d": parse_date}
#: Every tag; a plain one-key dict with one of these keys is escaped with ``" di"``.
TAGS = frozenset((" t", " di", *_SCALARS))


class TaggedJSONSerializer:
    """``dumps``/``loads`` for session data, keeping tuples, bytes, Markup, UUIDs and datetimes."""

    def tag(self, value: t.Any) -> t.Any:
        """Convert *value* into plain JSON data, tagging the special types."""
        if isinstance(value, dict):
            if len(value) == 1:
                key = next(iter(value))
                if key in TAGS:
                    return {" di": {f"{key}__": self.tag(value[key])}}
            return {k: self.tag(v) for k, v in value.items()}
        if isinstance(value, tuple):
            return {" t": [self.tag(item) for item in value]}
        if isinstance(value, list):
            return [self.tag(item) for item in value]
        if isinstance(value, bytes):
            return {" b": b64encode(value).decode("ascii")}
        if callable(getattr(value, "__html__", None)):
            return {" m": str(value.__html__())}
        if isinstance(value, UUID):
            return {" u": value.hex}
        if isinstance(value, datetime):
            return {" d": http_date(value)}
        return value

    def untag(self, value: t.Any) -> t.Any:
        """Reverse :meth:`tag`."""
        if isinstance(value, dict):
            if len(value) == 1:
                key, inner = next(iter(value.items()))
                if key == " t":
                    return tuple(self.untag(item) for item in inner)
                if key == " di":
                    return {k[:-2]: self.untag(v) for k, v in inner.items()}
                untag = _SCALARS.get(key)
                if untag is not None:
                    return untag(inner)
            return {k: self.untag(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.untag(item) for item in value]
        return value

    def dumps(self, value: t.Any) -> str:
        """Tag *value* and serialize it as compact JSON (with the app's JSON provider)."""
        return _json.dumps(self.tag(value), separators=(",", ":"))

    def loads(self, value: str | bytes) -> t.Any:
        """Load JSON and untag it."""
        return self.untag(_json.loads(value))
