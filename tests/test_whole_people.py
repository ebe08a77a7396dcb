"""Whole-people plans: attrition follows the data, the LP is a true relaxation, and
the plan is the rounded LP's or better, with each level's proof against the LP.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.checker import check_plan
from tests.scenarios import write_scenario
from wfplan.pipeline import run_plan
from wfplan.scenario.load import load_scenario
from wfplan.scenario.synth import synth_scenario
from wfplan.solve import whole_people as whole_people_module
from wfplan.solve.tolerances import ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE

ROOT = Path(__file__).resolve().parents[1]
WILLIAMS = ROOT / "examples" / "williams_manpower"


@pytest.fixture(scope="module")
def nw_pair(nw_scenario, nw_lp_result):
    return nw_scenario, nw_lp_result, run_plan(nw_scenario, integer=True, gap=0.01)


@pytest.fixture(scope="module")
def synth_pair():
    scenario = synth_scenario(30, 1, seed=1)
    return scenario, run_plan(scenario, integer=False), run_plan(scenario, integer=True, gap=0.01)


@pytest.fixture(scope="module")
def williams_pair():
    scenario = load_scenario(WILLIAMS)
    return scenario, run_plan(scenario, integer=False), run_plan(scenario, integer=True)


def _first_difference(lp, whole) -> tuple[str, float, float] | None:
    """The first level (in priority order) where the two plans differ beyond the holding tolerance."""
    for level in lp.model.level_order:
        if level == "claims":
            continue
        a, b = lp.solution.objectives[level], whole.solution.objectives[level]
        vec = lp.model.builder.objective_vector(level)
        tol = 10 * max(ABSOLUTE_TOLERANCE * max(1.0, float(np.abs(vec).max())), RELATIVE_TOLERANCE * abs(a))
        if abs(a - b) > tol:
            return level, a, b
    return None


@pytest.mark.parametrize("pair", ["nw_pair", "synth_pair", "williams_pair"])
def test_integer_plan_is_lexicographically_no_better_than_its_lp_relaxation(pair, request) -> None:
    _, lp, whole = request.getfixturevalue(pair)
    difference = _first_difference(lp, whole)
    if difference is not None:
        level, relaxed, integer = difference
        assert integer > relaxed, f"the whole-people plan beats its LP relaxation at {level}: {integer} < {relaxed}"


@pytest.mark.parametrize("pair", ["nw_pair", "synth_pair", "williams_pair"])
def test_whole_people_plans_keep_every_rule(pair, request) -> None:
    scenario, _, whole = request.getfixturevalue(pair)
    assert check_plan(scenario, whole.tables, integer=True) == []


@pytest.mark.parametrize("pair", ["nw_pair", "synth_pair"])
def test_leavers_summed_per_role_follow_the_expected_attrition(pair, request) -> None:
    """Leavers are the data's expectation: per role over the horizon within 1% (or one person)
    of the attrition rates applied to the plan's own staff and recruits."""
    scenario, _, whole = request.getfixturevalue(pair)
    inputs = whole.model.inputs
    plan = whole.tables.plan
    P, R, T = inputs.shape
    staff = plan["staff_headcount"].to_numpy().reshape(P, R, T)
    recruits = (plan["starters"] + plan["replacements"]).to_numpy().reshape(P, R, T)
    starts = plan["training_starts"].to_numpy().reshape(P, R, T)
    previous = np.concatenate([inputs.initial[:, :, None], staff[:, :, :-1]], axis=2)
    on_course = np.zeros_like(staff)
    for from_ri, lead in zip(inputs.transitions["from_ri"], inputs.transitions["lead_periods"], strict=True):
        for j in range(int(lead)):
            on_course[:, from_ri, j:] += starts[:, from_ri, : T - j]
    on_course = np.concatenate([np.zeros((P, R, 1)), on_course[:, :, :-1]], axis=2)
    expected = inputs.attrition[None, :, None] * (previous - on_course)
    survive = 1.0 - (inputs.attrition + inputs.first_year_extra)
    for j in range(1, inputs.first_year_periods + 1):
        expected[:, :, j:] += (inputs.first_year_extra * survive ** (j - 1))[None, :, None] * recruits[:, :, : T - j]
    by_role = plan.groupby("role", sort=False)["leavers"].sum()
    for r, role in enumerate(inputs.roles):
        want = float(expected[:, r, :].sum())
        assert abs(by_role[role] - want) <= max(0.01 * want, 1.0), (role, by_role[role], want)


