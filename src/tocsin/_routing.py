"""URL matching (lifecycle step 3) without binding an adapter per request.

Werkzeug's rules, converters and matcher decide every match. Added in
front of them: a dict of the rules without variables (a static path is one
lookup); the set of first path segments (a path no rule could match is a
404 at once); a bounded memo of recent matches of variable rules, kept only
while all converters are Werkzeug's own; and one adapter bound once. An adapter is
bound per request only when matching depends on the host (host matching,
subdomains) or on an overridden ``app.create_url_adapter``, or to build the
exact redirect URL of a strict-slash redirect. Without ``SERVER_NAME``, the
request's host is still checked as binding an adapter to it would check it
(a name that IDNA refuses is a 400, as in Flask), once per ``Host`` value.
"""

from __future__ import annotations

import typing as t
import weakref

from werkzeug.exceptions import BadHost, BadRequest, HTTPException, NotFound
from werkzeug.routing import Map, MapAdapter, RequestRedirect, Rule
from werkzeug.sansio.utils import get_host
from werkzeug.wsgi import get_host as get_environ_host

from .debughelpers import FormDataRoutingRedirect

if t.TYPE_CHECKING:
    from .app import Tocsin
    from .ctx import RequestContext

__all__ = ["Matcher", "WatchedMap", "decode_path"]

_EMPTY: dict[str, t.Any] = {}


def decode_path(raw: str) -> str:
    """WSGI's latin-1 ``PATH_INFO`` as the UTF-8 text it encodes.

    :raises BadRequest: when the bytes are not valid UTF-8.
    """
    if raw.isascii():
        return raw
    try:
        return raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise BadRequest("The request path is not valid UTF-8.") from None


_MEMO_SIZE = 1024
#: Matched in place of an empty method, which Werkzeug would take for GET.
_NO_METHOD = "\x00"


def _stock_converters(url_map: Map) -> bool:
    """True when every converter is one of Werkzeug's (pure functions of the path).

    Only then may a match be remembered: a custom converter could look
    something up (a database row) and must run on every request.
    """
    defaults = Map.default_converters
    converters = url_map.converters
    return len(converters) == len(defaults) and all(
        converters.get(k) is v for k, v in defaults.items()
    )


def _first_segments(url_map: Map) -> frozenset[str] | None:
    """The first path segments of all rules, or ``None`` if one starts with a variable."""
    firsts = set()
    for rule in url_map.iter_rules():
        first = rule.rule.lstrip("/").partition("/")[0]
        if "<" in first:
            return None
        firsts.add(first)
    return frozenset(firsts)


def _binds(host: str) -> bool:
    """Whether Werkzeug can bind a URL adapter to *host* (its name encodes as IDNA).

    A name with an empty label (``a..b``, ``.a``) or a label longer than 63
    characters cannot; Flask answers such a request with a 400 (``BadHost``).
    """
    try:
        host.lower().partition(":")[0].encode("idna")
    except UnicodeError:
        return False
    return True


#: Methods a redirect with any code may repeat as they are (they have no body to lose).
_SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))


def _explain_redirect(ctx: RequestContext) -> None:
    """In debug mode, store a ``FormDataRoutingRedirect`` in place of a redirect that drops a body.

    It is raised at dispatch (step 8), as the redirect would be, so error
    handlers see it; ``request.routing_exception`` holds it too.
    """
    request = ctx.request  # made now: its routing_exception is the redirect
    request.routing_exception = ctx.routing_exception
    ctx.routing_exception = FormDataRoutingRedirect(request)  # type: ignore[assignment]  # raised as any error


class WatchedMap(Map):
    """Werkzeug's :class:`~werkzeug.routing.Map`, telling its app of rules added directly.

    ``app.url_map.add(Rule(...))`` bypasses ``add_url_rule``; the app's
    matcher still has to forget what it built from the old rules.
    """

    #: A weak reference to what is called after each :meth:`add` (set by the app).
    on_add: weakref.WeakMethod[t.Callable[[], None]] | None = None

    def add(self, rulefactory: t.Any) -> None:
        super().add(rulefactory)
        if self.on_add is not None and (on_add := self.on_add()) is not None:
            on_add()


