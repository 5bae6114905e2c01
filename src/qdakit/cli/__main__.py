"""``python -m qdakit.cli``: the same as the ``qdakit`` command."""

from qdakit.cli.main import main

main()
