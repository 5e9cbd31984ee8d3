"""``tocsin.cli`` against Flask 3.1.3's ``flask.cli``, run side by side on the same input.

Each test runs the real ``flask.cli`` and ``tocsin.cli`` the same way and checks both
against the exact expected value, so a change on either side shows.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import os
import platform
import ssl
import subprocess
import sys
import textwrap
import types
import typing as t
from pathlib import Path

import click
import flask
import flask.cli
import flask.globals
import pytest
from click.testing import CliRunner, Result

import tocsin
import tocsin.cli
import tocsin.globals

#: Variables the command line reads or sets; each test starts without them.
ENV_VARS = (
    "TOCSIN_APP",
    "FLASK_APP",
    "TOCSIN_DEBUG",
    "FLASK_DEBUG",
    "TOCSIN_SKIP_DOTENV",
    "FLASK_SKIP_DOTENV",
    "TOCSIN_RUN_FROM_CLI",
    "FLASK_RUN_FROM_CLI",
    "TOCSIN_RUN_CERT",
    "FLASK_RUN_CERT",
    "TOCSIN_RUN_KEY",
    "FLASK_RUN_KEY",
    "FLASK_RUN_EXTRA_FILES",
    "FLASK_RUN_EXCLUDE_PATTERNS",
    "WERKZEUG_RUN_MAIN",
)
#: What the dotenv files of these tests set.
DOTENV_KEYS = ("PARITY_A", "PARITY_B", "PARITY_C", "PARITY_D", "PARITY_E", "PARITY_BARE")

Side = t.Literal["flask", "tocsin"]
SIDES: tuple[Side, Side] = ("flask", "tocsin")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No variable from outside is seen; whatever a test or a command sets is undone."""
    for name in (*ENV_VARS, *DOTENV_KEYS):
        monkeypatch.setenv(name, "recorded")
        monkeypatch.delenv(name)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Iterator[Path]:
    """An empty current directory; sys.path and the modules imported from it are undone."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.setattr(sys, "path", [str(root), *sys.path])
    before = set(sys.modules)
    yield root
    for name in set(sys.modules) - before:
        del sys.modules[name]


@pytest.fixture
def no_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if python-dotenv were not installed: ``import dotenv`` raises ImportError."""
    monkeypatch.setitem(sys.modules, "dotenv", None)


def write(root: Path, relpath: str, source: str) -> Path:
    """Write a file under *root* (dedented) and make the import system see it."""
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    importlib.invalidate_caches()
    return path


def module(side: Side) -> types.ModuleType:
    """``flask.cli`` or ``tocsin.cli``."""
    return flask.cli if side == "flask" else tocsin.cli


def new_app(side: Side, name: str = "parity") -> t.Any:
    """A bare Flask or Tocsin app."""
    return flask.Flask(name) if side == "flask" else tocsin.Tocsin(name, root_path="/nonexistent")


def group(side: Side, **kwargs: t.Any) -> click.Group:
    """``FlaskGroup(**kwargs)`` of that side."""
    return t.cast(click.Group, module(side).FlaskGroup(**kwargs))


def error_line(result: Result) -> str:
    """The ``Error:`` line of a usage error (exit status 2)."""
    assert result.exit_code == 2, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("Error:"))
    return line


# -- 1. get_version and --version ------------------------------------------------------------


def test_get_version_has_flasks_signature() -> None:
    ours = inspect.signature(tocsin.cli.get_version)
    theirs = inspect.signature(flask.cli.get_version)
    assert list(ours.parameters) == list(theirs.parameters) == ["ctx", "param", "value"]
    assert tocsin.cli.version_option.callback is tocsin.cli.get_version
    assert flask.cli.version_option.callback is flask.cli.get_version


def test_version_lines_are_flasks_plus_tocsins() -> None:
    werkzeug = importlib.metadata.version("werkzeug")
    flask_out = CliRunner().invoke(flask.cli.cli, ["--version"]).output.splitlines()
    ours = CliRunner().invoke(tocsin.cli.cli, ["--version"])
    assert ours.exit_code == 0
    assert flask_out == [
        f"Python {platform.python_version()}",
        "Flask 3.1.3",
        f"Werkzeug {werkzeug}",
    ]
    assert ours.output.splitlines() == [
        f"Python {platform.python_version()}",
        f"Tocsin {importlib.metadata.version('tocsin')}",
        "Flask 3.1.3",
        f"Werkzeug {werkzeug}",
    ]
    # The API version Tocsin states is the Flask the project is tested against.
    assert importlib.metadata.version("flask") == tocsin.FLASK_API_VERSION == "3.1.3"


@pytest.mark.parametrize("side", SIDES)
def test_get_version_does_nothing_without_a_value(side: Side) -> None:
    command = click.Command("x", params=[module(side).version_option], callback=lambda: None)
    ctx = click.Context(command)
    assert module(side).get_version(ctx, module(side).version_option, False) is None
    result = CliRunner().invoke(command, [])
    assert (result.exit_code, result.output) == (0, "")


@pytest.mark.parametrize("side", SIDES)
def test_version_option_can_be_left_out(side: Side) -> None:
    result = CliRunner().invoke(group(side, add_version_option=False), ["--version"])
    assert error_line(result) == "Error: No such option '--version'."


