"""Names for a built model's rows and columns, from its inputs' labels: ``stock[breckland,fcp,2022/23 Q1]``.

A plan never needs names (a 1,250-PCN model would pay for millions of
strings), so they are made here, on demand: for a model file a developer
reads (:func:`write_model_file`) and for the per-block golden tests
(``tests/test_formulation_blocks.py``).  Each block of
:mod:`wfplan.model.formulation` is named ``block[index]`` with its axes'
labels: PCN, role, period, transition, route; rows of a table-shaped block
(supply, entitlement, budgets, targets, demand) by the table row's own
labels.  A block not listed here is numbered (``block[0,3]``), so a new block
is still named, only less readably; a listed block whose shape no longer
matches its labels raises ``ValueError`` (see :meth:`ModelBuilder.column_names`).

The axes are written here because the formulation does not record them;
declaring them where each block is created would make this table unnecessary.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from solvers import LinearProgram
from solvers.model_text import write_model
from wfplan.model.builder import AxisLabels
from wfplan.model.formulation import Model

GRIDS: dict[str, str] = {
    # p: PCN, r: role, t: period, u: period after the first, k: transition, j: recruitment route
    "stock": "prt", "starters": "prt", "replacements": "prt", "leavers": "prt", "released": "prt",
    "overstaffed": "prt", "short_time": "prt", "vacancies": "prt", "claim_wte": "prt",
    "above_baseline": "prt", "balance": "prt", "claim_within_fte": "prt", "claim_needs_above": "prt",
    "claim_minus_baseline": "prt",
    "started": "pkt", "completed": "pkt", "completions": "pkt",
    "recruits_via": "pjt",
    "held_in_post": "pt", "in_training": "pt", "transition_share": "pt", "above_fair_share": "pt",
    "fair_share": "pt",
    "starter_change": "pru", "starter_change_up": "pru", "starter_change_down": "pru",
    "fairness": "p", "overstaffing_total": "t",
}
"""Blocks over the model's grids, by name (the part before any ``[...]``), and their axes."""

COLUMN_ONLY_GRIDS: dict[str, str] = {"staff_not_claimable": "prt"}
"""Grids of names that a variable block and a row block share with different shapes
(the rows of ``staff_not_claimable`` run over the roles with such staff only)."""


def _base_name(block: str) -> str:
    return block.split("[", 1)[0]


def _grid_labels(model: Model) -> dict[str, Sequence[str]]:
    inputs = model.inputs
    periods = [inputs.horizon.label(p) for p in inputs.periods]
    return {
        "p": inputs.pcns, "r": inputs.roles, "t": periods, "u": periods[1:],
        "k": list(inputs.transitions["transition"]) if len(inputs.transitions) else [],
        "j": list(inputs.routes["label"]) if len(inputs.routes) else [],
    }


def _frame_labels(model: Model) -> dict[str, AxisLabels]:
    """Row labels of the blocks that have one row per row of an input table."""
    inputs = model.inputs

    def joined(frame: pd.DataFrame, *columns: str) -> list[str]:
        return [" ".join(str(value) for value in row) for row in frame[list(columns)].itertuples(index=False)]

    pcn_year = [f"{inputs.pcns[pi]} {year}" for pi, year in zip(inputs.entitlement["pi"],
                                                                 inputs.entitlement["year"], strict=True)]
    pots = inputs.pot_entitlement
    pot_rows = [f"{inputs.pcns[pi]} {year} {pot}" for pi, year, pot in zip(pots["pi"], pots["year"], pots["pot"],
                                                                           strict=True)]
    budgets = inputs.budgets
    limited = budgets[budgets["amount"].notna()]  # as formulation._budgets: budgets with an amount
    targets = joined(inputs.targets.frame, "target", "area", "period")
    demand = joined(inputs.demand, "area", "period")
    return {
        "supply": (joined(inputs.supply, "role", "area", "period"),),
        "route_supply": (joined(inputs.route_supply, "route", "area", "period"),),
        "entitlement": (pcn_year,),
        "pot_entitlement": (pot_rows,),
        "budget": (joined(limited, "budget", "area", "year"),),
        "budget_overrun": (joined(limited, "budget", "area", "year"),),
        "targets": (targets,), "target_shortfall": (targets,),
        "demand": (demand,), "unmet_demand": (demand,), "unmet_demand_split": (demand,),
        "unmet_demand_share": (demand, None),
        "shared_appointments": (demand,),
    }


def axis_labels(model: Model, rows: bool) -> dict[str, AxisLabels]:
    """Labels per block of the model's rows (``rows``) or columns, for :meth:`ModelBuilder.row_names`."""
    grids = _grid_labels(model)
    frames = _frame_labels(model)
    blocks = model.builder.constraints if rows else model.builder.variables
    known = GRIDS if rows else {**GRIDS, **COLUMN_ONLY_GRIDS}
    out: dict[str, AxisLabels] = {}
    for name in blocks:
        base = _base_name(name)
        if base in known:
            out[name] = tuple(grids[axis] for axis in known[base])
        elif base in frames:
            out[name] = frames[base]
    return out


def named_program(model: Model) -> LinearProgram:
    """The model's program (zero objective) with every row and column named."""
    return model.builder.named_program(axis_labels(model, rows=False), axis_labels(model, rows=True))


def write_model_file(model: Model, path: Path, level: str | None = None) -> None:
    """Write the model as a CPLEX LP (``.lp``) or MPS (``.mps``) file with named rows and columns.

    The objective is ``level``'s (default: the first of the model's levels);
    the lexicographic solve holds each earlier level's value in an extra row,
    which the file does not contain.
    """
    level = level or model.level_order[0]
    if level not in model.level_order:
        raise ValueError(f"unknown objective level {level!r}; the model's levels: {', '.join(model.level_order)}")
    lp = named_program(model)
    write_model(lp.with_objective(model.builder.objective_vector(level)), path)
