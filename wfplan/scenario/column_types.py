"""The column types of the scenario tables: ids, text, numbers within sane ranges, period labels, levels.

Every column of a row model (:mod:`wfplan.scenario.schema`) and of the manifest
(:mod:`wfplan.scenario.manifest`) has one of these types, so a bound is written once:
a number outside its range, a nonzero number too small to mean anything, an
id with odd characters or a period that is not one are located errors when a
row is validated.  Blank cells of optional columns are None.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from wfplan.files.names import check_free_text, check_name
from wfplan.scenario.periods import FinancialYear, Quarter, parse_span


class StaffGroup(StrEnum):
    """NHS England staff groups of the GPFV workforce trajectory template."""

    GP = "GP"
    NURSES = "Nurses"
    DIRECT_PATIENT_CARE = "Direct Patient Care"
    PHYSICIAN_ASSOCIATES = "Physician Associates"
    PHARMACISTS = "Pharmacists"
    ADMIN = "Admin"
    OTHER = "Other"  # outside the NHSE template (e.g. a non-NHS manpower example)


class Level(StrEnum):
    SYSTEM = "system"
    PLACE = "place"
    PCN = "pcn"


class Direction(StrEnum):
    INFLOW = "inflow"
    OUTFLOW = "outflow"


def _blank_to_none(value: object) -> object:
    if isinstance(value, str) and value.strip() == "":
        return None
    return value


def _finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError("must be a finite number (not NaN or infinity)")
    return value


def _quarter(value: str) -> str:
    return Quarter.parse(value).label


def _year(value: str) -> str:
    return FinancialYear.parse(value).label


def _span(value: str) -> str:
    parse_span(value)
    return str(value).strip()


def _period(value: str) -> str:
    """A quarter or a financial year (the horizon step decides which is used)."""
    text = str(value).strip()
    try:
        return Quarter.parse(text).label
    except ValueError:
        pass
    try:
        return FinancialYear.parse(text).label
    except ValueError:
        raise ValueError(f"{text!r} is not a quarter like '2019/20 Q1' or a year like '2019/20'") from None


SMALLEST_MAGNITUDE = 1e-9
"""Nonzero numbers smaller than this in size are errors (write 0): no column means anything that small."""

# The sane range of every number column (the README's "Security notes" repeat them).  A value
# outside its range is a located error: such values are slips or hostile, and break the solver.
MAX_PEOPLE = 10_000_000
"""Headcount or FTE of one row: at most 10 million (the whole NHS employs 1.5 million)."""
MAX_MONEY_PER_PERSON = 100_000_000
"""GBP per WTE or per person (salary, cap, redundancy or course cost): at most 100 million."""
MAX_MONEY_TOTAL = 1e12
"""GBP of one budget, entitlement or pot: at most 1 trillion (NHS England spends about 0.2 trillion)."""
MAX_MONEY_PER_PATIENT = 100_000
"""GBP per weighted patient per year (ARRS: under GBP 30)."""
MAX_POPULATION = 100_000_000
"""Patients of one list or target population: 0, or 1 to 100 million."""
MAX_CAPACITY = 1_000_000
"""Appointments (units of requirement) per WTE per year (a GP: about 8,000)."""
MAX_APPOINTMENTS_PER_PATIENT = 1_000
"""Appointments per registered patient per year (England: about 6)."""
MAX_WEIGHT = 1e9
"""A penalty per unit of shortfall, or an objective weight."""
MAX_SHARE = 100
"""A share of another quantity (``max_share_of_destination``): at most 100 times it."""
MAX_GENERIC = 1e12
"""Any other non-negative number column."""


def _meaningful(value: float | None) -> float | None:
    """Reject nonzero values too small to mean anything (1e-320 patients): they only break the solver."""
    if value is not None and value != 0 and abs(value) < SMALLEST_MAGNITUDE:
        raise ValueError(f"is too small to be meaningful (nonzero but below {SMALLEST_MAGNITUDE:g}): write 0")
    return value


def _whole_population(value: float | None) -> float | None:
    if value is not None and 0 < value < 1:
        raise ValueError("a population is 0 or at least 1 patient")
    return value


def _bounded(high: float, optional: bool = False) -> object:
    """A finite float in [0, ``high``], zero or at least 1e-9 in size; blank is None when ``optional``."""
    if optional:
        return Annotated[float | None, BeforeValidator(_blank_to_none), Field(ge=0, le=high, allow_inf_nan=False),
                         AfterValidator(_meaningful)]
    return Annotated[float, Field(ge=0, le=high, allow_inf_nan=False), AfterValidator(_meaningful)]


Id = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.\-]+$")]
Text = Annotated[str, Field(max_length=500), AfterValidator(check_name)]
"""A name or label: at most 500 characters, no control characters (:mod:`wfplan.files.names`)."""
OptText = Annotated[str | None, BeforeValidator(_blank_to_none), Field(max_length=5000),
                    AfterValidator(check_free_text)]
"""Free text (source, note): at most 5,000 characters; tabs and line breaks but no other controls."""
Description = Annotated[str, Field(max_length=500), AfterValidator(check_free_text)]
"""A manifest's description: at most 500 characters, line breaks allowed."""
OptId = Annotated[Id | None, BeforeValidator(_blank_to_none)]
Number = Annotated[float, AfterValidator(_finite)]
NonNeg = _bounded(MAX_GENERIC)
OptNonNeg = _bounded(MAX_GENERIC, optional=True)
People = _bounded(MAX_PEOPLE)
"""A number of people (headcount or FTE): at most 10 million, like :data:`Count`."""
OptPeople = _bounded(MAX_PEOPLE, optional=True)
OptMoney = _bounded(MAX_MONEY_PER_PERSON, optional=True)
"""GBP per WTE or per person: at most 100 million."""
OptMoneyTotal = _bounded(MAX_MONEY_TOTAL, optional=True)
OptMoneyPerPatient = _bounded(MAX_MONEY_PER_PATIENT, optional=True)
OptPopulation = Annotated[_bounded(MAX_POPULATION, optional=True), AfterValidator(_whole_population)]
Capacity = _bounded(MAX_CAPACITY)
AppointmentsPerPatient = _bounded(MAX_APPOINTMENTS_PER_PATIENT)
Weight = _bounded(MAX_WEIGHT)
OptShare = _bounded(MAX_SHARE, optional=True)
Rate = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False), AfterValidator(_meaningful)]
OptRate = Annotated[float | None, BeforeValidator(_blank_to_none), Field(ge=0, le=1, allow_inf_nan=False),
                    AfterValidator(_meaningful)]
Count = Annotated[int, Field(ge=0, le=10_000_000)]
OptCount = Annotated[int | None, BeforeValidator(_blank_to_none), Field(ge=0, le=10_000_000)]
QuarterLabel = Annotated[str, AfterValidator(_quarter)]
OptQuarterLabel = Annotated[str | None, BeforeValidator(_blank_to_none), AfterValidator(lambda v: None if v is None else _quarter(v))]
YearLabel = Annotated[str, AfterValidator(_year)]
PeriodLabel = Annotated[str, AfterValidator(_period)]
OptPeriodLabel = Annotated[str | None, BeforeValidator(_blank_to_none), AfterValidator(lambda v: None if v is None else _period(v))]
Money = _bounded(MAX_MONEY_PER_PERSON)
"""GBP per WTE or per person: at most 100 million, zero or at least 1e-9 (required)."""
SpanLabel = Annotated[str, AfterValidator(_span)]
Flag = Annotated[bool, BeforeValidator(lambda v: False if _blank_to_none(v) is None else v)]
AnnualGrowth = Annotated[float, Field(ge=-0.5, le=1.0), AfterValidator(_finite)]
"""A yearly growth rate: -50% to +100%."""
