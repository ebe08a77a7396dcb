"""Golden text of every formulation block on a two-PCN scenario (compare calliope's per-constraint LP files).

The scenario (:data:`TABLES`, two PCNs, two roles, two quarters) is built as an
LP and in whole people (which adds replacements and the vacancy pool); it has
attrition with a first-year rate, staff in post, a March 2019 baseline, a
retraining pipeline, ARRS entitlement, a limited budget, a target and demand,
so most blocks of :mod:`wfplan.model.formulation` appear.  Each constraint
block is written, one row a line, as ``name: lower <= +coef column ... <= upper``
with named rows and columns (:mod:`wfplan.model.naming`,
:func:`solvers.model_text.row_text`) to ``tests/golden/formulation/<block>.txt``
(whole people: ``tests/golden/formulation_whole_people/``);
``columns.txt`` holds every column's bounds and type and ``objectives.txt``
every level's objective.  A change to the maths shows as a readable diff of
the rows it changed.

To accept a deliberate change, regenerate the files and review the diff::

    WFPLAN_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_formulation_blocks.py
    git diff tests/golden/
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from solvers import SolveOptions, get_solver
from solvers.model_text import column_text, expression_text, row_text
from tests.scenarios import write_scenario
from wfplan.model import formulation
from wfplan.model import inputs as model_inputs
from wfplan.model.naming import named_program, write_model_file
from wfplan.scenario.load import load_scenario

GOLDEN = Path(__file__).parent / "golden" / "formulation"
WHOLE_PEOPLE_GOLDEN = Path(__file__).parent / "golden" / "formulation_whole_people"
REGENERATE = os.environ.get("WFPLAN_REGENERATE_GOLDEN") == "1"

TABLES = {
    "attrition": "role,annual_rate,first_year_annual_rate\nfcp,0.1,0.2\npa,0.08,\n",
    "staff_in_post": "level,area,role,as_at,headcount\n"
                     "pcn,breckland,fcp,2021/22 Q4,2\npcn,breckland,pa,2018/19 Q4,1\npcn,breckland,pa,2021/22 Q4,2\n",
    "targets": "target,role,basis,quantity,unit,by,kind,priority,penalty,hard\n"
               "fcp_3_per_pcn,fcp,per_pcn,3,headcount,2022/23 Q2,at_least,1,1,false\n",
    "demand": "level,area,from_period,appointments_per_patient,annual_growth,priority,penalty\n"
              "system,tinysys,2022/23 Q1,0.2,0.0,2,1\n",
    "budgets": "budget,year,level,area,amount\npractice,2022/23,system,tinysys,30000\n"
               "practice,2023/24,system,tinysys,\n",
    "transitions": "transition,from_role,to_role,lead_periods,success_rate,cost_per_person\n"
                   "pa_to_fcp,pa,fcp,1,0.9,1000\n",
}
"""Changes to the tiny scenario (tests/scenarios.py, TINY): everything else is its default."""


def _build(directory: Path, integer: bool) -> formulation.Model:
    return formulation.build(model_inputs.prepare(load_scenario(directory), integer=integer))


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_scenario(tmp_path_factory.mktemp("blocks") / "scenario", TABLES, end="2022/23 Q2")


@pytest.fixture(scope="module")
def model(scenario_dir: Path) -> formulation.Model:
    return _build(scenario_dir, integer=False)


@pytest.fixture(scope="module")
def whole_people_model(scenario_dir: Path) -> formulation.Model:
    return _build(scenario_dir, integer=True)


def _render(model: formulation.Model, golden: Path) -> dict[str, str]:
    """File name -> text, for every constraint block, the columns and the objectives."""
    lp = named_program(model)
    texts = {}
    for name, block in model.builder.constraints.items():
        rows = block.ids[block.ids >= 0].ravel()
        texts[f"{name}.txt"] = "".join(f"{row_text(lp, int(i))}\n" for i in rows)
    texts["columns.txt"] = "".join(f"{column_text(lp, j)}\n" for j in range(lp.num_cols))
    objectives = []
    for level in model.level_order:
        c = model.builder.objective_vector(level)
        used = np.flatnonzero(c)
        objectives.append(f"{level}: minimise {expression_text(lp, used, c[used])}\n")
    texts["objectives.txt"] = "".join(objectives)
    if REGENERATE:
        golden.mkdir(parents=True, exist_ok=True)
        for stale in set(path.name for path in golden.glob("*.txt")) - set(texts):
            (golden / stale).unlink()
        for file, text in texts.items():
            (golden / file).write_text(text, encoding="utf-8")
    return texts


@pytest.fixture(scope="module")
def rendered(model: formulation.Model) -> dict[str, str]:
    return _render(model, GOLDEN)


@pytest.fixture(scope="module")
def rendered_whole_people(whole_people_model: formulation.Model) -> dict[str, str]:
    return _render(whole_people_model, WHOLE_PEOPLE_GOLDEN)


def golden_files(golden: Path = GOLDEN) -> list[str]:
    return sorted(path.name for path in golden.glob("*.txt"))


def test_every_block_has_a_golden_file_and_no_golden_file_is_stale(rendered: dict[str, str]) -> None:
    assert sorted(rendered) == golden_files(), (
        "blocks and golden files differ: regenerate with WFPLAN_REGENERATE_GOLDEN=1 (see the module docstring)"
    )


@pytest.mark.parametrize("file", golden_files())
def test_block_rows_match_their_golden_text(rendered: dict[str, str], file: str) -> None:
    expected = (GOLDEN / file).read_text(encoding="utf-8")
    assert rendered.get(file) == expected, f"{file} changed: review, then regenerate (see the module docstring)"


def test_every_whole_people_block_has_a_golden_file_and_none_is_stale(rendered_whole_people: dict[str, str]) -> None:
    assert sorted(rendered_whole_people) == golden_files(WHOLE_PEOPLE_GOLDEN), (
        "blocks and golden files differ: regenerate with WFPLAN_REGENERATE_GOLDEN=1 (see the module docstring)"
    )


@pytest.mark.parametrize("file", golden_files(WHOLE_PEOPLE_GOLDEN))
def test_whole_people_block_rows_match_their_golden_text(rendered_whole_people: dict[str, str], file: str) -> None:
    expected = (WHOLE_PEOPLE_GOLDEN / file).read_text(encoding="utf-8")
    assert rendered_whole_people.get(file) == expected, (
        f"{file} (whole people) changed: review, then regenerate (see the module docstring)")


def test_whole_people_refill_the_posts_leavers_leave(rendered_whole_people: dict[str, str]) -> None:
    """vacancies[t] = vacancies[t-1] + leavers[t] - replacements[t]; recruits into new posts and
    refills both count in the balance and against supply, and starters are whole people."""
    vacancies = rendered_whole_people["vacancies.txt"].splitlines()
    # fcp is recruited in Q1 only (the tiny scenario's supply): Q1 refills, Q2's leavers wait
    assert ("vacancies[breckland,fcp,2022/23 Q1]: +1 replacements[breckland,fcp,2022/23 Q1]"
            " -1 leavers[breckland,fcp,2022/23 Q1] +1 vacancies[breckland,fcp,2022/23 Q1] = 0") in vacancies
    assert ("vacancies[breckland,fcp,2022/23 Q2]: -1 leavers[breckland,fcp,2022/23 Q2]"
            " -1 vacancies[breckland,fcp,2022/23 Q1] +1 vacancies[breckland,fcp,2022/23 Q2] = 0") in vacancies
    balance = rendered_whole_people["balance.txt"].splitlines()
    assert ("balance[breckland,fcp,2022/23 Q1]: +1 stock[breckland,fcp,2022/23 Q1] -1 starters[breckland,fcp,2022/23 Q1]"
            " -1 replacements[breckland,fcp,2022/23 Q1] +1 leavers[breckland,fcp,2022/23 Q1]"
            " -1 completed[breckland,pa_to_fcp,2022/23 Q1] = 2") in balance
    columns = rendered_whole_people["columns.txt"].splitlines()
    assert "starters[breckland,fcp,2022/23 Q1] >= 0 integer" in columns


def test_the_balance_row_is_the_stock_and_flow_equation(rendered: dict[str, str]) -> None:
    """stock[t] - stock[t-1] - starters + leavers + started (course leaving the role) - completed = known flows."""
    rows = rendered["balance.txt"].splitlines()
    assert ("balance[breckland,fcp,2022/23 Q1]: +1 stock[breckland,fcp,2022/23 Q1] -1 starters[breckland,fcp,2022/23 Q1]"
            " +1 leavers[breckland,fcp,2022/23 Q1] -1 completed[breckland,pa_to_fcp,2022/23 Q1] = 2") in rows
    assert ("balance[breckland,pa,2022/23 Q2]: -1 stock[breckland,pa,2022/23 Q1] +1 stock[breckland,pa,2022/23 Q2]"
            " +1 leavers[breckland,pa,2022/23 Q2] +1 started[breckland,pa_to_fcp,2022/23 Q1] = 0") in rows


@pytest.mark.parametrize("suffix", [".lp", ".mps"])
def test_a_model_file_has_the_names_and_solves_to_the_same_optimum(model: formulation.Model, tmp_path: Path,
                                                                   suffix: str) -> None:
    import highspy

    level = "p2"  # demand: a level with many columns in its objective
    path = tmp_path / f"model{suffix}"
    write_model_file(model, path, level)
    if suffix == ".lp":
        assert "balance(breckland,fcp,2022_23_Q1): +1 stock(breckland,fcp,2022_23_Q1)" in path.read_text()
    direct = get_solver("highs").solve(model.builder.build().with_objective(model.builder.objective_vector(level)),
                                       SolveOptions())
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(direct.objective, rel=1e-9)
    assert h.getColByName("stock(mid_norfolk,pa,2022_23_Q2)")[0] == highspy.HighsStatus.kOk


def test_names_number_the_axes_without_labels_and_refuse_labels_of_the_wrong_length(
        model: formulation.Model) -> None:
    builder = model.builder
    names = builder.column_names()
    assert len(names) == builder.num_cols and len(set(names)) == builder.num_cols
    assert names[int(builder.variables["stock"].ids[1, 0, 1])] == "stock[1,0,1]"
    with pytest.raises(ValueError, match="axis 0 has 2 positions, but 3 labels"):
        builder.column_names({"stock": (["a", "b", "c"], None, None)})


def test_an_unknown_level_is_refused_with_the_model_levels(model: formulation.Model, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown objective level 'p7'; the model's levels: budget, p1"):
        write_model_file(model, tmp_path / "m.lp", "p7")
