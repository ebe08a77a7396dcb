"""Shared helpers for the workbook and report tests.

* :func:`write_tiny` writes a tiny quarterly NHS scenario (one place, two
  PCNs, two ARRS roles, 2020/21-2021/22) whose names and labels look like
  formulas (``=HYPERLINK(...)``, ``+44``, ``-minus``, ``@SUM``), to check that
  every text cell is written as text.  It plans in well under a second.
* :class:`Evaluator` recalculates a workbook's formulas: cell references
  (``$`` allowed), ``+ - * /``, unary minus, numbers, ``""``, ``SUM`` over
  cells and ranges and ``IFERROR``; blank cells count as 0, as in Excel.
"""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

EVIL_PCN = '=HYPERLINK("#evil","click me")'
EVIL_ROLE = "+44 helpline worker"
EVIL_LABEL = "-minus recruits"
EVIL_PLACE = "@SUM(1,2)"

TINY_MANIFEST = """\
name = "Tiny workbook test scenario"
description = "Two PCNs, two roles, two ARRS years; names that look like formulas."

[horizon]
start = "2020/21 Q1"
end = "2021/22 Q4"
step = "quarter"
"""

TINY_TABLES = {
    "places": f"""\
place,name,system,source
north,"{EVIL_PLACE}",tinysys,test
""",
    "pcns": f"""\
pcn,name,place,weighted_list,source
pcn_a,"{EVIL_PCN.replace('"', '""')}",north,21000,test
pcn_b,PCN B,north,16000,test
""",
    "practices": """\
practice,name,pcn,registered_list,source
prac_a1,Practice A1,pcn_a,12000,test
prac_a2,Practice A2,pcn_a,8000,test
prac_b1,Practice B1,pcn_b,15000,test
""",
    "roles": f"""\
role,name,staff_group,participation_rate,annual_cost,capacity,source
pharmacist,Clinical pharmacist,Pharmacists,1,50000,3000,test
splw,{EVIL_ROLE},Direct Patient Care,0.9,30000,2000,test
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
splw_total,splw,total,4,system,tinysys,2021/22 Q4,at_least,1,1,test
""",
    "staff_in_post": """\
level,area,role,as_at,headcount,fte,source
pcn,pcn_a,pharmacist,2019/20 Q4,1,1,test
pcn,pcn_b,splw,2019/20 Q4,0,,test
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
}


def write_tiny(directory: Path) -> Path:
    directory.mkdir(parents=True)
    (directory / "scenario.toml").write_text(TINY_MANIFEST, encoding="utf-8")
    for table, text in TINY_TABLES.items():
        (directory / f"{table}.csv").write_text(text, encoding="utf-8")
    return directory


# --- a tiny formula evaluator ---------------------------------------------------

_TOKEN = re.compile(r"""\s*(?:
    (?P<ref>\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)
  | (?P<func>[A-Z]+)\(
  | (?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)
  | (?P<str>"[^"]*")
  | (?P<op>[-+*/(),])
)""", re.VERBOSE)
FORMULA_GRAMMAR = re.compile(r'^=(?:\$?[A-Z]{1,3}\$?\d+|SUM\(|IFERROR\(|[-+*/(),:]|\d+(?:\.\d+)?|"")+$')
"""Every formula wfplan writes uses only these pieces (anything else would be injected)."""


def _tokens(formula: str) -> list[tuple[str, str]]:
    out, pos, text = [], 0, formula.lstrip("=")
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot parse {formula!r} at {text[pos:]!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class Evaluator:
    """Recalculate the formulas of one worksheet (memoised)."""

    def __init__(self, ws: Worksheet):
        self.ws = ws
        self.cache: dict[str, object] = {}

    def value(self, coordinate: str) -> object:
        coordinate = coordinate.replace("$", "")
        if coordinate not in self.cache:
            cell = self.ws[coordinate]
            if cell.data_type == "f":
                self.cache[coordinate] = self.formula(cell.value)
            else:
                self.cache[coordinate] = cell.value
        return self.cache[coordinate]

    def formula(self, text: str) -> object:
        tokens = _tokens(text)
        node, pos = self._expr(tokens, 0)
        assert pos == len(tokens), f"trailing tokens in {text!r}"
        return self._eval(node)

    # parser: returns (node, next position)
    def _expr(self, t, i):
        node, i = self._term(t, i)
        while i < len(t) and t[i] in (("op", "+"), ("op", "-")):
            right, j = self._term(t, i + 1)
            node, i = (t[i][1], node, right), j
        return node, i

    def _term(self, t, i):
        node, i = self._unary(t, i)
        while i < len(t) and t[i] in (("op", "*"), ("op", "/")):
            right, j = self._unary(t, i + 1)
            node, i = (t[i][1], node, right), j
        return node, i

    def _unary(self, t, i):
        if t[i] == ("op", "-"):
            node, j = self._unary(t, i + 1)
            return ("neg", node), j
        if t[i] == ("op", "+"):
            return self._unary(t, i + 1)
        return self._atom(t, i)

    def _atom(self, t, i):
        kind, text = t[i]
        if kind == "num":
            return ("num", float(text)), i + 1
        if kind == "str":
            return ("str", text[1:-1]), i + 1
        if kind == "ref":
            return ("ref", text), i + 1
        if kind == "func":
            args, i = [], i + 1
            while t[i] != ("op", ")"):
                arg, i = self._expr(t, i)
                args.append(arg)
                if t[i] == ("op", ","):
                    i += 1
            return ("call", text, args), i + 1
        if (kind, text) == ("op", "("):
            node, i = self._expr(t, i + 1)
            assert t[i] == ("op", ")")
            return node, i + 1
        raise ValueError(f"unexpected {text!r}")

    def _cells(self, ref: str) -> list[object]:
        if ":" not in ref:
            return [self.value(ref)]
        first, last = (r.replace("$", "") for r in ref.split(":"))
        c1, r1 = re.match(r"([A-Z]+)(\d+)", first).groups()
        c2, r2 = re.match(r"([A-Z]+)(\d+)", last).groups()
        return [self.value(f"{get_column_letter(c)}{r}")
                for c in range(column_index_from_string(c1), column_index_from_string(c2) + 1)
                for r in range(int(r1), int(r2) + 1)]

    def _eval(self, node):
        kind = node[0]
        if kind in ("num", "str"):
            return node[1]
        if kind == "ref":
            value = self._cells(node[1])[0] if ":" not in node[1] else None
            return 0.0 if value is None else value
        if kind == "neg":
            return -self._eval(node[1])
        if kind == "call":
            name, args = node[1], node[2]
            if name == "SUM":
                total = 0.0
                for arg in args:
                    values = self._cells(arg[1]) if arg[0] == "ref" else [self._eval(arg)]
                    total += sum(v for v in values if isinstance(v, int | float))
                return total
            if name == "IFERROR":
                try:
                    return self._eval(args[0])
                except ZeroDivisionError:
                    return self._eval(args[1])
            raise ValueError(f"unknown function {name}")
        left, right = self._eval(node[1]), self._eval(node[2])
        return {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
                "/": lambda a, b: a / b}[kind](left, right)
