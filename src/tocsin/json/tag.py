"""Tagged JSON: a JSON format that keeps the Python types sessions commonly hold.

A tagged value is a one-key object whose key is a tag: ``{" t": [1, 2]}`` is
the tuple ``(1, 2)``. The tags, their order and the format are Flask's, so a
session cookie written by a Flask app with the same ``SECRET_KEY`` reads in
Tocsin and the other way round (a ported app keeps its users signed in):

=========  ==========================  ====================================
tag        Python value                JSON value
=========  ==========================  ====================================
``" t"``   ``tuple``                   list of tagged items
``" b"``   ``bytes``                   base64 text
``" m"``   anything with ``__html__``  its markup, read back as ``Markup``
``" u"``   ``uuid.UUID``               hex text
``" d"``   ``datetime``                HTTP date (second precision, UTC)
``" di"``  a one-key dict whose key    ``{key + "__": tagged value}``
           is a registered tag
=========  ==========================  ====================================

Other values go through the app's JSON provider (so a ``Decimal`` or a
``date`` is stored as a string and read back as one).

A new type is supported by a :class:`JSONTag` subclass registered on the
serializer; put it before the built-in tags when its values would also match
one of them (an ``OrderedDict`` is a ``dict``)::

    class TagOrderedDict(JSONTag):
        __slots__ = ("serializer",)
        key = " od"

        def check(self, value):
            return isinstance(value, OrderedDict)

        def to_json(self, value):
            return [[k, self.serializer.tag(v)] for k, v in value.items()]

        def to_python(self, value):
            return OrderedDict(value)

    app.session_interface.serializer.register(TagOrderedDict, index=0)
"""

from __future__ import annotations

import json as _stdlib_json
import typing as t
from base64 import b64decode, b64encode
from datetime import datetime
from json import JSONDecoder
from uuid import UUID

from markupsafe import Markup
from werkzeug.http import http_date, parse_date

from ..globals import _cv_app
from . import dumps as _dumps
from . import loads as _loads
from .provider import DefaultJSONProvider

__all__ = [
    "JSONTag",
    "PassDict",
    "PassList",
    "TagBytes",
    "TagDateTime",
    "TagDict",
    "TagMarkup",
    "TagTuple",
    "TagUUID",
    "TaggedJSONSerializer",
]


class JSONTag:
    """One type the serializer knows: how to recognise, dump and load it.

    ``key`` marks the dumped value; a tag whose key is ``""`` is not
    registered for loading and only takes part in :meth:`TaggedJSONSerializer.tag`
    (the pass tags for dicts and lists override :meth:`tag` to add no mark).
    """

    __slots__ = ("serializer",)

    #: The tag key, e.g. ``" t"``; ``""`` for a tag that is never loaded.
    key: str = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        """Bind the tag to the *serializer* that registers it."""
        self.serializer = serializer

    def check(self, value: t.Any) -> bool:
        """Whether this tag handles *value*."""
        raise NotImplementedError

    def to_json(self, value: t.Any) -> t.Any:
        """*value* as JSON data, without the tag mark."""
        raise NotImplementedError

    def to_python(self, value: t.Any) -> t.Any:
        """The Python value of the (already untagged) JSON data *value*."""
        raise NotImplementedError

    def tag(self, value: t.Any) -> dict[str, t.Any]:
        """*value* as JSON data marked with the key: ``{key: to_json(value)}``."""
        return {self.key: self.to_json(value)}


class TagDict(JSONTag):
    """A one-key dict whose key is a registered tag, which would read back as a tagged value.

    The key is stored with ``"__"`` appended and loses it again when loaded.
    """

    __slots__ = ()
    key = " di"

    def check(self, value: t.Any) -> bool:
        """A dict of one key that the serializer has a tag for."""
        return (
            isinstance(value, dict)
            and len(value) == 1
            and next(iter(value)) in self.serializer.tags
        )

    def to_json(self, value: t.Any) -> t.Any:
        """``{key + "__": tagged value}``."""
        key = next(iter(value))
        return {f"{key}__": self.serializer.tag(value[key])}

    def to_python(self, value: t.Any) -> t.Any:
        """The dict with the ``"__"`` of its key dropped."""
        key = next(iter(value))
        return {key[:-2]: value[key]}