# -- 2. load_dotenv ---------------------------------------------------------------------------


def test_load_dotenv_has_flasks_signature() -> None:
    ours = inspect.signature(tocsin.cli.load_dotenv)
    theirs = inspect.signature(flask.cli.load_dotenv)
    assert [(p.name, p.default) for p in ours.parameters.values()] == [
        (p.name, p.default) for p in theirs.parameters.values()
    ]


def dotenv_tree(tmp_path: Path) -> Path:
    """``top/.flaskenv``, ``top/mid/.env``, ``top/custom.env``; returns the dir below ``mid``."""
    write(tmp_path, "top/.flaskenv", "PARITY_A=flaskenv\nPARITY_B=flaskenv\n")
    write(tmp_path, "top/mid/.env", "PARITY_A=env\nPARITY_C=env\nPARITY_BARE\n")
    write(tmp_path, "top/custom.env", "PARITY_A=custom\nPARITY_D=custom\nPARITY_E=\n")
    leaf = tmp_path / "top" / "mid" / "leaf"
    leaf.mkdir()
    return leaf


def run_load_dotenv(
    side: Side, monkeypatch: pytest.MonkeyPatch, *args: t.Any, env: dict[str, str] | None = None
) -> tuple[bool, dict[str, str | None], str]:
    """Call that side's load_dotenv in a fresh environment: (result, the variables, cwd)."""
    with monkeypatch.context() as m:
        for key in DOTENV_KEYS:
            m.delenv(key, raising=False)
        for key, value in (env or {}).items():
            m.setenv(key, value)
        result = module(side).load_dotenv(*args)
        values = {key: os.environ.get(key) for key in DOTENV_KEYS}
        return result, values, os.getcwd()


NOTHING: dict[str, str | None] = dict.fromkeys(DOTENV_KEYS)


@pytest.mark.parametrize(
    ("args", "env", "expected", "loaded"),
    [
        # The nearest .flaskenv and .env are found upwards from the current directory,
        # .env winning; a bare key (no '=') is data but sets nothing.
        ((), {}, {"PARITY_A": "env", "PARITY_B": "flaskenv", "PARITY_C": "env"}, True),
        # The given file comes last and wins; an empty value is set as ''.
        (
            ("../../custom.env",),
            {},
            {
                "PARITY_A": "custom",
                "PARITY_B": "flaskenv",
                "PARITY_C": "env",
                "PARITY_D": "custom",
                "PARITY_E": "",
            },
            True,
        ),
        (
            ("../../custom.env", False),
            {},
            {"PARITY_A": "custom", "PARITY_D": "custom", "PARITY_E": ""},
            True,
        ),
        # A path that is no file (missing, or a folder) is ignored.
        (
            ("missing.env",),
            {},
            {"PARITY_A": "env", "PARITY_B": "flaskenv", "PARITY_C": "env"},
            True,
        ),
        (("missing.env", False), {}, {}, False),
        (("../..", False), {}, {}, False),
        # The environment wins over every file.
        (
            ("../../custom.env",),
            {"PARITY_A": "environ", "PARITY_E": "environ"},
            {
                "PARITY_A": "environ",
                "PARITY_B": "flaskenv",
                "PARITY_C": "env",
                "PARITY_D": "custom",
                "PARITY_E": "environ",
            },
            True,
        ),
        # True when the files held variables, even if the environment had them all.
        (
            (),
            {"PARITY_A": "1", "PARITY_B": "1", "PARITY_C": "1"},
            {"PARITY_A": "1", "PARITY_B": "1", "PARITY_C": "1"},
            True,
        ),
    ],
    ids=[
        "defaults-upwards",
        "path-wins",
        "path-only",
        "missing-path",
        "missing-path-only",
        "folder-path",
        "environment-wins",
        "true-when-all-set",
    ],
)
def test_load_dotenv_side_by_side(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[t.Any, ...],
    env: dict[str, str],
    expected: dict[str, str],
    loaded: bool,
) -> None:
    leaf = dotenv_tree(tmp_path)
    monkeypatch.chdir(leaf)
    want = (loaded, NOTHING | expected, str(leaf))  # the current directory is not changed
    assert run_load_dotenv("flask", monkeypatch, *args, env=env) == want
    assert run_load_dotenv("tocsin", monkeypatch, *args, env=env) == want


