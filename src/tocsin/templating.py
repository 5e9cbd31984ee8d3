"""Jinja2 templates: one environment per app, loading from the app and its blueprints."""

from __future__ import annotations

import collections.abc as cabc
import os
import typing as t

from jinja2 import BaseLoader, FileSystemLoader, Template, TemplateNotFound
from jinja2 import Environment as _JinjaEnvironment

from . import signals as _sig
from ._async import call_sync, is_async_callable
from .ctx import _iter_in_context
from .globals import _cv_app, _cv_request, g, request, session
from .helpers import get_flashed_messages, url_for
from .scaffold import _require_callable, setupmethod
from .wrappers import _blueprint_chain

if t.TYPE_CHECKING:
    from .app import Tocsin
    from .scaffold import Scaffold

__all__ = [
    "DispatchingJinjaLoader",
    "Environment",
    "TemplateFolderLoader",
    "TemplatingMixin",
    "render_template",
    "render_template_async",
    "render_template_string",
    "render_template_string_async",
    "stream_template",
    "stream_template_string",
]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def _default_template_ctx_processor() -> dict[str, t.Any]:
    """Put the current ``g`` and ``request`` objects into every template's context.

    ``session`` stays the global proxy (as in Flask 3.1.3): a template that
    never mentions it does not open the session, and one that reads it marks
    the session accessed, so the response gets ``Vary: Cookie``.
    """
    rv: dict[str, t.Any] = {}
    app_ctx = _cv_app.get(None)
    if app_ctx is not None:
        rv["g"] = app_ctx.g
    req_ctx = _cv_request.get(None)
    if req_ctx is not None:
        rv["request"] = req_ctx.request
    return rv


