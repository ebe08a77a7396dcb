"""Hypothesis strategies: small valid quarterly NHS scenarios, as the files a user would write.

:func:`nhs_scenarios` draws one place, 1-3 PCNs, 1-3 ARRS roles, eight quarters
(2020/21 Q1 .. 2021/22 Q4) and every table the planner reads: staff in post,
attrition, system-level supply, per-PCN targets, ARRS years and terms (with
caps), optional transitions, demand and budgets.  Every goal is soft, so a plan
must always exist.  Numbers are drawn on a decimal grid (``k / 100``...) so the
CSV text is exactly the value drawn and shrinking gives readable scenarios.

:func:`mutations` picks a cell (file, row, column) of such a scenario and a
hostile value to put there.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

START, END = "2020/21 Q1", "2021/22 Q4"
QUARTERS = [f"{year} Q{q}" for year in ("2020/21", "2021/22") for q in range(1, 5)]
YEARS = ["2020/21", "2021/22"]
SYSTEM, PLACE = "sys1", "place1"
ROLES = {
    "clinical_pharmacist": ("Clinical pharmacist", "Pharmacists"),
    "social_prescribing_link_worker": ("Social prescribing link worker", "Direct Patient Care"),
    "first_contact_physiotherapist": ("First contact physiotherapist", "Direct Patient Care"),
}

MANIFEST = f"""\
name = "generated scenario"
description = "Drawn by tests/strategies.py."

[horizon]
start = "{START}"
end = "{END}"
step = "quarter"

