"""Export the NHS England GPFV workforce checkpoint workbook (``wfplan export checkpoint``).

One sheet per area (one for the system at system level) laid out like the
template NHS England approved (``seeds/002:1828-1883``, ``shared/domain.md``
section 4): the Inflows block (staff group, source, headcount for the earlier
span and Q1-Q4, year total, participation rate, FTE), the Outflows block (the
template's label "Planned inflow" over the outflow FTE total is kept), and the
Rolling total block (historic quarters, net flow, forecast, Q1-Q4, plan,
growth).  Entered figures are values; calculated fields are live formulas, so
the workbook still adds up after someone edits a headcount in Excel.  Where
the engine's net flow spans more than the earlier column (a plan's later
years), net flow and forecast are written as prepopulated values instead.

For a plan directory, one more sheet per financial year shows ARRS use per
PCN and role (claimed WTE, claims, entitlement, headroom).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from wfplan.errors import Problem, ScenarioError, display_path
from wfplan.files import excel_style as st
from wfplan.results import trajectory as tj
from wfplan.results.plan_reader import is_plan_dir, read_plan_directory, read_plan_flows
from wfplan.results.plan_tables import load_scenario_or_plan
from wfplan.scenario import Scenario
from wfplan.scenario.periods import FinancialYear, PeriodError, Quarter, parse_span

CATEGORY = {"GP": "GP", "Nurses": "Clinical", "Direct Patient Care": "Clinical",
            "Physician Associates": "Clinical", "Pharmacists": "Clinical", "Admin": "Non Clinical"}
# flow block columns: A group, B source, C earlier, D-G Q1-Q4, H total, I rate, J earlier FTE, K-N, O
HC_COLS, RATE_COL, FTE_OFFSET = (3, 4, 5, 6, 7, 8), 9, 7
# rolling block columns: D-I historic (last historic in I), J net flow, K forecast, L-O Q1-Q4, P plan, Q growth
HIST_SLOTS, NET, FORECAST, Q1, PLAN, GROWTH = 6, 10, 11, 12, 16, 17
TOLERANCE = 1e-6


@dataclass
class CheckpointResult:
    """What was written: sheet names, the financial year, and notes for the user."""

    sheets: list[str]
    year: str
    notes: list[str]


def _col(index: int) -> str:
    return get_column_letter(index)


def _sum(column: int, rows: list[int]) -> str:
    """``SUM(K10:K15)`` over rows (contiguous runs become ranges); ``K10`` for one; ``0`` for none."""
    if not rows:
        return "0"
    rows = sorted(rows)
    runs, start = [], rows[0]
    for prev, cur in zip(rows, [*rows[1:], None], strict=True):
        if cur != prev + 1:
            runs.append(f"{_col(column)}{start}" + (f":{_col(column)}{prev}" if prev != start else ""))
            start = cur
    return runs[0] if len(runs) == 1 and ":" not in runs[0] else f"SUM({','.join(runs)})"


def _net(column: int, plus: list[int], minus: list[int]) -> str:
    """``SUM(ins)-SUM(outs)`` without empty terms (``0`` when there are no flows)."""
    if not plus and not minus:
        return "0"
    return (_sum(column, plus) if plus else "") + (f"-{_sum(column, minus)}" if minus else "")


def _year_labels(fy: FinancialYear) -> tuple[str, str]:
    return FinancialYear(fy.start - 1).label, fy.label


def _earlier_label(spans: pd.Series, prev: str, word: str) -> str:
    """The earlier column's heading in the seed's wording: '2018/19 Inflows Oct-Mar'."""
    labels = sorted({s for text in spans if text for s in str(text).split(", ")})
    if len(labels) == 1:
        first, last = parse_span(labels[0])
        return f"{first.year.label} {word} {first.months[:3]}-{last.months[-3:]}"
    return f"{prev} {word}"


def _short_quarter(label: str) -> str:
    q = Quarter.parse(label)
    return f"{q.start_year % 100:02d}-{(q.start_year + 1) % 100:02d} Q{q.q}"


def _flow_block(ws: Worksheet, row: int, block: pd.DataFrame, fy: FinancialYear, direction: str,
                role_names: dict[str, str]) -> tuple[int, dict[str, list[int]]]:
    """Write one flow block from ``row``; return the next free row and the rows of each staff group."""
    prev, this = _year_labels(fy)
    noun = "Inflow" if direction == "inflow" else "Outflow"
    st.text(ws, row, 1, f"{noun}s", font=st.BOLD)
    st.header(ws, row, 3, "Headcount")
    st.header(ws, row, 10, "FTE")
    plural = "Inflows" if direction == "inflow" else "Outflow"
    heads = {3: _earlier_label(block.get("earlier_span", pd.Series(dtype=str)), prev, plural), 4: f"{this} {noun}", 8: f"{this} Planned {direction}",
             9: "Participation rate", 10: f"{prev} {plural}", 11: f"{this} {noun}",
             15: f"{this} Planned inflow"}
    for column, label in heads.items():
        st.header(ws, row + 1, column, label)
    if direction == "outflow":
        ws.cell(row=row + 1, column=15).comment = Comment(
            "Label as printed in the NHSE template (as reproduced in the Norfolk and Waveney STP Primary Care Strategy "
            "2019/20-2023/24, Appendix 5, outflows table): this column is the planned outflow FTE total.",
            "wfplan")
    st.header(ws, row + 2, 1, "Staff group")
    st.header(ws, row + 2, 2, "Source" if direction == "inflow" else "Reason")
    for i in range(4):
        st.header(ws, row + 2, 4 + i, f"Q{i + 1}")
        st.header(ws, row + 2, 11 + i, f"Q{i + 1}")
    row += 3
    groups: dict[str, list[int]] = {}
    integral = all(float(v).is_integer() for c in ("earlier_headcount", "Q1_headcount", "Q2_headcount",
                                                   "Q3_headcount", "Q4_headcount") for v in block.get(c, []))
    hc_format = "#,##0" if integral else "#,##0.00"
    for _, rec in block.iterrows():
        group = rec["staff_group"]
        if group not in groups:
            st.text(ws, row, 1, group, font=st.BOLD)
        groups.setdefault(group, []).append(row)
        multi = block.loc[block["staff_group"] == group, "role"].nunique() > 1
        label = f"{role_names.get(rec['role'], rec['role'])}: {rec['label']}" if multi else rec["label"]
        st.text(ws, row, 2, label)
        values = [rec["earlier_headcount"]] + [rec[f"Q{i}_headcount"] for i in range(1, 5)]
        for column, value in zip((3, 4, 5, 6, 7), values, strict=True):
            value = float(value)
            st.number(ws, row, column, int(value) if value.is_integer() else value, st.ENTER, hc_format)
        st.number(ws, row, 8, f"=SUM(D{row}:G{row})", st.CALCULATED, hc_format)
        st.number(ws, row, RATE_COL, float(rec["participation_rate"]), st.ENTER, "General")
        for column in HC_COLS:
            st.number(ws, row, column + FTE_OFFSET, f"={_col(column)}{row}*$I{row}", st.CALCULATED)
        row += 1
    return row + 1, groups


def _rolling_block(ws: Worksheet, row: int, rolling: pd.DataFrame, fy: FinancialYear,
                   inflow: dict[str, list[int]], outflow: dict[str, list[int]],
                   flows: dict[str, pd.DataFrame], notes: list[str]) -> int:
    prev, this = _year_labels(fy)
    hist_cols = [c for c in rolling.columns if c.startswith("hist ") and rolling[c].notna().any()][-HIST_SLOTS:]
    st.text(ws, row, 1, "Rolling total FTE", font=st.BOLD)
    st.header(ws, row, 4, "Historic Trend - FTE")
    st.header(ws, row, NET, "Forecast Plan - FTE")
    heads = {NET: f"{prev} Net Flow", FORECAST: f"{prev} Forecast", PLAN: f"{this} Plan", GROWTH: "Growth"}
    heads.update({Q1 + i: f"Q{i + 1}" for i in range(4)})
    first_hist = 4 + HIST_SLOTS - len(hist_cols)
    heads.update({first_hist + i: _short_quarter(c.removeprefix("hist ")) for i, c in enumerate(hist_cols)})
    for column, label in heads.items():
        st.header(ws, row + 1, column, label)
    row += 2
    for i, (_, rec) in enumerate(rolling.iterrows()):
        group = rec["staff_group"]
        if i == 0:
            st.text(ws, row, 1, "Rolling Total", font=st.BOLD)
        st.text(ws, row, 2, CATEGORY.get(group, "Other"))
        st.text(ws, row, 3, group)
        hist = [rec[c] for c in hist_cols]
        for j, value in enumerate(hist):
            st.number(ws, row, first_hist + j, None if pd.isna(value) else float(value), st.ENTER)
        ins, outs = inflow.get(group, []), outflow.get(group, [])
        # net flow and forecast as formulas when they give the engine's figures
        fin, fout = flows["inflow"], flows["outflow"]
        by_formula = (float(fin.loc[fin["staff_group"] == group, "earlier_fte"].sum())
                      - float(fout.loc[fout["staff_group"] == group, "earlier_fte"].sum()))
        if math.isclose(by_formula, rec["net_flow"], abs_tol=TOLERANCE):
            st.number(ws, row, NET, f"={_net(10, ins, outs)}", st.CALCULATED)
        else:
            cell = st.number(ws, row, NET, float(rec["net_flow"]), st.PREPOPULATED)
            cell.comment = Comment(f"Net flow over {rec['net_flow_span'] or 'no quarters'}, computed by wfplan: "
                                   "it spans more than the earlier column above.", "wfplan")
            notes.append(f"{group}: net flow written as a value (it spans more than the earlier column)")
        last = hist[-1] if hist and not pd.isna(hist[-1]) else 0.0
        if math.isclose(last + rec["net_flow"], rec["forecast"], abs_tol=TOLERANCE):
            st.number(ws, row, FORECAST, f"=I{row}+J{row}", st.CALCULATED)
        else:
            st.number(ws, row, FORECAST, float(rec["forecast"]), st.PREPOPULATED)
            notes.append(f"{group}: forecast written as a value (its last historic quarter is not the last shown)")
        for i in range(4):
            flow_col = 11 + i
            change = _net(flow_col, ins, outs)
            change = "" if change == "0" else change if change.startswith("-") else f"+{change}"
            st.number(ws, row, Q1 + i, f"={_col(Q1 + i - 1)}{row}{change}", st.CALCULATED)
        st.number(ws, row, PLAN, f"=O{row}", st.CALCULATED)
        st.number(ws, row, GROWTH, f'=IFERROR(P{row}/K{row}-1,"")', st.CALCULATED, st.PERCENT_FORMAT)
        row += 1
    return row + 1


def _ordered_block(block: pd.DataFrame, scenario: Scenario, direction: str) -> pd.DataFrame:
    if block.empty:
        return block
    role_order = {r: i for i, r in enumerate(scenario.table("roles")["role"])}
    types = scenario.table("flow_types")
    flow_order = {(r, d, f): i for i, (r, d, f) in enumerate(zip(types["role"], types["direction"], types["flow"],
                                                                    strict=True))}
    group_order = {g: i for i, g in enumerate(tj.GROUP_ORDER)}
    keys = block.apply(lambda r: (group_order.get(r["staff_group"], 99), role_order.get(r["role"], 999),
                                  flow_order.get((r["role"], direction, r["flow"]), 999)), axis=1)
    return block.assign(_k=keys).sort_values("_k", kind="stable").drop(columns="_k").reset_index(drop=True)


def _area_names(scenario: Scenario) -> dict[tuple[str, str], str]:
    names = {("system", scenario.system): f"{scenario.system} (system)"}
    places = scenario.table("places")
    names.update({("place", p): f"{n} (place)" for p, n in zip(places["place"], places["name"], strict=True)})
    pcns = scenario.pcns
    names.update({("pcn", p): f"{n} (PCN)" for p, n in zip(pcns["pcn"], pcns["name"], strict=True)})
    return names


def _sheet_name(wb: Workbook, wanted: str) -> str:
    base = "".join(c for c in wanted if c not in "[]:*?/\\'")[:31] or "sheet"
    name, n = base, 2
    while name in wb.sheetnames:
        suffix = f"~{n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    return name


def _area_sheet(wb: Workbook, scenario: Scenario, traj: tj.Trajectory, level: str, area: str, fy: FinancialYear,
                title: str, source: str, notes: list[str]) -> str:
    ws = wb.create_sheet(_sheet_name(wb, area))
    st.text(ws, 1, 1, f"GPFV workforce trajectory: {title}", font=st.TITLE_FONT)
    st.text(ws, 2, 1, f"{fy.label}; {scenario.name}; written by wfplan from {source}")
    row = st.legend(ws, 3, 4) + 1
    role_names = dict(zip(scenario.roles["role"], scenario.roles["name"], strict=True))
    rows: dict[str, dict[str, list[int]]] = {}
    blocks: dict[str, pd.DataFrame] = {}
    for direction in ("inflow", "outflow"):
        block = tj.year_block(traj, fy.label, direction)
        if not block.empty:
            block = block[(block["level"] == level) & (block["area"] == area)]
        blocks[direction] = _ordered_block(block.reset_index(drop=True), scenario, direction)
        row, rows[direction] = _flow_block(ws, row, blocks[direction], fy, direction, role_names)
    rolling = traj.rolling[(traj.rolling["level"] == level) & (traj.rolling["area"] == area)
                           & (traj.rolling["year"] == fy.label)]
    area_notes: list[str] = []
    _rolling_block(ws, row, rolling, fy, rows["inflow"], rows["outflow"], blocks, area_notes)
    notes.extend(f"{ws.title}: {n}" for n in area_notes)
    st.widths(ws, {"A": 20, "B": 44, **{_col(c): 12 for c in range(3, 18)}})
    ws.freeze_panes = "C1"
    return ws.title


def _arrs_sheets(wb: Workbook, scenario: Scenario, plan: pd.DataFrame, arrs: pd.DataFrame) -> list[str]:
    """One sheet per financial year: claimed WTE and claims per PCN and role, entitlement, headroom
    (from a validated plan directory's plan.csv and arrs.csv)."""
    pcns = scenario.pcns
    roles = scenario.roles
    names = []
    for year in sorted(set(arrs["year"])):
        in_year = plan[plan["year"] == year]
        periods = max(in_year["period"].nunique(), 1)
        claimed = in_year[in_year["arrs_claim_wte"] > 0]
        role_ids = [r for r in roles.index if r in set(claimed["role"])]
        ws = wb.create_sheet(_sheet_name(wb, f"ARRS {year.replace('/', '-')}"))
        names.append(ws.title)
        st.text(ws, 1, 1, f"ARRS use {year}: claims against entitlement per PCN", font=st.TITLE_FONT)
        st.text(ws, 2, 1, f"WTE = claimed WTE averaged over the year's {periods} plan period(s); money in GBP "
                          "(plan.csv, arrs.csv)")
        st.legend(ws, 3, 4)
        head = ["PCN", "Name", "Place"] + [f"{roles.loc[r, 'name']} WTE" for r in role_ids]
        head += [f"{roles.loc[r, 'name']} claims" for r in role_ids]
        head += ["Total claims", "Entitlement", "Headroom", "Entitlement used"]
        for c, label in enumerate(head, start=1):
            st.header(ws, 7, c, label)
        n = len(role_ids)
        total_col, ent_col = 4 + 2 * n, 5 + 2 * n
        sums = in_year.groupby(["pcn", "role"])[["arrs_claim_wte", "arrs_claim_gbp"]].sum()
        year_arrs = arrs[arrs["year"] == year].set_index("pcn")
        row = 8
        for pcn in [p for p in pcns.index if p in year_arrs.index]:
            st.text(ws, row, 1, pcn)
            st.text(ws, row, 2, pcns.loc[pcn, "name"])
            st.text(ws, row, 3, pcns.loc[pcn, "place"])
            for i, role in enumerate(role_ids):
                wte, gbp = sums.loc[(pcn, role)] if (pcn, role) in sums.index else (0.0, 0.0)
                st.number(ws, row, 4 + i, float(wte) / periods, st.PREPOPULATED)
                st.number(ws, row, 4 + n + i, float(gbp), st.PREPOPULATED, st.GBP_FORMAT)
            claims = f"=SUM({_col(4 + n)}{row}:{_col(3 + 2 * n)}{row})" if n else "=0"
            st.number(ws, row, total_col, claims, st.CALCULATED, st.GBP_FORMAT)
            st.number(ws, row, ent_col, float(year_arrs.loc[pcn, "entitlement"]), st.PREPOPULATED, st.GBP_FORMAT)
            st.number(ws, row, ent_col + 1, f"={_col(ent_col)}{row}-{_col(total_col)}{row}", st.CALCULATED,
                      st.GBP_FORMAT)
            st.number(ws, row, ent_col + 2, f'=IFERROR({_col(total_col)}{row}/{_col(ent_col)}{row},"")',
                      st.CALCULATED, st.PERCENT_FORMAT)
            row += 1
        st.text(ws, row, 1, "Total", font=st.BOLD)
        for c in range(4, ent_col + 2):
            fmt = st.FTE_FORMAT if c < 4 + n else st.GBP_FORMAT
            st.number(ws, row, c, f"=SUM({_col(c)}8:{_col(c)}{row - 1})", st.CALCULATED, fmt).font = st.BOLD
        st.number(ws, row, ent_col + 2, f'=IFERROR({_col(total_col)}{row}/{_col(ent_col)}{row},"")',
                  st.CALCULATED, st.PERCENT_FORMAT).font = st.BOLD
        st.widths(ws, {"A": 18, "B": 30, "C": 14, **{_col(c): 14 for c in range(4, ent_col + 3)}})
        ws.freeze_panes = "D8"
    return names


def build_checkpoint(path: Path, level: str = "system", year: str | None = None) -> tuple[Workbook, CheckpointResult]:
    """Build the checkpoint workbook for a scenario, workbook or plan directory (nothing written)."""
    path = Path(path)
    plan_dir = read_plan_directory(path, tables=("plan", "arrs")) if is_plan_dir(path) else None
    scenario, flows, historic = read_plan_flows(plan_dir) if plan_dir is not None else load_scenario_or_plan(path)
    if scenario.horizon is not None and scenario.horizon.step != "quarter" and flows is not None:
        raise ScenarioError(Problem(display_path(path), "the checkpoint template is quarterly; this plan's "
                                    "horizon is in years"))
    try:
        traj = tj.compute(scenario, level=level, flows=flows, historic=historic)
    except PeriodError as exc:
        raise ScenarioError(Problem(display_path(path), f"flows are not quarterly: {exc}")) from None
    if traj.rolling.empty:
        raise ScenarioError(Problem(display_path(path), "no planned flows: nothing to put in the template"))
    years = sorted(set(traj.rolling["year"]))
    chosen = FinancialYear.parse(year).label if year else years[0]
    if chosen not in years:
        raise ScenarioError(Problem(display_path(path), f"no quarterly flows in {chosen}; years with flows: "
                                    f"{', '.join(years)}"))
    fy = FinancialYear.parse(chosen)
    wb = Workbook()
    wb.remove(wb.active)
    names = _area_names(scenario)
    source = ("plan directory " if flows is not None else "scenario ") + path.name
    notes = list(traj.notes)
    sheets = []
    areas = traj.rolling[traj.rolling["year"] == chosen][["level", "area"]].drop_duplicates()
    order = {lv: i for i, lv in enumerate((level, *[lv for lv in tj.LEVELS if lv != level]))}
    areas = sorted(areas.itertuples(index=False), key=lambda a: order[a.level])
    for a in areas:
        sheets.append(_area_sheet(wb, scenario, traj, a.level, a.area, fy, names.get((a.level, a.area), a.area),
                                  source, notes))
    if plan_dir is not None:
        sheets += _arrs_sheets(wb, scenario, plan_dir.table("plan"), plan_dir.table("arrs"))
    return wb, CheckpointResult(sheets, chosen, notes)


def export_checkpoint(path: Path, out: Path, level: str = "system", year: str | None = None,
                      force: bool = False) -> CheckpointResult:
    """Write the checkpoint workbook to ``out`` atomically."""
    from wfplan.files.output import atomic_file

    wb, result = build_checkpoint(path, level=level, year=year)
    with atomic_file(out, force=force) as staging:
        wb.save(staging)
    return result
