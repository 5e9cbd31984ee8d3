"""What apps and blueprints share (``flask.sansio.scaffold``): see :mod:`tocsin.scaffold`."""

from __future__ import annotations

from ..scaffold import Scaffold, _endpoint_from_view_func, setupmethod

__all__ = ["Scaffold", "_endpoint_from_view_func", "setupmethod"]
