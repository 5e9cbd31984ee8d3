"""Serve the demo with Werkzeug's development server: ``python -m notes [--port 5000]``."""

from __future__ import annotations

import argparse

from . import create_app


def main(argv: list[str] | None = None) -> None:
    """Parse the options and serve in the foreground until Ctrl+C."""
    parser = argparse.ArgumentParser(prog="python -m notes", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port (default: 5000)")
    parser.add_argument("--instance", help="database folder (default: examples/notes/instance)")
    parser.add_argument("--debug", action="store_true", help="reloader and interactive debugger")
    args = parser.parse_args(argv)
    app = create_app(instance_path=args.instance)
    url = f"http://{args.host}:{args.port}/"
    print(f" * Tocsin notes demo: {url}  (database: {app.config['DATABASE']})")
    print(f" * DevTools, the lifecycle of each request: {url}_tocsin/", flush=True)
    app.run(host=args.host, port=args.port, debug=args.debug)


if __name__ == "__main__":
    main()
