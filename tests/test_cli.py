"""The ``tocsin`` command line: app discovery, the app's commands and the built-in ones."""

from __future__ import annotations

import code
import importlib
import os
import subprocess
import sys
import textwrap
import types
import typing as t
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

import tocsin.cli as cli_module
from tocsin import Blueprint, Tocsin, current_app
from tocsin.cli import (
    AppGroup,
    FlaskGroup,
    NoAppException,
    ScriptInfo,
    TocsinGroup,
    cli,
    find_best_app,
    locate_app,
    prepare_import,
    with_appcontext,
)
from tocsin.globals import _cv_app
from tocsin.signals import default_namespace, request_finished, request_started

ENV_VARS = (
    "TOCSIN_APP",
    "FLASK_APP",
    "TOCSIN_DEBUG",
    "FLASK_DEBUG",
    "TOCSIN_RUN_HOST",
    "TOCSIN_RUN_PORT",
    "FLASK_RUN_HOST",
    "FLASK_RUN_PORT",
    "FLASK_ROUTES_SORT",
    "PYTHONSTARTUP",
    "WERKZEUG_RUN_MAIN",
    "TOCSIN_RUN_FROM_CLI",
    "FLASK_RUN_FROM_CLI",
)

HELLO = """
    from tocsin import Tocsin

    app = Tocsin("hello")

    @app.route("/")
    def index():
        return "hi"
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No variable from the outer environment chooses the app or its options.

    Each is restored after the test (or removed again), also when a command set it.
    """
    for name in ENV_VARS:
        monkeypatch.setenv(name, "recorded")
        monkeypatch.delenv(name)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Iterator[Path]:
    """An empty current directory; sys.path and the modules imported from it are undone."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]


def write(root: Path, relpath: str, source: str = HELLO) -> Path:
    """Write a module under *root* and make the import system see it."""
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    importlib.invalidate_caches()
    return path


def run_cli(*args: str, **kwargs: t.Any) -> Result:
    """Invoke the ``tocsin`` group in-process."""
    return CliRunner().invoke(cli, list(args), **kwargs)


def error_of(result: Result) -> str:
    """The ``Error:`` line click printed, after checking it is a usage error."""
    assert result.exit_code == 2, result.output
    return next(line for line in result.output.splitlines() if line.startswith("Error:"))


# -- discovery -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from tocsin import Tocsin\napp = Tocsin('a')\nother = Tocsin('b')\n", "a"),
        ("from tocsin import Tocsin\napplication = Tocsin('a')\nx = Tocsin('b')\n", "a"),
        ("from tocsin import Tocsin\nweb = Tocsin('single')\n", "single"),
        ("from tocsin import Tocsin\ndef create_app():\n    return Tocsin('made')\n", "made"),
        ("from tocsin import Tocsin\ndef make_app():\n    return Tocsin('made2')\n", "made2"),
    ],
    ids=["app", "application", "single-instance", "create_app", "make_app"],
)
def test_find_best_app(project: Path, source: str, expected: str) -> None:
    write(project, "found.py", source)
    assert locate_app(prepare_import("found.py"), None).name == expected


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("multi:second", "b"),
        ("multi:factory", "made-default"),
        ("multi:factory()", "made-default"),
        ("multi:factory('dev')", "made-dev"),
        ("multi:factory(name='kw', suffix='!')", "made-kw!"),
        ("multi.py:second", "b"),
    ],
)
def test_app_by_name_or_factory_call(project: Path, target: str, expected: str) -> None:
    write(
        project,
        "multi.py",
        """
        from tocsin import Tocsin
        first = Tocsin("a")
        second = Tocsin("b")

        def factory(name="default", suffix=""):
            return Tocsin(f"made-{name}{suffix}")
    """,
    )
    assert ScriptInfo(app_import_path=target).load_app().name == expected


def test_file_paths_and_packages(project: Path) -> None:
    write(project, "src/deep/standalone.py")
    write(project, "pkg/__init__.py", "")
    write(project, "pkg/web.py")
    assert prepare_import("src/deep/standalone.py") == "standalone"
    assert sys.path[0] == str(project / "src" / "deep")
    assert prepare_import("pkg/web.py") == "pkg.web"
    assert sys.path[0] == str(project)
    assert prepare_import("pkg/__init__.py") == "pkg"
    assert ScriptInfo(app_import_path="src/deep/standalone.py").load_app().name == "hello"
    assert ScriptInfo(app_import_path="pkg.web:app").load_app().name == "hello"


def test_environment_variables(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(project, "one.py", "from tocsin import Tocsin\napp = Tocsin('one')\n")
    write(project, "two.py", "from tocsin import Tocsin\napp = Tocsin('two')\n")
    monkeypatch.setenv("FLASK_APP", "one")
    assert ScriptInfo().load_app().name == "one"
    monkeypatch.setenv("TOCSIN_APP", "two")
    assert ScriptInfo().load_app().name == "two"
    assert ScriptInfo(app_import_path="one").load_app().name == "one"


def test_default_files_wsgi_before_app(project: Path) -> None:
    write(project, "app.py", "from tocsin import Tocsin\napp = Tocsin('from-app')\n")
    assert ScriptInfo().load_app().name == "from-app"
    write(project, "wsgi.py", "from tocsin import Tocsin\napp = Tocsin('from-wsgi')\n")
    assert ScriptInfo().load_app().name == "from-wsgi"


def test_load_app_is_cached_and_create_app_wins(project: Path) -> None:
    made = Tocsin("given")
    info = ScriptInfo(app_import_path="nonexistent", create_app=lambda: made)
    assert info.load_app() is made
    assert info.load_app() is made
    with pytest.raises(NoAppException, match="returned 42, not a Tocsin application"):
        ScriptInfo(create_app=lambda: 42).load_app()  # type: ignore[arg-type,return-value]


BAD = """
    from tocsin import Tocsin

    def create_app(config):
        return Tocsin("needs")

    def raises():
        raise TypeError("bug inside the factory")

    number = 3
