"""Scenario sweeps: Monte Carlo and grids over attrition, supply and budget, in parallel.

Each run is the base scenario with scaled tables, built in memory:

* ``attrition``: every annual (and first-year) leaving rate x factor, capped at 1;
* ``supply``: every ``max_starters`` x factor;
* ``budget``: ARRS entitlement (per weighted patient or per PCN) and every
  limited budget amount x factor.

``--vary attrition=uniform(0.8,1.2)`` draws a factor per sample from
``numpy.random.default_rng([seed, sample, parameter])``, so a sample's draws
depend only on the seed and its index: results are the same whatever the
number of workers or the scheduler.  ``--grid supply=0.8:1.2:0.2`` runs every
sample at every grid point (the same draws at each point: common random numbers).

An LP sweep first solves the base scenario once; every sample's simplex
starts from its optimal bases, level by level (:func:`reference_bases`).

Samples run in local processes (:func:`wfplan.workers.process_pool`)
or on a Dask distributed cluster (``scheduler`` address).  A sample reports
staff in post (FTE) by role and period, total target shortfall, unmet demand
(appointments) and spend (employment cost, the ``employment_cost`` of
``plan.csv``), read from the solution vector.  The ARRS claims level (which
only settles who pays) is skipped unless ``claims=True``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from solvers import DEFAULT_SOLVER, Basis
from solvers.base import DEFAULT_GAP
from wfplan.scenario import Scenario
from wfplan.workers import process_pool

if TYPE_CHECKING:
    from wfplan.model.formulation import Model
    from wfplan.solve import PlanSolution

PARAMETERS = ("attrition", "supply", "budget")
DISTRIBUTIONS = {"uniform": 2, "normal": 2, "triangular": 3, "lognormal": 2, "fixed": 1}
PERCENTILES = (10, 50, 90)


@dataclass(frozen=True)
class Distribution:
    """A factor distribution: ``uniform(a,b)``, ``normal(mu,sd)``, ``triangular(lo,mode,hi)``,
    ``lognormal(mu,sigma)`` (of the log) or ``fixed(v)``."""

    kind: str
    args: tuple[float, ...]

    def draw(self, rng: np.random.Generator) -> float:
        if self.kind == "fixed":
            return self.args[0]
        value = getattr(rng, self.kind)(*self.args)
        return max(float(value), 0.0)

    def __str__(self) -> str:
        return f"{self.kind}({','.join(f'{a:g}' for a in self.args)})"


def _parameter(name: str) -> str:
    name = name.strip().lower()
    if name not in PARAMETERS:
        raise ValueError(f"unknown parameter {name!r}; choose from {', '.join(PARAMETERS)}")
    return name


def parse_vary(text: str) -> tuple[str, Distribution]:
    """``attrition=uniform(0.8,1.2)`` -> ("attrition", Distribution)."""
    match = re.fullmatch(r"\s*(\w+)\s*=\s*(\w+)\s*\(([^)]*)\)\s*", text)
    if not match:
        raise ValueError(f"{text!r}: expected PARAM=DIST(a,b), e.g. attrition=uniform(0.8,1.2)")
    name, kind = _parameter(match[1]), match[2].lower()
    if kind not in DISTRIBUTIONS:
        raise ValueError(f"{text!r}: unknown distribution; choose from {', '.join(DISTRIBUTIONS)}")
    try:
        args = tuple(float(a) for a in match[3].split(","))
    except ValueError:
        raise ValueError(f"{text!r}: arguments must be numbers") from None
    if len(args) != DISTRIBUTIONS[kind] or not all(math.isfinite(a) for a in args):
        raise ValueError(f"{text!r}: {kind} takes {DISTRIBUTIONS[kind]} finite numbers")
    if (kind == "uniform" and args[0] > args[1]) or (kind == "triangular" and not args[0] <= args[1] <= args[2]) \
            or (kind in ("normal", "lognormal") and args[1] < 0):
        raise ValueError(f"{text!r}: parameters out of order or negative spread")
    return name, Distribution(kind, args)


def parse_grid(text: str) -> tuple[str, list[float]]:
    """``supply=0.8:1.2:0.1`` -> ("supply", [0.8, 0.9, ..., 1.2]) (both ends included)."""
    match = re.fullmatch(r"\s*(\w+)\s*=\s*([^:]+):([^:]+):([^:]+)\s*", text)
    if not match:
        raise ValueError(f"{text!r}: expected PARAM=start:stop:step, e.g. supply=0.8:1.2:0.1")
    name = _parameter(match[1])
    try:
        start, stop, step = (float(match[i]) for i in (2, 3, 4))
    except ValueError:
        raise ValueError(f"{text!r}: start, stop and step must be numbers") from None
    if step <= 0 or stop < start or start < 0:
        raise ValueError(f"{text!r}: need 0 <= start <= stop and step > 0")
    count = int(math.floor((stop - start) / step + 1e-9)) + 1
    return name, [round(start + i * step, 10) for i in range(count)]


@dataclass(frozen=True)
class Run:
    """One solve: grid point ``point``, Monte Carlo sample ``sample``, and its factors."""

    index: int
    point: int
    sample: int
    factors: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class SweepOptions:
    solver: str = DEFAULT_SOLVER
    integer: bool | None = None
    time_limit: float | None = None
    gap: float = DEFAULT_GAP
    claims: bool = False
    warm_start: bool = True  # LP samples start from the base scenario's bases (see reference_bases)


def make_runs(samples: int, vary: dict[str, Distribution], grid: dict[str, list[float]], seed: int) -> list[Run]:
    """Every (grid point, sample) with its factors; draws depend on (seed, sample, parameter) only."""
    if samples < 1:
        raise ValueError("--samples must be at least 1")
    both = set(vary) & set(grid)
    if both:
        raise ValueError(f"{', '.join(sorted(both))} cannot be both varied and on a grid")
    draws = []
    for s in range(samples):
        draws.append({name: dist.draw(np.random.default_rng([seed, s, PARAMETERS.index(name)]))
                      for name, dist in vary.items()})
    names = sorted(grid)
    points = list(itertools.product(*(grid[n] for n in names)))
    runs = []
    for p, values in enumerate(points):
        for s in range(samples):
            factors = {**dict(zip(names, values, strict=True)), **draws[s]}
            runs.append(Run(len(runs), p, s, tuple(sorted(factors.items()))))
    return runs


def apply_factors(base: Scenario, factors: dict[str, float]) -> Scenario:
    """The base scenario with attrition, supply and budget tables scaled (validated again)."""
    rows = dict(base.rows)

    def scaled(table: str, update) -> None:
        rows[table] = [dataclasses.replace(loc, row=loc.row.model_copy(update=update(loc.row)))
                       for loc in base.rows.get(table, [])]

    f = factors.get("attrition")
    if f is not None:
        scaled("attrition", lambda r: {
            "annual_rate": min(r.annual_rate * f, 1.0),
            "first_year_annual_rate": None if r.first_year_annual_rate is None
            else min(r.first_year_annual_rate * f, 1.0)})
    f = factors.get("supply")
    if f is not None:
        scaled("supply", lambda r: {"max_starters": r.max_starters * f})
    f = factors.get("budget")
    if f is not None:
        scaled("arrs_years", lambda r: {k: getattr(r, k) * f for k in
                                        ("entitlement_per_weighted_patient", "entitlement_per_pcn")
                                        if getattr(r, k) is not None})
        scaled("budgets", lambda r: {} if r.amount is None else {"amount": r.amount * f})
    return Scenario.build(base.manifest, rows, base.source_files, base.root)


def _plan(scenario: Scenario, options: SweepOptions, warm_bases: list[dict[str, Basis]] | None = None,
          keep_bases: bool = False) -> tuple[Model, PlanSolution]:
    """Build and solve one variant (without the claims level unless asked for)."""
    from wfplan.model.settings import SolveSettings
    from wfplan.pipeline import build_model
    from wfplan.solve import solve

    model = build_model(scenario, integer=options.integer, claims=options.claims)
    settings = SolveSettings.for_scenario(scenario, solver=options.solver, time_limit=options.time_limit,
                                          gap=options.gap, keep_bases=keep_bases)
    return model, solve(model, settings, warm_bases=warm_bases)


def reference_bases(base: Scenario, options: SweepOptions) -> list[dict[str, Basis]]:
    """Each level's optimal LP basis for the base scenario (all factors 1), per
    independent part: every sample's simplex starts there.

    Samples differ from the base in numbers only (rates, limits, amounts), so
    the base's bases are close to theirs: on Norfolk & Waveney a sample's four
    LP solves take about a third of the time from a cold start.  Every sample
    starts from the same bases, so its result does not depend on which worker
    ran it or what it ran before.  Integer sweeps (no LP basis) get none.
    """
    integer = base.manifest.model.integer if options.integer is None else options.integer
    if integer:
        return []
    _, solution = _plan(base, options, keep_bases=True)
    return solution.bases


def run_one(base: Scenario, run: Run, options: SweepOptions,
            warm_bases: list[dict[str, Basis]] | None = None) -> dict[str, object]:
    """Plan one run and return its figures (small: sent back from workers)."""
    from wfplan.results.plan_tables import clean_solution

    started = time.perf_counter()
    model, sol = _plan(apply_factors(base, dict(run.factors)), options, warm_bases)
    out: dict[str, object] = {"index": run.index, "status": sol.status.value, "seconds": time.perf_counter() - started}
    if sol.x is None:
        return out
    b = model.builder
    x = clean_solution(sol.lp, sol.x)  # the figures plan.csv would show for this sample
    out["staff_fte"] = b.evaluate("staff_fte", x).sum(axis=0)  # role x period
    out["target_shortfall"] = float(b.value("target_shortfall", x).sum()) if "target_shortfall" in b.variables else 0.0
    out["unmet_demand"] = float(b.value("unmet_demand", x).sum()) if "unmet_demand" in b.variables else 0.0
    out["spend"] = float(b.evaluate("employment_cost", x).sum())
    return out


@dataclass(frozen=True)
class Shared:
    """What every run of a sweep shares: sent to each worker once."""

    base: Scenario
    options: SweepOptions
    warm_bases: list[dict[str, Basis]]


_WORKER_SHARED: Shared | None = None


def _init_worker(shared: Shared) -> None:
    global _WORKER_SHARED
    _WORKER_SHARED = shared


def _run_in_worker(run: Run) -> dict[str, object]:
    assert _WORKER_SHARED is not None
    return _run_shared(run, _WORKER_SHARED)


def _run_shared(run: Run, shared: Shared) -> dict[str, object]:
    return run_one(shared.base, run, shared.options, shared.warm_bases)


def execute(base: Scenario, runs: Sequence[Run], options: SweepOptions, workers: int = 2,
            scheduler: object | None = None) -> list[dict[str, object]]:
    """Run every run; results in run order.  ``scheduler``: a Dask address or Client."""
    shared = Shared(base, options, reference_bases(base, options) if options.warm_start else [])
    if scheduler is not None:
        from dask.distributed import Client

        client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        try:
            shared_future = client.scatter(shared, broadcast=True)
            futures = client.map(_run_shared, list(runs), shared=shared_future, pure=False)
            return client.gather(futures)
        finally:
            if client is not scheduler:
                client.close()
    if workers <= 1:
        return [_run_shared(run, shared) for run in runs]
    with process_pool(workers, initializer=_init_worker, initargs=(shared,)) as pool:
        try:
            return list(pool.map(_run_in_worker, runs, chunksize=max(1, len(runs) // (8 * workers))))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


@dataclass
class SweepResult:
    """Per-run figures and their percentiles across samples (per grid point)."""

    samples: object  # DataFrame: run, point, sample, factors, status, figures
    summary: object  # DataFrame: grid factors, metric, p10, p50, p90, mean, solved
    staff_fte: object  # DataFrame: grid factors, role, period, p10, p50, p90
    grid_names: list[str] = field(default_factory=list)


def summarise(base: Scenario, runs: Sequence[Run], results: Sequence[dict[str, object]],
              grid: dict[str, list[float]], options: SweepOptions) -> SweepResult:
    """Tables of per-run figures and P10/P50/P90 across samples."""
    import pandas as pd

    from wfplan.model.inputs import planned_roles

    names = sorted(grid)
    samples = pd.DataFrame([{"run": r.index, "point": r.point, "sample": r.sample, **dict(r.factors),
                             "status": res["status"], **{k: res.get(k, np.nan) for k in
                                                         ("target_shortfall", "unmet_demand", "spend")}}
                            for r, res in zip(runs, results, strict=True)])
    roles = planned_roles(base)
    labels = base.horizon.labels
    summary_rows, staff_rows = [], []
    first_run = {}
    for r in runs:
        first_run.setdefault(r.point, r)
    for point, first in first_run.items():
        chosen = [(r, res) for r, res in zip(runs, results, strict=True) if r.point == point and "spend" in res]
        keys = {n: dict(first.factors)[n] for n in names}
        for metric in ("target_shortfall", "unmet_demand", "spend"):
            values = np.array([res[metric] for _, res in chosen], dtype=float)
            pct = np.percentile(values, PERCENTILES) if len(values) else [np.nan] * 3
            summary_rows.append({**keys, "metric": metric, "p10": pct[0], "p50": pct[1], "p90": pct[2],
                                 "mean": values.mean() if len(values) else np.nan, "solved": len(values),
                                 "runs": sum(1 for r in runs if r.point == point)})
        if chosen:
            cube = np.stack([np.asarray(res["staff_fte"]) for _, res in chosen])  # sample x role x period
            pct = np.percentile(cube, PERCENTILES, axis=0)
            for ri, role in enumerate(roles):
                for t, label in enumerate(labels):
                    staff_rows.append({**keys, "role": role, "period": label, "p10": pct[0, ri, t],
                                       "p50": pct[1, ri, t], "p90": pct[2, ri, t]})
    staff = pd.DataFrame(staff_rows, columns=[*names, "role", "period", "p10", "p50", "p90"])
    return SweepResult(samples, pd.DataFrame(summary_rows), staff, names)


def run_sweep(base: Scenario, samples: int, vary: Sequence[str] = (), grid: Sequence[str] = (), seed: int = 0,
              workers: int = 2, scheduler: object | None = None,
              options: SweepOptions | None = None) -> tuple[SweepResult, dict[str, object]]:
    """Parse ``vary``/``grid`` specs, run every sample and summarise; also return run information."""
    options = options or SweepOptions()
    if base.horizon is None:
        raise ValueError("the scenario has no [horizon]: a sweep plans every sample")
    dists = dict(parse_vary(v) for v in vary)
    grids = dict(parse_grid(g) for g in grid)
    runs = make_runs(samples, dists, grids, seed)
    started = time.perf_counter()
    results = execute(base, runs, options, workers=workers, scheduler=scheduler)
    wall = time.perf_counter() - started
    info = {
        "scenario": base.name, "input_checksum": base.checksum, "seed": seed, "samples": samples,
        "runs": len(runs), "vary": {k: str(v) for k, v in sorted(dists.items())},
        "grid": {k: v for k, v in sorted(grids.items())}, "solver": options.solver,
        "integer": base.manifest.model.integer if options.integer is None else options.integer,
        "time_limit": options.time_limit, "gap": options.gap, "claims_level": options.claims,
        "timings": {"wall_seconds": round(wall, 3), "runs_per_second": round(len(runs) / wall, 3),
                    "workers": "dask" if scheduler is not None else workers,
                    "sum_run_seconds": round(sum(float(r["seconds"]) for r in results), 3)},
    }
    return summarise(base, runs, results, grids, options), info


def write_sweep(result: SweepResult, info: dict[str, object], out_dir, force: bool = False) -> None:
    """Write ``summary.csv``, ``staff_fte.csv``, ``samples.csv``, ``sweep.json`` and
    ``timings.json`` atomically (only ``timings.json`` depends on speed)."""
    from pathlib import Path

    from wfplan.files.output import atomic_directory, write_csv, write_json

    with atomic_directory(Path(out_dir), force=force) as staging:
        write_csv(result.summary, staging / "summary.csv")
        write_csv(result.staff_fte, staging / "staff_fte.csv")
        write_csv(result.samples, staging / "samples.csv")
        write_json({k: v for k, v in info.items() if k != "timings"}, staging / "sweep.json")
        write_json(info["timings"], staging / "timings.json")


def report_text(result: SweepResult, info: dict[str, object]) -> str:
    """Console tables: metric percentiles per grid point, staff in post at the horizon end."""
    s, staff, names = result.summary, result.staff_fte, result.grid_names
    t = info["timings"]
    lines = [f"sweep of {info['scenario']}: {info['runs']} runs ({info['samples']} samples"
             + (f" x {info['runs'] // info['samples']} grid points" if names else "") + ")",
             f"wall {t['wall_seconds']:.1f}s, {t['runs_per_second']:.2f} runs/s, workers {t['workers']}"]
    failed = int((~result.samples["status"].isin(["optimal", "feasible"])).sum())
    if failed:
        lines.append(f"warning: {failed} runs found no plan (excluded from the percentiles)")
    lines.append(f"{'':24}{'metric':18}{'P10':>16}{'P50':>16}{'P90':>16}")
    for _, row in s.iterrows():
        point = ", ".join(f"{n}={row[n]:g}" for n in names)
        lines.append(f"{point:24}{row['metric']:18}{row['p10']:16,.1f}{row['p50']:16,.1f}{row['p90']:16,.1f}")
    if len(staff):
        last = staff["period"].iloc[-1]
        lines.append(f"staff in post (FTE) at {last}, P10 / P50 / P90:")
        for _, row in staff[staff["period"] == last].iterrows():
            point = ", ".join(f"{n}={row[n]:g}" for n in names)
            lines.append(f"  {point:22}{row['role']:34}{row['p10']:9.1f}{row['p50']:9.1f}{row['p90']:9.1f}")
    return "\n".join(lines)
