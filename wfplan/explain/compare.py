"""Side-by-side comparison of plans: goals, cost, staff, and which inputs differ.

Each compared item is a plan directory (read as written) or a scenario
(planned, its plan directory written under ``plans/`` of the comparison), so
every figure of the comparison is a sum over a plan directory's own
``plan.csv``, ``goals.csv`` and ``budgets.csv`` and can be checked against it.

Tables (columns named by each plan's label, the first is the base):

* ``goals.csv``: per target (and demand goal) the total shortfall over its
  cells, plus the totals;
* ``costs.csv``: status, employment cost, ARRS claims, other spend, budget
  overrun, starters, leavers, total target shortfall, unmet appointments;
* ``staff.csv``: system total FTE by role and period;
* ``inputs_diff.csv``: every validated input that differs from the base
  (table, key, column, base value, other value), from the scenarios' rows,
  and the manifest settings that differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from solvers import DEFAULT_SOLVER
from solvers.base import DEFAULT_GAP
from wfplan.files.output import FLOAT_FORMAT
from wfplan.results.plan_reader import is_plan_dir, read_plan_directory
from wfplan.scenario import Scenario
from wfplan.scenario.schema import KEYS, TABLES
from wfplan.scenario.snapshot import cell_text

PROVENANCE = ("source", "estimate", "note")


@dataclass
class PlanRun:
    """One compared plan, read back from its plan directory."""

    label: str
    path: Path
    scenario: Scenario
    summary: dict
    plan: pd.DataFrame | None
    goals: pd.DataFrame | None
    budgets: pd.DataFrame | None

    @property
    def status(self) -> str:
        return str(self.summary.get("status", "unknown"))


@dataclass
class Comparison:
    runs: list[PlanRun]
    goals: pd.DataFrame
    costs: pd.DataFrame
    staff: pd.DataFrame
    inputs: pd.DataFrame

    @property
    def labels(self) -> list[str]:
        return [r.label for r in self.runs]

    def text_lines(self, max_rows: int = 30) -> list[str]:
        """The comparison in words: totals, targets (where met), staff at the end, inputs that differ."""
        from wfplan.results import words
        from wfplan.results.report_text import columns_table

        labels = self.labels
        lines = [f"comparison: {' vs '.join(labels)} (base: {labels[0]})", "", "totals over the plan:"]
        costs = self.costs.set_index("metric")
        rows = [("plan", [words.plan_status_short(r.summary) for r in self.runs])]
        for metric, label in COST_WORDS.items():
            if metric in costs.index:
                shown = words.money_short if metric.endswith("_gbp") else (lambda v: words.number(v, 1))
                rows.append((label, [shown(costs.loc[metric, lab]) for lab in labels]))
        lines += columns_table(labels, rows)
        lines += ["", "targets (areas where met):"]
        attainment = [words.target_attainment(r.goals, r.scenario).set_index("target") if r.goals is not None
                      else None for r in self.runs]
        names: dict[str, str] = {}
        for table in attainment:
            if table is not None:
                names.update(dict(zip(table.index, table["name"], strict=True)))
        target_rows = []
        for target, name in names.items():
            cells = []
            for table in attainment:
                if table is None or target not in table.index:
                    cells.append("")
                else:
                    row = table.loc[target]
                    cells.append(f"{row['met']} of {row['areas']}")
            target_rows.append((name, cells))
        lines += columns_table(labels, target_rows) if target_rows else ["  (no targets)"]
        if len(self.staff):
            end = self.staff[self.staff["period"] == self.staff["period"].iloc[-1]]
            role_names = dict(zip(self.runs[0].scenario.roles["role"], self.runs[0].scenario.roles["name"],
                                  strict=True))
            lines += ["", f"staff in post in {words.period_end(end['period'].iloc[0])} (FTE, all PCNs):"]
            lines += columns_table(labels, [(str(role_names.get(r["role"], r["role"])),
                                             [words.number(r[lab], 1) for lab in labels])
                                            for r in end.to_dict("records")])
        lines += ["", "inputs that differ from the base:"]
        if len(self.inputs):
            shown = self.inputs.head(max_rows)
            for rec in shown.to_dict("records"):
                lines.append(f"  {rec['scenario']}: {rec['table']} {rec['key']}, {rec['column']}: "
                             f"{_shown(rec['base_value'])} -> {_shown(rec['other_value'])}")
            if len(self.inputs) > max_rows:
                lines.append(f"  ... {len(self.inputs) - max_rows} more in inputs_diff.csv")
        else:
            lines.append("  (none)")
        return lines

    def write(self, directory: Path) -> None:
        from wfplan.files.output import write_csv

        write_csv(self.goals, directory / "goals.csv")
        write_csv(self.costs, directory / "costs.csv")
        write_csv(self.staff, directory / "staff.csv")
        write_csv(self.inputs, directory / "inputs_diff.csv")
        (directory / "comparison.txt").write_text("\n".join(self.text_lines(max_rows=10_000)) + "\n",
                                                  encoding="utf-8")


COST_WORDS = {
    "employment_cost_gbp": "employment cost", "arrs_claims_gbp": "ARRS claims",
    "other_spend_gbp": "other spend (not reimbursed)", "budget_overrun_gbp": "budget overrun",
    "starters": "starters (people)", "leavers": "leavers (people)",
    "unmet_appointments": "unmet appointments", "staff_fte_at_end": "staff in post at the end (FTE)",
}


def _shown(value: object) -> str:
    """An input value as people read it: 12 significant digits, so no float noise (46502.200000000004)."""
    text = str(value)
    try:
        number = float(text)
    except ValueError:
        return text
    return text if text.lower() in ("nan", "inf", "-inf") else f"{number:.12g}"


def read_plan_dir(path: Path, label: str) -> PlanRun:
    """A plan directory as written by ``wfplan plan`` (or by :func:`plan_into`), validated."""
    read = read_plan_directory(path, tables=("plan", "goals", "budgets"))
    return PlanRun(label, Path(path), read.scenario, read.summary, read.tables["plan"], read.tables["goals"],
                   read.tables["budgets"])


def plan_into(scenario_path: Path, directory: Path, *, solver: str = DEFAULT_SOLVER, integer: bool | None = None,
              time_limit: float | None = None, gap: float = DEFAULT_GAP) -> Path:
    """Plan a scenario (its overrides applied by loading) and write its plan directory."""
    from wfplan.pipeline import run_plan
    from wfplan.results.plan_directory import write_plan
    from wfplan.scenario.load import load_scenario

    scenario = load_scenario(scenario_path)
    result = run_plan(scenario, solver=solver, time_limit=time_limit, gap=gap, integer=integer)
    write_plan(result, directory, force=True)
    return directory


def unique_labels(paths: list[Path]) -> list[str]:
    labels: list[str] = []
    for p in paths:
        base = Path(p).resolve().name or "scenario"
        label, n = base, 2
        while label in labels:
            label, n = f"{base}-{n}", n + 1
        labels.append(label)
    return labels


# --- the tables ---------------------------------------------------------------------


def _round(value: float) -> float:
    """Numbers as the CSVs write them, so the comparison reconciles with each plan's files."""
    return float(FLOAT_FORMAT % value)


