"""Command-line parameters that several commands share, declared once.

The solver choices and default come from the solver registry
(:data:`solvers.SOLVERS`, :data:`solvers.DEFAULT_SOLVER`), the gap default from
:data:`solvers.base.DEFAULT_GAP`, so a backend added there is offered by every
command that solves.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from solvers import DEFAULT_SOLVER, SOLVERS
from solvers.base import DEFAULT_GAP

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

scenario_arg = click.argument("scenario", type=click.Path(path_type=Path))


def solver_option(help: str | None = None) -> Decorator:
    """``--solver``: a backend of the registry, the registry's default if not given."""
    return click.option("--solver", type=click.Choice(list(SOLVERS)), default=DEFAULT_SOLVER, show_default=True,
                        help=help)


def gap_option(help: str | None = None) -> Decorator:
    """``--gap``: the relative MIP gap, between 0 and 1."""
    return click.option("--gap", type=click.FloatRange(min=0.0, max=1.0), default=DEFAULT_GAP, show_default=True,
                        help=help)


def time_limit_option(help: str) -> Decorator:
    """``--time-limit``: seconds (at least 0.1), no limit if not given."""
    return click.option("--time-limit", type=click.FloatRange(min=0.1), default=None, help=help)


def xlsx_path(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Excel refuses to open a workbook whose name does not end in .xlsx."""
    if value is not None and value.suffix.lower() != ".xlsx":
        raise click.BadParameter(f"{value}: the workbook name must end in .xlsx")
    return value


def year_label(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A financial year given as ``2019/20`` (or as :class:`~wfplan.scenario.periods.FinancialYear` parses it), as its label."""
    from wfplan.scenario.periods import FinancialYear, PeriodError

    if value is None:
        return None
    try:
        return FinancialYear.parse(value).label
    except PeriodError as exc:
        raise click.BadParameter(str(exc)) from None
