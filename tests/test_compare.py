"""What-if comparisons and sensitivity runs.

``wfplan compare`` must reconcile exactly with the plans it compares: every
number equals the corresponding sum over that plan's own ``plan.csv`` /
``goals.csv`` (as written, to the CSVs' six decimals).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.scenarios import write_scenario
from wfplan.cli import main
from wfplan.files.output import FLOAT_FORMAT

SUPPLY = "role,level,area,period,max_starters\n" + "".join(
    f"fcp,system,tinysys,2022/23 Q{q},1\npa,system,tinysys,2022/23 Q{q},1\n" for q in range(1, 5))
TARGETS = """\
target,role,basis,quantity,unit,by,kind,priority,penalty,hard
fcp_3_per_pcn,fcp,per_pcn,3,headcount,2022/23 Q4,at_least,1,1,false
pa_1_per_pcn,pa,per_pcn,1,headcount,2022/23 Q3,at_least,1,1,false
"""
DEMAND = "level,area,from_period,appointments_per_patient,annual_growth,priority,penalty\n" \
         "system,tinysys,2022/23 Q1,0.3,0.05,2,1\n"
WHATIF = """
[[overrides]]
table = "supply"
column = "max_starters"
scale = 1.5
where = { role = "fcp" }

[[overrides]]
table = "attrition"
column = "annual_rate"
add = 0.1
"""


def scenarios(tmp_path: Path) -> tuple[Path, Path]:
    base = write_scenario(tmp_path / "base", {"supply": SUPPLY, "targets": TARGETS, "demand": DEMAND,
                                              "attrition": "role,annual_rate\nfcp,0.1\npa,0.05\n"})
    other = write_scenario(tmp_path / "fcp_supply_up", {}, only_given=True, extends="../base", extra=WHATIF)
    return base, other


def r6(value: float) -> float:
    return float(FLOAT_FORMAT % value)


def test_compare_reconciles_with_each_plan(tmp_path):
    base, other = scenarios(tmp_path)
    out = tmp_path / "cmp"
    res = CliRunner().invoke(main, ["compare", str(base), str(other), "--out", str(out), "--lp"])
    assert res.exit_code == 0, res.output
    goals = pd.read_csv(out / "goals.csv")
    costs = pd.read_csv(out / "costs.csv").set_index("metric")
    staff = pd.read_csv(out / "staff.csv")
    labels = ["base", "fcp_supply_up"]
    assert list(goals.columns) == ["goal", "id", "unit", *labels]
    for label in labels:
        plan = pd.read_csv(out / "plans" / label / "plan.csv")
        g = pd.read_csv(out / "plans" / label / "goals.csv")
        for _, row in goals.iterrows():
            if row["id"].startswith("("):
                expected = g.loc[g["goal"] == row["goal"], "shortfall"].sum()
            else:
                expected = g.loc[(g["goal"] == row["goal"]) & (g["id"] == row["id"]), "shortfall"].sum()
            assert row[label] == r6(expected), (label, row["id"])
        assert float(costs.loc["employment_cost_gbp", label]) == r6(plan["employment_cost"].sum())
        assert float(costs.loc["arrs_claims_gbp", label]) == r6(plan["arrs_claim_gbp"].sum())
        assert float(costs.loc["starters", label]) == r6(plan["starters"].sum())
        assert float(costs.loc["unmet_appointments", label]) == r6(g.loc[g["goal"] == "demand", "shortfall"].sum())
        assert costs.loc["status", label] == "optimal"
        by_cell = plan.groupby(["role", "period"])["staff_fte"].sum()
        for _, row in staff.iterrows():
            assert row[label] == r6(by_cell[(row["role"], row["period"])])
    # the what-if really differs, and the comparison says which inputs changed
    assert goals.set_index("id").loc["fcp_3_per_pcn", "fcp_supply_up"] < goals.set_index("id").loc["fcp_3_per_pcn", "base"]
    diff = pd.read_csv(out / "inputs_diff.csv", dtype=str)
    assert set(zip(diff["table"], diff["column"], strict=True)) == {("supply", "max_starters"),
                                                                     ("attrition", "annual_rate")}
    sup = diff[diff["table"] == "supply"]
    assert len(sup) == 4 and set(sup["base_value"]) == {"1"} and set(sup["other_value"]) == {"1.5"}
    assert "inputs that differ from the base" in res.output
    assert (out / "comparison.txt").is_file()


def test_compare_reads_existing_plan_directories(tmp_path):
    base, other = scenarios(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["plan", str(base), "--out", str(tmp_path / "pb"), "--lp"]).exit_code == 0
    res = runner.invoke(main, ["compare", str(tmp_path / "pb"), str(other), "--out", str(tmp_path / "c"), "--lp"])
    assert res.exit_code == 0, res.output
    assert not (tmp_path / "c" / "plans" / "pb").exists()  # read, not re-planned
    costs = pd.read_csv(tmp_path / "c" / "costs.csv").set_index("metric")
    plan = pd.read_csv(tmp_path / "pb" / "plan.csv")
    assert float(costs.loc["employment_cost_gbp", "pb"]) == r6(plan["employment_cost"].sum())
    again = runner.invoke(main, ["compare", str(tmp_path / "pb"), str(other), "--out", str(tmp_path / "c")])
    assert again.exit_code == 2 and "--force" in again.output


def test_sensitivity_over_fcp_supply(tmp_path):
    base, _ = scenarios(tmp_path)
    res = CliRunner().invoke(main, ["sensitivity", str(base), "--vary", "supply:fcp", "--range", "0.5:1.5:0.5",
                                    "--lp", "--out", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "s" / "sensitivity.csv")
    assert table["factor"].tolist() == [0.5, 1.0, 1.5]
    assert (table["status"] == "optimal").all()
    short = table["shortfall:fcp_3_per_pcn"].tolist()
    assert short[0] > short[1] > short[2]
    assert table["shortfall:pa_1_per_pcn"].max() < 1e-4  # PA supply unchanged and enough
    assert {"unmet_appointments", "employment_cost_gbp", "arrs_claims_gbp", "fte_end:fcp"} <= set(table.columns)


@pytest.mark.parametrize(("args", "message"), [
    (["--vary", "salary", "--range", "0.9:1.1:0.1"], "unknown parameter"),
    (["--vary", "supply", "--range", "1.1:0.9:0.1"], "a <= b"),
    (["--vary", "supply", "--range", "0.9:1.1"], "a:b:step"),
    (["--vary", "budget:practice", "--range", "0.9:1.1:0.1"], "no rows for budget"),
])
def test_sensitivity_rejects_bad_parameters(tmp_path, args, message):
    base, _ = scenarios(tmp_path)
    res = CliRunner().invoke(main, ["sensitivity", str(base), *args])
    assert res.exit_code == 2 and message in res.output, res.output