@pytest.mark.parametrize("side", SIDES)
def test_load_dotenv_without_files_is_false(
    side: Side, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_load_dotenv(side, monkeypatch) == (False, NOTHING, str(project))


@pytest.mark.parametrize("side", SIDES)
def test_load_dotenv_reads_utf8(side: Side, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / ".env").write_bytes("PARITY_A=café ✓\n".encode())
    assert run_load_dotenv(side, monkeypatch)[1]["PARITY_A"] == "café ✓"


def test_tocsinenv_sits_between_flaskenv_and_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaf = dotenv_tree(tmp_path)
    write(tmp_path, "top/mid/leaf/.tocsinenv", "PARITY_A=tocsinenv\nPARITY_B=tocsinenv\n")
    write(tmp_path, "top/.tocsinenv", "PARITY_C=far-tocsinenv\n")
    monkeypatch.chdir(leaf)
    # .flaskenv < .tocsinenv < .env < path; only the nearest .tocsinenv is read.
    assert run_load_dotenv("tocsin", monkeypatch) == (
        True,
        NOTHING | {"PARITY_A": "env", "PARITY_B": "tocsinenv", "PARITY_C": "env"},
        str(leaf),
    )
    assert run_load_dotenv("tocsin", monkeypatch, "../../custom.env")[1]["PARITY_A"] == "custom"


TIP = " * Tip: There are .env files present. Install python-dotenv to use them."


def load_dotenv_output(side: Side, *args: t.Any) -> tuple[t.Any, str, str]:
    """(result, stdout, stderr with colours) of that side's load_dotenv under click's runner."""
    results: list[bool] = []
    command = click.Command("x", callback=lambda: results.append(module(side).load_dotenv(*args)))
    result = CliRunner().invoke(command, [], color=True)
    assert result.exit_code == 0, result.output
    return results[0], result.stdout, result.stderr


@pytest.mark.parametrize(
    ("files", "args", "tip"),
    [
        ([".env"], (), True),
        ([".flaskenv"], (), True),
        ([], ("missing.env",), True),
        ([], (), False),
        ([".env"], (None, False), True),
        (["sub/.env"], (), False),  # only the current directory is checked for the tip
    ],
    ids=["env", "flaskenv", "path", "none", "no-defaults", "elsewhere"],
)
@pytest.mark.usefixtures("no_dotenv")
def test_load_dotenv_without_python_dotenv(
    project: Path, files: list[str], args: tuple[t.Any, ...], tip: bool
) -> None:
    for name in files:
        write(project, name, "PARITY_A=1\n")
    stderr = f"\x1b[33m{TIP}\x1b[0m\n" if tip else ""
    for side in SIDES:
        assert load_dotenv_output(side, *args) == (False, "", stderr)
    assert "PARITY_A" not in os.environ


@pytest.mark.usefixtures("no_dotenv")
def test_tocsinenv_alone_also_gets_the_tip(project: Path) -> None:
    write(project, ".tocsinenv", "PARITY_A=1\n")
    assert load_dotenv_output("tocsin") == (False, "", f"\x1b[33m{TIP}\x1b[0m\n")


# -- 3. -e/--env-file ----------------------------------------------------------------------


SHOW_ENV = """
    import os
    import click
    from {package} import {cls}

    app = {cls}("shown")

    @app.cli.command()
    def show():
        keys = ("PARITY_A", "PARITY_B", "PARITY_C", "PARITY_D")
        click.echo(" ".join(f"{{k}}={{os.environ.get(k)}}" for k in keys))
"""


def env_project(root: Path) -> None:
    """``flaskapp.py``, ``tocsinapp.py``, a ``.flaskenv``, a ``.env`` and ``custom.env``."""
    write(root, "flaskapp.py", SHOW_ENV.format(package="flask", cls="Flask"))
    write(root, "tocsinapp.py", SHOW_ENV.format(package="tocsin", cls="Tocsin"))
    write(root, ".flaskenv", "PARITY_A=flaskenv\nPARITY_B=flaskenv\n")
    write(root, ".env", "PARITY_A=env\nPARITY_C=env\n")
    write(root, "custom.env", "PARITY_A=custom\nPARITY_D=custom\n")


def invoke(side: Side, args: list[str], group_kwargs: dict[str, t.Any] | None = None) -> Result:
    """Run that side's FlaskGroup with ``--app`` set to its app of :func:`env_project`."""
    target = "flaskapp" if side == "flask" else "tocsinapp"
    return CliRunner().invoke(group(side, **(group_kwargs or {})), ["--app", target, *args])


@pytest.mark.parametrize(
    ("args", "env", "group_kwargs", "shown"),
    [
        ([], {}, {}, "PARITY_A=env PARITY_B=flaskenv PARITY_C=env PARITY_D=None"),
        (
            ["-e", "custom.env"],
            {},
            {},
            "PARITY_A=custom PARITY_B=flaskenv PARITY_C=env PARITY_D=custom",
        ),
        (
            ["--env-file", "custom.env"],
            {"PARITY_A": "environ"},
            {},
            "PARITY_A=environ PARITY_B=flaskenv PARITY_C=env PARITY_D=custom",
        ),
        (
            ["-e", "custom.env"],
            {"FLASK_SKIP_DOTENV": "1"},
            {},
            "PARITY_A=custom PARITY_B=None PARITY_C=None PARITY_D=custom",
        ),
        (
            [],
            {"FLASK_SKIP_DOTENV": "no"},
            {},
            "PARITY_A=env PARITY_B=flaskenv PARITY_C=env PARITY_D=None",
        ),
        (
            ["-e", "custom.env"],
            {},
            {"load_dotenv": False},
            "PARITY_A=custom PARITY_B=None PARITY_C=None PARITY_D=custom",
        ),
        ([], {}, {"load_dotenv": False}, "PARITY_A=None PARITY_B=None PARITY_C=None PARITY_D=None"),
    ],
    ids=["defaults", "env-file-wins", "environment-wins", "skip", "skip-no", "group-off", "none"],
)
def test_env_file_option_side_by_side(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    group_kwargs: dict[str, t.Any],
    shown: str,
) -> None:
    env_project(project)
    for side in SIDES:
        with monkeypatch.context() as m:
            for key, value in env.items():
                m.setenv(key, value)
            result = invoke(side, [*args, "show"], group_kwargs)
            assert (result.exit_code, result.output) == (0, f"{shown}\n"), side


def test_tocsin_skip_dotenv_skips_the_defaults_too(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_project(project)
    monkeypatch.setenv("TOCSIN_SKIP_DOTENV", "true")
    result = invoke("tocsin", ["-e", "custom.env", "show"])
    assert result.output == "PARITY_A=custom PARITY_B=None PARITY_C=None PARITY_D=custom\n"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "missing.env",
            "Error: Invalid value for '-e' / '--env-file': File 'missing.env' does not exist.",
        ),
        ("folder", "Error: Invalid value for '-e' / '--env-file': File 'folder' is a directory."),
    ],
)
def test_env_file_must_be_a_file(project: Path, value: str, message: str) -> None:
    env_project(project)
    (project / "folder").mkdir()
    for side in SIDES:
        assert error_line(invoke(side, ["-e", value, "show"])) == message


