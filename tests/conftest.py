"""Fixtures shared by several test modules: plan directories planned once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NW_EXAMPLE = ROOT / "examples" / "norfolk_waveney"


@pytest.fixture(scope="session")
def nw_lp_plan(tmp_path_factory) -> Path:
    """The Norfolk and Waveney example planned as an LP (fractional people; about 3 s)."""
    from wfplan.load import load_scenario
    from wfplan.planner import run_plan, write_plan

    out = tmp_path_factory.mktemp("nw_lp") / "plan"
    result = run_plan(load_scenario(NW_EXAMPLE), integer=False)
    assert result.tables is not None, result.solution.message
    write_plan(result, out)
    return out