class Environment(_JinjaEnvironment):
    """A Jinja environment that knows its app and loads templates through it."""

    def __init__(self, app: Tocsin, **options: t.Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.app = app


class DispatchingJinjaLoader(BaseLoader):
    """Looks in the app's template folder, then in each blueprint's, in order."""

    def __init__(self, app: Tocsin) -> None:
        self.app = app

    def _loaders(self) -> cabc.Iterator[tuple[Scaffold, BaseLoader]]:
        if self.app.jinja_loader is not None:
            yield self.app, self.app.jinja_loader
        for bp in self.app.iter_blueprints():
            loader = bp.jinja_loader
            if loader is not None:
                yield bp, loader

    def get_source(
        self, environment: _JinjaEnvironment, template: str
    ) -> tuple[str, str | None, t.Callable[[], bool] | None]:
        """The source of *template* from the first folder that has it.

        :raises TemplateNotFound: when no folder has it.
        """
        if self.app.config["EXPLAIN_TEMPLATE_LOADING"]:
            return self._explained_source(environment, template)
        for _, loader in self._loaders():
            try:
                return loader.get_source(environment, template)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(template)

    def _explained_source(
        self, environment: _JinjaEnvironment, template: str
    ) -> tuple[str, str | None, t.Callable[[], bool] | None]:
        """:meth:`get_source` asking every loader, and logging what each said."""
        lines = [f"Locating template {template!r}:"]
        found: list[tuple[str, str | None, t.Callable[[], bool] | None]] = []
        for number, (owner, loader) in enumerate(self._loaders(), 1):
            kind = "application" if owner is self.app else "blueprint"
            where = getattr(loader, "searchpath", None)
            lines.append(
                f"  {number}: {type(loader).__name__} of {kind} {owner.name!r}"
                + (f", searching {where}" if where is not None else "")
            )
            try:
                source = loader.get_source(environment, template)
            except TemplateNotFound:
                lines.append("     -> no match")
                continue
            lines.append(f"     -> found ({source[1]!r})")
            found.append(source)
        if not found:
            lines.append("Error: no loader has the template.")
        elif len(found) > 1:
            lines.append("Warning: several loaders have the template; the first one is used.")
        self.app.logger.info("\n".join(lines))
        if not found:
            raise TemplateNotFound(template)
        return found[0]

    def list_templates(self) -> list[str]:
        """Every template name in the app's and the blueprints' folders, sorted."""
        found: set[str] = set()
        for _, loader in self._loaders():
            found.update(loader.list_templates())
        return sorted(found)


class TemplateFolderLoader:
    """``jinja_loader``: the loader of the template folder, unless one is assigned.

    As with Flask's (a ``cached_property``), ``app.jinja_loader = DictLoader(...)``
    (or a blueprint's) replaces it, and ``del app.jinja_loader`` brings the
    folder's back: only reading is defined here, so an assigned loader lives
    in the instance and hides this one.
    """

    def __get__(self, scaffold: t.Any, owner: type | None = None) -> t.Any:
        if scaffold is None:
            return self
        return _loader_for(scaffold)


def _loader_for(scaffold: Scaffold) -> FileSystemLoader | None:
    """The loader of *scaffold*'s template folder, made once per folder path."""
    if scaffold.template_folder is None:
        return None
    path = os.path.join(scaffold.root_path, scaffold.template_folder)
    cached: tuple[str, FileSystemLoader] | None = scaffold.__dict__.get("_tocsin_jinja_loader")
    if cached is None or cached[0] != path:
        cached = scaffold.__dict__["_tocsin_jinja_loader"] = (path, FileSystemLoader(path))
    return cached[1]


def _decorator(
    register: t.Callable[[t.Callable[..., t.Any], str | None], None],
    name: t.Any,
    what: str,
    any_value: bool = False,
) -> t.Any:
    """Both decorator forms: ``@x.template_filter`` (bare) and ``@x.template_filter(name)``.

    *what* names the decorator in the errors: a *name* that is neither a
    string nor ``None``, or a decorated object that is not callable, unless
    *any_value* (a template global may be any value, as in Flask).
    """
    if callable(name):
        register(name, None)
        return name
    if name is not None and not isinstance(name, str):
        raise TypeError(
            f"{what} takes a name (a string) or a function, got {name!r}"
            f" of type {type(name).__name__}."
        )

    def decorator(f: F) -> F:
        if not any_value:
            _require_callable(what, f)
        register(f, name)
        return f

    return decorator


class TemplatingMixin:
    """The templating part of the app: its Jinja environment and registration methods."""

    #: Options for the Jinja environment, read when it is created.
    jinja_options: dict[str, t.Any] = {}
    jinja_environment = Environment

    config: t.Any
    debug: bool
    template_context_processors: t.Any  # a hook registry (see tocsin.scaffold.Scaffold)

    def _init_templating(self) -> None:
        self._jinja_env: Environment | None = None
        self.template_context_processors[None].append(_default_template_ctx_processor)

    #: The loader for the app's own template folder (assignable, as in Flask).
    jinja_loader: BaseLoader | None = TemplateFolderLoader()  # type: ignore[assignment]

    @property
    def jinja_env(self) -> Environment:
        """The app's Jinja environment, created on first use."""
        if self._jinja_env is None:
            self._jinja_env = self.create_jinja_environment()
        return self._jinja_env

    @property
    def templates_auto_reload(self) -> bool:
        """Reload changed templates: ``TEMPLATES_AUTO_RELOAD``, else debug mode.

        Read when the environment is created; setting ``app.debug`` later
        updates it when ``TEMPLATES_AUTO_RELOAD`` is ``None``.
        """
        rv = self.config["TEMPLATES_AUTO_RELOAD"]
        return bool(rv) if rv is not None else self.debug

    @templates_auto_reload.setter
    def templates_auto_reload(self, value: bool) -> None:
        self.config["TEMPLATES_AUTO_RELOAD"] = value

    def create_global_jinja_loader(self) -> DispatchingJinjaLoader:
        """The environment's loader: the app's template folder, then each blueprint's."""
        return DispatchingJinjaLoader(t.cast("Tocsin", self))

    def create_jinja_environment(self) -> Environment:
        """Create the Jinja environment with the app's globals and autoescaping."""
        options = dict(self.jinja_options)
        options.setdefault("autoescape", self.select_jinja_autoescape)
        options.setdefault("auto_reload", self.templates_auto_reload)
        app = t.cast("Tocsin", self)
        env = self.jinja_environment(app, **options)
        env.globals.update(
            url_for=url_for,
            get_flashed_messages=get_flashed_messages,
            config=self.config,
            request=request,
            session=session,
            g=g,
        )
        env.policies["json.dumps_function"] = app.json.dumps
        return env

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Autoescape ``.html``, ``.htm``, ``.xml``, ``.xhtml`` and ``.svg`` templates."""
        if filename is None:
            return True
        return filename.endswith((".html", ".htm", ".xml", ".xhtml", ".svg"))

    def _context_processors(self) -> list[t.Callable[[], t.Any]]:
        """The context processors for the current request: app first, then its blueprints."""
        names: tuple[str | None, ...] = (None,)
        req = _cv_request.get(None)
        if req is not None and req.url_rule is not None and "." in req.url_rule.endpoint:
            names = (None, *reversed(_blueprint_chain(req.url_rule.endpoint.rpartition(".")[0])))
        processors = self.template_context_processors
        return [func for name in names for func in processors.get(name, ())]

    def update_template_context(self, context: dict[str, t.Any]) -> None:
        """Add the context processors' names; names the caller passed win.

        An ``async`` processor runs on the thread's event loop; inside an
        ``async def`` view use :func:`render_template_async` instead.
        """
        orig = context.copy()
        trace = _trace()
        for func in self._context_processors():
            sync = t.cast("Tocsin", self).ensure_sync(func)
            context.update(
                sync() if trace is None else trace.timed("context_processor", func, sync)
            )
        context.update(orig)

    async def update_template_context_async(self, context: dict[str, t.Any]) -> None:
        """Like :meth:`update_template_context`, awaiting ``async`` processors."""
        orig = context.copy()
        trace = _trace()
        for func in self._context_processors():
            if trace is None:
                rv = func()
                context.update(await rv if is_async_callable(func) else rv)
            elif is_async_callable(func):
                context.update(await trace.timed_async("context_processor", func, func()))
            else:
                context.update(trace.timed("context_processor", func, func))
        context.update(orig)

    @t.overload
    def template_filter(self, name: F) -> F: ...
    @t.overload
    def template_filter(self, name: str | None = None) -> t.Callable[[F], F]: ...
    @setupmethod
    def template_filter(self, name: t.Any = None) -> t.Any:
        """Register the decorated function as a template filter, named *name* or after it.

        Both ``@app.template_filter`` and ``@app.template_filter("name")``
        work (in Flask the bare form registers nothing).
        """
        return _decorator(self.add_template_filter, name, "template_filter")

    @t.overload
    def template_test(self, name: F) -> F: ...
    @t.overload
    def template_test(self, name: str | None = None) -> t.Callable[[F], F]: ...
    @setupmethod
    def template_test(self, name: t.Any = None) -> t.Any:
        """Register the decorated function as a template test (``{% if x is name %}``).

        Works bare or called, like :meth:`template_filter`.
        """
        return _decorator(self.add_template_test, name, "template_test")

    @t.overload
    def template_global(self, name: F) -> F: ...
    @t.overload
    def template_global(self, name: str | None = None) -> t.Callable[[F], F]: ...
    @setupmethod
    def template_global(self, name: t.Any = None) -> t.Any:
        """Register the decorated function as a global of every template.

        Works bare or called, like :meth:`template_filter`.
        """
        return _decorator(self.add_template_global, name, "template_global", any_value=True)

    @setupmethod
    def add_template_filter(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        """Register *f* as a template filter named *name* (default: its name)."""
        _require_callable("add_template_filter", f)
        self.jinja_env.filters[name or f.__name__] = f

    @setupmethod
    def add_template_test(self, f: t.Callable[..., bool], name: str | None = None) -> None:
        """Register *f* as a template test named *name* (default: its name)."""
        _require_callable("add_template_test", f)
        self.jinja_env.tests[name or f.__name__] = f

    @setupmethod
    def add_template_global(self, f: t.Any, name: str | None = None) -> None:
        """Register *f* as a template global named *name* (default: its ``__name__``).

        *f* is usually a function, but any value will do (a dict of site
        settings, say); one without a ``__name__`` needs *name*.
        """
        self.jinja_env.globals[_global_name(f, name)] = f


def _global_name(value: t.Any, name: str | None) -> str:
    """The name a template global is registered under; a clear error when it has none."""
    if name is not None:
        return name
    own = getattr(value, "__name__", None)
    if not isinstance(own, str):
        raise TypeError(
            f"add_template_global needs a name for {value!r}, a {type(value).__name__} without"
            " __name__: add_template_global(value, name='...')."
        )
    return own


def _trace() -> t.Any:
    """The trace of the current request, when it is traced (see :mod:`tocsin.tracing`)."""
    req_ctx = _cv_request.get(None)
    return req_ctx.trace if req_ctx is not None else None


def _render(app: Tocsin, template: Template, context: dict[str, t.Any]) -> str:
    trace = _trace()
    if trace is not None:  # recorded: the template's name, its processors and signals
        return t.cast(
            str, trace.timed("render", _name(template), _render_now, app, template, context)
        )
    return _render_now(app, template, context)


def _name(template: Template) -> str:
    return template.name or "(template string)"


def _render_now(app: Tocsin, template: Template, context: dict[str, t.Any]) -> str:
    app.update_template_context(context)
    if _sig.before_render_template.receivers:
        call_sync(_sig.before_render_template, app, {"template": template, "context": context})
    rv = template.render(context)
    if _sig.template_rendered.receivers:
        call_sync(_sig.template_rendered, app, {"template": template, "context": context})
    return rv


def _stream(app: Tocsin, template: Template, context: dict[str, t.Any]) -> t.Iterator[str]:
    app.update_template_context(context)
    if _sig.before_render_template.receivers:
        call_sync(_sig.before_render_template, app, {"template": template, "context": context})

    def generate() -> t.Iterator[str]:
        yield from template.generate(context)
        if _sig.template_rendered.receivers:
            call_sync(_sig.template_rendered, app, {"template": template, "context": context})

    req_ctx = _cv_request.get(None)
    if req_ctx is None:
        return generate()
    return _iter_in_context(req_ctx, generate())  # like Flask's stream_with_context


async def _render_async(app: Tocsin, template: Template, context: dict[str, t.Any]) -> str:
    trace = _trace()
    if trace is not None:
        aw = _render_async_now(app, template, context)
        return t.cast(str, await trace.timed_async("render", _name(template), aw))
    return await _render_async_now(app, template, context)


async def _render_async_now(app: Tocsin, template: Template, context: dict[str, t.Any]) -> str:
    await app.update_template_context_async(context)
    kwargs: dict[str, t.Any] = {"template": template, "context": context}
    if _sig.before_render_template.receivers:
        await _sig.before_render_template.send_async(app, **kwargs)
    rv = template.render(context)
    if _sig.template_rendered.receivers:
        await _sig.template_rendered.send_async(app, **kwargs)
    return rv


def _app() -> Tocsin:
    ctx = _cv_app.get(None)
    if ctx is None:
        raise RuntimeError(
            "Rendering a template needs an application context; call it in a view or"
            " inside app.app_context()."
        )
    return ctx.app


def render_template(
    template_name_or_list: str | Template | list[str | Template], **context: t.Any
) -> str:
    """Render a template from the template folders with *context*.

    Sends ``before_render_template`` before and ``template_rendered`` after.
    """
    app = _app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def render_template_string(source: str, **context: t.Any) -> str:
    """Render the template *source* with *context*."""
    app = _app()
    return _render(app, app.jinja_env.from_string(source), context)


def stream_template(
    template_name_or_list: str | Template | list[str | Template], **context: t.Any
) -> t.Iterator[str]:
    """Render a template piece by piece, for a streamed response."""
    app = _app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _stream(app, template, context)


def stream_template_string(source: str, **context: t.Any) -> t.Iterator[str]:
    """Render the template *source* piece by piece, for a streamed response."""
    app = _app()
    return _stream(app, app.jinja_env.from_string(source), context)


async def render_template_async(
    template_name_or_list: str | Template | list[str | Template], **context: t.Any
) -> str:
    """Like :func:`render_template`, for ``async def`` views.

    Awaits ``async`` context processors and ``async`` receivers of the two
    template signals, which the synchronous version cannot do while an
    event loop is running in the thread.
    """
    app = _app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return await _render_async(app, template, context)


async def render_template_string_async(source: str, **context: t.Any) -> str:
    """Like :func:`render_template_string`, for ``async def`` views."""
    app = _app()
    return await _render_async(app, app.jinja_env.from_string(source), context)
