"""Progress display for long steps, on a terminal only.

``with step("solving level targets"):`` shows a rich spinner with the
description on stderr and, when the step ends, one line with its duration.
When stderr is not a terminal (pipes, CI, tests, ``--deterministic`` runs
captured to files) it does nothing at all, so output stays byte-identical.
Set ``WFPLAN_PROGRESS=0`` to switch it off on a terminal too.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


def enabled() -> bool:
    """Progress is shown only when stderr is an interactive terminal."""
    if os.environ.get("WFPLAN_PROGRESS", "").strip() in ("0", "false", "no", "off"):
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


@contextmanager
def step(description: str) -> Iterator[None]:
    """Show ``description`` with a spinner while the block runs (no-op when not a terminal)."""
    if not enabled():
        yield
        return
    from rich.console import Console

    console = Console(stderr=True)
    started = time.perf_counter()
    with console.status(description):
        yield
    console.print(f"[green]done[/green] {description} [dim]({time.perf_counter() - started:.1f}s)[/dim]",
                  highlight=False)
