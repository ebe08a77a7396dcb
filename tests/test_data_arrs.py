"""Checks on the national ARRS reference scenario in ``data/arrs``.

The CSVs are read with the ``csv`` module (blank cells are treated as missing
keys) and every row is validated with the row models in
:data:`wfplan.schema.TABLES`; then the published figures of the domain brief
(``shared/domain.md`` section 5) are checked exactly.
"""

from __future__ import annotations

import csv
import math
import tomllib
from pathlib import Path

import pytest

from wfplan.periods import FinancialYear, Quarter
from wfplan.schema import TABLES, Manifest

DATA = Path(__file__).resolve().parents[1] / "data" / "arrs"
CSV_TABLES = ("roles", "arrs_years", "arrs_roles", "attrition", "transitions")
YEARS = ["2019/20", "2020/21", "2021/22", "2022/23", "2023/24", "2024/25"]
ROLES = [
    "gp", "nurse", "dpc_other", "admin",
    "clinical_pharmacist", "social_prescribing_link_worker", "pharmacy_technician",
    "physician_associate", "first_contact_physiotherapist", "care_coordinator",
    "health_wellbeing_coach", "dietitian", "podiatrist", "occupational_therapist",
    "nursing_associate", "trainee_nursing_associate", "paramedic", "advanced_practitioner",
    "mental_health_practitioner", "gp_assistant", "digital_transformation_lead",
    "enhanced_nurse", "volunteer",
]


