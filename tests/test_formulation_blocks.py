"""Golden text of every formulation block on a two-PCN scenario (compare calliope's per-constraint LP files).

The scenario (:data:`TABLES`, two PCNs, two roles, two quarters, LP mode) has
attrition with a first-year rate, staff in post, a March 2019 baseline, a
retraining pipeline, ARRS entitlement, a limited budget, a target and demand,
so most blocks of :mod:`wfplan.model.formulation` appear.  Each constraint
block is written, one row a line, as ``name: lower <= +coef column ... <= upper``
with named rows and columns (:mod:`wfplan.model.naming`,
:func:`solvers.model_text.row_text`) to ``tests/golden/formulation/<block>.txt``;
``columns.txt`` holds every column's bounds and type and ``objectives.txt``
every level's objective.  A change to the maths shows as a readable diff of
the rows it changed.

To accept a deliberate change, regenerate the files and review the diff::

    WFPLAN_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_formulation_blocks.py
    git diff tests/golden/formulation
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


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> formulation.Model:
    directory = write_scenario(tmp_path_factory.mktemp("blocks") / "scenario", TABLES, end="2022/23 Q2")
    return formulation.build(model_inputs.prepare(load_scenario(directory)))


@pytest.fixture(scope="module")
def rendered(model: formulation.Model) -> dict[str, str]:
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
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for stale in set(path.name for path in GOLDEN.glob("*.txt")) - set(texts):
            (GOLDEN / stale).unlink()
        for file, text in texts.items():
            (GOLDEN / file).write_text(text, encoding="utf-8")
    return texts


def golden_files() -> list[str]:
    return sorted(path.name for path in GOLDEN.glob("*.txt"))


def test_every_block_has_a_golden_file_and_no_golden_file_is_stale(rendered: dict[str, str]) -> None:
    assert sorted(rendered) == golden_files(), (
        "blocks and golden files differ: regenerate with WFPLAN_REGENERATE_GOLDEN=1 (see the module docstring)"
    )


@pytest.mark.parametrize("file", golden_files())
def test_block_rows_match_their_golden_text(rendered: dict[str, str], file: str) -> None:
    expected = (GOLDEN / file).read_text(encoding="utf-8")
    assert rendered.get(file) == expected, f"{file} changed: review, then regenerate (see the module docstring)"


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
