"""The rules PCNs plan under now, in a plan: per-year costs, known leavers, trainees
already on course, recruitment routes (the 12-month rule) and the ARRS sums.

Each test plans a tiny quarterly scenario (two PCNs in one place: Breckland
42,514 and Mid Norfolk 46,032 patients; see :data:`tests.scenarios.TINY`)
whose right answer is worked by hand in the test, in LP and whole-people mode
where rounding could change it, and every plan passes the independent checker.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.checker import check_plan
from tests.scenarios import TINY, write_scenario
from wfplan.pipeline import run_plan
from wfplan.scenario.load import load_scenario

NO_TARGETS = "target,role,basis,quantity,unit,by,kind,priority,penalty,hard\n"
QUARTERS = ("2022/23 Q1", "2022/23 Q2", "2022/23 Q3", "2022/23 Q4")


def quarterly_supply(role: str, most: int, periods=QUARTERS, area: str = "tinysys", level: str = "system") -> str:
    return "".join(f"{role},{level},{area},{period},{most}\n" for period in periods)


def plan(tmp_path: Path, tables: dict[str, str], integer: bool, **options):
    """Plan the tiny scenario with ``tables`` replaced; the plan must pass the checker."""
    directory = write_scenario(tmp_path / ("whole" if integer else "lp"), tables, integer=integer, **options)
    scenario = load_scenario(directory)
    result = run_plan(scenario, integer=integer)
    assert result.tables is not None, result.solution.status
    assert check_plan(scenario, result.tables, integer=integer) == []
    return result.tables


def cells(tables, pcn: str, role: str, column: str) -> list[float]:
    """One PCN and role's column, period by period."""
    rows = tables.plan[(tables.plan["pcn"] == pcn) & (tables.plan["role"] == role)]
    return rows[column].astype(float).tolist()


# --------------------------------------------------------------------------- costs by year


@pytest.mark.parametrize("integer", [False, True])
def test_a_pay_award_raises_employment_cost_and_claims_from_its_year_exactly(tmp_path, integer):
    """Two FCPs per PCN held all through; the 2023/24 award (GBP 56,000 -> 60,000) raises
    the cost per quarter from 2 x 56,000 / 4 = 28,000 to 2 x 60,000 / 4 = 30,000, and
    the claim to the cap: 2 x min(60,000, 58,000) / 4 = 29,000 (28,000 before)."""
    tables = plan(tmp_path, {
        "staff_in_post": "level,area,role,as_at,headcount\npcn,breckland,fcp,2021/22 Q4,2\npcn,mid_norfolk,fcp,2021/22 Q4,2\n",
        "targets": NO_TARGETS,
        "role_costs": "role,year,annual_cost\nfcp,2022/23,56000\nfcp,2023/24,60000\n",
        "arrs_roles": "year,role,reimbursement_rate,cap_per_wte\n2022/23,fcp,1,58000\n2023/24,fcp,1,58000\n",
    }, integer, end="2023/24 Q4")
    assert cells(tables, "breckland", "fcp", "staff_headcount") == [2.0] * 8
    assert cells(tables, "breckland", "fcp", "employment_cost") == pytest.approx([28000.0] * 4 + [30000.0] * 4)
    assert cells(tables, "breckland", "fcp", "arrs_claim_gbp") == pytest.approx([28000.0] * 4 + [29000.0] * 4)
    assert cells(tables, "breckland", "fcp", "other_spend") == pytest.approx([0.0] * 4 + [1000.0] * 4, abs=1e-6)
    claims = tables.arrs.set_index(["pcn", "year"])["claims"]
    assert claims["breckland", "2023/24"] == pytest.approx(4 * 29000.0)


# --------------------------------------------------------------------------- known leavers


