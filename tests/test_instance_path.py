"""The default instance folder, found as Flask 3.1.3 finds it, installed or not.

Each case builds packages in a temporary folder, puts it on ``sys.path``,
and checks the exact path, and that ``flask.Flask`` finds the same one.
"""

from __future__ import annotations

import itertools
import os
import sys
import types
import typing as t
from pathlib import Path

import flask
import pytest

from tocsin import Tocsin

_SITE = os.path.join("lib", f"python{sys.version_info[0]}.{sys.version_info[1]}", "site-packages")
_counter = itertools.count()


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Callable[..., tuple[str, Path]]:
    """``layout(where, kind)``: make a uniquely named package or module under ``tmp_path/where``.

    *kind* is ``"package"`` (with a ``views`` module and a ``sub`` package),
    ``"module"`` or ``"namespace"`` (a module ``mod`` in a folder without
    ``__init__.py``). The folder goes first on ``sys.path``. Returns the
    top-level name and the folder.
    """
    names: list[str] = []

    def make(where: str, kind: str) -> tuple[str, Path]:
        name = f"tocsin_ip_{kind}_{next(_counter)}"
        names.append(name)
        folder = tmp_path / where
        folder.mkdir(parents=True, exist_ok=True)
        if kind == "module":
            (folder / f"{name}.py").write_text("")
        else:
            top = folder / name
            (top / "sub").mkdir(parents=True)
            if kind == "package":
                (top / "__init__.py").write_text("")
                (top / "views.py").write_text("")
                (top / "sub" / "__init__.py").write_text("")
            else:
                (top / "mod.py").write_text("")
        monkeypatch.syspath_prepend(str(folder))
        return name, folder

    yield make  # type: ignore[misc]  # a generator fixture
    for module in list(sys.modules):
        if module.partition(".")[0] in names:
            del sys.modules[module]


def _instance(name: str) -> str:
    path = Tocsin(name, root_path="/nonexistent").instance_path
    assert flask.Flask(name, root_path="/nonexistent").instance_path == path
    return path


@pytest.mark.parametrize("kind", ["package", "module", "namespace"])
def test_not_installed_is_instance_next_to_the_top_level(
    layout: t.Callable[..., tuple[str, Path]], kind: str
) -> None:
    name, folder = layout("src", kind)
    assert _instance(name) == str(folder / "instance")
    if kind == "package":
        for sub in ("views", "sub", "nothere", "views.x.y"):
            assert _instance(f"{name}.{sub}") == str(folder / "instance")  # not next to sub/
    if kind == "namespace":
        assert _instance(f"{name}.mod") == str(folder / "instance")


def test_an_imported_package_is_found_the_same(layout: t.Callable[..., tuple[str, Path]]) -> None:
    name, folder = layout("src", "package")
    __import__(f"{name}.views")
    assert _instance(f"{name}.views") == str(folder / "instance")


@pytest.mark.parametrize("kind", ["package", "module", "namespace"])
@pytest.mark.parametrize(
    ("site", "prefix"),
    [
        (f"pfx/{_SITE}", "pfx"),  # <prefix>/lib/pythonX.Y/site-packages
        ("pfx/lib/site-packages", "pfx"),  # Windows
        ("pfx/Lib/Site-Packages", "pfx"),  # in any case
        ("pfx/site-packages", "pfx"),
    ],
)
def test_installed_is_prefix_var_name_instance(
    layout: t.Callable[..., tuple[str, Path]], tmp_path: Path, kind: str, site: str, prefix: str
) -> None:
    name, _folder = layout(site, kind)
    var = tmp_path / prefix / "var"
    assert _instance(name) == str(var / f"{name}-instance")
    sub = "views" if kind == "package" else "mod" if kind == "namespace" else None
    if sub is not None:  # named after the app's import name
        assert _instance(f"{name}.{sub}") == str(var / f"{name}.{sub}-instance")


def test_other_package_folders_are_not_installed(layout: t.Callable[..., tuple[str, Path]]) -> None:
    name, folder = layout(os.path.join("pfx", "lib", "python3.11", "dist-packages"), "package")
    assert _instance(name) == str(folder / "instance")


def test_under_sys_prefix_is_installed(
    layout: t.Callable[..., tuple[str, Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, _folder = layout("venv/src", "package")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    assert _instance(name) == str(tmp_path / "venv" / "var" / f"{name}-instance")


def test_namespace_in_two_folders(
    layout: t.Callable[..., tuple[str, Path]], tmp_path: Path
) -> None:
    """The portion that holds the module or subpackage decides, as in Flask."""
    name, first = layout("one", "namespace")  # holds mod.py and sub/
    second = tmp_path / "two"
    (second / name).mkdir(parents=True)
    (second / name / "other.py").write_text("")
    (second / name / "inner").mkdir()
    (second / name / "inner" / "__init__.py").write_text("")
    sys.path.insert(0, str(second))  # (the fixture's monkeypatch restores sys.path)
    assert _instance(f"{name}.inner") == str(second / "instance")
    assert _instance(f"{name}.sub") == str(first / "instance")
    # A module is looked for in the first portion on sys.path, wherever it is.
    assert _instance(f"{name}.mod") == str(second / "instance")
    assert _instance(f"{name}.other") == str(second / "instance")


def test_namespace_where_flasks_lookup_raises(
    layout: t.Callable[..., tuple[str, Path]], tmp_path: Path
) -> None:
    """Flask raises from its constructor; Tocsin takes the first portion (a documented change)."""
    name, _first = layout("one", "namespace")
    second = tmp_path / "two"
    (second / name).mkdir(parents=True)
    sys.path.insert(0, str(second))
    with pytest.raises(StopIteration):
        flask.Flask(name, root_path="/nonexistent")
    assert Tocsin(name, root_path="/nonexistent").instance_path == str(second / "instance")
    with pytest.raises(ModuleNotFoundError):
        flask.Flask(f"{name}.mod.x", root_path="/nonexistent")  # mod is not a package
    assert Tocsin(f"{name}.mod.x", root_path="/nonexistent").instance_path == str(
        second / "instance"
    )


@pytest.mark.parametrize("name", ["tocsin_ip_missing", "tocsin_ip_missing.x", "__main__", ""])
def test_unknown_is_cwd_instance(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))  # a script's
    assert _instance(name) == str(tmp_path / "instance")


def test_builtin_module_gives_a_relative_instance_folder() -> None:
    """A built-in or frozen module has no folder: Flask gives the relative ``instance``."""
    assert _instance("sys") == "instance"


def test_explicit_and_overridden_instance_paths(tmp_path: Path) -> None:
    assert Tocsin("x", instance_path=str(tmp_path)).instance_path == str(tmp_path)

    class App(Tocsin):
        def auto_find_instance_path(self) -> str:
            return str(tmp_path / "own")

    assert App("x").instance_path == str(tmp_path / "own")
