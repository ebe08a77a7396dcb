"""Synthetic national-scale scenarios: K systems, their places, N PCNs, all ARRS roles.

``wfplan synth --pcns 1250 --systems 42 --seed 1 --out DIR`` writes a
self-contained scenario directory (``scenario.toml`` and CSVs, no
``extends``) shaped like ``data/norfolk_waveney`` but at any size.  The
national tables (roles, ARRS years and terms, attrition, transitions) are
copied from ``data/arrs``; everything local is drawn from
``numpy.random.default_rng(seed)``, so a seed always gives the same files.
No real patient or practice data is used.

wfplan scenarios hold exactly one system (see :mod:`wfplan.scenario.checks`),
so the K systems are a grouping by name: every place belongs to the one
system ``england`` and its id is prefixed by its synthetic system
(``s07_p3``).  Supply is therefore given per place (a system's supply split
over its places), not per system.

Rules (each generated row also states its rule in ``note``):

* places: 3 to 6 per system (fewer when there are not enough PCNs);
* PCNs: one per place, the rest spread over places at random; registered
  list ~ lognormal, median 50,000, sigma 0.45, clipped to 25,000..150,000;
  weighted list = registered x uniform(0.85, 1.2);
* staff in post at the end of 2019/20 Q4: clinical pharmacists and social
  prescribing link workers ~ Poisson(0.8) per PCN (no ARRS baseline staff);
* targets per PCN, as Norfolk and Waveney's but a year later (the horizon is
  2020/21 Q1 to 2024/25 Q4): see :data:`TARGETS`;
* supply per place, role and quarter: roles with targets get
  ceil(f x PCNs x per-PCN target / quarters to the target date) with
  f ~ uniform(0.9, 2.5) per place and role (binding in some places), other
  ARRS roles ceil(g x PCNs) with g ~ uniform(0.1, 0.4);
* demand per place: appointments per patient ~ 0.34 x uniform(0.8, 1.2)
  from 2020/21 Q1, growing uniform(0.12, 0.20) a year (priority 2).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from wfplan.files.output import atomic_directory
from wfplan.scenario import Scenario
from wfplan.scenario.manifest import Horizon, Manifest, ModelSettings, Objective
from wfplan.scenario.schema import (
    BudgetRow,
    DemandRow,
    PcnRow,
    PlaceRow,
    StaffInPostRow,
    SupplyRow,
    TargetRow,
)
from wfplan.scenario.snapshot import write_tables
from wfplan.scenario.tables import Located

ARRS_DATA = "data/arrs"
"""The national ARRS rules the synthetic scenarios copy (bundled with wfplan: see :mod:`wfplan.bundled`)."""
NATIONAL_TABLES = ("roles", "role_costs", "arrs_years", "arrs_pots", "arrs_roles", "recruitment_routes", "attrition",
                   "transitions")
SYSTEM = "england"
START, END = "2020/21 Q1", "2024/25 Q4"
YEARS = ("2020/21", "2021/22", "2022/23", "2023/24", "2024/25")
TARGETS: tuple[tuple[str, str, float, str], ...] = (
    ("cp_1_per_pcn", "clinical_pharmacist", 1, "2020/21 Q4"),
    ("splw_1_per_pcn", "social_prescribing_link_worker", 1, "2020/21 Q4"),
    ("splw_3_per_pcn", "social_prescribing_link_worker", 3, "2022/23 Q4"),
    ("tna_1_per_pcn", "trainee_nursing_associate", 1, "2022/23 Q4"),
    ("ap_1_per_pcn", "advanced_practitioner", 1, "2022/23 Q4"),
    ("pa_2_per_pcn", "physician_associate", 2, "2023/24 Q4"),
    ("fcp_3_per_pcn", "first_contact_physiotherapist", 3, "2023/24 Q4"),
    ("paramedic_1_per_pcn", "paramedic", 1, "2023/24 Q4"),
)
"""(target id, role, headcount per PCN, due quarter): Norfolk and Waveney's dated targets a year later."""
QUARTERS = [f"{y} Q{q}" for y in YEARS for q in range(1, 5)]


