"""Helpers used in views: URLs, responses, errors, flash messages, files."""

from __future__ import annotations

import collections.abc as cabc
import functools
import importlib.util
import os
import sys
import typing as t
from datetime import timedelta
from pathlib import PurePath
from urllib.parse import quote

import werkzeug.utils
from werkzeug.exceptions import abort as _wz_abort
from werkzeug.routing import BuildError

from . import signals as _sig
from ._async import call_sync
from .ctx import _iter_in_context
from .globals import _cv_app, _cv_request
from .scaffold import get_root_path as get_root_path

if t.TYPE_CHECKING:
    from werkzeug.wrappers import Response as BaseResponse

    from .app import Tocsin
    from .wrappers import Response

__all__ = [
    "abort",
    "flash",
    "get_debug_flag",
    "get_flashed_messages",
    "get_load_dotenv",
    "get_root_path",
    "get_template_attribute",
    "make_response",
    "redirect",
    "send_file",
    "send_from_directory",
    "stream_request_body",
    "stream_with_context",
    "url_for",
]


F = t.TypeVar("F", bound=t.Callable[..., t.Any])
_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"


def _env(name: str) -> str | None:
    """``TOCSIN_{name}`` when it is set (even empty), else ``FLASK_{name}``, else ``None``."""
    value = os.environ.get(f"TOCSIN_{name}")
    return os.environ.get(f"FLASK_{name}") if value is None else value


def get_debug_flag() -> bool:
    """Whether ``TOCSIN_DEBUG`` (else ``FLASK_DEBUG``) turns debug mode on.

    As in Flask, any value other than empty, ``0``, ``false`` or ``no``
    (in any case) is on: ``"2"`` and ``"off"`` are on too.
    """
    return bool(_debug_from_env())


def _debug_from_env() -> bool | None:
    """:func:`get_debug_flag` when ``TOCSIN_DEBUG`` or ``FLASK_DEBUG`` is set, else ``None``."""
    value = _env("DEBUG")
    return None if value is None else value.lower() not in {"", "0", "false", "no"}


def get_load_dotenv(default: bool = True) -> bool:
    """Whether to load the default dotenv files, as ``TOCSIN_SKIP_DOTENV`` says.

    ``FLASK_SKIP_DOTENV`` is read when ``TOCSIN_SKIP_DOTENV`` is not set. A value
    other than ``0``, ``false`` or ``no`` skips them (the answer is ``False``).

    :param default: the answer when the variable is not set or empty.
    """
    value = _env("SKIP_DOTENV")
    if not value:
        return default
    return value.lower() in {"0", "false", "no"}


def _package_folder(import_name: str) -> str:
    """The folder that holds the top-level package (or module) of *import_name*.

    It is found without importing it (as Flask does): a regular package's
    parent folder, a single module's folder, or for a namespace package the
    parent of its portion that holds *import_name* (of its first portion when
    none does, or when looking raises). The cwd when nothing is found; ``""``
    for a built-in or frozen module.
    """
    top = import_name.partition(".")[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):  # no such module, a bad name, or __main__
        spec = None
    if spec is None:
        return os.getcwd()
    portions = spec.submodule_search_locations
    if not portions:  # a module
        return os.path.dirname(spec.origin) if spec.origin is not None else os.getcwd()
    if spec.origin is not None and spec.origin != "namespace":  # a regular package
        return os.path.dirname(os.path.dirname(spec.origin))
    portion = portions[0]
    try:
        sub = importlib.util.find_spec(import_name)  # imports the parents of a submodule
    except (ImportError, ValueError):
        sub = None
    if sub is not None and sub.submodule_search_locations:
        inner = PurePath(os.path.commonpath(list(sub.submodule_search_locations)))
        portion = next((p for p in portions if inner.is_relative_to(p)), portion)
    return os.path.dirname(portion)


def _install_prefix(folder: str) -> str | None:
    """The prefix *folder* is installed under (it holds ``var/``), or ``None`` when not installed.

    Installed means under ``sys.prefix``, or in a ``site-packages`` folder:
    ``<prefix>/lib/pythonX.Y/site-packages``, ``<prefix>/lib/site-packages``
    or ``<prefix>/site-packages`` (names compared in any case).
    """
    prefix = os.path.abspath(sys.prefix)
    if PurePath(folder).is_relative_to(prefix):
        return prefix
    parent, name = os.path.split(folder)
    if name.lower() != "site-packages":
        return None
    above, parent_name = os.path.split(parent)
    if parent_name.lower() == "lib":
        return above
    if os.path.basename(above).lower() == "lib":
        return os.path.dirname(above)
    return parent


def _instance_path(import_name: str, name: str) -> str:
    """Flask's default instance folder for the app *name* imported as *import_name*.

    ``<prefix>/var/<name>-instance`` when the package is installed, else an
    ``instance`` folder next to the top-level package or module.
    """
    folder = _package_folder(import_name)
    prefix = _install_prefix(folder)
    if prefix is None:
        return os.path.join(folder, "instance")
    return os.path.join(prefix, "var", f"{name}-instance")


