"""Shared helpers for the workbook tests (their scenario is :data:`tests.scenarios.FORMULA_NAMES`).

* :class:`Evaluator` recalculates a workbook's formulas: cell references
  (``$`` allowed), ``+ - * /``, unary minus, numbers, ``""``, ``SUM`` over
  cells and ranges and ``IFERROR``; blank cells count as 0, as in Excel.
"""

from __future__ import annotations

import re

from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

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
