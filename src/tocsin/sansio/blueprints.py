"""Blueprints without I/O (``flask.sansio.blueprints``): registration, nesting, setup state.

:class:`tocsin.Blueprint` derives from :class:`Blueprint` here and adds what
touches files and the command line (its static files, its ``cli`` group).
"""

from __future__ import annotations

import os
import typing as t
from collections import defaultdict

from ..scaffold import Scaffold, _endpoint_from_view_func, _require_callable, setupmethod
from ..templating import TemplateFolderLoader, _decorator, _global_name

if t.TYPE_CHECKING:
    from jinja2 import BaseLoader

    from .app import App

__all__ = ["Blueprint", "BlueprintSetupState"]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
DeferredSetupFunction = t.Callable[["BlueprintSetupState"], None]


class BlueprintSetupState:
    """Where and how a blueprint is being registered; passed to deferred functions."""

    def __init__(
        self, blueprint: Blueprint, app: App, options: dict[str, t.Any], first_registration: bool
    ):
        self.app = app
        self.blueprint = blueprint
        self.options = options
        #: True the first time this blueprint object is registered on the app.
        self.first_registration = first_registration
        subdomain = self.options.get("subdomain")
        self.subdomain = blueprint.subdomain if subdomain is None else subdomain
        url_prefix = self.options.get("url_prefix")
        self.url_prefix = blueprint.url_prefix if url_prefix is None else url_prefix
        self.name = self.options.get("name", blueprint.name)
        self.name_prefix = self.options.get("name_prefix", "")
        self.url_defaults = dict(blueprint.url_values_defaults)
        self.url_defaults.update(self.options.get("url_defaults", ()))

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        **options: t.Any,
    ) -> None:
        """Add a rule on the app, with the blueprint's prefix, subdomain and defaults."""
        if self.url_prefix is not None:
            rule = (
                "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/")))
                if rule
                else self.url_prefix
            )
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = dict(defaults, **options.pop("defaults"))
        self.app.add_url_rule(
            rule,
            f"{self.name_prefix}.{self.name}.{endpoint}".lstrip("."),
            view_func,
            defaults=defaults,
            **options,
        )