@pytest.mark.parametrize("integer", [False, True])
def test_a_planned_leaver_leaves_on_the_date_and_is_not_also_attrition(tmp_path, integer):
    """Three FCPs at Breckland, one retiring in 2022/23 Q3, 20% a year leaving otherwise
    (a = 1 - 0.8^(1/4) a quarter) and nobody recruited: attrition applies to the two
    who are not retiring until the retiree has gone."""
    tables = plan(tmp_path, {
        "staff_in_post": "level,area,role,as_at,headcount\npcn,breckland,fcp,2021/22 Q4,3\n",
        "targets": NO_TARGETS,
        "attrition": "role,annual_rate,first_year_annual_rate\nfcp,0.2,\npa,0.0,\n",
        "planned_leavers": "level,area,role,period,headcount,reason\npcn,breckland,fcp,2022/23 Q3,1,retirement\n",
    }, integer)
    a = 1 - 0.8 ** 0.25
    s0 = 3 - a * 2
    s1 = s0 - a * (s0 - 1)
    s2 = s1 - a * (s1 - 1) - 1
    s3 = s2 - a * s2
    assert cells(tables, "breckland", "fcp", "planned_leavers") == [0.0, 0.0, 1.0, 0.0]
    assert cells(tables, "breckland", "fcp", "leavers") == pytest.approx([a * 2, a * (s0 - 1), a * (s1 - 1), a * s2])
    assert cells(tables, "breckland", "fcp", "staff_headcount") == pytest.approx([s0, s1, s2, s3])
    flows = tables.flows[(tables.flows["area"] == "breckland") & (tables.flows["flow"] == "planned_leavers")]
    assert flows[["period", "headcount"]].values.tolist() == [["2022/23 Q3", 1.0]]


@pytest.mark.parametrize("integer", [False, True])
def test_a_target_held_through_a_retirement_recruits_the_replacement_on_the_date(tmp_path, integer):
    """Three FCPs, no attrition, a target of three from 2022/23 Q1: the retirement in Q3
    is replaced by one recruit in Q3 (not earlier: that costs more)."""
    tables = plan(tmp_path, {
        "staff_in_post": "level,area,role,as_at,headcount\npcn,breckland,fcp,2021/22 Q4,3\npcn,mid_norfolk,fcp,2021/22 Q4,3\n",
        "targets": NO_TARGETS + "fcp_3,fcp,per_pcn,3,headcount,2022/23 Q1,at_least,1,1,false\n",
        "supply": "role,level,area,period,max_starters\n" + quarterly_supply("fcp", 2),
        "planned_leavers": "level,area,role,period,headcount,reason\npcn,breckland,fcp,2022/23 Q3,1,retirement\n",
    }, integer)
    assert cells(tables, "breckland", "fcp", "starters") == pytest.approx([0.0, 0.0, 1.0, 0.0], abs=1e-4)
    assert cells(tables, "breckland", "fcp", "staff_headcount") == pytest.approx([3.0] * 4, abs=1e-4)
    assert cells(tables, "mid_norfolk", "fcp", "starters") == pytest.approx([0.0] * 4, abs=1e-6)


# --------------------------------------------------------------------------- trainees already on course

NURSING_ROLES = TINY.tables["roles"] + ("tna,Trainee nursing associate,Direct Patient Care,1,26000,1000,practice\n"
                                   "na,Nursing associate,Direct Patient Care,1,29000,2000,practice\n")
TNA_TO_NA = "transition,from_role,to_role,lead_periods,success_rate\ntna_to_na,tna,na,8,0.85\n"
TRAINEES_LEAVE_10_PERCENT = "role,annual_rate,first_year_annual_rate\nfcp,0,\npa,0,\ntna,0.1,\nna,0,\n"


