"""Flask's hook registries: plain dicts of lists that tell their owner when they change.

``app.before_request_funcs`` and its siblings are public in Flask, and
extensions change them directly, at setup or later
(``app.after_request_funcs.setdefault(None, []).append(f)``). Tocsin
compiles the hooks of each blueprint scope into a plan once; these
containers keep that plan honest at no cost per request: every change, to
the dict or to one of its lists, calls the owner's ``_changed()``, which
drops the compiled plans. A request already running keeps the plan it
started with; the next one sees the change.

The owner is held weakly, so a registry never keeps an app alive.
"""

from __future__ import annotations

import typing as t
import weakref
from collections import defaultdict

__all__ = [
    "HookList",
    "HookRegistry",
    "ViewFunctions",
    "registry_attribute",
    "watched_list",
    "watched_views",
]

T = t.TypeVar("T")


class _Owner(t.Protocol):
    def _changed(self) -> None: ...


Notify = t.Callable[[], None]


def _notifier(owner: _Owner) -> Notify:
    """A function calling ``owner._changed()`` while *owner* lives, holding it weakly."""
    ref = weakref.ref(owner)

    def notify() -> None:
        target = ref()
        if target is not None:
            target._changed()

    return notify


def _changes(name: str) -> t.Callable[..., t.Any]:
    """The list method *name*, followed by a notification."""
    method = getattr(list, name)

    def changed(self: HookList[t.Any], *args: t.Any) -> t.Any:
        rv = method(self, *args)
        self._notify()
        return rv

    changed.__name__ = name
    return changed


class HookList(list[T]):
    """A list of hook functions; changing it notifies the registry's owner."""

    __slots__ = ("_notify",)

    def __init__(self, items: t.Iterable[T] = (), notify: Notify = lambda: None) -> None:
        super().__init__(items)
        self._notify = notify

    append = _changes("append")
    extend = _changes("extend")
    insert = _changes("insert")
    remove = _changes("remove")
    pop = _changes("pop")
    clear = _changes("clear")
    sort = _changes("sort")
    reverse = _changes("reverse")
    __setitem__ = _changes("__setitem__")
    __delitem__ = _changes("__delitem__")
    __iadd__ = _changes("__iadd__")  # (list's returns the list itself: still this one)
    __imul__ = _changes("__imul__")

    def __reduce__(self) -> t.Any:  # a copy or pickle is a plain list
        return (list, (list(self),))


class _NotifyingDict(dict[t.Any, t.Any]):
    """A dict whose every change calls ``self._notify()``; values go through :meth:`_stored`."""

    __slots__ = ()
    _notify: Notify

    def _stored(self, value: t.Any) -> t.Any:
        """What is kept for *value* (the value itself, here)."""
        return value

    def __setitem__(self, key: t.Any, value: t.Any) -> None:
        dict.__setitem__(self, key, self._stored(value))
        self._notify()

    def __delitem__(self, key: t.Any) -> None:
        dict.__delitem__(self, key)
        self._notify()

    def setdefault(self, key: t.Any, default: t.Any = None) -> t.Any:
        if key in self:
            return self[key]
        self[key] = default
        return dict.__getitem__(self, key)

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            dict.__setitem__(self, key, self._stored(value))
        self._notify()

    def pop(self, *args: t.Any) -> t.Any:
        rv = dict.pop(self, *args)
        self._notify()
        return rv

    def popitem(self) -> tuple[t.Any, t.Any]:
        rv = dict.popitem(self)
        self._notify()
        return rv

    def clear(self) -> None:
        dict.clear(self)
        self._notify()

    def __ior__(self, other: t.Any) -> t.Any:  # type: ignore[misc]
        self.update(other)
        return self


class HookRegistry(_NotifyingDict, defaultdict[t.Any, list[t.Any]]):
    """Scope (``None`` or a blueprint name) to :class:`HookList`, like ``defaultdict(list)``.

    Lists stored into it, by any of the dict's methods, are watched too.
    """

    def __init__(self, notify: Notify, items: t.Any = ()) -> None:
        defaultdict.__init__(self, None)
        self._notify = notify
        for key, value in dict(items).items():
            dict.__setitem__(self, key, self._stored(value))

    def _stored(self, value: t.Any) -> HookList[t.Any]:
        if isinstance(value, HookList) and value._notify is self._notify:
            return value
        return HookList(value, self._notify)

    def __missing__(self, key: t.Any) -> HookList[t.Any]:
        value = HookList[t.Any]((), self._notify)
        dict.__setitem__(self, key, value)  # an empty list: nothing to recompile
        return value

    def setdefault(self, key: t.Any, default: t.Any = None) -> list[t.Any]:
        if key in self:
            return self[key]  # type: ignore[no-any-return]
        value = self._stored(default if default is not None else [])
        dict.__setitem__(self, key, value)
        if value:  # an empty list: nothing to recompile
            self._notify()
        return value

    def __reduce__(self) -> t.Any:  # a copy or pickle is a plain defaultdict(list)
        return (_plain, (dict(self),))

    def __repr__(self) -> str:
        return f"HookRegistry({dict.__repr__(self)})"


class ViewFunctions(_NotifyingDict):
    """Endpoint to view function (``app.view_functions``); a change notifies the owner."""

    def __init__(self, notify: Notify, items: t.Any = ()) -> None:
        dict.__init__(self, items)
        self._notify = notify

    def __reduce__(self) -> t.Any:  # a copy or pickle is a plain dict
        return (dict, (dict(self),))


def _plain(items: dict[t.Any, t.Any]) -> defaultdict[t.Any, list[t.Any]]:
    return defaultdict(list, {key: list(value) for key, value in items.items()})


C = t.TypeVar("C")


class _WatchedAttribute(t.Generic[C]):
    """A scaffold attribute whose container tells the owner of changes; assigning wraps it."""

    def __init__(self, make: t.Callable[[Notify, t.Any], C]) -> None:
        self._make = make

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @t.overload
    def __get__(self, obj: None, objtype: type | None = None) -> _WatchedAttribute[C]: ...
    @t.overload
    def __get__(self, obj: object, objtype: type | None = None) -> C: ...
    def __get__(self, obj: object | None, objtype: type | None = None) -> t.Any:
        if obj is None:
            return self
        try:
            return obj.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None

    def __set__(self, obj: _Owner, value: t.Any) -> None:
        notify = _notifier(obj)
        replacing = self.name in obj.__dict__  # the first assignment is in __init__
        obj.__dict__[self.name] = self._make(notify, value)
        if replacing:
            notify()


def registry_attribute() -> _WatchedAttribute[HookRegistry]:
    """A scaffold attribute holding a :class:`HookRegistry` (``before_request_funcs``...)."""
    return _WatchedAttribute(lambda notify, value: HookRegistry(notify, value))


def watched_list() -> _WatchedAttribute[HookList[t.Any]]:
    """A scaffold attribute holding a :class:`HookList` (``teardown_appcontext_funcs``)."""
    return _WatchedAttribute(lambda notify, value: HookList(value, notify))


def watched_views() -> _WatchedAttribute[ViewFunctions]:
    """A scaffold attribute holding its :class:`ViewFunctions`."""
    return _WatchedAttribute(lambda notify, value: ViewFunctions(notify, value))
