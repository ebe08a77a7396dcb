"""Benchmark wfplan's planning pipeline: model size, build and solve time, peak memory.

Usage::

    python benchmarks/bench_plan.py            # full run, writes benchmarks/results.md (about an hour)
    python benchmarks/bench_plan.py --quick    # smoke run (20 PCNs, short limits), prints only

Cases: ``examples/norfolk_waveney`` (HiGHS, CBC and SCIP, integer, with a time
limit; HiGHS LP) and synthetic scenarios of 100, 400 and 1,250 PCNs (``wfplan
synth``, all ARRS roles, 20 quarters) with HiGHS, integer (time limit, 1% gap)
and LP.  "LP, no claims level" is the path ``wfplan sweep`` takes: the
lexicographic levels without the last ARRS claims level.  Each case runs in its
own subprocess (so peak memory, ``ru_maxrss``, is the case's own) ``--repeats``
times; the table shows medians.  A second table compares wfplan's array build
with a PuLP build that loops over the same program's rows and columns, one
PuLP object at a time (measured once per size, in one process).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NW = ROOT / "examples" / "norfolk_waveney"


@dataclasses.dataclass(frozen=True)
class Case:
    """One benchmark case: a scenario directory and how to plan it."""

    name: str
    scenario: str
    solver: str = "highs"
    integer: bool = True
    time_limit: float | None = 120.0
    gap: float = 0.01
    threads: int = 1
    claims: bool = True
    pulp: bool = False  # also time a PuLP loop build of the same program
    workers: int = 2  # processes for independent parts
    decompose: bool = True  # False: one program, as a single-model reference


def run_case(case: Case) -> dict[str, object]:
    """Load, build, solve and decode one case in this process; return its figures."""
    from wfplan.model import formulation
    from wfplan.model import inputs as model_inputs
    from wfplan.model.formulation import CLAIMS_LEVEL, Model
    from wfplan.model.settings import SolveSettings
    from wfplan.results.plan_tables import decode
    from wfplan.scenario.load import load_scenario
    from wfplan.solve import solve

    t0 = time.perf_counter()
    scenario = load_scenario(case.scenario)
    t1 = time.perf_counter()
    prepared = model_inputs.prepare(scenario, integer=case.integer)
    t2 = time.perf_counter()
    model = formulation.build(prepared)
    t3 = time.perf_counter()
    if not case.claims:
        model = Model(model.builder, model.inputs, [lv for lv in model.level_order if lv != CLAIMS_LEVEL])
    # as wfplan.pipeline.run_plan: build_seconds covers inputs, formulation and LP assembly
    settings = SolveSettings.for_scenario(scenario, solver=case.solver, time_limit=case.time_limit, gap=case.gap,
                                          threads=case.threads, workers=case.workers, decompose=case.decompose)
    sol = solve(model, settings, build_seconds=t3 - t1)
    t4 = time.perf_counter()
    if sol.x is not None:
        decode(model, sol)
    t5 = time.perf_counter()
    rows = model.builder.num_rows
    lp = sol.lp
    gaps = [rec.gap for rec in sol.levels if rec.gap is not None]
    out: dict[str, object] = {
        "case": case.name, "variables": lp.num_cols, "integer_variables": lp.num_integer, "constraints": rows,
        "nonzeros": int(lp.A[:rows].nnz), "load_s": t1 - t0, "prepare_s": t2 - t1, "formulation_s": t3 - t2,
        "build_s": sol.build_seconds, "solve_s": sol.solve_seconds, "decode_s": t5 - t4,
        "status": sol.status.value, "gap": max(gaps) if gaps and len(gaps) == len(sol.levels) and sol.x is not None else None,
        "levels": " ".join(f"{r.level}:{r.status}" + (f"({r.gap:.1%})" if r.gap else "")
                           for r in sol.levels),
        # the process and its worker processes (ru_maxrss of children: the largest one)
        "peak_mib": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                     + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024,
        "parts": int(max((rec.parts or 1 for rec in sol.levels), default=1)),
        "bounds": {str(r.level): r.bound for r in sol.levels},
    }
    if case.pulp:
        out.update(pulp_comparison(model))
    return out


def pulp_comparison(model) -> dict[str, float]:
    """Rebuild the same program with PuLP, one variable and one constraint at a time."""
    import pulp

    from wfplan.model import formulation

    started = time.perf_counter()
    rebuilt = formulation.build(model.inputs)
    lp = rebuilt.builder.build()
    array_s = time.perf_counter() - started
    c = rebuilt.builder.objective_vector(rebuilt.level_order[0])
    started = time.perf_counter()
    prob = pulp_build(lp, c, pulp)
    pulp_s = time.perf_counter() - started
    del prob
    return {"array_build_s": array_s, "pulp_build_s": pulp_s}


def pulp_build(lp, c: np.ndarray, pulp):
    """The straightforward PuLP model of ``lp``: a loop over columns, then over rows."""
    prob = pulp.LpProblem("wfplan", pulp.LpMinimize)
    # PuLP >= 3.3 attaches variables to the problem; older PuLP builds LpVariable directly
    add = getattr(prob, "add_variable", None) or (lambda name, lo, up, cat: pulp.LpVariable(name, lo, up, cat))
    x = []
    for j in range(lp.num_cols):
        lo, up = lp.col_lower[j], lp.col_upper[j]
        x.append(add(f"x{j}", lo if np.isfinite(lo) else None, up if np.isfinite(up) else None,
                     cat=pulp.LpInteger if lp.integrality[j] else pulp.LpContinuous))
    A = lp.A.tocsr()
    for i in range(lp.num_rows):
        start, end = A.indptr[i], A.indptr[i + 1]
        expr = pulp.LpAffineExpression([(x[j], v) for j, v in zip(A.indices[start:end], A.data[start:end], strict=True)])
        lo, up = lp.row_lower[i], lp.row_upper[i]
        if lo == up:
            prob += expr == lo
            continue
        if np.isfinite(lo):
            prob += expr >= lo
        if np.isfinite(up):
            prob += expr <= up
    prob += pulp.LpAffineExpression([(x[j], c[j]) for j in np.flatnonzero(c)])
    return prob


def run_in_subprocess(case: Case) -> dict[str, object]:
    """Run a case in a fresh Python so its peak memory is its own (one BLAS thread, as the wfplan command)."""
    from wfplan.workers import ONE_BLAS_THREAD

    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(dataclasses.asdict(case))],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, **ONE_BLAS_THREAD})
    if proc.returncode != 0:
        return {"case": case.name, "status": f"crashed ({proc.returncode})", "error": proc.stderr[-2000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def synth_dirs(sizes: list[int], workdir: Path) -> dict[int, str]:
    """Write synthetic scenarios (seed 1; one system per 30 PCNs, at most 42) once."""
    from wfplan.scenario.synth import synth_scenario, write_synthetic

    out = {}
    for n in sizes:
        path = workdir / f"synth_{n}"
        write_synthetic(synth_scenario(n, max(1, min(42, n // 30)), seed=1), path, force=True)
        out[n] = str(path)
    return out


def cases(quick: bool, dirs: dict[int, str], backends: bool = True) -> list[Case]:
    if quick:
        n = dirs[20]
        return [Case("N&W highs LP", str(NW), integer=False, time_limit=60),
                Case("synth 20 highs LP", n, integer=False, time_limit=30, pulp=True),
                Case("synth 20 highs LP no claims", n, integer=False, time_limit=30, claims=False),
                Case("synth 20 highs int", n, time_limit=10, threads=2)]
    # the README's main job: whole people, 1% gap, no time limit (the rounded LP plan and its proof)
    out = [Case("N&W highs int (README)", str(NW), time_limit=None), Case("N&W highs int", str(NW))]
    if backends:
        out += [Case("N&W cbc int", str(NW), solver="cbc"), Case("N&W scip int", str(NW), solver="scip")]
    out += [Case("N&W highs LP", str(NW), integer=False, time_limit=None, pulp=True)]
    for n, path in dirs.items():
        out.append(Case(f"synth {n} highs int (no limit)", path, time_limit=None))
        out.append(Case(f"synth {n} highs int", path))
        out.append(Case(f"synth {n} highs LP", path, integer=False, pulp=n <= 400))
        if n == max(dirs):
            # the single model the parts add up to: its LP shows what decomposition buys
            out.append(Case(f"synth {n} highs LP single model", path, integer=False, decompose=False,
                            threads=2, workers=1))
    return out


def median_row(runs: list[dict[str, object]]) -> dict[str, object]:
    """Medians of the numeric figures across repeats; statuses counted."""
    row = dict(runs[-1])
    for key, value in runs[-1].items():
        values = [r[key] for r in runs if isinstance(r.get(key), int | float) and not isinstance(r.get(key), bool)]
        if isinstance(value, float) and values:
            row[key] = statistics.median(values)
    statuses = [str(r["status"]) for r in runs]
    row["status"] = ", ".join(f"{s} x{statuses.count(s)}" if statuses.count(s) > 1 and len(set(statuses)) > 1
                              else s for s in dict.fromkeys(statuses))
    row["repeats"] = len(runs)
    return row


def _fmt(value: object, spec: str = ",.2f") -> str:
    if value is None:
        return "-"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return format(value, spec)
    return str(value)


def table(rows: list[dict[str, object]]) -> str:
    head = ("| case | variables | integer | constraints | nonzeros | parts | load s | build s | solve s | decode s "
            "| peak MiB | status | gap | levels |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|")
    lines = [head]
    for r in rows:
        gap = "-" if r.get("gap") is None else f"{r['gap']:.2%}"
        lines.append(f"| {r['case']} | {_fmt(r.get('variables'), ',')} | {_fmt(r.get('integer_variables'), ',')} "
                     f"| {_fmt(r.get('constraints'), ',')} | {_fmt(r.get('nonzeros'), ',')} | {_fmt(r.get('parts'), ',')} "
                     f"| {_fmt(r.get('load_s'))} "
                     f"| {_fmt(r.get('build_s'))} "
                     f"| {_fmt(r.get('solve_s'))} | {_fmt(r.get('decode_s'))} | {_fmt(r.get('peak_mib'), ',.0f')} "
                     f"| {r['status']} | {gap} | {r.get('levels', '')} |")
    return "\n".join(lines)


def pulp_table(rows: list[dict[str, object]]) -> str:
    lines = ["| case | variables | constraints | wfplan total build s | wfplan formulation + assembly s "
             "| PuLP loop build s | PuLP / wfplan total | PuLP / formulation |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "pulp_build_s" not in r:
            continue
        lines.append(f"| {r['case']} | {r['variables']:,} | {r['constraints']:,} | {r['build_s']:.2f} "
                     f"| {r['array_build_s']:.2f} | {r['pulp_build_s']:.2f} | {r['pulp_build_s'] / r['build_s']:.1f}x "
                     f"| {r['pulp_build_s'] / r['array_build_s']:.1f}x |")
    return "\n".join(lines)


def machine() -> dict[str, str]:
    import importlib.metadata as md

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
    nproc = str(len(os.sched_getaffinity(0)))  # not `nproc`, which reports OMP_NUM_THREADS when set
    versions = ", ".join(f"{p} {md.version(p)}" for p in ("highspy", "pulp", "ortools", "numpy", "scipy"))
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    dirty = subprocess.run(["git", "diff", "--name-only", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.split()
    return {"code": f"commit {git or 'unknown'}" + (f" with local changes to {', '.join(dirty)}" if dirty else ""),
            "nproc": nproc, "cpu": cpu, "ram": f"{mem_kib / 2**20:.1f} GiB", "python": platform.python_version(),
            "packages": versions, "load average (1 min) at start": f"{os.getloadavg()[0]:.2f}"}


def targets(rows: list[dict[str, object]]) -> list[str]:
    """The issue's targets, checked against the 1,250-PCN rows."""
    by = {r["case"]: r for r in rows}
    out = []
    for name in ("synth 1250 highs int", "synth 1250 highs LP"):
        r = by.get(name)
        if r is None or "build_s" not in r:
            continue
        solved = r["gap"] is not None and r["gap"] <= 0.01 and r["solve_s"] <= 120 and "error" not in r["status"]
        checks = [("build <= 10 s", r["build_s"] <= 10, f"{r['build_s']:.1f} s"),
                  ("solved to <= 1% gap in <= 120 s", solved, f"{r['status']}, gap {_fmt(r['gap'], '.2%')}, "
                                                              f"{r['solve_s']:.1f} s"),
                  ("peak memory <= 4 GiB", r["peak_mib"] <= 4096, f"{r['peak_mib']:,.0f} MiB"),
                  ("build <= 25% of solve", r["build_s"] <= 0.25 * r["solve_s"],
                   f"{r['build_s'] / max(r['solve_s'], 1e-9):.0%}")]
        out += [f"* {name}: {label}: **{'reached' if ok else 'NOT reached'}** ({shown})" for label, ok, shown in checks]
    for r in rows:
        if "pulp_build_s" in r:
            like = r["pulp_build_s"] / r["array_build_s"]
            out.append(f"* {r['case']}: wfplan build >= 10x faster than the PuLP loop build: "
                       f"**{'reached' if like >= 10 else 'NOT reached'}** ({like:.1f}x against wfplan's formulation + "
                       f"assembly; {r['pulp_build_s'] / r['build_s']:.1f}x against its whole build incl. data preparation)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 PCNs, short limits, no results.md")
    parser.add_argument("--repeats", type=int, default=None, help="runs per case (default 3; 1 with --quick)")
    parser.add_argument("--sizes", default="100,400,1250", help="synthetic PCN counts (full run)")
    parser.add_argument("--only", default=None, help="run only cases whose name contains one of these comma-separated texts")
    parser.add_argument("--out", type=Path, default=None, help="results file (default benchmarks/results.md)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="JSON-lines file of finished runs: reused on a rerun, appended to as runs finish")
    parser.add_argument("--no-other-backends", action="store_true",
                        help="N&W integer with HiGHS only (CBC and SCIP add 12 minutes at 3 repeats)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_case(Case(**json.loads(args.child))), default=float))
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: remove the temporary scenarios
    repeats = args.repeats or (1 if args.quick else 3)
    info = machine()
    with tempfile.TemporaryDirectory(prefix="wfplan-bench-") as tmp:
        sizes = [20] if args.quick else [int(s) for s in args.sizes.split(",")]
        chosen = [c for c in cases(args.quick, synth_dirs(sizes, Path(tmp)), not args.no_other_backends) if not args.only or any(o in c.name for o in args.only.split(","))]
        cached = _read_cache(args.cache)
        rows = []
        for case in chosen:
            runs = []
            for k in range(repeats):
                key = _cache_key(case, k)
                if key in cached:
                    runs.append(cached[key])
                    continue
                # the PuLP comparison is measured once (first run) per case
                runs.append(run_in_subprocess(case if k == 0 else dataclasses.replace(case, pulp=False)))
                if args.cache is not None and "build_s" in runs[-1]:
                    with args.cache.open("a", encoding="utf-8") as handle:
                        handle.write(json.dumps({"key": key, "result": runs[-1]}, default=float) + "\n")
                print(f"{case.name} [{k + 1}/{repeats}]: {runs[-1].get('status')} build {_fmt(runs[-1].get('build_s'))}s "
                      f"solve {_fmt(runs[-1].get('solve_s'))}s peak {_fmt(runs[-1].get('peak_mib'), ',.0f')} MiB "
                      f"{runs[-1].get('levels', '')}", flush=True)
            ok = [r for r in runs if "build_s" in r] or runs
            row = median_row(ok)
            row.update({k: v for k, v in runs[0].items() if k in ("array_build_s", "pulp_build_s")})
            rows.append(row)
    info["load average (1 min) at end"] = f"{os.getloadavg()[0]:.2f}"
    text = report(rows, info, repeats, args.quick)
    print(text)
    if not args.quick:
        out = args.out or ROOT / "benchmarks" / "results.md"
        out.write_text(text, encoding="utf-8")
        out.with_suffix(".json").write_text(json.dumps({"machine": info, "rows": rows}, indent=1, default=str))
        print(f"wrote {out}")


def _cache_key(case: Case, repeat: int) -> str:
    """A run's identity, without the (temporary) scenario path."""
    fields = dataclasses.asdict(case)
    fields["scenario"] = Path(case.scenario).name
    return json.dumps({**fields, "repeat": repeat}, sort_keys=True)


def _read_cache(path: Path | None) -> dict[str, dict[str, object]]:
    if path is None or not path.exists():
        return {}
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {e["key"]: e["result"] for e in entries}


def report(rows: list[dict[str, object]], info: dict[str, str], repeats: int, quick: bool) -> str:
    lines = ["# wfplan planning benchmark" + (" (quick)" if quick else ""), "",
             "Generated by `python benchmarks/bench_plan.py`" + (" --quick" if quick else "")
             + f" ({time.strftime('%Y-%m-%d')}). Medians of {repeats} runs per case, each in its own process.", ""]
    lines += [f"* {k}: {v}" for k, v in info.items()]
    lines += ["", "## Plan runs", "",
              "Integer cases: time limit 120 s for the whole lexicographic solve, relative gap 1%. Models are split "
              "into independent parts (`parts`: groups of PCNs that share no row, see wfplan/solve/decompose.py) solved "
              "on 2 worker processes with 1 HiGHS thread each; a level's objective and bound are the sums over parts, "
              "and the sum of the parts' bounds is a bound for the single model, so `gap` is the gap against the "
              "single model's bound. The `single model` case solves the same program in one piece (2 HiGHS threads) "
              "for comparison. `gap` is the worst level's gap; `levels` shows each level's status (and gap). "
              "`load s` = reading and validating the scenario directory; `build s` = data preparation + formulation + LP assembly, as `run_plan` reports it; `decode s` = "
              "reading the plan tables out of the solution. Peak memory is the process's ru_maxrss.", "",
              table(rows), "", "## wfplan array build vs a PuLP loop build", "",
              "The PuLP build loops over the same LinearProgram's columns (one `LpVariable` each) and CSR rows (one "
              "`LpAffineExpression` and constraint each), so it does not include wfplan's data preparation or "
              "formulation: the ratios are lower bounds for a PuLP model written from the inputs.", "",
              pulp_table(rows), "", "## Targets", ""]
    lines += targets(rows) or ["* (no 1,250-PCN case in this run)"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