class Matcher:
    """Matches a request context's method and path against the app's URL map."""

    def __init__(self, app: Tocsin) -> None:
        self._app = weakref.ref(app)  # the app owns the matcher: no cycle
        self._static: dict[str, tuple[tuple[Rule, frozenset[str] | None], ...]] | None = None
        self._adapter: MapAdapter | None = None
        self._per_request = False
        self._custom_adapter = False
        self._first_segments: frozenset[str] | None = None
        self._memo: dict[tuple[str, str], tuple[Rule, dict[str, t.Any]]] | None = None
        #: Host header values seen on the shared adapter's path that an adapter binds to.
        self._hosts: set[str] = set()

    @property
    def app(self) -> Tocsin:
        """The app whose URL map this matches."""
        app = self._app()
        assert app is not None, "the app of a matcher outlives it"
        return app

    def invalidate(self) -> None:
        """Forget what was built from the URL map (called after each registration)."""
        self._static = None
        self._adapter = None

    def _build(self) -> dict[str, tuple[tuple[Rule, frozenset[str] | None], ...]]:
        app = self.app
        url_map = app.url_map
        url_map.update()
        #: An overridden ``create_url_adapter`` decides each match, as in Flask.
        self._custom_adapter = not getattr(type(app).create_url_adapter, "__tocsin_stock__", False)
        self._per_request = (
            self._custom_adapter
            or url_map.host_matching
            or app.subdomain_matching
            or any(r.subdomain or r.host for r in url_map.iter_rules())
        )
        static: dict[str, list[tuple[Rule, frozenset[str] | None]]] = {}
        for rule in url_map.iter_rules():
            if (
                rule.arguments
                or rule.defaults
                or rule.redirect_to is not None
                or rule.websocket
                or rule.build_only
            ):
                continue
            methods = frozenset(rule.methods) if rule.methods is not None else None
            static.setdefault(rule.rule, []).append((rule, methods))
        self._adapter = url_map.bind("localhost")
        self._first_segments = _first_segments(url_map)
        self._memo = {} if _stock_converters(url_map) else None
        self._static = {path: tuple(rules) for path, rules in static.items()}
        return self._static

    def match(self, ctx: RequestContext) -> None:
        """Set ``ctx.url_rule`` and ``ctx.view_args``, or ``ctx.routing_exception``."""
        if ctx.routing_exception is not None:  # e.g. a path that is not UTF-8
            return
        if ctx.app.config["TRUSTED_HOSTS"] is not None:
            try:
                ctx.get_url_adapter()  # checks the Host header, as Flask does
            except HTTPException as e:
                ctx.routing_exception = e
                return
        static = self._static
        if static is None:
            static = self._build()
        if not self._per_request:
            if ctx.host not in self._hosts and not self._host_binds(ctx):
                ctx.routing_exception = BadHost()  # as binding an adapter to it would
                return
            entry = static.get(ctx.path)
            if entry is not None:
                method = ctx.method
                for rule, methods in entry:
                    if methods is None or method in methods:
                        ctx.url_rule = rule
                        ctx.view_args = {}
                        return
            firsts = self._first_segments
            if firsts is not None and ctx.path[1:].partition("/")[0] not in firsts:
                ctx.routing_exception = NotFound()  # no rule starts like this path
                return
            memo = self._memo
            if memo is not None:
                hit = memo.get((ctx.path, ctx.method))
                if hit is not None:
                    ctx.url_rule = hit[0]
                    ctx.view_args = dict(hit[1])
                    return
        try:
            if self._per_request:
                adapter: MapAdapter = ctx.get_url_adapter()  # type: ignore[assignment]  # bound
            else:
                adapter = self._adapter  # type: ignore[assignment]  # made by _build
            if self._custom_adapter:  # its path and method, which it may have changed
                rule, values = adapter.match(return_rule=True)
            else:  # (an empty method is none that a rule allows, as in Flask, not GET)
                rule, values = adapter.match(ctx.path, ctx.method or _NO_METHOD, return_rule=True)
        except RequestRedirect as e:
            ctx.routing_exception = e if self._per_request else self._exact_redirect(ctx, e)
            if (
                ctx.method not in _SAFE_METHODS
                and ctx.routing_exception.code not in (307, 308)
                and ctx.app.debug
            ):
                _explain_redirect(ctx)
        except HTTPException as e:
            ctx.routing_exception = e
        else:
            ctx.url_rule = rule
            ctx.view_args = values  # type: ignore[assignment]  # a dict; Werkzeug types it Mapping
            memo = self._memo
            if memo is not None and not self._per_request:
                if len(memo) >= _MEMO_SIZE:
                    memo.clear()
                memo[(ctx.path, ctx.method)] = (rule, dict(values))

    def _host_binds(self, ctx: RequestContext) -> bool:
        """Whether a URL adapter can be bound to the request's host.

        Without ``SERVER_NAME``, Flask binds an adapter to each request's host,
        and a host it cannot bind to is a 400; Tocsin's shared adapter is bound
        once, to ``localhost``, so the host is checked here. ``Host`` values
        that bind are remembered (a few at a time), so a request from a known
        host pays one set lookup.
        """
        host = ctx.host
        if host is None:  # (HTTP/1.0) the server's name, from the environ
            binds = _binds(get_environ_host(ctx.environ))
        elif binds := _binds(get_host("http", host)):
            hosts = self._hosts
            if len(hosts) >= _MEMO_SIZE:
                hosts.clear()
            hosts.add(host)
        # With SERVER_NAME, the adapter is bound to it and the Host plays no part.
        return binds or ctx.app.config["SERVER_NAME"] is not None

    def _exact_redirect(self, ctx: RequestContext, e: RequestRedirect) -> HTTPException:
        """Redo a redirecting match with the request's own host and script root."""
        try:
            t.cast(MapAdapter, ctx.get_url_adapter()).match(ctx.path, ctx.method)
        except HTTPException as exact:
            return exact
        return e
