"""The one small-scenario factory of the tests: :func:`write_scenario`.

A scenario is a :class:`Base` (a manifest's name, description, horizon and
mode, and a set of CSV tables) plus the tables a test changes.  Each test
states the tables it changes; everything else is its base's.  Two bases are
shared here:

* :data:`TINY`: two PCNs (Breckland, Mid Norfolk), two roles (first contact
  physiotherapist ``fcp``, physician associate ``pa``), 2022/23 by quarter,
  LP mode, no attrition, a 3-FCPs-per-PCN target that too few starters miss.
  Plans in well under a second in LP mode, a second or two as integers.
* :data:`NHS`: one system, one place, two PCNs with practices, clinical
  pharmacists and social prescribing link workers (``splw``), ARRS
  2020/21-2021/22, attrition, planned flows and historic FTE: every table a
  quarterly NHS scenario can hold, for the bad-input corpus.
  :data:`FORMULA_NAMES` is the same scenario with names and labels that look
  like spreadsheet formulas, for the workbook, checkpoint and report tests.

A test file with a scenario of its own (the synthetic three-PCN scenario of
``test_plan_examples``, the property-test reproducers) declares a
:class:`Base` and writes it with the same function.  Hostile-input tests
write a valid scenario here and then damage one file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path


@dataclass(frozen=True)
class Base:
    """A starting scenario: manifest settings and the text of each CSV table (keyed by table name)."""

    name: str
    start: str
    end: str
    tables: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None
    step: str = "quarter"
    integer: bool | None = None
    """``[model] integer``; None leaves it out (the schema's default, whole people)."""
    extra: str = ""
    """Manifest text written after the ``[model]`` section (``[objective]``, ``[arrs]``, ...)."""


def manifest_text(base: Base, *, extends: str | None = None, extra: str = "") -> str:
    """The ``scenario.toml`` of ``base`` (optionally extending one directory, with ``extra`` appended)."""
    lines = [f'name = "{base.name}"']
    if base.description is not None:
        lines.append(f'description = "{base.description}"')
    if extends:
        lines.append(f'extends = ["{extends}"]')
    lines += ["", "[horizon]", f'start = "{base.start}"', f'end = "{base.end}"', f'step = "{base.step}"']
    if base.integer is not None:
        lines += ["", "[model]", f"integer = {'true' if base.integer else 'false'}"]
    return "\n".join(lines) + "\n" + base.extra + extra


def write_scenario(directory: Path, tables: Mapping[str, str | None] | None = None, *,
                   base: Base | None = None, only_given: bool = False, extends: str | None = None,
                   extra: str = "", workbook: Path | None = None, **settings: object) -> Path:
    """Write a scenario directory (``scenario.toml`` and one CSV per table) and return its path.

    ``base`` defaults to :data:`TINY`.  ``tables`` replace the base's tables, or drop them when
    None; with ``only_given`` no base table is written (a derived scenario that ``extends``
    another).  ``settings`` replace :class:`Base` fields (``name``, ``description``, ``start``,
    ``end``, ``step``, ``integer``).  With ``workbook``, the directory is also converted to that
    ``.xlsx`` workbook (by ``wfplan.scenario.excel_io``), and the workbook's path is returned.
    """
    base = replace(base or TINY, **settings)
    directory.mkdir(parents=True, exist_ok=True)
    chosen: dict[str, str | None] = {} if only_given else dict(base.tables)
    chosen.update(tables or {})
    for table, text in chosen.items():
        if text is not None:
            (directory / f"{table}.csv").write_text(text, encoding="utf-8")
    (directory / "scenario.toml").write_text(manifest_text(base, extends=extends, extra=extra), encoding="utf-8")
    if workbook is None:
        return directory
    from wfplan.scenario.excel_io import write_workbook
    from wfplan.scenario.load import load_scenario

    write_workbook(load_scenario(directory), workbook)
    return workbook


# --- TINY ---------------------------------------------------------------------------------------------------------

TINY = Base(
    name="tiny", description="Tiny explain/what-if test scenario.",
    start="2022/23 Q1", end="2022/23 Q4", integer=False,
    tables={
        "places": """\
place,name,system
north,North Place,tinysys
""",
        "pcns": """\
pcn,name,place,registered_list,weighted_list
breckland,Breckland PCN,north,42514,42514
mid_norfolk,Mid Norfolk PCN,north,46032,46032
""",
        "roles": """\
role,name,staff_group,participation_rate,annual_cost,capacity,funding_budget
fcp,First contact physiotherapist,Direct Patient Care,1,56000,2000,practice
pa,Physician associate,Physician Associates,1,53000,3000,practice
""",
        "attrition": """\
role,annual_rate,first_year_annual_rate
fcp,0.0,
pa,0.0,
""",
        "supply": """\
role,level,area,period,max_starters
fcp,system,tinysys,2022/23 Q1,2
""",
        "targets": """\
target,role,basis,quantity,unit,by,kind,priority,penalty,hard
fcp_3_per_pcn,fcp,per_pcn,3,headcount,2022/23 Q4,at_least,1,1,false
""",
        "arrs_years": """\
year,entitlement_per_pcn
2022/23,200000
2023/24,200000
""",
        "arrs_roles": """\
year,role,reimbursement_rate,cap_per_wte
2022/23,fcp,1,56000
2022/23,pa,1,53000
2023/24,fcp,1,56000
2023/24,pa,1,53000
""",
        "budgets": """\
budget,year,level,area,amount
practice,2022/23,system,tinysys,
practice,2023/24,system,tinysys,
""",
    })

# --- NHS ----------------------------------------------------------------------------------------------------------

NHS = Base(
    name="Tiny quarterly NHS scenario", description="Two PCNs, two roles, two ARRS years.",
    start="2020/21 Q1", end="2021/22 Q4", integer=True,
    tables={
        "places": """\
place,name,system,source
north,North Place,tinysys,test
""",
        "pcns": """\
pcn,name,place,weighted_list,source
pcn_a,PCN A,north,21000,test
pcn_b,PCN B,north,16000,test
""",
        "practices": """\
practice,name,pcn,registered_list,source
prac_a1,Practice A1,pcn_a,12000,test
prac_a2,Practice A2,pcn_a,8000,test
prac_b1,Practice B1,pcn_b,15000,test
""",
        "roles": """\
role,name,staff_group,participation_rate,annual_cost,capacity,source
pharmacist,Clinical pharmacist,Pharmacists,1,50000,3000,test
splw,Social prescribing link worker,Direct Patient Care,0.9,30000,2000,test
""",
        "arrs_years": """\
year,entitlement_per_weighted_patient,entitlement_per_pcn,source
2020/21,7.131,,test
2021/22,8.5,,test
""",
        "arrs_roles": """\
year,role,from_quarter,reimbursement_rate,cap_per_wte,max_wte_per_pcn,source
2020/21,pharmacist,2020/21 Q1,1,55000,,test
2020/21,splw,2020/21 Q1,1,35000,,test
2021/22,pharmacist,2021/22 Q1,1,56000,,test
2021/22,splw,2021/22 Q1,1,36000,,test
""",
        "attrition": """\
role,annual_rate,first_year_annual_rate,source
pharmacist,0.1,0.15,test
splw,0.12,,test
""",
        "supply": """\
role,level,area,period,max_starters,source
pharmacist,system,tinysys,2020/21 Q1,3,test
pharmacist,system,tinysys,2020/21 Q2,3,test
splw,place,north,2020/21 Q1,2,test
splw,pcn,pcn_a,2020/21 Q2,1,test
""",
        "targets": """\
target,role,basis,quantity,level,area,by,kind,priority,penalty,source
pharm_per_pcn,pharmacist,per_pcn,1,pcn,,2020/21 Q4,at_least,1,1,test
splw_total,splw,total,2,system,tinysys,2021/22 Q4,at_least,1,1,test
""",
        "staff_in_post": """\
level,area,role,as_at,headcount,fte,source
pcn,pcn_a,pharmacist,2019/20 Q4,1,1,test
pcn,pcn_b,splw,2019/20 Q4,0,,test
""",
        "flow_types": """\
role,direction,flow,label,participation_rate,source
pharmacist,inflow,new_recruit,New recruits,1,test
pharmacist,outflow,leaver,Leavers,1,test
splw,inflow,new_recruit,New recruits,0.9,test
""",
        "planned_flows": """\
level,area,role,direction,flow,period,headcount,source
system,tinysys,pharmacist,inflow,new_recruit,2020/21 Q1,1,test
system,tinysys,pharmacist,outflow,leaver,2020/21 Q2-Q3,1,test
place,north,splw,inflow,new_recruit,2020/21 Q1,1,test
""",
        "historic_fte": """\
level,area,role,quarter,fte,source,estimate,note
system,tinysys,pharmacist,2019/20 Q3,1,test,false,
system,tinysys,pharmacist,2019/20 Q4,1,test,true,assumed unchanged
""",
    })

# --- FORMULA_NAMES: the NHS scenario with names that look like formulas --------------------------------------------

EVIL_PCN = '=HYPERLINK("#evil","click me")'
EVIL_ROLE = "+44 helpline worker"
EVIL_LABEL = "-minus recruits"
EVIL_PLACE = "@SUM(1,2)"

FORMULA_NAMES = Base(
    name="Tiny workbook test scenario",
    description="Two PCNs, two roles, two ARRS years; names that look like formulas.",
    start=NHS.start, end=NHS.end, integer=None,
    tables={
        **NHS.tables,
        "places": f"""\
place,name,system,source
north,"{EVIL_PLACE}",tinysys,test
""",
        "pcns": f"""\
pcn,name,place,weighted_list,source
pcn_a,"{EVIL_PCN.replace('"', '""')}",north,21000,test
pcn_b,PCN B,north,16000,test
""",
        "roles": f"""\
role,name,staff_group,participation_rate,annual_cost,capacity,source
pharmacist,Clinical pharmacist,Pharmacists,1,50000,3000,test
splw,{EVIL_ROLE},Direct Patient Care,0.9,30000,2000,test
""",
        "targets": """\
target,role,basis,quantity,level,area,by,kind,priority,penalty,source
pharm_per_pcn,pharmacist,per_pcn,1,pcn,,2020/21 Q4,at_least,1,1,test
splw_total,splw,total,4,system,tinysys,2021/22 Q4,at_least,1,1,test
""",
        "flow_types": f"""\
role,direction,flow,label,participation_rate,source
pharmacist,inflow,new_recruit,New recruits,1,test
pharmacist,outflow,leaver,Leavers,1,test
splw,inflow,new_recruit,{EVIL_LABEL},0.9,test
""",
        "planned_flows": """\
level,area,role,direction,flow,period,headcount,source
pcn,pcn_a,pharmacist,inflow,new_recruit,2019/20 Q3-Q4,1,test
pcn,pcn_a,pharmacist,inflow,new_recruit,2020/21 Q1,2,test
pcn,pcn_a,pharmacist,outflow,leaver,2020/21 Q3,1,test
pcn,pcn_a,splw,inflow,new_recruit,2020/21 Q2,3,test
pcn,pcn_b,splw,inflow,new_recruit,2020/21 Q4,1,test
""",
        "historic_fte": """\
level,area,role,quarter,fte,source
pcn,pcn_a,pharmacist,2019/20 Q1,0.5,test
pcn,pcn_a,pharmacist,2019/20 Q2,0.30000000000000004,test
pcn,pcn_b,splw,2019/20 Q2,0,test
""",
    })
"""Names, a place and a flow label that a spreadsheet would run as formulas (``=``, ``+``, ``-``, ``@``)."""
