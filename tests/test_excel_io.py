"""Scenario workbooks: round trips, the blank template, and located errors.

``data/norfolk_waveney`` -> workbook -> directory -> load must give the same
rows in every table and the same input checksum.  Problems in a workbook are
reported exactly like CSV problems, with the sheet named.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.scenarios import EVIL_PCN
from wfplan.cli import main
from wfplan.errors import ScenarioError
from wfplan.scenario.excel_io import write_workbook
from wfplan.scenario.excel_template import columns
from wfplan.scenario.load import load_scenario
from wfplan.scenario.schema import TABLES

ROOT = Path(__file__).resolve().parents[1]
NW = ROOT / "data" / "norfolk_waveney"
WILLIAMS = ROOT / "examples" / "williams_manpower"


def run(*args: str) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


def _same(a, b) -> None:
    assert a.checksum == b.checksum
    for name in TABLES:
        assert [loc.row.model_dump() for loc in a.rows.get(name, [])] == \
               [loc.row.model_dump() for loc in b.rows.get(name, [])], name
    assert a.manifest.model_dump(exclude={"extends", "tables"}) == b.manifest.model_dump(exclude={"extends", "tables"})


@pytest.fixture(scope="module")
def nw_workbook(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wb") / "nw.xlsx"
    result = run("convert", NW, out)
    assert result.exit_code == 0, result.output
    return out


def test_round_trip_directory_workbook_directory(nw_workbook, tmp_path):
    back = tmp_path / "back"
    result = run("convert", nw_workbook, back)
    assert result.exit_code == 0, result.output
    original = load_scenario(NW)
    _same(original, load_scenario(nw_workbook))
    _same(original, load_scenario(back))


def test_round_trip_keeps_formula_like_text_and_17_digit_floats(tmp_path, formula_names_scenario):
    tiny = load_scenario(formula_names_scenario)
    wb_path = tmp_path / "tiny.xlsx"
    write_workbook(tiny, wb_path)
    _same(tiny, load_scenario(wb_path))
    wb = openpyxl.load_workbook(wb_path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    names = [c.value for c in wb["pcns"]["B"]]
    assert EVIL_PCN in names


def test_commands_accept_a_workbook(nw_workbook, tmp_path):
    result = run("validate", nw_workbook)
    assert result.exit_code == 0 and "valid" in result.output
    result = run("trajectory", nw_workbook)
    assert result.exit_code == 0 and "521.63" in result.output
    williams = tmp_path / "williams.xlsx"
    assert run("convert", WILLIAMS, williams).exit_code == 0
    result = run("plan", williams, "--out", tmp_path / "plan")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text())
    assert summary["objective_by_level"]["final_redundancy"] == pytest.approx(841.797, abs=1e-3)


def test_blank_template(tmp_path):
    out = tmp_path / "blank.xlsx"
    result = run("template", "--xlsx", out)
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["instructions", "scenario", *TABLES, "lists"]
    assert wb["lists"].sheet_state == "hidden"
    for name, model in TABLES.items():
        assert [c.value for c in wb[name][1]] == columns(model)
    quarters = [c.value for c in wb["lists"]["A"] if c.value][1:]
    assert "2019/20 Q1" in quarters and quarters[-1] == "2029/30 Q4"
    assert set(wb.defined_names) >= {"role_ids", "pcn_ids", "flow_ids", "quarters", "years", "periods"}
    formulas = {(dv.formula1, str(dv.sqref).split(":")[0]) for dv in wb["planned_flows"].data_validations.dataValidation}
    header = [c.value for c in wb["planned_flows"][1]]
    col = {name: openpyxl.utils.get_column_letter(i + 1) for i, name in enumerate(header)}
    assert ("=role_ids", f"{col['role']}2") in formulas
    assert ('"system,place,pcn"', f"{col['level']}2") in formulas
    assert ('"inflow,outflow"', f"{col['direction']}2") in formulas
    assert ("=flow_ids", f"{col['flow']}2") in formulas
    assert ("=periods", f"{col['period']}2") in formulas
    text = "\n".join(str(c.value) for row in wb["instructions"].iter_rows() for c in row if c.value)
    for name in TABLES:
        assert name in text
    assert "A planned headcount flow in a quarter or a span of quarters" in text
    assert "fraction from 0 to 1" in text
    # a blank template is not a valid scenario: the missing name is located on the scenario sheet
    result = run("validate", out)
    assert result.exit_code == 2
    assert re.search(r"blank\.xlsx \[sheet scenario\], row 2, column 'value': name: a value is required", result.output)
    assert run("template", "--xlsx", out).exit_code == 2
    assert run("template", "--xlsx", out, "--force").exit_code == 0


def _error_lines(output: str) -> list[str]:
    return [line.strip()[2:] for line in output.splitlines() if line.strip().startswith("- ")]


def test_workbook_errors_read_like_csv_errors(tmp_path):
    """The same bad cell in a CSV and in a workbook gives the same message, plus the sheet."""
    csv_dir = shutil.copytree(WILLIAMS, tmp_path / "csv")
    roles_csv = csv_dir / "roles.csv"
    lines = roles_csv.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[2].split(",")
    cells[header.index("participation_rate")] = "1.5"
    lines[2] = ",".join(cells)
    roles_csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    csv_result = run("validate", csv_dir)
    assert csv_result.exit_code == 2
    csv_errors = _error_lines(csv_result.output)

    wb_path = tmp_path / "bad.xlsx"
    write_workbook(load_scenario(WILLIAMS), wb_path)
    wb = openpyxl.load_workbook(wb_path)
    ws = wb["roles"]
    col = [c.value for c in ws[1]].index("participation_rate") + 1
    ws.cell(3, col).value = 1.5
    wb.save(wb_path)
    wb_result = run("validate", wb_path)
    assert wb_result.exit_code == 2
    wb_errors = _error_lines(wb_result.output)
    assert len(csv_errors) == len(wb_errors) == 1
    assert csv_errors[0].split("roles.csv", 1)[1] == wb_errors[0].split("bad.xlsx [sheet roles]", 1)[1]
    assert ", row 3, column 'participation_rate': value '1.5': " in wb_errors[0]


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda wb: setattr(wb["roles"], "title", "role"), "[sheet role]: unknown sheet; did you mean 'roles'?"),
    (lambda wb: wb["roles"].cell(1, 1, "rolle"), "[sheet roles], row 1, column 'rolle': unknown column; did you mean 'role'?"),
    (lambda wb: wb["roles"].cell(2, 1, "=A3"), "[sheet roles], row 2, column 'role': value '=A3': formula without a saved result"),
    (lambda wb: wb.remove(wb["scenario"]), "no 'scenario' sheet"),
    (lambda wb: wb["scenario"].append(["horizon.stepp", "year"]), "horizon.stepp: unknown setting"),
    (lambda wb: wb["scenario"].append(["extends", "../arrs"]), "'extends' is not supported in a workbook"),
    (lambda wb: wb["pcns"].cell(2, 1, "bad id!"), "[sheet pcns], row 2, column 'pcn': value 'bad id!'"),
])
def test_located_workbook_errors(tmp_path, edit, expected):
    path = tmp_path / "w.xlsx"
    write_workbook(load_scenario(WILLIAMS), path)
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert expected in str(info.value)


def test_not_a_workbook(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("not a zip", encoding="utf-8")
    result = run("validate", path)
    assert result.exit_code == 2 and "is not a readable .xlsx workbook" in result.output


def test_convert_refuses_to_overwrite(nw_workbook, tmp_path):
    out = tmp_path / "again.xlsx"
    assert run("convert", nw_workbook, out).exit_code == 0
    result = run("convert", nw_workbook, out)
    assert result.exit_code == 2 and "--force" in result.output
    assert run("convert", nw_workbook, out, "--force").exit_code == 0


def test_formula_cells_are_read_through_their_saved_values(tmp_path):
    """A workbook saved by Excel keeps each formula's last result: that is the value used."""
    import zipfile

    path = tmp_path / "w.xlsx"
    write_workbook(load_scenario(WILLIAMS), path)
    wb = openpyxl.load_workbook(path)
    ws = wb["roles"]
    col = [c.value for c in ws[1]].index("participation_rate") + 1
    ws.cell(3, col).value = 0.123456
    wb.save(path)
    patched = tmp_path / "patched.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(patched, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'(<c r="[A-Z]+\d+"[^>]*?)( t="n")?><v>0.123456</v>',
                              rb"\1><f>0.1+0.023456</f><v>0.123456</v>", data)
            dst.writestr(item, data)
    assert openpyxl.load_workbook(patched)["roles"].cell(3, col).data_type == "f"
    scenario = load_scenario(patched)
    assert scenario.rows["roles"][1].row.participation_rate == 0.123456
