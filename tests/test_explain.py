"""Explaining plans: infeasibility / shortfall diagnosis and marginal values.

Diagnosis: over-constrained tiny scenarios with known causes must name the
rule and the goal and the right amount.  Marginal values: on small LPs every
reported value must agree with a finite difference (change the limit by a
small delta, re-plan in LP mode, compare the level's objective change / delta)
to 1e-4 relative.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from solvers import available_solvers
from tests.scenarios import write_scenario
from wfplan.cli import main
from wfplan.explain.diagnose import diagnose
from wfplan.explain.marginal import CAVEAT, explain_scenario
from wfplan.pipeline import run_plan
from wfplan.scenario.load import load_scenario
from wfplan.scenario.overrides import apply_overrides

ROOT = Path(__file__).resolve().parents[1]
WILLIAMS = ROOT / "examples" / "williams_manpower"

HARD_TARGET = """\
target,role,basis,quantity,unit,by,kind,priority,penalty,hard
fcp_3_per_pcn,fcp,per_pcn,3,headcount,2022/23 Q4,at_least,1,1,true
"""


def _total(diag, kind: str, rule: str) -> float:
    frame = diag.frame()
    sel = frame[(frame["kind"] == kind) & (frame["rule"] == rule)]
    return float(sel["change"].sum())


# --- diagnosis ----------------------------------------------------------------------


@pytest.mark.parametrize("integer", [False, True])
def test_hard_target_beyond_one_quarter_of_supply_names_supply_target_and_amount(tmp_path, integer):
    """3 FCPs per PCN (2 PCNs) as a hard target; supply 2 in one quarter only: short by 4."""
    scenario = load_scenario(write_scenario(tmp_path / "s", {"targets": HARD_TARGET}, integer=integer))
    result = run_plan(scenario)
    assert result.solution.status.value == "infeasible"
    diag = diagnose(scenario)
    assert not diag.feasible
    assert _total(diag, "relax", "hard_target") == pytest.approx(-4.0, abs=1e-6)
    frame = diag.frame()
    relax = frame[frame["kind"] == "relax"]
    assert set(relax["name"]) == {"fcp_3_per_pcn"}
    causes = frame[(frame["kind"] == "cause") & (frame["rule"] == "supply")]
    assert len(causes) and set(causes["period"]) == {"2022/23 Q1"} and set(causes["limit"]) == {2.0}
    text = "\n".join(diag.text_lines())
    assert "cannot reach 3 first contact physiotherapists by 2022/23 Q4" in text
    assert "first contact physiotherapist supply in the system is used up in 2022/23 Q1" in text
    # the alternative keeps the goal and raises the supply row by the same 4 starters
    alt = frame[frame["kind"] == "alternative"]
    assert list(alt["rule"]) == ["supply"] and float(alt["change"].iloc[0]) == pytest.approx(4.0, abs=1e-6)
    assert "from 2 to 6 starters" in text


def test_shortfall_amount_follows_attrition(tmp_path):
    """With 20% a year leaving, 2 starters in Q1 are 2 x 0.8^(3/4) by Q4: short by 6 - that."""
    tables = {"targets": HARD_TARGET, "attrition": "role,annual_rate\nfcp,0.2\npa,0.0\n"}
    diag = diagnose(load_scenario(write_scenario(tmp_path / "s", tables)))
    assert _total(diag, "relax", "hard_target") == pytest.approx(-(6 - 2 * 0.8 ** 0.75), rel=1e-7)
    assert any(it.rule == "attrition" for it in diag.items if it.kind == "cause")


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_diagnosis_runs_on_other_backends(tmp_path, solver):
    if solver not in available_solvers():
        pytest.skip(f"{solver} not installed")
    diag = diagnose(load_scenario(write_scenario(tmp_path / "s", {"targets": HARD_TARGET})), solver)
    assert diag.solver == solver
    assert _total(diag, "relax", "hard_target") == pytest.approx(-4.0, abs=1e-5)


def test_exact_requirement_below_staff_in_post_without_release(tmp_path):
    """3 FCPs in post, nobody leaves, no redundancy or overstaffing: exactly 1 cannot be met (over by 2)."""
    tables = {
        "staff_in_post": "level,area,role,as_at,headcount\npcn,breckland,fcp,2021/22 Q4,3\n",
        "targets": "target,role,basis,quantity,level,area,by,until,kind\n"
                   "fcp_exactly_1,fcp,per_pcn,1,pcn,breckland,2022/23 Q2,2022/23 Q2,exact\n",
    }
    diag = diagnose(load_scenario(write_scenario(tmp_path / "s", tables)))
    assert not diag.feasible
    assert _total(diag, "relax", "exact_over") == pytest.approx(2.0, abs=1e-6)
    rules = {it.rule for it in diag.items if it.kind == "cause"}
    assert {"no_release", "no_overstaffing", "initial_staff"} <= rules
    assert "cannot bring first contact physiotherapist staff down to 1 in 2022/23 Q2" in "\n".join(diag.text_lines())


def test_transition_limit_below_a_required_level(tmp_path):
    """Williams with no skilled recruits in year 1 and 10 retrainings a year (not 200) cannot meet its
    exact requirements: goals first (the skilled requirement), else raise the retraining limit."""
    import shutil

    target = tmp_path / "w"
    shutil.copytree(WILLIAMS, target)
    tr = (target / "transitions.csv").read_text().replace("400,200,", "400,10,")
    (target / "transitions.csv").write_text(tr)
    sup = (target / "supply.csv").read_text().replace("skilled,system,williams,2019/20,500",
                                                      "skilled,system,williams,2019/20,0")
    (target / "supply.csv").write_text(sup)
    scenario = load_scenario(target)
    assert run_plan(scenario).solution.status.value == "infeasible"
    diag = diagnose(scenario)
    assert not diag.feasible
    frame = diag.frame()
    relax = frame[frame["kind"] == "relax"]
    assert set(relax["rule"]) == {"exact_short"} and set(relax["role"]) == {"skilled"}
    alt = frame[frame["kind"] == "alternative"]
    assert set(alt["rule"]) == {"transition_limit"} and set(alt["name"]) == {"retrain_unskilled_to_semi"}
    assert (alt["limit"] == 10).all() and (alt["change"] > 0).all()


def test_feasible_plan_explains_missed_soft_goals(tmp_path):
    scenario = load_scenario(write_scenario(tmp_path / "s"))
    result = run_plan(scenario)
    diag = diagnose(scenario, result=result)
    assert diag.feasible
    frame = diag.frame()
    missed = frame[frame["kind"] == "missed"]
    goals = result.tables.goals
    assert -missed["change"].sum() == pytest.approx(goals["shortfall"].sum(), abs=1e-6)
    assert set(frame.loc[frame["kind"] == "cause", "rule"]) >= {"supply", "no_supply"}


def test_infeasible_plan_result_is_diagnosed_from_its_model(tmp_path):
    """What the `plan` command does on an infeasible plan: diagnose(result=...)."""
    result = run_plan(load_scenario(write_scenario(tmp_path / "s", {"targets": HARD_TARGET})))
    diag = diagnose(result=result)
    assert _total(diag, "relax", "hard_target") == pytest.approx(-4.0, abs=1e-6)
    out = tmp_path / "diagnosis.csv"
    diag.write(out)
    assert list(pd.read_csv(out).columns)[:3] == ["kind", "rule", "name"]


def test_diagnose_command_writes_diagnosis_csv(tmp_path):
    scenario = write_scenario(tmp_path / "s", {"targets": HARD_TARGET})
    res = CliRunner().invoke(main, ["diagnose", str(scenario), "--out", str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    assert "cannot reach 3 first contact physiotherapists" in res.output
    frame = pd.read_csv(tmp_path / "d" / "diagnosis.csv")
    assert frame.loc[frame["kind"] == "relax", "change"].sum() == pytest.approx(-4.0, abs=1e-6)
    again = CliRunner().invoke(main, ["diagnose", str(scenario), "--out", str(tmp_path / "d")])
    assert again.exit_code == 2 and "--force" in again.output


# --- marginal values vs finite differences -------------------------------------------


def _level_value(scenario, level: str) -> float:
    result = run_plan(scenario, integer=False)
    assert result.solution.status.value == "optimal"
    return result.solution.objectives[level]


def _check_fd(base, marginals, rule: str, name: str, overrides: list[dict], delta: float) -> None:
    frame = marginals.frame()
    row = frame[(frame["rule"] == rule) & (frame["name"] == name)]
    assert len(row) == 1, (rule, name, frame[["rule", "name"]])
    row = row.iloc[0]
    level, value = row["level"], float(row["marginal_value"])
    assert level and abs(value) > 0
    before = _level_value(base, level)
    after = _level_value(apply_overrides(base, [dict(o, add=delta) for o in overrides]), level)
    fd = -(after - before) / delta  # improvement per unit
    assert math.isclose(fd, value, rel_tol=1e-4), (rule, name, level, value, fd)


WILLIAMS_CASES = [
    ("supply", "supply skilled williams 2020/21",
     [{"table": "supply", "column": "max_starters", "where": {"role": "skilled", "period": "2020/21"}}], 1.0),
    ("supply_every_period", "supply skilled williams",
     [{"table": "supply", "column": "max_starters", "where": {"role": "skilled"}}], 0.5),
    ("transition_limit_every_period", "retrain_unskilled_to_semi",
     [{"table": "transitions", "column": "max_per_period", "where": {"transition": "retrain_unskilled_to_semi"}}], 1.0),
    ("short_time_limit_every_period", "short_time_limit unskilled",
     [{"table": "roles", "column": "short_time_limit", "where": {"role": "unskilled"}}], 1.0),
    ("exact_requirement", "skilled_year3",
     [{"table": "targets", "column": "quantity", "where": {"target": "skilled_year3"}}], 1.0),
    ("exact_requirement", "unskilled_year1",
     [{"table": "targets", "column": "quantity", "where": {"target": "unskilled_year1"}}], 1.0),
]


def test_williams_marginal_values_match_finite_differences():
    base = load_scenario(WILLIAMS)
    marginals = explain_scenario(base)
    assert marginals.levels[0].value == pytest.approx(841.796875, abs=1e-6)  # the published optimum
    for rule, name, overrides, delta in WILLIAMS_CASES:
        _check_fd(base, marginals, rule, name, overrides, delta)
    # the overstaffing total is a manifest setting: change it and re-plan
    frame = marginals.frame()
    row = frame[frame["rule"] == "overstaffing_total_every_period"].iloc[0]
    before = _level_value(base, row["level"])
    manifest = base.manifest.model_copy(update={"model": base.manifest.model.model_copy(
        update={"overstaffing_limit_total": 151.0})})
    from wfplan.scenario import Scenario

    after = _level_value(Scenario.build(manifest, base.rows, base.source_files, base.root), row["level"])
    assert math.isclose(-(after - before), float(row["marginal_value"]), rel_tol=1e-4)


BUDGETED = {
    "supply": "role,level,area,period,max_starters\n" + "".join(
        f"fcp,system,tinysys,2022/23 Q{q},2\npa,system,tinysys,2022/23 Q{q},1\n" for q in range(1, 5)),
    "attrition": "role,annual_rate,first_year_annual_rate\nfcp,0.1,0.2\npa,0.08,\n",
    "budgets": "budget,year,level,area,amount\npractice,2022/23,system,tinysys,30000\n"
               "practice,2023/24,system,tinysys,\n",
    "arrs_years": "year,entitlement_per_pcn\n2022/23,20000\n2023/24,20000\n",
    "arrs_roles": "year,role,reimbursement_rate,cap_per_wte\n2022/23,fcp,1,50000\n2022/23,pa,0.5,53000\n"
                  "2023/24,fcp,1,56000\n2023/24,pa,1,53000\n",
    "demand": "level,area,from_period,appointments_per_patient,annual_growth,priority,penalty\n"
              "system,tinysys,2022/23 Q1,0.2,0.0,2,1\n",
}


def test_budget_entitlement_and_supply_marginals_match_finite_differences(tmp_path):
    """A spent practice budget: ARRS entitlement and the budget buy staff towards the p1 target."""
    base = load_scenario(write_scenario(tmp_path / "s", BUDGETED))
    marginals = explain_scenario(base)
    frame = marginals.frame()
    assert set(frame.loc[frame["rule"].isin(["entitlement", "budget"]), "level"]) == {"p1"}
    cases = [
        ("supply", "supply fcp tinysys 2022/23 Q4",
         [{"table": "supply", "column": "max_starters", "where": {"role": "fcp", "period": "2022/23 Q4"}}], 0.05),
        ("supply_every_period", "supply fcp tinysys",
         [{"table": "supply", "column": "max_starters", "where": {"role": "fcp"}}], 0.05),
        ("entitlement_every_pcn", "entitlement 2022/23",
         [{"table": "arrs_years", "column": "entitlement_per_pcn", "where": {"year": "2022/23"}}], 500.0),
        ("budget", "budget practice tinysys 2022/23",
         [{"table": "budgets", "column": "amount", "where": {"year": "2022/23"}}], 500.0),
    ]
    for rule, name, overrides, delta in cases:
        _check_fd(base, marginals, rule, name, overrides, delta)
    text = "\n".join(marginals.text_lines())
    assert CAVEAT in text
    assert "+GBP 10,000 ARRS entitlement for Breckland PCN in 2022/23 cuts priority-1 target shortfall by" in text


DEMAND_AND_CAP = {
    "supply": "role,level,area,period,max_starters\n" + "".join(
        f"fcp,system,tinysys,2022/23 Q{q},3\n" for q in range(1, 5)),
    "targets": "target,role,basis,quantity,unit,by,kind,priority,penalty,hard\n"
               "fcp_1_per_pcn,fcp,per_pcn,1,headcount,2022/23 Q4,at_least,1,1,false\n",
    "arrs_roles": "year,role,reimbursement_rate,cap_per_wte,max_wte_per_pcn\n2022/23,fcp,1,56000,2\n"
                  "2022/23,pa,1,53000,\n2023/24,fcp,1,56000,\n2023/24,pa,1,53000,\n",
    "demand": "level,area,from_period,appointments_per_patient,annual_growth,priority,penalty\n"
              "system,tinysys,2022/23 Q1,0.5,0.0,2,1\n",
}
"""Targets met, demand short (p2) by supply; ARRS number caps bind at the claims level."""


def test_demand_level_and_number_cap_marginals_match_finite_differences(tmp_path):
    """Targets met, demand short (p2) by supply; ARRS number caps bind at the claims level."""
    tables = DEMAND_AND_CAP
    base = load_scenario(write_scenario(tmp_path / "s", tables))
    marginals = explain_scenario(base)
    frame = marginals.frame()
    every = frame[frame["rule"] == "supply_every_period"].iloc[0]
    assert every["level"] == "p2" and "cuts unmet appointments by" in every["text"]
    _check_fd(base, marginals, "supply_every_period", "supply fcp tinysys",
              [{"table": "supply", "column": "max_starters", "where": {"role": "fcp"}}], 0.05)
    cap = frame[frame["rule"] == "number_cap_every_pcn"].iloc[0]
    assert cap["level"] == "claims" and cap["marginal_value"] > 0


def test_number_cap_marginal_matches_finite_difference_of_the_plan(tmp_path):
    """The cost optimum is not unique here: the cap's worth is taken on the plan's staffing (7 cells at the cap)."""
    tables = DEMAND_AND_CAP
    base = load_scenario(write_scenario(tmp_path / "s", tables))
    _check_fd(base, explain_scenario(base), "number_cap_every_pcn", "ARRS cap fcp 2022/23",
              [{"table": "arrs_roles", "column": "max_wte_per_pcn", "where": {"year": "2022/23", "role": "fcp"}}],
              0.05)


def test_explain_command_on_scenario_and_plan_dir(tmp_path):
    scenario = write_scenario(tmp_path / "s", BUDGETED)
    runner = CliRunner()
    res = runner.invoke(main, ["explain", str(scenario), "--out", str(tmp_path / "e")])
    assert res.exit_code == 0, res.output
    assert "local, marginal estimates" in res.output
    binding = pd.read_csv(tmp_path / "e" / "binding.csv")
    assert list(binding.columns) == ["rule", "name", "area", "role", "period", "limit", "usage", "marginal_value",
                                     "unit", "level", "text"]
    # an integer plan directory, explained with its hires fixed: binding.csv lands in the plan directory
    integer = write_scenario(tmp_path / "i", integer=True)
    assert runner.invoke(main, ["plan", str(integer), "--out", str(tmp_path / "p")]).exit_code == 0
    res = runner.invoke(main, ["explain", str(tmp_path / "p"), "--fixed", "--out", str(tmp_path / "p")])
    assert res.exit_code == 0, res.output
    assert "fixed" in res.output
    assert (tmp_path / "p" / "binding.csv").is_file() and (tmp_path / "p" / "plan.csv").is_file()