@pytest.mark.parametrize("integer", [False, True])
def test_trainees_on_course_complete_on_their_date_at_the_success_rate(tmp_path, integer):
    """Two trainee nursing associates at Breckland whose course ends in 2022/23 Q3, 10%
    a year attrition for trainees: on course they do not leave by attrition; in Q3 both
    leave the trainee grade, 2 x 0.85 = 1.7 become nursing associates and 0.3 leave."""
    tables = plan(tmp_path, {
        "roles": NURSING_ROLES, "transitions": TNA_TO_NA, "targets": NO_TARGETS,
        "attrition": TRAINEES_LEAVE_10_PERCENT,
        "staff_in_post": "level,area,role,as_at,headcount\npcn,breckland,tna,2021/22 Q4,2\n",
        "trainees_on_course": "level,area,transition,started,completes,headcount\npcn,breckland,tna_to_na,,2022/23 Q3,2\n",
    }, integer)
    assert cells(tables, "breckland", "tna", "staff_headcount") == pytest.approx([2.0, 2.0, 0.0, 0.0])
    assert cells(tables, "breckland", "tna", "leavers") == pytest.approx([0.0] * 4, abs=1e-9)
    assert cells(tables, "breckland", "tna", "transitions_out") == pytest.approx([0.0, 0.0, 1.7, 0.0])
    assert cells(tables, "breckland", "tna", "training_leavers") == pytest.approx([0.0, 0.0, 0.3, 0.0])
    assert cells(tables, "breckland", "na", "transitions_in") == pytest.approx([0.0, 0.0, 1.7, 0.0])
    assert cells(tables, "breckland", "na", "staff_headcount") == pytest.approx([0.0, 0.0, 1.7, 1.7])
    assert np.allclose(cells(tables, "mid_norfolk", "na", "staff_headcount"), 0.0)


@pytest.mark.parametrize("integer", [False, True])
def test_a_trainee_not_on_a_course_is_subject_to_attrition_and_one_on_a_course_is_not(tmp_path, integer):
    """Three trainees at Breckland, two of them on a course ending after the horizon:
    attrition (10% a year, a a quarter) applies to the third alone."""
    tables = plan(tmp_path, {
        "roles": NURSING_ROLES, "transitions": TNA_TO_NA, "targets": NO_TARGETS,
        "attrition": TRAINEES_LEAVE_10_PERCENT,
        "staff_in_post": "level,area,role,as_at,headcount\npcn,breckland,tna,2021/22 Q4,3\n",
        "trainees_on_course": "level,area,transition,started,completes,headcount\npcn,breckland,tna_to_na,,2023/24 Q2,2\n",
    }, integer)
    a = 1 - 0.9 ** 0.25
    assert cells(tables, "breckland", "tna", "staff_headcount") == pytest.approx(
        [2 + (1 - a) ** n for n in range(1, 5)])


# --------------------------------------------------------------------------- 2025/26: routes, one sum, no caps

NURSE_ROLES = TINY.tables["roles"] + ("gp,General practitioner,GP,1,105882,6000,practice\n"
                                 "gpn,General practice nurse (experienced),Nurses,1,50000,4000,practice\n")
YEAR_2025 = ("2025/26 Q1", "2025/26 Q2", "2025/26 Q3", "2025/26 Q4")
ARRS_2025 = ("year,entitlement_per_weighted_patient,combined_pot,no_number_caps\n"
             "2025/26,26.631,true,true\n")
ROLES_2025 = ("year,role,reimbursement_rate,cap_per_wte,uncapped\n"
              "2025/26,fcp,1,66972,true\n2025/26,pa,1,64907,true\n"
              "2025/26,gp,1,105882,true\n2025/26,gpn,1,53319,true\n")
TWELVE_MONTH_RULE = ("year,role,route,label,arrs_claimable\n"
                     "2025/26,gpn,external,Not employed by the PCN or a member practice in the last 12 months,true\n"
                     "2025/26,gpn,member_practice,Employed by the PCN or a member practice in the last 12 months,false\n")
BUDGETS_2025 = "budget,year,level,area,amount\npractice,2025/26,system,tinysys,\n"


