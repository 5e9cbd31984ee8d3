"""Tocsin: a Flask-compatible web framework where every step of a request is an observable event."""
