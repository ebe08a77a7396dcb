"""``python -m wfplan.cli``: the ``wfplan`` command."""

from wfplan.cli import main

main()
