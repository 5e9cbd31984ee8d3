"""Flask's documented example of a custom session tag, for Tocsin and Flask (shared by tests)."""

from __future__ import annotations

import typing as t
from collections import OrderedDict

import flask.json.tag as flask_tag

from tocsin.json.tag import JSONTag


class TagOrderedDict(JSONTag):
    """Keeps an ``OrderedDict`` an ``OrderedDict`` through a session cookie."""

    __slots__ = ("serializer",)
    key = " od"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, OrderedDict)

    def to_json(self, value: t.Any) -> t.Any:
        return [[k, self.serializer.tag(v)] for k, v in value.items()]

    def to_python(self, value: t.Any) -> t.Any:
        return OrderedDict(value)


class FlaskTagOrderedDict(flask_tag.JSONTag):
    """The same tag, for Flask's serializer."""

    __slots__ = ("serializer",)
    key = " od"

    check = TagOrderedDict.check
    to_json = TagOrderedDict.to_json
    to_python = TagOrderedDict.to_python