@pytest.mark.parametrize("integer", [False, True])
def test_a_starter_through_a_route_that_is_not_claimable_gives_no_claim(tmp_path, integer):
    """One nurse per PCN by 2025/26 Q1, no attrition.  Breckland can only recruit one
    who worked at a member practice in the last 12 months (the external route has no
    supply there): she is in post but never claimed.  Mid Norfolk recruits externally
    and claims her: 1 WTE x min(50,000, 53,319) / 4 = GBP 12,500 a quarter."""
    supply = ("role,level,area,period,max_starters,route\n"
              "gpn,pcn,breckland,2025/26 Q1,1,member_practice\ngpn,pcn,breckland,2025/26 Q1,0,external\n"
              "gpn,pcn,mid_norfolk,2025/26 Q1,1,external\ngpn,pcn,mid_norfolk,2025/26 Q1,0,member_practice\n")
    tables = plan(tmp_path, {
        "roles": NURSE_ROLES, "attrition": "role,annual_rate,first_year_annual_rate\ngpn,0,\n",
        "targets": NO_TARGETS + "gpn_1,gpn,per_pcn,1,headcount,2025/26 Q1,at_least,1,1,false\n",
        "supply": supply, "recruitment_routes": TWELVE_MONTH_RULE,
        "arrs_years": ARRS_2025, "arrs_roles": ROLES_2025, "budgets": BUDGETS_2025,
    }, integer, start="2025/26 Q1", end="2025/26 Q4")
    assert cells(tables, "breckland", "gpn", "staff_headcount") == pytest.approx([1.0] * 4)
    assert cells(tables, "breckland", "gpn", "recruits_not_claimable") == pytest.approx([1.0, 0, 0, 0], abs=1e-6)
    assert cells(tables, "breckland", "gpn", "staff_not_claimable") == pytest.approx([1.0] * 4)
    assert cells(tables, "breckland", "gpn", "arrs_claim_gbp") == pytest.approx([0.0] * 4, abs=1e-6)
    assert cells(tables, "mid_norfolk", "gpn", "recruits_not_claimable") == pytest.approx([0.0] * 4, abs=1e-6)
    assert cells(tables, "mid_norfolk", "gpn", "arrs_claim_gbp") == pytest.approx([12500.0] * 4)


@pytest.mark.parametrize("integer", [False, True])
def test_route_supply_limits_each_route_and_the_claimable_route_is_used_first(tmp_path, integer):
    """Three nurses wanted at Breckland by Q1; at most two external recruits and two from
    member practices: two come externally (claimed), one from a member practice (not)."""
    supply = ("role,level,area,period,max_starters,route\n"
              "gpn,pcn,breckland,2025/26 Q1,2,external\ngpn,pcn,breckland,2025/26 Q1,2,member_practice\n")
    tables = plan(tmp_path, {
        "roles": NURSE_ROLES, "attrition": "role,annual_rate,first_year_annual_rate\ngpn,0,\n",
        "targets": ("target,role,basis,quantity,unit,area,by,kind,priority,penalty,hard\n"
                    "gpn_3,gpn,per_pcn,3,headcount,breckland,2025/26 Q1,at_least,1,1,false\n"),
        "supply": supply, "recruitment_routes": TWELVE_MONTH_RULE,
        "arrs_years": ARRS_2025, "arrs_roles": ROLES_2025, "budgets": BUDGETS_2025,
    }, integer, start="2025/26 Q1", end="2025/26 Q4")
    breckland = tables.plan[(tables.plan["pcn"] == "breckland") & (tables.plan["role"] == "gpn")]
    assert breckland["starters"].sum() + breckland["replacements"].sum() == pytest.approx(3.0)
    assert cells(tables, "breckland", "gpn", "recruits_not_claimable") == pytest.approx([1.0, 0, 0, 0], abs=1e-6)
    assert cells(tables, "breckland", "gpn", "arrs_claim_wte") == pytest.approx([2.0] * 4)


