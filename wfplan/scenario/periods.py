"""NHS financial-year periods: quarters (``2019/20 Q1`` = Apr-Jun 2019) and years.

Every date-like value in a scenario is one of these labels.  A period is held as
an integer *index* so that arithmetic (lead times, "by" dates, ordering) is
plain integer arithmetic; labels are only for people.

* a quarter index is ``4 * start_year + (q - 1)``: ``2019/20 Q1`` -> 8076;
* a financial year is written ``2019/20`` (April 2019 to March 2020);
* a span of quarters is written ``2018/19 Q3-Q4`` (used by the checkpoint
  template's "2018/19 Oct-Mar" column, which is ``2018/19 Q3-Q4``);
* a :class:`Horizon` is the run of periods a scenario plans, in quarters or years.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FY = r"(?P<y1>\d{4})/(?P<y2>\d{2})"
_QUARTER_RE = re.compile(rf"^{_FY}\s+Q(?P<q>\d)$")
_SPAN_RE = re.compile(rf"^{_FY}\s+Q(?P<q>\d)\s*-\s*Q(?P<q2>\d)$")
_YEAR_RE = re.compile(rf"^{_FY}$")
_MONTHS = ("Apr-Jun", "Jul-Sep", "Oct-Dec", "Jan-Mar")


class PeriodError(ValueError):
    """A period label that is not a valid NHS financial year or quarter."""


def _check_year(text: str, y1: str, y2: str) -> int:
    start = int(y1)
    if (start + 1) % 100 != int(y2):
        raise PeriodError(
            f"{text!r}: the second year must follow the first (e.g. '{start}/{(start + 1) % 100:02d}')"
        )
    if not 1990 <= start <= 2100:
        raise PeriodError(f"{text!r}: year {start} is outside 1990-2100")
    return start


@dataclass(frozen=True, order=True)
class Quarter:
    """One financial-year quarter, ordered by time."""

    index: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse ``'2019/20 Q1'``; raise :class:`PeriodError` naming what is expected."""
        m = _QUARTER_RE.match(str(text).strip())
        if not m:
            raise PeriodError(f"{text!r} is not a quarter like '2019/20 Q1'")
        start = _check_year(text, m["y1"], m["y2"])
        q = int(m["q"])
        if not 1 <= q <= 4:
            raise PeriodError(f"{text!r}: quarter must be Q1-Q4")
        return cls(4 * start + q - 1)

    @classmethod
    def first_of(cls, year: FinancialYear) -> Quarter:
        return cls(4 * year.start)

    @property
    def start_year(self) -> int:
        return self.index // 4

    @property
    def q(self) -> int:
        return self.index % 4 + 1

    @property
    def year(self) -> FinancialYear:
        return FinancialYear(self.start_year)

    @property
    def label(self) -> str:
        return f"{self.year.label} Q{self.q}"

    @property
    def months(self) -> str:
        return _MONTHS[self.q - 1]

    def __add__(self, quarters: int) -> Quarter:
        return Quarter(self.index + quarters)

    def __sub__(self, other: Quarter) -> int:
        return self.index - other.index

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True, order=True)
class FinancialYear:
    """An NHS financial year, April to March, written ``2019/20``."""

    start: int

    @classmethod
    def parse(cls, text: str) -> FinancialYear:
        m = _YEAR_RE.match(str(text).strip())
        if not m:
            raise PeriodError(f"{text!r} is not a financial year like '2019/20'")
        return cls(_check_year(text, m["y1"], m["y2"]))

    @property
    def label(self) -> str:
        return f"{self.start}/{(self.start + 1) % 100:02d}"

    @property
    def quarters(self) -> list[Quarter]:
        return [Quarter(4 * self.start + i) for i in range(4)]

    def __str__(self) -> str:
        return self.label


def parse_span(text: str) -> tuple[Quarter, Quarter]:
    """Parse a quarter (``2019/20 Q2``) or a span within a year (``2018/19 Q3-Q4``)."""
    text = str(text).strip()
    m = _SPAN_RE.match(text)
    if m:
        start = _check_year(text, m["y1"], m["y2"])
        q1, q2 = int(m["q"]), int(m["q2"])
        if not (1 <= q1 <= q2 <= 4):
            raise PeriodError(f"{text!r}: a span must run forwards within Q1-Q4")
        return Quarter(4 * start + q1 - 1), Quarter(4 * start + q2 - 1)
    try:
        q = Quarter.parse(text)
    except PeriodError:
        raise PeriodError(
            f"{text!r} is not a quarter like '2019/20 Q1' or a span like '2018/19 Q3-Q4'"
        ) from None
    return q, q


def quarter_range(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every quarter from ``first`` to ``last`` inclusive."""
    return [Quarter(i) for i in range(first.index, last.index + 1)]


def span_label(first: Quarter, last: Quarter) -> str:
    """Inverse of :func:`parse_span`."""
    if first == last:
        return first.label
    return f"{first.year.label} Q{first.q}-Q{last.q}"


@dataclass(frozen=True)
class Horizon:
    """The planning periods: indices (quarter or year index) and labels."""

    step: str
    periods: tuple[int, ...]

    @property
    def periods_per_year(self) -> int:
        return 4 if self.step == "quarter" else 1

    def label(self, index: int) -> str:
        return Quarter(index).label if self.step == "quarter" else FinancialYear(index).label

    def index(self, label: str) -> int:
        """The period index of a label in this horizon's step (raises PeriodError)."""
        if self.step == "quarter":
            return Quarter.parse(label).index
        return FinancialYear.parse(label).start

    def year_of(self, index: int) -> str:
        return Quarter(index).year.label if self.step == "quarter" else FinancialYear(index).label

    @property
    def labels(self) -> list[str]:
        return [self.label(p) for p in self.periods]

    @property
    def first(self) -> int:
        return self.periods[0]

    @property
    def last(self) -> int:
        return self.periods[-1]
