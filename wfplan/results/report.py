"""A planning report people can read: one self-contained HTML file (``wfplan report``).

From a plan directory (read by :class:`wfplan.results.plan_view.PlanView`: ``summary.json``,
``plan.csv``, ``arrs.csv``, ``goals.csv``, ``budgets.csv``, optional
``binding.csv`` and the exact inputs in ``scenario/``): the plan's status and
headline figures in words (:mod:`wfplan.results.words`; solver detail only with
``verbose``), staff-in-post trajectories by staff group and by role with the
target lines (inline SVG charts), recruits and staff by PCN and role, staff
per 10,000 weighted patients by PCN, ARRS budget use and headroom per PCN and
year, each target as "met in N of M PCNs" with its worst shortfall, and what
binds (``binding.csv`` from ``wfplan explain``, else the limits the plan
reaches, read off the plan).  No scripts, fonts, images or style sheets are
fetched: CSS is inline, charts are inline SVG with text kept as text.  Tables
are as wide as the page and wrap, so no column is cut off on screen or on A4.
The same plan gives a byte-identical file (no dates; fixed SVG ids).
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from wfplan.message_text import html_text
from wfplan.results import words
from wfplan.results.charts import small_multiples, staff_with_targets
from wfplan.results.plan_view import PlanView, area_name, limits_reached, recruits, summarise_limits
from wfplan.results.trajectory import GROUP_ORDER
from wfplan.scenario import Scenario

MAX_ROWS = 60
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1a1a1a;
max-width:1150px;margin:0 auto;padding:1.5rem;line-height:1.45;font-size:15px}
h1{font-size:1.7rem;margin:.2rem 0}h2{font-size:1.3rem;border-bottom:2px solid #1f4e79;padding-bottom:.2rem;
margin-top:2.2rem}h3{font-size:1.05rem;margin-bottom:.3rem}
nav{background:#f2f5f9;padding:.5rem 1rem;border-radius:6px}nav a{margin-right:1rem;color:#1f4e79}
.cards{display:flex;flex-wrap:wrap;gap:.6rem}.card{border:1px solid #c9d3df;border-radius:6px;padding:.5rem .8rem;
min-width:150px}.card b{display:block;font-size:1.25rem}.card span{color:#555;font-size:.85rem}
.bad b{color:#a00000}.ok b{color:#2e6b1f}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem}th,td{border:1px solid #d0d7e1;
padding:.2rem .45rem;vertical-align:top}th{background:#1f4e79;color:#fff;text-align:left}td.n{text-align:right;
font-variant-numeric:tabular-nums}tr:nth-child(even) td{background:#f7f9fb}
table.fit{width:100%;table-layout:fixed}table.fit th,table.fit td{overflow-wrap:anywhere}table.fit td.n{overflow-wrap:normal}table.fit th:first-child{width:22%}
ul.goals li{margin:.15rem 0}.met{color:#2e6b1f;font-weight:600}.missed{color:#a00000;font-weight:600}
figure{margin:.5rem 0 1.2rem}figure svg{max-width:100%;height:auto}figcaption{color:#555;font-size:.85rem}
.note{color:#555;font-size:.85rem}span.used{display:block;padding:0 .2rem;font-weight:600}.scroll{overflow-x:auto}
@page{size:A4;margin:14mm}
@media print{body{max-width:none;padding:0;font-size:10pt}nav{display:none}h2{break-after:avoid}
figure,.cards{break-inside:avoid}tr{break-inside:avoid}tr:nth-child(even) td{background:none}
.scroll{overflow:visible}table{width:100%;table-layout:fixed;font-size:8pt}th,td{overflow-wrap:anywhere}
td.n{overflow-wrap:normal}
th{background:#fff;color:#000;border-bottom:2px solid #000}}
"""


_e = html_text
"""HTML text of a value: escaped, control characters shown as escapes (never raw in the page)."""


def _num(value: float, decimals: int = 1) -> str:
    return "" if value is None or pd.isna(value) else f"{value:,.{decimals}f}"


def _gbp(value: float) -> str:
    return words.money(value)  # 'GBP 1,234,567', as everywhere people read money; never 'GBP -0'


