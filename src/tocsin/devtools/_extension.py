"""The :class:`DevTools` extension: the gate, the traces' ids, what is shown."""

from __future__ import annotations

import collections
import itertools
import logging
import threading
import typing as t
import weakref

from ..globals import current_app
from ..tracing import Tracer

if t.TYPE_CHECKING:
    from ..app import Tocsin
    from ..ctx import RequestContext
    from ..tracing import Trace
    from ..wrappers import Request

__all__ = ["EXTENSION", "DevTools"]

log = logging.getLogger("tocsin.devtools")

#: The key of ``app.extensions`` that holds the :class:`DevTools` serving the app.
EXTENSION = "tocsin.devtools"
#: The config key that switches the link bar off (``False``) for an app.
LINK_BAR_KEY = "TOCSIN_DEVTOOLS_LINK_BAR"
#: How many of the pages' own requests DevTools keeps (per tracer, at most its ``keep``),
#: apart from the tracer's kept traces, for ``?own=1``.
OWN_KEPT = 20


class DevTools:
    """A developer page for an app's requests, served under *url_prefix* (``/_tocsin/``).

    :param app: the app to serve it for, or ``None`` to call :meth:`init_app` later.
    :param allow: ``allow(request) -> bool``, which decides who may see the
        pages when given (debug mode or not); without it they are served
        only when ``app.debug`` is true. A refused request, or one with an
        ``allow`` that raises (logged), gets the app's 404, as for an unknown URL.
    :param url_prefix: where the pages are served.
    :param link_bar: add a small bar linking to the request's trace at the
        end of each HTML page (when the pages would be served for that
        request). The config key ``TOCSIN_DEVTOOLS_LINK_BAR = False`` turns
        it off for an app as well.

    The pages read the app's tracer (``app.tracer``); :meth:`init_app`
    installs one built from the app's ``TRACE_*`` config keys
    (:meth:`Tracer.from_config <tocsin.tracing.Tracer.from_config>`: by
    default every request traced, the latest 50 kept) when the app has none.
    The pages' own requests are not kept by the tracer: DevTools keeps the
    latest :data:`OWN_KEPT` of them apart.
    """

    def __init__(
        self,
        app: Tocsin | None = None,
        *,
        allow: t.Callable[[Request], bool] | None = None,
        url_prefix: str = "/_tocsin",
        link_bar: bool = True,
    ) -> None:
        prefix = url_prefix.rstrip("/")
        if not prefix.startswith("/"):
            raise ValueError(f"url_prefix must be a path such as '/_tocsin', not {url_prefix!r}")
        self.allow = allow
        #: Where the pages are served, without a trailing slash.
        self.url_prefix = prefix
        self.link_bar = link_bar
        self._ids: weakref.WeakKeyDictionary[Trace, int] = weakref.WeakKeyDictionary()
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        #: The tracers whose traces are numbered as they begin.
        self._watched: weakref.WeakSet[Tracer] = weakref.WeakSet()
        #: Per tracer, the pages' own latest requests (not kept by the tracer).
        self._own: weakref.WeakKeyDictionary[Tracer, collections.deque[Trace]] = (
            weakref.WeakKeyDictionary()
        )
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Tocsin) -> None:
        """Serve the pages for *app* (its tracer, installed if it has none, and the routes).

        :raises RuntimeError: when *app* has a DevTools already.
        """
        from ._link_bar import add_link_bar
        from ._views import blueprint

        if EXTENSION in app.extensions:
            raise RuntimeError(f"the app {app.name!r} already has DevTools (app.extensions)")
        self._watch(app.tracer if app.tracer is not None else Tracer.from_config(app))
        app.extensions[EXTENSION] = self
        app.register_blueprint(blueprint(), url_prefix=self.url_prefix)
        if self.link_bar:
            app.after_request(add_link_bar)

    # -- the gate --------------------------------------------------------------------------

    def allowed(self, request: Request) -> bool:
        """Whether *request* may see the pages: ``allow(request)`` if given, else ``app.debug``."""
        if self.allow is None:
            return bool(current_app.debug)
        try:
            return bool(self.allow(request))
        except Exception:
            log.exception("DevTools' allow(request) failed: the request is refused")
            return False

    def is_own(self, path: str) -> bool:
        """Whether *path* is one of the pages' own URLs."""
        prefix = self.url_prefix
        return path == prefix or path.startswith(prefix + "/")

    # -- traces ----------------------------------------------------------------------------

    def _watch(self, tracer: Tracer) -> None:
        """Number *tracer*'s kept traces (oldest first), then each trace as its request begins."""
        with self._lock:
            if tracer in self._watched:
                return
            self._watched.add(tracer)
        for trace in tracer.traces:
            self.id_of(trace)
        tracer.subscribe(began=self._began)

    def _began(self, ctx: RequestContext, trace: Trace) -> None:
        """Give each trace its number as its request begins."""
        self.id_of(trace)

    def id_of(self, trace: Trace) -> int:
        """The number of *trace* in the pages' URLs (``/_tocsin/trace/7``).

        Traces begun before DevTools watched their tracer get theirs when first asked.
        """
        ids = self._ids
        found = ids.get(trace)
        if found is None:
            with self._lock:
                found = ids.get(trace)
                if found is None:
                    found = ids[trace] = next(self._counter)
        return found

    def tracer(self) -> Tracer | None:
        """The current app's tracer, ``None`` when it has none (``app.tracer.uninstall()``).

        A tracer installed after DevTools is watched from the first time it is asked for.
        """
        tracer = current_app.tracer
        if tracer is not None and tracer not in self._watched:
            self._watch(tracer)
        return tracer

    def keep_own(self, trace: Trace) -> None:
        """Move *trace*, a request the pages serve, out of the tracer's kept traces into their own.

        Viewing the pages then pushes none of the app's traces out; the route
        counts of the tracer still count the request.
        """
        tracer = self.tracer()
        if tracer is None:
            return
        tracer.forget(trace)
        own = self._own.get(tracer)
        if own is None:
            with self._lock:
                own = self._own.setdefault(
                    tracer, collections.deque(maxlen=min(OWN_KEPT, tracer.keep))
                )
        own.append(trace)

    def traces(self, own: bool = False) -> list[Trace]:
        """The kept traces, newest first; the pages' own requests too if *own*."""
        tracer = self.tracer()
        if tracer is None:
            return []
        kept = [tr for tr in tracer.traces if own or not self.is_own(tr.path)]
        if own:
            kept.extend(self._own.get(tracer, ()))
        return sorted(kept, key=self.id_of, reverse=True)

    def find(self, number: int) -> Trace | None:
        """The kept trace numbered *number* (the pages' own ones included), if any."""
        for trace in self.traces(own=True):
            if self._ids.get(trace) == number:
                return trace
        return None