@pytest.mark.usefixtures("no_dotenv")
def test_env_file_without_python_dotenv(project: Path) -> None:
    env_project(project)
    for side in SIDES:
        result = invoke(side, ["-e", "custom.env", "show"])
        assert error_line(result) == (
            "Error: Invalid value for '-e' / '--env-file': python-dotenv must be installed to"
            " load an env file."
        )
        # Without -e, the command runs and the tip is shown (once, on stderr).
        result = invoke(side, ["show"])
        assert (result.exit_code, result.stderr) == (0, f"{TIP}\n")
        assert result.stdout == "PARITY_A=None PARITY_B=None PARITY_C=None PARITY_D=None\n"


def test_env_file_help(no_dotenv: None) -> None:
    """The option is there with or without python-dotenv, and says it needs it."""
    text = " ".join(CliRunner().invoke(tocsin.cli.cli, ["--help"]).output.split())
    assert (
        "-e, --env-file FILE Load environment variables from this file, taking precedence over"
        " those set by '.env', '.tocsinenv' and '.flaskenv'. Variables set directly in the"
        " environment take highest precedence. python-dotenv must be installed."
    ) in text


@pytest.mark.parametrize("argv", [[], ["--help"]], ids=["no-args", "help"])
def test_help_lists_the_command_of_an_app_named_in_flaskenv(project: Path, argv: list[str]) -> None:
    env_project(project)
    for side in SIDES:
        target = "flaskapp" if side == "flask" else "tocsinapp"
        (project / ".flaskenv").write_text(f"FLASK_APP={target}\n")
        result = CliRunner().invoke(group(side), argv)
        assert "  show" in result.output.splitlines(), (side, result.output)
        os.environ.pop("FLASK_APP")
    # Both leave the app context pushed to list the app's commands when the help comes
    # from having no arguments: click never closes that context (see docs/cli.md).
    leaked = [flask.globals._cv_app.get(None), tocsin.globals._cv_app.get(None)]
    assert [ctx is not None for ctx in leaked] == [argv == [], argv == []]
    for ctx in leaked:
        if ctx is not None:
            ctx.pop()


def test_script_info_load_dotenv_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    names = [p.name for p in inspect.signature(flask.cli.ScriptInfo).parameters.values()]
    assert names == [p.name for p in inspect.signature(tocsin.cli.ScriptInfo).parameters.values()]
    for side in SIDES:
        info = module(side).ScriptInfo
        assert (
            info().load_dotenv_defaults,
            info(load_dotenv_defaults=False).load_dotenv_defaults,
        ) == (True, False)
        monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")
        assert info().load_dotenv_defaults is False
        monkeypatch.delenv("FLASK_SKIP_DOTENV")


# -- 4. locate_app ---------------------------------------------------------------------------


def test_locate_app_has_flasks_signature() -> None:
    ours = inspect.signature(tocsin.cli.locate_app)
    theirs = inspect.signature(flask.cli.locate_app)
    assert [(p.name, p.default) for p in ours.parameters.values()] == [
        (p.name, p.default) for p in theirs.parameters.values()
    ]


APP_MODULE = """
    from {package} import {cls}
    app = {cls}("located")
"""


@pytest.mark.parametrize("name", ["parity_missing", "parity_pkg.missing"])
def test_locate_app_not_found(project: Path, name: str) -> None:
    write(project, "parity_pkg/__init__.py", "")
    for side in SIDES:
        assert module(side).locate_app(name, None, raise_if_not_found=False) is None
        assert module(side).locate_app(name, "app", False) is None
        with pytest.raises(module(side).NoAppException) as e:
            module(side).locate_app(name, None)
        assert e.value.format_message().startswith(f"Could not import {name!r}")


def test_locate_app_found(project: Path) -> None:
    write(project, "flask_located.py", APP_MODULE.format(package="flask", cls="Flask"))
    write(project, "tocsin_located.py", APP_MODULE.format(package="tocsin", cls="Tocsin"))
    for side in SIDES:
        found = module(side).locate_app(f"{side}_located", None, raise_if_not_found=False)
        assert found is sys.modules[f"{side}_located"].app
        assert module(side).locate_app(f"{side}_located", "app") is found


