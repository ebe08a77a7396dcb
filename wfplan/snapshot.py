"""Write a validated scenario back out as one flat directory (manifest + CSVs).

Used to make plan directories self-contained (the exact inputs travel with
the plan) and for CSV <-> workbook round trips.  Bases are merged: the
written scenario has no ``extends``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from wfplan.scenario import Scenario
from wfplan.schema import TABLES


def cell_text(value: object) -> str:
    """How a validated value is written to CSV (blank for missing)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if value != int(value) or abs(value) >= 1e15 else str(int(value))
    return str(value)


def table_records(scenario: Scenario, name: str) -> tuple[list[str], list[list[str]]]:
    """Header and text cells of one table, in schema column order."""
    columns = list(TABLES[name].model_fields)
    rows = [[cell_text(loc.row.model_dump(mode="json").get(c)) for c in columns]
            for loc in scenario.rows.get(name, [])]
    return columns, rows


def manifest_dict(scenario: Scenario) -> dict:
    data = scenario.manifest.model_dump(mode="json", exclude_none=True)
    data["extends"] = []
    data["tables"] = {}
    return data


def write_scenario(scenario: Scenario, directory: Path) -> None:
    """Write ``scenario.yaml`` and one CSV per non-empty table into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "scenario.yaml").write_text(
        yaml.safe_dump(manifest_dict(scenario), sort_keys=True, allow_unicode=True), encoding="utf-8"
    )
    write_tables(scenario, directory)


def write_tables(scenario: Scenario, directory: Path) -> None:
    """One CSV per non-empty table, in schema column order, into ``directory``."""
    for name in TABLES:
        if not scenario.rows.get(name):
            continue
        columns, rows = table_records(scenario, name)
        with (directory / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(rows)
