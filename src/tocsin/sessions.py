"""Sessions: a signed cookie by default, any store through :class:`SessionInterface`."""

from __future__ import annotations

import collections.abc as cabc
import hashlib
import typing as t
from datetime import UTC, datetime

from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.datastructures import CallbackDict

from .json.tag import TaggedJSONSerializer

if t.TYPE_CHECKING:
    from .app import Tocsin
    from .ctx import RequestContext
    from .wrappers import Request, Response

__all__ = [
    "NullSession",
    "SecureCookieSession",
    "SecureCookieSessionInterface",
    "SessionInterface",
    "SessionMixin",
    "session_json_serializer",
]

#: The serializer of the default session cookie (tagged JSON, Flask's format).
#: Shared by every :class:`SecureCookieSessionInterface` unless one sets its own
#: ``serializer``; register a custom tag on it to store another type.
session_json_serializer = TaggedJSONSerializer()


class SessionMixin(cabc.MutableMapping[str, t.Any]):
    """What every session offers besides being a dict."""

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser session (``PERMANENT_SESSION_LIFETIME``)."""
        return self.get("_permanent", False)  # type: ignore[no-any-return]  # a stored bool

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    #: False for a session that cannot store anything (:class:`NullSession`).
    new = False
    #: True once the session has been changed and must be saved.
    modified = True
    #: True once the session has been read or written; adds ``Vary: Cookie``. Set by
    #: the request context on every access through ``session``, as in Flask 3.1.3.
    accessed = False


class SecureCookieSession(CallbackDict[str, t.Any], SessionMixin):
    """The session stored in a signed cookie; tracks ``modified`` and ``accessed``.

    Every read (``session[k]``, ``get``, ``in``, ``len``, iteration, ``keys``...)
    marks it accessed, so the response varies on the cookie, as Flask 3.1.3
    does through its request context.
    """

    modified = False
    accessed = False

    def __init__(self, initial: cabc.Mapping[str, t.Any] | None = None) -> None:
        def on_update(self: SecureCookieSession) -> None:
            self.modified = True
            self.accessed = True

        super().__init__(initial, on_update)

    def __getitem__(self, key: str) -> t.Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: t.Any = None) -> t.Any:
        """``dict.get``; marks the session accessed."""
        self.accessed = True
        return super().get(key, default)

    def setdefault(self, key: str, default: t.Any = None) -> t.Any:
        """``dict.setdefault``; marks the session accessed."""
        self.accessed = True
        return super().setdefault(key, default)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return super().__contains__(key)

    def __len__(self) -> int:
        self.accessed = True
        return super().__len__()

    def __iter__(self) -> t.Iterator[str]:
        self.accessed = True
        return super().__iter__()

    def keys(self) -> t.KeysView[str]:  # type: ignore[override]  # a dict_keys
        """``dict.keys``; marks the session accessed."""
        self.accessed = True
        return super().keys()

    def values(self) -> t.ValuesView[t.Any]:  # type: ignore[override]  # a dict_values
        """``dict.values``; marks the session accessed."""
        self.accessed = True
        return super().values()

    def items(self) -> t.ItemsView[str, t.Any]:  # type: ignore[override]  # a dict_items
        """``dict.items``; marks the session accessed."""
        self.accessed = True
        return super().items()

    def copy(self) -> dict[str, t.Any]:
        """A plain ``dict`` copy; marks the session accessed."""
        self.accessed = True
        return dict(super().items())


class NullSession(SecureCookieSession):
    """The session when there is no ``SECRET_KEY``: reading works, writing raises."""

    def _fail(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise RuntimeError(
            "The session is unavailable because no secret key was set. Set the"
            " secret_key on the application (app.secret_key = ... or the SECRET_KEY"
            " config key) to something unique and secret."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail


class SessionInterface:
    """How sessions are opened from a request and saved into a response.

    Subclass it to store sessions elsewhere; set ``app.session_interface``.
    """

    null_session_class = NullSession
    #: Whether the session lives in a cookie that cannot be marked as new.
    pickle_based = False

    def make_null_session(self, app: Tocsin) -> NullSession:
        """The session used when :meth:`open_session` returns ``None``."""
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        """True for the null session, which is never saved."""
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Tocsin) -> str:
        """``SESSION_COOKIE_NAME``."""
        return app.config["SESSION_COOKIE_NAME"]  # type: ignore[no-any-return]  # config values are Any

    def get_cookie_domain(self, app: Tocsin) -> str | None:
        """``SESSION_COOKIE_DOMAIN``."""
        return app.config["SESSION_COOKIE_DOMAIN"]  # type: ignore[no-any-return]  # config values are Any

    def get_cookie_path(self, app: Tocsin) -> str:
        """``SESSION_COOKIE_PATH``, else ``APPLICATION_ROOT``."""
        return app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"]  # type: ignore[no-any-return]  # config values are Any

    def get_cookie_httponly(self, app: Tocsin) -> bool:
        """``SESSION_COOKIE_HTTPONLY``."""
        return app.config["SESSION_COOKIE_HTTPONLY"]  # type: ignore[no-any-return]  # config values are Any

    def get_cookie_secure(self, app: Tocsin) -> bool:
        """``SESSION_COOKIE_SECURE``."""
        return app.config["SESSION_COOKIE_SECURE"]  # type: ignore[no-any-return]  # config values are Any

    def get_cookie_samesite(self, app: Tocsin) -> str | None:
        """``SESSION_COOKIE_SAMESITE``."""
        return app.config["SESSION_COOKIE_SAMESITE"]  # type: ignore[no-any-return]  # config values are Any

    def get_cookie_partitioned(self, app: Tocsin) -> bool:
        """``SESSION_COOKIE_PARTITIONED``."""
        return app.config["SESSION_COOKIE_PARTITIONED"]  # type: ignore[no-any-return]  # config values are Any

    def get_expiration_time(self, app: Tocsin, session: SessionMixin) -> datetime | None:
        """When a permanent session's cookie expires; ``None`` for a browser session."""
        if session.permanent:
            return datetime.now(UTC) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: Tocsin, session: SessionMixin) -> bool:
        """Set the cookie when modified, or when permanent and refreshed each request."""
        return session.modified or (
            session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]
        )

    def saves_every_request(self) -> bool:
        """Whether :meth:`save_session` runs even for requests that never touch the session.

        True, as in Flask, for every interface but Tocsin's own cookie one:
        skipping untouched sessions is what makes them free there, and a
        custom interface may do work on every request.
        """
        return True

    def wants_refresh(self, app: Tocsin, ctx: RequestContext) -> bool:
        """Whether an untouched session must still be opened and saved.

        True when ``SESSION_REFRESH_EACH_REQUEST`` is on and the request
        carries the session cookie (a permanent session is then re-sent).
        Lets requests that never touch the session skip it entirely.
        """
        return bool(app.config["SESSION_REFRESH_EACH_REQUEST"]) and (
            self.get_cookie_name(app) in ctx.request.cookies
        )

    def open_session(self, app: Tocsin, request: Request) -> SessionMixin | None:
        """Load the session of *request*; ``None`` means "use the null session"."""
        raise NotImplementedError

    def save_session(self, app: Tocsin, session: SessionMixin, response: Response) -> None:
        """Store *session* (e.g. set a cookie on *response*)."""
        raise NotImplementedError


