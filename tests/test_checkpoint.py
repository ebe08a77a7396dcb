"""The NHS England checkpoint workbook (``wfplan export checkpoint``).

Exported from ``data/norfolk_waveney`` for 2019/20 at system level, the
workbook must hold the seed's entered figures as values
(``seeds/002:1841-1883``), live formulas in every calculated cell, and,
recalculated by a small independent evaluator, the seed's printed numbers in
every calculated cell.  Text from inputs that looks like a formula must be
written as text.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from tests.excel_fixtures import FORMULA_GRAMMAR, Evaluator
from tests.scenarios import EVIL_LABEL, EVIL_PCN, EVIL_ROLE
from wfplan.cli import main
from wfplan.files import excel_style

ROOT = Path(__file__).resolve().parents[1]
NW = ROOT / "data" / "norfolk_waveney"

# label: (Oct-Mar, Q1, Q2, Q3, Q4 headcount, year total, rate), seeds/002:1844-1854
INFLOWS = [
    ("New Fully Qualified GPs", (2, 5, 20, 6, 5), 36, 0.75),
    ("Induction & Refresher scherr", (0, 0, 0, 0, 3), 3, 0.6),
    ("International recruitment", (0, 0, 0, 2, 2), 4, 0.8),
    ("GP Retention Scheme", (0, 0, 3, 1, 3), 7, 0.4),
    ("Other GP retention initiative", (6, 6, 8, 8, 6), 28, 0.4),
    ("Other", (0, 0, 0, 0, 0), 0, 0.75),
    ("Nurses", (4, 6, 14, 11, 10), 41, 0.82),
    ("Direct Patient Care staff (excluding physician associates and pharmacists)", (0, 12, 11, 12, 11), 46, 0.7),
    ("Physician Associates", (0, 2, 2, 2, 2), 8, 0.85),
    ("Pharmacists", (0, 5, 5, 5, 5), 20, 0.86),
    ("Admin Staff", (0, 31, 31, 31, 31), 124, 0.66),
]
INFLOW_FTE = [
    (1.50, 3.75, 15.00, 4.50, 3.75, 27.00), (0.00, 0.00, 0.00, 0.00, 1.80, 1.80),
    (0.00, 0.00, 0.00, 1.60, 1.60, 3.20), (0.00, 0.00, 1.20, 0.40, 1.20, 2.80),
    (2.40, 2.40, 3.20, 3.20, 2.40, 11.20), (0.00, 0.00, 0.00, 0.00, 0.00, 0.00),
    (3.28, 4.92, 11.48, 9.02, 8.20, 33.62), (0.00, 8.40, 7.70, 8.40, 7.70, 32.20),
    (0.00, 1.70, 1.70, 1.70, 1.70, 6.80), (0.00, 4.30, 4.30, 4.30, 4.30, 17.20),
    (0.00, 20.46, 20.46, 20.46, 20.46, 81.84),
]
# seeds/002:1861-1867
OUTFLOWS = [
    ("Retirement", (8, 8, 8, 8, 8), 32, 0.88),
    ("Other", (5, 5, 5, 5, 5), 20, 0.8),
    ("Nurses", (2, 9, 9, 9, 5), 32, 0.82),
    ("Direct Patient Care staff (excluding physician associates and pharmacists)", (0, 9, 9, 10, 10), 38, 0.7),
    ("Physician Associates", (0, 0, 1, 0, 1), 2, 0.85),
    ("Pharmacists", (0, 0, 0, 0, 1), 1, 0.86),
    ("Admin Staff", (0, 24, 24, 24, 24), 96, 0.66),
]
OUTFLOW_FTE = [
    (7.04, 7.04, 7.04, 7.04, 7.04, 28.16), (4.00, 4.00, 4.00, 4.00, 4.00, 16.00),
    (1.64, 7.38, 7.38, 7.38, 4.10, 26.24), (0.00, 6.30, 6.30, 7.00, 7.00, 26.60),
    (0.00, 0.00, 0.85, 0.00, 0.85, 1.70), (0.00, 0.00, 0.00, 0.00, 0.86, 0.86),
    (0.00, 15.84, 15.84, 15.84, 15.84, 63.36),
]
# group: historic 17-18 Q1 .. 18-19 Q2, then net flow, forecast, Q1-Q4, plan, growth % (seeds/002:1878-1883)
ROLLING = {
    "GP": ((0.00, 541.90, 541.28, 534.88, 532.41, 528.77),
           (-7.14, 521.63, 516.74, 525.10, 523.76, 523.47, 523.47), 0.4),
    "Nurses": ((0.00, 368.54, 373.16, 370.42, 377.14, 379.99),
               (1.64, 381.63, 379.17, 383.27, 384.91, 389.01, 389.01), 1.9),
    "Direct Patient Care": ((0.00, 372.43, 372.25, 374.09, 374.49, 381.67),
                            (0.00, 381.67, 383.77, 385.17, 386.57, 387.27, 387.27), 1.5),
    # the seed prints 147.1% from an unrounded baseline; from its inputs growth is 146.97% (test_trajectory_seed)
    "Physician Associates": ((0.00, 0.80, 0.80, 3.47, 3.47, 3.47),
                             (0.00, 3.47, 5.17, 6.02, 7.72, 8.57, 8.57), 147.0),
    "Pharmacists": ((0.00, 4.20, 4.79, 5.93, 7.92, 10.43),
                    (0.00, 10.43, 14.73, 19.03, 23.33, 26.77, 26.77), 156.7),
    "Admin": ((0.00, 2021.51, 2034.60, 2042.15, 2009.60, 2043.84),
              (0.00, 2043.84, 2048.46, 2053.08, 2057.70, 2062.32, 2062.32), 0.9),
}


def _export(args: list[str]) -> None:
    result = CliRunner().invoke(main, ["export", "checkpoint", *args])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("checkpoint") / "nw_2019-20.xlsx"
    _export([str(NW), "--out", str(out), "--year", "2019/20", "--level", "system"])
    return out


@pytest.fixture(scope="module")
def sheet(workbook):
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames == ["norfolk_waveney"]
    return wb["norfolk_waveney"]


def _block_rows(ws, heading: str, count: int) -> list[int]:
    """Rows of a block's data: three rows below the block heading in column A."""
    start = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == heading)
    return list(range(start + 3, start + 3 + count))