def goals_table(runs: list[PlanRun]) -> pd.DataFrame:
    keys: dict[tuple[str, str, str], None] = {}
    sums: dict[str, pd.Series] = {}
    for run in runs:
        if run.goals is None or run.goals.empty:
            continue
        g = run.goals.copy()
        for key in g[["goal", "id", "unit"]].itertuples(index=False, name=None):
            keys.setdefault(tuple(str(k) for k in key), None)
        sums[run.label] = g.groupby(["goal", "id", "unit"], sort=False)["shortfall"].sum()
    rows = []
    for goal, gid, unit in keys:
        row: dict[str, object] = {"goal": goal, "id": gid, "unit": unit}
        for run in runs:
            s = sums.get(run.label)
            row[run.label] = _round(float(s.get((goal, gid, unit), 0.0))) if s is not None else float("nan")
        rows.append(row)
    for goal, name in (("target", "all targets"), ("demand", "all demand")):
        row = {"goal": goal, "id": f"({name})", "unit": ""}
        present = False
        for run in runs:
            if run.goals is None or run.goals.empty:
                row[run.label] = float("nan")
                continue
            sel = run.goals[run.goals["goal"] == goal]
            present |= len(sel) > 0
            row[run.label] = _round(float(sel["shortfall"].sum()))
        if present:
            rows.append(row)
    return pd.DataFrame(rows, columns=["goal", "id", "unit", *[r.label for r in runs]])


def costs_table(runs: list[PlanRun]) -> pd.DataFrame:
    metrics: list[tuple[str, object]] = [
        ("status", lambda r: r.status),
        ("employment_cost_gbp", lambda r: r.plan["employment_cost"].sum()),
        ("arrs_claims_gbp", lambda r: r.plan["arrs_claim_gbp"].sum()),
        ("other_spend_gbp", lambda r: r.plan["other_spend"].sum()),
        ("budget_overrun_gbp", lambda r: r.budgets["overrun"].sum() if r.budgets is not None else 0.0),
        ("starters", lambda r: r.plan["starters"].sum()),
        ("leavers", lambda r: r.plan["leavers"].sum()),
        ("target_shortfall", lambda r: r.goals.loc[r.goals["goal"] == "target", "shortfall"].sum()),
        ("unmet_appointments", lambda r: r.goals.loc[r.goals["goal"] == "demand", "shortfall"].sum()),
        ("staff_fte_at_end", lambda r: r.plan.loc[r.plan["period"] == r.plan["period"].iloc[-1], "staff_fte"].sum()),
    ]
    rows = []
    for name, get in metrics:
        row: dict[str, object] = {"metric": name}
        for run in runs:
            if name != "status" and (run.plan is None or run.goals is None):
                row[run.label] = float("nan")
                continue
            value = get(run)  # type: ignore[operator]
            row[run.label] = value if name == "status" else _round(float(value))
        rows.append(row)
    return pd.DataFrame(rows, columns=["metric", *[r.label for r in runs]])