@pytest.mark.parametrize(
    ("source", "app_name", "message"),
    [
        ("import parity_not_there\n", None, "While importing 'broken', an ImportError was raised:"),
        ("x = 1\n", None, "Failed to find"),
        ("x = 1\n", "app", "Failed to find attribute 'app'"),
    ],
    ids=["import-error-inside", "no-app", "no-attribute"],
)
def test_locate_app_errors_raise_even_when_not_raising_if_not_found(
    project: Path, source: str, app_name: str | None, message: str
) -> None:
    write(project, "broken.py", source)
    for side in SIDES:
        sys.modules.pop("broken", None)
        with pytest.raises(module(side).NoAppException) as e:
            module(side).locate_app("broken", app_name, raise_if_not_found=False)
        assert e.value.format_message().startswith(message), side


def test_locate_app_other_errors_propagate(project: Path) -> None:
    write(project, "boom.py", "1 / 0\n")
    for side in SIDES:
        sys.modules.pop("boom", None)
        with pytest.raises(ZeroDivisionError):
            module(side).locate_app("boom", None, raise_if_not_found=False)


# -- 5. run --cert / --key -----------------------------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, t.Any]]:
    """The keyword arguments of each ``run_simple`` call, of either side; no server starts."""
    calls: list[dict[str, t.Any]] = []
    for side in SIDES:
        monkeypatch.setattr(module(side), "run_simple", lambda *a, **kw: calls.append(kw))
    return calls


@pytest.fixture
def certs(project: Path) -> Path:
    """``c.pem``, ``k.pem`` and ``sslmod.py`` (``ctx``: an SSLContext; ``number``: 1)."""
    write(project, "c.pem", "cert")
    write(project, "k.pem", "key")
    write(
        project,
        "sslmod.py",
        "import ssl\nctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)\nnumber = 1\n",
    )
    sys.path.insert(0, str(project))
    return project


def run_both(argv: list[str], env: dict[str, str] | None = None) -> list[Result]:
    """``run ARGV`` with each side's FlaskGroup on a bare app of that side."""
    results = []
    for side in SIDES:
        app = new_app(side)
        results.append(
            CliRunner().invoke(group(side, create_app=lambda a=app: a), ["run", *argv], env=env)
        )
    return results


