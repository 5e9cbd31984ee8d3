"""``python -m tocsin.cli``: the ``tocsin`` command line."""

from tocsin.cli import main

main()
