"""The arrays :func:`wfplan.model.inputs.prepare` builds for the 2025/26 rules and the years people plan now.

Per-year costs, known leavers, trainees already on course, recruitment routes
and ring-fenced ARRS pots, each on a tiny quarterly scenario (two PCNs in one
place: Breckland 42,514 and Mid Norfolk 46,032 patients) whose right answer
is worked by hand in the test.  These tests pin what the formulation is
given; tests/test_current_rules.py pins what a plan does with it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.scenarios import TINY, write_scenario
from wfplan.model.inputs import prepare
from wfplan.scenario.load import load_scenario

BRECKLAND, MID = 0, 1
FCP, PA = 0, 1
START, END = "2022/23 Q1", "2024/25 Q4"  # 12 quarters: t 0-3 2022/23, 4-7 2023/24, 8-11 2024/25
ARRS_YEARS = "year,entitlement_per_pcn\n2022/23,200000\n2023/24,200000\n2024/25,200000\n"
SUPPLY = "role,level,area,period,max_starters\nfcp,system,tinysys,2022/23 Q1,2\npa,system,tinysys,2022/23 Q1,1\n"


def prepared(tmp_path: Path, tables: dict[str, str], extra: str = ""):
    directory = write_scenario(tmp_path / "scenario", {"arrs_years": ARRS_YEARS, "supply": SUPPLY, **tables},
                               start=START, end=END, extra=extra)
    return prepare(load_scenario(directory))


def test_cost_follows_role_costs_year_by_year_and_carries_the_last_year_forward(tmp_path):
    inputs = prepared(tmp_path, {"role_costs": (
        "role,year,annual_cost\n"
        "fcp,2022/23,57000\n"
        "fcp,2023/24,60000\n"   # 2024/25 has no row: 2023/24 carried forward
        "pa,2021/22,50000\n")})  # before the horizon: the latest row at or before each year
    assert inputs.cost.shape == (2, 12)
    assert inputs.cost[FCP].tolist() == [57000] * 4 + [60000] * 8
    assert inputs.cost[PA].tolist() == [50000] * 12
    assert inputs.annual_cost.tolist() == [56000, 53000], "the roles table's cost is unchanged"


def test_without_role_costs_the_cost_is_the_roles_annual_cost(tmp_path):
    inputs = prepared(tmp_path, {})
    assert inputs.cost[FCP].tolist() == [56000] * 12 and inputs.cost[PA].tolist() == [53000] * 12


def test_an_override_of_role_costs_changes_the_cost_from_that_year(tmp_path):
    override = '\n[[overrides]]\ntable = "role_costs"\ncolumn = "annual_cost"\nscale = 1.1\nwhere = { year = "2023/24" }\n'
    inputs = prepared(tmp_path, {"role_costs": "role,year,annual_cost\nfcp,2022/23,57000\nfcp,2023/24,60000\n"},
                      extra=override)
    assert inputs.cost[FCP].tolist() == pytest.approx([57000] * 4 + [66000] * 8)


def test_planned_leavers_are_whole_people_apportioned_by_list(tmp_path):
    inputs = prepared(tmp_path, {
        "staff_in_post": ("level,area,role,as_at,headcount\n"
                          "pcn,breckland,fcp,2021/22 Q4,3\npcn,mid_norfolk,fcp,2021/22 Q4,2\n"),
        "planned_leavers": ("level,area,role,period,headcount,reason\n"
                            "pcn,breckland,fcp,2022/23 Q3,1,retirement\n"
                            # 3 x 42,514 / 88,546 = 1.44 and 1.56: one each, the third to Mid Norfolk
                            "place,north,fcp,2023/24 Q1,3,fixed_term_end\n")})
    leavers = inputs.planned_leavers
    assert leavers.shape == (2, 2, 12)
    assert leavers[BRECKLAND, FCP, 2] == 1 and leavers[BRECKLAND, FCP, 4] == 1
    assert leavers[MID, FCP, 4] == 2
    assert leavers.sum() == 4 and leavers[:, PA].sum() == 0


def test_trainees_on_course_leave_and_complete_when_their_course_ends(tmp_path):
    roles = TINY.tables["roles"] + ("tna,Trainee nursing associate,Direct Patient Care,1,26000,1000,practice\n"
                               "na,Nursing associate,Direct Patient Care,1,29000,2000,practice\n")
    inputs = prepared(tmp_path, {
        "roles": roles,
        "transitions": "transition,from_role,to_role,lead_periods,success_rate\ntna_to_na,tna,na,8,0.85\n",
        "staff_in_post": "level,area,role,as_at,headcount\npcn,breckland,tna,2021/22 Q4,3\n",
        "trainees_on_course": ("level,area,transition,started,completes,headcount\n"
                               "pcn,breckland,tna_to_na,2021/22 Q2,,2\n"   # + 8 quarters: ends 2023/24 Q2 (t = 5)
                               "pcn,breckland,tna_to_na,,2022/23 Q1,1\n")})  # ends in the first quarter (t = 0)
    assert inputs.roles == ["fcp", "pa", "tna", "na"]
    exits, done, on = inputs.course_exits[BRECKLAND, 0], inputs.course_completions[BRECKLAND, 0], \
        inputs.on_course[BRECKLAND, 0]
    assert exits.tolist() == [1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0]
    assert done.tolist() == pytest.approx([0.85, 0, 0, 0, 0, 1.7, 0, 0, 0, 0, 0, 0])
    assert on.tolist() == [2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0]
    assert inputs.course_exits[MID].sum() == 0 and inputs.on_course[MID].sum() == 0


def test_recruitment_routes_are_claimable_by_year_and_route_supply_is_kept_apart(tmp_path):
    inputs = prepared(tmp_path, {
        "recruitment_routes": ("year,role,route,label,arrs_claimable\n"
                               "2023/24,fcp,external,From outside the PCN,true\n"
                               "2023/24,fcp,from_member_practice,Employed by a member practice in the last year,false\n"
                               "2024/25,fcp,from_member_practice,Employed by a member practice in the last year,true\n"),
        "supply": ("role,level,area,period,max_starters,route\n"
                   "fcp,system,tinysys,2022/23 Q1,2,\npa,system,tinysys,2022/23 Q1,1,\n"
                   "fcp,pcn,breckland,2023/24 Q1,1,from_member_practice\n")})
    assert inputs.routes[["j", "role", "route"]].values.tolist() == [
        [0, "fcp", "external"], [1, "fcp", "from_member_practice"]]
    # not listed in 2022/23: claimable as the ARRS terms say; the 12-month rule only in 2023/24
    assert inputs.route_claimable[0].tolist() == [True] * 12
    assert inputs.route_claimable[1].tolist() == [True] * 4 + [False] * 4 + [True] * 4
    assert len(inputs.supply) == 2 and set(inputs.supply["role"]) == {"fcp", "pa"}
    (row,) = inputs.route_supply.to_dict("records")
    assert (row["j"], row["ri"], row["t"], row["members"].tolist(), row["max_starters"]) == (1, FCP, 4, [BRECKLAND], 1)
    assert inputs.recruitable[BRECKLAND, FCP, 4] and not inputs.recruitable[MID, FCP, 4]


def test_a_ring_fenced_pot_pays_its_role_and_the_main_sum_the_others(tmp_path):
    inputs = prepared(tmp_path, {
        "arrs_pots": "year,pot,entitlement_per_pcn\n2023/24,pa_pot,10000\n",
        "arrs_roles": ("year,role,reimbursement_rate,cap_per_wte,max_wte_per_pcn,pot\n"
                       "2022/23,fcp,1,56000,,\n2022/23,pa,1,53000,2,\n"
                       "2023/24,fcp,1,56000,,\n2023/24,pa,0.5,60000,,pa_pot\n")})
    y1, y2 = slice(0, 4), slice(4, 8)
    assert inputs.arrs_pot[FCP, y1].tolist() == [""] * 4 and inputs.arrs_pot[FCP, y2].tolist() == [""] * 4
    assert inputs.arrs_pot[PA, y1].tolist() == [""] * 4 and inputs.arrs_pot[PA, y2].tolist() == ["pa_pot"] * 4
    assert inputs.arrs_pot[:, 8:].tolist() == [[None] * 4] * 2, "no ARRS terms in 2024/25: not claimable"
    # the main-sum rate leaves the pot's cells out; the pot's rate is min(53,000, 60,000) x 0.5 / 4
    assert inputs.arrs_rate[:, PA, y1].tolist() == [[53000 / 4] * 4] * 2
    assert inputs.arrs_rate[:, PA, y2].tolist() == [[0.0] * 4] * 2
    assert inputs.pot_rate[:, PA, y2].tolist() == [[6625.0] * 4] * 2
    assert inputs.pot_rate[:, FCP].sum() == 0 and inputs.pot_rate[:, PA, y1].sum() == 0
    assert inputs.arrs_cap_per_wte[PA, :8].tolist() == [53000] * 4 + [60000] * 4
    assert np.isnan(inputs.arrs_cap_per_wte[:, 8:]).all()
    assert inputs.arrs_reimbursement[PA, :8].tolist() == [1.0] * 4 + [0.5] * 4
    assert inputs.pot_entitlement.values.tolist() == [[0, "2023/24", "pa_pot", 10000.0],
                                                      [1, "2023/24", "pa_pot", 10000.0]]
    assert sorted(set(inputs.entitlement["year"])) == ["2022/23", "2023/24", "2024/25"]