@pytest.fixture
def cryptography(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the cryptography library were installed (it is only imported here)."""
    monkeypatch.setitem(sys.modules, "cryptography", types.ModuleType("cryptography"))


@pytest.fixture
def no_cryptography(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cryptography", None)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--key", "k.pem"],
            "Error: Invalid value for '--key': \"--cert\" must also be specified.",
        ),
        (["--cert", "c.pem"], "Error: Invalid value for '--key': Required when using \"--cert\"."),
        (
            ["--cert", "missing.pem", "--key", "k.pem"],
            "Error: Invalid value for '--cert': File 'missing.pem' does not exist.",
        ),
        (
            ["--cert", "c.pem", "--key", "missing.pem"],
            "Error: Invalid value for '--key': File 'missing.pem' does not exist.",
        ),
        (
            ["--cert", "c.pem", "--key", "."],
            "Error: Invalid value for '--key': File '.' is a directory.",
        ),
        (
            ["--cert", "adhoc", "--key", "k.pem"],
            'Error: Invalid value for \'--key\': When "--cert" is "adhoc", "--key" is not used.',
        ),
        (
            ["--key", "k.pem", "--cert", "AdHoc"],
            'Error: Invalid value for \'--key\': When "--cert" is "adhoc", "--key" is not used.',
        ),
        (
            ["--cert", "sslmod.ctx", "--key", "k.pem"],
            "Error: Invalid value for '--key': When \"--cert\" is an SSLContext object,"
            ' "--key" is not used.',
        ),
        (
            ["--cert", "sslmod.number"],
            "Error: Invalid value for '--cert': File 'sslmod.number' does not exist.",
        ),
        (
            ["--cert", "nomodule.ctx"],
            "Error: Invalid value for '--cert': File 'nomodule.ctx' does not exist.",
        ),
    ],
)
@pytest.mark.usefixtures("certs", "cryptography")
def test_cert_errors_side_by_side(served: list[t.Any], argv: list[str], message: str) -> None:
    assert [error_line(result) for result in run_both(argv)] == [message, message]
    assert served == []


@pytest.mark.usefixtures("certs", "no_cryptography")
def test_adhoc_needs_cryptography(served: list[t.Any]) -> None:
    message = (
        "Error: Invalid value for '--cert': Using ad-hoc certificates requires the cryptography"
        " library."
    )
    for argv in (["--cert", "adhoc"], ["--cert", "ADHOC", "--key", "k.pem"]):
        assert [error_line(result) for result in run_both(argv)] == [message, message]
    assert served == []


@pytest.mark.usefixtures("certs")
def test_cert_needs_ssl(served: list[t.Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ssl", None)
    message = (
        "Error: Invalid value for '--cert': Using \"--cert\" requires Python to be compiled with"
        " SSL support."
    )
    assert [error_line(result) for result in run_both(["--cert", "c.pem"])] == [message, message]


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["--cert", "c.pem", "--key", "k.pem"], None, ("{root}/c.pem", "{root}/k.pem")),
        (["--key", "k.pem", "--cert", "c.pem"], None, ("{root}/c.pem", "{root}/k.pem")),
        (
            [],
            {"FLASK_RUN_CERT": "c.pem", "FLASK_RUN_KEY": "k.pem"},
            ("{root}/c.pem", "{root}/k.pem"),
        ),
        (["--cert", "adhoc"], None, "adhoc"),
        (["--cert", "ADHOC"], None, "adhoc"),
        (["--cert", "sslmod.ctx"], None, "context"),
        (["--cert", "sslmod:ctx"], None, "context"),
        ([], None, None),
    ],
)
@pytest.mark.usefixtures("cryptography")
def test_cert_values_side_by_side(
    certs: Path,
    served: list[dict[str, t.Any]],
    argv: list[str],
    env: dict[str, str] | None,
    expected: t.Any,
) -> None:
    for result in run_both(argv, env):
        assert result.exit_code == 0, result.output
    context = importlib.import_module("sslmod").ctx
    if isinstance(expected, tuple):
        expected = tuple(item.format(root=os.path.realpath(certs)) for item in expected)
    elif expected == "context":
        expected = context
    assert [call["ssl_context"] for call in served] == [expected, expected]
    assert isinstance(context, ssl.SSLContext)


def test_cert_import_path_keeps_its_case(certs: Path, served: list[dict[str, t.Any]]) -> None:
    """Tocsin imports the path as written (Flask lowercases it, so 'MixedCase' fails there)."""
    write(certs, "MixedCase.py", "from sslmod import ctx\n")
    result = CliRunner().invoke(
        tocsin.cli.TocsinGroup(create_app=lambda: new_app("tocsin")),
        ["run", "--cert", "MixedCase.ctx"],
    )
    assert result.exit_code == 0, result.output
    assert served[0]["ssl_context"] is sys.modules["sslmod"].ctx


def test_cert_that_is_no_path_nor_import_is_a_clear_error(certs: Path, served: list[t.Any]) -> None:
    """'.' is a folder: Tocsin says so (Flask 3.1.3 fails with "ValueError: Empty module name")."""
    result = CliRunner().invoke(
        tocsin.cli.TocsinGroup(create_app=lambda: new_app("tocsin")), ["run", "--cert", "."]
    )
    assert error_line(result) == "Error: Invalid value for '--cert': File '.' is a directory."
    assert served == []


def test_cert_param_type() -> None:
    for side in SIDES:
        cert_type = module(side).CertParamType()
        assert (cert_type.name, isinstance(cert_type, click.ParamType)) == ("path", True)
        with pytest.raises(click.BadParameter) as e:
            cert_type.convert("missing.pem", None, None)
        assert e.value.format_message() == "Invalid value: File 'missing.pem' does not exist."


# -- 6. --extra-files / --exclude-patterns --------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "env", "extra", "exclude"),
    [
        ([], None, None, None),
        (["--extra-files", f"a.cfg{os.pathsep}b.cfg"], None, ["a.cfg", "b.cfg"], None),
        (["--exclude-patterns", f"*.tmp{os.pathsep}*.swp"], None, None, ["*.tmp", "*.swp"]),
        (["--exclude-patterns", "*.tmp"], None, None, ["*.tmp"]),
        # Empty items are kept, as Flask keeps them.
        (
            [
                "--extra-files",
                f"a{os.pathsep}{os.pathsep}b{os.pathsep}",
                "--exclude-patterns",
                os.pathsep,
            ],
            None,
            ["a", "", "b", ""],
            ["", ""],
        ),
        (
            [],
            {
                "FLASK_RUN_EXTRA_FILES": f"x{os.pathsep}y",
                "FLASK_RUN_EXCLUDE_PATTERNS": f"p{os.pathsep}q",
            },
            ["x", "y"],
            ["p", "q"],
        ),
    ],
    ids=["none", "extra", "exclude", "one", "empty-items", "from-environment"],
)
def test_reloader_lists_side_by_side(
    served: list[dict[str, t.Any]],
    argv: list[str],
    env: dict[str, str] | None,
    extra: list[str] | None,
    exclude: list[str] | None,
) -> None:
    for result in run_both(argv, env):
        assert result.exit_code == 0, result.output
    got = [(call["extra_files"], call["exclude_patterns"]) for call in served]
    assert got == [(extra, exclude), (extra, exclude)]


def test_separated_path_type() -> None:
    for side in SIDES:
        path_type = module(side).SeparatedPathType()
        assert isinstance(path_type, click.Path)
        assert path_type.convert(f"a{os.pathsep}b", None, None) == ["a", "b"]
        checked = module(side).SeparatedPathType(exists=True)
        with pytest.raises(click.BadParameter) as e:
            checked.convert(f"{os.curdir}{os.pathsep}missing", None, None)
        assert e.value.format_message() == "Invalid value: Path 'missing' does not exist."


# -- 7. error texts name FLASK_APP too -----------------------------------------------------


def test_nothing_to_load_names_both_variables(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Flask imports any module named wsgi or app on sys.path (see the next test): none here.
    monkeypatch.setitem(sys.modules, "wsgi", None)
    monkeypatch.setitem(sys.modules, "app", None)
    flask_error = error_line(CliRunner().invoke(flask.cli.cli, ["routes"]))
    assert flask_error == (
        "Error: Could not locate a Flask application. Use the 'flask --app' option, 'FLASK_APP'"
        " environment variable, or a 'wsgi.py' or 'app.py' file in the current directory."
    )
    assert error_line(CliRunner().invoke(tocsin.cli.cli, ["routes"])) == (
        "Error: Could not locate a Tocsin application. Use the 'tocsin --app' option,"
        " 'TOCSIN_APP' or 'FLASK_APP' environment variable, or a 'wsgi.py' or 'app.py' file in"
        f" the current directory ({project})."
    )


def test_default_files_are_only_those_of_the_current_directory(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deliberate difference: Flask imports a ``wsgi`` module found anywhere on sys.path."""
    write(tmp_path, "elsewhere/wsgi.py", HELLO.format(package="flask", cls="Flask"))
    monkeypatch.syspath_prepend(str(tmp_path / "elsewhere"))
    assert flask.cli.ScriptInfo().load_app().name == "hello"
    with pytest.raises(tocsin.cli.NoAppException) as e:
        tocsin.cli.ScriptInfo().load_app()
    assert e.value.format_message().startswith("Could not locate a Tocsin application.")


def test_group_help_names_both_variables() -> None:
    text = " ".join(CliRunner().invoke(tocsin.cli.cli, ["--help"]).output.split())
    assert (
        "An application to load must be given with the '--app' option, 'TOCSIN_APP' or"
        " 'FLASK_APP' environment variable, or with a 'wsgi.py' or 'app.py' file in the current"
        " directory."
    ) in text


# -- 8. the rest of flask.cli's public names -----------------------------------------------

#: The public names of Flask 3.1.3's flask.cli that ported code may import (its own
#: imports, such as ``itemgetter`` or ``ParameterSource``, left out).
FLASK_CLI_NAMES = [
    "AppGroup",
    "CertParamType",
    "FlaskGroup",
    "NoAppException",
    "ScriptInfo",
    "SeparatedPathType",
    "cli",
    "find_app_by_string",
    "find_best_app",
    "get_debug_flag",
    "get_load_dotenv",
    "get_version",
    "is_running_from_reloader",
    "load_dotenv",
    "locate_app",
    "main",
    "pass_script_info",
    "prepare_import",
    "routes_command",
    "run_command",
    "run_simple",
    "shell_command",
    "show_server_banner",
    "version_option",
    "with_appcontext",
]


@pytest.mark.parametrize("name", FLASK_CLI_NAMES)
def test_flask_cli_name_ports(name: str) -> None:
    assert hasattr(flask.cli, name)
    namespace: dict[str, t.Any] = {}
    exec(f"from tocsin.cli import {name}", namespace)
    assert namespace[name] is getattr(tocsin.cli, name)


def test_flask_cli_names_list_is_complete() -> None:
    """Every public class and function flask.cli defines (or takes from Werkzeug) is listed."""
    defined = {
        name
        for name, value in vars(flask.cli).items()
        if not name.startswith("_")
        and (
            inspect.isclass(value)
            or inspect.isfunction(value)
            or isinstance(value, (click.Command, click.Parameter))
        )
        and getattr(value, "__module__", "").startswith(("flask", "werkzeug.serving"))
    }
    assert defined <= set(FLASK_CLI_NAMES), defined - set(FLASK_CLI_NAMES)


def test_flask_group_is_tocsin_group() -> None:
    assert tocsin.cli.FlaskGroup is tocsin.cli.TocsinGroup
    ours = inspect.signature(tocsin.cli.FlaskGroup)
    theirs = inspect.signature(flask.cli.FlaskGroup)
    assert [(p.name, p.default) for p in ours.parameters.values()] == [
        (p.name, p.default) for p in theirs.parameters.values()
    ]
    assert isinstance(tocsin.cli.cli, tocsin.cli.AppGroup)


@pytest.mark.parametrize(
    "name",
    [
        "find_best_app",
        "find_app_by_string",
        "prepare_import",
        "with_appcontext",
        "show_server_banner",
    ],
)
def test_same_parameter_names_as_flask(name: str) -> None:
    ours = [p.name for p in inspect.signature(getattr(tocsin.cli, name)).parameters.values()]
    theirs = [p.name for p in inspect.signature(getattr(flask.cli, name)).parameters.values()]
    if name == "show_server_banner":  # Tocsin's app.run() passes the name first
        assert (ours, theirs) == (["app_name", "debug"], ["debug", "app_import_path"])
    else:
        assert ours == theirs


def test_group_options_in_flasks_order() -> None:
    def names(command: click.Command) -> list[str | None]:
        return [param.name for param in command.params]

    assert names(tocsin.cli.cli) == names(flask.cli.cli) == ["env_file", "app", "debug", "version"]
    # run: Flask's options, in Flask's order.
    assert names(tocsin.cli.run_command) == names(flask.cli.run_command)


@pytest.mark.parametrize(
    ("env", "argv", "shown"),
    [
        ({}, [], "debug=False"),
        ({"FLASK_DEBUG": "1"}, [], "debug=True"),
        ({}, ["--debug"], "debug=True"),
        ({"FLASK_DEBUG": "1"}, ["--no-debug"], "debug=False"),
    ],
    ids=["code-says-true-env-unset", "env", "option", "option-wins"],
)
def test_debug_of_the_loaded_app_side_by_side(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], argv: list[str], shown: str
) -> None:
    """The app's own DEBUG=True (set in code) does not survive the command line, in both."""
    for side in SIDES:
        app = new_app(side)
        app.config["DEBUG"] = True

        @app.cli.command()
        def show(app: t.Any = app) -> None:
            click.echo(f"debug={app.debug}")

        with monkeypatch.context() as m:
            for key, value in env.items():
                m.setenv(key, value)
            result = CliRunner().invoke(group(side, create_app=lambda a=app: a), [*argv, "show"])
            assert result.output == f"{shown}\n", side
            m.delenv("FLASK_DEBUG", raising=False)  # Flask's --debug writes it


