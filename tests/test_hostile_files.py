"""Files that are not what they seem: links out of the scenario, FIFOs, devices, huge
files, misspelt table names, dangling links, and text in two encodings at once.

Each is exit 2 with a message naming the file (or, for a file that is merely
not read, a warning), within seconds, and nothing outside the scenario is read.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli_run import invoke
from wfplan.errors import ScenarioError
from wfplan.files.safe_read import read_input_bytes
from wfplan.limits import DEFAULT_MAX_INPUT_MB, max_input_bytes, set_max_input_mb

ROOT = Path(__file__).resolve().parents[1]


def _rejected(scenario: Path, *needles: str, command: str = "validate") -> str:
    result, text = invoke([command, str(scenario)] + (["--out", str(scenario.parent / "out")]
                                                       if command == "plan" else []))
    assert result.exit_code == 2, text
    for needle in needles:
        assert needle in text, text
    return text


# --- links ---------------------------------------------------------------------------------------------


def test_a_default_named_table_linked_outside_the_scenario_is_not_read(tiny_scenario: Path) -> None:
    secret = tiny_scenario.parent / "secret.csv"
    secret.write_text("role,annual_rate\nTOP-SECRET-LINE,0.1\n")
    (tiny_scenario / "attrition.csv").unlink()
    (tiny_scenario / "attrition.csv").symlink_to(secret)
    text = _rejected(tiny_scenario, "attrition.csv", "leads outside its directory")
    assert "TOP-SECRET-LINE" not in text
    assert "secret.csv" not in text  # named as the user sees it, not as the file it leads to


def test_a_table_linked_to_a_system_file_is_not_read(tiny_scenario: Path) -> None:
    (tiny_scenario / "demand.csv").symlink_to("/etc/passwd")
    text = _rejected(tiny_scenario, "demand.csv", "outside")
    assert "root:" not in text


def test_a_manifest_linked_outside_the_scenario_is_not_read(tiny_scenario: Path) -> None:
    outside = tiny_scenario.parent / "elsewhere.toml"
    (tiny_scenario / "scenario.toml").rename(outside)
    (tiny_scenario / "scenario.toml").symlink_to(outside)
    _rejected(tiny_scenario, "scenario.toml", "outside")


def test_a_table_linked_inside_the_scenario_is_read(tiny_scenario: Path) -> None:
    (tiny_scenario / "data").mkdir()
    (tiny_scenario / "supply.csv").rename(tiny_scenario / "data" / "supply_2022.csv")
    (tiny_scenario / "supply.csv").symlink_to(Path("data") / "supply_2022.csv")
    result, text = invoke(["validate", str(tiny_scenario)])
    assert result.exit_code == 0, text


def test_a_dangling_link_is_an_error_not_a_missing_table(tiny_scenario: Path) -> None:
    (tiny_scenario / "demand.csv").symlink_to("demand_2024.csv")
    _rejected(tiny_scenario, "demand.csv", "does not exist")
    _rejected(tiny_scenario, "demand.csv", command="plan")


def test_a_dangling_link_named_in_the_manifest(tiny_scenario: Path) -> None:
    (tiny_scenario / "gone.csv").symlink_to("nowhere.csv")
    with (tiny_scenario / "scenario.toml").open("a") as handle:
        handle.write('\n[tables]\ndemand = "gone.csv"\n')
    _rejected(tiny_scenario, "tables.demand", "symbolic link to nothing")


# --- special and huge files -------------------------------------------------------------------------------


def test_a_fifo_table_is_refused_at_once(tiny_scenario: Path) -> None:
    os.mkfifo(tiny_scenario / "demand.csv")
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "wfplan.cli", "validate", str(tiny_scenario)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 2, proc.stderr
    assert "demand.csv" in proc.stderr and "FIFO" in proc.stderr
    assert time.monotonic() - started < 30


def test_a_device_is_refused_without_reading_it() -> None:
    with pytest.raises(ScenarioError, match="character device"):
        read_input_bytes(Path("/dev/zero"), "zero.csv")


def test_a_file_over_the_size_limit_is_refused_unless_the_limit_is_raised(tiny_scenario: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    supply = tiny_scenario / "supply.csv"
    supply.write_text(supply.read_text() + "\n" * (2 * 1024 * 1024))  # 2 MiB, blank rows
    result, text = invoke(["--max-input-mb", "1", "validate", str(tiny_scenario)])
    assert result.exit_code == 2
    assert "supply.csv" in text and "larger than the 1 MiB" in text and "--max-input-mb" in text
    monkeypatch.setenv("WFPLAN_MAX_INPUT_MB", "1")
    result, text = invoke(["validate", str(tiny_scenario)])
    assert result.exit_code == 2 and "larger than the 1 MiB" in text, text
    result, text = invoke(["--max-input-mb", "3", "validate", str(tiny_scenario)])
    assert result.exit_code == 0, text


def test_the_default_limit_is_documented_and_an_option_overrides_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WFPLAN_MAX_INPUT_MB", raising=False)
    set_max_input_mb(None)
    assert max_input_bytes() == DEFAULT_MAX_INPUT_MB * 1024 * 1024
    monkeypatch.setenv("WFPLAN_MAX_INPUT_MB", "2")
    assert max_input_bytes() == 2 * 1024 * 1024
    set_max_input_mb(5)
    try:
        assert max_input_bytes() == 5 * 1024 * 1024
    finally:
        set_max_input_mb(None)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"{DEFAULT_MAX_INPUT_MB} MiB" in readme and "WFPLAN_MAX_INPUT_MB" in readme


# --- names that are nearly right ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [
    ("demnad.csv", "did you mean demand.csv?"),
    ("Demand.csv", "rename it demand.csv"),
    ("SUPPLY.CSV", "rename it supply.csv"),
    ("targets_old.csv", "did you mean targets.csv?"),
    ("notes.csv", "not a table wfplan knows"),
])
def test_a_csv_file_that_is_not_read_gets_a_warning(tiny_scenario: Path, name: str, expected: str) -> None:
    (tiny_scenario / name).write_text("level,area,from_period,appointments_per_patient\n", encoding="utf-8")
    result, text = invoke(["validate", str(tiny_scenario)])
    assert result.exit_code == 0, text
    warnings = [line for line in text.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and name in warnings[0] and "is not read" in warnings[0], text
    assert expected in warnings[0]


def test_a_missing_manifest_next_to_a_wrongly_cased_one(tiny_scenario: Path) -> None:
    (tiny_scenario / "scenario.toml").rename(tiny_scenario / "Scenario.toml")
    _rejected(tiny_scenario, "no manifest", "Scenario.toml")


def test_every_scenario_in_the_repository_loads_without_warnings() -> None:
    for directory in (ROOT / "data" / "norfolk_waveney", ROOT / "data" / "arrs", ROOT / "examples" / "williams_manpower",
                      ROOT / "examples" / "norfolk_waveney", ROOT / "examples" / "what_if_pay_award"):
        result, text = invoke(["validate", str(directory)])
        assert result.exit_code == 0, text
        assert "warning:" not in text, text


# --- encodings ---------------------------------------------------------------------------------------------------


def test_a_file_mixing_utf8_and_windows_1252_is_a_located_error(tiny_scenario: Path) -> None:
    roles = tiny_scenario / "roles.csv"
    lines = roles.read_text(encoding="utf-8").splitlines()
    data = (lines[0] + "\n").encode() + lines[1].replace("First contact", "Caf\u00e9 contact").encode("utf-8") \
        + b"\n" + lines[2].replace("Physician associate,", "\u00a3 associate,").encode("cp1252") + b"\n"
    roles.write_bytes(data)
    text = _rejected(tiny_scenario, "roles.csv", "row 3", "mixes encodings", "UTF-8")
    assert "\u00c3" not in text  # no mojibake


def test_a_utf8_bom_file_with_a_windows_1252_byte_is_an_error(tiny_scenario: Path) -> None:
    roles = tiny_scenario / "roles.csv"
    roles.write_bytes(b"\xef\xbb\xbf" + roles.read_bytes().replace(b"Physician associate,", b"\xa3 associate,"))
    _rejected(tiny_scenario, "roles.csv", "row 3", "mixes encodings")


def test_a_whole_windows_1252_file_is_read_as_excel_saves_it(tiny_scenario: Path) -> None:
    from wfplan.scenario.load import load_scenario

    roles = tiny_scenario / "roles.csv"
    roles.write_bytes(roles.read_text(encoding="utf-8").replace("Physician associate,", "\u00a3 associate \u2013,")
                      .encode("cp1252"))
    names = set(load_scenario(tiny_scenario).table("roles")["name"])
    assert "\u00a3 associate \u2013" in names


def test_a_manifest_in_two_encodings_is_a_located_error(tiny_scenario: Path) -> None:
    manifest = tiny_scenario / "scenario.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_bytes(text.replace('description = "', 'description = "caf\u00e9 ').encode("utf-8")
                         .replace(b"[horizon]", b"# \xa3\n[horizon]"))
    _rejected(tiny_scenario, "scenario.toml", "mixes encodings")


# --- bounded reading reports every problem (issue 14's "validate lists them all" with issue 17's bounds) ---------


def _problems(scenario: Path) -> list[str]:
    from wfplan.scenario.load import load_scenario

    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario)
    return [str(p) for p in caught.value.problems]


def test_a_refused_file_does_not_hide_the_other_tables_problems(tiny_scenario: Path) -> None:
    """A table linked out of the scenario, a table in two encodings and a bad cell: all three in one run,
    nothing read through the link, and the other tables still read (their bad cell is found)."""
    (tiny_scenario / "budgets.csv").unlink()
    (tiny_scenario / "budgets.csv").symlink_to("/etc/passwd")
    supply = tiny_scenario / "supply.csv"
    supply.write_bytes(supply.read_bytes() + "fcp,system,tinysys,2022/23 Q2,1 caf\u00e9\n".encode()
                       + b"fcp,system,tinysys,2022/23 Q3,\xa3\n")
    attrition = tiny_scenario / "attrition.csv"
    attrition.write_text(attrition.read_text().replace("pa,0.0,", "pa,lots,"))
    problems = _problems(tiny_scenario)
    text = "\n".join(problems)
    assert any("budgets.csv" in p and "outside" in p for p in problems), text
    assert any("supply.csv" in p and "mixes encodings" in p for p in problems), text
    assert any("attrition.csv, row 3, column 'annual_rate'" in p for p in problems), text
    assert "root:" not in text
    assert "unknown budget" not in text  # budgets were not read: references into them are not checked


def test_the_row_budget_is_shared_by_every_table_and_the_other_problems_still_come(tiny_scenario: Path) -> None:
    """Rows are counted across tables (a scenario may not hold more than max_scenario_rows in all); the table
    that crosses the budget is an error that stops its reading, and a bad cell elsewhere is still reported."""
    from wfplan.limits import max_scenario_rows

    set_max_input_mb(0.005)  # 5,242 bytes: a budget of 40 rows for all tables together
    try:
        budget = max_scenario_rows()
        assert budget == 40
        supply = tiny_scenario / "supply.csv"
        supply.write_text("role,level,area,period,max_starters\n" + "".join(
            f"fcp,system,tinysys,2022/23 Q{1 + i % 4},{i}\n" for i in range(budget - 5)))  # fits on its own
        attrition = tiny_scenario / "attrition.csv"
        attrition.write_text(attrition.read_text().replace("pa,0.0,", "pa,lots,"))
        problems = _problems(tiny_scenario)
    finally:
        set_max_input_mb(None)
    text = "\n".join(problems)
    assert any("supply.csv" in p and "rows (with the other tables of the scenario)" in p for p in problems), text
    assert any("attrition.csv, row 3, column 'annual_rate'" in p for p in problems), text


def test_one_table_stops_at_the_problem_cap_and_says_so_while_others_are_still_read(tiny_scenario: Path) -> None:
    from wfplan.limits import MAX_PROBLEMS

    supply = tiny_scenario / "supply.csv"
    supply.write_text("role,level,area,period,max_starters\n" + "fcp,system,tinysys,2022/23 Q1,-1\n"
                      * (MAX_PROBLEMS + 200))
    attrition = tiny_scenario / "attrition.csv"
    attrition.write_text(attrition.read_text().replace("pa,0.0,", "pa,lots,"))
    problems = _problems(tiny_scenario)
    from_supply = [p for p in problems if "supply.csv" in p]
    assert len(from_supply) == MAX_PROBLEMS + 1 and f"stopped after {MAX_PROBLEMS:,} problems" in from_supply[-1]
    assert any("attrition.csv, row 3, column 'annual_rate'" in p for p in problems)
