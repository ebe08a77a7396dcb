"""The stock-flow engine reproduces the NHSE-approved GPFV trajectory appendix
(``seeds/002:1841-1883``) cell by cell from the sourced inputs in
``data/norfolk_waveney``: every FTE cell, year total, net flow, forecast,
rolling quarter, plan and growth, to the seed's printed rounding."""

from __future__ import annotations

from pathlib import Path

import pytest

from wfplan.results import trajectory
from wfplan.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]

# (role, flow): (Oct-Mar FTE, Q1..Q4 FTE, year FTE) as printed, seeds/002:1844-1867
INFLOW_FTE = {
    ("gp", "new_fully_qualified"): (1.50, 3.75, 15.00, 4.50, 3.75, 27.00),
    ("gp", "induction_refresher"): (0.00, 0.00, 0.00, 0.00, 1.80, 1.80),
    ("gp", "international_recruitment"): (0.00, 0.00, 0.00, 1.60, 1.60, 3.20),
    ("gp", "gp_retention_scheme"): (0.00, 0.00, 1.20, 0.40, 1.20, 2.80),
    ("gp", "other_gp_retention"): (2.40, 2.40, 3.20, 3.20, 2.40, 11.20),
    ("gp", "other"): (0.00, 0.00, 0.00, 0.00, 0.00, 0.00),
    ("nurse", None): (3.28, 4.92, 11.48, 9.02, 8.20, 33.62),
    ("dpc_other", None): (0.00, 8.40, 7.70, 8.40, 7.70, 32.20),
    ("physician_associate", None): (0.00, 1.70, 1.70, 1.70, 1.70, 6.80),
    ("clinical_pharmacist", None): (0.00, 4.30, 4.30, 4.30, 4.30, 17.20),
    ("admin", None): (0.00, 20.46, 20.46, 20.46, 20.46, 81.84),
}
INFLOW_HEADCOUNT_YEAR = {"new_fully_qualified": 36, "induction_refresher": 3, "international_recruitment": 4,
                         "gp_retention_scheme": 7, "other_gp_retention": 28, "other": 0}
OUTFLOW_FTE = {
    ("gp", "retirement"): (7.04, 7.04, 7.04, 7.04, 7.04, 28.16),
    ("gp", "other"): (4.00, 4.00, 4.00, 4.00, 4.00, 16.00),
    ("nurse", None): (1.64, 7.38, 7.38, 7.38, 4.10, 26.24),
    ("dpc_other", None): (0.00, 6.30, 6.30, 7.00, 7.00, 26.60),
    ("physician_associate", None): (0.00, 0.00, 0.85, 0.00, 0.85, 1.70),
    ("clinical_pharmacist", None): (0.00, 0.00, 0.00, 0.00, 0.86, 0.86),
    ("admin", None): (0.00, 15.84, 15.84, 15.84, 15.84, 63.36),
}
# staff group: (net flow, forecast, Q1, Q2, Q3, Q4, plan, growth %), seeds/002:1878-1883
ROLLING = {
    "GP": (-7.14, 521.63, 516.74, 525.10, 523.76, 523.47, 523.47, 0.4),
    "Nurses": (1.64, 381.63, 379.17, 383.27, 384.91, 389.01, 389.01, 1.9),
    "Direct Patient Care": (0.00, 381.67, 383.77, 385.17, 386.57, 387.27, 387.27, 1.5),
    "Physician Associates": (0.00, 3.47, 5.17, 6.02, 7.72, 8.57, 8.57, None),  # see the PA test below
    "Pharmacists": (0.00, 10.43, 14.73, 19.03, 23.33, 26.77, 26.77, 156.7),
    "Admin": (0.00, 2043.84, 2048.46, 2053.08, 2057.70, 2062.32, 2062.32, 0.9),
}


@pytest.fixture(scope="module")
def traj() -> trajectory.Trajectory:
    return trajectory.compute(load_scenario(ROOT / "data" / "norfolk_waveney"), level="system")


def _block_row(block, role: str, flow: str | None):
    rows = block[block["role"] == role]
    if flow is not None:
        rows = rows[rows["flow"] == flow]
    assert len(rows) == 1, (role, flow)
    return rows.iloc[0]


