"""The shared wording (wfplan.results.words): money, dates, goal sentences and plan status."""

from __future__ import annotations

import pandas as pd
import pytest

from wfplan.results import words
from wfplan.scenario.load import load_scenario


@pytest.mark.parametrize(("value", "text"), [
    (1234567.4, "GBP 1,234,567"), (-1234.6, "-GBP 1,235"), (-0.4, "GBP 0"), (0, "GBP 0"),
    (None, ""), (float("nan"), ""),
])
def test_money_is_whole_pounds_with_a_currency_and_never_minus_zero(value, text):
    assert words.money(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (1_234_567, "GBP 1.23m"), (26_700_000, "GBP 26.70m"), (950, "GBP 950"), (-2_500_000, "-GBP 2.50m"),
    (999_400, "GBP 999,400"),
])
def test_short_money_uses_millions_from_a_million(value, text):
    assert words.money_short(value) == text


@pytest.mark.parametrize(("value", "decimals", "text"), [
    (46502.200000000004, 2, "46,502.20"), (3.0000000001, 2, "3"), (-0.001, 2, "0"), (1005.3, 2, "1,005.30"),
    (2.5, 0, "2"), ("x", 2, ""),
])
def test_numbers_show_no_float_noise(value, decimals, text):
    assert words.number(value, decimals) == text


@pytest.mark.parametrize(("label", "text"), [
    ("2019/20 Q4", "March 2020"), ("2019/20 Q1", "June 2019"), ("2020/21 Q2", "September 2020"),
    ("2020/21 Q3", "December 2020"), ("2023/24", "March 2024"), ("every period", "every period"),
])
def test_period_end_is_the_month_a_period_ends(label, text):
    assert words.period_end(label) == text


def test_plural_keeps_brackets_and_collective_names():
    assert words.plural("clinical pharmacist", 3) == "clinical pharmacists"
    assert words.plural("clinical pharmacist", 1) == "clinical pharmacist"
    assert words.plural("general practitioner (excluding registrars)", 2) == \
        "general practitioners (excluding registrars)"
    assert words.plural("admin and non-clinical staff", 2) == "admin and non-clinical staff"
    assert words.plural("Unskilled", 1000) == "Unskilled"


@pytest.mark.parametrize(("target", "text"), [
    (words.Target("t", "Clinical pharmacist", "per_pcn", 1, by="2019/20 Q4"),
     "1 clinical pharmacist per PCN by March 2020"),
    (words.Target("t", "First contact physiotherapist", "per_pcn", 3, unit="fte", by="2023/24 Q4"),
     "3 FTE first contact physiotherapists per PCN by March 2024"),
    (words.Target("t", "Clinical pharmacist", "per_population", 1, population=10089, by="2023/24 Q4"),
     "1 clinical pharmacist per 10,089 patients by March 2024"),
    (words.Target("t", "Social prescribing link worker", "per_practice", 0.5, by="2021/22 Q4"),
     "0.50 social prescribing link workers per practice by March 2022"),
    (words.Target("t", "Unskilled", "total", 1000, level="system", area_name="williams", by="2019/20",
                  until="2019/20", kind="exact"), "exactly 1,000 unskilled in williams in March 2020"),
    (words.Target("t", "Paramedic", "per_pcn", 2, area_name="Breckland PCN", by="2022/23 Q4", until="2023/24 Q4"),
     "2 paramedics in Breckland PCN from March 2023 to March 2024"),
])
def test_goal_names_read_as_sentences(target, text):
    assert words.goal_name(target) == text