"""


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "nosuch",
            "Error: Could not import 'nosuch': no module of that name was found on"
            " sys.path (the current directory is {cwd}). Check the spelling, or give the path of"
            " the file, such as 'src/hello.py'.",
        ),
        (
            "bad:creat_app",
            "Error: Failed to find attribute 'creat_app' in module 'bad'."
            " Did you mean 'create_app'?",
        ),
        (
            "bad:zzz",
            "Error: Failed to find attribute 'zzz' in module 'bad'. Use 'bad:name' with"
            " the name of a Tocsin instance or factory in it.",
        ),
        (
            "bad:create_app(1, 2)",
            "Error: The factory 'create_app(1, 2)' in module 'bad' could"
            " not be called with the specified arguments (too many positional arguments).",
        ),
        (
            "bad:create_app",
            "Error: The factory 'create_app' in module 'bad' could not be called"
            " with the specified arguments (missing a required argument: 'config').",
        ),
        (
            "bad",
            "Error: Detected factory 'create_app' in module 'bad', but could not call it"
            " without arguments. Use 'bad:create_app(args)' to pass arguments (missing a required"
            " argument: 'config').",
        ),
        (
            "bad:create_app(",
            "Error: Failed to parse 'create_app(' as an attribute name or"
            " function call. Use 'name' or 'factory(args)', for example 'create_app(\"dev\")'.",
        ),
        (
            "bad:a.b",
            "Error: Failed to parse 'a.b' as an attribute name or function call."
            " Use 'name' or 'factory(args)', for example 'create_app(\"dev\")'.",
        ),
        (
            "bad:create_app(x)",
            "Error: Failed to parse arguments as literal values:"
            " 'create_app(x)'. Only Python literals (strings, numbers, lists, dicts, True,"
            " None...) can be passed.",
        ),
        (
            "bad:number",
            "Error: A valid Tocsin application was not obtained from 'bad:number'"
            " (got int 3). Name a Tocsin instance, or a function that returns one.",
        ),
        (
            "bad:number()",
            "Error: 'number' in module 'bad' is not a function (it is int), so it"
            " cannot be called as 'number()'. Use 'bad:number' without parentheses.",
        ),
        (
            "sub/missing.py",
            "Error: Could not import 'sub/missing.py': there is no such file or"
            " folder (the current directory is {cwd}). Check the path, or give a dotted module"
            " name.",
        ),
        (
            "empty",
            "Error: Failed to find a Tocsin application or factory in module 'empty':"
            " looked for an attribute 'app' or 'application', for a Tocsin instance, and for a"
            " factory 'create_app' or 'make_app'. Use 'empty:name' to name one.",
        ),
        (
            "twice",
            "Error: Detected several Tocsin applications in module 'twice' (one, two)."
            " Use 'twice:name' to pick one, for example 'twice:one'.",
        ),
        (
            "returns",
            "Error: The factory 'make_app' in module 'returns' returned int 1, not a"
            " Tocsin application. Make it return the app.",
        ),
    ],
)
def test_bad_app_values(project: Path, target: str, message: str) -> None:
    write(project, "bad.py", BAD)
    write(project, "empty.py", "x = 1\n")
    write(project, "twice.py", "from tocsin import Tocsin\none = Tocsin('1')\ntwo = Tocsin('2')\n")
    write(project, "returns.py", "def make_app():\n    return 1\n")
    result = run_cli("--app", target, "routes")
    assert error_of(result) == message.format(cwd=project)
    assert isinstance(result.exception, SystemExit)


def test_nothing_to_load(project: Path) -> None:
    result = run_cli("routes")
    assert error_of(result) == (
        "Error: Could not locate a Tocsin application. Use the 'tocsin --app' option,"
        " 'TOCSIN_APP' or 'FLASK_APP' environment variable, or a 'wsgi.py' or 'app.py' file"
        f" in the current directory ({project})."
    )
    assert issubclass(NoAppException, click.UsageError)


def test_import_error_inside_the_module_is_shown(project: Path) -> None:
    write(project, "broken.py", "import not_installed_dependency\n")
    with pytest.raises(NoAppException) as info:
        locate_app(prepare_import("broken.py"), None)
    message = info.value.format_message()
    assert message.startswith("While importing 'broken', an ImportError was raised:\n\n")
    assert "No module named 'not_installed_dependency'" in message


def test_type_error_inside_a_factory_propagates(project: Path) -> None:
    write(project, "bad.py", BAD)
    with pytest.raises(TypeError, match="bug inside the factory"):
        ScriptInfo(app_import_path="bad:raises").load_app()


def test_find_best_app_prefers_app_over_factory() -> None:
    module = types.ModuleType("fake")
    module.app = Tocsin("attr")  # type: ignore[attr-defined]
    module.create_app = lambda: Tocsin("factory")  # type: ignore[attr-defined]
    assert find_best_app(module).name == "attr"


# -- with_appcontext and the app's own commands ------------------------------------------


def test_with_appcontext_pushes_the_app_context(app: Tocsin) -> None:
    torn_down: list[BaseException | None] = []
    app.teardown_appcontext(torn_down.append)

    @click.command()
    @with_appcontext
    def where() -> None:
        click.echo(current_app.name)

    result = CliRunner().invoke(where, obj=ScriptInfo(create_app=lambda: app))
    assert result.output == "tocsin_test_app\n"
    assert torn_down == [None]
    assert _cv_app.get(None) is None


def test_with_appcontext_reuses_a_current_context(app: Tocsin) -> None:
    seen = []

    @click.command()
    @with_appcontext
    def where() -> None:
        seen.append(_cv_app.get())

    with app.app_context() as ctx:
        CliRunner().invoke(where, obj=ScriptInfo(create_app=lambda: Tocsin("other")))
    assert seen == [ctx]


def test_app_cli_commands_run_in_app_context(app: Tocsin) -> None:
    @app.cli.command()
    def bare() -> None:
        click.echo(f"bare in {current_app.name}")

    @app.cli.command("named")
    @click.argument("who")
    def named(who: str) -> None:
        click.echo(f"hello {who} from {current_app.name}")

    @app.cli.command(with_appcontext=False)
    def outside() -> None:
        click.echo(f"context: {_cv_app.get(None)}")

    runner = app.test_cli_runner()
    assert runner.invoke(args=["bare"]).output == "bare in tocsin_test_app\n"
    assert runner.invoke(args=["named", "ann"]).output == "hello ann from tocsin_test_app\n"
    assert runner.invoke(args=["outside"]).output == "context: None\n"


def test_app_cli_groups_are_app_groups(app: Tocsin) -> None:
    @app.cli.group()
    def db() -> None:
        """Database commands."""

    @db.command()
    def init() -> None:
        click.echo(f"init {current_app.name}")

    assert isinstance(db, AppGroup)
    assert app.test_cli_runner().invoke(args=["db", "init"]).output == "init tocsin_test_app\n"


def test_blueprint_command_group(app: Tocsin) -> None:
    admin = Blueprint("admin", __name__)
    merged = Blueprint("merged", __name__, cli_group=None)

    @admin.cli.command("create-user")
    @click.argument("name")
    def create_user(name: str) -> None:
        click.echo(f"created {name} in {current_app.name}")

    @merged.cli.command()
    def flat() -> None:
        click.echo("flat")

    app.register_blueprint(admin)
    app.register_blueprint(merged)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["admin", "create-user", "ann"])
    assert result.output == "created ann in tocsin_test_app\n"
    assert runner.invoke(args=["flat"]).output == "flat\n"


def test_blueprint_command_group_is_named_as_registered(app: Tocsin) -> None:
    child = Blueprint("child", __name__)
    parent = Blueprint("parent", __name__)

    @child.cli.command()
    def hello() -> None:
        click.echo("hello")

    parent.register_blueprint(child)
    app.register_blueprint(parent, name="renamed")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["renamed.child", "hello"]).output == "hello\n"
    assert "child" not in app.cli.commands


def test_group_lists_and_runs_the_apps_commands(project: Path) -> None:
    write(
        project,
        "hello.py",
        HELLO
        + """
    import click

    @app.cli.command()
    def seed():
        \"\"\"Seed the database.\"\"\"
        click.echo("seeded")
    """,
    )
    result = run_cli("--app", "hello", "--help")
    commands = result.output.split("Commands:\n")[1].splitlines()
    assert [line.split()[0] for line in commands] == [
        "explain",
        "routes",
        "run",
        "seed",
        "shell",
        "signals",
        "trace",
    ]
    assert "  seed     Seed the database." in commands
    assert run_cli("--app", "hello", "seed").output == "seeded\n"


def test_unknown_command_without_an_app(project: Path) -> None:
    result = run_cli("seed")
    assert result.exit_code == 2
    assert result.output.startswith("Error: Could not locate a Tocsin application.")
    assert "Error: No such command 'seed'." in result.output


def test_group_with_create_app_and_flask_name() -> None:
    made = Tocsin("factory-made")
    group = FlaskGroup(create_app=lambda: made, add_default_commands=False)
    assert isinstance(group, TocsinGroup)

    @made.cli.command()
    def name() -> None:
        click.echo(current_app.name)

    assert CliRunner().invoke(group, ["name"]).output == "factory-made\n"
    assert group.list_commands(click.Context(group, obj=ScriptInfo(create_app=lambda: made))) == [
        "name"
    ]


def test_debug_flag_is_applied(app: Tocsin) -> None:
    group = TocsinGroup(create_app=lambda: app)

    @app.cli.command()
    def show() -> None:
        click.echo(f"debug={current_app.debug}")

    assert CliRunner().invoke(group, ["--debug", "show"]).output == "debug=True\n"
    assert CliRunner().invoke(group, ["--no-debug", "show"]).output == "debug=False\n"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"FLASK_DEBUG": "0"}, "debug=False"),
        ({"TOCSIN_DEBUG": "1", "FLASK_DEBUG": "0"}, "debug=True"),
        ({}, "debug=False"),
    ],
    ids=["flask-off", "tocsin-wins", "unset-is-off-as-in-flask"],
)
def test_debug_from_the_environment_wins_over_the_code(env: dict[str, str], expected: str) -> None:
    app = Tocsin("debug_in_code", root_path="/nonexistent")
    app.config["DEBUG"] = True
    group = TocsinGroup(create_app=lambda: app)

    @app.cli.command()
    def show() -> None:
        click.echo(f"debug={current_app.debug}")

    assert CliRunner().invoke(group, ["show"], env=env).output == f"{expected}\n"


def test_version() -> None:
    lines = run_cli("--version").output.splitlines()
    assert [line.split()[0] for line in lines] == ["Python", "Tocsin", "Flask", "Werkzeug"]


# -- run ---------------------------------------------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[t.Any, ...], dict[str, t.Any]]]:
    """The calls to ``run_simple``, which is replaced: no server starts."""
    calls: list[tuple[tuple[t.Any, ...], dict[str, t.Any]]] = []
    monkeypatch.setattr(cli_module, "run_simple", lambda *a, **kw: calls.append((a, kw)))
    return calls


def test_run_defaults(project: Path, served: list[t.Any]) -> None:
    write(project, "hello.py")
    result = run_cli("--app", "hello", "run")
    assert result.output == " * Serving Tocsin app 'hello'\n * Debug mode: off\n"
    ((args, kwargs),) = served
    assert args[:2] == ("127.0.0.1", 5000)
    assert isinstance(args[2], Tocsin)
    assert kwargs == {
        "use_reloader": False,
        "use_debugger": False,
        "threaded": True,
        "extra_files": None,
        "exclude_patterns": None,
        "ssl_context": None,
    }


def test_run_with_a_certificate(app: Tocsin, served: list[t.Any], tmp_path: Path) -> None:
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("cert")
    key.write_text("key")
    group = TocsinGroup(create_app=lambda: app)
    result = CliRunner().invoke(group, ["run", "--cert", str(cert), "--key", str(key)])
    assert result.exit_code == 0, result.output
    ((_, kwargs),) = served
    assert kwargs["ssl_context"] == (str(cert), str(key))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--key", "{key}"], '"--cert" must also be specified.'),
        (["--cert", "{cert}"], 'Required when using "--cert".'),
        (["--cert", "{missing}", "--key", "{key}"], "File '{missing}' does not exist."),
        (["--cert", "adhoc"], "Using ad-hoc certificates requires the cryptography library."),
    ],
)
def test_run_certificate_errors(
    app: Tocsin,
    served: list[t.Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.setitem(sys.modules, "cryptography", None)  # as if not installed
    files = {"cert": tmp_path / "c.pem", "key": tmp_path / "k.pem"}
    for path in files.values():
        path.write_text("x")
    names = {name: str(path) for name, path in files.items()} | {
        "missing": str(tmp_path / "no.pem")
    }
    group = TocsinGroup(create_app=lambda: app)
    result = CliRunner().invoke(group, ["run", *(a.format(**names) for a in args)])
    assert result.exit_code == 2
    assert message.format(**names) in result.output
    assert served == []


UNGUARDED_RUN = """
    from tocsin import Tocsin

    app = Tocsin("unguarded")
    app.add_url_rule("/", "index", lambda: "hi")
    app.run()