def _rolling_rows(ws) -> dict[str, int]:
    start = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Rolling total FTE")
    return {ws.cell(r, 3).value: r for r in range(start + 2, start + 2 + len(ROLLING))}


@pytest.mark.parametrize(("heading", "expected"), [("Inflows", INFLOWS), ("Outflows", OUTFLOWS)])
def test_entered_values_equal_the_seed(sheet, heading, expected):
    for row, (label, headcounts, total, rate) in zip(_block_rows(sheet, heading, len(expected)), expected,
                                                     strict=True):
        assert sheet.cell(row, 2).value == label
        assert tuple(sheet.cell(row, c).value for c in range(3, 8)) == headcounts
        assert sheet.cell(row, 9).value == rate
        assert sheet.cell(row, 8).value == f"=SUM(D{row}:G{row})"
        assert total == sum(headcounts[1:])
        for c in range(3, 8):
            assert sheet.cell(row, c).fill.fgColor.rgb == excel_style.ENTER.fgColor.rgb


def test_historic_fte_are_values(sheet):
    for group, row in _rolling_rows(sheet).items():
        assert tuple(sheet.cell(row, c).value for c in range(4, 10)) == pytest.approx(ROLLING[group][0])


def test_calculated_cells_are_formulas(sheet):
    rows = _block_rows(sheet, "Inflows", len(INFLOWS)) + _block_rows(sheet, "Outflows", len(OUTFLOWS))
    for row in rows:
        assert sheet.cell(row, 10).value == f"=C{row}*$I{row}"
        assert sheet.cell(row, 11).value == f"=D{row}*$I{row}"
        assert all(sheet.cell(row, c).data_type == "f" for c in [8, *range(10, 16)])
        assert sheet.cell(row, 15).fill.fgColor.rgb == excel_style.CALCULATED.fgColor.rgb
    for row in _rolling_rows(sheet).values():
        assert all(sheet.cell(row, c).data_type == "f" for c in range(10, 18)), row
        assert sheet.cell(row, 11).value == f"=I{row}+J{row}"
        assert sheet.cell(row, 16).value == f"=O{row}"
        assert sheet.cell(row, 17).number_format == "0.0%"
    gp = _rolling_rows(sheet)["GP"]
    inflow_gp = _block_rows(sheet, "Inflows", 6)
    outflow_gp = _block_rows(sheet, "Outflows", 2)
    assert sheet.cell(gp, 10).value == (f"=SUM(J{inflow_gp[0]}:J{inflow_gp[-1]})"
                                        f"-SUM(J{outflow_gp[0]}:J{outflow_gp[-1]})")


