"""The public surface: ``__all__`` matches what is defined, and Flask's names all import."""

from __future__ import annotations

import importlib
import inspect
import types
import warnings

import pytest

import tocsin

#: Modules whose paths mirror Flask's, so that a ported import changes only the package name.
PUBLIC_MODULES = [
    "app",
    "blueprints",
    "cli",
    "config",
    "ctx",
    "debughelpers",
    "globals",
    "helpers",
    "json",
    "json.provider",
    "json.tag",
    "sessions",
    "signals",
    "templating",
    "testing",
    "views",
    "wrappers",
]

#: Every public name of Flask 3.1's top-level package (``dir(flask)`` less submodules
#: and typing helpers), spelled out so the test does not depend on what Flask imported.
FLASK_NAMES = [
    "Blueprint",
    "Config",
    "Flask",
    "Request",
    "Response",
    "abort",
    "after_this_request",
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "copy_current_request_context",
    "current_app",
    "flash",
    "g",
    "get_flashed_messages",
    "get_template_attribute",
    "got_request_exception",
    "has_app_context",
    "has_request_context",
    "json",
    "jsonify",
    "make_response",
    "message_flashed",
    "redirect",
    "render_template",
    "render_template_string",
    "request",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "send_file",
    "send_from_directory",
    "session",
    "stream_template",
    "stream_template_string",
    "stream_with_context",
    "template_rendered",
    "url_for",
]

#: Names that ported code imports from Flask's submodules.
FLASK_SUBMODULE_NAMES = {
    "app": ["Flask"],
    "blueprints": ["Blueprint"],
    "config": ["Config", "ConfigAttribute"],
    "ctx": [
        "AppContext",
        "RequestContext",
        "after_this_request",
        "copy_current_request_context",
        "has_app_context",
        "has_request_context",
    ],
    "debughelpers": [
        "DebugFilesKeyError",
        "FormDataRoutingRedirect",
        "UnexpectedUnicodeError",
        "attach_enctype_error_multidict",
        "explain_template_loading_attempts",
    ],
    "globals": ["app_ctx", "current_app", "g", "request", "request_ctx", "session"],
    "cli": ["AppGroup", "FlaskGroup", "ScriptInfo", "load_dotenv", "with_appcontext"],
    "helpers": [
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
        "stream_with_context",
        "url_for",
    ],
    "json": ["dump", "dumps", "jsonify", "load", "loads"],
    "json.provider": ["DefaultJSONProvider", "JSONProvider"],
    "json.tag": [
        "JSONTag",
        "PassDict",
        "PassList",
        "TagBytes",
        "TagDateTime",
        "TagDict",
        "TagMarkup",
        "TagTuple",
        "TagUUID",
        "TaggedJSONSerializer",
    ],
    "sessions": [
        "NullSession",
        "SecureCookieSession",
        "SecureCookieSessionInterface",
        "SessionInterface",
        "SessionMixin",
        "session_json_serializer",
    ],
    "signals": [
        "Namespace",
        "appcontext_popped",
        "appcontext_pushed",
        "appcontext_tearing_down",
        "before_render_template",
        "got_request_exception",
        "message_flashed",
        "request_finished",
        "request_started",
        "request_tearing_down",
        "template_rendered",
    ],
    "templating": [
        "render_template",
        "render_template_string",
        "stream_template",
        "stream_template_string",
    ],
    "testing": ["EnvironBuilder", "FlaskClient", "FlaskCliRunner"],
    "views": ["MethodView", "View"],
    "wrappers": ["Request", "Response"],
}


def _defined_public_names(module: types.ModuleType) -> set[str]:
    """Public names bound in *module*, less submodules and ``from __future__`` features."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }


def test_all_is_what_is_defined() -> None:
    # The version constant is public but, like __version__, not star-exported.
    assert set(tocsin.__all__) == _defined_public_names(tocsin) - {"FLASK_API_VERSION"} | {"json"}


def test_all_is_sorted_and_unique() -> None:
    assert tocsin.__all__ == sorted(set(tocsin.__all__))


def test_every_name_in_all_resolves() -> None:
    for name in tocsin.__all__:
        assert getattr(tocsin, name) is not None or name in ("g", "request", "session")


@pytest.mark.parametrize("name", FLASK_NAMES)
def test_flask_name_importable(name: str) -> None:
    assert name in tocsin.__all__
    namespace: dict[str, object] = {}
    exec(f"from tocsin import {name}", namespace)
    assert name in namespace


def test_flask_names_list_is_current() -> None:
    """FLASK_NAMES is every public top-level name of the installed Flask."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        flask = importlib.import_module("flask")
    names = {
        name
        for name, value in vars(flask).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name not in ("annotations", "t")
    }
    assert names | {"json"} == set(FLASK_NAMES)


def test_flask_alias() -> None:
    assert tocsin.Flask is tocsin.Tocsin


def test_signals_are_reexported() -> None:
    from tocsin import signals

    for name in FLASK_SUBMODULE_NAMES["signals"][1:]:
        assert getattr(tocsin, name) is getattr(signals, name)
    assert signals._signals["request-started"] is signals.request_started


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_public_module_imports(module: str) -> None:
    mod = importlib.import_module(f"tocsin.{module}")
    assert mod.__name__ == f"tocsin.{module}"
    assert mod.__doc__


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_module_all_is_complete(module: str) -> None:
    """Each module's ``__all__`` resolves, and lists every class and function it defines."""
    mod = importlib.import_module(f"tocsin.{module}")
    exported = mod.__all__
    assert len(exported) == len(set(exported))
    for name in exported:
        assert hasattr(mod, name), f"tocsin.{module}.__all__ names missing {name!r}"
    defined = {
        name
        for name, value in vars(mod).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == mod.__name__
    }
    assert defined <= set(exported), f"not in tocsin.{module}.__all__: {defined - set(exported)}"


@pytest.mark.parametrize(
    ("module", "name"),
    [(module, name) for module, names in FLASK_SUBMODULE_NAMES.items() for name in names],
)
def test_flask_submodule_name_importable(module: str, name: str) -> None:
    mod = importlib.import_module(f"tocsin.{module}")
    assert hasattr(mod, name), f"'from flask.{module} import {name}' does not port"


def test_flask_submodule_names_are_current() -> None:
    """The listed classes of flask.debughelpers, json.tag and sessions are all Flask defines."""
    for module in ("debughelpers", "json.tag", "sessions"):
        flask_module = importlib.import_module(f"flask.{module}")
        defined = {
            name
            for name, value in vars(flask_module).items()
            if not name.startswith("_")
            and inspect.isclass(value)
            and value.__module__ == flask_module.__name__
        }
        assert defined <= set(FLASK_SUBMODULE_NAMES[module]), module


def test_submodule_public_names_have_docstrings() -> None:
    """Every class and function in tocsin.json.tag, and each of their public methods."""
    from tocsin.json import tag

    missing = []
    for name in tag.__all__:
        value = getattr(tag, name)
        if not value.__doc__:
            missing.append(name)
        for attr, member in vars(value).items():
            if not attr.startswith("_") and inspect.isfunction(member) and not member.__doc__:
                missing.append(f"{name}.{attr}")
    assert missing == []


def test_public_names_have_docstrings() -> None:
    missing = [
        name
        for name in tocsin.__all__
        if name not in ("g", "request", "session", "current_app", "json")
        and (inspect.isclass(getattr(tocsin, name)) or inspect.isfunction(getattr(tocsin, name)))
        and not getattr(tocsin, name).__doc__
    ]
    assert missing == []