def _table(frame: pd.DataFrame, numeric: set[str] | None = None, raw: set[str] | None = None,
           fit: bool = False) -> str:
    """An HTML table; ``numeric`` columns right-aligned, ``raw`` columns already HTML; ``fit``: as wide as
    the page with columns that wrap (never cut off on screen or on A4)."""
    numeric, raw = numeric or set(), raw or set()
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    body = []
    for _, rec in frame.iterrows():
        cells = []
        for c in frame.columns:
            value = rec[c] if c in raw else _e(rec[c]).replace("_", "_<wbr>")  # long ids may wrap at '_'
            cells.append(f'<td class="n">{value}</td>' if c in numeric else f"<td>{value}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    table = '<table class="fit">' if fit else "<table>"
    return f'<div class="scroll">{table}<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _cards(items: list[tuple[str, str, str]]) -> str:
    return '<div class="cards">' + "".join(
        f'<div class="card {cls}"><span>{_e(label)}</span><b>{_e(value)}</b></div>' for label, value, cls in items
    ) + "</div>"


def _headline(view: PlanView, verbose: bool = False) -> str:
    """Status in words, money, goals as 'met in N of M' and the plan's notes; solver detail with ``verbose``."""
    summary = view.summary
    totals = summary.get("totals", {})
    proven = bool(summary.get("proven_optimal"))
    items = [
        ("Plan", words.plan_status(summary), "ok" if proven else "bad"),
        ("Horizon", f"{summary.get('horizon', {}).get('start', '')} to {summary.get('horizon', {}).get('end', '')}", ""),
        ("PCNs / roles", f"{summary.get('pcns', '')} / {len(summary.get('roles', []))}", ""),
    ]
    attained = words.target_attainment(view.goals, view.scenario)
    if len(attained):
        everywhere = int((attained["met"] == attained["areas"]).sum())
        items.append(("Targets met in every area", f"{everywhere} of {len(attained)}",
                      "ok" if everywhere == len(attained) else "bad"))
    demand = view.goals[view.goals["goal"] == "demand"] if len(view.goals) else view.goals
    if len(demand):
        share = float(demand["achieved"].clip(upper=demand["required"]).sum() / max(demand["required"].sum(), 1e-9))
        items += [("Appointments met over the plan", words.percent(share), ""),
                  ("Appointments unmet", words.number(demand["shortfall"].sum(), 0), "")]
    if totals:
        items += [("Starters", words.number(totals.get("starters"), 1), ""),
                  ("Leavers", words.number(totals.get("leavers"), 1), ""),
                  ("Employment cost", words.money_short(totals.get("employment_cost")), ""),
                  ("ARRS claims", words.money_short(totals.get("arrs_claims")), ""),
                  ("Budget overrun", words.money_short(totals.get("budget_overrun")),
                   "bad" if totals.get("budget_overrun") else "")]
    if totals.get("released"):
        items.insert(-3, ("Released (redundancy)", words.number(totals.get("released"), 3), ""))
    out = [_cards(items)]
    if verbose:
        by_level = summary.get("objective_by_level", {})
        levels = pd.DataFrame([{"level": rec.get("level"), "status": rec.get("status"),
                                "objective": _num(by_level.get(rec.get("level"), rec.get("objective")), 4),
                                "bound": _num(rec.get("bound"), 4),
                                "gap": "" if rec.get("gap") is None else f"{float(rec['gap']):.4%}"}
                               for rec in summary.get("levels", [])])
        out.append(f"<h3>Solver detail</h3><p class=\"note\">{_e(summary.get('solver', ''))}: "
                   f"{_e(summary.get('status', ''))}; {_e(summary.get('message', ''))}</p>")
        if len(levels):
            out.append(_table(levels, numeric={"objective", "bound", "gap"}))
    notes = summary.get("notes") or []
    if notes:
        out.append("<h3>Notes</h3><ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    return "\n".join(out)


def _role_targets(goals: pd.DataFrame, role: str) -> pd.Series:
    """A role's target per period over every area: per area the highest of its headcount targets, added up
    (the staff needed for every area to meet its targets)."""
    if goals.empty:
        return pd.Series(dtype=float)
    cells = goals[(goals["goal"] == "target") & (goals["role"] == role) & (goals["unit"] == "headcount")]
    if cells.empty:
        return pd.Series(dtype=float)
    return cells.groupby(["area", "period"], sort=False)["required"].max().groupby("period", sort=False).sum()


def _trajectories(plan: pd.DataFrame, scenario: Scenario, goals: pd.DataFrame | None = None) -> str:
    periods = list(dict.fromkeys(plan["period"]))
    by_group = plan.groupby(["staff_group", "period"])["staff_fte"].sum()
    groups = sorted((g for g in set(plan["staff_group"]) if by_group.loc[g].abs().sum() > 0),
                    key=lambda g: GROUP_ORDER.index(g) if g in GROUP_ORDER else 99)
    series = {"All staff (system total)": plan.groupby("period")["staff_fte"].sum()}
    if len(groups) > 1:
        series.update({g: by_group.loc[g] for g in groups})
    names = dict(zip(scenario.roles["role"], scenario.roles["name"], strict=True))
    by_role = plan.groupby(["role", "period"])["staff_fte"].sum()
    roles = [r for r in dict.fromkeys(plan["role"]) if by_role.loc[r].abs().sum() > 0]
    idle = [names.get(r, r) for r in dict.fromkeys(plan["role"]) if r not in roles]
    out = ["<h3>By staff group</h3><figure>", small_multiples(series, periods, "groups", "FTE"),
           "<figcaption>Staff in post (FTE) at the end of each period, all PCNs together.</figcaption></figure>"]
    if roles:
        goals = goals if goals is not None else pd.DataFrame()
        heads = plan.groupby(["role", "period"])["staff_headcount"].sum()
        chart = staff_with_targets({names.get(r, r): heads.loc[r] for r in roles},
                                   {names.get(r, r): _role_targets(goals, r) for r in roles}, periods,
                                   salt="roles", ylabel="people", width_in=10.8, columns=3, panel_height_in=2.0)
        out += ["<h3>By role, with the targets</h3><figure>", chart,
                "<figcaption>People in post by role, all PCNs together (solid), and the targets (dashed): each "
                "PCN's target added up, so the line is what every PCN meeting its target needs.</figcaption>"
                "</figure>"]
    if idle:
        out.append(f'<p class="note">No staff in post at any time: {_e(", ".join(idle))}.</p>')
    ends = [p for p in periods if p.endswith("Q4") or " Q" not in p]
    if periods and periods[-1] not in ends:
        ends.append(periods[-1])
    table = pd.DataFrame({"staff group": list(series)})
    for p in ends:
        table[p] = [_num(series[name].get(p, np.nan)) for name in series]
    out.append("<h3>Staff in post (FTE) at each year end</h3>" + _table(table, numeric=set(ends)))
    return "\n".join(out)


def _per_patients(plan: pd.DataFrame, scenario: Scenario) -> str:
    last = list(dict.fromkeys(plan["period"]))[-1]
    first = plan["period"].iloc[0]
    pcns = scenario.pcns
    end = plan[plan["period"] == last].pivot_table(index="pcn", columns="staff_group", values="staff_fte",
                                                   aggfunc="sum")
    start = plan[plan["period"] == first].groupby("pcn")["staff_fte"].sum()
    present = [g for g in end.columns if end[g].abs().sum() > 0]
    groups = [g for g in GROUP_ORDER if g in present] + [g for g in present if g not in GROUP_ORDER]
    places = dict(zip(scenario.table("places")["place"], scenario.table("places")["name"], strict=True))
    shown = [p for p in pcns.index if p in end.index]
    weighted = pcns.loc[shown, "weighted_list"].astype(float)
    rates = end.loc[shown, groups].div(weighted.where(weighted > 0), axis=0) * 10_000
    all_end = end.loc[shown].sum(axis=1) / weighted.where(weighted > 0) * 10_000
    all_start = start.reindex(shown).fillna(0.0) / weighted.where(weighted > 0) * 10_000
    median_end = float(all_end.median())

    def per(value: float) -> str:
        return _num(value, 2) if pd.notna(value) else "n/a"

    rows = []
    for pcn in shown:
        rec = {"PCN": pcns.loc[pcn, "name"], "place": places.get(pcns.loc[pcn, "place"], pcns.loc[pcn, "place"]),
               "weighted patients": _num(weighted[pcn], 0) + (" *" if pcns.loc[pcn, "weighted_is_estimate"] else ""),
               f"all staff {first}": per(all_start[pcn]), f"all staff {last}": per(all_end[pcn]),
               "vs median": (_num(all_end[pcn] / median_end, 2) + "x") if median_end > 0 and pd.notna(all_end[pcn])
               else "n/a"}
        rec.update({g: per(rates.loc[pcn, g]) for g in groups})
        rows.append(rec)
    median = {"PCN": "median PCN", "place": "", "weighted patients": _num(float(weighted.median()), 0),
              f"all staff {first}": per(float(all_start.median())), f"all staff {last}": per(median_end),
              "vs median": "1.00x"}
    median.update({g: per(float(rates[g].median())) for g in groups})
    rows.append(median)
    frame = pd.DataFrame(rows)
    note = ('<p class="note">FTE per 10,000 weighted patients; staff groups at the end of ' + _e(last)
            + '. "vs median": the PCN\'s staff per patient at the end against the median PCN\'s. '
            + "* weighted list not given: the registered list is used.</p>")
    return note + _table(frame, numeric=set(frame.columns) - {"PCN", "place"})


def _budget(arrs: pd.DataFrame, budgets: pd.DataFrame, scenario: Scenario) -> str:
    out = []
    if arrs.empty:
        out.append("<p>No ARRS entitlement in this plan (no ARRS years in its horizon).</p>")
    else:
        names = scenario.pcns["name"].to_dict()
        years = sorted(set(arrs["year"]))
        rows = []
        for pcn, g in arrs.groupby("pcn", sort=False):
            rec = {"PCN": _e(names.get(pcn, pcn))}
            for _, r in g.iterrows():
                used = r["claims"] / r["entitlement"] if r["entitlement"] > 0 else np.nan
                shade = "" if np.isnan(used) else f' style="background:hsl(210,60%,{97 - 35 * min(used, 1):.0f}%)"'
                rec[r["year"]] = (f'<span class="used"{shade}>{"no entitlement" if np.isnan(used) else _num(used * 100, 0) + "% used"}</span>'
                                  f"{_gbp(r['claims'])} of {_gbp(r['entitlement'])}<br>headroom {_gbp(r['headroom'])}")
            rows.append(rec)
        total = arrs.groupby("year")[["entitlement", "claims", "headroom"]].sum()
        rows.append({"PCN": "<b>All PCNs</b>", **{
            y: f"<b>{words.money_short(total.loc[y, 'claims'])} of {words.money_short(total.loc[y, 'entitlement'])}"
               f"</b><br>headroom {words.money_short(total.loc[y, 'headroom'])}" for y in years}})
        frame = pd.DataFrame(rows, columns=["PCN", *years]).fillna("")
        out.append("<h3>ARRS entitlement: claims and headroom per PCN and year</h3>"
                   + _table(frame, numeric=set(years), raw={"PCN", *years}, fit=True))
    if not budgets.empty:
        shown = budgets.assign(amount=budgets["amount"].map(lambda v: "unlimited" if pd.isna(v) else _gbp(v)),
                               spend=budgets["spend"].map(_gbp), overrun=budgets["overrun"].map(_gbp))
        out.append("<h3>Other named budgets</h3>" + _table(shown, numeric={"amount", "spend", "overrun"}))
    return "\n".join(out)


def _goals(view: PlanView) -> str:
    """Each target as a sentence, 'met in N of M PCNs' with the worst shortfall (target cells are never
    added up across areas or periods), each demand goal as the share of appointments met."""
    goals = view.goals
    if goals.empty:
        return "<p>This plan has no targets or demand goals.</p>"
    out = []
    attained = words.target_attainment(goals, view.scenario)
    if len(attained):
        items = []
        for rec in attained.to_dict("records"):
            cls = "met" if rec["met"] == rec["areas"] else "missed"
            items.append(f'<li><span class="{cls}">{"Met" if cls == "met" else "Missed"}</span>: '
                         f"{_e(rec['sentence'])}</li>")
        out.append('<h3>Targets</h3><ul class="goals">' + "".join(items) + "</ul>")
    demand = goals[goals["goal"] == "demand"]
    if len(demand):
        rows = []
        for (level, area), g in demand.groupby(["level", "area"], sort=False):
            met = g["achieved"].clip(upper=g["required"]).sum() / max(g["required"].sum(), 1e-9)
            worst = g.loc[(g["shortfall"] / g["required"].where(g["required"] > 0, 1)).idxmax()]
            rows.append({"area": view.place_names.get(str(area), view.pcn_names.get(str(area), str(area)))
                         if level != "system" else "the whole system",
                         "needed over the plan": words.number(g["required"].sum(), 0),
                         "met": words.percent(met),
                         "worst quarter": f"{words.percent(1 - worst['shortfall'] / max(worst['required'], 1e-9))} "
                                          f"met in {worst['period']}"})
        out.append("<h3>Appointments</h3>" + _table(pd.DataFrame(rows), numeric={"needed over the plan", "met"}))
    missed = goals[goals["shortfall"] > 0].sort_values(["shortfall", "id", "area", "period"],
                                                       ascending=[False, True, True, True])
    if missed.empty:
        out.append("<p><b>Every goal is met.</b></p>")
    else:
        names = dict(zip(attained["target"], attained["name"], strict=True)) if len(attained) else {}
        head = missed.head(MAX_ROWS)
        shown = pd.DataFrame({
            "goal": [names.get(i, "appointments" if g == "demand" else i) for g, i in zip(head["goal"], head["id"],
                                                                                           strict=True)],
            "area": [area_name(view, str(lv), str(a)) for lv, a in zip(head["level"], head["area"], strict=True)],
            "period": head["period"], "unit": head["unit"].replace({"headcount": "people"}),
            **{c: head[c].map(lambda v: _num(v, 2)) for c in ("required", "achieved", "shortfall")}})
        more = f" (largest {MAX_ROWS} of {len(missed)})" if len(missed) > MAX_ROWS else ""
        out.append(f"<h3>Each shortfall, by area and quarter{more}</h3>"
                   + _table(shown, numeric={"required", "achieved", "shortfall"}))
    return "\n".join(out)


def _binding(view: PlanView) -> str:
    """binding.csv when ``wfplan explain`` wrote one; else the limits read off the plan, and how to get values."""
    if view.binding is not None:
        frame = view.binding
        more = f" Showing the first {MAX_ROWS} of {len(frame)} rows." if len(frame) > MAX_ROWS else ""
        return f'<p class="note">From binding.csv (wfplan explain).{more}</p>' + _table(frame.head(MAX_ROWS))
    if view.plan.empty:
        return "<p>No plan, so no limits to show.</p>"
    lines = summarise_limits(view, limits_reached(view))
    how = ("<p class=\"note\">What each limit is worth (how much more could be met with one more starter or "
           "GBP 10,000) needs <code>wfplan explain PLAN_DIR</code>: it writes binding.csv into the plan "
           "directory, and this report then shows it here.</p>")
    if not lines:
        return ("<p>The plan reaches none of its limits (supply, ARRS entitlement, ARRS caps, budgets): what it "
                "misses, it misses for goals of higher priority or lower cost.</p>" + how)
    shown = "".join(f"<li>{_e(line)}</li>" for line in lines[:MAX_ROWS])
    more = f"<p class=\"note\">... and {len(lines) - MAX_ROWS} more.</p>" if len(lines) > MAX_ROWS else ""
    return ("<p>Limits the plan reaches, read off the plan itself:</p><ul>" + shown + "</ul>" + more + how)


def _by_pcn(view: PlanView) -> str:
    """Per PCN: whole-people recruits by role over the plan, and staff in post by role at the end."""
    roles = [r for r in dict.fromkeys(view.plan["role"]) if view.plan.loc[view.plan["role"] == r,
                                                                           ["starters", "staff_headcount"]].to_numpy().any()]
    names = [view.role_names.get(r, r) for r in roles]
    hires_rows, staff_rows = [], []
    end = view.periods[-1]
    whole = view.integer
    for pcn in view.pcns:
        hires = recruits(view, pcn)
        staff = view.pcn_plan(pcn)
        staff = staff[staff["period"].astype(str) == end].groupby("role")["staff_headcount"].sum()
        hires_rows.append({"PCN": view.pcn_names.get(pcn, pcn),
                           **{n: str(int(hires.loc[r].sum())) if r in hires.index else "0" for r, n in zip(roles, names, strict=True)},
                           "all roles": str(int(hires.to_numpy().sum()))})
        staff_rows.append({"PCN": view.pcn_names.get(pcn, pcn),
                           **{n: words.number(staff.get(r, 0.0), 0 if whole else 1) for r, n in zip(roles, names, strict=True)},
                           "all roles": words.number(staff.reindex(roles).sum(), 0 if whole else 1)})
    numeric = {*names, "all roles"}
    note = "" if whole else " Rounded from a plan in fractional people, keeping each PCN's totals."
    return ("<h3>Recruits over the plan (whole people)</h3>" + _table(pd.DataFrame(hires_rows), numeric=numeric, fit=True)
            + f'<p class="note">Starters {view.periods[0]} to {end}.{note} For each PCN\'s quarter-by-quarter plan, '
              "one printable page each: <code>wfplan pack PLAN_DIR</code>.</p>"
            + f"<h3>Staff in post in {_e(words.period_end(end))} (people)</h3>"
            + _table(pd.DataFrame(staff_rows), numeric=numeric, fit=True))


def build_report(plan_dir: Path, verbose: bool = False) -> str:
    """The report's HTML text for a plan directory (``verbose`` adds the solver's levels, bounds and gaps)."""
    view = PlanView.read(plan_dir)
    scenario, summary, plan = view.scenario, view.summary, view.plan
    sections = [("headline", "Headline", _headline(view, verbose))]
    if plan.empty:
        sections.append(("trajectories", "Trajectories", "<p>No plan was found (see the status above).</p>"))
    else:
        sections += [("trajectories", "Staff in post trajectories", _trajectories(plan, scenario, view.goals)),
                     ("by-pcn", "Recruits and staff by PCN and role", _by_pcn(view)),
                     ("per-patient", "Staff per 10,000 weighted patients by PCN", _per_patients(plan, scenario)),
                     ("budget", "Budget use and headroom", _budget(view.arrs, view.budgets, scenario)),
                     ("goals", "Goal attainment and shortfalls", _goals(view))]
    sections.append(("binding", "What binds", _binding(view)))
    nav = "".join(f'<a href="#{key}">{_e(title)}</a>' for key, title, _ in sections)
    body = "\n".join(f'<section id="{key}"><h2>{_e(title)}</h2>\n{content}\n</section>'
                     for key, title, content in sections)
    title = f"Workforce plan: {scenario.name}"
    footer = (f'<footer class="note"><p>Written by wfplan {_e(version("wfplan"))} from plan directory '
              f'{_e(Path(plan_dir).name)}; input checksum {_e(summary.get("input_checksum", ""))}.</p></footer>')
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{_e(title)}</title>\n'
            f"<style>{CSS}</style>\n</head>\n<body>\n<header><h1>{_e(title)}</h1>"
            f'<p class="note">{_e(words.plan_status(summary))}</p>'
            f"</header>\n<nav>{nav}</nav>\n{body}\n{footer}\n</body>\n</html>\n")


def write_report(plan_dir: Path, out: Path, force: bool = False, verbose: bool = False) -> None:
    """Write the report atomically."""
    from wfplan.files.output import atomic_file

    text = build_report(plan_dir, verbose)
    with atomic_file(out, force=force) as staging:
        staging.write_text(text, encoding="utf-8")
