"""The ``tocsin`` command line, built on click.

``tocsin --app hello:app COMMAND`` loads an application and runs one of the
built-in commands (``run``, ``routes``, ``shell``, ``signals``,
``explain``, ``trace``) or a command the application added with
``@app.cli.command()``. How the application is found, the commands and
their options follow Flask's ``flask`` command, so a ported project keeps
its habits: ``TOCSIN_APP`` names the app, and ``FLASK_APP`` still works.

Finding the application (:meth:`ScriptInfo.load_app`), first match wins:

1. the ``create_app`` function given to :class:`ScriptInfo` (what
   ``app.test_cli_runner()`` uses);
2. ``--app``, else ``TOCSIN_APP``, else ``FLASK_APP``: ``module``,
   ``module:name``, ``module:factory("arg")`` or ``path/to/file.py``, each
   optionally followed by ``:name``;
3. ``wsgi.py``, then ``app.py``, in the current directory.

In a module without a name (:func:`find_best_app`): an attribute ``app`` or
``application``, else the only :class:`~tocsin.app.Tocsin` instance, else a
``create_app`` or ``make_app`` factory called without arguments.

Where this differs from Flask (docs/cli.md lists every difference):
``--debug`` is applied to the loaded app instead of being written into the
process environment; only ``wsgi.py`` and ``app.py`` files of the current
directory are default apps; ``.tocsinenv`` is a default dotenv file too;
``--version`` adds Tocsin's line; ``routes`` strips trailing spaces from
its table; ``signals``, ``explain`` and ``trace`` are new.

The modules of this package, one concept each: ``_discovery`` (finding and
loading the application, :class:`ScriptInfo`), ``_appgroup``
(:class:`AppGroup`, :func:`with_appcontext`), ``_group`` (the ``tocsin``
command: :class:`TocsinGroup`, :func:`main`), ``_tables`` (output helpers),
``_route`` (what one request would run, read from the app's compiled plan)
and one module per built-in command (``_run``, ``_routes``, ``_shell``,
``_signals``, ``_explain``, ``_trace``). Everything is importable from here.
"""

from __future__ import annotations

# The public names (``__all__``), and with ``as`` the private helpers: everything
# importable from the former single module ``tocsin/cli.py`` is importable from here.
# ``run_simple`` is looked up here by ``run``, so patching ``tocsin.cli.run_simple`` works.
from werkzeug.serving import is_running_from_reloader as is_running_from_reloader
from werkzeug.serving import run_simple as run_simple

from ..helpers import get_debug_flag as get_debug_flag
from ..helpers import get_load_dotenv as get_load_dotenv
from ._appgroup import AppGroup, with_appcontext
from ._appgroup import F as F
from ._appgroup import _current_app as _current_app
from ._discovery import _APP_NAMES as _APP_NAMES
from ._discovery import _DEFAULT_FILES as _DEFAULT_FILES
from ._discovery import _FACTORY_NAMES as _FACTORY_NAMES
from ._discovery import (
    NoAppException,
    ScriptInfo,
    find_app_by_string,
    find_best_app,
    locate_app,
    pass_script_info,
    prepare_import,
)
from ._discovery import _check_call as _check_call
from ._discovery import _import_module as _import_module
from ._discovery import _load_import_path as _load_import_path
from ._discovery import _missing_attribute as _missing_attribute
from ._discovery import _NothingToLoad as _NothingToLoad
from ._discovery import _parse_app_name as _parse_app_name
from ._explain import _error_handler_lines as _error_handler_lines
from ._explain import _hook_lines as _hook_lines
from ._explain import _optional_app as _optional_app
from ._explain import _step_details as _step_details
from ._explain import explain_command
from ._group import _BUILTIN_COMMANDS as _BUILTIN_COMMANDS
from ._group import _DOTENV_FILES as _DOTENV_FILES
from ._group import (
    FlaskGroup,
    TocsinGroup,
    cli,
    env_file_option,
    get_version,
    load_dotenv,
    main,
    version_option,
)
from ._group import _dotenv as _dotenv
from ._group import _group_options as _group_options
from ._group import _load_env_files as _load_env_files
from ._group import _set_app_import_path as _set_app_import_path
from ._group import _set_debug as _set_debug
from ._route import _REGISTRIES as _REGISTRIES
from ._route import _scope_label as _scope_label
from ._routes import _ROUTE_SORTS as _ROUTE_SORTS
from ._routes import routes_command
from ._run import CertParamType, SeparatedPathType, run_command
from ._run import _app_for_server as _app_for_server
from ._run import _is_import_path as _is_import_path
from ._run import _validate_key as _validate_key
from ._run import show_server_banner as show_server_banner
from ._shell import _enable_completion as _enable_completion
from ._shell import _run_startup_file as _run_startup_file
from ._shell import shell_command
from ._signals import _signal_rows as _signal_rows
from ._signals import signals_command
from ._tables import _describe as _describe
from ._tables import _names as _names
from ._tables import _table as _table
from ._trace import _trace_lines as _trace_lines
from ._trace import trace_command

__all__ = [
    "AppGroup",
    "CertParamType",
    "FlaskGroup",
    "NoAppException",
    "ScriptInfo",
    "SeparatedPathType",
    "TocsinGroup",
    "cli",
    "env_file_option",
    "explain_command",
    "find_app_by_string",
    "find_best_app",
    "get_version",
    "load_dotenv",
    "locate_app",
    "main",
    "pass_script_info",
    "prepare_import",
    "routes_command",
    "run_command",
    "shell_command",
    "signals_command",
    "trace_command",
    "version_option",
    "with_appcontext",
]
