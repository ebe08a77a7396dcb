"""Checks on the national ARRS reference scenario in ``data/arrs``.

The CSVs are read with the ``csv`` module (blank cells are treated as missing
keys) and every row is validated with the row models in
:data:`wfplan.scenario.schema.TABLES`; then the published figures (the Network Contract
DES of each year, as reported; the Agenda for Change and DDRB pay awards) are
checked exactly, each against the row that carries it and that row's source.
"""

from __future__ import annotations

import csv
import math
import tomllib
from pathlib import Path

import pytest

from wfplan.scenario.manifest import Manifest
from wfplan.scenario.periods import FinancialYear, Quarter
from wfplan.scenario.schema import TABLES

DATA = Path(__file__).resolve().parents[1] / "data" / "arrs"
CSV_TABLES = ("roles", "arrs_years", "arrs_roles", "attrition", "transitions", "role_costs", "arrs_pots",
              "recruitment_routes")
YEARS = ["2019/20", "2020/21", "2021/22", "2022/23", "2023/24", "2024/25", "2025/26", "2026/27"]
ROLES = [
    "gp", "nurse", "dpc_other", "admin",
    "clinical_pharmacist", "social_prescribing_link_worker", "pharmacy_technician",
    "physician_associate", "first_contact_physiotherapist", "care_coordinator",
    "health_wellbeing_coach", "dietitian", "podiatrist", "occupational_therapist",
    "nursing_associate", "trainee_nursing_associate", "paramedic", "advanced_practitioner",
    "mental_health_practitioner", "gp_assistant", "digital_transformation_lead",
    "enhanced_nurse", "volunteer",
    "healthcare_support_worker", "gpn_new_to_practice", "gpn_experienced", "consultant_nurse",
]
NEW_2025_26 = ("healthcare_support_worker", "gpn_new_to_practice", "gpn_experienced", "consultant_nurse")


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
        assert "seeds/" not in row.source and "shared/" not in row.source, f"{table}.csv line {i}: cites a seed path"
        assert "seeds/" not in (row.note or "") and "shared/" not in (row.note or ""), f"{table}.csv line {i}"
        if row.estimate:
            assert row.note, f"{table}.csv line {i}: estimate without a rule in note"


def test_manifest():
    with open(DATA / "scenario.toml", "rb") as handle:
        manifest = Manifest(**tomllib.load(handle))
    assert manifest.name == "ARRS rules and role catalogue, 2019/20 to 2026/27"
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
    for rid in ("nurse", "dpc_other", "admin", "volunteer"):
        assert not [r for r in arrs if r.role == rid], rid
    # GPs: from 1 October 2024, from a ring-fenced pot; from 2025/26 from the combined sum
    assert terms_at(arrs, "gp", "2024/25 Q2") is None
    assert (terms_at(arrs, "gp", "2024/25 Q3").pot, terms_at(arrs, "gp", "2025/26 Q1").pot) == ("gp_ringfenced", None)


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
    assert set(NEW_2025_26) <= roles_in("2025/26") and not set(NEW_2025_26) & roles_in("2024/25")
    assert roles_in("2025/26") == roles_in("2024/25") | set(NEW_2025_26)
    assert roles_in("2026/27") == roles_in("2025/26")
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
        ("gp", "2024/25 Q3", 92462),
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
    # removed caps are stated, not just left blank
    for role, quarter in (("pharmacy_technician", "2021/22 Q1"), ("mental_health_practitioner", "2023/24 Q1"),
                          ("advanced_practitioner", "2024/25 Q1")):
        assert at(role, quarter).uncapped and at(role, quarter).max_wte_per_pcn is None, (role, quarter)
    # 2025/26 and 2026/27: no restriction on the number of any role
    for row in arrs:
        if row.year in ("2025/26", "2026/27"):
            assert row.max_wte_per_pcn is None and row.max_wte_per_pcn_large is None, (row.year, row.role)


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


# --- 2025/26 and 2026/27 ---------------------------------------------------------------

SEED_PATH = ("seeds/", "shared/")


def assert_sourced(row, *publishers: str) -> None:
    """The row says where its figure comes from: named publishers, no seed path."""
    assert row.source and not any(p in row.source for p in SEED_PATH), row
    for publisher in publishers:
        assert publisher in row.source, (publisher, row.source)


def test_2025_26_combined_sum_per_weighted_patient(years):
    y = {r.year: r for r in years}["2025/26"]
    assert (y.entitlement_per_weighted_patient, y.entitlement_per_pcn, y.estimate) == (26.631, None, False)
    assert y.combined_pot and y.no_number_caps
    assert y.national_pot == 1_711_000_000
    assert_sourced(y, "Pulse PCN, 'Consultant nurses added to ARRS", "Pulse, 'New contract removes ARRS GP funding ringfence")
    assert "1 January 2025" in y.note and "GP" in y.note


