"""Tiny quarterly NHS scenarios for the explain / what-if tests (built in tmp dirs).

Two or three PCNs, two roles (first contact physiotherapist ``fcp`` and
physician associate ``pa``), a few quarters.  Each test states the tables it
changes; everything else is the default below.  They plan in well under a
second in LP mode and in a second or two as integer programs.
"""

from __future__ import annotations

from pathlib import Path

MANIFEST = """\
name = "{name}"
description = "Tiny explain/what-if test scenario."
{extends}
[horizon]
start = "{start}"
end = "{end}"
step = "quarter"

[model]
integer = {integer}
{extra}
"""

TABLES: dict[str, str] = {
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
}


def write_scenario(directory: Path, tables: dict[str, str | None] | None = None, *, name: str = "tiny",
                   start: str = "2022/23 Q1", end: str = "2022/23 Q4", integer: bool = False,
                   extends: str | None = None, extra: str = "", base: bool = True) -> Path:
    """Write a scenario directory; ``tables`` replace (or with None drop) default tables.

    With ``base=False`` only the given tables are written (for derived scenarios).
    """
    directory.mkdir(parents=True, exist_ok=True)
    chosen: dict[str, str | None] = dict(TABLES) if base else {}
    chosen.update(tables or {})
    for table, text in chosen.items():
        if text is not None:
            (directory / f"{table}.csv").write_text(text, encoding="utf-8")
    ext = f'extends = ["{extends}"]\n' if extends else ""
    (directory / "scenario.toml").write_text(
        MANIFEST.format(name=name, extends=ext, start=start, end=end,
                        integer="true" if integer else "false", extra=extra),
        encoding="utf-8")
    return directory