class Blueprint(Scaffold):
    """A set of views, hooks, handlers and template helpers to register on an app.

    Hooks registered on a blueprint run only for requests routed to it;
    the ``app_*`` variants (``before_app_request``, ``app_errorhandler``...)
    register on the app for every request.

    :param name: the blueprint's name, the prefix of its endpoints; no dots.
    :param url_prefix: a path prepended to all its rules.
    :param subdomain: the subdomain its rules match.
    :param url_defaults: default values for its views' arguments.
    """

    _got_registered_once = False

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, t.Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = t.cast(str, object()),
    ) -> None:
        super().__init__(import_name, static_folder, static_url_path, template_folder, root_path)
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError("'name' may not contain a dot '.' character.")
        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.deferred_functions: list[DeferredSetupFunction] = []
        self.url_values_defaults = url_defaults or {}
        self.cli_group = cli_group
        self._blueprints: list[tuple[Blueprint, dict[str, t.Any]]] = []

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the blueprint"
                f" '{self.name}'. It has already been registered at least once, any"
                " changes will not be applied consistently.\nMake sure all imports,"
                " decorators, functions, etc. needed to set up the blueprint are done"
                " before registering it."
            )

    #: The loader for this blueprint's template folder (assignable, as in Flask).
    jinja_loader: BaseLoader | None = TemplateFolderLoader()  # type: ignore[assignment]

    @setupmethod
    def record(self, func: DeferredSetupFunction) -> None:
        """Call *func* with the setup state each time the blueprint is registered."""
        _require_callable("record", func)
        self.deferred_functions.append(func)

    @setupmethod
    def record_once(self, func: DeferredSetupFunction) -> None:
        """Like :meth:`record`, but only on the first registration on an app."""
        _require_callable("record_once", func)

        def wrapper(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(wrapper)

    def make_setup_state(
        self, app: App, options: dict[str, t.Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        """The state object passed to deferred functions."""
        return BlueprintSetupState(self, app, options, first_registration)

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Nest *blueprint* in this one; its endpoints become ``this.that.view``."""
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._blueprints.append((blueprint, options))

    def register(self, app: App, options: dict[str, t.Any]) -> None:
        """Register this blueprint on *app* (called by ``app.register_blueprint``)."""
        name_prefix = options.get("name_prefix", "")
        self_name = options.get("name", self.name)
        if not self_name or "." in self_name:
            raise ValueError(
                f"The blueprint name {self_name!r} given with 'name=' must be non-empty and"
                " contain no dot '.' character."
            )
        name = f"{name_prefix}.{self_name}".lstrip(".")
        if name in app.blueprints:
            bp_desc = "this" if app.blueprints[name] is self else "a different"
            existing_at = f" '{name}'" if self_name != name else ""
            raise ValueError(
                f"The name '{self_name}' is already registered for {bp_desc} blueprint"
                f"{existing_at}. Use 'name=' to provide a unique name."
            )
        first_bp_registration = not any(bp is self for bp in app.blueprints.values())
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_bp_registration)
        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                view_func=self.send_static_file,  # type: ignore[attr-defined]  # tocsin.Blueprint's
                endpoint="static",
            )
        self._merge_blueprint_funcs(app, name)
        for deferred in self.deferred_functions:
            deferred(state)
        self._register_cli(app, options, name)
        for blueprint, bp_options in self._blueprints:
            blueprint.register(app, self._nested_options(state, blueprint, bp_options, name))

    def _register_cli(self, app: App, options: dict[str, t.Any], name: str) -> None:
        """Add the blueprint's commands to the app's (:class:`tocsin.Blueprint` has them)."""

    @staticmethod
    def _nested_options(
        state: BlueprintSetupState, blueprint: Blueprint, bp_options: dict[str, t.Any], name: str
    ) -> dict[str, t.Any]:
        bp_options = bp_options.copy()
        url_prefix = bp_options.get("url_prefix")
        subdomain = bp_options.get("subdomain")
        if subdomain is None:
            subdomain = blueprint.subdomain
        if state.subdomain is not None and subdomain is None:
            bp_options["subdomain"] = state.subdomain
        elif subdomain is not None and state.subdomain is not None:
            bp_options["subdomain"] = f"{subdomain}.{state.subdomain}"
        elif subdomain is not None:
            bp_options["subdomain"] = subdomain
        if url_prefix is None:
            url_prefix = blueprint.url_prefix
        if state.url_prefix is not None and url_prefix is not None:
            bp_options["url_prefix"] = state.url_prefix.rstrip("/") + "/" + url_prefix.lstrip("/")
        elif url_prefix is not None:
            bp_options["url_prefix"] = url_prefix
        elif state.url_prefix is not None:
            bp_options["url_prefix"] = state.url_prefix
        bp_options["name_prefix"] = name
        return bp_options

    def _merge_blueprint_funcs(self, app: App, name: str) -> None:
        def extend(
            bp_dict: dict[t.Any, list[t.Any]], parent_dict: dict[t.Any, list[t.Any]]
        ) -> None:
            for key, values in bp_dict.items():
                key = name if key is None else f"{name}.{key}"
                parent_dict[key].extend(values)

        for key, value in self.error_handler_spec.items():
            key = name if key is None else f"{name}.{key}"
            app.error_handler_spec[key] = defaultdict(
                dict, {code: dict(handlers) for code, handlers in value.items()}
            )
        for endpoint, func in self.view_functions.items():  # @bp.endpoint: unprefixed, as Flask
            app.view_functions[endpoint] = func
        extend(self.before_request_funcs, app.before_request_funcs)
        extend(self.after_request_funcs, app.after_request_funcs)
        extend(self.teardown_request_funcs, app.teardown_request_funcs)
        extend(self.url_default_functions, app.url_default_functions)
        extend(self.url_value_preprocessors, app.url_value_preprocessors)
        extend(self.template_context_processors, app.template_context_processors)

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Register a rule; it is added to the app, prefixed, when the blueprint is registered."""
        if endpoint and "." in endpoint:
            raise ValueError("'endpoint' may not contain a dot '.' character.")
        if view_func is not None:
            _require_callable("add_url_rule", view_func)
            if "." in getattr(view_func, "__name__", ""):
                raise ValueError("'view_func' name may not contain a dot '.' character.")
        self.record(
            lambda s: s.add_url_rule(
                rule,
                endpoint,
                view_func,
                provide_automatic_options=provide_automatic_options,
                **options,
            )
        )

    # -- app-wide registration from a blueprint ----------------------------------------

    @setupmethod
    def before_app_request(self, f: F) -> F:
        """Like ``before_request``, for every request of the app."""
        _require_callable("before_app_request", f)
        self.record_once(lambda s: s.app.before_request_funcs.setdefault(None, []).append(f))
        return f

    @setupmethod
    def after_app_request(self, f: F) -> F:
        """Like ``after_request``, for every request of the app."""
        _require_callable("after_app_request", f)
        self.record_once(lambda s: s.app.after_request_funcs.setdefault(None, []).append(f))
        return f

    @setupmethod
    def teardown_app_request(self, f: F) -> F:
        """Like ``teardown_request``, for every request of the app."""
        _require_callable("teardown_app_request", f)
        self.record_once(lambda s: s.app.teardown_request_funcs.setdefault(None, []).append(f))
        return f

    @setupmethod
    def app_context_processor(self, f: F) -> F:
        """Like ``context_processor``, for every template of the app."""
        _require_callable("app_context_processor", f)
        self.record_once(lambda s: s.app.template_context_processors.setdefault(None, []).append(f))
        return f

    @setupmethod
    def app_url_value_preprocessor(self, f: F) -> F:
        """Like ``url_value_preprocessor``, for every request of the app."""
        _require_callable("app_url_value_preprocessor", f)
        self.record_once(lambda s: s.app.url_value_preprocessors.setdefault(None, []).append(f))
        return f

    @setupmethod
    def app_url_defaults(self, f: F) -> F:
        """Like ``url_defaults``, for every endpoint of the app."""
        _require_callable("app_url_defaults", f)
        self.record_once(lambda s: s.app.url_default_functions.setdefault(None, []).append(f))
        return f

    @setupmethod
    def app_errorhandler(self, code: type[Exception] | int) -> t.Callable[[F], F]:
        """Like ``errorhandler``, for errors anywhere in the app."""

        def decorator(f: F) -> F:
            _require_callable("app_errorhandler", f)
            self.record_once(lambda s: s.app.register_error_handler(code, f))
            return f

        return decorator

    def _app_template(self, kind: str, f: t.Callable[..., t.Any], name: str | None) -> None:
        if kind == "global":
            _global_name(f, name)  # any value, but named (checked now, not at registration)
        else:
            _require_callable(f"add_app_template_{kind}", f)
        self.record_once(lambda s: getattr(s.app, f"add_template_{kind}")(f, name=name))

    @t.overload
    def app_template_filter(self, name: F) -> F: ...
    @t.overload
    def app_template_filter(self, name: str | None = None) -> t.Callable[[F], F]: ...
    @setupmethod
    def app_template_filter(self, name: t.Any = None) -> t.Any:
        """Register a template filter on the app (``@bp.app_template_filter()`` or bare)."""
        return _decorator(self.add_app_template_filter, name, "app_template_filter")

    @t.overload
    def app_template_test(self, name: F) -> F: ...
    @t.overload
    def app_template_test(self, name: str | None = None) -> t.Callable[[F], F]: ...
    @setupmethod
    def app_template_test(self, name: t.Any = None) -> t.Any:
        """Register a template test on the app (``@bp.app_template_test()`` or bare)."""
        return _decorator(self.add_app_template_test, name, "app_template_test")

    @t.overload
    def app_template_global(self, name: F) -> F: ...
    @t.overload
    def app_template_global(self, name: str | None = None) -> t.Callable[[F], F]: ...
    @setupmethod
    def app_template_global(self, name: t.Any = None) -> t.Any:
        """Register a template global on the app (``@bp.app_template_global()`` or bare)."""
        return _decorator(self.add_app_template_global, name, "app_template_global", any_value=True)

    @setupmethod
    def add_app_template_filter(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        """Non-decorator form of :meth:`app_template_filter`."""
        self._app_template("filter", f, name)

    @setupmethod
    def add_app_template_test(self, f: t.Callable[..., bool], name: str | None = None) -> None:
        """Non-decorator form of :meth:`app_template_test`."""
        self._app_template("test", f, name)

    @setupmethod
    def add_app_template_global(self, f: t.Any, name: str | None = None) -> None:
        """Non-decorator form of :meth:`app_template_global`."""
        self._app_template("global", f, name)