def _loc(row: object, table: str, line: int) -> Located:
    return Located(row, f"synthetic/{table}.csv", line + 2)


def _geography(rng: np.random.Generator, pcns: int, systems: int) -> tuple[list[str], np.ndarray]:
    """Place ids (system-prefixed) and the place index of each PCN."""
    per_system = rng.integers(3, 7, size=systems)
    while per_system.sum() > pcns:
        per_system[int(np.argmax(per_system))] -= 1
    places = [f"s{s + 1:02d}_p{j + 1}" for s in range(systems) for j in range(per_system[s])]
    extra = rng.integers(0, len(places), size=pcns - len(places))
    place_of = np.sort(np.concatenate([np.arange(len(places)), extra]))
    return places, place_of


def synth_scenario(pcns: int, systems: int = 1, seed: int = 0, arrs_dir: Path | None = None) -> Scenario:
    """Build (in memory, validated) a synthetic scenario of ``pcns`` PCNs in ``systems`` systems.

    ``arrs_dir``: the ARRS rules to copy (default: the bundled ``data/arrs``)."""
    if systems < 1 or pcns < systems:
        raise ValueError(f"need at least one PCN per system (pcns={pcns}, systems={systems})")
    from wfplan.bundled import bundled_path
    from wfplan.scenario.load import load_scenario

    arrs = load_scenario(arrs_dir if arrs_dir is not None else bundled_path(ARRS_DATA))
    rng = np.random.default_rng(seed)
    src = f"wfplan synth --pcns {pcns} --systems {systems} --seed {seed}"
    rows: dict[str, list[Located]] = {name: list(arrs.rows.get(name, [])) for name in NATIONAL_TABLES}

    places, place_of = _geography(rng, pcns, systems)
    rows["places"] = [_loc(PlaceRow(place=p, name=f"Synthetic system {p[1:3]} place {p.split('_p')[1]}",
                                    system=SYSTEM, source=src), "places", i) for i, p in enumerate(places)]
    registered = np.clip(np.round(rng.lognormal(math.log(50_000), 0.45, size=pcns)), 25_000, 150_000)
    weighting = rng.uniform(0.85, 1.2, size=pcns)
    pcn_ids = [f"{places[place_of[i]]}_n{i + 1:04d}" for i in range(pcns)]
    rows["pcns"] = [_loc(PcnRow(
        pcn=pcn_ids[i], name=f"Synthetic PCN {i + 1}", place=places[place_of[i]],
        registered_list=int(registered[i]), weighted_list=round(float(registered[i] * weighting[i]), 1),
        source=src, estimate=True,
        note="synthetic: list ~ lognormal(median 50,000, sigma 0.45) clipped to 25,000-150,000; "
             "weighted = list x uniform(0.85, 1.2)"), "pcns", i) for i in range(pcns)]

    sip = []
    for role in ("clinical_pharmacist", "social_prescribing_link_worker"):
        heads = rng.poisson(0.8, size=pcns)
        sip += [StaffInPostRow(level="pcn", area=pcn_ids[i], role=role, as_at="2019/20 Q4",
                               headcount=float(heads[i]), source=src, estimate=True,
                               note="synthetic: headcount ~ Poisson(0.8) per PCN") for i in range(pcns) if heads[i]]
    rows["staff_in_post"] = [_loc(r, "staff_in_post", i) for i, r in enumerate(sip)]

    targets = [TargetRow(target=t, role=r, basis="per_pcn", quantity=q, by=by, source=src, estimate=True,
                         note="synthetic: Norfolk and Waveney's per-PCN target, one year later")
               for t, r, q, by in TARGETS]
    targets.append(TargetRow(
        target="cp_per_population_2025", role="clinical_pharmacist", basis="per_population", quantity=1,
        population=10_000, by=END, priority=2, source=src, estimate=True,
        note="synthetic: one clinical pharmacist per 10,000 registered patients (priority 2)"))
    rows["targets"] = [_loc(r, "targets", i) for i, r in enumerate(targets)]
    rows["supply"] = [_loc(r, "supply", i) for i, r in enumerate(_supply(rng, arrs, places, place_of, src))]

    appts = 0.34 * rng.uniform(0.8, 1.2, size=len(places))
    growth = rng.uniform(0.12, 0.20, size=len(places))
    rows["demand"] = [_loc(DemandRow(
        level="place", area=p, from_period=START, appointments_per_patient=round(float(appts[i]), 4),
        annual_growth=round(float(growth[i]), 4), priority=2, source=src, estimate=True,
        note="synthetic: 0.34 x uniform(0.8, 1.2) appointments per patient, growth uniform(0.12, 0.20)"),
        "demand", i) for i, p in enumerate(places)]
    rows["budgets"] = [_loc(BudgetRow(budget="practice", year=y, level="system", area=SYSTEM, source=src,
                                      estimate=True, note="synthetic: unlimited (blank amount)"), "budgets", i)
                       for i, y in enumerate(YEARS)]

    manifest = Manifest(
        name=f"Synthetic England-size scenario: {pcns} PCNs in {systems} systems (seed {seed})",
        description=(f"Generated by `{src}`. {len(places)} places named <system>_p<k> (wfplan scenarios "
                     "have one system, so systems are a naming prefix), all ARRS roles, national ARRS "
                     "tables copied from data/arrs. No real patient data: see wfplan/scenario/synth.py for the rules."),
        horizon=Horizon(start=START, end=END, step="quarter"),
        objective=Objective(mode="lexicographic", minimise="cost"),
        model=ModelSettings(integer=True), source=src)
    return Scenario.build(manifest, rows)


