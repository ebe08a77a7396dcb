"""The PCN planning pack (``wfplan pack``): one printable A4-landscape page per PCN.

Each page answers what a PCN meeting asks of the plan, for that PCN:

* ARRS: entitlement, claims and headroom per year (and why entitlement is
  unused, when the plan says);
* whom to recruit: whole people by role and quarter, and staff in post by role
  at the start and each year end;
* the targets: met or missed, and why (the limits the plan reaches: supply,
  entitlement, caps, budgets; or ``wfplan explain``'s values when the plan
  directory has ``binding.csv``);
* appointments: the PCN's share of the demand goal and what its staff provide;
* what changes under the what-if plans given with ``--what-if``;
* a chart of staff in post by role with the target lines.

The file is self-contained HTML that opens offline: inline CSS and SVG, no
scripts, fonts or images fetched.  Print CSS sets A4 landscape with a page
break after each PCN; tables have fixed layouts that wrap text rather than
cut columns, so every year column is on the page.  The same plan gives the
same bytes.
"""

from __future__ import annotations

import html
import math
import re
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from wfplan.errors import Problem, ScenarioError, display_path
from wfplan.message_text import html_text
from wfplan.results import words
from wfplan.results.charts import staff_with_targets
from wfplan.results.plan_view import (
    PlanView,
    arrs_years,
    demand_share,
    limits_reached,
    recruits,
    staff_in_post,
    why_missed,
)

CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1a1a1a;margin:0;
background:#e8ebef;font-size:6.8pt;line-height:1.18}
.page{width:297mm;min-height:210mm;margin:6mm auto;padding:7mm 8mm;background:#fff;box-shadow:0 1px 4px #0003;
display:grid;grid-template-columns:54% 46%;grid-template-rows:auto 1fr;column-gap:5mm;row-gap:2mm}
header{grid-column:1/3;border-bottom:2px solid #1f4e79;padding-bottom:1.5mm;display:flex;justify-content:space-between;
align-items:flex-end;gap:4mm;font-size:6.8pt}
h1{font-size:12pt;margin:0;color:#1f4e79}header p{margin:.6mm 0 0}.status{text-align:right;max-width:50%}
h2{font-size:1.2em;margin:.65em 0 .25em;color:#1f4e79;border-bottom:1px solid #c9d3df}
.col{min-width:0}
table{border-collapse:collapse;width:100%;table-layout:fixed;margin:0 0 .4em}
th,td{border:1px solid #d0d7e1;padding:.12em .33em;vertical-align:top;overflow-wrap:anywhere}
th{background:#1f4e79;color:#fff;text-align:left;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
th.role{width:29%}tr.total td{font-weight:700;background:#f2f5f9}
ul.targets{list-style:none;margin:0;padding:0}ul.targets li{margin:0 0 .25em;padding-left:4.6em;text-indent:-4.6em}
.met,.missed{display:inline-block;width:4.2em;text-indent:0;font-weight:700;border-radius:2px;text-align:center;
margin-right:.4em}.met{background:#e2efda;color:#2e6b1f}.missed{background:#f8dada;color:#a00000}
.why{color:#444}
figure{margin:.2em 0}figure svg{width:100%;height:auto;max-height:26em}figcaption{color:#555}
.note{color:#555;margin:.2em 0}
@page{size:A4 landscape;margin:0}
@media print{body{background:#fff}.page{margin:0;box-shadow:none;break-after:page;page-break-after:always;
break-inside:avoid}.page:last-child{break-after:auto;page-break-after:auto}th{-webkit-print-color-adjust:exact;
print-color-adjust:exact}.met,.missed,tr.total td{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


_e = html_text
"""HTML text of a value: escaped, control characters shown as escapes (never raw in the page)."""


def _people(value: float, whole: bool) -> str:
    return words.number(value, 0 if whole else 1)


def _table(headers: list[str], rows: list[list[str]], numeric_from: int = 1, total: bool = False,
           first_class: str = "role") -> str:
    """A fixed-layout table (cells already HTML); columns from ``numeric_from`` on are right-aligned."""
    head = "".join(f'<th class="{first_class if i == 0 else ("n" if i >= numeric_from else "")}">{h}</th>'
                   for i, h in enumerate(headers))
    body = []
    for j, row in enumerate(rows):
        cls = ' class="total"' if total and j == len(rows) - 1 else ""
        cells = "".join(f'<td class="n">{c}</td>' if i >= numeric_from else f"<td>{c}</td>" for i, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# --- sections -------------------------------------------------------------------------


def _arrs_section(view: PlanView, pcn: str) -> str:
    table = arrs_years(view, pcn)
    if table.empty:
        return "<h2>ARRS money</h2><p>No ARRS entitlement in this plan's years.</p>"
    years = [str(y) for y in table.index]
    rows = [["Entitlement", *[words.money(table.loc[y, "entitlement"]) for y in table.index]],
            ["Claimed (recommended)", *[words.money(table.loc[y, "claims"]) for y in table.index]],
            ["Headroom (unused)", *[words.money(table.loc[y, "headroom"]) for y in table.index]],
            ["Share used", *[words.percent(table.loc[y, "used"]) for y in table.index]]]
    out = "<h2>ARRS money per year</h2>" + _table(["", *[_e(y) for y in years]], rows)
    if "unused_reason" in table and table["unused_reason"].astype(str).str.strip().any():
        reasons = [f"<b>{_e(y)}</b>: {_e(r)}" for y, r in table["unused_reason"].items() if str(r).strip()]
        out += '<p class="note">Why entitlement is unused: ' + "; ".join(reasons) + "</p>"
    return out


def _quarters_text(counts: pd.Series) -> str:
    """``Q1 <b>2</b> · Q3 <b>1</b>`` for the quarters of one year with recruits."""
    parts = [f"{_e(str(p).split(' ')[-1])}&nbsp;<b>{int(v)}</b>" for p, v in counts.items() if v]
    return " · ".join(parts)


def _roles_section(view: PlanView, pcn: str) -> str:
    hires = recruits(view, pcn)
    staff = staff_in_post(view, pcn)
    roles = [r for r in staff.index if hires.loc[r].sum() > 0 or staff.loc[r].abs().sum() > 1e-9]
    idle = [view.role_names.get(r, r) for r in staff.index if r not in roles]
    year_of = dict(zip(view.plan["period"].astype(str), view.plan["year"].astype(str), strict=False))
    years = view.years
    rows = []
    for role in roles:
        by_year = [_quarters_text(hires.loc[role, [p for p in hires.columns if year_of.get(p) == y]]) for y in years]
        rows.append([_e(view.role_names.get(role, role)), *by_year, f"<b>{int(hires.loc[role].sum())}</b>"])
    rows.append(["All roles", *[str(int(hires[[p for p in hires.columns if year_of.get(p) == y]].to_numpy().sum()))
                                for y in years], str(int(hires.to_numpy().sum()))])
    whole = view.integer
    note = "" if whole else " Rounded from a plan in fractional people, keeping its totals to date."
    out = ["<h2>Recruit: whole people by quarter</h2>",
           _table(["Role", *[_e(y) for y in years], "Total"], rows, total=True),
           f'<p class="note">Quarter and starters (Q1 = Apr-Jun ... Q4 = Jan-Mar).{note}</p>']
    ends = [c for c in staff.columns if c != "start"]
    srows = [[_e(view.role_names.get(r, r)), _people(staff.loc[r, "start"], whole),
              *[_people(staff.loc[r, c], whole) for c in ends]] for r in roles]
    fte = staff_in_post(view, pcn, "staff_fte")
    srows.append(["All roles (FTE)", words.number(fte["start"].sum(), 1),
                  *[words.number(fte[c].sum(), 1) for c in ends]])
    start_label = f"Start ({_e(words.period_end(view.start_label))})" if view.start_label else "Start"
    out += ["<h2>Staff in post (people)</h2>",
            _table(["Role", start_label, *[_e(words.period_end(c)) for c in ends]], srows, total=True)]
    if idle:
        named = f": {', '.join(idle)}" if len(idle) <= 4 else ""
        out.append(f'<p class="note">{len(idle)} other {"role has" if len(idle) == 1 else "roles have"} no staff '
                   f"and no recruits here{_e(named)}.</p>")
    return "\n".join(out)


def _demand_section(view: PlanView, pcn: str) -> str:
    table = demand_share(view, pcn)
    if table.empty:
        return ""
    rows = [["Appointments needed (this PCN's share)", *[words.number(v, 0) for v in table["needed"]]],
            ["Provided by the planned roles", *[words.number(v, 0) for v in table["provided"]]],
            ["Share met", *[words.percent(v) for v in table["met"]]]]
    return ("<h2>Appointments (demand)</h2>" + _table(["", *[_e(y) for y in table.index]], rows)
            + '<p class="note">This PCN\'s share of the area\'s goal, by registered list.</p>')


def _targets_section(view: PlanView, pcn: str, limits: pd.DataFrame) -> str:
    scenario = view.scenario
    place = str(scenario.pcns.loc[pcn, "place"])
    table = words.target_attainment(view.goals, scenario, areas=[pcn, place, scenario.system])
    if table.empty:
        return "<h2>Targets</h2><p>No targets apply to this PCN.</p>"
    targets = scenario.table("targets").set_index("target")
    items = []
    for rec in table.to_dict("records"):
        wide = "" if rec["level"] == "pcn" else f" (for {_e(rec['worst_area_name'])} as a whole)"
        if rec["met"] == rec["areas"]:
            items.append(f'<li><span class="met">Met</span>{_e(rec["name"])}{wide}</li>')
            continue
        role = str(targets.loc[rec["target"], "role"]) if rec["target"] in targets.index else ""
        short = words.shortfall_words(rec["worst_shortfall"], rec["unit"])
        reasons = why_missed(view, limits, pcn, role, rec["worst_period"])
        why = ("Limits reached: " + "; ".join(reasons)) if reasons else (
            "No limit is reached: goals of higher priority, or lower cost, came first")
        if not view.summary.get("proven_optimal", True):
            why += " (and this plan is not proven the best)"
        items.append(f'<li><span class="missed">Missed</span>{_e(rec["name"])}{wide}: {_e(short)} in '
                     f'{_e(words.period_end(rec["worst_period"]))}. <span class="why">{_e(why)}.</span></li>')
    return "<h2>Targets</h2><ul class=\"targets\">" + "".join(items) + "</ul>"


def _chart(view: PlanView, pcn: str) -> str:
    plan = view.pcn_plan(pcn)
    goals = view.goals
    cells = goals[(goals["goal"] == "target") & (goals["area"].astype(str) == pcn) & (goals["unit"] == "headcount")] \
        if len(goals) else goals
    by_role = plan.pivot_table(index="period", columns="role", values="staff_headcount", aggfunc="sum", sort=False)
    targeted = set(cells["role"]) if len(cells) else set()
    roles = [r for r in dict.fromkeys(plan["role"]) if r in targeted or by_role[r].abs().sum() > 1e-9]
    if not roles:
        return ""
    shown = sorted(roles, key=lambda r: (r not in targeted, -float(by_role[r].max())))[:MAX_PANELS]
    roles = [r for r in roles if r in shown]  # roles with targets first, then the most staff; in plan order
    staff = {view.role_names.get(r, r): by_role[r] for r in roles}
    targets = {view.role_names.get(r, r): cells[cells["role"] == r].groupby("period")["required"].max()
               for r in roles if r in targeted}
    chart = staff_with_targets(staff, targets, view.periods, salt=f"pack-{pcn}", ylabel="people",
                               width_in=5.2, columns=3, panel_height_in=0.72, font_size=5.5)
    more = len([r for r in dict.fromkeys(plan["role"]) if r in targeted or by_role[r].abs().sum() > 1e-9]) \
        - len(roles)
    others = f" {more} more roles with staff are in the tables." if more > 0 else ""
    return ("<h2>Staff in post and targets</h2><figure>" + chart
            + f"<figcaption>People in post at each quarter end (solid) and the target (dashed).{others}"
              "</figcaption></figure>")


MAX_PANELS = 9
"""Roles drawn in a PCN's chart: those with targets first, then those with the most staff."""


def _what_if_section(view: PlanView, pcn: str, others: list[PlanView]) -> str:
    if not others:
        return ('<h2>What if</h2><p class="note">No what-if plans given: add <code>--what-if PLAN_DIR</code> (a plan '
                "of a what-if scenario, e.g. examples/what_if_pay_award) to show what changes here.</p>")
    scenario = view.scenario
    place = str(scenario.pcns.loc[pcn, "place"])

    def figures(v: PlanView) -> list[str]:
        if pcn not in v.scenario.pcns.index or v.plan.empty:
            return ["not in this plan" if v.plan.empty is False else "no plan", "", "", "", ""]
        attained = words.target_attainment(v.goals, v.scenario, areas=[pcn, place, v.scenario.system])
        demand = demand_share(v, pcn)
        staff = staff_in_post(v, pcn, "staff_fte")
        arrs = arrs_years(v, pcn)
        return [str(int(recruits(v, pcn).to_numpy().sum())),
                words.number(staff[staff.columns[-1]].sum(), 1) if len(staff.columns) > 1 else "",
                words.money_short(arrs["claims"].sum()) if len(arrs) else "",
                f"{int((attained['met'] == attained['areas']).sum())} of {len(attained)}" if len(attained) else "",
                words.percent(demand["met"].iloc[-1]) if len(demand) else ""]

    labels = ["Recruits over the plan", "Staff in post at the end (FTE)", "ARRS claims over the plan",
              "Targets met", "Appointments met in the last year"]
    columns = [figures(v) for v in [view, *others]]
    rows = [[label, *[c[i] for c in columns]] for i, label in enumerate(labels)]
    heads = ["", "This plan", *[_e(v.path.name) for v in others]]
    names = "; ".join(f"<b>{_e(v.path.name)}</b>: {_e(v.scenario.name)}" for v in others)
    return "<h2>What if</h2>" + _table(heads, rows) + f'<p class="note">{names}</p>'


def pcn_page(view: PlanView, pcn: str, others: list[PlanView], limits: pd.DataFrame, verbose: bool = False) -> str:
    """One A4-landscape page for one PCN."""
    scenario = view.scenario
    row = scenario.pcns.loc[pcn]
    place = view.place_names.get(str(row["place"]), str(row["place"]))
    weighted = words.number(row["weighted_list"], 0) + (" (registered list used)" if row["weighted_is_estimate"]
                                                         else "")
    horizon = view.summary.get("horizon", {})
    status = words.plan_status(view.summary)
    detail = ""
    if verbose:
        detail = (f"<br>solver {_e(view.summary.get('solver', ''))}: {_e(view.summary.get('status', ''))}, "
                  f"gap {_e(view.summary.get('gap'))}")
    header = (f"<header><div><h1>{_e(row['name'])}</h1><p>{_e(place)} · {words.number(row['registered_list'], 0)} "
              f"registered patients · weighted list {_e(weighted)}</p></div>"
              f'<div class="status"><p><b>{_e(scenario.name)}</b>, {_e(horizon.get("start", ""))} to '
              f'{_e(horizon.get("end", ""))}</p><p>Plan: {_e(status)}{detail}</p></div></header>')
    left = "".join([_arrs_section(view, pcn), _roles_section(view, pcn), _demand_section(view, pcn)])
    chart = _chart(view, pcn)
    right = "".join([_targets_section(view, pcn, limits), chart, _what_if_section(view, pcn, others)])
    size = page_font_size(max(_lines(left, LEFT_MM), _lines(right, RIGHT_MM) + (CHART_LINES if chart else 0)))
    return (f'<section class="page" id="{_e(pcn)}" style="font-size:{size:.2f}pt">{header}'
            f'<div class="col">{left}</div><div class="col">{right}</div></section>')


# --- fitting a page ----------------------------------------------------------------------

BASE_PT = 6.8
"""The pack's type size when a page's content fits at it."""
MIN_PT = 4.5
PAGE_LINES = 48.0
"""Table rows of 6.8 pt text that fit below the header of an A4-landscape page, less a tenth for the
estimate's errors (measured on the Norfolk and Waveney and synthetic packs: 52 fit)."""
WRAPPED_LINE = 0.77
"""A row's second and later lines of text, in rows (a row also has padding and a border)."""
LEFT_MM, RIGHT_MM = 150.0, 128.0
CHART_LINES = 17.0
"""The chart's height in lines (26em, less its caption)."""
CHAR_MM = 1.28
"""The width of an average character at 6.8 pt."""


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def _lines(fragment: str, width_mm: float) -> float:
    """An estimate of the height of a column's HTML, in lines of table text: headings, table rows (a row
    is as tall as its most wrapped cell), list items and notes."""
    lines = 1.5 * fragment.count("<h2")
    for table in re.findall(r"<table>(.*?)</table>", fragment, flags=re.S):
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S):
            cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
            if not cells:
                continue
            first = width_mm * 0.29 if len(cells) > 2 else width_mm * 0.5
            rest = (width_mm - first) / max(len(cells) - 1, 1)
            widths = [first] + [rest] * (len(cells) - 1)
            wrapped = max(math.ceil(max(len(_text(c)), 1) * CHAR_MM / w) for c, w in zip(cells, widths, strict=True))
            lines += 1 + WRAPPED_LINE * (wrapped - 1)
    for item in re.findall(r"<li>(.*?)</li>", fragment, flags=re.S):
        lines += math.ceil(len(_text(item)) * CHAR_MM / (width_mm - 10)) + 0.2
    for note in re.findall(r'<p class="note">(.*?)</p>', fragment, flags=re.S):
        lines += math.ceil(len(_text(note)) * CHAR_MM / width_mm)
    return lines


def page_font_size(lines: float) -> float:
    """The type size at which ``lines`` fit on the page: 6.8 pt, smaller for a PCN with more to say."""
    return max(MIN_PT, min(BASE_PT, BASE_PT * PAGE_LINES / max(lines, 1.0)))


def build_pack(plan_dir: Path, pcns: list[str] | None = None, what_ifs: list[Path] | None = None,
               verbose: bool = False) -> str:
    """The pack's HTML: one page per PCN in ``pcns`` (every PCN when None), in the scenario's order."""
    view = PlanView.read(plan_dir)
    if not view.found:
        raise ScenarioError(Problem(display_path(plan_dir), f"holds no plan ({words.plan_status(view.summary)}): "
                                    "nothing to put in a pack"))
    known = view.pcns
    chosen = pcns if pcns else known
    unknown = [p for p in chosen if p not in known]
    if unknown:
        raise ScenarioError(Problem(display_path(plan_dir), f"no PCN {unknown[0]!r} in this plan; its PCNs: "
                                    f"{', '.join(known)}", column="--pcn", value=unknown[0]))
    others = [PlanView.read(p) for p in what_ifs or []]
    limits = limits_reached(view)
    pages = "\n".join(pcn_page(view, pcn, others, limits, verbose) for pcn in chosen)
    title = f"PCN planning pack: {view.scenario.name}"
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{_e(title)}</title>\n'
            f"<style>{CSS}</style>\n</head>\n<body>\n{pages}\n"
            f"<!-- wfplan {_e(version('wfplan'))}; input checksum {_e(view.summary.get('input_checksum', ''))} -->\n"
            "</body>\n</html>\n")


def write_pack(plan_dir: Path, out: Path, pcns: list[str] | None = None, what_ifs: list[Path] | None = None,
               force: bool = False, verbose: bool = False) -> None:
    """Write the pack atomically."""
    from wfplan.files.output import atomic_file

    text = build_pack(plan_dir, pcns, what_ifs, verbose)
    with atomic_file(out, force=force) as staging:
        staging.write_text(text, encoding="utf-8")