def test_2024_25_gp_pot_is_ring_fenced_and_not_combined(years, arrs):
    by_year = {r.year: r for r in years}
    assert not by_year["2024/25"].combined_pot and not by_year["2024/25"].no_number_caps
    for year in ("2020/21", "2021/22", "2022/23", "2023/24"):  # 'a single combined maximum sum' from 2020/21
        assert by_year[year].combined_pot, year
        assert "Doncaster LMC" in by_year[year].source
    (pot,) = load("arrs_pots")
    assert (pot.year, pot.pot, pot.entitlement_per_weighted_patient, pot.national_pot, pot.estimate) == (
        "2024/25", "gp_ringfenced", 1.303, 82_000_000, False)
    assert_sourced(pot, "Pulse PCN, 'PCNs can claim more for ARRS staff but funding remains flat'")
    gp = terms_at(arrs, "gp", "2024/25 Q3")
    assert (gp.from_quarter, gp.cap_per_wte, gp.reimbursement_rate, gp.pot, gp.estimate) == (
        "2024/25 Q3", 92462, 1.0, "gp_ringfenced", False)


@pytest.mark.parametrize(
    ("role", "cap", "publisher"),
    [
        ("gp", 105882, "Humberside LMC"),
        ("clinical_pharmacist", 66972, "The Pharmacist, 'New ARRS pharmacist funding confirmed"),
        ("advanced_practitioner", 73334, "The Pharmacist, 'New ARRS pharmacist funding confirmed"),
        ("pharmacy_technician", 43352, "Pharmaceutical Journal, 'NHS England increases ARRS reimbursement"),
        ("enhanced_nurse", 64907, "Nursing in Practice, 'Funding for ARRS general practice nurse roles"),
        ("healthcare_support_worker", 32159, "Pulse PCN, 'Consultant nurses added to ARRS"),
        ("gpn_new_to_practice", 43352, "Pulse PCN, 'Consultant nurses added to ARRS"),
        ("gpn_experienced", 53319, "Pulse PCN, 'Consultant nurses added to ARRS"),
        ("consultant_nurse", 102683, "Pulse PCN, 'Consultant nurses added to ARRS"),
    ],
)
def test_published_2025_26_amounts(arrs, role, cap, publisher):
    row = terms_at(arrs, role, "2025/26 Q1")
    assert (row.cap_per_wte, row.reimbursement_rate, row.estimate, row.from_quarter) == (cap, 1.0, False, None)
    assert row.pot is None, "2025/26 has one combined sum"
    assert_sourced(row, publisher)
    assert f"{cap:,}" in row.note


def test_gp_salary_within_the_2025_26_amount(arrs):
    # GBP 82,418 salary (the bottom of the BMA salaried GP range) is GBP 105,882 with on-costs
    assert "82,418" in terms_at(arrs, "gp", "2025/26 Q1").note


@pytest.mark.parametrize(
    ("role", "cap"),
    [("first_contact_physiotherapist", 66972), ("social_prescribing_link_worker", 43352),
     ("health_wellbeing_coach", 43352), ("physician_associate", 64907), ("paramedic", 64907),
     ("digital_transformation_lead", 73334), ("mental_health_practitioner", 53319),
     ("trainee_nursing_associate", 32159), ("care_coordinator", round(35290 * 43352 / 42437)),
     ("nursing_associate", round(35290 * 43352 / 42437)), ("gp_assistant", round(35290 * 43352 / 42437))],
)
def test_unpublished_2025_26_amounts_are_estimates_with_their_rule(arrs, role, cap):
    row = terms_at(arrs, role, "2025/26 Q1")
    assert row.cap_per_wte == cap and row.estimate and "not found published" in row.note
    assert_sourced(row)


def test_2026_27_carries_2025_26_forward_as_estimates(arrs, years):
    y = {r.year: r for r in years}["2026/27"]
    assert y.estimate and y.entitlement_per_weighted_patient == round(26.631 * 1754 / 1711, 3) == 27.3
    assert y.national_pot == 1_754_000_000 and y.combined_pot and y.no_number_caps
    assert_sourced(y, "South Staffordshire LMC, 'PCN ARRS 2026/27'")
    for row in arrs:
        if row.year != "2026/27":
            continue
        assert row.estimate, row.role
        before = terms_at(arrs, row.role, "2025/26 Q1")
        if row.role == "gp":  # the top of the salaried GP range plus on-costs: 104,086 x 1.06 x 1.04 x 105,882 / 82,418
            assert row.cap_per_wte == round(104086 * 1.06 * 1.04 * 105882 / 82418) == 147412
            assert_sourced(row, "Management in Practice, '485m uplift to GP contract for 2026/27")
        else:
            assert (row.cap_per_wte, row.reimbursement_rate) == (before.cap_per_wte, before.reimbursement_rate)
            assert "carried forward" in row.note