"""


def test_command_line_sets_run_from_cli(project: Path) -> None:
    write(project, "hello.py")
    assert "TOCSIN_RUN_FROM_CLI" not in os.environ
    assert run_cli("--app", "hello", "routes").exit_code == 0
    assert os.environ["TOCSIN_RUN_FROM_CLI"] == "true"


def test_unguarded_app_run_does_not_block_a_command(
    project: Path, served: list[t.Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[t.Any] = []
    monkeypatch.setattr("werkzeug.serving.run_simple", lambda *a, **kw: started.append(a))
    write(project, "unguarded.py", UNGUARDED_RUN)
    result = run_cli("--app", "unguarded", "routes")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        " * Ignoring a call to 'app.run()' that would block the current 'tocsin' CLI command.",
        "   Only call 'app.run()' in an 'if __name__ == \"__main__\"' guard.",
        "Endpoint  Methods  Rule",
        "--------  -------  -----------------------",
        "index     GET      /",
        "static    GET      /static/<path:filename>",
    ]
    assert started == []
    assert served == []


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "--debug"], (True, True, True)),
        (["--debug", "run"], (True, True, True)),
        (["run", "--debug", "--no-reload"], (True, False, True)),
        (["run", "--debug", "--no-debugger"], (True, True, False)),
        (["run", "--reload"], (False, True, False)),
        (["--debug", "run", "--no-debug"], (False, False, False)),
    ],
)
def test_run_debug_reload_debugger(
    app: Tocsin, served: list[t.Any], argv: list[str], expected: tuple[bool, bool, bool]
) -> None:
    CliRunner().invoke(TocsinGroup(create_app=lambda: app), argv)
    ((args, kwargs),) = served
    assert (args[2].debug, kwargs["use_reloader"], kwargs["use_debugger"]) == expected


def test_run_host_port_threads_and_files(app: Tocsin, served: list[t.Any]) -> None:
    argv = [
        "run",
        "-h",
        "0.0.0.0",
        "-p",
        "8080",
        "--without-threads",
        "--extra-files",
        f"a.cfg{os.pathsep}b.cfg",
        "--exclude-patterns",
        "*.tmp",
    ]
    CliRunner().invoke(TocsinGroup(create_app=lambda: app), argv)
    ((args, kwargs),) = served
    assert args[:2] == ("0.0.0.0", 8080)
    assert kwargs["threaded"] is False
    assert kwargs["extra_files"] == ["a.cfg", "b.cfg"]
    assert kwargs["exclude_patterns"] == ["*.tmp"]


def test_run_host_and_port_from_environment(app: Tocsin, served: list[t.Any]) -> None:
    env = {"TOCSIN_RUN_HOST": "0.0.0.0", "TOCSIN_RUN_PORT": "8001"}
    CliRunner().invoke(TocsinGroup(create_app=lambda: app), ["run"], env=env)
    ((args, _),) = served
    assert args[:2] == ("0.0.0.0", 8001)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"FLASK_RUN_HOST": "1.2.3.4", "FLASK_RUN_PORT": "7000"}, ("1.2.3.4", 7000)),
        ({"FLASK_RUN_PORT": "7000", "TOCSIN_RUN_PORT": "7001"}, ("127.0.0.1", 7001)),
    ],
    ids=["flask", "tocsin-wins"],
)
def test_run_reads_flasks_variables_too(
    app: Tocsin, served: list[t.Any], env: dict[str, str], expected: tuple[str, int]
) -> None:
    CliRunner().invoke(TocsinGroup(create_app=lambda: app), ["run"], env=env)
    ((args, _),) = served
    assert args[:2] == expected


def test_run_in_reloader_child_survives_a_broken_app(
    project: Path, served: list[t.Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "typo.py", "from tocsin import Tocsin\napp = Tocsin('t')\n1/0\n")
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    result = run_cli("--app", "typo", "run")
    assert result.exit_code == 0
    ((args, kwargs),) = served
    assert kwargs["use_reloader"] is True
    with pytest.raises(ZeroDivisionError):
        args[2]({}, lambda *a: None)


# -- routes ------------------------------------------------------------------------------


@pytest.fixture
def routed(app: Tocsin) -> Tocsin:
    """The test app with a few routes and a blueprint."""
    app.add_url_rule("/zeta", "zeta", lambda: "", methods=["POST"])
    app.add_url_rule("/users/<int:id>", "user", lambda id: "", methods=["GET", "PUT"])
    admin = Blueprint("admin", __name__, url_prefix="/admin")
    admin.add_url_rule("/", "index", lambda: "")
    app.register_blueprint(admin)
    return app


def routes(app: Tocsin, *args: str) -> list[str]:
    result = app.test_cli_runner().invoke(cli, ["routes", *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_routes_table(routed: Tocsin) -> None:
    group = TocsinGroup(create_app=lambda: routed)
    assert CliRunner().invoke(group, ["routes"]).output.splitlines() == [
        "Endpoint     Methods   Rule",
        "-----------  --------  -----------------------",
        "admin.index  GET       /admin/",
        "static       GET       /static/<path:filename>",
        "user         GET, PUT  /users/<int:id>",
        "zeta         POST      /zeta",
    ]


@pytest.mark.parametrize(
    ("sort", "endpoints"),
    [
        ("endpoint", ["admin.index", "static", "user", "zeta"]),
        ("rule", ["admin.index", "static", "user", "zeta"]),
        ("methods", ["static", "admin.index", "user", "zeta"]),
        ("match", ["static", "zeta", "user", "admin.index"]),
    ],
)
def test_routes_sort(routed: Tocsin, sort: str, endpoints: list[str]) -> None:
    assert [line.split()[0] for line in routes(routed, "--sort", sort)[2:]] == endpoints


def test_routes_sort_from_flasks_variable(routed: Tocsin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_ROUTES_SORT", "match")
    assert [line.split()[0] for line in routes(routed)[2:]] == [
        "static",
        "zeta",
        "user",
        "admin.index",
    ]


def test_routes_sort_by_rule_and_methods(app: Tocsin) -> None:
    app.add_url_rule("/b", "first", lambda: "", methods=["POST"])
    app.add_url_rule("/a", "second", lambda: "", methods=["DELETE"])
    assert [line.split()[0] for line in routes(app, "-s", "rule")[2:]] == [
        "second",
        "first",
        "static",
    ]
    assert [line.split()[0] for line in routes(app, "-s", "methods")[2:]] == [
        "second",
        "static",
        "first",
    ]


def test_routes_all_methods(routed: Tocsin) -> None:
    assert routes(routed, "--all-methods")[2:] == [
        "admin.index  GET, HEAD, OPTIONS       /admin/",
        "static       GET, HEAD, OPTIONS       /static/<path:filename>",
        "user         GET, HEAD, OPTIONS, PUT  /users/<int:id>",
        "zeta         OPTIONS, POST            /zeta",
    ]


def test_routes_subdomain_column() -> None:
    app = Tocsin("subs", static_folder=None)
    app.add_url_rule("/", "home", lambda: "")
    app.add_url_rule("/", "api", lambda: "", subdomain="api")
    assert routes(app, "-s", "domain") == [
        "Endpoint  Methods  Subdomain  Rule",
        "--------  -------  ---------  ----",
        "home      GET                 /",
        "api       GET      api        /",
    ]


def test_routes_host_column() -> None:
    app = Tocsin("hosts", static_folder=None, host_matching=True)
    app.add_url_rule("/", "home", lambda: "", host="example.com")
    assert routes(app)[0] == "Endpoint  Methods  Host         Rule"
    assert routes(app)[2] == "home      GET      example.com  /"


def test_routes_none_registered() -> None:
    assert routes(Tocsin("empty", static_folder=None)) == ["No routes were registered."]


# -- shell -------------------------------------------------------------------------------


def test_shell_namespace_and_banner(app: Tocsin, monkeypatch: pytest.MonkeyPatch) -> None:
    captured: dict[str, t.Any] = {}

    def interact(banner: str, local: dict[str, t.Any]) -> None:
        captured.update(banner=banner, local=local, app=_cv_app.get().app)

    @app.shell_context_processor
    def extra() -> dict[str, t.Any]:
        return {"answer": 42}

    monkeypatch.setattr(code, "interact", interact)
    result = app.test_cli_runner().invoke(cli, ["shell"])
    assert result.exit_code == 0, result.output
    assert captured["banner"].splitlines()[1:] == [
        "App: tocsin_test_app",
        f"Instance: {app.instance_path}",
    ]
    assert captured["local"]["app"] is app
    assert captured["local"]["answer"] == 42
    assert "g" in captured["local"]
    assert captured["app"] is app


def test_shell_reads_piped_input(app: Tocsin) -> None:
    result = app.test_cli_runner().invoke(cli, ["shell"], input="print(app.name, g)\n")
    assert result.exit_code == 0, result.output
    assert ">>> tocsin_test_app <tocsin.g of 'tocsin_test_app'>" in result.output


def test_shell_runs_pythonstartup(
    app: Tocsin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    startup = tmp_path / "startup.py"
    startup.write_text("from_startup = 'yes'\napp = 'overridden by the shell context'\n")
    monkeypatch.setenv("PYTHONSTARTUP", str(startup))
    captured: dict[str, t.Any] = {}
    monkeypatch.setattr(code, "interact", lambda banner, local: captured.update(local))
    app.test_cli_runner().invoke(cli, ["shell"])
    assert captured["from_startup"] == "yes"
    assert captured["app"] is app


# -- signals -----------------------------------------------------------------------------


def audit(sender: t.Any, **kwargs: t.Any) -> None:
    """A receiver for every sender."""


def first(sender: t.Any, **kwargs: t.Any) -> None:
    """A high-priority receiver."""


async def notify(sender: t.Any, **kwargs: t.Any) -> None:
    """An async receiver for one app."""


class Recorder:
    """A receiver with a method."""

    def on_finished(self, sender: t.Any, **kwargs: t.Any) -> None:
        """Record nothing."""


def signal_lines(app: Tocsin, name: str) -> list[str]:
    result = app.test_cli_runner().invoke(cli, ["signals"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    return [line.rstrip() for line in lines if line.split()[0] == name]


def test_signals_receivers_in_call_order(app: Tocsin) -> None:
    other = Tocsin("other")
    with (
        request_started.connected_to(audit),
        request_started.connected_to(notify, app),
        request_started.connected_to(first, priority=10),
        request_started.connected_to(first, other, priority=20),
    ):
        lines = signal_lines(app, "request-started")
    assert [line.split() for line in lines] == [
        ["request-started", "built-in", "1", "10", "first", __name__, "sync", "any"],
        ["request-started", "built-in", "2", "0", "audit", __name__, "sync", "any"],
        ["request-started", "built-in", "3", "0", "notify", __name__, "async", "app"],
    ]


def test_signals_table_layout(app: Tocsin) -> None:
    recorder = Recorder()
    with request_finished.connected_to(recorder.on_finished, app):
        result = app.test_cli_runner().invoke(cli, ["signals"])
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "Signal",
        "Namespace",
        "#",
        "Priority",
        "Receiver",
        "Module",
        "Call",
        "Sender",
    ]
    built_in = [line.split()[0] for line in lines[2:] if line.split()[1] == "built-in"]
    assert list(dict.fromkeys(built_in)) == [
        "template-rendered",
        "before-render-template",
        "request-started",
        "request-finished",
        "got-request-exception",
        "request-tearing-down",
        "appcontext-tearing-down",
        "appcontext-pushed",
        "appcontext-popped",
        "message-flashed",
    ]
    finished = [line.split() for line in lines if line.startswith("request-finished")]
    assert finished == [
        ["request-finished", "built-in", "1", "0", "Recorder.on_finished", __name__, "sync", "app"]
    ]
    assert ["template-rendered", "built-in", "-", "-", "(none)"] in [line.split() for line in lines]


def test_signals_default_namespace(app: Tocsin) -> None:
    custom = default_namespace.signal("tocsin-cli-test-order-placed")
    with custom.connected_to(audit):
        lines = signal_lines(app, "tocsin-cli-test-order-placed")
    assert [line.split() for line in lines] == [
        ["tocsin-cli-test-order-placed", "default", "1", "0", "audit", __name__, "sync", "any"]
    ]


# -- explain -----------------------------------------------------------------------------

LIFECYCLE_TABLE = """\
#   Step                    Hooks                   Signal
--  ----------------------  ----------------------  -----------------------
1   push_app_context        -                       appcontext_pushed
2   push_request_context    -                       -
3   match_url               -                       -
4   before_first_request    before_first_request    -
5   request_started         -                       request_started
6   url_value_preprocessor  url_value_preprocessor  -
7   before_request          before_request          -
8   dispatch                view                    -
9   handle_exception        errorhandler            -
10  make_response           -                       -
11  after_this_request      after_this_request      -
12  after_request           after_request           -
13  save_session            -                       -
14  request_finished        -                       request_finished
15  send_response           -                       -
16  teardown_request        teardown_request        request_tearing_down
17  pop_request_context     -                       -
18  teardown_appcontext     teardown_appcontext     appcontext_tearing_down
19  pop_app_context         -                       appcontext_popped

