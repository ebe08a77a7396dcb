"""Helpers for scenario workbooks: column descriptions, drop-down lists, instructions.

Everything here is derived from the row models in :mod:`wfplan.scenario.schema`, so
the workbook template cannot drift from what the loader accepts: the
instructions sheet lists each table's columns with what they expect, and
drop-down lists (data validation) offer roles, PCNs, places, inflow sources,
quarters, years, levels and each column's allowed values.
"""

from __future__ import annotations

import enum
import inspect
import types
import typing
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from wfplan.files import excel_style as st
from wfplan.scenario.periods import FinancialYear
from wfplan.scenario.schema import TABLES, Row

PROVENANCE = ("source", "estimate", "note")
FIRST_YEAR, LAST_YEAR = 2017, 2029
VALIDATED_ROWS = 2000
LISTS_SHEET = "lists"
INSTRUCTIONS_SHEET = "instructions"

# columns offered a list kept on another sheet (defined name -> sheet, column)
ID_LISTS = {"role_ids": ("roles", "role"), "pcn_ids": ("pcns", "pcn"), "place_ids": ("places", "place"),
            "flow_ids": ("flow_types", "flow"), "budget_ids": ("budgets", "budget")}
COLUMN_LISTS = {"role": "role_ids", "from_role": "role_ids", "to_role": "role_ids", "pcn": "pcn_ids",
                "place": "place_ids", "flow": "flow_ids", "funding_budget": "budget_ids", "area": "pcn_ids",
                "quarter": "quarters", "from_quarter": "quarters", "as_at": "periods", "period": "periods",
                "by": "periods", "until": "periods", "from_period": "periods", "year": "years",
                "started": "periods", "completes": "periods"}
PERIOD_TEXT = {"quarters": "a quarter like '2019/20 Q1'", "years": "a financial year like '2019/20'",
               "periods": "a quarter like '2019/20 Q1' or (yearly horizons) a year like '2019/20'"}


def columns(model: type[BaseModel]) -> list[str]:
    """A table's columns in workbook order: the model's own fields, then provenance."""
    names = list(model.model_fields)
    return [n for n in names if n not in PROVENANCE] + [n for n in PROVENANCE if n in names]


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The base type of an (Optional, Annotated) annotation and the metadata found on the way."""
    extra: list[Any] = []
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else annotation
    if typing.get_origin(annotation) is typing.Annotated:
        annotation, *meta = typing.get_args(annotation)
        for m in meta:
            extra.extend(getattr(m, "metadata", [m]))
    return annotation, extra


def choices(model: type[BaseModel], name: str) -> list[str] | None:
    """The allowed values of an enum, Literal or boolean column."""
    base, _ = _unwrap(model.model_fields[name].annotation)
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return [str(m.value) for m in base]
    if typing.get_origin(base) is typing.Literal:
        return [str(getattr(a, "value", a)) for a in typing.get_args(base)]
    if base is bool:
        return ["true", "false"]
    return None


def describe(model: type[BaseModel], name: str) -> str:
    """What a column expects, e.g. 'number >= 0', 'one of: quarter, year'."""
    field = model.model_fields[name]
    base, extra = _unwrap(field.annotation)
    meta = {type(m).__name__: m for m in [*field.metadata, *extra]}
    options = choices(model, name)
    if name in COLUMN_LISTS and COLUMN_LISTS[name] in PERIOD_TEXT:
        what = PERIOD_TEXT[COLUMN_LISTS[name]]
        if name == "period" and model.__name__ == "PlannedFlowRow":
            what = "a quarter like '2019/20 Q1' or a span like '2018/19 Q3-Q4'"
    elif options is not None:
        what = "one of: " + ", ".join(options)
    elif base in (int, float):
        what = "whole number" if base is int else "number"
        ge, le = getattr(meta.get("Ge"), "ge", None), getattr(meta.get("Le"), "le", None)
        if ge == 0 and le == 1 and base is float:
            what = "fraction from 0 to 1"
        elif ge is not None:
            what += f" >= {ge:g}" + (f" and <= {le:g}" if le is not None else "")
    elif "_PydanticGeneralMetadata" in meta:
        what = "identifier: letters, digits, _ . - (no spaces)"
    else:
        what = "text"
    if field.is_required():
        return f"required; {what}"
    default = field.default
    default = getattr(default, "value", default)
    shown = "blank" if default in (None, PydanticUndefined) else str(default).lower() if isinstance(default, bool) \
        else str(default)
    return f"optional (default {shown}); {what}"


def docstring(model: type) -> str:
    """A model's docstring as one paragraph per line."""
    text = inspect.cleandoc(model.__doc__ or "")
    return "\n".join(" ".join(p.split()) for p in text.split("\n\n"))