def test_twelve_month_rule_and_gp_eligibility_are_routes_that_cannot_be_claimed():
    routes = {(r.year, r.role, r.route): r for r in load("recruitment_routes")}
    for year in ("2025/26", "2026/27"):
        for role in NEW_2025_26:
            assert routes[(year, role, "external")].arrs_claimable
            barred = routes[(year, role, "pcn_or_member_practice")]
            assert not barred.arrs_claimable and "12 months" in barred.label
            assert barred.estimate == (year == "2026/27")
            assert_sourced(barred, "Humberside LMC")
    for year, experienced in (("2024/25", False), ("2025/26", False), ("2026/27", True)):
        assert routes[(year, "gp", "newly_qualified")].arrs_claimable
        assert routes[(year, "gp", "experienced")].arrs_claimable == experienced
    assert {r.year for r in load("recruitment_routes")} == {"2024/25", "2025/26", "2026/27"}


# --- employer costs by year ---------------------------------------------------------------

AFC = {"2020/21": 0.0167, "2021/22": 0.03, "2023/24": 0.05, "2024/25": 0.055, "2025/26": 0.036, "2026/27": 0.033}
DDRB = {"2020/21": 0.028, "2021/22": 0.03, "2022/23": 0.045, "2023/24": 0.06, "2024/25": 0.06, "2025/26": 0.04,
        "2026/27": 0.025}


def test_role_costs_cover_every_role_and_year_from_the_roles_table(roles):
    costs = {(c.role, c.year): c for c in load("role_costs")}
    assert set(costs) == {(r.role, y) for r in roles for y in YEARS}
    for r in roles:
        assert costs[(r.role, "2020/21")].annual_cost == r.annual_cost, "roles.annual_cost is in 2020/21 prices"
        values = [costs[(r.role, y)].annual_cost for y in YEARS]
        assert values == sorted(values), r.role
    for c in costs.values():
        assert c.estimate and c.note and c.source


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        # band 7 (clinical pharmacist): 2022/23 is the 4% for band 7
        ("clinical_pharmacist", [55670 / 1.0167, 55670, 55670 * 1.03, 55670 * 1.03 * 1.04,
                                 55670 * 1.03 * 1.04 * 1.05, 55670 * 1.03 * 1.04 * 1.05 * 1.055,
                                 55670 * 1.03 * 1.04 * 1.05 * 1.055 * 1.036,
                                 55670 * 1.03 * 1.04 * 1.05 * 1.055 * 1.036 * 1.033]),
        # band 5 (SPLW): 2022/23 is GBP 1,400 with on-costs 14.38% + 13.8%
        ("social_prescribing_link_worker", [35389 / 1.0167, 35389, 35389 * 1.03, 35389 * 1.03 + 1400 * 1.2818,
                                            (35389 * 1.03 + 1400 * 1.2818) * 1.05,
                                            (35389 * 1.03 + 1400 * 1.2818) * 1.05 * 1.055,
                                            (35389 * 1.03 + 1400 * 1.2818) * 1.05 * 1.055 * 1.036,
                                            (35389 * 1.03 + 1400 * 1.2818) * 1.05 * 1.055 * 1.036 * 1.033]),
        # salaried GPs: the DDRB uplifts of the pay range
        ("gp", [78182 / 1.028, 78182, 78182 * 1.03, 78182 * 1.03 * 1.045, 78182 * 1.03 * 1.045 * 1.06,
                78182 * 1.03 * 1.045 * 1.06 * 1.06, 78182 * 1.03 * 1.045 * 1.06 * 1.06 * 1.04,
                78182 * 1.03 * 1.045 * 1.06 * 1.06 * 1.04 * 1.025]),
    ],
)
def test_role_costs_follow_the_pay_awards(role, expected):
    costs = {c.year: c for c in load("role_costs") if c.role == role}
    assert [costs[y].annual_cost for y in YEARS] == [round(v) for v in expected]
    awards = DDRB if role == "gp" else AFC
    for year, award in awards.items():
        if year not in ("2020/21",) and not (role != "gp" and year == "2022/23"):
            assert f"x {1 + award:g}" in costs[year].note, (role, year)
    for year in ("2023/24", "2024/25", "2025/26"):
        assert_sourced(costs[year], "BMA" if role == "gp" and year != "2025/26" else "")
    assert costs["2026/27"].estimate


def test_new_roles_in_the_catalogue(roles):
    by_id = {r.role: r for r in roles}
    assert [by_id[r].staff_group for r in NEW_2025_26] == ["Direct Patient Care", "Nurses", "Nurses", "Nurses"]
    assert by_id["healthcare_support_worker"].annual_cost == by_id["dpc_other"].annual_cost
    assert by_id["gpn_experienced"].annual_cost == by_id["nurse"].annual_cost
    assert by_id["consultant_nurse"].annual_cost == round(61000 * 102683 / 73334)