Error path:
  An exception from steps 4-9 that no error handler takes, or one raised in
  steps 10-14, sends got_request_exception, then propagates if
  PROPAGATE_EXCEPTIONS, else becomes a 500 response on which steps 10-14 run
  once. HTTP errors (404, 405, abort) are not unhandled.
"""


def test_explain_without_an_app(project: Path) -> None:
    result = run_cli("explain")
    assert result.exit_code == 0, result.output
    assert result.output == LIFECYCLE_TABLE
    numbers = [line.split()[0] for line in result.output.splitlines()[2:21]]
    assert numbers == [str(n) for n in range(1, 20)]


def test_explain_verbose_adds_summaries(project: Path) -> None:
    lines = run_cli("explain", "-v").output.splitlines()
    assert lines[2:4] == [
        "1   push_app_context        -                       appcontext_pushed",
        "      application context pushed; current_app and g usable",
    ]


def test_explain_with_a_bad_app_is_an_error(project: Path) -> None:
    assert error_of(run_cli("--app", "nosuch", "explain")).startswith("Error: Could not import")


def before_app() -> None:
    """App before_request."""


def before_app_2() -> None:
    """Second app before_request."""


def before_bp() -> None:
    """Blueprint before_request."""


def after_app(response: t.Any) -> t.Any:
    """App after_request."""
    return response


async def after_app_async(response: t.Any) -> t.Any:
    """Async app after_request."""
    return response


def after_bp(response: t.Any) -> t.Any:
    """Blueprint after_request."""
    return response


def not_found(error: Exception) -> str:
    """App 404 handler."""
    return "nf"


def bp_value_error(error: Exception) -> str:
    """Blueprint ValueError handler."""
    return "ve"


EXPLAINED_APP = """\
1   push_app_context        -                       appcontext_pushed
2   push_request_context    -                       -
3   match_url               -                       -
4   before_first_request    before_first_request    -
      before_first_request: (none registered)
