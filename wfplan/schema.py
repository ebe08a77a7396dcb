"""The scenario data schema: one pydantic model per table row, plus the manifest.

This module is the single place that says what a scenario may contain.  A
scenario is a directory holding ``scenario.toml`` (or ``.yaml``) and tidy CSV
tables named after the keys of :data:`TABLES`.  Each CSV row is validated
against the row model below; the loader (:mod:`wfplan.load`) turns pydantic's
errors into file/row/column messages.

Conventions shared by every table:

* ``source`` says where a value comes from: a document by title and section,
  table or figure ("Norfolk and Waveney STP Primary Care Strategy
  2019/20-2023/24, section 3.6, Table 1"), or a public page by publisher, title,
  date and address.  ``estimate`` is true where a value was derived and
  ``note`` states the rule used.
* Periods are labels: quarters ``2019/20 Q1``, years ``2019/20``.
* Areas are addressed by ``level`` (``system``, ``place`` or ``pcn``) and
  ``area`` (the id at that level; the system id for ``system``).
* Money is GBP per year unless a column says otherwise; rates are fractions.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from wfplan.names import check_free_text, check_name
from wfplan.periods import FinancialYear, Quarter, parse_span


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
"""A name or label: at most 500 characters, no control characters (:mod:`wfplan.names`)."""
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
Money = _bounded(MAX_MONEY_PER_PERSON)
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
Money = Annotated[float, Field(ge=0, le=100_000_000, allow_inf_nan=False)]
"""GBP per WTE or per person: at most 100 million (required)."""
SpanLabel = Annotated[str, AfterValidator(_span)]
Flag = Annotated[bool, BeforeValidator(lambda v: False if _blank_to_none(v) is None else v)]


class Row(BaseModel):
    """Base row: unknown columns are errors; text is trimmed; provenance columns."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    source: OptText = None
    estimate: Flag = False
    note: OptText = None

    @model_validator(mode="after")
    def _estimates_state_their_rule(self) -> Row:
        if self.estimate and not self.note:
            raise ValueError("an estimate must state the rule used in 'note'")
        return self


# --- geography ------------------------------------------------------------


class PlaceRow(Row):
    """A Place (CCG area) within the system."""

    place: Id
    name: Text
    system: Id


class PcnRow(Row):
    """A Primary Care Network; list sizes may be given here or summed from practices."""

    pcn: Id
    name: Text
    place: Id
    registered_list: OptCount = None
    weighted_list: OptPopulation = None
    need_index: OptShare = None
    """Relative need per registered patient (age, deprivation...; 1 when blank):
    a demand row whose ``split`` is ``need`` is shared in proportion to
    registered list x need index."""


class PracticeRow(Row):
    """A GP practice, member of one PCN."""

    practice: Id
    name: Text
    pcn: Id
    registered_list: Count
    weighted_list: OptPopulation = None


# --- roles and workforce ----------------------------------------------------


class RoleRow(Row):
    """A role (job) and the NHSE staff group it reports under.

    ``annual_cost`` is the employer's cost per WTE per year; ``capacity`` is
    appointments (or units of requirement) delivered per WTE per year;
    ``funding_budget`` names the budget (see ``budgets``) that pays what ARRS
    does not.  The manpower-planning columns (redundancy, overstaffing,
    short-time) default to "not allowed".
    """

    role: Id
    name: Text
    staff_group: StaffGroup
    participation_rate: Rate = 1.0
    annual_cost: OptMoney = None
    capacity: Capacity = 0.0
    funding_budget: Annotated[Id | None, BeforeValidator(_blank_to_none)] = None
    redundancy_cost: OptMoney = None
    overstaffing_cost: OptMoney = None
    overstaffing_limit: OptPeople = None
    short_time_cost: OptMoney = None
    short_time_limit: OptPeople = None
    short_time_capacity: Rate = 0.5
    serves: Literal["pcn", "place", "system"] = "pcn"
    """Whose appointment demand the role's staff meet: their own PCN's (the
    default), or any PCN of their place or system (a declared shared service,
    such as a place hub)."""


