"""The :class:`DevTools` extension: the gate, the traces' ids, what is shown."""

from __future__ import annotations

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
    installs a :class:`~tocsin.tracing.Tracer` with its defaults (every
    request traced, the latest 50 kept) when the app has none.
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
        tracer = app.tracer if app.tracer is not None else Tracer(app)
        tracer.subscribe(began=self._began)
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

    def _began(self, ctx: RequestContext, trace: Trace) -> None:
        """Give each trace its number as its request begins."""
        self.id_of(trace)

    def id_of(self, trace: Trace) -> int:
        """The number of *trace* in the pages' URLs (``/_tocsin/trace/7``).

        Traces begun before DevTools was installed get theirs when first asked.
        """
        ids = self._ids
        found = ids.get(trace)
        if found is None:
            with self._lock:
                found = ids.get(trace)
                if found is None:
                    found = ids[trace] = next(self._counter)
        return found

    def tracer(self) -> Tracer:
        """The current app's tracer.

        :raises RuntimeError: when it was uninstalled after DevTools started.
        """
        tracer = current_app.tracer
        if tracer is None:
            raise RuntimeError("DevTools needs the app's tracer, and app.tracer is None")
        return tracer

    def traces(self, own: bool = False) -> list[Trace]:
        """The kept traces, newest first; the pages' own requests only if *own*."""
        return [tr for tr in reversed(self.tracer().traces) if own or not self.is_own(tr.path)]

    def find(self, number: int) -> Trace | None:
        """The kept trace numbered *number*, if any."""
        for trace in self.tracer().traces:
            if self._ids.get(trace) == number:
                return trace
        return None
