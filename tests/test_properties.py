"""Property-based tests: generated scenarios plan correctly; mutated ones fail cleanly.

1. Every small valid quarterly NHS scenario drawn by :func:`strategies.nhs_scenarios`
   (one place, 1-3 PCNs, 1-3 ARRS roles, 2020/21 Q1 .. 2021/22 Q4, soft goals only)
   has a plan, in LP and in integer mode, that the independent checker
   (:func:`checker.check_plan`) finds keeps every rule; no objective level after
   the first is ever infeasible (each starts from a plan the level before found).
2. Replacing any cell of such a scenario with a hostile value (text, blanks,
   NaN, infinities, overflowing numbers, bad periods, unknown ids, formulas,
   unicode, NUL, very long text) gives ``wfplan validate`` exit 0 (still valid)
   or exit 2 with an ``error:`` naming the file (and the row), never a
   traceback; ``wfplan plan`` never raises and leaves no ``--out`` directory
   when it exits 2.

Examples are derandomized (the same every run) and kept few enough for two
shared cores.  Bugs found while writing these are pinned at the end with
minimal scenarios; those still open are strict xfails (a fix turns them into
XPASS failures: then delete the marker).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from solvers import Status, available_solvers  # noqa: E402
from tests.checker import check_plan
from tests.cli_run import invoke  # noqa: E402
from tests.scenarios import Base, write_scenario
from tests.strategies import GeneratedScenario, Mutation, apply, mutations, nhs_scenarios
from wfplan.pipeline import run_plan  # noqa: E402
from wfplan.scenario.load import load_scenario  # noqa: E402

pytestmark = pytest.mark.skipif("highs" not in available_solvers(), reason="HiGHS is not installed")

PLAN_EXAMPLES = 40
MUTATION_EXAMPLES = 150
TIME_LIMIT = 10.0

SETTINGS = {"deadline": None, "derandomize": True, "database": None, "print_blob": False,
            "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}

SHRINK_PLANS = bool(os.environ.get("WFPLAN_HYPOTHESIS_SHRINK"))
"""Shrinking a failing plan example takes minutes on two cores: off unless this is set
(a failure still prints its whole scenario; derandomized, it fails the same way every run)."""

OPEN_CLAIMS_STEP_BUG = False
"""While test_claims_step_survives_rounding_the_integers is an xfail, a run whose only failed
level is the last one, ``claims``, is accepted: the run then keeps the cost level's plan,
which may claim ~1e-5 WTE below the ARRS baseline in LP mode ([arrs-fte]).  About one
generated scenario in ten hits it.  Set False when the bug is fixed."""


# --------------------------------------------------------------------------- 1. valid scenarios plan


def _hard_rules(scenario) -> bool:
    """Whether the scenario has a rule that may make it infeasible (hard or exact targets)."""
    targets = scenario.table("targets")
    return bool(targets["hard"].any() or (targets["kind"] == "exact").any())


def _plan_and_check(scenario, integer: bool) -> None:
    mode = "integer" if integer else "LP"
    result = run_plan(scenario, solver="highs", integer=integer, time_limit=TIME_LIMIT)
    solution = result.solution
    levels = [(rec.level, rec.status) for rec in solution.levels]
    if not solution.status.has_solution:
        # only hard rules can make a plan impossible; the generated goals are all soft
        assert solution.status == Status.INFEASIBLE and _hard_rules(scenario), (
            f"{mode}: no plan ({solution.status.value}: {solution.message}); levels {levels}")
        return
    # each level's program contains the previous level's plan: it cannot be infeasible
    broken = [(level, status) for level, status in levels[1:] if status in ("infeasible", "unbounded", "error")]
    violations = check_plan(scenario, result.tables, integer=integer)
    if OPEN_CLAIMS_STEP_BUG and broken == [("claims", "infeasible")] and levels[-1][0] == "claims":
        note(f"{mode}: known bug, the claims step was infeasible: {levels}")
        broken, violations = [], [v for v in violations if not v.startswith("[arrs-fte]")]
    assert not broken, f"{mode}: a level after the first has no solution: {levels}"
    assert violations == [], f"{mode} plan ({solution.status.value}) breaks rules:\n" + "\n".join(violations)


@settings(max_examples=PLAN_EXAMPLES, phases=tuple(Phase) if SHRINK_PLANS else (Phase.explicit, Phase.generate),
          **SETTINGS)
@given(generated=nhs_scenarios())
def test_generated_scenario_has_a_plan_that_keeps_every_rule(generated: GeneratedScenario) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        scenario = load_scenario(generated.write(Path(tmp) / "scenario"))
        for integer in (False, True):
            _plan_and_check(scenario, integer)


# --------------------------------------------------------------------------- 2. mutations fail cleanly

KEY_COLUMNS = {("places", "system"), ("places", "place"), ("pcns", "pcn"), ("roles", "role"),
               ("budgets", "budget"), ("arrs_years", "year")}
"""Cells other tables refer to: a bad value there may be reported where it is used."""


def _assert_located(mutation: Mutation, text: str) -> None:
    assert "error:" in text, text[-3000:]
    file = f"{mutation.table}.csv"
    if (mutation.table, mutation.column) in KEY_COLUMNS:
        assert re.search(r"\b[a-z_]+\.csv\b", text), f"no file named:\n{text[-3000:]}"
        return
    assert file in text, f"{file} is not named:\n{text[-3000:]}"
    whole_file = mutation.row == 0 or "\x00" in mutation.value  # header problems; NUL rejects the file
    if not whole_file:
        assert re.search(rf"{re.escape(file)}, row {mutation.line}\b", text), (
            f"no message locates {file} row {mutation.line}:\n{text[-3000:]}")


@settings(max_examples=MUTATION_EXAMPLES, **SETTINGS)
@given(data=st.data())
def test_mutated_cell_gives_a_located_error_never_a_crash(data: st.DataObject) -> None:
    generated = data.draw(nhs_scenarios(), label="scenario")
    mutation = data.draw(mutations(generated), label="mutation")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        directory = apply(generated, mutation).write(root / "scenario")
        result, text = invoke(["validate", str(directory)])
        assert result.exit_code in (0, 2), f"validate exit {result.exit_code}:\n{text[-3000:]}"
        if result.exit_code == 2:
            _assert_located(mutation, text)

        out = root / "out"
        before = set(root.iterdir())
        planned, plan_text = invoke(["plan", str(directory), "--out", str(out), "--lp",
                                      "--time-limit", str(TIME_LIMIT)])
        if result.exit_code == 2:
            assert planned.exit_code == 2, f"validate rejected the scenario, plan did not:\n{plan_text[-3000:]}"
        if planned.exit_code == 2:
            assert "error:" in plan_text, plan_text[-3000:]
            assert not out.exists(), f"plan exited 2 but wrote {out}"
            assert set(root.iterdir()) == before, f"left behind: {set(root.iterdir()) - before}"
        elif planned.exit_code == 0:
            assert (out / "plan.csv").is_file(), plan_text[-3000:]
        else:  # 1: the run found no plan (a mutation can make a target hard), and says so
            assert planned.exit_code == 1, f"plan exit {planned.exit_code}:\n{plan_text[-3000:]}"
            assert re.search(r"^plan for .*: (infeasible|unbounded|error)", plan_text, re.M), plan_text[-3000:]


# --------------------------------------------------------------------------- bugs found, pinned

REPRODUCER = Base(
    name="property-test reproducer", start="2020/21 Q1", end="2021/22 Q4",
    tables={
        "places": "place,name,system\nplace1,Place one,sys1\n",
        "pcns": "pcn,name,place,registered_list\npcn_1,PCN one,place1,20000\n",
        "arrs_years": "year,entitlement_per_weighted_patient\n2020/21,1\n2021/22,1\n",
    })
"""The base of the reproducers: one place, one PCN, ARRS years; each reproducer adds its tables."""


def test_scenario_with_nothing_to_plan_gives_an_empty_plan(tmp_path: Path) -> None:
    directory = write_scenario(tmp_path / "scenario", base=REPRODUCER, tables={
        "roles": "role,name,staff_group,annual_cost\nclinical_pharmacist,Clinical pharmacist,Pharmacists,50000\n",
    })
    scenario = load_scenario(directory)
    for integer in (False, True):
        result = run_plan(scenario, solver="highs", integer=integer)
        assert result.solution.status == Status.OPTIMAL, result.solution.levels
        assert check_plan(scenario, result.tables, integer=integer) == []


CLAIMS_ROUNDING = {
    # integer mode: the solver's plan has integers within its tolerance of whole numbers; rounding
    # them moves the stock (and the budget's spend) past the levels held at unrounded values
    "roles": "role,name,staff_group,participation_rate,annual_cost,funding_budget\n"
                 "clinical_pharmacist,Clinical pharmacist,Pharmacists,0.501,20000,practice\n",
    "pcns": "pcn,name,place,registered_list\npcn_1,PCN one,place1,20000\npcn_2,PCN two,place1,20000\n"
                "pcn_3,PCN three,place1,20000\n",
    "supply": "role,level,area,period,max_starters\nclinical_pharmacist,system,sys1,2020/21 Q4,2\n",
    "targets": "target,role,basis,quantity,by,penalty\ncp_half,clinical_pharmacist,per_pcn,0.5,2020/21 Q1,4\n",
    "arrs_roles": "year,role,reimbursement_rate,cap_per_wte\n2021/22,clinical_pharmacist,0.5,20000\n",
    "budgets": "budget,year,level,area,amount\npractice,2020/21,system,sys1,\npractice,2021/22,system,sys1,20000\n",
}


def test_claims_step_survives_rounding_the_integers(tmp_path: Path) -> None:
    scenario = load_scenario(write_scenario(tmp_path / "scenario", CLAIMS_ROUNDING, base=REPRODUCER))
    result = run_plan(scenario, solver="highs", integer=True)
    assert check_plan(scenario, result.tables, integer=True) == []
    assert [rec.status for rec in result.solution.levels] == ["optimal"] * len(result.solution.levels), (
        result.solution.levels)
    assert result.solution.status == Status.OPTIMAL
    # two pharmacists at 0.501 FTE, claimable all 2021/22 at 20,000 x 0.5 a year: 2 x 0.501 x 10,000
    assert result.tables.plan["arrs_claim_gbp"].sum() == pytest.approx(10_020.0, abs=0.1)


def _supply(rows: list[tuple[str, str, int]]) -> str:
    return "role,level,area,period,max_starters\n" + "".join(f"{r},system,sys1,{q},{n}\n" for r, q, n in rows)


SPLW, FCP = "social_prescribing_link_worker", "first_contact_physiotherapist"
BASELINE_BIG_M = {
    # LP mode (the 'above baseline' binary is integer even so): the cost level's plan has the binary of
    # pcn_3's FCPs at 3e-7, which with the big-M of 1e4 lets 2e-5 WTE be claimed below the baseline;
    # the claims step (binary rounded to 0) is infeasible against the held budget level, so that plan stays
    "roles": "role,name,staff_group,participation_rate,annual_cost,funding_budget\n"
                 f"{SPLW},Social prescribing link worker,Direct Patient Care,0.716,69999,practice\n"
                 f"{FCP},First contact physiotherapist,Direct Patient Care,0.733,39434,practice\n",
    "pcns": "pcn,name,place,registered_list\npcn_1,PCN one,place1,73638\npcn_2,PCN two,place1,40645\n"
                "pcn_3,PCN three,place1,119519\n",
    "budgets": "budget,year,level,area,amount\npractice,2021/22,system,sys1,290000\n",
    "transitions": f"transition,from_role,to_role,success_rate,cost_per_person\nretrain,{SPLW},{FCP},0.59,268\n",
    "attrition": f"role,annual_rate,first_year_annual_rate\n{SPLW},0.22,0.25\n",
    "targets": "target,role,basis,quantity,unit,area,by,priority,penalty\n"
                   f"splw_4,{SPLW},per_pcn,4,fte,,2020/21 Q2,1,3\nfcp_3_5,{FCP},per_pcn,3.5,fte,pcn_3,2021/22 Q4,2,3\n",
    "arrs_years": "year,entitlement_per_weighted_patient\n2020/21,15.83\n2021/22,24.36\n",
    "arrs_roles": "year,role,from_quarter,reimbursement_rate,cap_per_wte,max_wte_per_pcn,large_list_threshold,"
                      f"max_wte_per_pcn_large\n2021/22,{SPLW},2021/22 Q4,0.63,45657,0,50000,2\n"
                      f"2021/22,{FCP},2021/22 Q3,0.59,35502,,,\n",
    "supply": _supply([(SPLW, "2020/21 Q2", 2), (SPLW, "2020/21 Q4", 3), (SPLW, "2021/22 Q2", 1),
                           (SPLW, "2021/22 Q4", 5), (FCP, "2020/21 Q2", 1), (FCP, "2020/21 Q4", 6),
                           (FCP, "2021/22 Q2", 1), (FCP, "2021/22 Q4", 3)]),
    "staff_in_post": "level,area,role,as_at,headcount,fte\n"
                         f"pcn,pcn_1,{SPLW},2019/20 Q4,2,\npcn,pcn_1,{SPLW},2018/19 Q4,1,1.7\n"
                         f"system,sys1,{FCP},2018/19 Q4,6,\n",
}


def test_lp_plan_never_claims_below_the_arrs_baseline(tmp_path: Path) -> None:
    scenario = load_scenario(write_scenario(tmp_path / "scenario", BASELINE_BIG_M, base=REPRODUCER))
    result = run_plan(scenario, solver="highs", integer=False)
    assert check_plan(scenario, result.tables, integer=False) == []
    assert result.solution.status == Status.OPTIMAL, result.solution.levels


BLANK_COST = {
    "roles": "role,name,staff_group,annual_cost\n"
                 "first_contact_physiotherapist,First contact physiotherapist,Direct Patient Care,\n",
    "supply": "role,level,area,period,max_starters\nfirst_contact_physiotherapist,system,sys1,2020/21 Q1,1\n",
    "targets": "target,role,basis,quantity,by\nfcp_1,first_contact_physiotherapist,per_pcn,1,2020/21 Q1\n",
    "arrs_roles": "year,role,reimbursement_rate,cap_per_wte\n2020/21,first_contact_physiotherapist,1,40000\n",
}


def test_role_without_annual_cost_never_spends_less_than_nothing(tmp_path: Path) -> None:
    scenario = load_scenario(write_scenario(tmp_path / "scenario", BLANK_COST, base=REPRODUCER))
    result = run_plan(scenario, solver="highs", integer=False)
    assert result.solution.status == Status.OPTIMAL
    assert check_plan(scenario, result.tables, integer=False) == []


def test_arrs_terms_without_arrs_years_are_rejected(tmp_path: Path) -> None:
    costed = {**BLANK_COST, "roles": BLANK_COST["roles"].rstrip() + "40000\n", "arrs_years": None}
    directory = write_scenario(tmp_path / "scenario", costed, base=REPRODUCER)
    result, text = invoke(["validate", str(directory)])
    assert result.exit_code == 2, text
    assert re.search(r"arrs_roles\.csv, row 2, column 'year'", text), text
