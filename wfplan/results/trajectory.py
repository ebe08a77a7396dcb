"""The stock-flow engine behind the NHS England GPFV workforce trajectory template.

From planned headcount flows (inflows by source, outflows by reason), each
flow's participation rate and historic FTE, compute what the checkpoint
template computes (``shared/domain.md`` section 4, ``seeds/002:1828-1883``):

* FTE = headcount x the flow's participation rate, per cell;
* the financial year's headcount and FTE totals (Q1..Q4; the earlier span
  column is not in the total);
* net flow of the span between the last historic quarter and the year;
* forecast = last historic FTE + that net flow;
* each quarter = previous + FTE inflows - FTE outflows; plan = Q4;
  growth = plan / forecast - 1.

It works for any number of years, per PCN, place and system: flows given at a
finer level roll up; figures are never apportioned down.  Values are kept
unrounded; presentation rounds (2 decimals, growth to 0.1%).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wfplan.scenario import Scenario
from wfplan.scenario.column_types import StaffGroup
from wfplan.scenario.periods import FinancialYear, Quarter, parse_span, span_label

LEVELS = ("pcn", "place", "system")
GROUP_ORDER = [g.value for g in StaffGroup]


@dataclass
class Trajectory:
    """The template's three blocks for every area and year, as tidy DataFrames.

    ``flows``: one row per area, role, flow and period column (headcount, FTE).
    ``rolling``: one row per area, staff group and year: historic quarters,
    net flow, forecast, Q1-Q4, plan and growth (FTE).
    """

    level: str
    flows: pd.DataFrame
    rolling: pd.DataFrame
    notes: list[str]


def _area_map(scenario: Scenario, level: str) -> dict[tuple[str, str], tuple[str, str]]:
    """Map (data level, area) to the (level, area) it is reported under at ``level``."""
    pcns = scenario.pcns
    mapping: dict[tuple[str, str], tuple[str, str]] = {("system", scenario.system): ("system", scenario.system)}
    for place in scenario.areas("place"):
        mapping[("place", place)] = ("place", place) if level in ("place", "pcn") else ("system", scenario.system)
    for pcn, row in pcns.iterrows():
        target = {"pcn": ("pcn", pcn), "place": ("place", row["place"]), "system": ("system", scenario.system)}
        mapping[("pcn", pcn)] = target[level]
    return mapping


def flow_table(
    flows: pd.DataFrame,
    flow_types: pd.DataFrame,
    roles: pd.DataFrame,
) -> pd.DataFrame:
    """Attach participation rates, staff groups and FTE to planned headcount flows.

    ``flows`` has columns level, area, role, direction, flow, period, headcount.
    """
    rates = flow_types[["role", "direction", "flow", "label", "participation_rate"]]
    out = flows.merge(rates, on=["role", "direction", "flow"], how="left", validate="many_to_one")
    out["staff_group"] = out["role"].map(roles.set_index("role")["staff_group"])
    out["fte"] = out["headcount"] * out["participation_rate"]
    spans = out["period"].map(parse_span)
    out["first_q"] = [a.index for a, _ in spans]
    out["last_q"] = [b.index for _, b in spans]
    return out


def compute(
    scenario: Scenario,
    level: str = "system",
    flows: pd.DataFrame | None = None,
    historic: pd.DataFrame | None = None,
    years: list[str] | None = None,
) -> Trajectory:
    """Compute the trajectory of a scenario (or of given flows, e.g. from a plan).

    ``years`` (financial year labels) are reported even where no flow falls in
    them, e.g. every year of a plan's horizon; by default the years with
    quarterly flows.  Every area and staff group with flows or historic FTE
    gets a row for each year.
    """
    flows = scenario.table("planned_flows") if flows is None else flows
    historic = scenario.table("historic_fte") if historic is None else historic
    table = flow_table(flows, scenario.table("flow_types"), scenario.table("roles"))
    notes: list[str] = []
    mapping = _area_map(scenario, level)

    def reported(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        targets = [mapping[(lv, ar)] for lv, ar in zip(df["level"], df["area"], strict=True)]
        df["level"] = [t[0] for t in targets]
        df["area"] = [t[1] for t in targets]
        return df

    table = reported(table)
    coarser = sorted({lv for lv in table["level"]} - {level})
    if coarser:
        notes.append(
            f"some flows are only known at {', '.join(coarser)} level and are reported there, not apportioned"
        )
    hist = historic.copy()
    if len(hist):
        hist = reported(hist)
        hist["staff_group"] = hist["role"].map(scenario.table("roles").set_index("role")["staff_group"])
        hist["q"] = hist["quarter"].map(lambda s: Quarter.parse(s).index)
    starts = None if years is None else sorted(FinancialYear.parse(y).start for y in years)
    return Trajectory(level, _flow_rows(table), _rolling(table, hist, starts), notes)


def _flow_rows(table: pd.DataFrame) -> pd.DataFrame:
    keys = ["level", "area", "staff_group", "role", "direction", "flow", "label",
            "participation_rate", "period", "first_q", "last_q"]
    out = table.groupby(keys, sort=False, dropna=False)[["headcount", "fte"]].sum().reset_index()
    out["year"] = out["last_q"].map(lambda i: Quarter(i).year.label)
    return out.sort_values(["level", "area", "direction", "first_q"], kind="stable").reset_index(drop=True)


def _rolling(table: pd.DataFrame, hist: pd.DataFrame, years: list[int] | None = None) -> pd.DataFrame:
    """One row per (area, staff group, reported year) with the template's rolling totals.

    ``years`` (start years) are the years to report; by default those with
    quarterly flows (not only an earlier span)."""
    if table.empty and (years is None or not len(hist)):
        return pd.DataFrame()
    sign = np.where(table["direction"] == "inflow", 1.0, -1.0)
    table = table.assign(net=table["fte"] * sign)
    if years is None:
        quarterly = table[table["first_q"] == table["last_q"]]
        years = sorted({Quarter(i).year.start for i in quarterly["first_q"]})
    all_hist = sorted(set(hist["q"])) if len(hist) else []
    records = []
    keys = ["level", "area", "staff_group"]
    with_flows = list(table[keys].drop_duplicates().itertuples(index=False, name=None))
    with_stock = list(hist[keys].drop_duplicates().itertuples(index=False, name=None)) if len(hist) else []
    for level, area, group in dict.fromkeys(with_flows + with_stock):
        g = table[(table["level"] == level) & (table["area"] == area) & (table["staff_group"] == group)]
        h = hist[(hist["level"] == level) & (hist["area"] == area) & (hist["staff_group"] == group)] if len(hist) else hist
        hq = h.groupby("q")["fte"].sum() if len(h) else pd.Series(dtype=float)
        for start in years:
            fy = FinancialYear(start)
            first_q = Quarter.first_of(fy).index
            before = hq[hq.index < first_q]
            last_hist = int(before.index.max()) if len(before) else None
            base = float(before.loc[last_hist]) if last_hist is not None else 0.0
            span_from = (last_hist + 1) if last_hist is not None else int(g["first_q"].min()) if len(g) else first_q
            in_span = g[(g["last_q"] >= span_from) & (g["last_q"] < first_q)]
            net_span = float(in_span["net"].sum())
            forecast = base + net_span
            record = {
                "level": level, "area": area, "staff_group": group, "year": fy.label,
                "net_flow_span": _span_text(span_from, first_q - 1),
                "net_flow": net_span, "forecast": forecast,
            }
            shown = [q for q in all_hist if q < first_q][-6:]
            for q_index in shown:
                record[f"hist {Quarter(q_index).label}"] = float(hq.get(q_index, np.nan))
            stock = forecast
            for i, quarter in enumerate(fy.quarters, start=1):
                cell = g[(g["first_q"] == quarter.index) & (g["last_q"] == quarter.index)]
                stock += float(cell["net"].sum())
                record[f"Q{i}"] = stock
            record["plan"] = stock
            record["growth"] = stock / forecast - 1 if forecast else np.nan
            records.append(record)
    out = pd.DataFrame.from_records(records)
    out["group_order"] = out["staff_group"].map({g: i for i, g in enumerate(GROUP_ORDER)})
    return out.sort_values(["level", "area", "year", "group_order"], kind="stable").drop(columns="group_order").reset_index(drop=True)


def _span_text(first: int, last: int) -> str:
    """Label of the quarters from ``first`` to ``last`` ('' when empty)."""
    if first > last:
        return ""
    if Quarter(first).year == Quarter(last).year:
        return span_label(Quarter(first), Quarter(last))
    return f"{Quarter(first).label} to {Quarter(last).label}"


def year_block(traj: Trajectory, year: str, direction: str) -> pd.DataFrame:
    """The template's inflow or outflow block for one year: one row per flow.

    Columns: area, staff_group, role, flow, label, participation_rate, the
    earlier span column, Q1..Q4 and the year total, in headcount then FTE.
    """
    fy = FinancialYear.parse(year)
    f = traj.flows[traj.flows["direction"] == direction]
    first_q = Quarter.first_of(fy).index
    rows = []
    keys = ["level", "area", "staff_group", "role", "flow", "label", "participation_rate"]
    for key, g in f.groupby(keys, sort=False):
        rec = dict(zip(keys, key, strict=True))
        earlier = g[(g["last_q"] < first_q) & (g["last_q"] >= first_q - 4)]
        rec["earlier_span"] = ", ".join(sorted(set(earlier["period"])))
        rec["earlier_headcount"] = float(earlier["headcount"].sum())
        for i, quarter in enumerate(fy.quarters, start=1):
            cell = g[(g["first_q"] == quarter.index) & (g["last_q"] == quarter.index)]
            rec[f"Q{i}_headcount"] = float(cell["headcount"].sum())
        rec["year_headcount"] = sum(rec[f"Q{i}_headcount"] for i in range(1, 5))
        rate = rec["participation_rate"]
        rec["earlier_fte"] = rec["earlier_headcount"] * rate
        for i in range(1, 5):
            rec[f"Q{i}_fte"] = rec[f"Q{i}_headcount"] * rate
        rec["year_fte"] = rec["year_headcount"] * rate
        rows.append(rec)
    columns = [*keys, "earlier_span", "earlier_headcount", *(f"Q{i}_headcount" for i in range(1, 5)),
               "year_headcount", "earlier_fte", *(f"Q{i}_fte" for i in range(1, 5)), "year_fte"]
    return pd.DataFrame.from_records(rows, columns=columns)