def _current_app(what: str) -> Tocsin:
    ctx = _cv_app.get(None)
    if ctx is None:
        raise RuntimeError(
            f"{what}() needs an application context; call it in a view or inside app.app_context()."
        )
    return ctx.app


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: t.Any,
) -> str:
    """Build the URL of *endpoint* with *values*.

    ``.name`` is relative to the current blueprint. Values that are not
    part of the rule become the query string. Inside a request, URLs are
    relative unless ``_external=True``; outside one they are external and need
    ``SERVER_NAME``.
    """
    return _current_app("url_for").url_for(
        endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external, **values
    )


def _build_url(
    app: Tocsin,
    endpoint: str,
    anchor: str | None,
    method: str | None,
    scheme: str | None,
    external: bool | None,
    values: dict[str, t.Any],
) -> str:
    req_ctx = _cv_request.get(None)
    if req_ctx is not None:
        url_adapter = req_ctx.get_url_adapter()
        blueprint = req_ctx.request.blueprint
        if endpoint[:1] == ".":
            endpoint = f"{blueprint}{endpoint}" if blueprint is not None else endpoint[1:]
        if external is None:
            external = scheme is not None
    else:
        app_ctx = _cv_app.get(None)
        url_adapter = app_ctx.url_adapter if app_ctx is not None else None
        if url_adapter is None:
            url_adapter = app.create_url_adapter(None)
            if app_ctx is not None:
                app_ctx.url_adapter = url_adapter
        if url_adapter is None:
            raise RuntimeError(
                "Unable to build URLs outside an active request without 'SERVER_NAME'"
                " configured. Also configure 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME'"
                " as needed."
            )
        if external is None:
            external = True
    if scheme is not None and not external:
        raise ValueError("When specifying '_scheme', '_external' must be True.")
    app.inject_url_defaults(endpoint, values)
    try:
        rv = url_adapter.build(  # type: ignore[union-attr]  # bound in a request
            endpoint, values, method=method, url_scheme=scheme, force_external=external
        )
    except BuildError as error:
        values.update(_anchor=anchor, _method=method, _scheme=scheme, _external=external)
        return app.handle_url_build_error(error, endpoint, values)
    if anchor is not None:
        rv = f"{rv}#{quote(anchor, safe=_ANCHOR_SAFE)}"
    return rv


def make_response(*args: t.Any) -> Response:
    """Make a response object from a view's return value(s), to change it before returning."""
    app = _current_app("make_response")
    if not args:
        return app.response_class()
    if len(args) == 1:
        args = args[0]
    return app.make_response(args)


def redirect(
    location: str, code: int = 302, Response: type[BaseResponse] | None = None
) -> BaseResponse:
    """A redirect response to *location* (``302`` by default)."""
    ctx = _cv_app.get(None)
    if ctx is not None and Response is None:
        return ctx.app.redirect(location, code=code)
    return werkzeug.utils.redirect(location, code=code, Response=Response)


