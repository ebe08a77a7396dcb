"""What-if overrides in the manifest: scale / add / set / shift_periods, strictly validated.

Bad overrides must give located errors naming the manifest and ``overrides[i]``
(and, where the override broke a row, the row's file and line).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scenarios import write_scenario
from wfplan.errors import ScenarioError
from wfplan.scenario import Scenario
from wfplan.scenario.load import load_scenario, read_manifest
from wfplan.scenario.overrides import apply_overrides, shift_label

ROOT = Path(__file__).resolve().parents[1]


def derived(tmp_path: Path, overrides: str) -> Path:
    """A what-if scenario extending the tiny base with the given [[overrides]] TOML."""
    if not (tmp_path / "base").exists():
        write_scenario(tmp_path / "base", {
            "supply": "role,level,area,period,max_starters\nfcp,system,tinysys,2022/23 Q1,2\n"
                      "fcp,system,tinysys,2022/23 Q2,2\npa,system,tinysys,2022/23 Q1,1\n",
            "attrition": "role,annual_rate,first_year_annual_rate\nfcp,0.1,0.15\npa,0.05,\n",
        })
    return write_scenario(tmp_path / "whatif", {}, only_given=True, extends="../base", extra=overrides)


def problems(tmp_path: Path, overrides: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(derived(tmp_path, overrides))
    return [str(p) for p in info.value.problems]


def test_scale_add_set_and_shift(tmp_path):
    path = derived(tmp_path, """
[[overrides]]
table = "supply"
column = "max_starters"
scale = 0.75
where = { role = "fcp" }

[[overrides]]
table = "attrition"
column = "annual_rate"
add = 0.02

[[overrides]]
table = "attrition"
column = "first_year_annual_rate"
add = 0.02

[[overrides]]
table = "roles"
column = "capacity"
set = 2500
where = { role = ["fcp", "pa"] }

[[overrides]]
table = "targets"
shift_periods = -1
""")
    base = load_scenario(tmp_path / "base")
    whatif = load_scenario(path)
    sup = whatif.table("supply").set_index(["role", "period"])["max_starters"]
    assert sup[("fcp", "2022/23 Q1")] == 1.5 and sup[("fcp", "2022/23 Q2")] == 1.5 and sup[("pa", "2022/23 Q1")] == 1
    attr = whatif.table("attrition").set_index("role")
    assert attr.loc["fcp", "annual_rate"] == pytest.approx(0.12)
    assert attr.loc["pa", "annual_rate"] == pytest.approx(0.07)
    assert attr.loc["fcp", "first_year_annual_rate"] == pytest.approx(0.17)
    assert attr["first_year_annual_rate"].isna()["pa"]  # blank stays blank
    assert set(whatif.table("roles")["capacity"]) == {2500.0}
    assert whatif.table("targets")["by"].tolist() == ["2022/23 Q3"]
    assert base.table("targets")["by"].tolist() == ["2022/23 Q4"]  # the base is untouched
    assert whatif.manifest.overrides == []  # consumed: applying again changes nothing
    assert apply_overrides(whatif).checksum == whatif.checksum


def test_overrides_apply_in_order_and_can_be_stacked(tmp_path):
    path = derived(tmp_path, """
[[overrides]]
table = "supply"
column = "max_starters"
add = 1

[[overrides]]
table = "supply"
column = "max_starters"
scale = 2
""")
    whatif = load_scenario(path)
    assert whatif.table("supply")["max_starters"].tolist() == [6.0, 6.0, 4.0]
    more = apply_overrides(whatif, [{"table": "supply", "column": "max_starters", "scale": 0.5,
                                     "where": {"period": "2022/23 Q2"}}])
    assert more.table("supply")["max_starters"].tolist() == [6.0, 3.0, 4.0]


def test_further_overrides_are_refused_while_the_scenarios_own_are_pending(tmp_path):
    """Further what-if overrides go on top of a loaded scenario; on one built from a manifest whose own
    overrides are not applied yet they would drop those unapplied, so they are refused."""
    path = derived(tmp_path, """
