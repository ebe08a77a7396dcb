"""Bombs and extremes: nesting, long keys, alias expansion, deep ``extends``, workbooks
whose used range reaches the last cell or that hold XML entities or unpack to
gigabytes, absurd numbers, enormous or control-character text.

Each must end in exit 2 with a located message, in seconds and bounded memory
(the hostile cases run in a subprocess with a 1 GiB address-space limit and a
60 s timeout), and whatever is written must be valid (JSON without NaN or
Infinity, workbooks Excel can open, charts that show names as text).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from pydantic import BaseModel

from tests.cli_run import invoke
from tests.scenarios import write_scenario
from wfplan.scenario.manifest import Manifest
from wfplan.scenario.schema import TABLES

ROOT = Path(__file__).resolve().parents[1]
MEMORY_LIMIT = 1024**3
TIME_LIMIT = 60.0

LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from wfplan.cli import main
sys.argv = ["wfplan", *sys.argv[1:]]
main()
"""


def run_bounded(*args: object) -> tuple[int, str, float]:
    """``wfplan ARGS`` in a subprocess limited to 1 GiB of address space: (exit code, stderr, seconds)."""
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", LIMITED.format(limit=MEMORY_LIMIT), *map(str, args)],
                          capture_output=True, text=True, timeout=TIME_LIMIT, cwd=ROOT)
    seconds = time.monotonic() - started
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "MemoryError" not in proc.stderr, proc.stderr[-3000:]
    return proc.returncode, proc.stderr, seconds


def _bounded_rejection(scenario: Path, *needles: str) -> str:
    code, err, seconds = run_bounded("validate", scenario)
    assert code == 2, err[-3000:]
    for needle in needles:
        assert needle in err, err[-3000:]
    assert len(err) < 20_000, "the message echoes the hostile input"
    assert seconds < TIME_LIMIT
    return err


def _manifest(directory: Path, text: str, name: str = "scenario.toml") -> Path:
    (directory / "scenario.toml").unlink()
    (directory / name).write_text(text, encoding="utf-8")
    return directory


# --- manifests ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "text", "needle"), [
    ("scenario.toml", 'name = "x"\nobjective = ' + "[" * 100_000 + "]" * 100_000 + "\n", "nests too deeply"),
    ("scenario.toml", 'name = "x"\n' + ".".join(["a"] * 200_000) + " = 1\n", "dotted key has more than"),
    ("scenario.toml", 'name = "x"\n[' + ".".join(["a"] * 200_000) + "]\n", "dotted key has more than"),
    ("scenario.yaml", "name: x\nobjective: " + "[" * 100_000 + "]" * 100_000 + "\n", "levels deep"),
    ("scenario.yaml", "name: x\nx: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n", "levels deep"),
    ("scenario.yaml", 'name: x\na: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
     + "".join(f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)),
     "aliases expanded"),
    ("scenario.toml", 'name = "x"\ndescription = "' + "d" * (50 * 1024 * 1024) + '"\n', "larger than"),
], ids=["toml_nesting", "toml_dotted_key", "toml_dotted_header", "yaml_nesting", "yaml_flow_nesting",
        "yaml_billion_laughs", "manifest_50MB"])
def test_manifest_bombs_are_located_errors_in_bounded_time_and_memory(tmp_path: Path, name: str, text: str,
                                                                     needle: str) -> None:
    scenario = _manifest(write_scenario(tmp_path / "s"), text, name)
    _bounded_rejection(scenario, name, needle)


def test_a_chain_of_1200_extends_is_refused_after_16(tmp_path: Path) -> None:
    write_scenario(tmp_path / "d0")
    for i in range(1, 1200):
        (tmp_path / f"d{i}").mkdir()
        (tmp_path / f"d{i}" / "scenario.toml").write_text(f'name = "d{i}"\nextends = ["../d{i - 1}"]\n')
    err = _bounded_rejection(tmp_path / "d1199", "extends chain is longer than 16")
    assert re.search(r"d11[89]\d/scenario.toml", err), err


def test_a_diamond_of_extends_is_bounded(tmp_path: Path) -> None:
    """Each layer extends the next one twice over: 2**30 loads without a bound on layers."""
    write_scenario(tmp_path / "d0")
    for i in range(1, 31):
        (tmp_path / f"d{i}").mkdir()
        (tmp_path / f"d{i}" / "scenario.toml").write_text(
            f'name = "d{i}"\nextends = ["../d{i - 1}", "../d{i - 1}/."]\n')
    _bounded_rejection(tmp_path / "d30", "extends")


# --- workbooks --------------------------------------------------------------------------------------------------


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return write_scenario(tmp_path / "s", workbook=tmp_path / "w.xlsx")


def _patch(path: Path, member_pattern: str, edit) -> Path:
    patched = path.with_name("patched.xlsx")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if re.fullmatch(member_pattern, item.filename):
                data = edit(data)
            dst.writestr(item, data)
    return patched


def _sheet_number(path: Path, title: str) -> int:
    with zipfile.ZipFile(path) as archive:
        names = re.findall(rb'<sheet [^>]*name="([^"]+)"', archive.read("xl/workbook.xml"))
    return [n.decode() for n in names].index(title) + 1