def abort(code: int | BaseResponse, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Raise the ``HTTPException`` for *code* (e.g. ``abort(404)``).

    In an application context the app's :attr:`~tocsin.Tocsin.aborter`
    raises it, so codes added to its ``mapping`` work.
    """
    app_ctx = _cv_app.get(None)
    if app_ctx is not None:
        app_ctx.app.aborter(code, *args, **kwargs)
    _wz_abort(code, *args, **kwargs)


def stream_request_body(view: F) -> F:
    """Mark *view* as reading its request body as a stream (``request.body_chunks()``).

    Under ASGI an ``async def`` view's body is then not received before it
    runs, so a large upload is handled chunk by chunk; ``request.form``, ``get_json()`` and
    ``get_data()`` see an empty body. Under WSGI the body is read from the
    input stream in chunks, so the same view works under both drivers.
    """
    view.stream_request_body = True  # type: ignore[attr-defined]  # a marker on the function
    return view


def stream_with_context(
    generator_or_function: cabc.Iterable[t.AnyStr] | t.Callable[..., cabc.Iterable[t.AnyStr]],
) -> t.Any:
    """Keep the current request context while a streamed body is generated.

    Tocsin already keeps both contexts until a streamed body is finished or
    closed, so this is only needed for a generator that runs elsewhere (for
    example after being handed to another thread); it is kept for Flask code.
    As in Flask, the iterator's own ``close()``, if it has one, is called when
    it is exhausted or closed (a generator's ``finally`` then runs), with the
    context still current. Used as a decorator on a generator function, it
    wraps each generator the function returns.

    An async iterator (an async generator, or an async generator function
    used as a decorator; Flask has none) is accepted too: its ``aclose()``
    is awaited in the same cases; both drivers keep the contexts current
    while it runs.
    """
    if isinstance(generator_or_function, cabc.AsyncIterator):
        if _cv_request.get(None) is None:
            raise RuntimeError(_NO_CONTEXT_TO_STREAM)
        return _aclosing(generator_or_function)
    try:
        it = iter(generator_or_function)  # type: ignore[arg-type]  # a function raises TypeError
    except TypeError:
        func = t.cast("t.Callable[..., cabc.Iterable[t.AnyStr]]", generator_or_function)

        @functools.wraps(func)
        def decorator(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return stream_with_context(func(*args, **kwargs))

        return decorator
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(_NO_CONTEXT_TO_STREAM)
    return _iter_in_context(ctx, _closing(it))


_NO_CONTEXT_TO_STREAM = (
    "'stream_with_context' can only be used when a request context is active,"
    " such as in a view function."
)


async def _aclosing(it: cabc.AsyncIterator[t.AnyStr]) -> cabc.AsyncIterator[t.AnyStr]:
    """Iterate *it*, then await its ``aclose()`` (also when closed early), as :func:`_closing`."""
    try:
        async for item in it:
            yield item
    finally:
        aclose = getattr(it, "aclose", None)
        if aclose is not None:
            await aclose()


def _closing(it: cabc.Iterator[t.AnyStr]) -> cabc.Iterator[t.AnyStr]:
    """Iterate *it*, then call its ``close()`` (also when closed early, as Flask does)."""
    try:
        yield from it
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()


def flash(message: str, category: str = "message") -> None:
    """Store *message* for the next request and send ``message_flashed``.

    :param category: any string; ``"message"``, ``"error"``, ``"info"`` and
        ``"warning"`` are usual.
    """
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError("flash() needs a request context, such as in a view function.")
    flashes = ctx.session.get("_flashes", [])
    flashes.append((category, message))
    ctx.session["_flashes"] = flashes
    if _sig.message_flashed.receivers:
        call_sync(_sig.message_flashed, ctx.app, {"message": message, "category": category})


def _max_age_seconds(value: timedelta | int | None) -> int | None:
    """A ``SEND_FILE_MAX_AGE_DEFAULT`` value as seconds (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return int(value)


def get_flashed_messages(
    with_categories: bool = False, category_filter: cabc.Iterable[str] = ()
) -> list[str] | list[tuple[str, str]]:
    """Pop the flashed messages from the session (cached for the rest of the request).

    :param with_categories: return ``(category, message)`` pairs.
    :param category_filter: keep only these categories (tested with ``in``, as
        in Flask, so a string keeps the categories it contains).
    """
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError("get_flashed_messages() needs a request context.")
    flashes = getattr(ctx, "_flashes", None)  # kept on the request context, as in Flask
    if flashes is None:
        flashes = ctx._flashes = ctx.session.pop("_flashes") if "_flashes" in ctx.session else []
    if category_filter:
        flashes = [f for f in flashes if f[0] in category_filter]
    if not with_categories:
        return [x[1] for x in flashes]
    return [(c, m) for c, m in flashes]


def get_template_attribute(template_name: str, attribute: str) -> t.Any:
    """Load a macro (or variable) exported by a template."""
    app = _current_app("get_template_attribute")
    return getattr(app.jinja_env.get_template(template_name).module, attribute)


def _request_environ() -> t.Any:
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError("send_file() needs a request context, such as in a view function.")
    return ctx


def send_file(
    path_or_file: os.PathLike[t.AnyStr] | str | t.IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: t.Any = None,
    max_age: int | t.Callable[[str | None], int | None] | None = None,
) -> Response:
    """Send a file, with ETag, conditional requests (304) and byte ranges (206).

    Werkzeug's ``send_file`` with the app's response class and settings.
    """
    ctx = _request_environ()
    app = ctx.app
    if max_age is None:
        max_age = app.get_send_file_max_age
    return werkzeug.utils.send_file(  # type: ignore[return-value]  # app.response_class
        path_or_file,  # type: ignore[arg-type]  # Flask's AnyStr; a bytes path fails in Werkzeug
        ctx.request.environ,
        mimetype=mimetype,
        as_attachment=as_attachment,
        download_name=download_name,
        conditional=conditional,
        etag=etag,
        last_modified=last_modified,
        max_age=max_age,
        use_x_sendfile=app.config["USE_X_SENDFILE"],
        response_class=app.response_class,
        _root_path=app.root_path,
    )


def send_from_directory(
    directory: os.PathLike[str] | str, path: os.PathLike[str] | str, **kwargs: t.Any
) -> Response:
    """Send *path* from inside *directory*; a path that leaves it is a 404."""
    ctx = _request_environ()
    if kwargs.get("max_age") is None:  # missing or None: the app's default, as in Flask
        kwargs["max_age"] = ctx.app.get_send_file_max_age
    return werkzeug.utils.send_from_directory(  # type: ignore[return-value]  # app.response_class
        directory,
        path,
        ctx.request.environ,
        response_class=ctx.app.response_class,
        _root_path=ctx.app.root_path,
        **kwargs,
    )