[[overrides]]
table = "supply"
column = "max_starters"
add = 1
""")
    loaded = load_scenario(path)
    pending = Scenario.build(read_manifest(path / "scenario.toml"), loaded.rows, loaded.source_files, loaded.root)
    assert pending.manifest.overrides
    with pytest.raises(ValueError, match="load it with load_scenario first"):
        apply_overrides(pending, [{"table": "supply", "column": "max_starters", "scale": 0.5}])


def test_shift_label_quarters_and_years():
    assert shift_label("2023/24 Q4", -4) == "2022/23 Q4"
    assert shift_label("2023/24 Q1", -1) == "2022/23 Q4"
    assert shift_label("2023/24", 2) == "2025/26"


@pytest.mark.parametrize(("overrides", "expected"), [
    ('table = "supplies"\ncolumn = "max_starters"\nscale = 2',
     ["column 'overrides[0]'", "unknown table 'supplies'"]),
    ('table = "supply"\ncolumn = "max_startrs"\nscale = 2',
     ["column 'overrides[0]'", "no column 'max_startrs'"]),
    ('table = "supply"\ncolumn = "max_starters"\nscale = 2\nadd = 1',
     ["overrides[0]", "exactly one of scale, add, set, shift_periods"]),
    ('table = "supply"\ncolumn = "max_starters"\nscale = 2\nwhere = { role = "nobody" }',
     ["overrides[0].where", "matches no row of supply"]),
    ('table = "supply"\ncolumn = "max_starters"\nscale = 2\nwhere = { rol = "fcp" }',
     ["overrides[0]", "unknown column(s) of supply: rol"]),
    ('table = "supply"\ncolumn = "max_starters"\nscale = -1',
     ["overrides[0]", "base/supply.csv row 2 invalid", "greater than or equal to 0"]),
    ('table = "attrition"\ncolumn = "annual_rate"\nadd = 0.95',
     ["overrides[0]", "base/attrition.csv row 2 invalid", "less than or equal to 1"]),
    ('table = "supply"\ncolumn = "role"\nscale = 2',
     ["overrides[0]", "scale needs a number"]),
    ('table = "supply"\ncolumn = "max_starters"\nscale = 2\nfactor = 3',
     ["overrides[0].factor", "Extra inputs are not permitted"]),
    ('table = "targets"\nshift_periods = -5',
     ["base/targets.csv, row 2, column 'by'", "outside the horizon", "after overrides[0] of"]),
    ('table = "supply"\ncolumn = "role"\nset = "ghost"',
     ["base/supply.csv, row 2, column 'role'", "unknown role", "after overrides[0] of"]),
])
def test_bad_overrides_are_located(tmp_path, overrides, expected):
    found = problems(tmp_path, "\n[[overrides]]\n" + overrides + "\n")
    text = "\n".join(found)
    assert "whatif/scenario.toml" in text or "after overrides" in text
    for fragment in expected:
        assert fragment in text, (fragment, text)


def test_second_override_index_is_named(tmp_path):
    text = "\n".join(problems(tmp_path, """
[[overrides]]
table = "supply"
column = "max_starters"
scale = 2

[[overrides]]
table = "supply"
column = "max_starters"
set = "many"
"""))
    assert "overrides[1]" in text and "overrides[0]" not in text


def test_pay_award_example_raises_caps_and_costs_in_its_year_inside_a_flat_pot():
    """examples/what_if_pay_award: 2023/24 caps x 1.06 and 2023/24 employer costs (role_costs) x 1.06,
    other years' costs and the entitlement unchanged."""
    from wfplan.explain.compare import diff_inputs

    base = load_scenario(ROOT / "examples" / "norfolk_waveney")
    award = load_scenario(ROOT / "examples" / "what_if_pay_award")
    diff = diff_inputs(base, award, "pay_award")
    assert set(zip(diff["table"], diff["column"], strict=True)) == {("arrs_roles", "cap_per_wte"),
                                                                     ("role_costs", "annual_cost")}
    for table in ("arrs_roles", "role_costs"):
        changed = diff[diff["table"] == table]
        assert len(changed) and changed["key"].str.contains("year=2023/24").all()
        for before, after in zip(changed["base_value"], changed["other_value"], strict=True):
            assert float(after) == pytest.approx(1.06 * float(before))
    assert award.table("arrs_years").equals(base.table("arrs_years"))
