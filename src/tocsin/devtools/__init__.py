"""A developer page for an app: its recent requests, their lifecycle, routes and signals.

::

    from tocsin.devtools import DevTools

    DevTools(app)            # then visit /_tocsin/ (in debug mode)

``/_tocsin/`` lists the recent requests (method, path, status, duration;
``?path=`` and ``?status=`` filter them), ``/_tocsin/trace/<n>`` is one
request's waterfall (every step of the lifecycle, ran or skipped, with its
calls, signals and receivers, their times and errors), ``/_tocsin/routes``
the per-route aggregates, ``/_tocsin/signals`` every signal with its
receivers in call order; ``/_tocsin/traces.json`` and
``/_tocsin/stats.json`` the same as JSON. Everything comes from the app's
:class:`~tocsin.tracing.Tracer`.

The pages are served only when ``app.debug`` is true, or when the
``allow(request)`` given to :class:`DevTools` says so; otherwise every URL
under the prefix is the app's 404, as for any unknown URL.
"""

from __future__ import annotations

from ._extension import DevTools

__all__ = ["DevTools"]
