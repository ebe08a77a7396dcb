"""Smoke test of benchmarks/bench_plan.py: its functions on a 5-PCN synthetic scenario, LP mode."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_plan.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_plan", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_plan"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


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
