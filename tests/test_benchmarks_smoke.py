"""Smoke tests of the benchmarks: bench_plan.py on a 5-PCN synthetic scenario (LP), bench_sweep.py on 4 N&W samples."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return load_script("bench_plan")


def test_quick_functions_on_five_pcns(bench, tmp_path) -> None:
    dirs = bench.synth_dirs([5], tmp_path)
    case = bench.Case("synth 5 highs LP no claims", dirs[5], integer=False, time_limit=30, claims=False, pulp=True)
    row = bench.run_case(case)
    assert row["status"] == "optimal" and row["integer_variables"] == 0
    assert row["variables"] > 0 and row["constraints"] > 0 and row["nonzeros"] > row["variables"]
    assert row["pulp_build_s"] > 0 and row["array_build_s"] > 0 and row["peak_mib"] > 0
    again = bench.run_in_subprocess(dataclasses.replace(case, pulp=False))
    assert again["variables"] == row["variables"] and again["status"] == "optimal"
    merged = bench.median_row([row, again])
    assert merged["repeats"] == 2 and min(row["solve_s"], again["solve_s"]) <= merged["solve_s"]
    text = bench.report([{**merged, "pulp_build_s": row["pulp_build_s"], "array_build_s": row["array_build_s"]}],
                        bench.machine(), 2, quick=True)
    assert "synth 5 highs LP no claims" in text and "PuLP loop build" in text and "nproc" in text


def test_sweep_benchmark_times_a_sweep_and_reports_target_and_ratios() -> None:
    bench_sweep = load_script("bench_sweep")
    from wfplan.scenario.load import load_scenario

    target = bench_sweep.SweepCase("4 samples, 2 workers, warm", 4, 2)
    row = bench_sweep.medians([bench_sweep.run_case(bench_sweep.SweepCase("cold", 4, 1, warm_start=False),
                                                    load_scenario(bench_sweep.NW))])
    assert row["solved"] == 4 and row["wall_s"] > 0 and row["sample_s"] > 0 and row["repeats"] == 1

    def timed(case, wall: float) -> dict[str, object]:
        return {"case": case.name, "samples": case.samples, "workers": case.workers, "warm_start": case.warm_start,
                "wall_s": wall, "samples_per_s": case.samples / wall, "sample_s": 0.2, "solved": case.samples,
                "repeats": 3}

    rows = [timed(target, 61.0), timed(bench_sweep.SweepCase("2 workers, warm", 100, 2), 10.0),
            timed(bench_sweep.SweepCase("1 worker, warm", 100, 1), 20.0),
            timed(bench_sweep.SweepCase("2 workers, cold", 100, 2, warm_start=False), 30.0)]
    text = bench_sweep.report(rows, {"nproc": "2"}, target)
    assert "4 N&W samples in <= 60 s on 2 cores: **NOT reached** (61.0 s, median of 3)" in text
    assert "second worker: 2.00x" in text and "warm start: 3.00x" in text
