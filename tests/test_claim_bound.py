"""The baseline switch's big M: the most WTE a PCN could ever claim for a role in a quarter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wfplan.model import inputs as model_inputs
from wfplan.model.formulation import money
from wfplan.scenario.load import load_scenario

NW = Path(__file__).resolve().parents[1] / "examples" / "norfolk_waveney"


def test_claim_bound_is_the_number_cap_or_what_the_years_entitlement_buys() -> None:
    inputs = model_inputs.prepare(load_scenario(NW))
    bound = money.claim_upper_bound(inputs)
    eligible = inputs.arrs_rate > 0
    year_of_t = inputs.period_years
    amount = {(pi, year): a for pi, year, a in zip(inputs.entitlement["pi"], inputs.entitlement["year"],
                                                    inputs.entitlement["amount"], strict=True)}
    for p, r, t in zip(*np.nonzero(eligible), strict=True):
        affordable = amount[(p, year_of_t[t])] / inputs.arrs_rate[p, r, t]
        assert bound[p, r, t] == min(inputs.arrs_wte_cap[p, r, t], affordable)
    assert np.all(bound[eligible] < money.UNBOUNDED_CLAIM_WTE)  # every N&W PCN has an entitlement
    assert np.isinf(inputs.arrs_wte_cap[eligible]).any()  # so uncapped roles are bounded by money alone


def test_the_bound_cuts_off_no_plan(monkeypatch) -> None:
    """Planned with the old loose M (1e4 everywhere), claims stay within the bound and are worth the same."""
    from wfplan.pipeline import run_plan

    scenario = load_scenario(NW)
    tight = run_plan(scenario, integer=False)
    bound = money.claim_upper_bound(tight.model.inputs)
    monkeypatch.setattr(money, "claim_upper_bound",
                        lambda inputs: np.full(inputs.shape, money.UNBOUNDED_CLAIM_WTE))
    loose = run_plan(scenario, integer=False)
    claims = loose.model.builder.value("claim_wte", loose.solution.x)
    assert np.all(claims <= bound + 1e-6)
    for level in ("p2", "final_cost", "claims"):
        assert tight.solution.objectives[level] == pytest.approx(loose.solution.objectives[level], rel=1e-6)