def _fte_cells(row) -> tuple[float, ...]:
    return tuple(round(row[c], 2) for c in ("earlier_fte", "Q1_fte", "Q2_fte", "Q3_fte", "Q4_fte", "year_fte"))


@pytest.mark.parametrize(("key", "expected"), list(INFLOW_FTE.items()), ids=str)
def test_every_inflow_fte_cell_matches_the_seed(traj, key, expected):
    block = trajectory.year_block(traj, "2019/20", "inflow")
    assert _fte_cells(_block_row(block, *key)) == expected


@pytest.mark.parametrize(("key", "expected"), list(OUTFLOW_FTE.items()), ids=str)
def test_every_outflow_fte_cell_matches_the_seed(traj, key, expected):
    block = trajectory.year_block(traj, "2019/20", "outflow")
    assert _fte_cells(_block_row(block, *key)) == expected


def test_headcount_year_total_is_q1_to_q4_without_the_earlier_span(traj):
    block = trajectory.year_block(traj, "2019/20", "inflow")
    for flow, total in INFLOW_HEADCOUNT_YEAR.items():
        row = _block_row(block, "gp", flow)
        assert row["year_headcount"] == total
        assert row["year_headcount"] == sum(row[f"Q{i}_headcount"] for i in range(1, 5))
    nqgp = _block_row(block, "gp", "new_fully_qualified")
    assert (nqgp["earlier_span"], nqgp["earlier_headcount"]) == ("2018/19 Q3-Q4", 2)


@pytest.mark.parametrize(("group", "expected"), list(ROLLING.items()))
def test_rolling_totals_match_the_seed(traj, group, expected):
    row = traj.rolling[(traj.rolling["staff_group"] == group) & (traj.rolling["year"] == "2019/20")].iloc[0]
    got = tuple(round(row[c], 2) for c in ("net_flow", "forecast", "Q1", "Q2", "Q3", "Q4", "plan"))
    assert got == expected[:7]
    if expected[7] is not None:
        assert round(row["growth"] * 100, 1) == expected[7]


def test_gp_rolling_total_runs_from_forecast_through_each_quarter(traj):
    row = traj.rolling[traj.rolling["staff_group"] == "GP"].iloc[0]
    assert row["hist 2018/19 Q2"] == pytest.approx(528.77)
    assert row["net_flow_span"] == "2018/19 Q3-Q4"
    assert [round(row[c], 2) for c in ("forecast", "Q1", "Q2", "Q3", "Q4")] == [521.63, 516.74, 525.10, 523.76, 523.47]


def test_physician_associate_growth_is_146_97_percent_from_printed_figures(traj):
    """The seed prints 147.1%, but from its printed (rounded) figures growth is
    8.57 / 3.47 - 1 = 146.97%, which rounds to 147.0%.  The template computed
    growth from an unrounded baseline: any historic FTE in [3.4667, 3.4695)
    prints as 3.47 and gives 147.1%
    (growth = 5.10 / baseline - 1 must lie in [147.05%, 147.15%)).  wfplan computes from its inputs (3.47) and
    does not fudge the figure."""
    row = traj.rolling[traj.rolling["staff_group"] == "Physician Associates"].iloc[0]
    assert row["growth"] == pytest.approx(8.57 / 3.47 - 1)
    assert round(row["growth"] * 100, 2) == 146.97
    assert round(row["growth"] * 100, 1) == 147.0
    net_year = 6.80 - 1.70
    for unrounded in (3.4659, 3.467, 3.4682):
        assert round(unrounded, 2) == 3.47
        assert round(((unrounded + net_year) / unrounded - 1) * 100, 1) == 147.1
    assert round(((3.47 + net_year) / 3.47 - 1) * 100, 1) == 147.0


def test_trajectory_at_place_level_reports_system_only_flows_at_system_level(traj):
    scenario = load_scenario(ROOT / "data" / "norfolk_waveney")
    by_place = trajectory.compute(scenario, level="place")
    assert set(by_place.rolling["level"]) == {"system"}
    assert any("not apportioned" in n for n in by_place.notes)
