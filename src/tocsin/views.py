"""Class-based views."""

from __future__ import annotations

import inspect
import typing as t

from ._async import is_async_callable
from .globals import _cv_request

__all__ = ["MethodView", "View", "http_method_funcs"]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
#: The method names a :class:`MethodView` looks for, as in Flask.
http_method_funcs = frozenset(["get", "post", "head", "options", "delete", "put", "trace", "patch"])


class View:
    """Subclass and implement :meth:`dispatch_request`; register with :meth:`as_view`.

    By default a new instance handles each request; set ``init_every_request
    = False`` to build one instance when the view is made.
    """

    #: The methods this view is registered for.
    methods: t.ClassVar[t.Collection[str] | None] = None
    #: Whether to add an automatic ``OPTIONS`` handler.
    provide_automatic_options: t.ClassVar[bool | None] = None
    #: Decorators applied, in order, to the generated view function; they see its
    #: ``__name__`` (the endpoint name given to :meth:`as_view`) and ``__module__``.
    decorators: t.ClassVar[list[t.Callable[..., t.Any]]] = []
    #: Create a new instance for every request.
    init_every_request: t.ClassVar[bool] = True

    def dispatch_request(self, **kwargs: t.Any) -> t.Any:
        """Handle the request; the URL values are the keyword arguments."""
        raise NotImplementedError()

    @classmethod
    def as_view(
        cls, name: str, *class_args: t.Any, **class_kwargs: t.Any
    ) -> t.Callable[..., t.Any]:
        """A view function for this class, to pass to ``add_url_rule``."""
        view: t.Callable[..., t.Any]
        is_async = is_async_callable(cls.dispatch_request)
        if cls.init_every_request:
            if is_async:

                async def view(**kwargs: t.Any) -> t.Any:
                    self = view.view_class(*class_args, **class_kwargs)  # type: ignore[attr-defined]  # set below
                    return await self.dispatch_request(**kwargs)
            else:

                def view(**kwargs: t.Any) -> t.Any:
                    self = view.view_class(*class_args, **class_kwargs)  # type: ignore[attr-defined]  # set below
                    return self.dispatch_request(**kwargs)
        else:
            instance = cls(*class_args, **class_kwargs)
            if is_async:

                async def view(**kwargs: t.Any) -> t.Any:
                    return await instance.dispatch_request(**kwargs)
            else:

                def view(**kwargs: t.Any) -> t.Any:
                    return instance.dispatch_request(**kwargs)

        # As in Flask, the decorators see the endpoint name and the class's module
        # (for logging, caching keys, functools.wraps); the rest is set on their result.
        view.__name__ = name
        view.__module__ = cls.__module__
        for decorator in cls.decorators:
            view = decorator(view)
        # setattr: mypy cannot declare attributes on a function (read as view.view_class above).
        setattr(view, "view_class", cls)
        view.__name__ = name
        view.__doc__ = cls.__doc__
        view.__module__ = cls.__module__
        setattr(view, "methods", cls.methods)
        setattr(view, "provide_automatic_options", cls.provide_automatic_options)
        return view


class MethodView(View):
    """Dispatches to the method named after the HTTP method: ``get``, ``post``...

    ``methods`` is set from the methods a subclass defines; ``HEAD`` falls
    back to ``get``.
    """

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" not in cls.__dict__:
            methods: set[str] = set()
            for base in cls.__bases__:
                base_methods = getattr(base, "methods", None)
                if base_methods:
                    methods.update(base_methods)
            for key in http_method_funcs:
                if hasattr(cls, key):
                    methods.add(key.upper())
            if methods:
                cls.methods = methods
        if cls.dispatch_request is MethodView.dispatch_request and any(
            is_async_callable(getattr(cls, key)) for key in http_method_funcs if hasattr(cls, key)
        ):  # an async handler is awaited in the request's task, so the view is async
            cls.dispatch_request = MethodView._dispatch_async  # type: ignore[method-assign]  # chosen per subclass

    def _handler(self) -> t.Callable[..., t.Any]:
        method_name = _cv_request.get().method.lower()
        meth = getattr(self, method_name, None)
        if meth is None and method_name == "head":
            meth = getattr(self, "get", None)
        if meth is None:
            raise AssertionError(f"Unimplemented method {method_name.upper()!r}")
        return t.cast(t.Callable[..., t.Any], meth)

    def dispatch_request(self, **kwargs: t.Any) -> t.Any:
        """Call the method named after the request's HTTP method.

        When a subclass defines any ``async`` handler, this becomes an
        ``async`` method that awaits it (sync handlers are called directly).
        """
        return self._handler()(**kwargs)

    async def _dispatch_async(self, **kwargs: t.Any) -> t.Any:
        rv = self._handler()(**kwargs)
        if inspect.isawaitable(rv):
            rv = await rv
        return rv
