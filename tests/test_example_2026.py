"""examples/norfolk_waveney_2026: the current example validates, keeps its stated rules and plans (LP).

Its ARRS rules after 2026/27 are copies of data/arrs's 2026/27 rows; its staff
in post follow the README's rule (national FTE x Norfolk and Waveney's share
/ participation rate); its trainees on course are the trainee nursing
associates in post.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tests.cli_run import invoke
from wfplan.model.inputs import prepare
from wfplan.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "norfolk_waveney_2026"
ARRS = ROOT / "data" / "arrs"
LATER = ("2027/28", "2028/29", "2029/30", "2030/31")
SHARE = 1_059_363 / (1_711_000_000 / 26.631)
PROVENANCE = ("year", "source", "estimate", "note")


def rows(directory: Path, table: str) -> list[dict[str, str]]:
    with open(directory / f"{table}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_validates():
    result, text = invoke(["validate", str(EXAMPLE)])
    assert result.exit_code == 0, text
    assert "horizon: 2026/27 Q1 to 2030/31 Q4 (20 quarters)" in text


def test_every_row_is_sourced_and_local_values_are_estimates():
    for path in EXAMPLE.glob("*.csv"):
        for number, row in enumerate(rows(EXAMPLE, path.stem), start=2):
            assert row["source"] and "seeds/" not in row["source"] and "shared/" not in row["source"], (path.name, number)
            if path.stem in ("staff_in_post", "trainees_on_course", "targets", "demand", "supply", "budgets"):
                assert row["estimate"] == "true" and row["note"], (path.name, number)


@pytest.mark.parametrize(("table", "key"), [("arrs_years", ()), ("arrs_roles", ("role", "from_quarter")),
                                            ("recruitment_routes", ("role", "route"))])
def test_arrs_rules_are_data_arrs_2026_27_carried_forward(table, key):
    national = [r for r in rows(ARRS, table) if r["year"] == "2026/27"]
    local = rows(EXAMPLE, table)
    assert [r for r in local if r["year"] == "2026/27"] == national, "2026/27 is data/arrs's, unchanged"

    def values(row):
        return {k: v for k, v in row.items() if k not in PROVENANCE}

    for year in LATER:
        copied = [r for r in local if r["year"] == year]
        assert [values(r) for r in copied] == [values(r) for r in national], year
        assert all(r["estimate"] == "true" and "carried forward" in r["note"] for r in copied), year
    assert {r["year"] for r in local} == {"2026/27", *LATER}
    assert rows(EXAMPLE, "arrs_pots") == []


def test_staff_in_post_follows_the_stated_rule():
    national = {"clinical_pharmacist": 7446, "social_prescribing_link_worker": 3479, "care_coordinator": 5507,
                "advanced_practitioner": 732 + 490, "mental_health_practitioner": 403}
    participation = {r["role"]: float(r["participation_rate"]) for r in rows(ARRS, "roles")}
    staff = {r["role"]: r for r in rows(EXAMPLE, "staff_in_post")}
    for role, row in staff.items():
        assert (row["level"], row["area"], row["as_at"]) == ("system", "norfolk_waveney", "2025/26 Q4")
        assert int(row["headcount"]) == round(float(row["fte"]) / participation[role]), role
    for role, fte in national.items():
        assert float(staff[role]["fte"]) == round(fte * SHARE, 1), role
    assert int(staff["clinical_pharmacist"]["headcount"]) == 143  # 7,446 x 1.6489% = 122.8 FTE / 0.86


@pytest.fixture(scope="module")
def inputs():
    return prepare(load_scenario(EXAMPLE))


def test_trainees_on_course_are_the_trainee_nursing_associates_in_post(inputs):
    tna = inputs.roles.index("trainee_nursing_associate")
    at_start = inputs.on_course[:, 0, 0] + inputs.course_exits[:, 0, 0]
    assert np.array_equal(at_start, inputs.initial[:, tna])
    assert inputs.initial[:, tna].sum() == 18
    # the September 2024 intake finishes in 2026/27 Q3 (t = 2), the September 2025 intake in 2027/28 Q3 (t = 6)
    assert set(np.flatnonzero(inputs.course_exits[:, 0, :].sum(axis=0))) == {2, 6}
    assert inputs.course_completions.sum() == pytest.approx(0.85 * 18)


def test_new_roles_are_planned_with_the_twelve_month_rule(inputs):
    routes = inputs.routes.set_index(["role", "route"])["j"]
    for role in ("gpn_new_to_practice", "gpn_experienced", "healthcare_support_worker"):
        assert role in inputs.roles
        assert inputs.route_claimable[routes[(role, "external")]].all()
        assert not inputs.route_claimable[routes[(role, "pcn_or_member_practice")]].any()
    assert np.isinf(inputs.arrs_wte_cap).all(), "no number caps in any year"
    assert set(inputs.entitlement["year"]) == {"2026/27", *LATER}


def test_plans_as_a_linear_programme(tmp_path):
    result, text = invoke(["plan", str(EXAMPLE), "--lp", "--out", str(tmp_path / "plan")])
    assert result.exit_code == 0, text
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "optimal" and summary["proven_optimal"], text.splitlines()[0]
    assert text.splitlines()[0].endswith("best possible plan (proven)")
    assert (tmp_path / "plan" / "plan.csv").is_file()