5   request_started         -                       request_started
      receiver: {m}.notify (async)
      receiver: {m}.audit
6   url_value_preprocessor  url_value_preprocessor  -
      url_value_preprocessor: (none registered)
7   before_request          before_request          -
      app: {m}.before_app
      app: {m}.before_app_2
      blueprint admin: {m}.before_bp
8   dispatch                view                    -
      2 view functions (see 'tocsin routes')
9   handle_exception        errorhandler            -
      blueprint admin: ValueError -> {m}.bp_value_error
      app: 404 -> {m}.not_found
10  make_response           -                       -
11  after_this_request      after_this_request      -
      (added during a request by after_this_request())
12  after_request           after_request           -
      blueprint admin: {m}.after_bp
      app: {m}.after_app_async (async)
      app: {m}.after_app
13  save_session            -                       -
14  request_finished        -                       request_finished
15  send_response           -                       -
16  teardown_request        teardown_request        request_tearing_down
      teardown_request: (none registered)
17  pop_request_context     -                       -
18  teardown_appcontext     teardown_appcontext     appcontext_tearing_down
      app: {m}.audit
19  pop_app_context         -                       appcontext_popped
"""


def test_explain_lists_the_apps_functions_in_call_order(app: Tocsin) -> None:
    admin = Blueprint("admin", __name__)
    admin.before_request(before_bp)
    admin.after_request(after_bp)
    admin.register_error_handler(ValueError, bp_value_error)
    app.before_request(before_app)
    app.before_request(before_app_2)
    app.after_request(after_app)
    app.after_request(after_app_async)
    app.errorhandler(404)(not_found)
    app.teardown_appcontext(audit)
    app.register_blueprint(admin)
    app.add_url_rule("/", "index", lambda: "")
    with request_started.connected_to(notify, app), request_started.connected_to(audit):
        result = app.test_cli_runner().invoke(cli, ["explain"])
    assert result.exit_code == 0, result.output
    body = result.output.split("\n\nError path:")[0]
    assert body.splitlines()[2:] == EXPLAINED_APP.format(m=__name__).splitlines()


# The env files (-e/--env-file, .flaskenv, .tocsinenv, .env): tests/test_cli_flask_parity.py.


# -- as a program ------------------------------------------------------------------------


def test_tocsin_program_routes(tmp_path: Path) -> None:
    module = write(tmp_path, "program_app.py")
    script = Path(sys.executable).with_name("tocsin")
    argv = [str(script)] if script.exists() else [sys.executable, "-m", "tocsin"]
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    done = subprocess.run(
        [*argv, "--app", str(module), "routes"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Endpoint  Methods  Rule",
        "--------  -------  -----------------------",
        "index     GET      /",
        "static    GET      /static/<path:filename>",
    ]


def test_python_dash_m(tmp_path: Path) -> None:
    for target in ("tocsin", "tocsin.cli"):
        done = subprocess.run(
            [sys.executable, "-m", target, "--version"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[1].startswith("Tocsin ")
