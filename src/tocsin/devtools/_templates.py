"""DevTools' own Jinja environment: its templates, always escaped, whatever the app's settings."""

from __future__ import annotations

import typing as t

import jinja2

from ..helpers import url_for

__all__ = ["render"]

#: Not the app's ``jinja_env``: an app may turn autoescaping off (``jinja_options``,
#: ``select_jinja_autoescape``), add context processors or shadow template names.
_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("tocsin.devtools", "templates"),
    autoescape=True,
    auto_reload=False,
)
_ENV.globals["url_for"] = url_for


def render(name: str, **context: t.Any) -> str:
    """The DevTools template *name* (``_tocsin/index.html``) rendered with *context*."""
    return _ENV.get_template(name).render(**context)
