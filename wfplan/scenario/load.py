"""Load a scenario: manifest, base scenarios it extends, and its tables.

A scenario is a directory with ``scenario.toml`` (or ``scenario.yaml``) and CSV
tables, or an Excel workbook with one sheet per table (see
:mod:`wfplan.scenario.excel_io`).  ``extends`` names base scenario directories: their
tables are loaded first and a table in the derived scenario replaces the
base's table of the same name as a whole.

What is read is confined and bounded: table files, named in the manifest or
by default (``supply.csv``), must lie inside their scenario directory (a
symbolic link may not lead out, and one that leads nowhere is an error);
only regular files of bounded size are read (:mod:`wfplan.files.safe_read`); the
manifest is parsed within the bounds of :mod:`wfplan.files.structured_text`; and
``extends`` chains are at most :data:`~wfplan.limits.MAX_EXTENDS_DEPTH` deep.
A CSV file that is not read (``demnad.csv``, ``Demand.csv``) gives a
:class:`~wfplan.errors.ScenarioWarning`: planning without a table the user
meant to give is a silent error otherwise.

The result is a validated :class:`~wfplan.scenario.Scenario`; any problem is a
:class:`~wfplan.errors.ScenarioError` naming file, row, column and value.  One
load reports every problem it finds (up to :data:`~wfplan.limits.MAX_PROBLEMS`
a table): a bad row does not stop the other rows, tables or bases being read,
and the rows that are valid are then checked against each other.
"""

from __future__ import annotations

import difflib
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from wfplan.errors import Problem, ScenarioError, ScenarioWarning, display_path
from wfplan.files import run_inputs
from wfplan.files.safe_read import confinement_problem, inside, read_input_bytes
from wfplan.files.structured_text import parse_document
from wfplan.limits import MAX_EXTENDS_DEPTH, MAX_MANIFEST_BYTES, MAX_SCENARIO_LAYERS, max_scenario_rows
from wfplan.scenario import Scenario
from wfplan.scenario.manifest import Manifest
from wfplan.scenario.overrides import apply_overrides
from wfplan.scenario.schema import TABLES
from wfplan.scenario.tables import Located, UndecodableText, capped, collect_csv_table, decode_text

MANIFEST_NAMES = ("scenario.toml", "scenario.yaml", "scenario.yml")
MAX_FILE_WARNINGS = 20
"""Most 'file is not read' warnings for one scenario directory."""


def find_manifest(directory: Path) -> Path:
    for name in MANIFEST_NAMES:
        candidate = directory / name
        if os.path.lexists(candidate):
            problem = confinement_problem(directory, candidate, display_path(candidate), "the manifest")
            if problem is not None:
                raise ScenarioError(problem)
            return candidate
    hint = ""
    try:
        near = [e.name for e in directory.iterdir()
                if e.name.lower() in MANIFEST_NAMES or difflib.get_close_matches(e.name.lower(), MANIFEST_NAMES,
                                                                                 n=1, cutoff=0.8)]
    except OSError:
        near = []
    if near:
        hint = f" (found {near[0]!r}: manifest names are lower case, exactly as listed)"
    raise ScenarioError(
        Problem(display_path(directory), f"no manifest: expected one of {', '.join(MANIFEST_NAMES)}{hint}")
    )


def read_manifest(path: Path) -> Manifest:
    """Parse a TOML or YAML manifest (YAML with the safe loader only), within the bounds of
    :mod:`wfplan.files.structured_text`."""
    shown = display_path(path)
    data_bytes = read_input_bytes(path, shown, limit=MAX_MANIFEST_BYTES)
    try:
        text = decode_text(data_bytes)
    except UndecodableText as exc:
        raise ScenarioError(Problem(shown, f"cannot be read: {exc.message}", row=exc.line)) from None
    data = parse_document(text, "toml" if path.suffix == ".toml" else "yaml", shown)
    if data is None and path.suffix != ".toml":
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(Problem(shown, "must be a mapping of settings"))
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(
            [
                Problem(shown, str(e.get("msg")).removeprefix("Value error, "),
                        column=".".join(str(p) for p in e.get("loc", ())), value=e.get("input")
                        if not isinstance(e.get("input"), dict | list) else None)
                for e in exc.errors()
            ]
        ) from None


def _table_files(directory: Path, manifest: Manifest, manifest_shown: str,
                 ) -> tuple[dict[str, Path], list[Problem], set[str]]:
    """The table files of one scenario directory: named in the manifest, else ``<table>.csv``.

    Every file must lie inside the directory (a symbolic link may not lead
    out of it) and exist (a dangling link is an error, not a missing table).
    Returns the files that may be read, the problems with the others, and the
    tables those problems leave unread (their rows are missing, so references
    into them are not checked).
    """
    problems: list[Problem] = []
    unread: set[str] = set()
    files: dict[str, Path] = {}
    for table, relative in manifest.tables.items():
        if table not in TABLES:
            problems.append(Problem(manifest_shown, f"unknown table; known: {', '.join(TABLES)}",
                                    column=f"tables.{table}", value=table))
            continue
        path = directory / relative
        if Path(relative).is_absolute() or not inside(directory, path):
            problems.append(Problem(manifest_shown, "table files must lie inside the scenario directory",
                                    column=f"tables.{table}", value=relative))
            unread.add(table)
            continue
        if not path.exists():
            problems.append(Problem(manifest_shown, "file not found" + (" (a symbolic link to nothing)"
                                                                       if path.is_symlink() else ""),
                                    column=f"tables.{table}", value=relative))
            unread.add(table)
            continue
        files[table] = path
    for table in TABLES:
        default = directory / f"{table}.csv"
        if table in files or table in manifest.tables or not os.path.lexists(default):
            continue
        problem = confinement_problem(directory, default, display_path(default), "this table file")
        if problem is not None:
            problems.append(problem)
            unread.add(table)
            continue
        files[table] = default
    if not problems:
        _warn_about_unread_tables(directory, files)
    return files, problems, unread


