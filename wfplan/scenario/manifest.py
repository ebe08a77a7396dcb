"""``scenario.toml``: the manifest that names a scenario, its bases, horizon, tables and settings.

The row models of its tables are in :mod:`wfplan.scenario.schema`; the manifest is
read by :func:`wfplan.scenario.load.read_manifest` (or from a workbook's ``scenario``
sheet, :mod:`wfplan.scenario.excel_io`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from wfplan.scenario.column_types import Description, OptPeople, OptText, PeriodLabel, Text, Weight
from wfplan.scenario.periods import FinancialYear, Quarter


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
