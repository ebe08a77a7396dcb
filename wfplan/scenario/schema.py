"""The scenario data schema: one pydantic model per table row, and the list of tables.

This module is the single place that says what a scenario may contain.  A
scenario is a directory holding ``scenario.toml`` (or ``.yaml``) and tidy CSV
tables named after the keys of :data:`TABLES`.  Each CSV row is validated
against the row model below; the loader (:mod:`wfplan.scenario.load`) turns pydantic's
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

The column types (and their bounds) are in :mod:`wfplan.scenario.column_types`, the
manifest in :mod:`wfplan.scenario.manifest`.  The row models stay together in this one
module, over the ~400-line bound: tables name each other's keys (a PCN's
place, a flow's role, a target's area), so one table is read beside the
others, and :data:`TABLES` and :data:`KEYS` list them all in one place.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from wfplan.scenario.column_types import (
    AnnualGrowth,
    AppointmentsPerPatient,
    Capacity,
    Count,
    Direction,
    Flag,
    Id,
    Level,
    Money,
    OptCount,
    OptId,
    OptMoney,
    OptMoneyPerPatient,
    OptMoneyTotal,
    OptNonNeg,
    OptPeople,
    OptPeriodLabel,
    OptPopulation,
    OptQuarterLabel,
    OptRate,
    OptShare,
    OptText,
    People,
    PeriodLabel,
    QuarterLabel,
    Rate,
    SpanLabel,
    StaffGroup,
    Text,
    Weight,
    YearLabel,
)


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
    funding_budget: OptId = None
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
    area: OptId = None
    by: PeriodLabel
    until: OptPeriodLabel = None
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
    annual_growth: AnnualGrowth = 0.0
    priority: Annotated[int, Field(ge=1, le=9)] = 2
    penalty: Weight = 1.0
    split: Literal["registered_list", "weighted_list", "need"] = "registered_list"


# --- every table ------------------------------------------------------------


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

KEYS: dict[str, tuple[str, ...]] = {
    "places": ("place",),
    "pcns": ("pcn",),
    "practices": ("practice",),
    "roles": ("role",),
    "staff_in_post": ("level", "area", "role", "as_at"),
    "flow_types": ("role", "direction", "flow"),
    "planned_flows": ("level", "area", "role", "direction", "flow", "period"),
    "historic_fte": ("level", "area", "role", "quarter"),
    "attrition": ("role",),
    "supply": ("role", "level", "area", "period", "route"),
    "transitions": ("transition",),
    "planned_leavers": ("level", "area", "role", "period", "reason"),
    "trainees_on_course": ("level", "area", "transition", "started", "completes"),
    "role_costs": ("role", "year"),
    "arrs_years": ("year",),
    "arrs_pots": ("year", "pot"),
    "arrs_roles": ("year", "role", "from_quarter"),
    "recruitment_routes": ("year", "role", "route"),
    "budgets": ("budget", "year", "level", "area"),
    "targets": ("target",),
    "demand": ("level", "area", "from_period"),
}
"""The columns that identify a row of each table (duplicates are errors)."""
