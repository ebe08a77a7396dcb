"""A program solved whole, or as independent parts (PCN groups that share no row) side by side."""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, wait
from contextlib import nullcontext
from dataclasses import replace

import numpy as np

from solvers import Basis, SolveResult, Status
from solvers.base import LinearProgram
from wfplan.model.levels import LevelRecord
from wfplan.progress import step
from wfplan.solve.decompose import Part, empty_rows_feasible, independent_parts, sub_program
from wfplan.solve.levels import LevelPlan, LevelRun, solve_levels
from wfplan.solve.solution import PlanSolution, solution_of
from wfplan.workers import process_pool

MIP_PART_COLUMNS = 2_000
"""With integers, components are packed only up to this many columns: a
component bigger than that is a part of its own (one branch and bound each),
smaller ones (a role no rule couples, a budget with no members) share one."""


MIN_PART_SECONDS = 2.0
"""A part's share of the time limit is at least this (within the time left):
a share of 0.01 s, for a one-column part, is less than CBC takes to start."""


PARALLEL_MIN_COLUMNS = 50_000
"""Smaller programs are solved part by part in this process: starting worker processes costs more."""


def solve_program(lp: LinearProgram, plan: LevelPlan, build_seconds: float,
                  warm_bases: list[dict[str, Basis]] | None = None) -> PlanSolution:
    """Every level of ``lp``, part by part where it splits into independent parts."""
    started = time.perf_counter()
    # branch and bound gains most from small parts; LPs are packed to save calls
    parts = independent_parts(lp, MIP_PART_COLUMNS if lp.num_integer else None) if plan.settings.decompose else []
    build_seconds += time.perf_counter() - started
    if len(parts) > 1 and empty_rows_feasible(lp):
        workers = min(plan.settings.workers, len(parts)) if lp.num_cols >= PARALLEL_MIN_COLUMNS else 1
        warm = warm_bases if warm_bases is not None and len(warm_bases) == len(parts) else [{}] * len(parts)
        return _solve_parts(lp, plan, parts, workers, build_seconds, warm)
    if warm_bases and len(warm_bases) == 1:
        plan = replace(plan, warm_bases=warm_bases[0])
    run = solve_levels(lp, plan)
    solution = solution_of(plan, run.final, run.levels, build_seconds,
                         sum(rec.seconds for rec in run.levels), run.current)
    solution.bases = [run.bases]
    return solution


def _solve_parts(lp: LinearProgram, plan: LevelPlan, parts: list[Part], workers: int, build_seconds: float,
                 warm_bases: list[dict[str, Basis]]) -> PlanSolution:
    """Solve independent parts (on ``workers`` processes) and put their plans together.

    A part starts with a share of the time left in proportion to its columns
    among the parts not yet finished (times the number of workers, as parts
    run side by side), so time a part does not use passes to the parts after
    it.  A level's objective and bound are the sums over parts; its status
    is the worst part's.
    """
    started = time.perf_counter()
    deadline = None if plan.settings.time_limit is None else started + plan.settings.time_limit
    weights = [len(part.cols) for part in parts]
    unfinished = float(sum(weights))

    def task(i: int) -> tuple[LinearProgram, LevelPlan]:
        share = None
        if deadline is not None:
            left = max(deadline - time.perf_counter(), 0.01)
            share = min(left, max(left * workers * weights[i] / unfinished, MIN_PART_SECONDS))
        return sub_program(lp, parts[i]), plan.part(parts[i], share, warm_bases[i], len(parts))

    runs: list[LevelRun | None] = [None] * len(parts)
    with step(f"solving {len(parts)} independent parts with {plan.settings.solver} on {workers} process(es)") \
            if plan.progress else nullcontext():
        if workers > 1:
            with process_pool(workers) as pool:
                waiting = list(range(len(parts)))
                running = {}
                while waiting or running:
                    while waiting and len(running) < workers:
                        i = waiting.pop(0)
                        running[pool.submit(_solve_task, task(i))] = i
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        i = running.pop(future)
                        runs[i] = future.result()
                        unfinished -= weights[i]
        else:
            for i in range(len(parts)):
                runs[i] = _solve_task(task(i))
                unfinished -= weights[i]
    solve_seconds = time.perf_counter() - started
    levels = [merge_level(level, [run.levels for run in runs]) for level in plan.level_order]
    levels = [rec for rec in levels if rec is not None]
    failed = next((run.final for run in runs if run.final.x is None), None)
    if failed is not None:
        return solution_of(plan, failed, levels, build_seconds, solve_seconds, lp)
    bases = [run.bases for run in runs]
    x = np.zeros(lp.num_cols)
    for part, run in zip(parts, runs, strict=True):
        x[part.cols] = run.final.x
    statuses = [run.final.status for run in runs]
    status = Status.OPTIMAL if all(s == Status.OPTIMAL for s in statuses) else Status.FEASIBLE
    messages = sorted({run.final.message for run in runs if run.final.message})
    final = SolveResult(plan.settings.solver, status, objective=None, x=x, solve_seconds=solve_seconds,
                        message="; ".join(messages), extra={"parts": len(parts)})
    solution = solution_of(plan, final, levels, build_seconds, solve_seconds, lp)
    solution.bases = bases
    return solution


def _solve_task(task: tuple[LinearProgram, LevelPlan]) -> LevelRun:
    lp, plan = task
    run = solve_levels(lp, plan)
    return LevelRun(run.final, run.levels, lp, run.bases)  # the held rows stay in the worker


def merge_level(level: str, part_levels: list[list[LevelRecord]]) -> LevelRecord | None:
    """One level's record for the whole program from its parts' records."""
    records = [next((rec for rec in recs if rec.level == level), None) for recs in part_levels]
    found = [rec for rec in records if rec is not None]
    if not found:
        return None
    if len(found) < len(records):
        status = Status.ERROR  # some part stopped before this level
    elif all(rec.status == Status.OPTIMAL for rec in found):
        status = Status.OPTIMAL
    else:
        status = next((rec.status for rec in found if not rec.status.has_solution), Status.FEASIBLE)
    objective = None if any(rec.objective is None for rec in found) else sum(rec.objective for rec in found)
    bound = None if any(rec.bound is None for rec in found) else sum(rec.bound for rec in found)
    gap = 0.0 if status == Status.OPTIMAL else None
    if gap is None and objective is not None and bound is not None and len(found) == len(records):
        gap = abs(objective - bound) / max(1.0, abs(objective))
    # parts that proved no bound for this level: stopped before one, or before the level
    without_bound = sum(1 for rec in records if rec is None or rec.bound is None)
    return LevelRecord(level, status, objective, bound, gap, round(sum(rec.seconds for rec in found), 6),
                       parts=len(found), parts_total=len(records), parts_without_bound=without_bound)