class PassDict(JSONTag):
    """Any other dict: its values are tagged, the dict itself is not marked."""

    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        """Any dict."""
        return isinstance(value, dict)

    def to_json(self, value: t.Any) -> t.Any:
        """A dict of the tagged values (JSON keys are strings, so keys are left alone)."""
        return {k: self.serializer.tag(v) for k, v in value.items()}

    tag = to_json


class TagTuple(JSONTag):
    """A tuple, as the list of its tagged items."""

    __slots__ = ()
    key = " t"

    def check(self, value: t.Any) -> bool:
        """Any tuple."""
        return isinstance(value, tuple)

    def to_json(self, value: t.Any) -> t.Any:
        """The list of the tagged items."""
        return [self.serializer.tag(item) for item in value]

    def to_python(self, value: t.Any) -> t.Any:
        """A tuple of the items."""
        return tuple(value)


class PassList(JSONTag):
    """A list: its items are tagged, the list itself is not marked."""

    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        """Any list."""
        return isinstance(value, list)

    def to_json(self, value: t.Any) -> t.Any:
        """The list of the tagged items."""
        return [self.serializer.tag(item) for item in value]

    tag = to_json


class TagBytes(JSONTag):
    """Bytes, as base64 text."""

    __slots__ = ()
    key = " b"

    def check(self, value: t.Any) -> bool:
        """Any bytes."""
        return isinstance(value, bytes)

    def to_json(self, value: t.Any) -> t.Any:
        """The base64 text of the bytes."""
        return b64encode(value).decode("ascii")

    def to_python(self, value: t.Any) -> t.Any:
        """The decoded bytes."""
        return b64decode(value)


class TagMarkup(JSONTag):
    """Anything with an ``__html__`` method, as its markup; loads as :class:`~markupsafe.Markup`."""

    __slots__ = ()
    key = " m"

    def check(self, value: t.Any) -> bool:
        """Whether *value* has a callable ``__html__``."""
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: t.Any) -> t.Any:
        """The text ``__html__`` returns."""
        return str(value.__html__())

    def to_python(self, value: t.Any) -> t.Any:
        """``Markup`` of the text."""
        return Markup(value)


class TagUUID(JSONTag):
    """A :class:`~uuid.UUID`, as its hex digits."""

    __slots__ = ()
    key = " u"

    def check(self, value: t.Any) -> bool:
        """Any UUID."""
        return isinstance(value, UUID)

    def to_json(self, value: t.Any) -> t.Any:
        """The 32 hex digits."""
        return value.hex

    def to_python(self, value: t.Any) -> t.Any:
        """The UUID of the hex text."""
        return UUID(value)


class TagDateTime(JSONTag):
    """A :class:`~datetime.datetime`, as an HTTP date (whole seconds, read back in UTC)."""

    __slots__ = ()
    key = " d"

    def check(self, value: t.Any) -> bool:
        """Any datetime."""
        return isinstance(value, datetime)

    def to_json(self, value: t.Any) -> t.Any:
        """The HTTP date text."""
        return http_date(value)

    def to_python(self, value: t.Any) -> t.Any:
        """The aware UTC datetime of the HTTP date."""
        return parse_date(value)


_BUILTIN_TAGS: tuple[type[JSONTag], ...] = (
    TagDict,
    PassDict,
    TagTuple,
    PassList,
    TagBytes,
    TagMarkup,
    TagUUID,
    TagDateTime,
)


