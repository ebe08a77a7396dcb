"""wfplan: workforce planning optimisation for NHS primary care.

For notebooks (see :mod:`wfplan.api`)::

    import wfplan
    scenario = wfplan.load("examples/norfolk_waveney")
    p = wfplan.plan(scenario, integer=False)
    p.plan, p.goals, p.arrs, p.budgets, p.summary, p.status
    p.write("out/nw")

Importing the package is light (no numpy, pandas or solvers until a function
is called), so the command line can still set numpy's threads before numpy
loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wfplan.api import Plan
    from wfplan.scenario import Scenario

__version__ = "0.1.0"
__all__ = ["__version__", "load", "plan"]


def load(path: str | Path) -> Scenario:
    """Load and validate a scenario directory or workbook (see :func:`wfplan.api.load`)."""
    from wfplan.api import load as load_scenario

    return load_scenario(path)


def plan(scenario: Scenario | str | Path, **options: Any) -> Plan:
    """Plan a scenario; options ``solver``, ``time_limit``, ``gap``, ``integer``, ``workers``,
    ``decompose`` (see :func:`wfplan.api.plan`).  Returns a :class:`wfplan.api.Plan`."""
    from wfplan.api import plan as run

    return run(scenario, **options)
