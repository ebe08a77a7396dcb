"""Frictions a new user met on the command line (issue 14, 'What was measured' 4-9)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd

from tests.cli_run import invoke
from tests.conftest import ROOT
from tests.scenarios import write_scenario


def _plan(scenario: Path, out: Path, *extra: str) -> Path:
    result, text = invoke(["plan", str(scenario), "--out", str(out), *extra])
    assert result.exit_code == 0, text
    return out


def test_trajectory_of_a_plan_keeps_years_without_flows(tmp_path):
    """Recruits arrive in 2022/23 and nobody leaves: 2023/24 has no flows but is still a year of the plan."""
    scenario = write_scenario(tmp_path / "s", end="2023/24 Q4", integer=True)
    plan = _plan(scenario, tmp_path / "plan")
    result, text = invoke(["trajectory", str(plan), "--level", "pcn"])
    assert result.exit_code == 0, text
    for pcn in ("breckland", "mid_norfolk"):
        for year in ("2022/23", "2023/24"):
            assert f"Rolling total FTE, pcn {pcn}, {year}" in text, (pcn, year, text)


def test_explain_writes_binding_csv_into_a_plan_directory_by_default(nw_lp_plan, tmp_path):
    plan = shutil.copytree(nw_lp_plan, tmp_path / "plan")
    result, text = invoke(["explain", str(plan)])
    assert result.exit_code == 0, text
    binding = plan / "binding.csv"
    assert binding.is_file()
    rows = len(pd.read_csv(binding))
    assert re.search(r"\.\.\. and \d+ more in .*binding\.csv", text)
    assert f"wrote {binding}" in text
    assert "x penalty" not in text and "LP relaxation" not in text
    assert rows > 40
    # again: the plan's own binding.csv is replaced (it explains the same plan), nothing else changes
    before = sorted(p.name for p in plan.iterdir())
    result, text = invoke(["explain", str(plan)])
    assert result.exit_code == 0, text
    assert sorted(p.name for p in plan.iterdir()) == before


def test_explain_of_a_scenario_without_out_names_no_missing_file(tmp_path):
    scenario = ROOT / "examples" / "norfolk_waveney"
    result, text = invoke(["explain", str(scenario)])
    assert result.exit_code == 0, text
    assert "more in binding.csv" not in text and "see binding.csv" not in text
    assert "add --out DIR to write" in text
    assert not (scenario / "binding.csv").exists()


def test_sensitivity_console_table_fits_100_columns(tmp_path):
    """Five supply factors on N&W: one column per factor, every line at most 100 characters."""
    result, text = invoke(["sensitivity", str(ROOT / "examples" / "norfolk_waveney"), "--vary", "supply",
                           "--range", "0.8:1.2:0.1", "--lp", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, text
    assert max(len(line) for line in text.splitlines()) <= 100
    for factor in ("x0.80", "x0.90", "x1.00", "x1.10", "x1.20"):
        assert factor in text
    assert "1 clinical pharmacist per PCN by March" in text and "PCNs where met" in text
    assert "employment cost over the plan" in text and "GBP " in text
    table = pd.read_csv(tmp_path / "s" / "sensitivity.csv")
    assert len(table) == 5 and "met:clinical_pharmacist_1_per_pcn_mar2020" in table


def test_compare_prints_no_float_noise(tmp_path):
    """43,870 x 1.06 is 46502.200000000004 in binary floating point; people read 46502.2."""
    roles = ("role,name,staff_group,participation_rate,annual_cost,capacity,funding_budget\n"
             "fcp,First contact physiotherapist,Direct Patient Care,1,43870,2000,practice\n"
             "pa,Physician associate,Physician Associates,1,53000,3000,practice\n")
    base = write_scenario(tmp_path / "base", {"roles": roles})
    other = write_scenario(tmp_path / "pay", {}, only_given=True, extends="../base", extra=(
        '[[overrides]]\ntable = "roles"\ncolumn = "annual_cost"\nscale = 1.06\n'))
    result, text = invoke(["compare", str(base), str(other), "--lp", "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, text
    assert "annual_cost: 43870 -> 46502.2" in text
    assert not re.search(r"\d\.\d{9,}", text), text
    assert "employment cost" in text and "GBP " in text and "of 2" in text  # targets: areas where met
    assert "_gbp" not in text and "optimal" not in text


def test_convert_writes_scenario_toml_that_loads_back_the_same(tmp_path):
    from wfplan.scenario.load import load_scenario

    source = ROOT / "examples" / "what_if_pay_award"
    result, text = invoke(["convert", str(source), str(tmp_path / "flat")])
    assert result.exit_code == 0, text
    assert (tmp_path / "flat" / "scenario.toml").is_file()
    assert not (tmp_path / "flat" / "scenario.yaml").exists()
    assert load_scenario(tmp_path / "flat").checksum == load_scenario(source).checksum


def test_toml_manifest_round_trips_quotes_newlines_and_overrides():
    import tomllib

    from wfplan.scenario.snapshot import toml_text

    data = {"name": 'A "quoted" name\\ with £', "description": "two\nlines\tand a tab", "extends": [],
            "source": None, "horizon": {"start": "2019/20 Q1", "end": "2020/21 Q4", "step": "quarter"},
            "objective": {"cost_weight": 1e-06, "fairness": False}, "model": {"integer": True, "limit": 150},
            "overrides": [{"table": "supply", "column": "max_starters", "scale": 0.8,
                           "where": {"role": ["fcp", "pa"], "odd key": "x"}}]}
    expected = {k: v for k, v in data.items() if v is not None}
    assert tomllib.loads(toml_text(data)) == expected


def test_validate_reports_every_problem_in_one_run(tmp_path):
    """Bad cells in two tables, a bad base table and a reference to an unknown role: all four at once."""
    write_scenario(tmp_path / "base", {
        "arrs_years": "year,entitlement_per_pcn\n2022/23,lots\n2023/24,200000\n"})
    derived = write_scenario(tmp_path / "derived", {
        "attrition": "role,annual_rate,first_year_annual_rate\nfcp,abc,\npa,0.0,\n",
        "supply": "role,level,area,period,max_starters\nfcp,system,tinysys,2022/23 Q1,-5\n",
        "targets": ("target,role,basis,quantity,unit,by,kind,priority,penalty,hard\n"
                    "nobody_target,nobody,per_pcn,3,headcount,2022/23 Q4,at_least,1,1,false\n"),
    }, only_given=True, extends="../base")
    result, text = invoke(["validate", str(derived)])
    assert result.exit_code == 2
    assert "scenario has 4 problems" in text, text
    for located in ("arrs_years.csv, row 2, column 'entitlement_per_pcn'", "attrition.csv, row 2, column 'annual_rate'",
                    "supply.csv, row 2, column 'max_starters'", "targets.csv, row 2, column 'role'"):
        assert located in text, (located, text)
    assert "unknown role" in text


def test_validate_lists_more_than_25_problems_and_no_echo_of_a_bad_row(tmp_path):
    """30 bad supply rows are all listed; a bad roles row does not make each reference to it a second problem."""
    supply = "role,level,area,period,max_starters\n" + "".join(
        f"fcp,system,tinysys,2022/23 Q{1 + i % 4},-{i + 1}\n" for i in range(30))
    roles = ("role,name,staff_group,participation_rate,annual_cost,capacity,funding_budget\n"
             "fcp,First contact physiotherapist,Direct Patient Care,1,56000,2000,practice\n"
             "pa,Physician associate,Physician Associates,2.5,53000,3000,practice\n")
    scenario = write_scenario(tmp_path / "s", {"supply": supply, "roles": roles})
    result, text = invoke(["validate", str(scenario)])
    assert result.exit_code == 2
    assert "scenario has 31 problems" in text and "... and" not in text, text
    assert text.count("supply.csv, row") == 30
    assert "roles.csv, row 3, column 'participation_rate'" in text
    assert "unknown role" not in text  # pa is referenced by arrs_roles, but its row was already reported


def test_plan_console_speaks_plain_words_and_no_solver_terms(tmp_path):
    scenario = write_scenario(tmp_path / "s", integer=True)
    result, text = invoke(["plan", str(scenario), "--out", str(tmp_path / "plan")])
    assert result.exit_code == 0, text
    lines = text.splitlines()
    assert lines[0].startswith("Plan for tiny (whole people): ")
    assert re.search(r"^Targets: \d+ of \d+ met everywhere", text, re.M)
    assert "  - 3 first contact physiotherapists per PCN by March 2023: met in 0 of 2 PCNs" in text
    assert re.search(r"^People: \d+ recruited into new posts, [\d.]+ expected to leave", text, re.M)
    assert "How each goal came out, in priority order:" in text
    assert "priority-1 goals (weighted shortfall" in text
    for solver_term in ("objective p", "objective claims", "target x period", "NOT proven", "gap "):
        assert solver_term not in text


def test_plan_integer_flag_plans_whole_people_and_excludes_lp(tmp_path):
    scenario = write_scenario(tmp_path / "s", integer=False)
    result, text = invoke(["plan", str(scenario), "--out", str(tmp_path / "plan"), "--integer"])
    assert result.exit_code == 0, text
    plan = pd.read_csv(tmp_path / "plan" / "plan.csv")
    assert (plan["starters"] == plan["starters"].round()).all() and plan["starters"].sum() > 0
    result, text = invoke(["plan", str(scenario), "--out", str(tmp_path / "p2"), "--integer", "--lp"])
    assert result.exit_code == 2 and "exclude each other" in text
