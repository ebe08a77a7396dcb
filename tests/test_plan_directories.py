"""Reading a plan directory is as strict as reading a scenario, and its CSVs for people
hold no live formula text.

A damaged plan directory (summary.json not an object, a missing or empty
plan.csv, text where a number belongs in plan.csv, arrs.csv or the flow
tables, a link out of the directory...) must give ``report``, ``export
checkpoint``, ``trajectory``, ``explain`` and ``compare`` exit 2 naming the
file and, for a cell, the row, column and value (``pack`` reads what ``report`` reads).  Then a fuzz test: hostile
edits of plan directories and scenarios never give a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.cli_run import invoke
from tests.scenarios import write_scenario
from tests.strategies import HOSTILE_FIXED, hostile_values
from wfplan.files.excel_safety import FORMULA_TRIGGERS, csv_safe, csv_text

READERS: dict[str, Callable[[Path, Path], list[str]]] = {
    "report": lambda plan, tmp: ["report", str(plan), "--out", str(tmp / "r.html")],
    "pack": lambda plan, tmp: ["pack", str(plan), "--out", str(tmp / "p.html")],
    "export": lambda plan, tmp: ["export", "checkpoint", str(plan), "--out", str(tmp / "c.xlsx")],
    "trajectory": lambda plan, tmp: ["trajectory", str(plan), "--level", "pcn"],
    "compare": lambda plan, tmp: ["compare", str(plan), str(plan), "--out", str(tmp / "cmp")],
}
"""Commands that read a plan directory without solving (explain re-solves: tried separately)."""


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def set_cell(name: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    def edit(plan: Path) -> None:
        rows = _rows(plan / name)
        rows[row - 1][rows[0].index(column)] = value
        _write_rows(plan / name, rows)

    return edit


def write(name: str, text: str | bytes) -> Callable[[Path], None]:
    def edit(plan: Path) -> None:
        (plan / name).unlink(missing_ok=True)
        if isinstance(text, bytes):
            (plan / name).write_bytes(text)
        else:
            (plan / name).write_text(text, encoding="utf-8")

    return edit


def remove(name: str) -> Callable[[Path], None]:
    return lambda plan: (plan / name).unlink()


def link_outside(name: str) -> Callable[[Path], None]:
    def edit(plan: Path) -> None:
        (plan / name).unlink()
        (plan / name).symlink_to("/etc/passwd")

    return edit


DAMAGE: dict[str, tuple[Callable[[Path], None], tuple[str, ...], tuple[str, ...]]] = {
    # id: (edit, expected text in the message, commands that read the damaged file)
    "summary_not_an_object": (write("summary.json", "[1, 2, 3]\n"), ("summary.json", "JSON object"),
                              tuple(READERS)),
    "summary_not_json": (write("summary.json", "{status: optimal"), ("summary.json", "does not parse"),
                         tuple(READERS)),
    "summary_with_nan": (write("summary.json", '{"status": "optimal", "gap": NaN}'), ("summary.json", "NaN"),
                         tuple(READERS)),
    "summary_status_a_number": (write("summary.json", '{"status": 3}'), ("summary.json", "column 'status'"),
                                tuple(READERS)),
    "summary_levels_wrong_shape": (write("summary.json", '{"status": "optimal", "levels": [1]}'),
                                   ("summary.json", "levels.0"), tuple(READERS)),
    "summary_linked_to_a_system_file": (link_outside("summary.json"), ("summary.json", "outside"),
                                        tuple(READERS)),
    "plan_csv_missing": (remove("plan.csv"), ("plan.csv", "missing"), ("report", "pack", "export", "compare")),
    "plan_csv_empty": (write("plan.csv", ""), ("plan.csv", "empty"), ("report", "pack", "export", "compare")),
    "plan_csv_text_in_a_number": (set_cell("plan.csv", 3, "staff_fte", "lots"),
                                  ("plan.csv, row 3, column 'staff_fte': value 'lots'", "number"),
                                  ("report", "pack", "export", "compare")),
    "plan_csv_infinity": (set_cell("plan.csv", 2, "employment_cost", "inf"),
                          ("plan.csv, row 2, column 'employment_cost'", "finite"), ("report", "pack", "export")),
    "plan_csv_unknown_pcn": (set_cell("plan.csv", 2, "pcn", "atlantis"), ("plan.csv, row 2, column 'pcn'",),
                             ("report", "pack", "export", "compare")),
    "plan_csv_bad_period": (set_cell("plan.csv", 2, "period", "$x^2$"), ("plan.csv, row 2, column 'period'",),
                            ("report", "pack", "export", "compare")),
    "plan_csv_missing_column": (lambda p: _write_rows(p / "plan.csv", [r[1:] for r in _rows(p / "plan.csv")]),
                                ("plan.csv", "column 'pcn'", "missing"), ("report", "pack", "export", "compare")),
    "plan_csv_short_row": (lambda p: (p / "plan.csv").write_text(
        (p / "plan.csv").read_text(encoding="utf-8") + "breckland,north\n", encoding="utf-8"),
        ("plan.csv, row ", "column 'starters': value ''", "expected a finite number"), ("report", "pack", "export", "compare")),
    "arrs_csv_text_in_a_number": (set_cell("arrs.csv", 2, "entitlement", "£200k"),
                                  ("arrs.csv, row 2, column 'entitlement': value '£200k'",), ("report", "pack", "export")),
    "arrs_csv_duplicate_row": (lambda p: (p / "arrs.csv").write_text(
        (p / "arrs.csv").read_text(encoding="utf-8") + _rows(p / "arrs.csv")[1][0] + ","
        + ",".join(_rows(p / "arrs.csv")[1][1:]) + "\n", encoding="utf-8"), ("arrs.csv", "duplicate"),
        ("report", "pack", "export")),
    "goals_csv_bad_flag": (set_cell("goals.csv", 2, "hard", "perhaps"), ("goals.csv, row 2, column 'hard'",),
                           ("report", "pack", "compare")),
    "planned_flows_text_in_headcount": (set_cell("planned_flows.csv", 2, "headcount", "x"),
                                        ("planned_flows.csv, row 2, column 'headcount': value 'x'",),
                                        ("export", "trajectory")),
    "planned_flows_unknown_role": (set_cell("planned_flows.csv", 2, "role", "wizard"),
                                   ("planned_flows.csv, row 2, column 'role'",), ("export", "trajectory")),
    "historic_fte_text": (set_cell("historic_fte.csv", 2, "fte", "n/a"),
                          ("historic_fte.csv, row 2, column 'fte': value 'n/a'",), ("export", "trajectory")),
    "flow_types_missing": (remove("flow_types.csv"), ("flow_types.csv", "missing"), ("export", "trajectory")),
    "scenario_table_damaged": (set_cell("scenario/roles.csv", 2, "capacity", "many"),
                               ("roles.csv, row 2, column 'capacity': value 'many'",), tuple(READERS)),
    "binding_linked_to_a_system_file": (lambda p: (p / "binding.csv").symlink_to("/etc/passwd"),
                                        ("binding.csv", "outside"), ("report", "pack")),
    "binding_not_text": (write("binding.csv", b"rule,text\n\x81\x8d\n"), ("binding.csv", "not text"),
                         ("report", "pack")),
    "scenario_manifest_gone": (remove("scenario/scenario.toml"), ("no manifest",), tuple(READERS)),
}


@pytest.mark.parametrize("command", list(READERS))
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_plan_directory_is_a_located_error(damage: str, command: str, tiny_plan: Path,
                                                     tmp_path: Path) -> None:
    edit, needles, readers = DAMAGE[damage]
    if command not in readers:
        pytest.skip(f"{command} does not read the damaged file")
    edit(tiny_plan)
    result, text = invoke(READERS[command](tiny_plan, tmp_path))
    assert result.exit_code == 2, text
    assert "error:" in text
    for needle in needles:
        assert needle in text, text
    assert "root:" not in text


def test_explain_on_a_damaged_plan_directory(tiny_plan: Path) -> None:
    set_cell("plan.csv", 4, "starters", "two")(tiny_plan)
    result, text = invoke(["explain", str(tiny_plan), "--fixed"])
    assert result.exit_code == 2 and "plan.csv, row 4, column 'starters': value 'two'" in text, text


def test_an_unsolved_plan_directory_reads_without_its_tables(tiny_plan: Path, tmp_path: Path) -> None:
    summary = json.loads((tiny_plan / "summary.json").read_text())
    summary["status"] = "infeasible"
    (tiny_plan / "summary.json").write_text(json.dumps(summary))
    for name in ("plan", "arrs", "goals", "budgets", "planned_flows", "flow_types", "historic_fte"):
        (tiny_plan / f"{name}.csv").unlink()
    result, text = invoke(READERS["report"](tiny_plan, tmp_path))
    assert result.exit_code == 0, text
    result, text = invoke(READERS["trajectory"](tiny_plan, tmp_path))
    assert result.exit_code == 2 and "no checkpoint flows" in text and "infeasible" in text, text


# --- formula-like text in CSVs ---------------------------------------------------------------------------


def test_csv_safe_text_round_trips() -> None:
    for text in [*HOSTILE_FIXED, "'=x", "''@y", "'plain", "-5", "-1e3", "=", "-", "'", "''"]:
        assert csv_text(csv_safe(text)) == text, text
        shown = csv_safe(text)
        assert not shown.startswith(FORMULA_TRIGGERS) or _number(shown), shown


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.fixture
def formula_ids(tmp_path: Path) -> Path:
    """A scenario whose ids and names start like formulas (ids may start with '-')."""
    return write_scenario(tmp_path / "s", {
        "places": "place,name,system\nnorth,=HYPERLINK(\"http://x\"),-sys\n",
        "pcns": ("pcn,name,place,registered_list,weighted_list\n"
                 "-A1,+cmd|' /C calc'!A0,north,42514,42514\nmid,@SUM(1),north,46032,46032\n"),
        "supply": "role,level,area,period,max_starters\nfcp,system,-sys,2022/23 Q1,2\n",
        "targets": ("target,role,basis,quantity,unit,by,kind,priority,penalty,hard\n"
                    "-cmd,fcp,per_pcn,3,headcount,2022/23 Q4,at_least,1,1,false\n"),
        "budgets": "budget,year,level,area,amount\npractice,2022/23,system,-sys,\npractice,2023/24,system,-sys,\n",
    })


def test_people_csvs_hold_no_live_formula_text_and_read_back(formula_ids: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    result, text = invoke(["plan", str(formula_ids), "--out", str(plan)])
    assert result.exit_code == 0, text
    for name in ("plan.csv", "goals.csv", "arrs.csv", "budgets.csv", "planned_flows.csv"):
        for row in _rows(plan / name)[1:]:
            for cell in row:
                assert not cell.startswith(FORMULA_TRIGGERS) or _number(cell), (name, cell)
    assert "'-A1" in (plan / "plan.csv").read_text() and "'-cmd" in (plan / "goals.csv").read_text()
    # the scenario copy is input: kept exactly as given
    assert '=HYPERLINK(""http://x"")' in (plan / "scenario" / "places.csv").read_text()
    assert "-A1," in (plan / "scenario" / "pcns.csv").read_text()
    for command in READERS:
        result, text = invoke(READERS[command](plan, tmp_path / command))
        assert result.exit_code == 0, (command, text)
    rolling = tmp_path / "traj"
    result, text = invoke(["trajectory", str(plan), "--level", "pcn", "--out", str(rolling)])
    assert result.exit_code == 0, text
    for path in rolling.glob("*.csv"):
        for row in _rows(path)[1:]:
            assert not any(c.startswith(FORMULA_TRIGGERS) and not _number(c) for c in row), (path.name, row)


# --- fuzz: hostile edits of plan directories and scenarios ------------------------------------------------------

PLAN_FILES = ["summary.json", "plan.csv", "arrs.csv", "goals.csv", "budgets.csv", "planned_flows.csv",
              "flow_types.csv", "historic_fte.csv", "scenario/scenario.toml", "scenario/roles.csv",
              "scenario/pcns.csv", "scenario/supply.csv"]

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                       max_size=3), max_leaves=8)


@st.composite
def file_edits(draw: st.DrawFn, names: list[str]) -> tuple[str, str, object]:
    """One hostile edit of one of the files ``names``: (file, kind of edit, its argument)."""
    name = draw(st.sampled_from(names))
    kinds = ["delete", "truncate", "bytes", "directory", "link", "insert"]
    kinds += ["json_value", "json_whole"] if name.endswith(".json") else []
    kinds += ["cell", "cell", "cell", "drop_column", "duplicate_row", "extra_cells"] if name.endswith(".csv") else []
    kind = draw(st.sampled_from(kinds))
    if kind == "truncate":
        return name, kind, draw(st.integers(0, 400))
    if kind == "bytes":
        return name, kind, draw(st.binary(max_size=200))
    if kind == "insert":
        return name, kind, (draw(st.integers(0, 2000)), draw(hostile_values()))
    if kind == "json_value":
        return name, kind, (draw(st.sampled_from(["status", "gap", "levels", "notes", "objective_by_level",
                                                  "horizon", "totals", "goals", "integer", "roles", "message"])),
                            draw(json_values))
    if kind == "json_whole":
        return name, kind, draw(json_values)
    if kind in ("cell", "drop_column", "duplicate_row", "extra_cells"):
        return name, kind, (draw(st.integers(0, 60)), draw(st.integers(0, 30)), draw(hostile_values()))
    return name, kind, None


def apply_edit(plan: Path, edit: tuple[str, str, object]) -> None:
    name, kind, arg = edit
    path = plan / name
    if kind == "delete":
        path.unlink()
    elif kind == "truncate":
        path.write_bytes(path.read_bytes()[: int(arg)])
    elif kind == "bytes":
        path.write_bytes(arg)
    elif kind == "insert":
        text = path.read_bytes()
        at = int(arg[0]) % (len(text) + 1)
        path.write_bytes(text[:at] + arg[1].encode("utf-8", "surrogatepass") + text[at:])
    elif kind == "directory":
        path.unlink()
        path.mkdir()
    elif kind == "link":
        path.unlink()
        path.symlink_to("/dev/zero")
    elif kind == "json_value":
        try:
            data = json.loads(path.read_text())
        except ValueError:  # an earlier edit broke it
            data = None
        data = data if isinstance(data, dict) else {}
        data[arg[0]] = arg[1]
        path.write_text(json.dumps(data))
    elif kind == "json_whole":
        path.write_text(json.dumps(arg))
    else:
        try:
            rows = _rows(path)
        except (UnicodeDecodeError, csv.Error):  # an earlier edit broke it
            return
        if not rows or not rows[0]:
            return
        row_index, column_index, value = arg
        r = row_index % len(rows)
        c = column_index % len(rows[0])
        if kind == "cell":
            rows[r] = (rows[r] + [""] * len(rows[0]))[: max(len(rows[r]), c + 1)]
            rows[r][c] = value
        elif kind == "drop_column":
            rows = [row[:c] + row[c + 1:] for row in rows]
        elif kind == "duplicate_row":
            rows.append(list(rows[r]))
        else:
            rows[r] = rows[r] + [value, value]
        _write_rows(path, rows)


@settings(max_examples=60, deadline=None, derandomize=True, database=None, print_blob=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(edits=st.lists(file_edits(PLAN_FILES), min_size=1, max_size=2), command=st.sampled_from(list(READERS)))
def test_fuzzed_plan_directories_never_give_a_traceback(tiny_plan_master: Path, tmp_path_factory, edits,
                                                        command: str) -> None:
    work = tmp_path_factory.mktemp("fuzz")
    plan = Path(shutil.copytree(tiny_plan_master, work / "plan"))
    for edit in edits:
        if (plan / edit[0]).is_file():  # a file an earlier edit removed or replaced is left as it is
            apply_edit(plan, edit)
    result, text = invoke(READERS[command](plan, work))  # fails the test on any exception or traceback
    event(f"{command} exit {result.exit_code}")
    assert result.exit_code in (0, 2), text
    if result.exit_code == 2:
        assert "error:" in text, text


SCENARIO_FILES = ["scenario.toml", "roles.csv", "pcns.csv", "supply.csv", "targets.csv", "arrs_roles.csv",
                  "arrs_years.csv", "attrition.csv", "budgets.csv", "places.csv"]


@settings(max_examples=80, deadline=None, derandomize=True, database=None, print_blob=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(edits=st.lists(file_edits(SCENARIO_FILES), min_size=1, max_size=3))
def test_fuzzed_scenario_files_never_give_a_traceback(tmp_path_factory, edits) -> None:
    scenario = write_scenario(tmp_path_factory.mktemp("fuzz") / "s")
    for edit in edits:
        if (scenario / edit[0]).is_file():
            apply_edit(scenario, edit)
    result, text = invoke(["validate", str(scenario)])
    event(f"validate exit {result.exit_code}")
    assert result.exit_code in (0, 2), text
    if result.exit_code == 2:
        assert "error:" in text, text
