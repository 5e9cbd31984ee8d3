"""The demo as an ASGI application, for uvicorn (or any ASGI server).

From ``examples/notes``::

    uvicorn asgi:app                       # the module-level app below
    uvicorn --factory asgi:create_asgi_app # or a fresh one from the factory

The app object itself serves both protocols, so ``uvicorn --factory
notes:create_app`` and ``gunicorn 'notes:create_app()'`` work as well; only
the driver differs, the lifecycle is the same.
"""

from __future__ import annotations

import typing as t

from notes import create_app


def create_asgi_app() -> t.Any:
    """A new app's ASGI callable (for ``uvicorn --factory``)."""
    return create_app().asgi


app = create_asgi_app()
