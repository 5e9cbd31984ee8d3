"""A JSON serializer that round-trips the types sessions commonly hold.

Tagged values are one-key dicts: ``{" t": [1, 2]}`` is a tuple. Compatible in
spirit with Flask's session format, written for Tocsin.
"""

from __future__ import annotations

import json
import typing as t
from base64 import b64decode, b64encode
from datetime import datetime
from uuid import UUID

from markupsafe import Markup
from werkzeug.http import http_date, parse_date

__all__ = ["TaggedJSONSerializer"]

_Encode = t.Callable[[t.Any], t.Any]
# tag -> (type test, to JSON, from JSON); order matters: checked top to bottom.
_TAGS: tuple[tuple[str, t.Callable[[t.Any], bool], _Encode, _Encode], ...] = (
    (" t", lambda v: isinstance(v, tuple), list, tuple),
    (" b", lambda v: isinstance(v, bytes), lambda v: b64encode(v).decode("ascii"), b64decode),
    (" m", lambda v: callable(getattr(v, "__html__", None)), lambda v: str(v.__html__()), Markup),
    (" u", lambda v: isinstance(v, UUID), lambda v: v.hex, UUID),
    (" d", lambda v: isinstance(v, datetime), http_date, parse_date),
)
_BY_TAG = {tag: untag for tag, _, _, untag in _TAGS}


class TaggedJSONSerializer:
    """``dumps``/``loads`` for session data, keeping tuples, bytes, Markup, UUIDs and datetimes."""

    def tag(self, value: t.Any) -> t.Any:
        """Convert *value* into plain JSON data, tagging the special types."""
        for tag, test, encode, _ in _TAGS:
            if test(value):
                inner = encode(value)
                return {tag: self.tag(inner) if tag == " t" else inner}
        if isinstance(value, dict):
            if len(value) == 1 and next(iter(value)) in _BY_TAG or any(
                isinstance(k, str) and k.startswith(" ") for k in value
            ):
                return {" di": {k: self.tag(v) for k, v in value.items()}}
            return {k: self.tag(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.tag(item) for item in value]
        return value

    def untag(self, value: t.Any) -> t.Any:
        """Reverse :meth:`tag`."""
        if isinstance(value, dict):
            if len(value) == 1:
                key = next(iter(value))
                if key == " di":
                    return {k: self.untag(v) for k, v in value[key].items()}
                if key in _BY_TAG:
                    inner = value[key]
                    return _BY_TAG[key](self.untag(inner) if key == " t" else inner)
            return {k: self.untag(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.untag(item) for item in value]
        return value

    def dumps(self, value: t.Any) -> str:
        """Tag *value* and serialize it as compact JSON."""
        return json.dumps(self.tag(value), separators=(",", ":"))

    def loads(self, value: str | bytes) -> t.Any:
        """Load JSON and untag it."""
        return self.untag(json.loads(value))
