"""Names for a built model's rows and columns, from its inputs' labels: ``stock[breckland,fcp,2022/23 Q1]``.

A plan never needs names (a 1,250-PCN model would pay for millions of
strings), so they are made here, on demand: for a model file a developer
reads (:func:`write_model_file`) and for the per-block golden tests
(``tests/test_formulation_blocks.py``).  Each block of
:mod:`wfplan.model.formulation` is named ``block[index]`` with its axes'
labels: PCN, role, period, transition, route; rows of a table-shaped block
(supply, entitlement, budgets, targets, demand) by the table row's own
labels.  A block that declares no axes is numbered (``block[0,3]``); a block
whose shape does not match its labels raises ``ValueError`` (see
:meth:`ModelBuilder.column_names`).

Each block declares its axes where the formulation creates it
(:mod:`wfplan.model.axes`); this module only supplies the labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from solvers import LinearProgram
from solvers.model_text import write_model
from wfplan.model.builder import AxisLabels
from wfplan.model.formulation import Model


def _labels(model: Model) -> dict[str, Sequence[str]]:
    """Labels of every axis a block may declare (:mod:`wfplan.model.axes`)."""
    inputs = model.inputs

    def joined(frame: pd.DataFrame, *columns: str) -> list[str]:
        return [" ".join(str(value) for value in row) for row in frame[list(columns)].itertuples(index=False)]

    periods = [inputs.horizon.label(p) for p in inputs.periods]
    pots = inputs.pot_entitlement
    limited = inputs.budgets[inputs.budgets["amount"].notna()]  # the budgets with rows: those with an amount
    return {
        "pcn": inputs.pcns, "role": inputs.roles, "period": periods, "period_after_first": periods[1:],
        "transition": list(inputs.transitions["transition"]) if len(inputs.transitions) else [],
        "route": list(inputs.routes["label"]) if len(inputs.routes) else [],
        "supply_row": joined(inputs.supply, "role", "area", "period"),
        "route_supply_row": joined(inputs.route_supply, "route", "area", "period"),
        "entitlement_row": [f"{inputs.pcns[pi]} {year}" for pi, year in zip(inputs.entitlement["pi"],
                                                                           inputs.entitlement["year"], strict=True)],
        "pot_row": [f"{inputs.pcns[pi]} {year} {pot}" for pi, year, pot in zip(pots["pi"], pots["year"], pots["pot"],
                                                                               strict=True)],
        "budget_row": joined(limited, "budget", "area", "year"),
        "target_row": joined(inputs.targets.frame, "target", "area", "period"),
        "demand_row": joined(inputs.demand, "area", "period"),
    }


def _block_labels(blocks: dict, labels: dict[str, Sequence[str]]) -> dict[str, AxisLabels]:
    """Labels per block from each block's declared axes (blocks that declare none are numbered)."""
    return {name: tuple(labels.get(axis) for axis in block.axes)
            for name, block in blocks.items() if block.axes is not None}


def named_program(model: Model) -> LinearProgram:
    """The model's program (zero objective) with every row and column named."""
    labels = _labels(model)
    builder = model.builder
    return builder.named_program(_block_labels(builder.variables, labels), _block_labels(builder.constraints, labels))


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
