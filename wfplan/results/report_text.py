"""Plain-text tables for the console: scenario summary and trajectory tables."""

from __future__ import annotations

import textwrap

import pandas as pd

from wfplan.results.trajectory import Trajectory
from wfplan.scenario import Scenario


def describe_scenario(scenario: Scenario) -> str:
    """A few lines saying what the scenario holds."""
    lines = [f"scenario: {scenario.name}"]
    h = scenario.horizon
    if h is not None:
        lines.append(f"horizon: {h.label(h.first)} to {h.label(h.last)} ({len(h.periods)} {h.step}s)")
    pcns = scenario.pcns
    if len(pcns):
        lines.append(
            f"geography: {len(scenario.areas('place'))} places, {len(pcns)} PCNs, "
            f"{int(pcns['practices'].sum())} practices, {int(pcns['registered_list'].sum()):,} registered patients"
        )
    counts = ", ".join(f"{name} {len(rows)}" for name, rows in sorted(scenario.rows.items()) if rows)
    lines.append(f"tables (rows): {counts}")
    estimates = sum(1 for rows in scenario.rows.values() for loc in rows if loc.row.estimate)
    lines.append(f"estimated values: {estimates} rows are marked estimate=true (see their notes)")
    return "\n".join(lines)


def format_number(value: float, decimals: int = 2) -> str:
    if pd.isna(value):
        return ""
    return f"{value:,.{decimals}f}"


def rolling_table(traj: Trajectory) -> str:
    """The template's rolling-total block, one table per area and year."""
    if traj.rolling.empty:
        return "no planned flows: nothing to show"
    out = []
    hist_cols = [c for c in traj.rolling.columns if c.startswith("hist ")]
    for (level, area, year), g in traj.rolling.groupby(["level", "area", "year"], sort=False):
        span = g["net_flow_span"].iloc[0]
        shown_hist = [c for c in hist_cols if g[c].notna().any()]
        table = pd.DataFrame({"staff group": g["staff_group"]})
        for c in shown_hist:
            table[c.removeprefix("hist ")] = g[c].map(format_number)
        table[f"net flow {span}".strip()] = g["net_flow"].map(format_number)
        table["forecast"] = g["forecast"].map(format_number)
        for q in ("Q1", "Q2", "Q3", "Q4"):
            table[q] = g[q].map(format_number)
        table["plan"] = g["plan"].map(format_number)
        table["growth"] = g["growth"].map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
        out.append(f"Rolling total FTE, {level} {area}, {year}")
        out.append(table.to_string(index=False))
        out.append("")
    return "\n".join(out)


def columns_table(headers: list[str], rows: list[tuple[str, list[str]]], width: int = 100,
                  label_width: int = 40) -> list[str]:
    """A console table with a label per row and one right-aligned column per header, no line wider
    than ``width``: long labels wrap within ``label_width``, and columns that do not fit go on to a
    further block with the same labels."""
    col = max([len(h) for h in headers] + [len(v) for _, values in rows for v in values] + [6]) + 2
    per_block = max(1, (width - label_width) // col)
    lines: list[str] = []
    for start in range(0, len(headers), per_block):
        block = range(start, min(start + per_block, len(headers)))
        lines.append((" " * label_width + "".join(headers[i].rjust(col) for i in block)).rstrip())
        for label, values in rows:
            wrapped = textwrap.wrap(label, label_width - 2) or [""]
            for j, part in enumerate(wrapped):
                cells = "".join(values[i].rjust(col) for i in block) if j == len(wrapped) - 1 else ""
                lines.append((part.ljust(label_width) + cells).rstrip())
        lines.append("")
    return lines[:-1]
