"""Application configuration: a dict with loaders, as in Flask."""

from __future__ import annotations

import errno
import json
import os
import types
import typing as t

from werkzeug.utils import import_string

__all__ = ["Config", "ConfigAttribute"]

T = t.TypeVar("T")


class ConfigAttribute(t.Generic[T]):
    """Forward an attribute of the app to one of its config keys."""

    def __init__(self, name: str, get_converter: t.Callable[[t.Any], T] | None = None) -> None:
        self.__name__ = name
        self.get_converter = get_converter

    @t.overload
    def __get__(self, obj: None, owner: None) -> ConfigAttribute[T]: ...
    @t.overload
    def __get__(self, obj: t.Any, owner: t.Any) -> T: ...
    def __get__(self, obj: t.Any, owner: t.Any = None) -> T | ConfigAttribute[T]:
        if obj is None:
            return self
        rv: T = obj.config[self.__name__]
        if self.get_converter is not None:
            rv = self.get_converter(rv)
        return rv

    def __set__(self, obj: t.Any, value: t.Any) -> None:
        obj.config[self.__name__] = value


class Config(dict[str, t.Any]):
    """A dict of settings that can be filled from objects, files and the environment.

    Only UPPERCASE keys are taken from objects and files, so a config module
    can hold helpers and imports without them becoming settings.
    """

    def __init__(self, root_path: str | os.PathLike[str], defaults: dict[str, t.Any] | None = None):
        super().__init__(defaults or {})
        self.root_path = root_path

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python file named by the environment variable *variable_name*."""
        rv = os.environ.get(variable_name)
        if not rv:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set and as such"
                " configuration could not be loaded. Set this variable and make it"
                " point to a configuration file."
            )
        return self.from_pyfile(rv, silent=silent)

    def from_prefixed_env(
        self, prefix: str | None = None, *, loads: t.Callable[[str], t.Any] = json.loads
    ) -> bool:
        """Load variables named ``{prefix}_KEY``; values are parsed with *loads* when they can be.

        Without *prefix*, ``FLASK_`` variables are loaded (Flask's default, so
        ported code keeps working), then ``TOCSIN_`` ones, which win when both
        set a key. An explicit *prefix* loads that prefix alone. Within a
        prefix, names are loaded in sorted order. A value that *loads* cannot
        parse stays a string.

        ``__`` in a name sets a nested key: ``TOCSIN_DB__HOST`` sets
        ``config["DB"]["HOST"]``, making ``config["DB"]`` a dict if it is unset.
        """
        for name in ("FLASK", "TOCSIN") if prefix is None else (prefix,):
            self._load_prefixed(f"{name}_", loads)
        return True

    def _load_prefixed(self, prefix: str, loads: t.Callable[[str], t.Any]) -> None:
        for key in sorted(os.environ):
            if not key.startswith(prefix):
                continue
            value: t.Any = os.environ[key]
            try:
                value = loads(value)
            except Exception:
                pass
            key = key.removeprefix(prefix)
            if "__" not in key:
                self[key] = value
                continue
            current: dict[str, t.Any] = self
            *parts, tail = key.split("__")
            for part in parts:
                current = current.setdefault(part, {})
            current[tail] = value

    def from_pyfile(self, filename: str | os.PathLike[str], silent: bool = False) -> bool:
        """Execute a Python file and load its UPPERCASE names."""
        filename = os.path.join(self.root_path, filename)
        d = types.ModuleType("config")
        d.__file__ = str(filename)
        try:
            with open(filename, mode="rb") as config_file:
                exec(compile(config_file.read(), filename, "exec"), d.__dict__)
        except OSError as e:
            if silent and e.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
                return False
            e.strerror = f"Unable to load configuration file ({e.strerror})"
            raise
        self.from_object(d)
        return True

    def from_object(self, obj: object | str) -> None:
        """Load the UPPERCASE attributes of *obj* (or of the object at an import path)."""
        if isinstance(obj, str):
            obj = import_string(obj)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: t.Callable[[t.IO[t.Any]], t.Mapping[str, t.Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load a file with *load* (``json.load``, ``tomllib.load`` with ``text=False``)."""
        filename = os.path.join(self.root_path, filename)
        try:
            with open(filename, "r" if text else "rb") as f:
                obj = load(f)
        except OSError as e:
            if silent and e.errno in (errno.ENOENT, errno.EISDIR):
                return False
            e.strerror = f"Unable to load configuration file ({e.strerror})"
            raise
        return self.from_mapping(obj)

    def from_mapping(self, mapping: t.Mapping[str, t.Any] | None = None, **kwargs: t.Any) -> bool:
        """Load the UPPERCASE keys of *mapping* and of the keyword arguments."""
        mappings: dict[str, t.Any] = {}
        if mapping is not None:
            mappings.update(mapping)
        mappings.update(kwargs)
        for key, value in mappings.items():
            if key.isupper():
                self[key] = value
        return True

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, t.Any]:
        """Return the keys that start with *namespace*, e.g. ``"IMAGE_STORE_"``."""
        rv = {}
        for k, v in self.items():
            if not k.startswith(namespace):
                continue
            key = k[len(namespace) :] if trim_namespace else k
            rv[key.lower() if lowercase else key] = v
        return rv

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"
