"""``import tocsin.as_flask``: the whole process sees Tocsin where it imports ``flask``.

Put the line first in the app's entry module, before any extension is
imported. From then on ``import flask``, ``from flask import request`` and
every ``flask.*`` module (``flask.globals``, ``flask.signals``,
``flask.json.provider``, ``flask.sansio.app``...) resolve to Tocsin's
modules, also when pip installed the real Flask beside Tocsin (as a Flask
extension's dependency). ``sys.modules["flask.globals"] is tocsin.globals``:
an extension and the app share one set of contexts, signals and classes.

Only the top-level ``flask`` module is a module of its own (a thin view of
``tocsin``), because it answers ``flask.__version__`` as Flask does (with
Flask's deprecation warning), while ``tocsin.__version__`` is Tocsin's.
``importlib.metadata.version("flask")`` gives the installed Flask's version,
or, when no Flask is installed, the Flask version whose API Tocsin follows
(:data:`tocsin.FLASK_API_VERSION`).

Imported after the real Flask (or an extension that imports it), this
module raises :class:`FlaskAlreadyImported` at once, naming what came
first: a process never runs with two Flasks mixed.

Set ``TOCSIN_AS_FLASK=0`` (or ``false``, ``no``, ``off``) to make the import
do nothing, so that the same app runs on the real Flask, for comparison.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import sys
import types
import typing as t
import warnings

import tocsin

__all__ = ["FlaskAlreadyImported", "enabled", "installed"]

_FLASK = "flask"
#: Set on the ``flask`` module this module makes (survives a reload of this module).
_MARK = "__tocsin_as_flask__"


class FlaskAlreadyImported(ImportError):
    """``tocsin.as_flask`` came after the real Flask was imported in this process."""


def enabled() -> bool:
    """Whether ``TOCSIN_AS_FLASK`` leaves the mapping on (it is, unless set to a false value)."""
    value = os.environ.get("TOCSIN_AS_FLASK", "")
    return value.strip().lower() not in {"0", "false", "no", "off"}


def installed() -> bool:
    """Whether ``flask`` resolves to Tocsin in this process."""
    return getattr(sys.modules.get(_FLASK), _MARK, False) is True


class _FlaskModule(types.ModuleType):
    """The ``flask`` module: Tocsin's public names, its submodules on first access."""

    def __getattr__(self, name: str) -> t.Any:
        if name == "__version__":
            warnings.warn(
                "The '__version__' attribute is deprecated and will be removed in Flask 3.2."
                " Use feature detection or 'importlib.metadata.version(\"flask\")' instead.",
                DeprecationWarning,
                stacklevel=2,
            )
            return importlib.metadata.version(_FLASK)
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return getattr(tocsin, name)
        except AttributeError:
            pass
        if importlib.util.find_spec(f"tocsin.{name}") is not None:
            # As in Flask, where importing the package imports its submodules
            # (``flask.cli``, ``flask.sansio``...): they are attributes too.
            return importlib.import_module(f"{_FLASK}.{name}")
        raise AttributeError(f"module 'flask' has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        # Its own names (Tocsin's public ones among them), as Flask's module lists
        # them: not tocsin's __version__, which this module answers with a warning.
        return sorted(super().__dir__())


class _Loader(importlib.abc.Loader):
    """Loads ``flask`` as a :class:`_FlaskModule` and ``flask.X`` as the module ``tocsin.X``."""

    def __init__(self) -> None:
        self._specs: dict[str, importlib.machinery.ModuleSpec | None] = {}

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        if spec.name == _FLASK:
            flask = _FlaskModule(_FLASK, tocsin.__doc__)
            flask.__dict__.update(
                {name: getattr(tocsin, name) for name in tocsin.__all__},
                __all__=list(tocsin.__all__),
                __file__=tocsin.__file__,
                __path__=[],
            )
            setattr(flask, _MARK, True)
            return flask
        module = importlib.import_module("tocsin" + spec.name[len(_FLASK) :])
        self._specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the module is Tocsin's, already imported.

        The import system has set its ``__spec__`` to the ``flask.*`` one: give
        the module its own back, so that it stays ``tocsin.*`` to importlib.
        """
        name = module.__spec__.name if module.__spec__ is not None else ""
        if name in self._specs:
            module.__spec__ = self._specs.pop(name)


class _Finder(importlib.abc.MetaPathFinder):
    """First on ``sys.meta_path``: answers for ``flask`` and ``flask.*`` before the real Flask."""

    loader = _Loader()

    def find_spec(
        self,
        fullname: str,
        path: t.Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == _FLASK:
            return importlib.machinery.ModuleSpec(fullname, self.loader, is_package=True)
        if not fullname.startswith(_FLASK + "."):
            return None
        tocsin_name = "tocsin" + fullname[len(_FLASK) :]
        found = importlib.util.find_spec(tocsin_name)
        if found is None:
            return None  # ModuleNotFoundError: "No module named 'flask.x'"
        is_package = found.submodule_search_locations is not None
        return importlib.machinery.ModuleSpec(fullname, self.loader, is_package=is_package)


class _FlaskDistribution(importlib.metadata.Distribution):
    """Metadata answering for ``flask`` when no Flask is installed."""

    def read_text(self, filename: str) -> str | None:
        if filename == "METADATA":
            return f"Metadata-Version: 2.1\nName: Flask\nVersion: {tocsin.FLASK_API_VERSION}\n"
        return None

    def locate_file(self, path: t.Any) -> t.Any:
        raise FileNotFoundError(path)


class _MetadataFinder(importlib.abc.MetaPathFinder):
    """Last on ``sys.meta_path``: finds no modules, only the stand-in Flask metadata."""

    def find_spec(self, *args: t.Any, **kwargs: t.Any) -> None:
        return None

    def find_distributions(
        self, context: importlib.metadata.DistributionFinder.Context | None = None
    ) -> t.Iterator[importlib.metadata.Distribution]:
        name = getattr(context, "name", None)
        if name is not None and name.lower().replace("_", "-") == _FLASK:
            yield _FlaskDistribution()


def _real_flask_modules() -> list[str]:
    """Names of the real Flask's modules already imported in this process."""
    return sorted(
        name
        for name, module in sys.modules.items()
        if (name == _FLASK or name.startswith(_FLASK + "."))
        and module is not None
        and getattr(module, _MARK, False) is not True
        and not getattr(module, "__name__", "").startswith("tocsin")
    )


def _refuse(first: list[str]) -> t.NoReturn:
    module = sys.modules[first[0]]
    where = getattr(module, "__file__", None)
    extensions = sorted(
        name for name in sys.modules if name.startswith(("flask_", "flaskext")) and "." not in name
    )
    imported = f"{first[0]!r}" + (f" (from {where})" if where else "")
    if extensions:
        imported += f", with {', '.join(extensions)}"
    raise FlaskAlreadyImported(
        f"'import tocsin.as_flask' came after the real Flask was imported: {imported}."
        " Code imported so far uses Flask's own contexts and classes, which Tocsin cannot"
        " take over. Move 'import tocsin.as_flask' up, to the first line of the app's entry"
        " module, before any 'flask' or extension import (and run the app with 'tocsin' or"
        " a server, not with the 'flask' command, which imports the real Flask first)."
    )


def _install() -> None:
    if installed():
        return
    first = _real_flask_modules()
    if first:
        _refuse(first)
    sys.meta_path.insert(0, _Finder())
    try:
        importlib.metadata.distribution(_FLASK)
    except importlib.metadata.PackageNotFoundError:
        sys.meta_path.append(_MetadataFinder())
    importlib.import_module(_FLASK)


if enabled():
    _install()