class StaffInPostRow(Row):
    """Staff in post at the end of quarter ``as_at`` (the plan's starting stock)."""

    level: Level
    area: Id
    role: Id
    as_at: PeriodLabel
    headcount: People
    fte: OptPeople = None


class FlowTypeRow(Row):
    """An inflow source or outflow reason for a role, with its participation rate."""

    role: Id
    direction: Direction
    flow: Id
    label: Text
    participation_rate: Rate


class PlannedFlowRow(Row):
    """A planned headcount flow in a quarter or a span of quarters (``2018/19 Q3-Q4``)."""

    level: Level
    area: Id
    role: Id
    direction: Direction
    flow: Id
    period: SpanLabel
    headcount: People


class HistoricFteRow(Row):
    """Historic FTE in post at the end of a quarter (the template's historic trend)."""

    level: Level
    area: Id
    role: Id
    quarter: QuarterLabel
    fte: People


class AttritionRow(Row):
    """Annual leaving rates: experienced staff and staff in their first year."""

    role: Id
    annual_rate: Rate
    first_year_annual_rate: OptRate = None


class SupplyRow(Row):
    """Most starters of a role that can be recruited in a period in an area.

    ``route`` (optional) limits only the starters recruited through that
    recruitment route of the role (see :class:`RecruitmentRouteRow`); a row
    without one limits all the role's starters in the area and period.
    """

    role: Id
    level: Level
    area: Id
    period: PeriodLabel
    max_starters: People
    route: OptId = None


class PlannedLeaverRow(Row):
    """Known leavers: people in post at the start of the plan who will leave in ``period``.

    Retirements and fixed-term contracts ending, for example, as the
    checkpoint template's outflow rows.  ``headcount`` whole people of
    ``role`` leave the PCN (or are apportioned to the PCNs of a place or the
    system by registered list, in whole people) in ``period``: a quarter for a
    quarterly horizon, a year for a yearly one.  They are people already in
    post, so a PCN's planned leavers of a role over the horizon may not exceed
    its staff in post at the start.  They leave in addition to ``attrition``
    (which applies to everyone else); a scenario that lists every retirement
    may lower its attrition rate accordingly.
    """

    level: Level = Level.PCN
    area: Id
    role: Id
    period: PeriodLabel
    headcount: Count
    reason: Literal["retirement", "fixed_term_end", "resignation", "other"]


class TraineesOnCourseRow(Row):
    """People already on a training pipeline (``transition``) when the plan starts.

    ``headcount`` trainees of the transition's from-role (for example trainee
    nursing associates) who started their course before the horizon and are
    part of the from-role's staff in post at the start.  Give either
    ``started`` (the period their course began: they finish ``lead_periods``
    later) or ``completes`` (the period their course ends), not both.  When it
    ends, they leave the from-role and the transition's ``success_rate`` of
    them join its to-role.  Coarser levels are apportioned to PCNs by
    registered list (whole people).
    """

    level: Level = Level.PCN
    area: Id
    transition: Id
    started: OptPeriodLabel = None
    completes: OptPeriodLabel = None
    headcount: Count

    @model_validator(mode="after")
    def _started_or_completes(self) -> TraineesOnCourseRow:
        if (self.started is None) == (self.completes is None):
            raise ValueError("give exactly one of 'started' (when the course began) and 'completes' (when it ends)")
        return self


class TransitionRow(Row):
    """A progression, training pipeline or retraining from one role to another.

    People who start stay in ``from_role`` (e.g. as trainees) for
    ``lead_periods`` periods; then ``success_rate`` of them join ``to_role``
    and the rest leave.  With lead 0 the move is immediate (retraining).  Limits can be
    absolute per period or a share of the destination role's staff.
    """

    transition: Id
    from_role: Id
    to_role: Id
    lead_periods: Annotated[int, Field(ge=0, le=40)] = 0
    success_rate: Rate = 1.0
    cost_per_person: Money = 0.0
    max_per_period: OptPeople = None
    max_share_of_destination: OptShare = None