def test_set_debug_flag_false_keeps_the_apps(monkeypatch: pytest.MonkeyPatch) -> None:
    for side in SIDES:
        app = new_app(side)
        app.config["DEBUG"] = True

        @app.cli.command()
        def show(app: t.Any = app) -> None:
            click.echo(f"debug={app.debug}")

        result = CliRunner().invoke(
            group(side, create_app=lambda a=app: a, set_debug_flag=False), ["show"]
        )
        assert result.output == "debug=True\n", side


HELLO = """
    from {package} import {cls}
    app = {cls}("hello")
"""


@pytest.mark.parametrize(
    ("how", "banner"),
    [
        ("--app", " * Serving {kind} app 'hello_{side}'\n * Debug mode: off\n"),
        ("FLASK_APP", " * Serving {kind} app 'hello_{side}'\n * Debug mode: off\n"),
        ("create_app", " * Debug mode: off\n"),
    ],
)
def test_run_banner_names_the_import_path(
    project: Path, served: list[t.Any], monkeypatch: pytest.MonkeyPatch, how: str, banner: str
) -> None:
    for side, kind, cls in (("flask", "Flask", "Flask"), ("tocsin", "Tocsin", "Tocsin")):
        write(project, f"hello_{side}.py", HELLO.format(package=side, cls=cls))
        argv = ["run"]
        kwargs: dict[str, t.Any] = {}
        with monkeypatch.context() as m:
            if how == "--app":
                argv = ["--app", f"hello_{side}", "run"]
            elif how == "FLASK_APP":
                m.setenv("FLASK_APP", f"hello_{side}")
            else:
                made = new_app(side)
                kwargs["create_app"] = lambda a=made: a
            result = CliRunner().invoke(group(side, **kwargs), argv)
        assert (result.exit_code, result.output) == (0, banner.format(kind=kind, side=side))