def _warn_about_unread_tables(directory: Path, files: dict[str, Path]) -> None:
    """Warn about CSV files that are not read: a misspelt or wrongly cased table name plans without it."""
    read = {p.name for p in files.values()}
    shown = 0
    try:
        entries = sorted(e.name for e in os.scandir(directory) if e.name.lower().endswith(".csv"))
    except OSError:
        return
    for name in entries:
        if name in read:
            continue
        stem = name[: -len(".csv")]
        if stem.lower() in TABLES:
            hint = f"table file names are lower case: rename it {stem.lower()}.csv"
        else:
            close = difflib.get_close_matches(stem.lower(), list(TABLES), n=1, cutoff=0.75)
            if close:
                missing = "" if close[0] in files else f"; this scenario has no {close[0]} table"
                hint = f"did you mean {close[0]}.csv?{missing}"
            else:
                hint = f"it is not a table wfplan knows ({', '.join(TABLES)})"
        warnings.warn(ScenarioWarning(f"{display_path(directory / name)} is not read: {hint}"), stacklevel=2)
        shown += 1
        if shown >= MAX_FILE_WARNINGS:
            break


@dataclass
class _Layers:
    """What loading a scenario and its bases found: rows, files and every problem, within shared bounds."""

    rows_left: int
    """Rows all tables of all layers may still have (:func:`~wfplan.limits.max_scenario_rows` at the start)."""
    tables: dict[str, list[Located]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    incomplete: set[str] = field(default_factory=set)
    """Tables some of whose rows (or the whole file) could not be read: references into them are not checked."""
    layers: list[Path] = field(default_factory=list)
    """The scenario directories loaded so far (at most :data:`~wfplan.limits.MAX_SCENARIO_LAYERS`)."""


def _load_layer(directory: Path, seen: tuple[Path, ...], found: _Layers) -> Manifest | None:
    """Load one scenario directory and, first, the bases it extends, into ``found``.

    Every problem is collected rather than raised, so that one run reports
    them all: a bad row does not stop the other rows, tables or bases being
    read.  A base beyond the ``extends`` bounds is a problem and is not read.
    Returns the directory's manifest (None when it cannot be read).
    """
    directory = directory.resolve()
    if directory in seen:
        chain = " -> ".join(display_path(p) for p in (*seen, directory))
        found.problems.append(Problem(display_path(directory), f"extends itself in a cycle: {chain}"))
        return None
    found.layers.append(directory)
    run_inputs.record(directory, "scenario directory")
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
        problem = _extends_problem(directory, base, seen, found, manifest_shown)
        if problem is not None:
            found.problems.append(problem)
            found.incomplete.update(TABLES)
            continue
        _load_layer(directory / base, (*seen, directory), found)
    files, problems, unread = _table_files(directory, manifest, manifest_shown)
    found.problems.extend(problems)
    found.incomplete.update(unread)
    for table, path in files.items():
        rows, problems = collect_csv_table(path, TABLES[table], display_path(path), max_rows=found.rows_left)
        found.rows_left -= len(rows)
        found.tables[table] = rows  # replaces the base's table, as a whole
        found.files.append(path)
        if problems:
            found.problems.extend(capped(problems))
            found.incomplete.add(table)
        else:
            found.incomplete.discard(table)
    return manifest


def _extends_problem(directory: Path, base: str, seen: tuple[Path, ...], found: _Layers,
                     manifest_shown: str) -> Problem | None:
    """Why the base ``base`` of ``directory`` is not loaded: missing, a cycle, or beyond the bounds."""
    base_dir = directory / base
    if not base_dir.is_dir():
        return Problem(manifest_shown, "base scenario directory not found", column="extends", value=base)
    if base_dir.resolve() in (*seen, directory):
        chain = " -> ".join(display_path(p) for p in (*seen, directory, base_dir.resolve()))
        return Problem(manifest_shown, f"extends form a cycle: {chain}", column="extends", value=base)
    if len(seen) + 1 >= MAX_EXTENDS_DEPTH:
        return Problem(manifest_shown, f"extends chain is longer than {MAX_EXTENDS_DEPTH} scenarios: merge some "
                                       "bases", column="extends", value=base)
    if len(found.layers) >= MAX_SCENARIO_LAYERS:
        return Problem(manifest_shown, f"extends more than {MAX_SCENARIO_LAYERS} scenario directories in all",
                       column="extends", value=base)
    return None


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
            from wfplan.scenario.excel_io import read_workbook
        except ImportError:
            raise ScenarioError(Problem(display_path(path), "Excel workbooks are not supported in this "
                                        "version: save each sheet as a CSV table in a scenario directory")) from None

        manifest, tables, files = read_workbook(path)
    elif path.is_dir():
        found = _Layers(rows_left=max_scenario_rows())
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