def test_template_labels_and_quirks(sheet):
    values = {c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
    for label in ("Calculated Field", "Prepopulated Cell", "Enter Data in Cell", "2018/19 Inflows Oct-Mar",
                  "2018/19 Outflow Oct-Mar", "2019/20 Planned inflow", "2019/20 Planned outflow",
                  "Participation rate", "Historic Trend - FTE", "Forecast Plan - FTE", "2018/19 Net Flow",
                  "2018/19 Forecast", "2019/20 Plan", "Growth", "17-18 Q1", "18-19 Q2"):
        assert label in values, label
    heading = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "Outflows")
    assert sheet.cell(heading + 1, 15).value == "2019/20 Planned inflow"  # the template's own label


def test_recalculated_workbook_gives_the_seed_figures(sheet):
    ev = Evaluator(sheet)
    for heading, expected in (("Inflows", INFLOW_FTE), ("Outflows", OUTFLOW_FTE)):
        for row, fte in zip(_block_rows(sheet, heading, len(expected)), expected, strict=True):
            got = tuple(round(ev.value(f"{col}{row}"), 2) for col in "JKLMNO")
            assert got == fte, (heading, row)
    for group, row in _rolling_rows(sheet).items():
        _, figures, growth = ROLLING[group]
        got = tuple(round(ev.value(f"{col}{row}"), 2) for col in "JKLMNOP")
        assert got == figures, group
        assert round(ev.value(f"Q{row}") * 100, 1) == growth, group
    gp = _rolling_rows(sheet)["GP"]
    assert [round(ev.value(f"{c}{gp}"), 2) for c in "KLMNO"] == [521.63, 516.74, 525.10, 523.76, 523.47]


def test_every_formula_is_one_wfplan_wrote(workbook):
    wb = openpyxl.load_workbook(workbook)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert FORMULA_GRAMMAR.match(cell.value), (ws.title, cell.coordinate, cell.value)


def _sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet"))


def test_formula_like_names_export_as_text(formula_names_scenario, tmp_path):
    out = tmp_path / "tiny.xlsx"
    _export([str(formula_names_scenario), "--out", str(out), "--level", "pcn"])
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["pcn_a", "pcn_b"]
    ws = wb["pcn_a"]
    title = ws["A1"]
    assert title.data_type == "s" and title.value == f"GPFV workforce trajectory: {EVIL_PCN} (PCN)"
    labels = {ws.cell(r, 2).value: ws.cell(r, 2) for r in range(1, ws.max_row + 1)}
    assert labels[EVIL_LABEL].data_type == "s" and labels[EVIL_LABEL].quotePrefix
    xml = _sheet_xml(out)
    formulas = re.findall(r"<f>(.*?)</f>", xml)
    assert formulas and not any("HYPERLINK" in f or "minus" in f for f in formulas)


