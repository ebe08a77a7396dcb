"""A planning report people can read: one self-contained HTML file (``wfplan report``).

From a plan directory (``summary.json``, ``plan.csv``, ``arrs.csv``,
``goals.csv``, ``budgets.csv``, optional ``binding.csv`` and the exact inputs
in ``scenario/``): headline figures, staff-in-post trajectories by staff
group and role (inline SVG charts), staff per 10,000 weighted patients by
PCN, ARRS budget use and headroom per PCN and year, goal attainment and
shortfalls, and what binds.  No scripts, fonts, images or style sheets are
fetched: CSS is inline, charts are inline SVG with text kept as text.  The
same plan gives a byte-identical file (no dates; fixed SVG ids).
"""

from __future__ import annotations

import html
import io
import re
from importlib.metadata import version
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from wfplan.message_text import escape_controls
from wfplan.plan_reader import read_plan_directory, read_plan_table
from wfplan.scenario import Scenario
from wfplan.trajectory import GROUP_ORDER

COLOURS = ["#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#833c0b", "#595959"]
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
font-variant-numeric:tabular-nums;white-space:nowrap}tr:nth-child(even) td{background:#f7f9fb}
figure{margin:.5rem 0 1.2rem}figure svg{max-width:100%;height:auto}figcaption{color:#555;font-size:.85rem}
.note{color:#555;font-size:.85rem}span.used{display:block;padding:0 .2rem;font-weight:600}.scroll{overflow-x:auto}
@page{size:A4;margin:14mm}
@media print{body{max-width:none;padding:0;font-size:10pt}nav{display:none}h2{break-after:avoid}
figure,table,.cards{break-inside:avoid}tr:nth-child(even) td{background:none}.scroll{overflow:visible}
th{background:#fff;color:#000;border-bottom:2px solid #000}}
"""


def _e(value: object) -> str:
    """HTML text of a value: escaped, control characters shown as escapes (never raw in the page)."""
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return html.escape(escape_controls(text))


def _num(value: float, decimals: int = 1) -> str:
    return "" if value is None or pd.isna(value) else f"{value:,.{decimals}f}"


def _gbp(value: float) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"£{0.0 if abs(value) < 0.5 else value:,.0f}"  # never '£-0'


def _table(frame: pd.DataFrame, numeric: set[str] | None = None, raw: set[str] | None = None) -> str:
    """An HTML table; ``numeric`` columns right-aligned, ``raw`` columns already HTML."""
    numeric, raw = numeric or set(), raw or set()
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    body = []
    for _, rec in frame.iterrows():
        cells = []
        for c in frame.columns:
            value = rec[c] if c in raw else _e(rec[c]).replace("_", "_<wbr>")  # long ids may wrap at '_'
            cells.append(f'<td class="n">{value}</td>' if c in numeric else f"<td>{value}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _svg(fig: Figure, salt: str) -> str:
    """The figure as inline SVG: text as text, fixed ids, no XML prologue or namespace URLs."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"wfplan-{salt}", "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight",
                    metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", text)
    text = text.replace("xlink:href=", "href=")
    return re.sub(r"font-family:[^;\"]*", "font-family: system-ui, Arial, sans-serif", text)


def _small_multiples(series: dict[str, pd.Series], periods: list[str], salt: str, ylabel: str) -> str:
    """One small line chart per series, shared x axis (periods), own y scale."""
    n = len(series)
    cols = min(3, max(n, 1))
    rows = max(1, -(-n // cols))
    with matplotlib.rc_context({"font.size": 8, "axes.spines.top": False, "axes.spines.right": False}):
        fig = Figure(figsize=(3.6 * cols, 2.3 * rows))
        x = np.arange(len(periods))
        ticks = [i for i, p in enumerate(periods) if p.endswith("Q1") or " Q" not in p]
        for i, (name, values) in enumerate(series.items()):
            ax = fig.add_subplot(rows, cols, i + 1)
            ax.plot(x, values.reindex(periods).to_numpy(dtype=float), color=COLOURS[i % len(COLOURS)], lw=1.6)
            ax.set_title(name, fontsize=9, loc="left", parse_math=False)  # a '$' in a name is text
            ax.set_xticks(ticks, [periods[t].split(" ")[0] for t in ticks], rotation=0)
            ax.set_ylim(bottom=0)
            ax.grid(axis="y", color="#dddddd", lw=0.6)
            if i % cols == 0:
                ax.set_ylabel(ylabel)
        fig.tight_layout()
        return _svg(fig, salt)


def _cards(items: list[tuple[str, str, str]]) -> str:
    return '<div class="cards">' + "".join(
        f'<div class="card {cls}"><span>{_e(label)}</span><b>{_e(value)}</b></div>' for label, value, cls in items
    ) + "</div>"


def _headline(summary: dict, scenario: Scenario) -> str:
    totals, goals = summary.get("totals", {}), summary.get("goals", {})
    status = str(summary.get("status", "unknown"))
    gap = summary.get("gap")
    items = [
        ("Status", status + ("" if summary.get("proven_optimal") else " (not proven optimal)"),
         "ok" if summary.get("proven_optimal") else "bad"),
        ("Optimality gap", "n/a" if gap is None else f"{float(gap):.4%}", ""),
        ("Horizon", f"{summary.get('horizon', {}).get('start', '')} to {summary.get('horizon', {}).get('end', '')}", ""),
        ("PCNs / roles", f"{summary.get('pcns', '')} / {len(summary.get('roles', []))}", ""),
    ]
    if goals:
        missed = int(goals.get("targets_missed", 0))
        items += [("Target cells missed", f"{missed}", "bad" if missed else "ok"),
                  ("Total target shortfall", _num(goals.get("target_shortfall_total"), 2), ""),
                  ("Unmet appointments", _num(goals.get("unmet_appointments"), 0), "")]
    if totals:
        items += [("Starters", _num(totals.get("starters")), ""), ("Leavers", _num(totals.get("leavers")), ""),
                  ("Released", _num(totals.get("released")), ""),
                  ("Employment cost", _gbp(totals.get("employment_cost")), ""),
                  ("ARRS claims", _gbp(totals.get("arrs_claims")), ""),
                  ("Budget overrun", _gbp(totals.get("budget_overrun")), "bad" if totals.get("budget_overrun") else "")]
    by_level = summary.get("objective_by_level", {})
    levels = pd.DataFrame([{"level": rec.get("level"), "status": rec.get("status"),
                            "objective": _num(by_level.get(rec.get("level"), rec.get("objective")), 4)}
                           for rec in summary.get("levels", [])])
    out = [_cards(items)]
    if len(levels):
        out.append("<h3>Objective by level</h3>" + _table(levels, numeric={"objective"}))
    notes = summary.get("notes") or []
    if summary.get("message"):
        notes = [f"solver: {summary['message']}", *notes]
    if notes:
        out.append("<h3>Notes</h3><ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    return "\n".join(out)


def _trajectories(plan: pd.DataFrame, scenario: Scenario) -> str:
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
    out = ["<h3>By staff group</h3><figure>", _small_multiples(series, periods, "groups", "FTE"),
           "<figcaption>Staff in post (FTE) at the end of each period, all PCNs together.</figcaption></figure>"]
    if roles:
        out += ["<h3>By role</h3><figure>",
                _small_multiples({names.get(r, r): by_role.loc[r] for r in roles}, periods, "roles", "FTE"),
                "<figcaption>Staff in post (FTE) by role, all PCNs together.</figcaption></figure>"]
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
    rows = []
    for pcn in [p for p in pcns.index if p in end.index]:
        weighted = float(pcns.loc[pcn, "weighted_list"])

        def per(value: float, w: float = weighted) -> str:
            return _num(value / w * 10_000, 2) if w > 0 else "n/a"

        rec = {"PCN": pcns.loc[pcn, "name"], "place": places.get(pcns.loc[pcn, "place"], pcns.loc[pcn, "place"]),
               "weighted patients": _num(weighted, 0) + (" *" if pcns.loc[pcn, "weighted_is_estimate"] else ""),
               f"all staff {first}": per(start.get(pcn, 0.0)), f"all staff {last}": per(end.loc[pcn].sum())}
        rec.update({g: per(end.loc[pcn, g]) for g in groups})
        rows.append(rec)
    frame = pd.DataFrame(rows)
    note = ('<p class="note">FTE per 10,000 weighted patients; staff groups at the end of ' + _e(last)
            + ". * weighted list not given: the registered list is used.</p>")
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
            y: f"<b>{_gbp(total.loc[y, 'claims'])} of {_gbp(total.loc[y, 'entitlement'])}</b><br>"
               f"headroom {_gbp(total.loc[y, 'headroom'])}" for y in years}})
        frame = pd.DataFrame(rows, columns=["PCN", *years]).fillna("")
        out.append("<h3>ARRS entitlement: claims and headroom per PCN and year</h3>"
                   + _table(frame, numeric=set(years), raw={"PCN", *years}))
    if not budgets.empty:
        shown = budgets.assign(amount=budgets["amount"].map(lambda v: "unlimited" if pd.isna(v) else _gbp(v)),
                               spend=budgets["spend"].map(_gbp), overrun=budgets["overrun"].map(_gbp))
        out.append("<h3>Other named budgets</h3>" + _table(shown, numeric={"amount", "spend", "overrun"}))
    return "\n".join(out)


def _goals(goals: pd.DataFrame) -> str:
    if goals.empty:
        return "<p>This plan has no targets or demand goals.</p>"
    summary = goals.groupby(["goal", "id"], sort=False).agg(
        role=("role", "first"), unit=("unit", "first"), cells=("shortfall", "size"),
        missed=("shortfall", lambda s: int((s > 0).sum())), shortfall=("shortfall", "sum"),
        required=("required", "sum"), achieved=("achieved", "sum")).reset_index()
    summary["attained"] = [_num(min(a / r, 1.0) * 100, 1) + "%" if r > 0 else "n/a"
                           for a, r in zip(summary["achieved"], summary["required"], strict=True)]
    for c in ("shortfall", "required", "achieved"):
        summary[c] = summary[c].map(lambda v: _num(v, 2))
    out = ['<p class="note">One row per goal; cells are the goal\'s (area, period) pairs; required and achieved '
           "are summed over them.</p>",
           _table(summary, numeric={"cells", "missed", "shortfall", "required", "achieved", "attained"})]
    missed = goals[goals["shortfall"] > 0].sort_values(["shortfall", "id", "area", "period"],
                                                       ascending=[False, True, True, True])
    if missed.empty:
        out.append("<p><b>Every goal is met.</b></p>")
    else:
        shown = missed.head(MAX_ROWS)[["goal", "id", "role", "area", "period", "unit", "required", "achieved",
                                       "shortfall"]].copy()
        for c in ("required", "achieved", "shortfall"):
            shown[c] = shown[c].map(lambda v: _num(v, 2))
        more = f" (largest {MAX_ROWS} of {len(missed)})" if len(missed) > MAX_ROWS else ""
        out.append(f"<h3>Shortfalls{more}</h3>" + _table(shown, numeric={"required", "achieved", "shortfall"}))
    return "\n".join(out)


def _binding(plan_dir: Path) -> str:
    path = plan_dir / "binding.csv"
    if not path.is_file():
        return ("<p>Not computed: this plan directory has no <code>binding.csv</code>, so which supply limits, "
                "budgets and caps bind was not worked out for this plan.</p>")
    frame = read_plan_table(path, {})
    more = f" Showing the first {MAX_ROWS} of {len(frame)} rows." if len(frame) > MAX_ROWS else ""
    return f'<p class="note">From binding.csv.{more}</p>' + _table(frame.head(MAX_ROWS))


def build_report(plan_dir: Path) -> str:
    """The report's HTML text for a plan directory."""
    plan_dir = Path(plan_dir)
    read = read_plan_directory(plan_dir)  # validated: a damaged plan directory is a located error
    summary, scenario = read.summary, read.scenario
    plan = read.table("plan")
    sections = [("headline", "Headline", _headline(summary, scenario))]
    if plan.empty:
        sections.append(("trajectories", "Trajectories", "<p>No plan was found (see the status above).</p>"))
    else:
        sections += [("trajectories", "Staff in post trajectories", _trajectories(plan, scenario)),
                     ("per-patient", "Staff per 10,000 weighted patients by PCN", _per_patients(plan, scenario)),
                     ("budget", "Budget use and headroom",
                      _budget(read.table("arrs"), read.table("budgets"), scenario)),
                     ("goals", "Goal attainment and shortfalls", _goals(read.table("goals")))]
    sections.append(("binding", "What binds", _binding(plan_dir)))
    nav = "".join(f'<a href="#{key}">{_e(title)}</a>' for key, title, _ in sections)
    body = "\n".join(f'<section id="{key}"><h2>{_e(title)}</h2>\n{content}\n</section>'
                     for key, title, content in sections)
    title = f"Workforce plan: {scenario.name}"
    footer = (f'<footer class="note"><p>Written by wfplan {_e(version("wfplan"))} from plan directory '
              f'{_e(plan_dir.name)}; input checksum {_e(summary.get("input_checksum", ""))}.</p></footer>')
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{_e(title)}</title>\n'
            f"<style>{CSS}</style>\n</head>\n<body>\n<header><h1>{_e(title)}</h1>"
            f'<p class="note">{_e(summary.get("solver", ""))} solver; status {_e(summary.get("status", ""))}</p>'
            f"</header>\n<nav>{nav}</nav>\n{body}\n{footer}\n</body>\n</html>\n")


def write_report(plan_dir: Path, out: Path, force: bool = False) -> None:
    """Write the report atomically."""
    from wfplan.output import atomic_file

    text = build_report(plan_dir)
    with atomic_file(out, force=force) as staging:
        staging.write_text(text, encoding="utf-8")
