"""A module-level app served by real servers in tests/test_servers.py."""

from __future__ import annotations

from server_factory import create_app

app = create_app()