def test_a_sheet_whose_used_range_reaches_the_last_cell(workbook: Path) -> None:
    number = _sheet_number(workbook, "roles")
    patched = _patch(workbook, f"xl/worksheets/sheet{number}.xml", lambda d: d.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'))
    code, err, seconds = run_bounded("validate", patched)
    assert code == 2 and "roles" in err and "XFD1048576" in err and "delete the unused" in err, err
    assert seconds < 30


def _styled_empty_rows(workbook: Path, count: int) -> Path:
    number = _sheet_number(workbook, "supply")
    rows = b"".join(b'<row r="%d"><c r="A%d" s="1"/></row>' % (r, r) for r in range(10, 10 + count))
    return _patch(workbook, f"xl/worksheets/sheet{number}.xml", lambda d: d.replace(b"</sheetData>",
                                                                                   rows + b"</sheetData>"))


def test_styled_empty_rows_below_the_data_are_read_as_blank(workbook: Path) -> None:
    code, err, seconds = run_bounded("validate", _styled_empty_rows(workbook, 50_000))
    assert code == 0, err
    assert seconds < 30


def test_a_million_cells_are_refused_before_parsing(workbook: Path) -> None:
    code, err, seconds = run_bounded("validate", _styled_empty_rows(workbook, 600_000))
    assert code == 2 and "more than 1,000,000 cells and rows" in err, err
    assert seconds < 20


@pytest.mark.parametrize("member", ["xl/styles.xml", r"xl/worksheets/sheet\d+.xml", "xl/workbook.xml"])
def test_a_workbook_with_xml_entities_is_refused(workbook: Path, member: str) -> None:
    def entities(data: bytes) -> bytes:
        head, _, body = data.partition(b"?>")
        return head + b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' + body

    patched = _patch(workbook, member, entities)
    code, err, _ = run_bounded("validate", patched)
    assert code == 2 and "document type declaration" in err, err


def test_a_workbook_that_unpacks_to_more_than_the_limit(workbook: Path) -> None:
    bomb = workbook.with_name("bomb.xlsx")
    with zipfile.ZipFile(workbook) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/media/zeros.bin", b"\0" * (5 * 1024 * 1024))
    assert bomb.stat().st_size < 200_000
    code, err, _ = run_bounded("--max-input-mb", "1", "validate", bomb)
    assert code == 2 and "unpacks to more than" in err, err


def test_a_damaged_workbook_is_a_located_error(workbook: Path) -> None:
    number = _sheet_number(workbook, "roles")
    patched = _patch(workbook, f"xl/worksheets/sheet{number}.xml", lambda d: d[: len(d) // 2])
    code, err, _ = run_bounded("validate", patched)
    assert code == 2 and "patched.xlsx" in err, err


# --- numbers --------------------------------------------------------------------------------------------------


def _float_fields(model: type[BaseModel]) -> list[str]:
    return [name for name, f in model.model_fields.items() if "float" in str(f.annotation)]


def test_every_number_column_has_a_documented_upper_bound() -> None:
    for table, model in TABLES.items():
        for name in _float_fields(model):
            highs = [m.le for m in model.model_fields[name].metadata if getattr(m, "le", None) is not None]
            assert highs and highs[0] <= 1e12, f"{table}.{name} has no sane upper bound"
    for section in ("objective", "model"):
        model = Manifest.model_fields[section].annotation
        for name in _float_fields(model):
            if name == "relative_tolerance":
                continue
            highs = [m.le for m in model.model_fields[name].metadata if getattr(m, "le", None) is not None]
            assert highs, f"manifest {section}.{name} has no upper bound"


@pytest.mark.parametrize(("table", "column", "row", "value"), [
    ("roles", "annual_cost", 2, "1e308"),
    ("roles", "capacity", 2, "1e308"),
    ("arrs_roles", "cap_per_wte", 2, "1e308"),
    ("arrs_years", "entitlement_per_pcn", 2, "1e308"),
    ("budgets", "amount", 2, "1e308"),
    ("pcns", "weighted_list", 2, "1e-320"),
    ("pcns", "registered_list", 2, "1e308"),
    ("supply", "max_starters", 2, "1e-320"),
    ("attrition", "annual_rate", 2, "1e-320"),
    ("targets", "penalty", 2, "1e308"),
], ids=lambda v: str(v))
def test_absurd_numbers_are_located_errors(tmp_path: Path, table: str, column: str, row: int, value: str) -> None:
    scenario = write_scenario(tmp_path / "s")
    path = scenario / f"{table}.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    result, text = invoke(["plan", str(scenario), "--out", str(out)])
    assert result.exit_code == 2, text
    assert f"{table}.csv, row {row}, column '{column}': value '{value}'" in text, text
    assert not out.exists()


def test_a_tiny_population_in_a_target_is_refused(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path / "s", {"targets": (
        "target,role,basis,quantity,population,by\nfcp_pop,fcp,per_population,1,1e-320,2022/23 Q4\n")})
    result, text = invoke(["validate", str(scenario)])
    assert result.exit_code == 2 and "column 'population'" in text, text


def test_summary_json_is_strict_json(tmp_path: Path) -> None:
    from wfplan.files.output import write_json

    path = tmp_path / "x.json"
    write_json({"a": float("inf"), "b": [float("nan"), 1.5], "c": {"d": -float("inf")}}, path)
    data = json.loads(path.read_text(), parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert data == {"a": None, "b": [None, 1.5], "c": {"d": None}}


def test_a_plans_summary_parses_as_strict_json(tiny_plan: Path) -> None:
    json.loads((tiny_plan / "summary.json").read_text(), parse_constant=lambda name: pytest.fail(name))


# --- text in messages, names and outputs ---------------------------------------------------------------------


def test_a_100k_character_name_is_echoed_cut(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path / "s")
    roles = scenario / "roles.csv"
    roles.write_text(roles.read_text().replace("First contact physiotherapist", "N" * 100_000))
    result, text = invoke(["validate", str(scenario)])
    assert result.exit_code == 2
    assert "more characters" in text and len(text) < 5_000, len(text)


@pytest.mark.parametrize(("char", "shown"), [("\x1b", "\\x1b"), ("\x07", "\\x07"), ("\u202e", "\\u202e")],
                         ids=["ESC", "BEL", "RLO"])
def test_control_characters_in_names_are_refused_and_shown_escaped(tmp_path: Path, char: str, shown: str) -> None:
    scenario = write_scenario(tmp_path / "s")
    roles = scenario / "roles.csv"
    roles.write_text(roles.read_text().replace("First contact", f"First{char}[31m contact"))
    result, text = invoke(["validate", str(scenario)])
    assert result.exit_code == 2, text
    assert "roles.csv, row 2, column 'name'" in text and "control character" in text
    assert char not in text and shown in text


def test_control_characters_in_echoed_values_of_any_column_are_escaped(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path / "s")
    supply = scenario / "supply.csv"
    supply.write_text(supply.read_text().replace(",2\n", ",\x1b]0;pwned\x07\n"))
    result, text = invoke(["validate", str(scenario)])
    assert result.exit_code == 2
    assert "\x1b" not in text and "\x07" not in text and "\\x1b" in text


def test_tabs_and_line_breaks_in_notes_are_kept_and_exported(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path / "s", {"roles": (
        "role,name,staff_group,participation_rate,annual_cost,capacity,funding_budget,note\n"
        'fcp,First contact physiotherapist,Direct Patient Care,1,56000,2000,practice,"line one\nline\ttwo"\n'
        "pa,Physician associate,Physician Associates,1,53000,3000,practice,\n")})
    result, text = invoke(["convert", str(scenario), str(tmp_path / "s.xlsx")])
    assert result.exit_code == 0, text
    result, text = invoke(["validate", str(tmp_path / "s.xlsx")])
    assert result.exit_code == 0, text


def test_excel_writers_drop_characters_excel_cannot_hold() -> None:
    from openpyxl import Workbook

    from wfplan.files.excel_safety import safe_text

    ws = Workbook().active
    cell = safe_text(ws.cell(1, 1), "bad\x1b\x00name\x07")
    assert cell.value == "badname"


def test_dollar_signs_in_names_reach_charts_as_text(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path / "s")
    roles = scenario / "roles.csv"
    roles.write_text(roles.read_text().replace("First contact physiotherapist", r"FCP $\frac{1}{0}$ $x^2$ \$"))
    result, text = invoke(["plan", str(scenario), "--out", str(tmp_path / "plan")])
    assert result.exit_code == 0, text
    result, text = invoke(["report", str(tmp_path / "plan"), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 0, text
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert r"FCP $\frac{1}{0}$ $x^2$ \$" in html
    result, text = invoke(["pack", str(tmp_path / "plan"), "--out", str(tmp_path / "p.html")])
    assert result.exit_code == 0, text
    pack = (tmp_path / "p.html").read_text(encoding="utf-8")
    chart = pack[pack.index("<svg"):pack.index("</svg>")]
    assert r"FCP $\frac{1}{0}$ $x^2$ \$" in chart  # the chart's panel title, as text


def test_markup_in_names_is_escaped_in_the_report_and_the_pack(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path / "s")
    pcns = scenario / "pcns.csv"
    pcns.write_text(pcns.read_text().replace("Breckland PCN", "<script>alert(1)</script> & co"))
    roles = scenario / "roles.csv"
    roles.write_text(roles.read_text().replace("First contact physiotherapist", "<b>FCP</b>"))
    result, text = invoke(["plan", str(scenario), "--out", str(tmp_path / "plan")])
    assert result.exit_code == 0, text
    for command, out in (("report", "r.html"), ("pack", "p.html")):
        result, text = invoke([command, str(tmp_path / "plan"), "--out", str(tmp_path / out)])
        assert result.exit_code == 0, text
        page = (tmp_path / out).read_text(encoding="utf-8")
        assert "<script>" not in page and "<b>FCP</b>" not in page, command
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page, command
        assert "&lt;b&gt;FCP&lt;/b&gt;" in page, command