# --- money and rules --------------------------------------------------------


def _one_entitlement_rule(per_patient: float | None, per_pcn: float | None) -> None:
    if (per_patient is None) == (per_pcn is None):
        raise ValueError("give exactly one of entitlement_per_weighted_patient and entitlement_per_pcn")


class ArrsYearRow(Row):
    """A financial year's ARRS entitlement rule: each PCN's Additional Roles Reimbursement Sum.

    Entitlement per PCN = ``entitlement_per_weighted_patient`` x weighted list,
    or ``entitlement_per_pcn`` where the year gives a flat sum per PCN.  Claims
    for every role of the year are paid from this one sum unless the role's
    ``arrs_roles`` row names a separate ``pot`` (see :class:`ArrsPotRow`).

    ``combined_pot`` states that the year has a single combined sum per PCN
    covering every reimbursable role, including roles that had a separate pot
    before (2025/26 folded the ring-fenced GP pot of 2024/25 into it): no
    ``arrs_roles`` row of the year may name a pot.  ``no_number_caps`` states
    that the year's rules restrict neither the number nor the type of staff:
    no ``arrs_roles`` row of the year may give a number cap.  Both are
    explicit statements of the published rules, checked against the rows.
    """

    year: YearLabel
    entitlement_per_weighted_patient: OptMoneyPerPatient = None
    entitlement_per_pcn: OptMoneyTotal = None
    national_pot: OptMoneyTotal = None
    baseline_date: OptText = None
    combined_pot: Flag = False
    no_number_caps: Flag = False

    @model_validator(mode="after")
    def _one_entitlement_rule(self) -> ArrsYearRow:
        _one_entitlement_rule(self.entitlement_per_weighted_patient, self.entitlement_per_pcn)
        return self


class ArrsPotRow(Row):
    """A ring-fenced ARRS sum per PCN, separate from the year's main sum in ``arrs_years``.

    Claims for the roles whose ``arrs_roles`` row names this ``pot`` are paid
    from it (and only from it): for example the 2024/25 pot for newly
    qualified GPs, GBP 1.303 per weighted patient.  The amount per PCN
    follows the same rule as ``arrs_years``.
    """

    year: YearLabel
    pot: Id
    entitlement_per_weighted_patient: OptNonNeg = None
    entitlement_per_pcn: OptNonNeg = None
    national_pot: OptNonNeg = None

    @model_validator(mode="after")
    def _one_entitlement_rule(self) -> ArrsPotRow:
        _one_entitlement_rule(self.entitlement_per_weighted_patient, self.entitlement_per_pcn)
        return self


class ArrsRoleRow(Row):
    """A role's ARRS terms in a year, in force from ``from_quarter`` (default Q1).

    A role absent from a year is not claimable that year.  Number caps are WTE
    per PCN; a list of ``large_list_threshold`` or more switches to
    ``max_wte_per_pcn_large``.  ``uncapped`` states explicitly that the rules
    set no number cap for the role (a cap removed, or none ever set), rather
    than that none is known: it cannot be combined with ``max_wte_per_pcn``.
    Either way a blank ``max_wte_per_pcn`` means no cap.  ``pot`` names a
    ring-fenced sum in ``arrs_pots`` that pays this role's claims; blank means
    the year's main sum in ``arrs_years``.
    """

    year: YearLabel
    role: Id
    from_quarter: OptQuarterLabel = None
    reimbursement_rate: Rate
    cap_per_wte: Money
    max_wte_per_pcn: OptPeople = None
    large_list_threshold: OptCount = None
    max_wte_per_pcn_large: OptPeople = None
    uncapped: Flag = False
    pot: OptId = None

    @model_validator(mode="after")
    def _cap_or_uncapped(self) -> ArrsRoleRow:
        if self.uncapped and (self.max_wte_per_pcn is not None or self.max_wte_per_pcn_large is not None):
            raise ValueError("'uncapped' says there is no number cap: leave max_wte_per_pcn and "
                             "max_wte_per_pcn_large blank")
        return self


