"""Write a validated scenario back out as one flat directory (manifest + CSVs).

Used to make plan directories self-contained (the exact inputs travel with
the plan) and for CSV <-> workbook round trips.  Bases are merged: the
written scenario has no ``extends``.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from wfplan.scenario import Scenario
from wfplan.scenario.schema import TABLES


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
    """Write ``scenario.toml`` (as the examples are written) and one CSV per non-empty table into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "scenario.toml").write_text(toml_text(manifest_dict(scenario)), encoding="utf-8")
    write_tables(scenario, directory)


def _toml_value(value: object) -> str:
    """One TOML value: strings as basic strings (JSON escapes are TOML escapes), numbers, booleans,
    arrays and inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml_key(key: object) -> str:
    text = str(key)
    return text if text and all(c.isalnum() or c in "_-" for c in text) else json.dumps(text, ensure_ascii=False)


def toml_text(data: dict) -> str:
    """A manifest dict as TOML: plain keys first, then one ``[section]`` per table and ``[[name]]`` per
    entry of an array of tables (the manifest's ``overrides``).  ``None`` values are left out."""
    plain = {k: v for k, v in data.items() if v is not None and not isinstance(v, dict)
             and not (isinstance(v, list) and v and all(isinstance(e, dict) for e in v))}
    lines = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in plain.items()]
    for key, value in data.items():
        if isinstance(value, dict):
            lines += ["", f"[{_toml_key(key)}]"]
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None]
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(e, dict) for e in value):
            for entry in value:
                lines += ["", f"[[{_toml_key(key)}]]"]
                lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in entry.items() if v is not None]
    return "\n".join(lines) + "\n"


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