class TaggedJSONSerializer:
    """``dumps``/``loads`` of tagged JSON; the serializer of the session cookie.

    ``order`` is the list of tags tried, first match wins, when tagging;
    ``tags`` maps each non-empty key to its tag, for untagging. Add tags with
    :meth:`register`.
    """

    __slots__ = ("_builtin", "_decoder", "order", "tags")

    #: The tag classes every new serializer registers, in this order.
    default_tags: list[type[JSONTag]] = list(_BUILTIN_TAGS)

    def __init__(self) -> None:
        """Register :attr:`default_tags`."""
        self.tags: dict[str, JSONTag] = {}
        self.order: list[JSONTag] = []
        self._builtin: tuple[list[JSONTag], dict[str, JSONTag]] | None = None
        self._decoder: JSONDecoder | None = None
        for tag_class in self.default_tags:
            self.register(tag_class)
        if (
            tuple(type(tag) for tag in self.order) == _BUILTIN_TAGS
            and type(self).tag is TaggedJSONSerializer.tag
        ):
            # Exactly the built-in tags: tag() may take the inlined path while
            # order and tags still hold these very instances.
            self._builtin = (list(self.order), dict(self.tags))

    def __getstate__(self) -> tuple[dict[str, t.Any] | None, dict[str, t.Any]]:
        """The state to copy or pickle: the tags, without the cached decoder."""
        slots = {
            name: getattr(self, name)
            for cls in type(self).__mro__
            for name in cls.__dict__.get("__slots__", ())
            if name not in ("_decoder", "__dict__", "__weakref__") and hasattr(self, name)
        }
        return (getattr(self, "__dict__", None), slots)

    def __setstate__(self, state: tuple[dict[str, t.Any] | None, dict[str, t.Any]]) -> None:
        """Restore :meth:`__getstate__`'s state."""
        instance_dict, slots = state
        if instance_dict:
            self.__dict__.update(instance_dict)
        for name, value in slots.items():
            setattr(self, name, value)
        self._decoder = None

    def register(
        self, tag_class: type[JSONTag], force: bool = False, index: int | None = None
    ) -> None:
        """Add a tag made from *tag_class* (which receives this serializer).

        It goes at *index* of :attr:`order` (the end when ``None``); put it
        before a tag whose values it refines. Its key, unless ``""``, must be
        new: a :exc:`KeyError` is raised for a registered key unless *force*
        is true, which replaces the tag that key loads with (the old tag stays
        in the order).
        """
        tag = tag_class(self)
        key = tag.key
        if key:
            if key in self.tags and not force:
                raise KeyError(f"Tag '{key}' is already registered.")
            self.tags[key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)
        self._builtin = None

    def tag(self, value: t.Any) -> t.Any:
        """*value* as JSON data: the first tag of :attr:`order` that checks it tags it."""
        builtin = self._builtin
        if builtin is not None and builtin[0] == self.order and builtin[1] == self.tags:
            return _tag_builtin(value)
        for tag in self.order:
            if tag.check(value):
                return tag.tag(value)
        return value

    def untag(self, value: dict[str, t.Any]) -> t.Any:
        """The Python value of one JSON object: converted when it is a tagged value, else as is.

        Only *value* itself is looked at; :meth:`loads` untags the nested
        objects first, innermost first.
        """
        if len(value) != 1:
            return value
        key = next(iter(value))
        if key not in self.tags:
            return value
        return self.tags[key].to_python(value[key])

    def _untag_nested(self, value: t.Any) -> t.Any:
        """Untag every object in loaded JSON data, innermost first."""
        if isinstance(value, dict):
            return self.untag({k: self._untag_nested(v) for k, v in value.items()})
        if isinstance(value, list):
            return [self._untag_nested(item) for item in value]
        return value

    def dumps(self, value: t.Any) -> str:
        """Tag *value* and serialize it as compact JSON with the app's JSON provider."""
        data = self.tag(value)
        ctx = _cv_app.get(None)
        provider = ctx.app.json if ctx is not None else None
        if isinstance(provider, DefaultJSONProvider):
            return provider._compact(data)  # its kept encoder, or its own dumps
        return _dumps(data, separators=(",", ":"))

    def loads(self, value: str | bytes) -> t.Any:
        """Load JSON with the app's JSON provider and untag it."""
        ctx = _cv_app.get(None)
        if ctx is not None:
            provider = ctx.app.json
            if type(provider).loads is not DefaultJSONProvider.loads or "loads" in vars(provider):
                return self._untag_nested(_loads(value))  # a custom loads decides
        # The provider's loads is json.loads. Its object hook untags each object as
        # it is decoded, innermost first: the same as untagging the loaded data.
        hook = self._untag_builtin_hook
        if type(self).untag is not TaggedJSONSerializer.untag:
            hook = self._untag_hook
        try:
            if type(value) is str and not value.startswith("\ufeff"):
                decoder = self._decoder
                if decoder is None or decoder.object_hook != hook:
                    decoder = self._decoder = JSONDecoder(object_hook=hook)
                return decoder.decode(value)
            return _stdlib_json.loads(value, object_hook=hook)  # bytes; json's errors
        except _Stopped as e:
            raise e.args[0] from None

    def _untag_hook(self, value: dict[str, t.Any]) -> t.Any:
        """:meth:`untag` as the decoder's object hook, which must not raise StopIteration."""
        try:
            return self.untag(value)
        except StopIteration as e:
            raise _Stopped(e) from None

    def _untag_builtin_hook(self, value: dict[str, t.Any]) -> t.Any:
        """:meth:`_untag_hook` with the base :meth:`untag` inlined: it runs for every object."""
        if len(value) != 1:
            return value
        key = next(iter(value))
        if key not in self.tags:
            return value
        try:
            return self.tags[key].to_python(value[key])
        except StopIteration as e:  # e.g. TagDict given {}
            raise _Stopped(e) from None


