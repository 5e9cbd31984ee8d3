"""Errors that explain, in debug mode, mistakes that would otherwise be puzzling.

Flask's ``flask.debughelpers``: ported code that imports or catches these
names works unchanged. Tocsin raises two of them, only when the app is in
debug mode:

- :class:`DebugFilesKeyError`, for ``request.files[key]`` where *key* came
  as a plain form field (the form was not sent as ``multipart/form-data``);
- :class:`FormDataRoutingRedirect`, for a request with a body that routing
  redirects with a code a browser answers with a ``GET`` (not 307 or 308).
"""

from __future__ import annotations

import copy
import typing as t

from jinja2 import TemplateNotFound

from .templating import DispatchingJinjaLoader

if t.TYPE_CHECKING:
    from jinja2 import BaseLoader

    from .app import Tocsin
    from .scaffold import Scaffold
    from .wrappers import Request

__all__ = [
    "DebugFilesKeyError",
    "FormDataRoutingRedirect",
    "UnexpectedUnicodeError",
    "attach_enctype_error_multidict",
    "explain_template_loading_attempts",
]

_DEBUG_ONLY = "(Tocsin explains this in debug mode only.)"


class UnexpectedUnicodeError(AssertionError, UnicodeError):
    """Text or bytes turned up where the other was expected (kept for Flask code)."""


class DebugFilesKeyError(KeyError, AssertionError):
    """``request.files[key]`` failed because *key* was sent as a form field, not a file.

    The form that sent it lacked ``enctype="multipart/form-data"``, so the
    browser sent only the file's name. A ``KeyError`` (as the lookup's
    usual error is) and an ``AssertionError``.
    """

    def __init__(self, request: Request, key: str) -> None:
        sent = ", ".join(repr(value) for value in request.form.getlist(key))
        self.msg = (
            f"request.files has no file {key!r}. The request body is {request.mimetype!r},"
            " not 'multipart/form-data', so no file content can be in it: the form needs"
            ' enctype="multipart/form-data" to upload files. What came instead is a plain'
            f" form field {key!r} with the value(s) {sent} (a browser sends the file's name)."
            f"\n\n{_DEBUG_ONLY}"
        )

    def __str__(self) -> str:
        return self.msg


class FormDataRoutingRedirect(AssertionError):
    """Routing redirected a request that has a body with a code that loses the body.

    Browsers follow a 301, 302 or 303 redirect with a ``GET``, dropping the
    form data; 307 and 308 keep the method and the body. Werkzeug's own
    routing redirects (a missing trailing slash, ``redirect_to``) use 308,
    so this is only raised for a redirect code changed from its default.
    """

    def __init__(self, request: Request) -> None:
        redirect = t.cast(t.Any, request.routing_exception)
        new_url: str = redirect.new_url
        lines = [
            f"Routing answered the {request.method} request for {request.url!r} with a"
            f" {redirect.code} redirect to the canonical URL {new_url!r}."
        ]
        if new_url.partition("?")[0] == f"{request.base_url}/":
            lines.append(
                "The rule's URL ends with a slash: a request for it without the slash is"
                " redirected to the URL with it."
            )
        lines.append(
            "A browser follows such a redirect with a GET and drops the form data: send the"
            " request to the canonical URL, or redirect with 307 or 308."
        )
        super().__init__(" ".join(lines) + f"\n\n{_DEBUG_ONLY}")


def attach_enctype_error_multidict(request: Request) -> None:
    """Make ``request.files[key]`` raise :class:`DebugFilesKeyError` for a key of ``request.form``.

    A missing key that is not a form field still raises the usual
    ``KeyError`` (a 400). ``request.files`` stays the same object; only its
    class changes, to a subclass of its own with the same name.
    """
    files = request.files
    base = type(files)
    form = request.form

    def __getitem__(self: t.Any, key: str) -> t.Any:
        try:
            return base.__getitem__(self, key)
        except KeyError as e:
            if key not in form:
                raise
            raise DebugFilesKeyError(request, key).with_traceback(e.__traceback__) from None

    files.__class__ = type(
        base.__name__, (base,), {"__getitem__": __getitem__, "__module__": base.__module__}
    )


def explain_template_loading_attempts(
    app: Tocsin,
    template: str,
    attempts: list[tuple[BaseLoader, Scaffold, tuple[str, str | None, t.Any] | None]],
) -> None:
    """Log what each loader said about *template*, as ``EXPLAIN_TEMPLATE_LOADING`` does.

    *attempts* are Flask's: one ``(loader, app_or_blueprint, result)`` per
    loader asked, *result* being what its ``get_source`` returned, or
    ``None`` when it did not have the template. The message is the one
    Tocsin's own template loading logs.
    """

    class Replay(DispatchingJinjaLoader):
        def _loaders(self) -> t.Iterator[tuple[Scaffold, BaseLoader]]:
            for loader, owner, result in attempts:
                yield owner, _answering(loader, result)

    try:
        Replay(app)._explained_source(app.jinja_env, template)
    except TemplateNotFound:
        pass  # logged: no loader had it


def _answering(loader: BaseLoader, result: t.Any) -> BaseLoader:
    """A copy of *loader* whose ``get_source`` gives *result* (``None``: not found) again."""

    def get_source(environment: t.Any, template: str) -> t.Any:
        if result is None:
            raise TemplateNotFound(template)
        return result

    replay = copy.copy(loader)
    replay.get_source = get_source  # type: ignore[method-assign]  # replays the answer
    return replay
