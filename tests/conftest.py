"""Shared fixtures: small scenarios and plan directories written into temporary directories.

Every scenario a test writes comes from :func:`tests.scenarios.write_scenario`
(re-exported here with its bases); these fixtures are the ones more than one
test file uses.

* ``tiny_scenario``: a fresh copy of the tiny quarterly scenario
  :data:`tests.scenarios.TINY` (two PCNs, two roles, LP mode; plans in well
  under a second);
* ``formula_names_scenario``: the NHS scenario whose names look like
  spreadsheet formulas (:data:`tests.scenarios.FORMULA_NAMES`), written once
  per session (read-only: copy it before changing it);
* ``williams``: a fresh copy of ``examples/williams_manpower`` (yearly);
* ``tiny_plan_master``: one plan directory of the tiny scenario per session
  (read-only: tests that damage a plan directory take ``tiny_plan``, a
  fresh copy of it);
* ``nw_scenario``, ``nw_lp_result``, ``nw_lp_plan``: the Norfolk and Waveney
  example loaded, planned as an LP, and that plan written, once per session
  (read-only).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli_run import invoke
from tests.scenarios import FORMULA_NAMES, NHS, TINY, Base, write_scenario

__all__ = ["FORMULA_NAMES", "NHS", "TINY", "Base", "write_scenario"]  # the factory, re-exported

ROOT = Path(__file__).resolve().parents[1]
WILLIAMS = ROOT / "examples" / "williams_manpower"
NW_EXAMPLE = ROOT / "examples" / "norfolk_waveney"


@pytest.fixture
def tiny_scenario(tmp_path: Path) -> Path:
    return write_scenario(tmp_path / "scenario")


@pytest.fixture(scope="session")
def formula_names_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_scenario(tmp_path_factory.mktemp("formula_names") / "scenario", base=FORMULA_NAMES)


@pytest.fixture
def williams(tmp_path: Path) -> Path:
    return Path(shutil.copytree(WILLIAMS, tmp_path / "williams"))


@pytest.fixture(scope="session")
def tiny_plan_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny_plan")
    scenario = write_scenario(root / "scenario", end="2023/24 Q4")
    result, text = invoke(["plan", str(scenario), "--out", str(root / "plan")])
    assert result.exit_code == 0, text
    return root / "plan"


@pytest.fixture
def tiny_plan(tiny_plan_master: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny_plan_master, tmp_path / "plan"))


@pytest.fixture(scope="session")
def nw_scenario():
    """The Norfolk and Waveney example, loaded once per session (read-only)."""
    from wfplan.scenario.load import load_scenario

    return load_scenario(NW_EXAMPLE)


@pytest.fixture(scope="session")
def nw_lp_result(nw_scenario):
    """The Norfolk and Waveney example planned as an LP by HiGHS (fractional people; about 3 s), read-only."""
    from wfplan.pipeline import run_plan

    return run_plan(nw_scenario, integer=False)


@pytest.fixture(scope="session")
def nw_lp_plan(nw_lp_result, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plan directory of :func:`nw_lp_result` (read-only)."""
    from wfplan.results.plan_directory import write_plan

    out = tmp_path_factory.mktemp("nw_lp") / "plan"
    assert nw_lp_result.tables is not None, nw_lp_result.solution.message
    write_plan(nw_lp_result, out)
    return out