def test_targets_are_counted_by_pcn_never_summed(nw_lp_plan):
    """'1 per PCN' is met in N of M PCNs; the cells of 17 PCNs x 17 quarters are not added up."""
    scenario = load_scenario(nw_lp_plan / "scenario")
    goals = pd.read_csv(nw_lp_plan / "goals.csv")
    table = words.target_attainment(goals, scenario).set_index("target")
    first = table.loc["clinical_pharmacist_1_per_pcn_mar2020"]
    assert first["sentence"] == "1 clinical pharmacist per PCN by March 2020: met in 17 of 17 PCNs"
    assert (first["areas"], first["met"], first["required"]) == (17, 17, 1.0)
    # a missed cell names the PCN and the worst shortfall, on its own (not a sum)
    cells = goals[goals["id"] == "clinical_pharmacist_per_population_2024"]
    worst = cells.loc[cells["shortfall"].idxmax()]
    row = table.loc["clinical_pharmacist_per_population_2024"]
    assert row["worst_shortfall"] == pytest.approx(worst["shortfall"])
    if worst["shortfall"] >= words.SHORTFALL_SHOWN:
        assert row["met"] == 17 - (cells.groupby("area")["shortfall"].max() >= words.SHORTFALL_SHOWN).sum()
        assert f"met in {row['met']} of 17 PCNs; worst: " in row["sentence"]


def test_attainment_for_one_pcn_says_met_or_missed(tmp_path):
    from tests.scenarios import write_scenario
    from wfplan.pipeline import run_plan

    scenario = load_scenario(write_scenario(tmp_path / "s"))  # too few FCP starters for a 3-per-PCN target
    goals = run_plan(scenario).tables.goals
    table = words.target_attainment(goals, scenario)
    assert table["sentence"].iloc[0].startswith(
        "3 first contact physiotherapists per PCN by March 2023: met in 0 of 2 PCNs; worst: ")
    one = words.target_attainment(goals, scenario, areas=["breckland"])
    assert one["sentence"].iloc[0].startswith("3 first contact physiotherapists per PCN by March 2023: missed, ")
    cells = goals[(goals["goal"] == "target") & (goals["area"] == "breckland")]
    short = cells.loc[cells["shortfall"].idxmax()]
    people = words.number(short["shortfall"])
    assert one["sentence"].iloc[0].endswith(
        f"{people} {'person' if people == '1' else 'people'} short in {words.period_end(short['period'])}")


LEVELS_PROVEN = [{"level": "p1", "status": "optimal", "objective": 0.0, "bound": 0.0, "gap": 0.0},
                 {"level": "final_cost", "status": "optimal", "objective": 4e7, "bound": 4e7, "gap": 0.0}]


@pytest.mark.parametrize(("summary", "text"), [
    ({"status": "optimal", "proven_optimal": True, "levels": LEVELS_PROVEN}, "best possible plan (proven)"),
    ({"status": "feasible", "proven_optimal": False, "levels": [
        LEVELS_PROVEN[0],
        {"level": "final_cost", "status": "feasible", "objective": 40_000_000, "bound": 37_050_000, "gap": 0.07375},
    ]}, "good plan, at most GBP 2.95m (7.4%) from the best on cost"),
    ({"status": "feasible", "proven_optimal": False, "levels": [
        {"level": "p2", "status": "feasible", "objective": 120.0, "bound": 100.0, "gap": 0.1667},
        {"level": "final_cost", "status": "feasible", "objective": 4e7, "bound": None, "gap": None},
    ]}, "stopped early: a good plan; at most 20 (16.7%) from the best on priority-2 goals; "
        "no proof of how close cost is to the best"),
    ({"status": "infeasible", "proven_optimal": False, "levels": []},
     "no plan: the rules conflict (run `wfplan diagnose` to see which)"),
    ({"status": "error", "proven_optimal": False, "message": "numerical trouble"},
     "no plan: the solver stopped (error: numerical trouble)"),
])
def test_plan_status_in_words(summary, text):
    assert words.plan_status(summary) == text


def test_status_words_contain_no_solver_terms():
    summary = {"status": "feasible", "proven_optimal": False, "levels": [
        {"level": "p1", "status": "feasible", "objective": 3.0, "bound": 2.0, "gap": 0.33}]}
    text = words.plan_status(summary)
    for term in ("objective", "bound", "gap", "p1", "feasible", "optimal"):
        assert term not in text.replace("priority-1", ""), term