def staff_table(runs: list[PlanRun]) -> pd.DataFrame:
    frames = []
    for run in runs:
        if run.plan is None:
            continue
        s = run.plan.groupby(["role", "period"], sort=False)["staff_fte"].sum().rename(run.label)
        frames.append(s)
    if not frames:
        return pd.DataFrame(columns=["role", "period", *[r.label for r in runs]])
    out = pd.concat(frames, axis=1).reset_index()
    for run in runs:
        if run.label not in out:
            out[run.label] = float("nan")
        else:
            out[run.label] = out[run.label].map(lambda v: _round(v) if pd.notna(v) else v)
    return out[["role", "period", *[r.label for r in runs]]]


def _row_map(scenario: Scenario, table: str) -> dict[tuple[str, ...], dict[str, object]]:
    out = {}
    for loc in scenario.rows.get(table, []):
        data = loc.row.model_dump(mode="json")
        key = tuple(cell_text(data.get(k)) for k in KEYS[table])
        out[key] = data
    return out


def diff_inputs(base: Scenario, other: Scenario, label: str = "other") -> pd.DataFrame:
    """Every validated input value that differs: table, key, column, base value, other value."""
    rows: list[dict[str, object]] = []
    for table in TABLES:
        a, b = _row_map(base, table), _row_map(other, table)
        columns = [c for c in TABLES[table].model_fields if c not in PROVENANCE and c not in KEYS[table]]
        for key in list(a) + [k for k in b if k not in a]:
            key_text = ", ".join(f"{c}={v}" for c, v in zip(KEYS[table], key, strict=True))
            if key not in b:
                rows.append({"scenario": label, "table": table, "key": key_text, "column": "(row)",
                             "base_value": "present", "other_value": "absent"})
                continue
            if key not in a:
                rows.append({"scenario": label, "table": table, "key": key_text, "column": "(row)",
                             "base_value": "absent", "other_value": "present"})
                continue
            for c in columns:
                va, vb = cell_text(a[key].get(c)), cell_text(b[key].get(c))
                if va != vb:
                    rows.append({"scenario": label, "table": table, "key": key_text, "column": c,
                                 "base_value": va, "other_value": vb})
    ma = base.manifest.model_dump(mode="json", include={"horizon", "objective", "model"})
    mb = other.manifest.model_dump(mode="json", include={"horizon", "objective", "model"})
    for section in ("horizon", "objective", "model"):
        sa, sb = ma.get(section) or {}, mb.get(section) or {}
        for c in sorted(set(sa) | set(sb)):
            if cell_text(sa.get(c)) != cell_text(sb.get(c)):
                rows.append({"scenario": label, "table": "manifest", "key": section, "column": c,
                             "base_value": cell_text(sa.get(c)), "other_value": cell_text(sb.get(c))})
    return pd.DataFrame(rows, columns=["scenario", "table", "key", "column", "base_value", "other_value"])


def compare_runs(runs: list[PlanRun]) -> Comparison:
    base = runs[0]
    diffs = [diff_inputs(base.scenario, r.scenario, r.label) for r in runs[1:]]
    inputs = pd.concat(diffs, ignore_index=True) if diffs else diff_inputs(base.scenario, base.scenario)
    return Comparison(runs, goals_table(runs), costs_table(runs), staff_table(runs), inputs)


def compare(paths: list[Path], staging: Path, *, solver: str = DEFAULT_SOLVER, integer: bool | None = None,
            time_limit: float | None = None, gap: float = DEFAULT_GAP, echo=None) -> Comparison:
    """Plan (or read) each path and compare them; plans made here go to ``staging/plans/LABEL``."""
    runs = []
    for path, label in zip(paths, unique_labels(paths), strict=True):
        if is_plan_dir(path):
            plan_dir = Path(path)
        else:
            if echo:
                echo(f"planning {path} ...")
            plan_dir = plan_into(Path(path), staging / "plans" / label, solver=solver, integer=integer,
                                 time_limit=time_limit, gap=gap)
        runs.append(read_plan_dir(plan_dir, label))
    return compare_runs(runs)
