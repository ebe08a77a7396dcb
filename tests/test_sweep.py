"""Sweeps: parsing, per-sample determinism, and identical results on 1 or 2 local
workers and on a dask.distributed LocalCluster; plus the synth and sweep commands."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from wfplan.cli import main
from wfplan.scenario.load import load_scenario
from wfplan.scenario.synth import synth_scenario
from wfplan.sweep import (
    Distribution,
    SweepOptions,
    apply_factors,
    make_runs,
    parse_grid,
    parse_vary,
    reference_bases,
    run_one,
    run_sweep,
)

VARY = ["attrition=uniform(0.8,1.2)", "supply=normal(1,0.1)", "budget=triangular(0.9,1,1.1)"]


@pytest.fixture(scope="module")
def small():
    return synth_scenario(3, 1, seed=5)


def test_parse_specs() -> None:
    assert parse_vary("attrition=uniform(0.8,1.2)") == ("attrition", Distribution("uniform", (0.8, 1.2)))
    assert parse_vary(" budget = triangular(0.9, 1, 1.1) ")[1].args == (0.9, 1.0, 1.1)
    assert parse_grid("supply=0.8:1.2:0.2") == ("supply", [0.8, 1.0, 1.2])
    for bad in ("cost=uniform(1,2)", "supply=uniform(2,1)", "supply=beta(1,2)", "supply=normal(1)", "supply"):
        with pytest.raises(ValueError):
            parse_vary(bad)
    for bad in ("supply=1:0.5:0.1", "supply=0.5:1:0", "supply=a:b:c", "demand=1:2:1"):
        with pytest.raises(ValueError):
            parse_grid(bad)


def test_draws_depend_on_seed_and_sample_only() -> None:
    vary = dict(parse_vary(v) for v in VARY)
    runs = make_runs(5, vary, {}, seed=11)
    assert [r.factors for r in runs] == [r.factors for r in make_runs(5, vary, {}, seed=11)]
    assert [r.factors for r in runs] != [r.factors for r in make_runs(5, vary, {}, seed=12)]
    only_attrition = make_runs(5, {"attrition": vary["attrition"]}, {}, seed=11)
    assert [dict(r.factors)["attrition"] for r in runs] == [dict(r.factors)["attrition"] for r in only_attrition]
    grid = make_runs(3, {"attrition": vary["attrition"]}, dict([parse_grid("supply=0.9:1.1:0.1")]), seed=11)
    assert len(grid) == 9 and {dict(r.factors)["supply"] for r in grid} == {0.9, 1.0, 1.1}
    assert dict(grid[0].factors)["attrition"] == dict(grid[3].factors)["attrition"]  # common random numbers
    with pytest.raises(ValueError):
        make_runs(2, {"supply": vary["supply"]}, {"supply": [1.0]}, seed=0)


def test_apply_factors_scales_tables(small) -> None:
    scaled = apply_factors(small, {"attrition": 2.0, "supply": 0.5, "budget": 1.1})
    a0, a1 = small.table("attrition"), scaled.table("attrition")
    assert np.allclose(a1["annual_rate"], np.minimum(a0["annual_rate"] * 2, 1.0))
    assert np.allclose(scaled.table("supply")["max_starters"], small.table("supply")["max_starters"] * 0.5)
    e0, e1 = small.table("arrs_years"), scaled.table("arrs_years")
    assert np.allclose(e1["entitlement_per_weighted_patient"].dropna(), e0["entitlement_per_weighted_patient"].dropna() * 1.1)
    assert small.table("supply")["max_starters"].sum() > scaled.table("supply")["max_starters"].sum()


def test_same_results_on_any_number_of_workers_and_on_dask(small) -> None:
    distributed = pytest.importorskip("distributed")
    options = SweepOptions(integer=False)
    one, info = run_sweep(small, 6, VARY, [], seed=7, workers=1, options=options)
    two, _ = run_sweep(small, 6, VARY, [], seed=7, workers=2, options=options)
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        on_dask, _ = run_sweep(small, 6, VARY, [], seed=7, scheduler=cluster.scheduler_address, options=options)
    assert info["runs"] == 6 and (one.samples["status"] == "optimal").all()
    for other in (two, on_dask):
        pd.testing.assert_frame_equal(one.samples, other.samples, check_exact=True)
        pd.testing.assert_frame_equal(one.summary, other.summary, check_exact=True)
        pd.testing.assert_frame_equal(one.staff_fte, other.staff_fte, check_exact=True)
    assert set(one.summary["metric"]) == {"target_shortfall", "unmet_demand", "spend"}
    assert len(one.staff_fte) == one.staff_fte["role"].nunique() * 20


@pytest.mark.parametrize("pcns, systems", [(3, 1), (30, 3)])
def test_samples_warm_started_from_the_base_scenarios_bases_give_the_cold_figures(pcns, systems) -> None:
    scenario = synth_scenario(pcns, systems, seed=5)
    options = SweepOptions(integer=False)
    bases = reference_bases(scenario, options)
    # one set per independent part: systems share no staff, so at least one part each
    assert systems <= len(bases) <= pcns
    assert all({"p1", "p2", "final_cost"} <= set(levels) for levels in bases)  # every level the sweep solves
    for run in make_runs(2, dict(parse_vary(v) for v in VARY), {}, seed=4):
        warm, cold = run_one(scenario, run, options, bases), run_one(scenario, run, options)
        assert warm["status"] == cold["status"] == "optimal"
        for figure in ("target_shortfall", "unmet_demand", "spend"):
            assert warm[figure] == pytest.approx(cold[figure], rel=1e-6, abs=1e-6)


def test_integer_sweeps_have_no_reference_bases(small) -> None:
    assert reference_bases(small, SweepOptions(integer=True)) == []


def test_synth_and_sweep_commands(tmp_path) -> None:
    runner = CliRunner()
    scen = tmp_path / "syn"
    result = runner.invoke(main, ["synth", "--pcns", "3", "--seed", "5", "--out", str(scen)])
    assert result.exit_code == 0, result.output
    assert load_scenario(scen).checksum == synth_scenario(3, 1, seed=5).checksum
    out = tmp_path / "sweep"
    args = ["sweep", str(scen), "--samples", "2", "--vary", "supply=uniform(0.9,1.1)", "--lp",
            "--workers", "1", "--out", str(out)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"summary.csv", "staff_fte.csv", "samples.csv", "sweep.json",
                                              "timings.json"}
    assert json.loads((out / "sweep.json").read_text())["vary"] == {"supply": "uniform(0.9,1.1)"}
    assert runner.invoke(main, args).exit_code == 2  # exists without --force
    bad = runner.invoke(main, ["sweep", str(scen), "--samples", "2", "--vary", "cost=uniform(1,2)",
                               "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "unknown parameter" in bad.output