def test_run_from_cli_is_set_for_flask_code_too(project: Path) -> None:
    CliRunner().invoke(tocsin.cli.cli, ["explain"])
    assert (os.environ["TOCSIN_RUN_FROM_CLI"], os.environ["FLASK_RUN_FROM_CLI"]) == ("true", "true")


def test_test_cli_runner_loads_the_default_env_files(project: Path) -> None:
    """As with Flask's runner, invoking the group from a test loads the dotenv files."""
    write(project, ".env", "PARITY_A=from-env\n")
    for side in SIDES:
        app = new_app(side)

        @app.cli.command()
        def show() -> None:
            click.echo(os.environ.get("PARITY_A"))

        result = app.test_cli_runner().invoke(module(side).cli, ["show"])
        assert result.output == "from-env\n", side
        os.environ.pop("PARITY_A")


# -- as programs ---------------------------------------------------------------------------


def program(name: str) -> list[str]:
    """The argv that starts the ``flask`` or ``tocsin`` program of this environment."""
    script = Path(sys.executable).with_name(name)
    return [str(script)] if script.exists() else [sys.executable, "-m", name]


def run_program(name: str, args: list[str], cwd: Path) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (*ENV_VARS, *DOTENV_KEYS)}
    done = subprocess.run(
        [*program(name), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def test_programs_find_the_env_files_upwards(tmp_path: Path) -> None:
    """In a subfolder, both programs read the project's .flaskenv and .env."""
    env_project(tmp_path)
    sub = tmp_path / "sub"
    sub.mkdir()
    for name in ("flask", "tocsin"):
        target = tmp_path / f"{name}app.py"
        write(tmp_path, ".flaskenv", f"FLASK_APP={target}\nPARITY_B=flaskenv\n")
        assert run_program(name, ["show"], sub) == (
            0,
            "PARITY_A=env PARITY_B=flaskenv PARITY_C=env PARITY_D=None\n",
            "",
        ), name


def test_programs_refuse_a_missing_env_file(tmp_path: Path) -> None:
    for name in ("flask", "tocsin"):
        code, out, err = run_program(name, ["-e", "missing.env", "routes"], tmp_path)
        assert (code, out) == (2, "")
        assert err.splitlines()[-1] == (
            "Error: Invalid value for '-e' / '--env-file': File 'missing.env' does not exist."
        )


def test_programs_version(tmp_path: Path) -> None:
    flask_lines = run_program("flask", ["--version"], tmp_path)[1].splitlines()
    tocsin_lines = run_program("tocsin", ["--version"], tmp_path)[1].splitlines()
    assert tocsin_lines[0] == flask_lines[0] == f"Python {platform.python_version()}"
    assert tocsin_lines[1] == f"Tocsin {importlib.metadata.version('tocsin')}"
    assert tocsin_lines[2:] == flask_lines[1:]
