"""Plain words for what people read: money, dates, goal sentences and plan status.

Every output a person reads (console summaries, the report, the PCN pack,
explain, compare, sensitivity) takes its wording from here, so that a goal is
called the same thing everywhere and a number is written one way:

* money: ``GBP 1,234,567`` exactly (:func:`money`), or ``GBP 1.23m`` where
  space is short (:func:`money_short`); never ``GBP -0``;
* dates: the end of a period, ``2019/20 Q4`` -> ``March 2020`` (:func:`period_end`);
* goals: ``1 clinical pharmacist per PCN by March 2020`` (:func:`goal_name`) and
  ``...: met in 17 of 17 PCNs`` (:func:`target_attainment`).  Target cells (one
  per area and period) are never added up across areas or periods: a target is
  met in an area when no cell of that area falls short, and the worst single
  shortfall is reported;
* the plan's status from ``summary.json`` (``status``, ``proven_optimal``,
  ``levels``): ``best possible plan (proven)``, ``good plan, at most X from the
  best``, ``stopped early: ...`` or ``no plan: ...`` (:func:`plan_status`).

Solver terms (objective levels, bounds, gaps) stay in ``summary.json`` and
behind ``--verbose``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from wfplan.model import levels
from wfplan.scenario.periods import FinancialYear, PeriodError, Quarter

MONTH_ENDING = ("June", "September", "December", "March")
"""The month each financial-year quarter ends in (Q1 = Apr-Jun ... Q4 = Jan-Mar)."""

SHORTFALL_SHOWN = 0.005
"""Shortfalls smaller than this (LP rounding) read as met: they round to 0.00."""


# --- numbers and money ------------------------------------------------------------


def _finite(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def number(value: object, decimals: int = 2) -> str:
    """``1,234`` for whole numbers, else ``1,234.57``; blank for a missing value.

    A float that is a whole number up to rounding noise (``46502.200000000004``
    with ``decimals=2`` is ``46,502.20``) never shows the noise.
    """
    x = _finite(value)
    if x is None:
        return ""
    rounded = round(x, decimals)
    if rounded == 0:
        rounded = 0.0  # never '-0'
    if abs(rounded - round(rounded)) < 10 ** (-decimals - 1):
        return f"{round(rounded):,.0f}"
    return f"{rounded:,.{decimals}f}"


def money(value: object) -> str:
    """``GBP 1,234,567`` (to the pound; ``-GBP 1,234`` below zero; blank if missing)."""
    x = _finite(value)
    if x is None:
        return ""
    pounds = round(x)
    return f"-GBP {-pounds:,.0f}" if pounds < 0 else f"GBP {pounds:,.0f}"


def money_short(value: object) -> str:
    """``GBP 1.23m`` from a million up, else as :func:`money` (``GBP 950``)."""
    x = _finite(value)
    if x is None:
        return ""
    if abs(x) >= 999_500:
        text = f"GBP {abs(x) / 1e6:,.2f}m"
        return "-" + text if x < 0 else text
    return money(x)


def percent(value: object, decimals: int = 0) -> str:
    """``73%`` from a share (0.73); blank if missing."""
    x = _finite(value)
    return "" if x is None else f"{x * 100:.{decimals}f}%"


# --- periods ------------------------------------------------------------------------


def period_end(label: str) -> str:
    """The month a period ends: ``2019/20 Q4`` -> ``March 2020``, ``2019/20`` -> ``March 2020``.

    Anything that is not a period label is returned unchanged.
    """
    text = str(label).strip()
    try:
        quarter = Quarter.parse(text)
    except PeriodError:
        try:
            year = FinancialYear.parse(text)
        except PeriodError:
            return text
        return f"March {year.start + 1}"
    calendar_year = quarter.start_year + (1 if quarter.q == 4 else 0)
    return f"{MONTH_ENDING[quarter.q - 1]} {calendar_year}"


# --- role names and goal sentences --------------------------------------------------


def lower_first(name: str) -> str:
    """``Clinical pharmacist`` -> ``clinical pharmacist``; acronyms (``GP``) stay."""
    return name[:1].lower() + name[1:] if name[:2] != name[:2].upper() else name


def plural(name: str, count: float) -> str:
    """``clinical pharmacist`` -> ``clinical pharmacists`` unless ``count`` is 1.

    A bracketed note stays at the end (``general practitioners (excluding registrars)``);
    names that are already plural or collective (``... staff``, ``Unskilled``) stay.
    """
    if abs(float(count) - 1.0) < 1e-9:
        return name
    head, bracket, tail = name.partition(" (")
    if head.endswith(("s", "staff", "ed", "people")):
        return name
    return f"{head}s{bracket}{tail}"


@dataclass(frozen=True)
class Target:
    """What a goal sentence needs of a row of ``targets.csv``."""

    target: str
    role_name: str
    basis: str
    quantity: float
    unit: str = "headcount"
    population: float | None = None
    level: str = "pcn"
    area_name: str = ""
    by: str = ""
    until: str | None = None
    kind: str = "at_least"


def goal_name(t: Target) -> str:
    """The target in words, e.g. ``1 clinical pharmacist per PCN by March 2020``,
    ``3 FTE first contact physiotherapists per PCN by March 2024``,
    ``1 clinical pharmacist per 10,089 patients by March 2024``,
    ``exactly 1,000 unskilled in The company in March 2020``."""
    role = lower_first(t.role_name)
    quantity = number(t.quantity)
    what = f"{quantity} FTE {plural(role, 2)}" if t.unit == "fte" else f"{quantity} {plural(role, t.quantity)}"
    if t.kind == "exact":
        what = "exactly " + what
    where = {
        "per_pcn": " per PCN",
        "per_practice": " per practice",
        "per_population": f" per {number(t.population or 0, 0)} patients",
        "total": f" in {t.area_name}" if t.area_name else "",
    }.get(t.basis, "")
    if t.basis == "per_pcn" and t.level == "pcn" and t.area_name:
        where = f" in {t.area_name}"
    if t.until and t.until != t.by:
        when = f" from {period_end(t.by)} to {period_end(t.until)}"
    elif t.until:
        when = f" in {period_end(t.by)}"
    else:
        when = f" by {period_end(t.by)}"
    return f"{what}{where}{when}"


def _area_names(scenario) -> dict[tuple[str, str], str]:
    names: dict[tuple[str, str], str] = {("system", scenario.system): str(scenario.system)}
    places = scenario.table("places")
    names.update({("place", p): str(n) for p, n in zip(places["place"], places["name"], strict=True)})
    pcns = scenario.table("pcns")
    names.update({("pcn", p): str(n) for p, n in zip(pcns["pcn"], pcns["name"], strict=True)})
    return names


def scenario_targets(scenario) -> dict[str, Target]:
    """Every target of a validated scenario, by id, ready for :func:`goal_name`."""
    roles = scenario.table("roles")
    role_names = dict(zip(roles["role"], roles["name"], strict=True))
    areas = _area_names(scenario)
    out = {}
    for rec in scenario.table("targets").to_dict("records"):
        area = rec.get("area")
        area_name = areas.get((str(rec.get("level")), str(area)), str(area)) if area else ""
        out[str(rec["target"])] = Target(
            target=str(rec["target"]), role_name=str(role_names.get(rec["role"], rec["role"])),
            basis=str(rec["basis"]), quantity=float(rec["quantity"]), unit=str(rec.get("unit") or "headcount"),
            population=_finite(rec.get("population")), level=str(rec.get("level") or "pcn"), area_name=area_name,
            by=str(rec["by"]), until=rec.get("until") or None, kind=str(rec.get("kind") or "at_least"))
    return out


AREA_NOUN = {"pcn": ("PCN", "PCNs"), "place": ("place", "places"), "system": ("system", "systems")}


def target_attainment(goals: pd.DataFrame, scenario, areas: list[str] | None = None) -> pd.DataFrame:
    """One row per target: where it is met and its worst shortfall, with a sentence.

    ``goals`` is a plan's ``goals.csv`` (rows with ``goal == "target"`` are used);
    ``areas`` restricts the count to those areas (one PCN's page, say).  A
    target is *met in an area* when none of that area's cells (the periods from
    its ``by`` date on) falls short by :data:`SHORTFALL_SHOWN` or more.

    Columns: ``target``, ``name`` (:func:`goal_name`), ``level``, ``areas``,
    ``met`` (areas met), ``worst_area``, ``worst_area_name``, ``worst_period``,
    ``worst_shortfall``, ``required``, ``achieved`` (of the worst cell, or of
    the first cell when met), ``unit``, ``sentence``.
    """
    columns = ["target", "name", "level", "areas", "met", "worst_area", "worst_area_name", "worst_period",
               "worst_shortfall", "required", "achieved", "unit", "sentence"]
    if goals is None or goals.empty or "goal" not in goals:
        return pd.DataFrame(columns=columns)
    cells = goals[goals["goal"] == "target"]
    if areas is not None:
        cells = cells[cells["area"].astype(str).isin([str(a) for a in areas])]
    targets = scenario_targets(scenario)
    names = _area_names(scenario)
    rows = []
    for target_id, g in cells.groupby("id", sort=False):
        level = str(g["level"].iloc[0])
        shortfall = pd.to_numeric(g["shortfall"], errors="coerce").fillna(0.0)
        missed_areas = set(g.loc[shortfall >= SHORTFALL_SHOWN, "area"].astype(str))
        all_areas = list(dict.fromkeys(g["area"].astype(str)))
        worst = g.loc[shortfall.idxmax()] if len(missed_areas) else g.iloc[0]
        target = targets.get(str(target_id))
        name = goal_name(target) if target else str(target_id)
        unit = str(worst.get("unit", "headcount"))
        area_name = names.get((level, str(worst["area"])), str(worst["area"]))
        row = {"target": str(target_id), "name": name, "level": level, "areas": len(all_areas),
               "met": len(all_areas) - len(missed_areas), "worst_area": str(worst["area"]),
               "worst_area_name": area_name, "worst_period": str(worst["period"]),
               "worst_shortfall": float(shortfall.max()) if missed_areas else 0.0,
               "required": float(worst["required"]), "achieved": float(worst["achieved"]), "unit": unit}
        row["sentence"] = attainment_sentence(row)
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def shortfall_words(amount: float, unit: str) -> str:
    """``0.03 people short``, ``1 person short``, ``2.5 FTE short``."""
    if unit == "fte":
        return f"{number(amount)} FTE short"
    if unit == "headcount":
        return f"{number(amount)} {'person' if number(amount) == '1' else 'people'} short"
    return f"{number(amount)} {unit} short"


def attainment_sentence(row: Mapping[str, object]) -> str:
    """``NAME: met in 17 of 17 PCNs`` or ``NAME: missed in 1 of 17 PCNs; worst: AREA, 0.03 people short in
    March 2024``; a target of one area reads ``NAME: met`` / ``NAME: missed, 3 people short in March 2024``."""
    areas, met = int(row["areas"]), int(row["met"])  # type: ignore[call-overload]
    one, many = AREA_NOUN.get(str(row["level"]), ("area", "areas"))
    short = (f"{shortfall_words(float(row['worst_shortfall']), str(row['unit']))} "  # type: ignore[arg-type]
             f"in {period_end(str(row['worst_period']))}")
    if areas == 1:
        return f"{row['name']}: met" if met == 1 else f"{row['name']}: missed, {short}"
    noun = one if areas == 1 else many
    if met == areas:
        return f"{row['name']}: met in {met} of {areas} {noun}"
    return (f"{row['name']}: met in {met} of {areas} {noun}; worst: {row['worst_area_name']}, {short}")


# --- plan status --------------------------------------------------------------------


LEVEL_WORDS = {levels.BUDGET.name: "budget overruns", levels.CLAIMS.name: "ARRS claims", levels.COST.name: "cost",
               levels.REDUNDANCY.name: "redundancies", levels.FAIRNESS.name: "fairness between PCNs",
               levels.FEASIBILITY.name: "a plan that keeps every rule",
               levels.FAIR_SHARE.name: "fair shares (staff above twice a PCN's share of need)"}
"""What each level that is not a goal priority settles, in words."""

MONEY_LEVELS = (levels.COST.name, levels.CLAIMS.name, levels.BUDGET.name)
"""Levels whose values are GBP."""


def level_words(level: str) -> str:
    """What a solve level settles, in words (``p2`` -> ``priority-2 goals``)."""
    known = levels.CATALOGUE.get(level)
    if known is not None and known.kind == levels.LevelKind.GOAL:
        return f"priority-{known.priority} goals"
    return LEVEL_WORDS.get(level, level.replace("_", " "))


def is_goal_level(level: str) -> bool:
    """Whether a level is a goal priority (p1 .. p9)."""
    known = levels.CATALOGUE.get(level)
    return known is not None and known.kind == levels.LevelKind.GOAL


def _level_amount(level: str, amount: float) -> str:
    if level in MONEY_LEVELS:
        return money_short(amount)
    return number(amount, 0 if amount >= 100 else 2)


def plan_status(summary: Mapping[str, object]) -> str:
    """The plan's status in words, from ``summary.json``.

    * proven optimal: ``best possible plan (proven)``;
    * a plan whose unproven levels all have a bound: ``good plan, at most X from
      the best`` with X the largest gap, in the level's own units and as a share
      (``good plan, at most GBP 2.95m (7.3%) from the best on cost``);
    * a plan with a level that has no bound: ``stopped early: ...`` saying which;
    * no plan: ``no plan: ...`` (the rules conflict, or the solver failed).
    """
    status = str(summary.get("status", "unknown"))
    if status == "infeasible":
        return "no plan: the rules conflict (run `wfplan diagnose` to see which)"
    if status not in ("optimal", "feasible"):
        message = str(summary.get("message") or "").strip()
        return f"no plan: the solver stopped ({status}{': ' + message if message else ''})"
    if summary.get("proven_optimal"):
        return "best possible plan (proven)"
    levels = [rec for rec in (summary.get("levels") or []) if isinstance(rec, Mapping)]
    open_levels = [rec for rec in levels if rec.get("status") != "optimal"]
    if not open_levels:
        return "good plan (not proven the best)"
    parts, stopped = [], False
    for rec in open_levels:
        level = str(rec.get("level"))
        objective, bound, gap = (_finite(rec.get(k)) for k in ("objective", "bound", "gap"))
        if bound is None or gap is None:
            stopped = True
            parts.append(f"no proof of how close {level_words(level)} {'are' if level_words(level).endswith('s') else 'is'} "
                         "to the best")
            continue
        if objective is None:
            amount = percent(gap, 1)
        elif abs(bound) <= 1e-9:  # a share of nothing says nothing: the amount alone
            amount = _level_amount(level, abs(objective - bound))
        else:
            amount = f"{_level_amount(level, abs(objective - bound))} ({percent(gap, 1)})"
        parts.append(f"at most {amount} from the best on {level_words(level)}")
    return ("stopped early: a good plan; " if stopped else "good plan, ") + "; ".join(parts)


def plan_status_short(summary: Mapping[str, object]) -> str:
    """A status that fits a table cell: ``best (proven)``, ``good, within 7.4%``, ``stopped early``, ``no plan``."""
    status = str(summary.get("status", "unknown"))
    if status not in ("optimal", "feasible"):
        return "no plan"
    if summary.get("proven_optimal"):
        return "best (proven)"
    gaps = [_finite(rec.get("gap")) for rec in (summary.get("levels") or []) if isinstance(rec, Mapping)
            and rec.get("status") != "optimal"]
    if any(g is None for g in gaps):
        return "stopped early"
    return f"good, within {percent(max(gaps), 1)}" if gaps else "good"


def plan_found(summary: Mapping[str, object]) -> bool:
    return str(summary.get("status")) in ("optimal", "feasible")


def ranges(labels: list[str], order: list[str]) -> str:
    """Compress period labels into runs: ``2022/23 Q1 to 2022/23 Q3, 2023/24 Q1``."""
    position = {lab: i for i, lab in enumerate(order)}
    idx = sorted({position[lab] for lab in labels if lab in position})
    if not idx:
        return ""
    runs, start, prev = [], idx[0], idx[0]
    for i in idx[1:] + [None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        runs.append(order[start] if start == prev else f"{order[start]} to {order[prev]}")
        if i is not None:
            start = prev = i
    return ", ".join(runs)
