"""The recruit-nobody start: a whole-people plan that keeps every rule."""

from __future__ import annotations

import numpy as np

from solvers import SolveOptions
from wfplan.model import formulation
from wfplan.model import inputs as model_inputs
from wfplan.model.start import no_recruitment_bounds, start_from_bounds
from wfplan.synth import synth_scenario


def test_recruit_nobody_start_is_a_whole_people_plan_within_every_row_and_bound() -> None:
    model = formulation.build(model_inputs.prepare(synth_scenario(4, 1, seed=2), integer=True))
    lp = model.builder.build()
    bounds = no_recruitment_bounds(model, lp)
    assert bounds is not None
    x = start_from_bounds(lp, bounds, model.builder.objective_vector(model.level_order[0]), SolveOptions())
    assert x is not None
    tol = 1e-6
    activity = lp.A @ x
    assert np.all(activity >= lp.row_lower - tol) and np.all(activity <= lp.row_upper + tol)
    assert np.all(x >= lp.col_lower - tol) and np.all(x <= lp.col_upper + tol)
    assert np.allclose(x[lp.integrality], np.round(x[lp.integrality]), atol=1e-9)
    assert model.builder.value("starters", x).sum() == 0
    leavers = model.builder.value("leavers", x)
    assert leavers.sum() > 0, "attrition still happens when nobody is recruited"


def test_lp_mode_has_no_recruit_nobody_start() -> None:
    model = formulation.build(model_inputs.prepare(synth_scenario(4, 1, seed=2), integer=False))
    lp = model.builder.build()
    assert no_recruitment_bounds(model, lp) is None