def test_recruits_courses_and_releases_are_whole_people(nw_pair) -> None:
    plan = nw_pair[2].tables.plan
    for column in ("starters", "training_starts", "released", "short_time"):
        assert np.allclose(plan[column], np.round(plan[column])), column


def test_trainees_who_do_not_complete_leave_as_training_leavers(nw_pair) -> None:
    """The (1 - success rate) of each trainee cohort is an outflow of its own, not a vanishing."""
    scenario, _, whole = nw_pair
    plan = whole.tables.plan
    course = scenario.table("transitions").iloc[0]
    trainees = plan[plan["role"] == course["from_role"]]
    ended = trainees["transitions_out"] + trainees["training_leavers"]
    assert ended.sum() > 0
    assert trainees["training_leavers"].sum() == pytest.approx((1 - course["success_rate"]) * ended.sum(), rel=1e-9)
    flows = whole.tables.flows
    assert (flows["flow"] == "training_leavers").any()


def test_each_level_is_proven_against_the_lp_relaxation(nw_pair) -> None:
    """Every level's bound is the LP's value there; its gap is how far the plan can be from the best."""
    _, lp, whole = nw_pair
    for record in whole.solution.levels:
        if record.level == "claims":
            continue
        assert record.bound == pytest.approx(lp.solution.objectives[record.level], rel=1e-6, abs=1e-3)
        assert record.objective >= record.bound - 1e-3
        assert record.gap == pytest.approx((record.objective - record.bound) / max(1.0, record.objective),
                                              abs=1e-9)
    # the targets are met exactly: the LP's value there is 0 and so is the plan's
    p1 = next(rec for rec in whole.solution.levels if rec.level == "p1")
    assert p1.status == "optimal"


def test_summary_levels_are_the_final_plans_own_values(nw_pair) -> None:
    whole = nw_pair[2]
    x = whole.solution.x
    builder = whole.model.builder
    for level, value in whole.solution.objectives.items():
        assert value == pytest.approx(float(builder.objective_vector(level) @ x), rel=1e-12, abs=1e-9)
    for record in whole.solution.levels:
        assert record.objective == pytest.approx(whole.solution.objectives[record.level], rel=1e-9, abs=1e-6)


def test_goals_never_show_a_requirement_met_by_rounding_as_short(nw_pair) -> None:
    for result in nw_pair[1:]:
        goals = result.tables.goals
        met = goals[(goals["kind"] == "at_least") & (goals["shortfall"] == 0)]
        assert (met["achieved"] >= met["required"]).all()
        short = goals[goals["shortfall"] > 0]
        assert np.allclose(short["required"] - short["achieved"], short["shortfall"])


def test_a_time_limited_plan_is_no_worse_than_the_rounded_lp(tmp_path: Path, monkeypatch) -> None:
    """With a 1 s limit, branch and bound may not finish: the plan returned is still the
    rounded LP's (or better), never a worse incumbent."""
    scenario = load_scenario(write_scenario(tmp_path / "tiny", integer=True, end="2023/24 Q4"))
    rounded_only = run_plan(scenario, integer=True)  # small: branch and bound gets its default time
    monkeypatch.setattr(whole_people_module, "BRANCH_AND_BOUND_MAX_INTEGERS", -1)  # rounding only
    baseline = run_plan(scenario, integer=True)
    assert baseline.solution.method == "rounded LP"
    limited = run_plan(scenario, integer=True, time_limit=1.0)
    for better in (limited, rounded_only):
        for level in baseline.model.level_order:
            if level == "claims":
                continue
            a, b = better.solution.objectives[level], baseline.solution.objectives[level]
            if abs(a - b) > 1e-6 * max(1.0, abs(b)):
                assert a < b, (level, a, b)
                break


def test_plan_tables_reconcile_stock_and_flows(nw_pair) -> None:
    plan = nw_pair[2].tables.plan.sort_values(["pcn", "role", "period"])
    net = (plan["starters"] + plan["replacements"] + plan["transitions_in"] - plan["leavers"] - plan["released"]
           - plan["transitions_out"] - plan["training_leavers"])
    change = plan.groupby(["pcn", "role"])["staff_headcount"].diff()
    joined = pd.DataFrame({"change": change, "net": net}).dropna()
    assert np.allclose(joined["change"], joined["net"], atol=1e-6)