def test_plan_directory_gets_arrs_sheets_that_add_up(formula_names_scenario, tmp_path):
    plan_dir = tmp_path / "plan"
    result = CliRunner().invoke(main, ["plan", str(formula_names_scenario), "--out", str(plan_dir)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "plan.xlsx"
    _export([str(plan_dir), "--out", str(out)])
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["tinysys", "ARRS 2020-21", "ARRS 2021-22"]
    arrs = pd.read_csv(plan_dir / "arrs.csv")
    for year in ("2020/21", "2021/22"):
        ws = wb[f"ARRS {year.replace('/', '-')}"]
        head = {ws.cell(7, c).value: c for c in range(1, ws.max_column + 1)}
        assert f"{EVIL_ROLE} WTE" in head and ws.cell(7, head[f"{EVIL_ROLE} WTE"]).data_type == "s"
        ev = Evaluator(ws)
        for row in range(8, 10):
            pcn = ws.cell(row, 1).value
            expected = arrs[(arrs["pcn"] == pcn) & (arrs["year"] == year)].iloc[0]
            assert ws.cell(row, head["Headroom"]).data_type == "f"
            assert ev.value(ws.cell(row, head["Total claims"]).coordinate) == pytest.approx(expected["claims"])
            # the workbook sums the claims as written (12 significant digits): equal to a millionth of a penny
            assert ev.value(ws.cell(row, head["Headroom"]).coordinate) == pytest.approx(expected["headroom"],
                                                                                      abs=1e-6)
            assert ws.cell(row, head["Entitlement"]).value == pytest.approx(expected["entitlement"])
        assert ws["B8"].value == EVIL_PCN and ws["B8"].data_type == "s"
    assert "HYPERLINK" not in "".join(re.findall(r"<f>(.*?)</f>", _sheet_xml(out)))


def test_checkpoint_export_refuses_bad_year_suffix_and_overwrite_with_exit_2(formula_names_scenario, tmp_path):
    runner = CliRunner()
    out = tmp_path / "x.xlsx"
    bad_year = runner.invoke(main, ["export", "checkpoint", str(formula_names_scenario), "--out", str(out), "--year", "2030/31"])
    assert bad_year.exit_code == 2 and "no quarterly flows in 2030/31" in bad_year.output
    assert runner.invoke(main, ["export", "checkpoint", str(formula_names_scenario), "--out", str(tmp_path / "x.csv")]).exit_code == 2
    assert runner.invoke(main, ["export", "checkpoint", str(formula_names_scenario), "--out", str(out), "--year", "2020"]).exit_code == 2
    assert runner.invoke(main, ["export", "checkpoint", str(formula_names_scenario), "--out", str(out)]).exit_code == 0
    again = runner.invoke(main, ["export", "checkpoint", str(formula_names_scenario), "--out", str(out)])
    assert again.exit_code == 2 and "--force" in again.output
    assert not list(tmp_path.glob(".*tmp"))


def test_net_flow_over_more_than_the_earlier_column_is_a_value(formula_names_scenario, tmp_path):
    """Historic FTE ends in 2019/20 Q2, the year is 2021/22: the net flow runs from 2019/20 Q3 to
    2020/21 Q4, wider than the earlier column (2020/21), so it is written as a prepopulated value
    and the quarters still recalculate to the engine's figures."""
    from wfplan.results import trajectory
    from wfplan.scenario.load import load_scenario

    scenario_dir = shutil.copytree(formula_names_scenario, tmp_path / "later")
    with (scenario_dir / "planned_flows.csv").open("a", encoding="utf-8") as handle:
        handle.write("pcn,pcn_a,pharmacist,inflow,new_recruit,2021/22 Q2,1,test\n")
    out = tmp_path / "later.xlsx"
    _export([str(scenario_dir), "--out", str(out), "--level", "pcn", "--year", "2021/22"])
    ws = openpyxl.load_workbook(out)["pcn_a"]
    rows = _rolling_rows(ws)
    row = next(r for g, r in rows.items() if g == "Pharmacists")
    assert ws.cell(row, 10).data_type == "n" and ws.cell(row, 10).fill.fgColor.rgb == excel_style.PREPOPULATED.fgColor.rgb
    assert "over 2019/20 Q3 to 2020/21 Q4" in ws.cell(row, 10).comment.text
    expected = trajectory.compute(load_scenario(scenario_dir), level="pcn").rolling
    expected = expected[(expected["area"] == "pcn_a") & (expected["staff_group"] == "Pharmacists")
                        & (expected["year"] == "2021/22")].iloc[0]
    ev = Evaluator(ws)
    for col, key in zip("JKLMNOP", ("net_flow", "forecast", "Q1", "Q2", "Q3", "Q4", "plan"), strict=True):
        assert ev.value(f"{col}{row}") == pytest.approx(expected[key]), key