class SecureCookieSessionInterface(SessionInterface):
    """Sessions in a cookie signed with ``SECRET_KEY`` (itsdangerous).

    Keys in ``SECRET_KEY_FALLBACKS`` still verify old cookies, so a key can be
    rotated without signing everybody out. A tampered, expired, truncated or
    garbage cookie gives an empty session.
    """

    salt = "cookie-session"
    digest_method = staticmethod(hashlib.sha1)
    key_derivation = "hmac"
    #: Serializes the session's data; the shared :data:`session_json_serializer`.
    serializer = session_json_serializer
    session_class = SecureCookieSession

    def saves_every_request(self) -> bool:
        """False: an untouched session is neither opened nor saved (unless refreshed).

        A subclass with its own ``open_session``, ``save_session`` or
        ``should_set_cookie`` is saved on every request, as in Flask.
        """
        cls, own = type(self), SecureCookieSessionInterface
        return not (
            cls.open_session is own.open_session
            and cls.save_session is own.save_session
            and cls.should_set_cookie is own.should_set_cookie
        )

    def get_signing_serializer(self, app: Tocsin) -> URLSafeTimedSerializer | None:
        """The serializer for the app's keys, or ``None`` without ``SECRET_KEY``.

        The newest key, ``SECRET_KEY``, signs; it and every key of
        ``SECRET_KEY_FALLBACKS`` verify. Made once per set of keys (Flask
        makes one per request).
        """
        if not app.secret_key:
            return None
        keys: list[str | bytes] = [*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key]
        cache_key = (self.salt, self.key_derivation, self.digest_method, self.serializer, *keys)
        signers: dict[tuple[t.Any, ...], URLSafeTimedSerializer] = self.__dict__.setdefault(
            "_signers", {}
        )
        signer = signers.get(cache_key)
        if signer is None:
            if len(signers) > 16:  # keys keep changing (tests): do not grow without bound
                signers.clear()
            signer = signers[cache_key] = URLSafeTimedSerializer(
                keys,  # type: ignore[arg-type]  # str and bytes keys mix
                salt=self.salt,
                serializer=self.serializer,
                signer_kwargs={
                    "key_derivation": self.key_derivation,
                    "digest_method": self.digest_method,
                },
            )
        return signer

    def open_session(self, app: Tocsin, request: Request) -> SecureCookieSession | None:
        """Load the session from the signed cookie; an empty one when it is bad or missing.

        ``None`` (the null session) without ``SECRET_KEY``.
        """
        s = self.get_signing_serializer(app)
        if s is None:
            return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = s.loads(val, max_age=max_age)
        except (BadData, ValueError, TypeError, KeyError, UnicodeError):
            return self.session_class()
        if not isinstance(data, dict):
            return self.session_class()
        return self.session_class(data)

    def save_session(self, app: Tocsin, session: SessionMixin, response: Response) -> None:
        """Set (or delete) the cookie as Flask does, and add ``Vary: Cookie`` when read."""
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        if session.accessed:
            response.vary.add("Cookie")
        if not session:
            if session.modified:
                response.delete_cookie(
                    name,
                    domain=domain,
                    path=path,
                    secure=secure,
                    partitioned=partitioned,
                    samesite=samesite,
                    httponly=httponly,
                )
                response.vary.add("Cookie")
            return
        if not self.should_set_cookie(app, session):
            return
        signer = self.get_signing_serializer(app)
        if signer is None:
            return
        val = signer.dumps(dict(session))
        response.set_cookie(
            name,
            val,
            expires=self.get_expiration_time(app, session),
            httponly=httponly,
            domain=domain,
            path=path,
            secure=secure,
            partitioned=partitioned,
            samesite=samesite,
        )
        response.vary.add("Cookie")