[model]
integer = true
"""


@dataclass
class GeneratedScenario:
    """A scenario as file texts: ``tables`` maps a table name to its rows (header first)."""

    tables: dict[str, list[list[str]]] = field(default_factory=dict)
    manifest: str = MANIFEST

    def csv_text(self, table: str) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(self.tables[table])
        return out.getvalue()

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "scenario.toml").write_text(self.manifest, encoding="utf-8")
        for table in self.tables:
            (directory / f"{table}.csv").write_text(self.csv_text(table), encoding="utf-8")
        return directory

    def __repr__(self) -> str:  # what hypothesis prints for a failing example: the files
        parts = [f"--- scenario.toml\n{self.manifest}"]
        parts += [f"--- {table}.csv\n{self.csv_text(table)}" for table in self.tables]
        return "GeneratedScenario(\n" + "".join(parts) + ")"

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:  # hypothesis' pretty printer
        printer.text(repr(self))


def _grid(low: int, high: int, scale: int) -> st.SearchStrategy[str]:
    """A decimal in [low/scale, high/scale] written as text (e.g. '0.15')."""
    return st.integers(low, high).map(lambda k: _fmt(k / scale))


def _fmt(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"


def _optional(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), strategy)


def _table(header: list[str], rows: list[dict[str, str]]) -> list[list[str]]:
    return [header] + [[row.get(column, "") for column in header] for row in rows]


@st.composite
def nhs_scenarios(draw: st.DrawFn) -> GeneratedScenario:
    """A valid scenario.  Roles may lack an ``annual_cost``, and no role need be
    planned (no target, supply row or transition): both once crashed or broke rules."""
    n_pcns = draw(st.integers(1, 3))
    pcns = [f"pcn_{i + 1}" for i in range(n_pcns)]
    lists = {p: draw(st.integers(20_000, 120_000)) for p in pcns}
    roles = draw(st.lists(st.sampled_from(list(ROLES)), min_size=1, max_size=3, unique=True))
    use_budget = draw(st.booleans())
    s = GeneratedScenario()

    s.tables["places"] = _table(["place", "name", "system"], [{"place": PLACE, "name": "Place one", "system": SYSTEM}])

    pcn_rows = []
    for p in pcns:
        weighted = draw(_optional(st.integers(80, 130).map(lambda k, n=lists[p]: str(round(n * k / 100)))))
        pcn_rows.append({"pcn": p, "name": f"PCN {p}", "place": PLACE, "registered_list": str(lists[p]),
                         "weighted_list": weighted})
    s.tables["pcns"] = _table(["pcn", "name", "place", "registered_list", "weighted_list"], pcn_rows)

    role_rows = []
    for r in roles:
        name, group = ROLES[r]
        role_rows.append({
            "role": r, "name": name, "staff_group": group,
            "participation_rate": draw(_grid(501, 1000, 1000)),
            "annual_cost": draw(_optional(st.integers(20_000, 70_000).map(str))),
            "capacity": draw(st.sampled_from(["0", "1000", "2000", "3000"])),
            "funding_budget": "practice" if use_budget else "",
        })
    s.tables["roles"] = _table(["role", "name", "staff_group", "participation_rate", "annual_cost", "capacity",
                                "funding_budget"], role_rows)

    # staff in post at the end of 2019/20 Q4 (start stock) and 2018/19 Q4 (the ARRS baseline)
    sip_rows = []
    for r in roles:
        for as_at in ("2019/20 Q4", "2018/19 Q4"):
            where = draw(st.sampled_from(["none", "system", "pcn"]))
            if where == "system":
                sip_rows.append({"level": "system", "area": SYSTEM, "role": r, "as_at": as_at,
                                 "headcount": str(draw(st.integers(0, 6)))})
            elif where == "pcn":
                for p in draw(st.lists(st.sampled_from(pcns), min_size=1, unique=True)):
                    sip_rows.append({"level": "pcn", "area": p, "role": r, "as_at": as_at,
                                     "headcount": str(draw(st.integers(0, 3))),
                                     "fte": draw(_optional(_grid(0, 30, 10)))})
    s.tables["staff_in_post"] = _table(["level", "area", "role", "as_at", "headcount", "fte"], sip_rows)

    attrition_rows = [{"role": r, "annual_rate": draw(_grid(0, 30, 100)),
                       "first_year_annual_rate": draw(_optional(_grid(0, 30, 100)))} for r in roles]
    s.tables["attrition"] = _table(["role", "annual_rate", "first_year_annual_rate"], attrition_rows)

    supply_rows = []
    for r in roles:
        for q in QUARTERS:
            amount = draw(st.one_of(st.none(), st.integers(0, 6)))
            if amount is not None:
                supply_rows.append({"role": r, "level": "system", "area": SYSTEM, "period": q,
                                    "max_starters": str(amount)})
    s.tables["supply"] = _table(["role", "level", "area", "period", "max_starters"], supply_rows)

    target_rows = []
    for r in roles:
        for k in range(draw(st.integers(0, 2))):
            by_index = draw(st.integers(0, len(QUARTERS) - 1))
            until = draw(_optional(st.sampled_from(QUARTERS[by_index:])))
            target_rows.append({
                "target": f"{r}_{k + 1}", "role": r, "basis": "per_pcn",
                "quantity": draw(_grid(0, 8, 2)), "unit": draw(st.sampled_from(["headcount", "fte"])),
                "level": "pcn", "area": draw(_optional(st.sampled_from(pcns))), "by": QUARTERS[by_index],
                "until": until, "kind": "at_least", "priority": str(draw(st.integers(1, 3))),
                "penalty": draw(_grid(1, 5, 1)), "hard": "false",
            })
    s.tables["targets"] = _table(["target", "role", "basis", "quantity", "unit", "level", "area", "by", "until",
                                  "kind", "priority", "penalty", "hard"], target_rows)

    s.tables["arrs_years"] = _table(
        ["year", "entitlement_per_weighted_patient"],
        [{"year": y, "entitlement_per_weighted_patient": draw(_grid(100, 2500, 100))} for y in YEARS])

    arrs_rows = []
    for y in YEARS:
        for r in roles:
            if not draw(st.integers(0, 4)):
                continue  # not claimable this year
            cap = draw(_optional(_grid(0, 10, 2)))
            threshold = draw(_optional(st.sampled_from(["50000", "100000"]))) if cap else ""
            arrs_rows.append({
                "year": y, "role": r,
                "from_quarter": draw(_optional(st.sampled_from([q for q in QUARTERS if q.startswith(y)]))),
                "reimbursement_rate": draw(_grid(50, 100, 100)),
                "cap_per_wte": str(draw(st.integers(20_000, 70_000))),
                "max_wte_per_pcn": cap, "large_list_threshold": threshold,
                "max_wte_per_pcn_large": draw(_grid(0, 10, 2)) if threshold else "",
            })
    s.tables["arrs_roles"] = _table(["year", "role", "from_quarter", "reimbursement_rate", "cap_per_wte",
                                     "max_wte_per_pcn", "large_list_threshold", "max_wte_per_pcn_large"], arrs_rows)

    transition_rows = []
    if len(roles) >= 2 and draw(st.booleans()):
        from_role, to_role = draw(st.permutations(roles))[:2]
        transition_rows.append({
            "transition": "retrain", "from_role": from_role, "to_role": to_role,
            "lead_periods": str(draw(st.integers(0, 4))), "success_rate": draw(_grid(50, 100, 100)),
            "cost_per_person": str(draw(st.integers(0, 2000))),
            "max_per_period": draw(_optional(st.integers(0, 3).map(str))),
        })
    s.tables["transitions"] = _table(["transition", "from_role", "to_role", "lead_periods", "success_rate",
                                      "cost_per_person", "max_per_period"], transition_rows)

    demand_rows = []
    if draw(st.booleans()):
        level = draw(st.sampled_from(["system", "place", "pcn"]))
        area = {"system": SYSTEM, "place": PLACE, "pcn": draw(st.sampled_from(pcns))}[level]
        demand_rows.append({
            "level": level, "area": area, "from_period": draw(st.sampled_from(QUARTERS)),
            "appointments_per_patient": draw(_grid(0, 50, 100)), "annual_growth": draw(_grid(0, 10, 100)),
            "priority": str(draw(st.integers(1, 3))), "penalty": draw(_grid(1, 3, 1)),
        })
    s.tables["demand"] = _table(["level", "area", "from_period", "appointments_per_patient", "annual_growth",
                                 "priority", "penalty"], demand_rows)

    if use_budget:
        s.tables["budgets"] = _table(
            ["budget", "year", "level", "area", "amount"],
            [{"budget": "practice", "year": y, "level": "system", "area": SYSTEM,
              "amount": draw(_optional(st.integers(0, 50).map(lambda k: str(k * 10_000))))} for y in YEARS])
    return s


# --- hostile cell values ---------------------------------------------------------

HOSTILE_FIXED = [
    "", " ", "nan", "NaN", "inf", "-inf", "-1", "-0.0001", "1.5", "0", "1e400", "-1e400", "1e308", "1e-400",
    "10000001", "2019/20 Q5", "2019/2 Q1", "2023/24 Q1", "2019/20", "2020/21", "2020/21 Q4-Q1",
    "no_such_id", "=1+1", "=HYPERLINK(\"http://x\")", "true", "maybe", "1,5", "1_000", "0x10",
    "\uff11\uff12",  # full-width digits
    "\u03a9mega \u2713 \U0001f600", "caf\u00e9", "a\nb", "\"quoted\"", "x" * 10_000, "\x00", "\ufeff1",
]


def hostile_values() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(HOSTILE_FIXED), st.text(max_size=30))


@dataclass(frozen=True)
class Mutation:
    table: str
    row: int  # index into the table's rows: 0 is the header
    column: str
    value: str

    @property
    def line(self) -> int:
        """The row number a user sees (the header is row 1)."""
        return self.row + 1


@st.composite
def mutations(draw: st.DrawFn, scenario: GeneratedScenario) -> Mutation:
    tables = [t for t, rows in scenario.tables.items() if rows]
    table = draw(st.sampled_from(tables))
    rows = scenario.tables[table]
    # a data row, or the header one time in twenty (always, for a table with no rows)
    row = 0 if len(rows) == 1 or draw(st.integers(0, 19)) == 0 else draw(st.integers(1, len(rows) - 1))
    column = draw(st.sampled_from(rows[0]))
    return Mutation(table, row, column, draw(hostile_values()))


def apply(scenario: GeneratedScenario, mutation: Mutation) -> GeneratedScenario:
    tables = {name: [list(r) for r in rows] for name, rows in scenario.tables.items()}
    rows = tables[mutation.table]
    rows[mutation.row][rows[0].index(mutation.column)] = mutation.value
    return GeneratedScenario(tables, scenario.manifest)