def _define(wb: Workbook, name: str, sheet: str, column: int, first: int, last: int) -> None:
    letter = get_column_letter(column)
    ref = f"{quote_sheetname(sheet)}!${letter}${first}:${letter}${last}"
    wb.defined_names[name] = DefinedName(name, attr_text=ref)


def add_lists(wb: Workbook) -> None:
    """The hidden 'lists' sheet (quarters, years, periods) and named ranges for id columns."""
    ws = wb.create_sheet(LISTS_SHEET)
    ws.sheet_state = "hidden"
    years = [FinancialYear(y) for y in range(FIRST_YEAR, LAST_YEAR + 1)]
    quarters = [q.label for y in years for q in y.quarters]
    series = {"quarters": quarters, "years": [y.label for y in years],
              "periods": quarters + [y.label for y in years]}
    for column, (name, values) in enumerate(series.items(), start=1):
        st.header(ws, 1, column, name)
        for row, value in enumerate(values, start=2):
            st.text(ws, row, column, value)
        _define(wb, name, LISTS_SHEET, column, 2, len(values) + 1)
    for name, (sheet, column_name) in ID_LISTS.items():
        if sheet in wb.sheetnames:
            column = columns(TABLES[sheet]).index(column_name) + 1
            _define(wb, name, sheet, column, 2, VALIDATED_ROWS)


def add_validations(ws: Worksheet, model: type[Row], last_row: int) -> None:
    """Drop-down lists on every column that has a fixed set or an id list of values."""
    last_row = max(last_row, VALIDATED_ROWS)
    own_ids = {sheet_col for sheet_col in ID_LISTS.values() if sheet_col[0] == ws.title}
    for index, name in enumerate(columns(model), start=1):
        letter = get_column_letter(index)
        options = choices(model, name)
        listed = COLUMN_LISTS.get(name)
        if (ws.title, name) in own_ids:
            continue  # the column defining an id list is typed in, not chosen
        if options is not None:
            dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True,
                                showErrorMessage=True, errorStyle="stop", error="Choose a value from the list.")
        elif listed is not None:
            dv = DataValidation(type="list", formula1=f"={listed}", allow_blank=True, showErrorMessage=True,
                                errorStyle="warning", error="Not in the list: check it (wfplan validate will).")
        else:
            continue
        dv.promptTitle, dv.prompt = name[:32], describe(model, name)[:255]
        dv.showInputMessage = True
        dv.add(f"{letter}2:{letter}{last_row}")
        ws.add_data_validation(dv)


def add_instructions(wb: Workbook, manifest_help: list[tuple[str, str]]) -> None:
    """The instructions sheet (ignored when the workbook is read back)."""
    ws = wb.create_sheet(INSTRUCTIONS_SHEET, 0)
    st.text(ws, 1, 1, "wfplan scenario workbook", font=st.TITLE_FONT)
    lines = [
        "One sheet per table, named as below; the first row holds the column names. All tables are optional.",
        "The 'scenario' sheet holds key/value settings: name, horizon.start, horizon.end, horizon.step, "
        "objective.* and model.*.",
        "This sheet, the hidden 'lists' sheet and sheets whose names start with '_' are ignored by wfplan.",
        "Check the workbook with: wfplan validate FILE.xlsx; plan it with: wfplan plan FILE.xlsx --out DIR.",
    ]
    for row, line in enumerate(lines, start=2):
        st.text(ws, row, 1, line)
    row = len(lines) + 3
    st.text(ws, row, 1, "scenario", font=st.BOLD)
    row += 1
    for key, help_text in manifest_help:
        st.text(ws, row, 2, key)
        st.text(ws, row, 3, help_text)
        row += 1
    for table, model in TABLES.items():
        row += 1
        st.text(ws, row, 1, table, font=st.BOLD)
        st.text(ws, row, 3, docstring(model), align=st.WRAP)
        row += 1
        for name in columns(model):
            st.text(ws, row, 2, name)
            st.text(ws, row, 3, describe(model, name))
            row += 1
    st.widths(ws, {"A": 18, "B": 26, "C": 110})
