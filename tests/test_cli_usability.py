"""Frictions a new user met on the command line (issue 14, 'What was measured' 4-9)."""

from __future__ import annotations

from pathlib import Path

from cli_run import invoke
from tiny_scenarios import write_scenario


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
