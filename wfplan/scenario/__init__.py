"""A validated scenario: tables as DataFrames, cross-references checked.

:meth:`Scenario.build` is the last validation step of loading: every reference
between tables (a PCN's place, a flow's role, a target's area...) is checked,
keys are unique, ARRS years have no gaps, and dated rows fall inside the
horizon (:mod:`wfplan.scenario.checks`).  After that, the rest of wfplan may
trust the data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from wfplan.errors import Problem, ScenarioError
from wfplan.scenario.checks import cross_table_problems
from wfplan.scenario.column_types import Level
from wfplan.scenario.manifest import Manifest
from wfplan.scenario.periods import FinancialYear, Horizon, Quarter
from wfplan.scenario.schema import TABLES
from wfplan.scenario.tables import Located


@dataclass
class Scenario:
    """Validated scenario data; tables are DataFrames with one column per schema field."""

    manifest: Manifest
    rows: dict[str, list[Located]]
    source_files: list[Path] = field(default_factory=list)
    root: Path | None = None

    # --- construction -------------------------------------------------------

    @classmethod
    def build(
        cls,
        manifest: Manifest,
        rows: dict[str, list[Located]],
        source_files: Iterable[Path] = (),
        root: Path | None = None,
    ) -> Scenario:
        scenario = cls(manifest, dict(rows), list(source_files), root)
        problems = scenario.check()
        if problems:
            raise ScenarioError(problems)
        return scenario

    # --- tables -------------------------------------------------------------

    def table(self, name: str) -> pd.DataFrame:
        """The table as a DataFrame (empty with the right columns when absent)."""
        return self._frames[name]

    @cached_property
    def _frames(self) -> dict[str, pd.DataFrame]:
        frames = {}
        for name, model in TABLES.items():
            located = self.rows.get(name, [])
            columns = list(model.model_fields)
            records = [loc.row.model_dump(mode="json") for loc in located]
            frames[name] = pd.DataFrame.from_records(records, columns=columns)
        return frames

    @property
    def name(self) -> str:
        return self.manifest.name

    @cached_property
    def horizon(self) -> Horizon | None:
        h = self.manifest.horizon
        if h is None:
            return None
        step = h.step
        parse = (lambda s: Quarter.parse(s).index) if step == "quarter" else (lambda s: FinancialYear.parse(s).start)
        first, last = parse(h.start), parse(h.end)
        return Horizon(step, tuple(range(first, last + 1)))

    @cached_property
    def system(self) -> str:
        places = self.table("places")
        return str(places["system"].iloc[0]) if len(places) else "system"

    @cached_property
    def pcns(self) -> pd.DataFrame:
        """PCNs with ``registered_list`` (given, or summed from practices) and
        ``weighted_list`` (given, else equal to registered: flagged in
        ``weighted_is_estimate``), indexed by pcn id in file order."""
        pcns = self.table("pcns").set_index("pcn", drop=False)
        practices = self.table("practices")
        summed = practices.groupby("pcn")["registered_list"].sum() if len(practices) else pd.Series(dtype=float)
        registered = pcns["registered_list"].astype("Float64").fillna(summed.reindex(pcns.index).astype("Float64"))
        out = pcns[["pcn", "name", "place"]].copy()
        out["registered_list"] = registered.astype(float)
        weighted = pcns["weighted_list"].astype("Float64")
        out["weighted_is_estimate"] = weighted.isna().to_numpy()
        out["weighted_list"] = weighted.fillna(registered).astype(float)
        out["practices"] = practices.groupby("pcn").size().reindex(pcns.index).fillna(0).astype(int) if len(practices) else 0
        need = pcns["need_index"] if "need_index" in pcns else pd.Series(float("nan"), index=pcns.index)
        out["need_index"] = need.astype("Float64").fillna(1.0).astype(float)
        return out

    @cached_property
    def roles(self) -> pd.DataFrame:
        return self.table("roles").set_index("role", drop=False)

    def areas(self, level: str) -> set[str]:
        """The area ids at ``level`` (a set built once: checks call this for every row of every table)."""
        return self._areas[Level(level)]

    @cached_property
    def _areas(self) -> dict[Level, set[str]]:
        return {Level.SYSTEM: {self.system}, Level.PLACE: set(self.table("places")["place"]),
                Level.PCN: set(self.table("pcns")["pcn"])}

    def pcns_in(self, level: str, area: str) -> list[str]:
        """The PCN ids inside an area (file order)."""
        if level == Level.SYSTEM:
            return list(self._pcn_ids)
        if level == Level.PLACE:
            return list(self._pcns_by_place.get(area, ()))
        return [area]

    @cached_property
    def _pcn_ids(self) -> tuple[str, ...]:
        return tuple(self.pcns.index)

    @cached_property
    def _pcns_by_place(self) -> dict[str, tuple[str, ...]]:
        """Place -> its PCN ids in file order (looked up once per row of every table)."""
        by_place: dict[str, list[str]] = {}
        for pcn, place in zip(self.pcns.index, self.pcns["place"], strict=True):
            by_place.setdefault(place, []).append(pcn)
        return {place: tuple(ids) for place, ids in by_place.items()}

    @cached_property
    def checksum(self) -> str:
        """SHA-256 of the validated inputs (manifest and rows), independent of paths."""
        digest = hashlib.sha256()
        digest.update(self.manifest.model_dump_json(exclude={"extends", "tables"}).encode())
        for name in sorted(self.rows):
            for loc in self.rows[name]:
                digest.update(name.encode())
                digest.update(json.dumps(loc.row.model_dump(mode="json"), sort_keys=True).encode())
        return digest.hexdigest()
    # --- validation ---------------------------------------------------------

    def check(self, incomplete: frozenset[str] = frozenset()) -> list[Problem]:
        """Every cross-table problem (:func:`wfplan.scenario.checks.cross_table_problems`).  ``incomplete``
        names tables some of whose rows could not be read: references into them are not checked."""
        return cross_table_problems(self, incomplete)