def read_raw(table: str) -> list[dict[str, str]]:
    """Rows as dicts, blank cells dropped (a missing key, as the loader treats them)."""
    with open(DATA / f"{table}.csv", newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames is not None, f"{table}.csv has no header"
        rows = []
        for raw in reader:
            assert None not in raw, f"{table}.csv: a row has more cells than the header"
            rows.append({k: v for k, v in raw.items() if v is not None and v.strip() != ""})
        return rows


def load(table: str):
    return [TABLES[table](**row) for row in read_raw(table)]


@pytest.fixture(scope="module")
def roles():
    return load("roles")


@pytest.fixture(scope="module")
def years():
    return load("arrs_years")


@pytest.fixture(scope="module")
def arrs():
    return load("arrs_roles")


def terms_at(arrs, role: str, quarter: str):
    """The arrs_roles row for ``role`` in force in ``quarter`` (latest from_quarter not after it)."""
    q = Quarter.parse(quarter)
    year = q.year.label
    best = None
    for row in arrs:
        if row.role != role or row.year != year:
            continue
        start = Quarter.parse(row.from_quarter) if row.from_quarter else Quarter.first_of(q.year)
        if start <= q and (best is None or start > best[0]):
            best = (start, row)
    return None if best is None else best[1]


# --- structure -------------------------------------------------------------------


@pytest.mark.parametrize("table", CSV_TABLES)
def test_header_is_field_names(table):
    with open(DATA / f"{table}.csv", newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    fields = set(TABLES[table].model_fields)
    unknown = [c for c in header if c not in fields]
    assert not unknown, f"{table}.csv: unknown columns {unknown}"
    assert len(header) == len(set(header)), f"{table}.csv: duplicate columns"


@pytest.mark.parametrize("table", CSV_TABLES)
def test_every_row_validates_with_source_and_rule(table):
    rows = load(table)
    assert rows, f"{table}.csv is empty"
    for i, row in enumerate(rows, start=2):
        assert row.source, f"{table}.csv line {i}: no source"
        if row.estimate:
            assert row.note, f"{table}.csv line {i}: estimate without a rule in note"


def test_manifest():
    with open(DATA / "scenario.toml", "rb") as handle:
        manifest = Manifest(**tomllib.load(handle))
    assert manifest.name == "ARRS rules and role catalogue, 2019/20 to 2024/25"
    assert manifest.description
    assert manifest.horizon is None
    assert manifest.extends == []


def test_role_catalogue(roles):
    assert [r.role for r in roles] == ROLES
    by_id = {r.role: r for r in roles}
    assert by_id["clinical_pharmacist"].staff_group == "Pharmacists"
    assert by_id["physician_associate"].staff_group == "Physician Associates"
    assert by_id["gp"].staff_group == "GP"
    assert by_id["admin"].staff_group == "Admin"
    for r in roles:
        assert r.funding_budget == "practice", r.role
        assert r.annual_cost is not None, r.role
    assert by_id["volunteer"].annual_cost == 0
    for rid in ("admin", "volunteer", "digital_transformation_lead"):
        assert by_id[rid].capacity == 0, rid
    for rid in ("gp", "nurse", "clinical_pharmacist", "physician_associate",
                "first_contact_physiotherapist", "paramedic", "advanced_practitioner"):
        assert by_id[rid].capacity > 0, rid
    # the NHSE template's participation rates (seeds/002:1844-1854)
    template = {"GP": 0.75, "Nurses": 0.82, "Direct Patient Care": 0.7,
                "Physician Associates": 0.85, "Pharmacists": 0.86, "Admin": 0.66}
    for rid in ("gp", "nurse", "dpc_other", "admin", "clinical_pharmacist", "physician_associate"):
        assert by_id[rid].participation_rate == template[by_id[rid].staff_group], rid


# --- years -----------------------------------------------------------------------


def test_years_once_each_without_gaps(years):
    labels = [y.year for y in years]
    assert sorted(labels, key=lambda s: FinancialYear.parse(s).start) == labels
    assert labels == YEARS
    starts = [FinancialYear.parse(y).start for y in labels]
    assert starts == list(range(starts[0], starts[0] + len(starts)))
    for y in years:
        assert y.baseline_date == "2019-03-31"


def test_entitlement_rules(years):
    by_year = {y.year: y for y in years}
    assert by_year["2020/21"].entitlement_per_weighted_patient == 7.131
    assert by_year["2024/25"].entitlement_per_weighted_patient == 22.894
    assert not by_year["2020/21"].estimate and not by_year["2024/25"].estimate
    # 2019/20: one CP (maximum claim 37,810) and one SPLW (34,113) for nine months
    assert by_year["2019/20"].entitlement_per_pcn == pytest.approx(0.75 * (37810 + 34113))
    assert by_year["2019/20"].estimate
    assert by_year["2020/21"].national_pot == 430e6
    assert by_year["2021/22"].national_pot == 746e6
    assert by_year["2023/24"].national_pot == 1412e6
    rates = [by_year[y].entitlement_per_weighted_patient for y in YEARS[1:]]
    assert rates == sorted(rates), "the per-weighted-patient rate should not fall"
    for y in ("2021/22", "2022/23", "2023/24"):
        assert by_year[y].estimate, f"{y}: derived rate must be marked as an estimate"


# --- per-role terms --------------------------------------------------------------------


def test_arrs_roles_exist_and_are_unique(arrs, roles):
    known = {r.role for r in roles}
    seen = set()
    for row in arrs:
        assert row.role in known, row.role
        assert row.year in YEARS, row.year
        if row.from_quarter:
            assert Quarter.parse(row.from_quarter).year.label == row.year, (row.year, row.role)
        key = (row.year, row.role, row.from_quarter or f"{row.year} Q1")
        assert key not in seen, f"duplicate {key}"
        seen.add(key)
        if row.max_wte_per_pcn_large is not None:
            assert row.large_list_threshold == 100000, key
            assert row.max_wte_per_pcn is not None and row.max_wte_per_pcn_large >= row.max_wte_per_pcn, key


def test_non_arrs_roles_absent(arrs):
    for rid in ("gp", "nurse", "dpc_other", "admin", "volunteer"):
        assert not [r for r in arrs if r.role == rid], rid


def test_eligibility_by_year(arrs):
    def roles_in(year):
        return {r.role for r in arrs if r.year == year}

    assert roles_in("2019/20") == {"clinical_pharmacist", "social_prescribing_link_worker"}
    y20 = roles_in("2020/21")
    assert {"pharmacy_technician", "physician_associate", "first_contact_physiotherapist",
            "care_coordinator", "health_wellbeing_coach", "dietitian", "podiatrist",
            "occupational_therapist", "nursing_associate", "trainee_nursing_associate"} <= y20
    assert not {"paramedic", "advanced_practitioner", "mental_health_practitioner"} & y20
    assert {"paramedic", "advanced_practitioner", "mental_health_practitioner"} <= roles_in("2021/22")
    assert {"gp_assistant", "digital_transformation_lead"} <= roles_in("2022/23")
    assert "gp_assistant" not in roles_in("2021/22")
    assert "enhanced_nurse" in roles_in("2024/25") and "enhanced_nurse" not in roles_in("2023/24")
    for rid in ("nursing_associate", "trainee_nursing_associate"):
        assert terms_at(arrs, rid, "2020/21 Q2") is None
        assert terms_at(arrs, rid, "2020/21 Q3") is not None
    for rid in ("gp_assistant", "digital_transformation_lead"):
        assert terms_at(arrs, rid, "2022/23 Q2") is None
        assert terms_at(arrs, rid, "2022/23 Q3") is not None


def test_published_2019_20(arrs):
    cp = terms_at(arrs, "clinical_pharmacist", "2019/20 Q4")
    assert cp.reimbursement_rate == 0.7
    # the published GBP 37,810 is the largest claim per WTE (70% of the cost)
    assert cp.reimbursement_rate * cp.cap_per_wte == pytest.approx(37810, abs=0.01)
    assert cp.max_wte_per_pcn == 1
    splw = terms_at(arrs, "social_prescribing_link_worker", "2019/20 Q4")
    assert splw.reimbursement_rate == 1.0
    assert splw.cap_per_wte == 34113
    assert splw.max_wte_per_pcn == 1


def test_all_roles_fully_reimbursed_from_2020_21(arrs):
    for row in arrs:
        if row.year != "2019/20" and row.role != "mental_health_practitioner":
            assert row.reimbursement_rate == 1.0, (row.year, row.role)


@pytest.mark.parametrize(
    ("role", "quarter", "cap"),
    [
        ("clinical_pharmacist", "2020/21 Q1", 55670),
        ("pharmacy_technician", "2020/21 Q1", 35389),
        ("advanced_practitioner", "2021/22 Q1", 62705),
        ("care_coordinator", "2021/22 Q1", 29726),
        ("clinical_pharmacist", "2023/24 Q1", 59312),
        ("clinical_pharmacist", "2023/24 Q2", 62340),
        ("clinical_pharmacist", "2023/24 Q4", 62340),
        ("first_contact_physiotherapist", "2023/24 Q1", 59312),
        ("first_contact_physiotherapist", "2023/24 Q2", 62340),
        ("social_prescribing_link_worker", "2023/24 Q1", 38187),
        ("social_prescribing_link_worker", "2023/24 Q2", 40159),
        ("pharmacy_technician", "2023/24 Q1", 38187),
        ("pharmacy_technician", "2023/24 Q2", 40159),
        ("care_coordinator", "2023/24 Q1", 31746),
        ("care_coordinator", "2023/24 Q2", 33396),
        ("clinical_pharmacist", "2024/25 Q3", 65838),
        ("advanced_practitioner", "2024/25 Q3", 72141),
        ("pharmacy_technician", "2024/25 Q3", 42437),
    ],
)
def test_published_caps(arrs, role, quarter, cap):
    row = terms_at(arrs, role, quarter)
    assert row is not None, (role, quarter)
    assert row.cap_per_wte == cap


def test_uplift_quarters(arrs):
    cp = [r for r in arrs if r.role == "clinical_pharmacist"]
    assert {r.from_quarter for r in cp if r.year == "2023/24"} == {None, "2023/24 Q2"}
    for role, cap in (("clinical_pharmacist", 65838), ("advanced_practitioner", 72141),
                      ("pharmacy_technician", 42437)):
        row = terms_at(arrs, role, "2024/25 Q3")
        assert row.from_quarter == "2024/25 Q3" and row.cap_per_wte == cap
        before = terms_at(arrs, role, "2024/25 Q2")
        assert before.cap_per_wte < cap, role


def test_caps_rise_or_hold_over_time(arrs):
    quarters = [Quarter.parse(f"{y} Q{q}") for y in YEARS[1:] for q in range(1, 5)]
    for role in {r.role for r in arrs}:
        caps = [row.cap_per_wte for q in quarters if (row := terms_at(arrs, role, q.label))]
        assert caps == sorted(caps), role
        assert all(math.isfinite(c) and c > 0 for c in caps), role


def test_number_caps(arrs):
    def at(role, quarter):
        return terms_at(arrs, role, quarter)

    pt = at("pharmacy_technician", "2020/21 Q1")
    assert (pt.max_wte_per_pcn, pt.large_list_threshold, pt.max_wte_per_pcn_large) == (1, 100000, 2)
    assert at("pharmacy_technician", "2021/22 Q1").max_wte_per_pcn is None
    mhp = at("mental_health_practitioner", "2021/22 Q1")
    assert (mhp.max_wte_per_pcn, mhp.max_wte_per_pcn_large) == (1, 2)
    mhp = at("mental_health_practitioner", "2022/23 Q1")
    assert (mhp.max_wte_per_pcn, mhp.max_wte_per_pcn_large) == (2, 4)
    ap = at("advanced_practitioner", "2023/24 Q1")
    assert (ap.max_wte_per_pcn, ap.large_list_threshold, ap.max_wte_per_pcn_large) == (3, 100000, 6)
    assert at("advanced_practitioner", "2024/25 Q1").max_wte_per_pcn is None
    assert at("digital_transformation_lead", "2022/23 Q3").max_wte_per_pcn == 1
    en = at("enhanced_nurse", "2024/25 Q1")
    assert (en.max_wte_per_pcn, en.large_list_threshold, en.max_wte_per_pcn_large) == (1, 100000, 2)


# --- attrition and pipeline -------------------------------------------------------------


def test_attrition_covers_every_role(roles):
    rows = load("attrition")
    assert sorted(r.role for r in rows) == sorted(r.role for r in roles)
    for r in rows:
        assert r.estimate and r.note, r.role
        assert r.first_year_annual_rate is not None, r.role


def test_tna_pipeline(roles):
    (t,) = load("transitions")
    known = {r.role for r in roles}
    assert t.from_role == "trainee_nursing_associate" and t.to_role == "nursing_associate"
    assert t.from_role in known and t.to_role in known
    assert t.lead_periods == 8
    assert t.cost_per_person == 0
    assert 0 < t.success_rate <= 1
    assert t.estimate and t.note
