"""``python -m tocsin``: the ``tocsin`` command line."""

from tocsin.cli import main

main()