@pytest.mark.parametrize("integer", [False, True])
def test_a_pcn_claims_a_gp_and_three_nurses_from_the_one_2025_26_sum_with_no_number_cap(tmp_path, integer):
    """Breckland holds a GP and three nurses (in post at the start, after the 2019
    baseline): all four are claimed, GP at GBP 105,882 / 4 and nurses at
    min(50,000, 53,319) / 4 a quarter, GBP 255,882 a year, well within its one sum of
    26.631 x 42,514 = GBP 1,132,190.33."""
    tables = plan(tmp_path, {
        "roles": NURSE_ROLES, "attrition": "role,annual_rate,first_year_annual_rate\ngp,0,\ngpn,0,\n",
        "staff_in_post": "level,area,role,as_at,headcount\npcn,breckland,gp,2024/25 Q4,1\npcn,breckland,gpn,2024/25 Q4,3\n",
        "targets": ("target,role,basis,quantity,unit,area,by,kind,priority,penalty,hard\n"
                    "gp_1,gp,per_pcn,1,headcount,breckland,2025/26 Q1,at_least,1,1,false\n"
                    "gpn_3,gpn,per_pcn,3,headcount,breckland,2025/26 Q1,at_least,1,1,false\n"),
        "supply": "role,level,area,period,max_starters\n",
        "arrs_years": ARRS_2025, "arrs_roles": ROLES_2025, "budgets": BUDGETS_2025,
    }, integer, start="2025/26 Q1", end="2025/26 Q4")
    assert cells(tables, "breckland", "gp", "arrs_claim_wte") == pytest.approx([1.0] * 4)
    assert cells(tables, "breckland", "gpn", "arrs_claim_wte") == pytest.approx([3.0] * 4)
    arrs = tables.arrs.set_index(["pcn", "year"])
    assert arrs.loc[("breckland", "2025/26"), "entitlement"] == pytest.approx(26.631 * 42514)
    assert arrs.loc[("breckland", "2025/26"), "claims"] == pytest.approx(105882 + 3 * 50000)


@pytest.mark.parametrize("integer", [False, True])
def test_a_ring_fenced_pot_pays_only_its_role_and_only_up_to_its_sum(tmp_path, integer):
    """2024/25: Breckland holds a GP (cost GBP 100,000, cap 80,000: GBP 80,000 a year
    claimable) paid from a ring-fenced GP pot of GBP 30,000, and an FCP (GBP 56,000)
    paid from the main sum of GBP 200,000.  The pot caps the GP's claims at 30,000
    (less the penny the engine keeps back); the FCP is claimed in full."""
    roles = NURSE_ROLES.replace("gp,General practitioner,GP,1,105882", "gp,General practitioner,GP,1,100000")
    tables = plan(tmp_path, {
        "roles": roles, "attrition": "role,annual_rate,first_year_annual_rate\ngp,0,\nfcp,0,\n",
        "staff_in_post": "level,area,role,as_at,headcount\npcn,breckland,gp,2023/24 Q4,1\npcn,breckland,fcp,2023/24 Q4,1\n",
        "targets": ("target,role,basis,quantity,unit,area,by,kind,priority,penalty,hard\n"
                    "gp_1,gp,per_pcn,1,headcount,breckland,2024/25 Q1,at_least,1,1,false\n"
                    "fcp_1,fcp,per_pcn,1,headcount,breckland,2024/25 Q1,at_least,1,1,false\n"),
        "supply": "role,level,area,period,max_starters\n",
        "arrs_years": "year,entitlement_per_pcn\n2024/25,200000\n",
        "arrs_pots": "year,pot,entitlement_per_pcn\n2024/25,gp_pot,30000\n",
        "arrs_roles": ("year,role,reimbursement_rate,cap_per_wte,pot\n"
                       "2024/25,fcp,1,56000,\n2024/25,gp,1,80000,gp_pot\n"),
        "budgets": "budget,year,level,area,amount\npractice,2024/25,system,tinysys,\n",
    }, integer, start="2024/25 Q1", end="2024/25 Q4")
    arrs = tables.arrs.set_index(["pcn", "year"]).loc[("breckland", "2024/25")]
    assert arrs["claims"] == pytest.approx(56000.0)
    assert arrs["ring_fenced_entitlement"] == 30000.0
    assert arrs["ring_fenced_claims"] == pytest.approx(30000.0, abs=0.02)
    assert sum(cells(tables, "breckland", "gp", "arrs_claim_gbp")) == pytest.approx(30000.0, abs=0.02)
    assert sum(cells(tables, "breckland", "gp", "arrs_claim_wte")) == pytest.approx(30000.0 / 20000.0, abs=1e-6)
