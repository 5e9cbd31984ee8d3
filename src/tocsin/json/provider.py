"""JSON providers: how an app turns data into JSON and back."""

from __future__ import annotations

import dataclasses
import decimal
import json
import typing as t
import uuid
import weakref
from datetime import date

from werkzeug.http import http_date

if t.TYPE_CHECKING:
    from ..sansio.app import App
    from ..wrappers import Response

__all__ = ["DefaultJSONProvider", "JSONProvider"]


class JSONProvider:
    """The interface an app's ``json`` attribute provides.

    Subclass it and set ``app.json_provider_class`` (or assign ``app.json``)
    to use another JSON library.
    """

    def __init__(self, app: App) -> None:
        self._app = t.cast("App", weakref.proxy(app))

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize *obj* to a JSON string."""
        raise NotImplementedError

    def dump(self, obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
        """Serialize *obj* as JSON into the text file *fp*."""
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Deserialize the JSON document *s*."""
        raise NotImplementedError

    def load(self, fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
        """Deserialize the JSON document read from *fp*."""
        return self.loads(fp.read(), **kwargs)

    def _prepare_response_obj(self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]) -> t.Any:
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        if not args and not kwargs:
            return None
        if len(args) == 1:
            return args[0]
        return args or kwargs

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """Return a JSON response of the arguments (one value, several as a list, or keywords)."""
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.dumps(obj), mimetype="application/json")


def _default(o: t.Any) -> t.Any:
    if isinstance(o, date):
        return http_date(o)
    if isinstance(o, (decimal.Decimal, uuid.UUID)):
        return str(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


#: Attributes whose assignment changes the compact encoder or whether it may be used.
_ENCODER_SETTINGS = frozenset(("default", "ensure_ascii", "sort_keys", "dumps", "response"))


class DefaultJSONProvider(JSONProvider):
    """JSON with the standard library, as Flask does it.

    Dates become HTTP date strings, ``UUID`` and ``Decimal`` strings,
    dataclasses dicts, and objects with ``__html__`` their markup.
    """

    #: Function for values ``json`` cannot serialize itself.
    default: t.Callable[[t.Any], t.Any] = staticmethod(_default)
    #: Replace non-ASCII characters with escapes.
    ensure_ascii = True
    #: Sort the keys of every dict.
    sort_keys = True
    #: Compact output when ``None`` and not in debug mode, or when ``True``.
    compact: bool | None = None
    #: Mimetype of :meth:`response`.
    mimetype = "application/json"

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        return json.loads(s, **kwargs)

    #: The compact encoder; ``None`` until first used, ``False`` when a custom
    #: ``dumps`` (or ``response``) must do the work. Remade when a setting is assigned.
    _encoder: json.JSONEncoder | t.Literal[False] | None = None

    def __setattr__(self, name: str, value: t.Any) -> None:
        super().__setattr__(name, value)
        if name in _ENCODER_SETTINGS:
            self._make_encoder()

    def __delattr__(self, name: str) -> None:
        super().__delattr__(name)
        if name in _ENCODER_SETTINGS:
            self._make_encoder()

    def _make_encoder(self) -> json.JSONEncoder | t.Literal[False]:
        """Make (and keep) the compact encoder, or ``False`` when ``dumps`` must decide."""
        cls = type(self)
        custom = (
            cls.dumps is not DefaultJSONProvider.dumps
            or cls.response is not DefaultJSONProvider.response
            or "dumps" in self.__dict__
            or "response" in self.__dict__
        )
        encoder: json.JSONEncoder | t.Literal[False] = False
        if not custom:
            encoder = json.JSONEncoder(
                default=self.default,
                ensure_ascii=self.ensure_ascii,
                sort_keys=self.sort_keys,
                separators=(",", ":"),
            )
        object.__setattr__(self, "_encoder", encoder)
        return encoder

    def _compact(self, obj: t.Any) -> str:
        """``dumps(obj, separators=(",", ":"))``, with the kept encoder unless ``dumps`` decides."""
        encoder = self._encoder
        if encoder is None:
            encoder = self._make_encoder()
        if encoder is False:  # a custom dumps decides
            return self.dumps(obj, separators=(",", ":"))
        return encoder.encode(obj)

    def _encode(self, obj: t.Any) -> str:
        if self.compact is False or (self.compact is None and self._app.debug):
            return self.dumps(obj, indent=2) + "\n"
        return self._compact(obj) + "\n"

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self._encode(obj), mimetype=self.mimetype)
