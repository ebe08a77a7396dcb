"""What a plan says: ``summary.json`` (:func:`plan_summary`) and the console summary in
plain words (:func:`summary_text`).  The plan itself comes from :mod:`wfplan.pipeline`;
its directory is written by :mod:`wfplan.results.plan_directory`.
"""

from __future__ import annotations

from wfplan.model import formulation, levels
from wfplan.results import words
from wfplan.results.plan_tables import PlanResult


def plan_summary(result: PlanResult) -> dict[str, object]:
    """What ``summary.json`` holds: solver, status, objective per level, gap, timings, input checksum."""
    sol, inputs, lp = result.solution, result.model.inputs, result.solution.lp
    summary: dict[str, object] = {
        "scenario": result.scenario.name,
        "input_checksum": result.scenario.checksum,
        "solver": sol.solver,
        "status": sol.status.value,
        "proven_optimal": sol.proven_optimal,
        "objective_by_level": {k: round(v, 6) for k, v in sol.objectives.items()},
        "bound": None if sol.bound is None else round(sol.bound, 6),
        "gap": None if sol.gap is None else round(sol.gap, 9),
        "build_seconds": round(sol.build_seconds, 3),
        "solve_seconds": round(sol.solve_seconds, 3),
        "integer": inputs.integer,
        "model_size": {"variables": lp.num_cols if lp else 0, "integer_variables": lp.num_integer if lp else 0,
                       "constraints": result.model.builder.num_rows},
        "horizon": {"start": inputs.horizon.label(inputs.horizon.first),
                    "end": inputs.horizon.label(inputs.horizon.last), "step": inputs.horizon.step},
        "pcns": len(inputs.pcns), "roles": inputs.roles,
        "levels": [rec.as_dict(timings=False) for rec in sol.levels],
        "notes": sorted(set(inputs.notes)),
        "message": sol.message,
    }
    tables = result.tables
    if tables is not None:
        goals = tables.goals
        summary["goals"] = {
            "targets_missed": int(((goals["goal"] == "target") & (goals["shortfall"] > 0)).sum()),
            "target_shortfall_total": round(float(goals.loc[goals["goal"] == "target", "shortfall"].sum()), 6),
            "unmet_appointments": round(float(goals.loc[goals["goal"] == "demand", "shortfall"].sum()), 3),
        }
        plan = tables.plan
        summary["totals"] = {
            "starters": round(float(plan["starters"].sum()), 6),
            "leavers": round(float(plan["leavers"].sum()), 6),
            "replacements": round(float(plan["replacements"].sum()), 6) if "replacements" in plan else 0.0,
            "planned_leavers": round(float(plan["planned_leavers"].sum()), 6) if "planned_leavers" in plan else 0.0,
            "training_leavers": round(float(plan["training_leavers"].sum()), 6) if "training_leavers" in plan else 0.0,
            "released": round(float(plan["released"].sum()), 6),
            "employment_cost": round(float(plan["employment_cost"].sum()), 2),
            "arrs_claims": round(float(plan["arrs_claim_gbp"].sum()), 2),
            "budget_overrun": round(float(tables.budgets["overrun"].sum()), 2),
        }
    return summary


def level_lines(summary: dict[str, object]) -> list[str]:
    """One line per goal level, in words: what it settles, its value, and how
    far from the best possible it may be (proven, or its bound and gap)."""
    lines = []
    records = {rec["level"]: rec for rec in summary.get("levels", [])}  # type: ignore[union-attr]
    for level, value in summary["objective_by_level"].items():  # type: ignore[union-attr]
        record = records.get(level)
        if level == formulation.CLAIMS_LEVEL:
            continue  # shown as money below
        if record is None or record["status"] == "optimal":
            proof = "the best possible (proven)"
        elif record.get("bound") is not None and record.get("gap") is not None:
            show = words.money_short if level in (levels.BUDGET.name, levels.COST.name) else (lambda x: words.number(x, 2))
            share = f" ({words.percent(record['gap'], 1)})" if abs(record["bound"]) > 1e-9 else ""
            proof = f"at most {show(abs(value - record['bound']))}{share} from the best possible, {show(record['bound'])}"
        elif record.get("parts_without_bound"):
            proof = (f"not proven: {record['parts_without_bound']} of {record.get('parts_total')} parts "
                     "stopped before proving how close they are")
        else:
            proof = "not proven (no bound)"
        amount = words.money_short(value) if level in (levels.BUDGET.name, levels.COST.name) else words.number(value, 2)
        unit = " (weighted shortfall: unmet appointments and people short of targets)" \
            if words.is_goal_level(level) else ""
        lines.append(f"  {words.level_words(level)}{unit}: {amount}, {proof}")
    return lines


def summary_text(result: PlanResult) -> str:
    """The console summary of a plan, in the words a PCN manager uses: how good
    the plan is (and how far from the best it may be), targets, appointments,
    people, money; the solver's figures last."""
    s = plan_summary(result)
    kind = "whole people" if s["integer"] else "fractional people, the LP version"
    lines = [f"Plan for {s['scenario']} ({kind}): {words.plan_status(s)}"]
    if "goals" in s:
        g, t = s["goals"], s["totals"]
        goals = result.tables.goals
        attainment = words.target_attainment(goals, result.scenario)
        missed = attainment[attainment["met"] < attainment["areas"]]
        lines.append(f"Targets: {len(attainment) - len(missed)} of {len(attainment)} met everywhere"
                     + (":" if len(missed) else "."))
        for sentence in missed["sentence"].head(8):
            lines.append(f"  - {sentence}")
        if len(missed) > 8:
            lines.append(f"  ... and {len(missed) - 8} more in goals.csv")
        demanded = float(goals.loc[goals["goal"] == "demand", "required"].sum())
        unmet = g["unmet_appointments"]
        if demanded > 0:
            lines.append(f"Appointments: {words.number(unmet, 0)} of {words.number(demanded, 0)} wanted over the "
                         f"plan go unmet ({words.percent(unmet / demanded, 1)})")
        known = (f", {words.number(t['planned_leavers'], 0)} known leavers on their dates"
                 if t.get("planned_leavers", 0) > 0 else "")
        failed = (f", {words.number(t['training_leavers'], 1)} trainees expected not to complete"
                  if t.get("training_leavers", 0) > 0 else "")
        refills = (f" and {words.number(t['replacements'], 1)} replacing leavers"
                   if t.get("replacements", 0) > 0 else "")
        lines.append(f"People: {words.number(t['starters'], 0 if s['integer'] else 1)} recruited into new posts{refills}, "
                     f"{words.number(t['leavers'], 1)} expected to leave (the data's attrition rates){known}{failed}, "
                     f"{words.number(t['released'], 0 if s['integer'] else 1)} released")
        overrun = t["budget_overrun"]
        lines.append(f"Money: staff cost {words.money_short(t['employment_cost'])}, ARRS claims "
                     f"{words.money_short(t['arrs_claims'])}, "
                     + (f"budgets exceeded by {words.money_short(overrun)}" if overrun > 0.005 else "no budget exceeded"))
    lines.append("How each goal came out, in priority order:")
    lines.extend(level_lines(s))
    size = s["model_size"]
    lines.append(f"Solved by {s['solver']} in {s['solve_seconds']:.1f} s (built in {s['build_seconds']:.1f} s): "
                 f"{size['variables']:,} unknowns, {size['integer_variables']:,} of them whole-people decisions, "
                 f"{size['constraints']:,} rules")
    for note in s["notes"]:
        lines.append(f"note: {note}")
    return "\n".join(lines)