class RecruitmentRouteRow(Row):
    """Whether starters of ``role`` recruited through ``route`` can be claimed under ARRS in ``year``.

    A route is where a starter comes from, for example ``external`` or
    ``from_member_practice`` (employed by the PCN or a member practice in the
    previous 12 months: not claimable for general practice nurses and
    healthcare support workers from 2025/26), or for GPs ``newly_qualified``
    and ``experienced``.  Starters through a route with ``arrs_claimable``
    false count as staff but never as ARRS claims (like the 31 March 2019
    baseline); ``supply`` rows may limit each route.  A role with no routes in
    a year, or a route not listed for the year, is claimable as its
    ``arrs_roles`` terms say.
    """

    year: YearLabel
    role: Id
    route: Id
    label: Text
    arrs_claimable: bool


class RoleCostRow(Row):
    """A role's employer cost per WTE in one financial year (pay awards year by year).

    Salary plus employer on-costs, GBP a year per WTE, like ``roles.annual_cost``.
    A year without a row uses the latest earlier year's row, and a role with
    no row before it uses ``roles.annual_cost``.
    """

    role: Id
    year: YearLabel
    annual_cost: Money


class BudgetRow(Row):
    """A named budget other than ARRS, per year and area; blank amount = unlimited."""

    budget: Id
    year: YearLabel
    level: Level
    area: Id
    amount: OptMoneyTotal = None


# --- goals ------------------------------------------------------------------


class TargetRow(Row):
    """A dated staffing target.

    ``basis`` says how ``quantity`` scales: ``per_pcn`` (each PCN, or the PCN
    named in ``area``), ``per_practice`` (x practices in each PCN),
    ``per_population`` (x list / ``population`` per PCN), ``total`` (one figure
    for ``level``/``area``).  ``kind`` ``at_least`` targets are goals that may
    be missed at ``penalty`` per unit (priority 1 is settled first); ``exact``
    is a manpower requirement met exactly or by overstaffing/short-time.
    """

    target: Id
    role: Id
    basis: Literal["per_pcn", "per_practice", "per_population", "total"]
    quantity: People
    unit: Literal["headcount", "fte"] = "headcount"
    population: OptPopulation = None
    level: Level = Level.PCN
    area: Annotated[Id | None, BeforeValidator(_blank_to_none)] = None
    by: PeriodLabel
    until: Annotated[str | None, BeforeValidator(_blank_to_none), AfterValidator(lambda v: None if v is None else _period(v))] = None
    kind: Literal["at_least", "exact"] = "at_least"
    priority: Annotated[int, Field(ge=1, le=9)] = 1
    penalty: Weight = 1.0
    hard: Flag = False

    @model_validator(mode="after")
    def _population_for_per_population(self) -> TargetRow:
        if self.basis == "per_population" and not self.population:
            raise ValueError("basis 'per_population' needs a positive 'population'")
        return self


class DemandRow(Row):
    """Appointments per registered patient per year to be met by the planned roles.

    Grows by ``annual_growth`` a year from ``from_period``.  Capacity per WTE is
    each role's ``capacity``.  Demand belongs to the patients of each PCN: a
    place or system row is shared out to its PCNs by ``split`` (registered
    list, weighted list, or registered list x the PCN's ``need_index``), and
    each PCN's share is met by its own staff (and by roles that serve its
    place or system; see ``RoleRow.serves``).
    """

    level: Level
    area: Id
    from_period: PeriodLabel
    appointments_per_patient: AppointmentsPerPatient
    annual_growth: Annotated[float, Field(ge=-0.5, le=1.0), AfterValidator(_finite)] = 0.0
    priority: Annotated[int, Field(ge=1, le=9)] = 2
    penalty: Weight = 1.0
    split: Literal["registered_list", "weighted_list", "need"] = "registered_list"


