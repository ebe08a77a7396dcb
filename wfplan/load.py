"""Load a scenario: manifest, base scenarios it extends, and its tables.

A scenario is a directory with ``scenario.toml`` (or ``scenario.yaml``) and CSV
tables, or an Excel workbook with one sheet per table (see
:mod:`wfplan.excel_io`).  ``extends`` names base scenario directories: their
tables are loaded first and a table in the derived scenario replaces the
base's table of the same name as a whole.  Table files named in the manifest
must lie inside the scenario directory.

The result is a validated :class:`~wfplan.scenario.Scenario`; any problem is a
:class:`~wfplan.errors.ScenarioError` naming file, row, column and value.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from wfplan.errors import Problem, ScenarioError, display_path
from wfplan.overrides import apply_overrides
from wfplan.scenario import Scenario
from wfplan.schema import TABLES, Manifest
from wfplan.tables import Located, collect_csv_table, decode_text

MANIFEST_NAMES = ("scenario.toml", "scenario.yaml", "scenario.yml")


def find_manifest(directory: Path) -> Path:
    for name in MANIFEST_NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    raise ScenarioError(
        Problem(display_path(directory), f"no manifest: expected one of {', '.join(MANIFEST_NAMES)}")
    )


def read_manifest(path: Path) -> Manifest:
    """Parse a TOML or YAML manifest (YAML with the safe loader only)."""
    shown = display_path(path)
    try:
        text = decode_text(path.read_bytes())
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(Problem(shown, f"cannot be read: {exc}")) from None
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else (yaml.safe_load(text) or {})
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ScenarioError(Problem(shown, f"does not parse: {exc}")) from None
    if not isinstance(data, dict):
        raise ScenarioError(Problem(shown, "must be a mapping of settings"))
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(
            [
                Problem(shown, str(e.get("msg")).removeprefix("Value error, "),
                        column=".".join(str(p) for p in e.get("loc", ())), value=e.get("input")
                        if not isinstance(e.get("input"), dict) else None)
                for e in exc.errors()
            ]
        ) from None


def _inside(directory: Path, candidate: Path) -> bool:
    try:
        candidate.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


def _table_files(directory: Path, manifest: Manifest, manifest_shown: str) -> dict[str, Path]:
    problems: list[Problem] = []
    files: dict[str, Path] = {}
    for table, relative in manifest.tables.items():
        if table not in TABLES:
            problems.append(Problem(manifest_shown, f"unknown table; known: {', '.join(TABLES)}",
                                    column=f"tables.{table}", value=table))
            continue
        path = directory / relative
        if Path(relative).is_absolute() or not _inside(directory, path):
            problems.append(Problem(manifest_shown, "table files must lie inside the scenario directory",
                                    column=f"tables.{table}", value=relative))
            continue
        if not path.exists():
            problems.append(Problem(manifest_shown, "file not found", column=f"tables.{table}", value=relative))
            continue
        files[table] = path
    for table in TABLES:
        default = directory / f"{table}.csv"
        if table not in files and table not in manifest.tables and default.exists():
            files[table] = default
    if problems:
        raise ScenarioError(problems)
    return files


@dataclass
class _Layers:
    """What loading a scenario and its bases found: rows, files, and every problem."""

    tables: dict[str, list[Located]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    incomplete: set[str] = field(default_factory=set)
    """Tables some of whose rows (or the whole file) could not be read: references into them are not checked."""


def _load_layer(directory: Path, seen: tuple[Path, ...], found: _Layers) -> Manifest | None:
    """Load one scenario directory and, first, the bases it extends, into ``found``.

    Every problem is collected rather than raised, so that one run reports
    them all: a bad row does not stop the other rows, tables or bases being read.
    Returns the directory's manifest (None when it cannot be read)."""
    directory = directory.resolve()
    if directory in seen:
        chain = " -> ".join(display_path(p) for p in (*seen, directory))
        found.problems.append(Problem(display_path(directory), f"extends itself in a cycle: {chain}"))
        return None
    try:
        manifest_path = find_manifest(directory)
        manifest = read_manifest(manifest_path)
    except ScenarioError as exc:
        found.problems.extend(exc.problems)
        found.incomplete.update(TABLES)
        return None
    manifest_shown = display_path(manifest_path)
    found.files.append(manifest_path)
    for base in manifest.extends:
        base_dir = (directory / base)
        if not base_dir.is_dir():
            found.problems.append(Problem(manifest_shown, "base scenario directory not found",
                                          column="extends", value=base))
            found.incomplete.update(TABLES)
            continue
        if base_dir.resolve() in (*seen, directory):
            chain = " -> ".join(display_path(p) for p in (*seen, directory, base_dir.resolve()))
            found.problems.append(Problem(manifest_shown, f"extends form a cycle: {chain}",
                                          column="extends", value=base))
            continue
        _load_layer(base_dir, (*seen, directory), found)
    try:
        files = _table_files(directory, manifest, manifest_shown)
    except ScenarioError as exc:
        found.problems.extend(exc.problems)
        found.incomplete.update(TABLES)
        files = {}
    for table, path in files.items():
        rows, problems = collect_csv_table(path, TABLES[table], display_path(path))
        found.tables[table] = rows  # replaces the base's table, as a whole
        found.files.append(path)
        if problems:
            found.problems.extend(problems)
            found.incomplete.add(table)
        else:
            found.incomplete.discard(table)
    return manifest


def load_scenario(path: Path | str) -> Scenario:
    """Load and validate the scenario at ``path`` (a directory or an .xlsx workbook).

    Raises one :class:`ScenarioError` with every problem found: bad cells in
    every table of the scenario and its bases, and the cross-references
    between the rows that are valid (references into a table with bad rows
    are not checked, so a bad row is not reported twice)."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError(Problem(str(path), "does not exist: expected a scenario directory"))
    if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            from wfplan.excel_io import read_workbook
        except ImportError:
            raise ScenarioError(Problem(display_path(path), "Excel workbooks are not supported in this "
                                        "version: save each sheet as a CSV table in a scenario directory")) from None

        manifest, tables, files = read_workbook(path)
    elif path.is_dir():
        found = _Layers()
        manifest = _load_layer(path, (), found)
        if manifest is None:
            raise ScenarioError(found.problems)
        if found.problems:
            partial = Scenario(manifest, found.tables, found.files, path)
            raise ScenarioError(found.problems + partial.check(incomplete=frozenset(found.incomplete)))
        tables, files = found.tables, found.files
    else:
        raise ScenarioError(Problem(display_path(path), "expected a scenario directory or an .xlsx workbook"))
    return apply_overrides(Scenario.build(manifest, tables, source_files=files, root=path))