class _Stopped(Exception):
    """Carries a StopIteration out of the JSON decoder, which would take it for "no value"."""


# -- the built-in tags, inlined ------------------------------------------------------------------
# What tag() does when the order and tags are exactly the built-in ones: the
# same checks in the same order, without a method call per check. Values of the
# JSON types themselves (exact str, int, float, bool, None) match no tag.

_PLAIN = frozenset((str, int, float, bool, type(None)))
_BUILTIN_KEYS = frozenset(tag.key for tag in _BUILTIN_TAGS if tag.key)


def _tag_builtin(value: t.Any) -> t.Any:
    cls = type(value)
    if cls in _PLAIN:
        return value
    if cls is dict:
        return _tag_builtin_dict(value)
    if cls is list:
        return [item if type(item) in _PLAIN else _tag_builtin(item) for item in value]
    if cls is tuple:
        return {" t": [item if type(item) in _PLAIN else _tag_builtin(item) for item in value]}
    if isinstance(value, dict):
        return _tag_builtin_dict(value)
    if isinstance(value, tuple):
        return {" t": [_tag_builtin(item) for item in value]}
    if isinstance(value, list):
        return [_tag_builtin(item) for item in value]
    if isinstance(value, bytes):
        return {" b": b64encode(value).decode("ascii")}
    if callable(getattr(value, "__html__", None)):
        return {" m": str(value.__html__())}
    if isinstance(value, UUID):
        return {" u": value.hex}
    if isinstance(value, datetime):
        return {" d": http_date(value)}
    return value


def _tag_builtin_dict(value: dict[t.Any, t.Any]) -> dict[str, t.Any]:
    if len(value) == 1:
        key = next(iter(value))
        if key in _BUILTIN_KEYS:
            return {" di": {f"{key}__": _tag_builtin(value[key])}}
    return {k: v if type(v) in _PLAIN else _tag_builtin(v) for k, v in value.items()}