# --- the manifest -----------------------------------------------------------


TABLES: dict[str, type[Row]] = {
    "places": PlaceRow,
    "pcns": PcnRow,
    "practices": PracticeRow,
    "roles": RoleRow,
    "staff_in_post": StaffInPostRow,
    "flow_types": FlowTypeRow,
    "planned_flows": PlannedFlowRow,
    "historic_fte": HistoricFteRow,
    "attrition": AttritionRow,
    "supply": SupplyRow,
    "transitions": TransitionRow,
    "planned_leavers": PlannedLeaverRow,
    "trainees_on_course": TraineesOnCourseRow,
    "role_costs": RoleCostRow,
    "arrs_years": ArrsYearRow,
    "arrs_pots": ArrsPotRow,
    "arrs_roles": ArrsRoleRow,
    "recruitment_routes": RecruitmentRouteRow,
    "budgets": BudgetRow,
    "targets": TargetRow,
    "demand": DemandRow,
}
"""Every table a scenario may hold, by file stem.  All are optional."""


class Horizon(BaseModel):
    """The planning horizon: first and last period, and the step."""

    model_config = ConfigDict(extra="forbid")

    start: PeriodLabel
    end: PeriodLabel
    step: Literal["quarter", "year"] = "quarter"

    @model_validator(mode="after")
    def _labels_follow_step_in_order(self) -> Horizon:
        if self.step == "quarter":
            kind, parse = "quarters like '2019/20 Q1'", lambda s: Quarter.parse(s).index
        else:
            kind, parse = "years like '2019/20'", lambda s: FinancialYear.parse(s).start
        try:
            first, last = parse(self.start), parse(self.end)
        except ValueError:
            raise ValueError(f"with step '{self.step}', start and end must be {kind}") from None
        if last < first:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Objective(BaseModel):
    """How goals are traded off.

    ``lexicographic``: priority levels are optimised in order (targets, then
    unmet demand, then cost), each level held at its optimum.  ``weighted``:
    one solve of penalty x shortfall + ``cost_weight`` x cost.  ``minimise``
    picks the final criterion: ``cost`` or ``redundancy`` (the manpower
    planning classic).  ``fairness`` adds a term for the largest shortfall per
    10,000 weighted patients across PCNs.
    """

    model_config = ConfigDict(extra="forbid")

    mode: Literal["lexicographic", "weighted"] = "lexicographic"
    minimise: Literal["cost", "redundancy"] = "cost"
    cost_weight: Weight = 1e-6
    fairness: bool = False
    smoothing_weight: Weight = 0.0
    relative_tolerance: Annotated[float, Field(ge=0, le=0.5)] = 1e-9


class ModelSettings(BaseModel):
    """Modelling switches with defaults that suit NHS primary care planning."""

    model_config = ConfigDict(extra="forbid")

    integer: bool = True
    arrs_baseline: PeriodLabel | None = None
    overstaffing_limit_total: OptPeople = None
    allow_release: bool = False


class Manifest(BaseModel):
    """``scenario.toml``: names the scenario, its base scenarios and tables."""

    model_config = ConfigDict(extra="forbid")

    name: Text
    description: Description = ""
    extends: list[str] = Field(default_factory=list)
    horizon: Horizon | None = None
    tables: dict[str, str] = Field(default_factory=dict)
    objective: Objective = Field(default_factory=Objective)
    model: ModelSettings = Field(default_factory=ModelSettings)
    overrides: list[dict[str, object]] = Field(default_factory=list)
    source: OptText = None