def _supply(rng: np.random.Generator, arrs: Scenario, places: list[str], place_of: np.ndarray,
            src: str) -> list[SupplyRow]:
    """Most starters per place, ARRS role and quarter (see the module docstring)."""
    # the roles claimable from the main ARRS sum in the synthetic horizon's years
    terms = arrs.table("arrs_roles")
    arrs_roles = list(dict.fromkeys(terms[terms["year"].isin(YEARS) & terms["pot"].isna()]["role"]))
    roles = [r for r in arrs.table("roles")["role"] if r in set(arrs_roles)]
    counts = np.bincount(place_of, minlength=len(places))
    due = {}
    for _, role, q, by in TARGETS:
        quarters = QUARTERS.index(by) + 1
        due[role] = max(due.get(role, 0.0), q / quarters)
    out = []
    for role in roles:
        factor = rng.uniform(0.9, 2.5, size=len(places)) if role in due else rng.uniform(0.1, 0.4, size=len(places))
        rate = due.get(role, 1.0)
        note = ("synthetic: ceil(uniform(0.9, 2.5) x PCNs x per-PCN target / quarters to its date)" if role in due
                else "synthetic: ceil(uniform(0.1, 0.4) x PCNs in the place) a quarter")
        for k, place in enumerate(places):
            cap = float(max(1, math.ceil(factor[k] * counts[k] * rate)))
            out += [SupplyRow(role=role, level="place", area=place, period=q, max_starters=cap, source=src,
                              estimate=True, note=note) for q in QUARTERS]
    return out


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def manifest_toml(manifest: Manifest) -> str:
    """``scenario.toml`` text for a manifest without ``extends`` or ``tables``."""
    data = manifest.model_dump(mode="json", exclude_none=True, exclude={"extends", "tables", "overrides"})
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for section, values in data.items():
        if isinstance(values, dict):
            lines += ["", f"[{section}]"] + [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def write_synthetic(scenario: Scenario, out_dir: Path, force: bool = False) -> None:
    """Write the scenario as ``scenario.toml`` and CSVs into ``out_dir`` atomically."""
    with atomic_directory(Path(out_dir), force=force) as staging:
        (staging / "scenario.toml").write_text(manifest_toml(scenario.manifest), encoding="utf-8")
        write_tables(scenario, staging)
