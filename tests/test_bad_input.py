"""Malformed scenarios: a corpus of small mutations of two valid scenarios.

Every bad scenario must be rejected by ``wfplan validate`` and ``wfplan plan``
with exit code 2 and an ``error:`` message that names the file and, where the
problem is in a cell, the row, the column and the value; never a traceback,
and ``plan --out DIR`` must leave no ``DIR`` (nor a staging directory) behind.
Spreadsheet habits that are not mistakes (a UTF-8 BOM, Windows-1252 text, a
header-only table, a name starting with ``=``...) must load and plan.

The bases are ``examples/williams_manpower`` (yearly, self-contained) and a
tiny quarterly NHS scenario :data:`tests.scenarios.NHS` (one system, one
place, two PCNs, two roles, ARRS 2020/21-2021/22).  Each mutation edits one cell, header or
file of a fresh copy.
"""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result

from tests.cli_run import invoke
from tests.scenarios import NHS, write_scenario

ROOT = Path(__file__).resolve().parents[1]
WILLIAMS = ROOT / "examples" / "williams_manpower"

Mutation = Callable[[Path], None]

# --- mutation helpers ---------------------------------------------------------
# Rows are numbered as a spreadsheet shows them: the header is row 1.


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def _edit_rows(table: str, edit: Callable[[list[list[str]]], None]) -> Mutation:
    def mutate(d: Path) -> None:
        rows = _read(d / f"{table}.csv")
        edit(rows)
        _write(d / f"{table}.csv", rows)

    return mutate


def set_cell(table: str, row: int, column: str, value: str) -> Mutation:
    def edit(rows: list[list[str]]) -> None:
        header = rows[0]
        if column not in header:
            header.append(column)
            for other in rows[1:]:
                other.append("")
        rows[row - 1][header.index(column)] = value

    return _edit_rows(table, edit)


def drop_column(table: str, column: str) -> Mutation:
    def edit(rows: list[list[str]]) -> None:
        i = rows[0].index(column)
        for r in rows:
            del r[i]

    return _edit_rows(table, edit)


def add_column(table: str, column: str, value: str) -> Mutation:
    def edit(rows: list[list[str]]) -> None:
        rows[0].append(column)
        for r in rows[1:]:
            r.append(value)

    return _edit_rows(table, edit)


def rename_column(table: str, old: str, new: str) -> Mutation:
    def edit(rows: list[list[str]]) -> None:
        rows[0][rows[0].index(old)] = new

    return _edit_rows(table, edit)


def duplicate_row(table: str, row: int) -> Mutation:
    return _edit_rows(table, lambda rows: rows.append(list(rows[row - 1])))


def append_row(table: str, values: dict[str, str]) -> Mutation:
    return _edit_rows(table, lambda rows: rows.append([values.get(c, "") for c in rows[0]]))


def delete_row(table: str, row: int) -> Mutation:
    return _edit_rows(table, lambda rows: rows.pop(row - 1))


def append_cells(table: str, row: int, *cells: str) -> Mutation:
    return _edit_rows(table, lambda rows: rows[row - 1].extend(cells))


def truncate_row(table: str, row: int, keep: int) -> Mutation:
    def edit(rows: list[list[str]]) -> None:
        rows[row - 1] = rows[row - 1][:keep]

    return _edit_rows(table, edit)


def write_file(name: str, data: str | bytes) -> Mutation:
    def mutate(d: Path) -> None:
        path = d / name
        if path.is_dir():
            shutil.rmtree(path)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")

    return mutate


def replace_text(name: str, old: str, new: str) -> Mutation:
    def mutate(d: Path) -> None:
        path = d / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"mutation does not apply: {old!r} not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return mutate


def manifest_prepend(text: str) -> Mutation:
    """Top-level manifest keys must come before the first [table]."""

    def mutate(d: Path) -> None:
        path = d / "scenario.toml"
        path.write_text(text + path.read_text(encoding="utf-8"), encoding="utf-8")

    return mutate


def manifest_append(text: str) -> Mutation:
    def mutate(d: Path) -> None:
        path = d / "scenario.toml"
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(d: Path) -> None:
        for m in mutations:
            m(d)

    return mutate


def directory_instead_of(name: str) -> Mutation:
    def mutate(d: Path) -> None:
        (d / name).unlink()
        (d / name).mkdir()
        (d / name / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")

    return mutate


def table_outside(d: Path) -> None:
    shutil.copy(d / "supply.csv", d.parent / "x.csv")
    manifest_append('\n[tables]\nsupply = "../x.csv"\n')(d)


def table_absolute(d: Path) -> None:
    shutil.copy(d / "supply.csv", d.parent / "x.csv")
    manifest_append(f'\n[tables]\nsupply = "{(d.parent / "x.csv").as_posix()}"\n')(d)


def table_is_directory(d: Path) -> None:
    (d / "tables").mkdir()
    manifest_append('\n[tables]\nsupply = "tables"\n')(d)


def extends_cycle(d: Path) -> None:
    base = d.parent / "base"
    base.mkdir()
    (base / "scenario.toml").write_text('name = "base"\nextends = ["../scenario"]\n', encoding="utf-8")
    manifest_prepend('extends = ["../base"]\n')(d)


def arrs_year_gap(d: Path) -> None:
    """Three ARRS years (2020/21-2022/23), then the middle one deleted."""
    append_row("arrs_years", {"year": "2022/23", "entitlement_per_weighted_patient": "9", "source": "t"})(d)
    delete_row("arrs_years", 3)(d)


def remove_manifest(d: Path) -> None:
    (d / "scenario.toml").unlink()


def yaml_manifest(text: str) -> Mutation:
    def mutate(d: Path) -> None:
        (d / "scenario.toml").unlink()
        (d / "scenario.yaml").write_text(text, encoding="utf-8")

    return mutate


MARKER = "python_tag_was_executed"


def yaml_python_tag(d: Path) -> None:
    marker = (d.parent / MARKER).as_posix()
    yaml_manifest(
        f'name: !!python/object/apply:os.system ["echo hi > {marker}"]\n'
        "horizon:\n  start: 2020/21 Q1\n  end: 2021/22 Q4\n"
    )(d)


def python_tag_not_executed(d: Path) -> None:
    assert not (d.parent / MARKER).exists(), "the YAML python tag was executed"


def unclosed_quote(d: Path) -> None:
    path = d / "roles.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("pharmacist,Clinical pharmacist,", 'pharmacist,"Clinical pharmacist,'),
                    encoding="utf-8")


def remove_horizon(d: Path) -> None:
    path = d / "scenario.toml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\[horizon\]\n(?:[^\[]*\n)", "", text)
    assert "horizon" not in text
    path.write_text(text, encoding="utf-8")


# --- valid variants -------------------------------------------------------------


def with_bom(table: str) -> Mutation:
    def mutate(d: Path) -> None:
        path = d / f"{table}.csv"
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    return mutate


def cp1252_pound_note(d: Path) -> None:
    set_cell("roles", 2, "note", "costs \u00a350,000 a year \u2013 est.")(d)
    path = d / "roles.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252"))
    assert b"\xa3" in path.read_bytes()


def header_only(table: str) -> Mutation:
    def mutate(d: Path) -> None:
        path = d / f"{table}.csv"
        path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")

    return mutate


def crlf_everywhere(d: Path) -> None:
    for path in d.glob("*.csv"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))


def blank_rows(table: str) -> Mutation:
    def mutate(d: Path) -> None:
        path = d / f"{table}.csv"
        width = len(_read(path)[0])
        path.write_text(path.read_text(encoding="utf-8") + "\n" + "," * (width - 1) + "\n\n", encoding="utf-8")

    return mutate


def padded_cells(table: str) -> Mutation:
    def edit(rows: list[list[str]]) -> None:
        rows[:] = [[f"  {c} " if c else c for c in r] for r in rows]

    return _edit_rows(table, edit)


def reversed_columns(table: str) -> Mutation:
    def edit(rows: list[list[str]]) -> None:
        rows[:] = [list(reversed(r)) for r in rows]

    return _edit_rows(table, edit)


def split_into_base(d: Path) -> None:
    """The ARRS tables in a base scenario that this one extends."""
    base = d.parent / "arrs_base"
    base.mkdir()
    (base / "scenario.toml").write_text('name = "ARRS base"\n', encoding="utf-8")
    for table in ("arrs_years", "arrs_roles", "roles", "attrition"):
        shutil.move(d / f"{table}.csv", base / f"{table}.csv")
    manifest_prepend('extends = ["../arrs_base"]\n')(d)


def yaml_equivalent(d: Path) -> None:
    yaml_manifest(
        'name: "Tiny quarterly NHS scenario (YAML)"\n'
        'horizon:\n  start: "2020/21 Q1"\n  end: "2021/22 Q4"\n  step: quarter\n'
    )(d)


# --- the corpus ---------------------------------------------------------------


# --- tables of the 2025/26 rules and the years people plan now (each written by its mutation) ---------

LEAVERS = "level,area,role,period,headcount,reason,source\n"
ON_COURSE_SETUP = both(
    write_file("roles.csv", NHS.tables["roles"]
               + "tna,Trainee nursing associate,Direct Patient Care,1,26000,1000,test\n"
               + "na,Nursing associate,Direct Patient Care,1,29000,2000,test\n"),
    write_file("transitions.csv", "transition,from_role,to_role,lead_periods,success_rate,source\n"
                                  "tna_to_na,tna,na,8,0.9,test\nretrain,tna,na,0,1,test\n"),
    append_row("staff_in_post", {"level": "pcn", "area": "pcn_a", "role": "tna", "as_at": "2019/20 Q4",
                                 "headcount": "2", "source": "t"}),
)
ON_COURSE = "level,area,transition,started,completes,headcount,source\n"
ROUTES = ("year,role,route,label,arrs_claimable,source\n"
          "2021/22,splw,external,Recruited from outside the PCN,true,test\n"
          "2021/22,splw,from_member_practice,Employed by a member practice in the last 12 months,false,test\n")
POTS = "year,pot,entitlement_per_weighted_patient,entitlement_per_pcn,source\n2021/22,gp_ringfenced,1.3,,test\n"


def with_leavers(row: str) -> Mutation:
    return write_file("planned_leavers.csv", LEAVERS + row + "\n")


def with_trainees(row: str) -> Mutation:
    return both(ON_COURSE_SETUP, write_file("trainees_on_course.csv", ON_COURSE + row + "\n"))


def with_pot(role_row: int = 4, year_flags: dict[str, str] | None = None) -> Mutation:
    """The 2021/22 pharmacist row paid from a ring-fenced pot (optionally with arrs_years flags)."""
    steps = [write_file("arrs_pots.csv", POTS), set_cell("arrs_roles", role_row, "pot", "gp_ringfenced")]
    steps += [set_cell("arrs_years", 3, column, value) for column, value in (year_flags or {}).items()]
    return both(*steps)


def all_new_tables_valid(d: Path) -> None:
    """Every new table, valid: the scenario must still validate and plan."""
    both(ON_COURSE_SETUP,
         write_file("planned_leavers.csv", LEAVERS + "pcn,pcn_a,pharmacist,2021/22 Q2,1,retirement,t\n"),
         write_file("trainees_on_course.csv", ON_COURSE + "pcn,pcn_a,tna_to_na,2019/20 Q3,,1,t\n"),
         write_file("role_costs.csv", "role,year,annual_cost,source\npharmacist,2020/21,50000,t\n"
                                      "pharmacist,2021/22,51500,t\n"),
         write_file("recruitment_routes.csv", ROUTES),
         append_row("supply", {"role": "splw", "level": "pcn", "area": "pcn_a", "period": "2020/21 Q2",
                               "max_starters": "1", "source": "t"}),
         set_cell("supply", 6, "route", "external"),
         with_pot(),
         set_cell("arrs_years", 2, "combined_pot", "true"),
         set_cell("arrs_years", 2, "no_number_caps", "true"),
         set_cell("arrs_roles", 5, "uncapped", "true"))(d)


@dataclass(frozen=True)
class Bad:
    """A mutation and where the error message must point."""

    id: str
    mutate: Mutation
    file: str  # a file (or directory) name the located message must name
    row: int | None = None
    column: str | None = None
    value: str | None = None  # as shown, e.g. "'abc'"
    contains: tuple[str, ...] = ()  # further text anywhere in the output
    base: str = "nhs"
    commands: tuple[str, ...] = ("validate", "plan")
    target: Callable[[Path], Path] | None = None  # what to pass instead of the scenario directory
    check: Mutation | None = None  # extra assertion on the scenario directory afterwards


BAD: list[Bad] = [
    # headers
    Bad("missing_required_column", drop_column("staff_in_post", "headcount"), "staff_in_post.csv",
        column="headcount", contains=("required column is missing",)),
    Bad("extra_unknown_column", add_column("roles", "colour", "blue"), "roles.csv", row=1,
        column="colour", contains=("unknown column",)),
    Bad("misspelt_column_did_you_mean", rename_column("supply", "max_starters", "max_startrs"), "supply.csv",
        row=1, column="max_startrs", contains=("did you mean 'max_starters'",)),
    Bad("column_in_wrong_case", rename_column("attrition", "role", "Role"), "attrition.csv", row=1,
        column="Role", contains=("did you mean 'role'",)),
    Bad("column_twice", add_column("places", "source", "again"), "places.csv", row=1, column="source",
        contains=("twice",)),
    # cell types and ranges
    Bad("text_in_number", set_cell("staff_in_post", 2, "headcount", "abc"), "staff_in_post.csv", row=2,
        column="headcount", value="'abc'"),
    Bad("text_suffix_in_count", set_cell("practices", 3, "registered_list", "12abc"), "practices.csv",
        row=3, column="registered_list", value="'12abc'"),
    Bad("blank_required_text", set_cell("roles", 2, "name", ""), "roles.csv", row=2, column="name",
        contains=("required",)),
    Bad("blank_required_number", set_cell("arrs_roles", 3, "cap_per_wte", " "), "arrs_roles.csv", row=3,
        column="cap_per_wte", contains=("required",)),
    Bad("nan_headcount", set_cell("staff_in_post", 2, "headcount", "NaN"), "staff_in_post.csv", row=2,
        column="headcount", value="'NaN'"),
    Bad("inf_max_starters", set_cell("supply", 2, "max_starters", "inf"), "supply.csv", row=2,
        column="max_starters", value="'inf'", contains=("finite",)),
    Bad("negative_headcount", set_cell("planned_flows", 2, "headcount", "-3"), "planned_flows.csv", row=2,
        column="headcount", value="'-3'"),
    Bad("absurd_headcount_1e12", set_cell("staff_in_post", 2, "headcount", "1e12"), "staff_in_post.csv",
        row=2, column="headcount", value="'1e12'"),
    Bad("absurd_list_size", set_cell("practices", 2, "registered_list", "1000000000000"), "practices.csv",
        row=2, column="registered_list"),
    Bad("absurd_target_quantity_1e300", set_cell("targets", 2, "quantity", "1e300"), "targets.csv", row=2,
        column="quantity", value="'1e300'"),
    Bad("absurd_annual_cost_1e300", set_cell("roles", 2, "annual_cost", "1e300"), "roles.csv", row=2,
        column="annual_cost", value="'1e300'"),
    Bad("meaningless_cap_per_wte_1e-320", set_cell("arrs_roles", 3, "cap_per_wte", "1e-320"), "arrs_roles.csv", row=3,
        column="cap_per_wte", contains=("too small to be meaningful",)),
    Bad("participation_rate_1_5", set_cell("roles", 2, "participation_rate", "1.5"), "roles.csv", row=2,
        column="participation_rate", value="'1.5'"),
    Bad("negative_attrition_rate", set_cell("attrition", 2, "annual_rate", "-0.1"), "attrition.csv", row=2,
        column="annual_rate", value="'-0.1'"),
    Bad("flow_participation_rate_1_5", set_cell("flow_types", 3, "participation_rate", "1.5"),
        "flow_types.csv", row=3, column="participation_rate"),
    Bad("unknown_staff_group", set_cell("roles", 3, "staff_group", "Doctors"), "roles.csv", row=3,
        column="staff_group", value="'Doctors'"),
    Bad("unknown_direction", set_cell("flow_types", 2, "direction", "sideways"), "flow_types.csv", row=2,
        column="direction", value="'sideways'"),
    Bad("unknown_level", set_cell("supply", 2, "level", "county"), "supply.csv", row=2, column="level",
        value="'county'"),
    Bad("id_with_space", set_cell("places", 2, "place", "north place"), "places.csv", row=2, column="place"),
    Bad("bad_boolean", set_cell("historic_fte", 2, "estimate", "maybe"), "historic_fte.csv", row=2,
        column="estimate", value="'maybe'"),
    Bad("estimate_without_note", set_cell("historic_fte", 2, "estimate", "true"), "historic_fte.csv", row=2,
        contains=("note",)),
    Bad("both_arrs_entitlements", set_cell("arrs_years", 2, "entitlement_per_pcn", "50000"),
        "arrs_years.csv", row=2, contains=("exactly one",)),
    Bad("per_population_without_population", set_cell("targets", 2, "basis", "per_population"),
        "targets.csv", row=2, contains=("population",)),
    # row shape
    Bad("row_longer_than_header", append_cells("supply", 3, "oops"), "supply.csv", row=3, value="'oops'",
        contains=("cells",)),
    Bad("row_shorter_than_header", truncate_row("supply", 3, 2), "supply.csv", row=3, column="area",
        contains=("required",)),
    Bad("unclosed_quote", unclosed_quote, "roles.csv", row=2),
    Bad("cell_larger_than_csv_limit", set_cell("roles", 2, "note", "x" * 200_000), "roles.csv"),
    # keys and references
    Bad("duplicated_key_row", duplicate_row("supply", 2), "supply.csv", row=6, column="period",
        contains=("duplicate of row 2",)),
    Bad("duplicated_pcn", duplicate_row("pcns", 3), "pcns.csv", row=4, column="pcn",
        contains=("duplicate of row 3",)),
    Bad("unknown_pcn_in_practices", set_cell("practices", 4, "pcn", "pcn_zz"), "practices.csv", row=4,
        column="pcn", value="'pcn_zz'", contains=("unknown PCN",)),
    Bad("unknown_pcn_area", set_cell("staff_in_post", 2, "area", "pcn_zz"), "staff_in_post.csv", row=2,
        column="area", value="'pcn_zz'", contains=("unknown pcn",)),
    Bad("unknown_role_in_supply", set_cell("supply", 2, "role", "dentist"), "supply.csv", row=2,
        column="role", value="'dentist'", contains=("unknown role",)),
    Bad("unknown_role_in_targets", set_cell("targets", 3, "role", "dentist"), "targets.csv", row=3,
        column="role", value="'dentist'", contains=("unknown role",)),
    Bad("unknown_place_in_pcns", set_cell("pcns", 3, "place", "south"), "pcns.csv", row=3, column="place",
        value="'south'", contains=("unknown place",)),
    Bad("unknown_place_area_in_supply", set_cell("supply", 4, "area", "south"), "supply.csv", row=4,
        column="area", value="'south'", contains=("unknown place",)),
    Bad("unknown_flow_in_planned_flows", set_cell("planned_flows", 2, "flow", "teleport"),
        "planned_flows.csv", row=2, column="flow", value="'teleport'", contains=("flow_types",)),
    Bad("flow_of_another_role_in_planned_flows",
        both(set_cell("planned_flows", 4, "direction", "outflow"), set_cell("planned_flows", 4, "flow", "leaver")),
        "planned_flows.csv", row=4, column="flow", value="'leaver'", contains=("splw",)),
    Bad("practice_lists_disagree_with_pcn", set_cell("pcns", 2, "registered_list", "99999"), "pcns.csv",
        row=2, column="registered_list", contains=("sum of its practices",)),
    Bad("two_systems", append_row("places", {"place": "south", "name": "South", "system": "othersys"}),
        "places.csv", column="system", contains=("one system",)),
    # periods
    Bad("malformed_quarter_2019_2_Q5", set_cell("supply", 2, "period", "2019/2 Q5"), "supply.csv", row=2,
        column="period", value="'2019/2 Q5'"),
    Bad("quarter_Q5", set_cell("historic_fte", 2, "quarter", "2019/20 Q5"), "historic_fte.csv", row=2,
        column="quarter", value="'2019/20 Q5'", contains=("Q1-Q4",)),
    Bad("quarter_Q5_in_period", set_cell("supply", 2, "period", "2019/20 Q5"), "supply.csv", row=2,
        column="period", value="'2019/20 Q5'"),
    Bad("years_not_consecutive_2019_21", set_cell("supply", 2, "period", "2019/21 Q1"), "supply.csv", row=2,
        column="period", value="'2019/21 Q1'"),
    Bad("span_backwards", set_cell("planned_flows", 3, "period", "2020/21 Q4-Q1"), "planned_flows.csv",
        row=3, column="period", value="'2020/21 Q4-Q1'"),
    Bad("supply_quarter_outside_horizon", set_cell("supply", 2, "period", "2023/24 Q1"), "supply.csv", row=2,
        column="period", value="'2023/24 Q1'", contains=("outside the horizon",)),
    Bad("target_by_after_horizon", set_cell("targets", 3, "by", "2022/23 Q4"), "targets.csv", row=3,
        column="by", value="'2022/23 Q4'", contains=("outside the horizon",)),
    Bad("target_until_before_by", set_cell("targets", 2, "until", "2020/21 Q2"), "targets.csv", row=2,
        column="until", value="'2020/21 Q2'"),
    Bad("year_label_in_quarter_horizon", set_cell("supply", 2, "period", "2020/21"), "supply.csv", row=2,
        column="period", value="'2020/21'", contains=("quarter",)),
    Bad("staff_in_post_year_in_quarter_horizon", set_cell("staff_in_post", 2, "as_at", "2019/20"),
        "staff_in_post.csv", row=2, column="as_at", value="'2019/20'"),
    Bad("gap_in_arrs_years", arrs_year_gap, "arrs_years.csv", column="year", contains=("gap", "2021/22")),
    Bad("from_quarter_in_wrong_year", set_cell("arrs_roles", 2, "from_quarter", "2021/22 Q2"),
        "arrs_roles.csv", row=2, column="from_quarter", value="'2021/22 Q2'", contains=("2020/21",)),
    Bad("arrs_role_year_without_rule",
        both(set_cell("arrs_roles", 2, "year", "2022/23"), set_cell("arrs_roles", 2, "from_quarter", "")),
        "arrs_roles.csv", row=2, column="year", value="'2022/23'", contains=("arrs_years",)),
    # files
    Bad("empty_file", write_file("supply.csv", ""), "supply.csv", contains=("empty",)),
    Bad("blank_lines_only_file", write_file("supply.csv", "\n\n  \n"), "supply.csv", contains=("empty",)),
    Bad("directory_instead_of_csv", directory_instead_of("supply.csv"), "supply.csv",
        contains=("directory",)),
    Bad("binary_file_with_nul", write_file("supply.csv", b"PK\x03\x04\x14\x00\x00\x00"), "supply.csv"),
    Bad("undecodable_bytes", write_file("supply.csv", b"role,level\n\x81\x8d\x8f,x\n"), "supply.csv",
        contains=("text",)),
    # manifest
    Bad("manifest_toml_syntax_error", manifest_append('\nbroken = "unterminated\n'), "scenario.toml",
        contains=("parse",)),
    Bad("manifest_duplicate_key", manifest_append('\n[model]\ninteger = false\n'), "scenario.toml",
        contains=("parse",)),
    Bad("manifest_unknown_key", manifest_prepend('colour = "red"\n'), "scenario.toml", column="colour"),
    Bad("manifest_unknown_nested_key", replace_text("scenario.toml", 'step = "quarter"',
                                                    'step = "quarter"\nlength = 8'),
        "scenario.toml", column="horizon.length"),
    Bad("manifest_without_name", replace_text("scenario.toml", 'name = "Tiny quarterly NHS scenario"\n', ""),
        "scenario.toml", column="name"),
    Bad("manifest_extends_not_a_list", manifest_prepend('extends = "../base"\n'), "scenario.toml",
        column="extends"),
    Bad("manifest_table_outside_scenario", table_outside, "scenario.toml", column="tables.supply",
        value="'../x.csv'", contains=("inside",)),
    Bad("manifest_table_absolute_path", table_absolute, "scenario.toml", column="tables.supply",
        contains=("inside",)),
    Bad("manifest_table_file_missing", manifest_append('\n[tables]\nsupply = "supply_2020.csv"\n'),
        "scenario.toml", column="tables.supply", value="'supply_2020.csv'", contains=("not found",)),
    Bad("manifest_unknown_table", manifest_append('\n[tables]\nstaffing = "supply.csv"\n'), "scenario.toml",
        column="tables.staffing", contains=("unknown table",)),
    Bad("manifest_table_is_directory", table_is_directory, "tables", contains=("directory",)),
    Bad("extends_missing_directory", manifest_prepend('extends = ["../nowhere"]\n'), "scenario.toml",
        column="extends", value="'../nowhere'", contains=("not found",)),
    Bad("extends_cycle", extends_cycle, "scenario.toml", column="extends", contains=("cycle",)),
    Bad("extends_itself", manifest_prepend('extends = ["."]\n'), "scenario.toml", column="extends",
        contains=("cycle",)),
    Bad("horizon_end_before_start", replace_text("scenario.toml", 'end = "2021/22 Q4"', 'end = "2019/20 Q4"'),
        "scenario.toml", contains=("horizon",)),
    Bad("horizon_year_label_with_quarter_step",
        replace_text("scenario.toml", 'start = "2020/21 Q1"', 'start = "2020/21"'), "scenario.toml",
        contains=("horizon",)),
    Bad("horizon_unknown_step", replace_text("scenario.toml", 'step = "quarter"', 'step = "month"'),
        "scenario.toml", column="horizon.step", value="'month'"),
    Bad("horizon_quarter_Q0", replace_text("scenario.toml", 'start = "2020/21 Q1"', 'start = "2020/21 Q0"'),
        "scenario.toml", column="horizon.start", value="'2020/21 Q0'"),
    Bad("no_manifest", remove_manifest, "scenario.toml", contains=("no manifest",)),
    Bad("yaml_python_tag_not_executed", yaml_python_tag, "scenario.yaml", contains=("parse",),
        check=python_tag_not_executed),
    Bad("yaml_manifest_not_a_mapping", yaml_manifest("- a\n- b\n"), "scenario.yaml", contains=("mapping",)),
    Bad("plan_without_horizon", remove_horizon, "scenario.toml", contains=("horizon",), commands=("plan",)),
    # what is passed on the command line
    Bad("scenario_path_missing", lambda d: None, "no_such_scenario", contains=("does not exist",),
        target=lambda d: d.parent / "no_such_scenario"),
    Bad("scenario_path_is_the_manifest", lambda d: None, "scenario.toml", contains=("directory",),
        target=lambda d: d / "scenario.toml"),
    Bad("xlsx_that_is_not_a_workbook", write_file("plan.xlsx", b"not a zip file"), "plan.xlsx",
        target=lambda d: d / "plan.xlsx"),
    # planned leavers, trainees on course, costs by year, recruitment routes, pots and caps
    Bad("leavers_unknown_role", with_leavers("pcn,pcn_a,dentist,2020/21 Q3,1,retirement,t"), "planned_leavers.csv",
        row=2, column="role", value="'dentist'", contains=("unknown role",)),
    Bad("leavers_unknown_pcn", with_leavers("pcn,pcn_z,splw,2020/21 Q3,1,retirement,t"), "planned_leavers.csv",
        row=2, column="area", value="'pcn_z'", contains=("unknown pcn",)),
    Bad("leavers_after_horizon", with_leavers("pcn,pcn_a,splw,2022/23 Q1,1,retirement,t"), "planned_leavers.csv",
        row=2, column="period", value="'2022/23 Q1'", contains=("outside the horizon",)),
    Bad("leavers_year_in_quarter_horizon", with_leavers("pcn,pcn_a,splw,2021/22,1,retirement,t"),
        "planned_leavers.csv", row=2, column="period", value="'2021/22'", contains=("in quarters",)),
    Bad("leavers_negative", with_leavers("pcn,pcn_a,splw,2020/21 Q3,-1,retirement,t"), "planned_leavers.csv",
        row=2, column="headcount", value="'-1'"),
    Bad("leavers_half_a_person", with_leavers("pcn,pcn_a,splw,2020/21 Q3,1.5,retirement,t"), "planned_leavers.csv",
        row=2, column="headcount", value="'1.5'"),
    Bad("leavers_unknown_reason", with_leavers("pcn,pcn_a,splw,2020/21 Q3,1,sacked,t"), "planned_leavers.csv",
        row=2, column="reason", value="'sacked'"),
    Bad("leavers_more_than_in_post", with_leavers("pcn,pcn_a,pharmacist,2020/21 Q3,2,retirement,t"),
        "planned_leavers.csv", row=2, column="headcount", value="2", contains=("1 in post",), commands=("plan",)),
    Bad("on_course_started_and_completes", with_trainees("pcn,pcn_a,tna_to_na,2019/20 Q3,2021/22 Q3,1,t"),
        "trainees_on_course.csv", row=2, contains=("exactly one of 'started'",)),
    Bad("on_course_neither_date", with_trainees("pcn,pcn_a,tna_to_na,,,1,t"), "trainees_on_course.csv", row=2,
        contains=("exactly one of 'started'",)),
    Bad("on_course_started_in_horizon", with_trainees("pcn,pcn_a,tna_to_na,2020/21 Q2,,1,t"),
        "trainees_on_course.csv", row=2, column="started", value="'2020/21 Q2'", contains=("plan decision",)),
    Bad("on_course_already_finished", with_trainees("pcn,pcn_a,tna_to_na,2017/18 Q4,,1,t"),
        "trainees_on_course.csv", row=2, column="started", value="'2017/18 Q4'", contains=("have finished",)),
    Bad("on_course_year_label", with_trainees("pcn,pcn_a,tna_to_na,,2021/22,1,t"), "trainees_on_course.csv",
        row=2, column="completes", value="'2021/22'", contains=("in quarters",)),
    Bad("on_course_unknown_transition", with_trainees("pcn,pcn_a,dentistry,2019/20 Q3,,1,t"),
        "trainees_on_course.csv", row=2, column="transition", value="'dentistry'", contains=("unknown transition",)),
    Bad("on_course_immediate_transition", with_trainees("pcn,pcn_a,retrain,2019/20 Q3,,1,t"),
        "trainees_on_course.csv", row=2, column="transition", value="'retrain'", contains=("lead_periods 0",)),
    Bad("on_course_unknown_place", with_trainees("place,south,tna_to_na,2019/20 Q3,,1,t"),
        "trainees_on_course.csv", row=2, column="area", value="'south'", contains=("unknown place",)),
    Bad("on_course_more_than_in_post", with_trainees("pcn,pcn_a,tna_to_na,2019/20 Q3,,3,t"),
        "trainees_on_course.csv", row=2, column="headcount", value="3", contains=("2 in post",), commands=("plan",)),
    Bad("role_cost_unknown_role", write_file("role_costs.csv", "role,year,annual_cost\ndentist,2020/21,50000\n"),
        "role_costs.csv", row=2, column="role", value="'dentist'", contains=("unknown role",)),
    Bad("role_cost_negative", write_file("role_costs.csv", "role,year,annual_cost\nsplw,2020/21,-5\n"),
        "role_costs.csv", row=2, column="annual_cost", value="'-5'"),
    Bad("role_cost_blank", write_file("role_costs.csv", "role,year,annual_cost\nsplw,2020/21,\n"),
        "role_costs.csv", row=2, column="annual_cost", contains=("a value is required",)),
    Bad("role_cost_quarter_for_year", write_file("role_costs.csv", "role,year,annual_cost\nsplw,2020/21 Q1,1\n"),
        "role_costs.csv", row=2, column="year", value="'2020/21 Q1'"),
    Bad("route_unknown_role", write_file("recruitment_routes.csv", ROUTES.replace("2021/22,splw,external",
                                                                                  "2021/22,dentist,external")),
        "recruitment_routes.csv", row=2, column="role", value="'dentist'", contains=("unknown role",)),
    Bad("route_year_without_arrs_rule", write_file("recruitment_routes.csv", ROUTES.replace("2021/22,splw,ext",
                                                                                            "2022/23,splw,ext")),
        "recruitment_routes.csv", row=2, column="year", value="'2022/23'", contains=("no ARRS rule",)),
    Bad("route_claimable_not_boolean", write_file("recruitment_routes.csv", ROUTES.replace("true", "maybe")),
        "recruitment_routes.csv", row=2, column="arrs_claimable", value="'maybe'"),
    Bad("supply_unknown_route", both(write_file("recruitment_routes.csv", ROUTES),
                                     set_cell("supply", 4, "route", "agency")),
        "supply.csv", row=4, column="route", value="'agency'", contains=("routes of splw: external",)),
    Bad("arrs_role_unknown_pot", set_cell("arrs_roles", 4, "pot", "gp_ringfenced"), "arrs_roles.csv", row=4,
        column="pot", value="'gp_ringfenced'", contains=("not in arrs_pots",)),
    Bad("arrs_pot_in_combined_year", with_pot(year_flags={"combined_pot": "true"}), "arrs_roles.csv", row=4,
        column="pot", value="'gp_ringfenced'", contains=("combined",)),
    Bad("arrs_pot_both_rules", write_file("arrs_pots.csv", POTS.replace("1.3,,", "1.3,500,")), "arrs_pots.csv",
        row=2, contains=("exactly one of",)),
    Bad("arrs_cap_in_year_without_caps", both(set_cell("arrs_years", 3, "no_number_caps", "true"),
                                              set_cell("arrs_roles", 5, "max_wte_per_pcn", "2")),
        "arrs_roles.csv", row=5, column="max_wte_per_pcn", value="2", contains=("no number caps",)),
    Bad("arrs_uncapped_with_cap", both(set_cell("arrs_roles", 5, "max_wte_per_pcn", "2"),
                                       set_cell("arrs_roles", 5, "uncapped", "true")),
        "arrs_roles.csv", row=5, contains=("uncapped",)),
    Bad("arrs_flag_not_boolean", set_cell("arrs_years", 2, "combined_pot", "sometimes"), "arrs_years.csv", row=2,
        column="combined_pot", value="'sometimes'"),
    # the yearly Williams example
    Bad("williams_quarter_in_year_horizon", set_cell("supply", 2, "period", "2019/20 Q1"), "supply.csv", row=2,
        column="period", value="'2019/20 Q1'", contains=("year",), base="williams"),
    Bad("williams_unknown_to_role", set_cell("transitions", 2, "to_role", "expert"), "transitions.csv", row=2,
        column="to_role", value="'expert'", contains=("unknown role",), base="williams"),
    Bad("williams_success_rate_1_5", set_cell("transitions", 3, "success_rate", "1.5"), "transitions.csv",
        row=3, column="success_rate", value="'1.5'", base="williams"),
    Bad("williams_lead_periods_41", set_cell("transitions", 2, "lead_periods", "41"), "transitions.csv", row=2,
        column="lead_periods", value="'41'", base="williams"),
    Bad("williams_unknown_target_kind", set_cell("targets", 2, "kind", "exactly"), "targets.csv", row=2,
        column="kind", value="'exactly'", base="williams"),
    Bad("williams_negative_redundancy_cost", set_cell("roles", 3, "redundancy_cost", "-500"), "roles.csv",
        row=3, column="redundancy_cost", value="'-500'", base="williams"),
    Bad("williams_target_until_after_horizon", set_cell("targets", 2, "until", "2022/23"), "targets.csv",
        row=2, column="until", value="'2022/23'", contains=("outside the horizon",), base="williams"),
    Bad("williams_staff_in_post_1e12", set_cell("staff_in_post", 3, "headcount", "1e12"), "staff_in_post.csv",
        row=3, column="headcount", value="'1e12'", base="williams"),
    Bad("williams_duplicate_transition", duplicate_row("transitions", 2), "transitions.csv", row=7,
        column="transition", base="williams"),
]


@dataclass(frozen=True)
class Good:
    """A spreadsheet habit that is not a mistake: the scenario must load and plan."""

    id: str
    mutate: Mutation
    base: str = "nhs"
    check: Callable[[Path], None] | None = None


def pound_sign_survives(d: Path) -> None:
    from wfplan.scenario.load import load_scenario

    notes = set(load_scenario(d).table("roles")["note"].dropna())
    assert "costs \u00a350,000 a year \u2013 est." in notes


def formula_text_kept(d: Path) -> None:
    from wfplan.scenario.load import load_scenario

    assert "=SUM(A1:A2)" in set(load_scenario(d).table("roles")["name"])


GOOD: list[Good] = [
    Good("utf8_bom", with_bom("roles")),
    Good("utf8_bom_on_every_table", lambda d: [with_bom(p.stem)(d) for p in d.glob("*.csv")]),
    Good("windows_1252_pound_sign_in_note", cp1252_pound_note, check=pound_sign_survives),
    Good("header_only_table_is_empty", header_only("supply")),
    Good("header_only_planned_flows", header_only("planned_flows")),
    Good("text_starting_with_equals", set_cell("roles", 2, "name", "=SUM(A1:A2)"), check=formula_text_kept),
    Good("crlf_line_endings", crlf_everywhere),
    Good("blank_trailing_rows", blank_rows("supply")),
    Good("whitespace_around_cells", padded_cells("supply")),
    Good("columns_in_another_order", reversed_columns("targets")),
    Good("arrs_tables_in_an_extended_base", split_into_base),
    Good("every_new_table_valid", all_new_tables_valid),
    Good("yaml_manifest", yaml_equivalent),
    Good("williams_utf8_bom", with_bom("transitions"), base="williams"),
    Good("williams_windows_1252_pound_sign", cp1252_pound_note, base="williams", check=pound_sign_survives),
    Good("williams_header_only_new_table", write_file("planned_flows.csv", NHS.tables["planned_flows"].split("\n")[0]),
         base="williams"),
]


# --- running ------------------------------------------------------------------


@pytest.fixture(scope="session")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bases")
    write_scenario(root / "nhs", base=NHS)
    shutil.copytree(WILLIAMS, root / "williams")
    return {"nhs": root / "nhs", "williams": root / "williams"}


def _scenario(bases: dict[str, Path], base: str, tmp_path: Path, mutate: Mutation) -> Path:
    directory = tmp_path / "scenario"
    shutil.copytree(bases[base], directory)
    mutate(directory)
    return directory


def _located_line(text: str, case: Bad) -> bool:
    needles = [case.file]
    if case.column:
        needles.append(f"column '{case.column}'")
    if case.value:
        needles.append(case.value)
    row = re.compile(rf"\brow {case.row}\b") if case.row is not None else None
    return any(all(n in line for n in needles) and (row is None or row.search(line)) for line in text.splitlines())


def _assert_rejected(case: Bad, result: Result, text: str) -> None:
    assert result.exit_code == 2, f"exit code {result.exit_code}, expected 2; output:\n{text}"
    assert "error:" in text, text
    assert _located_line(text, case), (
        f"no message line names {case.file!r}"
        + (f", row {case.row}" if case.row is not None else "")
        + (f", column '{case.column}'" if case.column else "")
        + (f" and value {case.value}" if case.value else "")
        + f"; output:\n{text}"
    )
    for needle in case.contains:
        assert needle.lower() in text.lower(), f"{needle!r} not in output:\n{text}"


@pytest.mark.parametrize("case", [c for c in BAD if "validate" in c.commands], ids=lambda c: c.id)
def test_validate_rejects_with_exit_2_and_a_located_error(case: Bad, bases: dict[str, Path], tmp_path: Path) -> None:
    directory = _scenario(bases, case.base, tmp_path, case.mutate)
    target = case.target(directory) if case.target else directory
    result, text = invoke(["validate", str(target)])
    _assert_rejected(case, result, text)
    if case.check:
        case.check(directory)


@pytest.mark.parametrize("case", [c for c in BAD if "plan" in c.commands], ids=lambda c: c.id)
def test_plan_rejects_with_a_located_error_and_writes_nothing(case: Bad, bases: dict[str, Path], tmp_path: Path) -> None:
    directory = _scenario(bases, case.base, tmp_path, case.mutate)
    target = case.target(directory) if case.target else directory
    out = tmp_path / "out"
    before = set(tmp_path.iterdir())
    result, text = invoke(["plan", str(target), "--out", str(out)])
    _assert_rejected(case, result, text)
    assert not out.exists(), f"{out} was created for a bad scenario"
    assert set(tmp_path.iterdir()) == before, f"left behind: {set(tmp_path.iterdir()) - before}"
    if case.check:
        case.check(directory)


@pytest.mark.parametrize("case", GOOD, ids=lambda c: c.id)
def test_spreadsheet_habits_validate_and_plan(case: Good, bases: dict[str, Path], tmp_path: Path) -> None:
    directory = _scenario(bases, case.base, tmp_path, case.mutate)
    result, text = invoke(["validate", str(directory)])
    assert result.exit_code == 0, text
    assert "valid" in text
    out = tmp_path / "out"
    result, text = invoke(["plan", str(directory), "--out", str(out)])
    assert result.exit_code == 0, text
    assert (out / "plan.csv").is_file(), sorted(p.name for p in out.iterdir()) if out.exists() else text
    if case.check:
        case.check(directory)


def test_both_uncorrupted_bases_validate(bases: dict[str, Path], tmp_path: Path) -> None:
    for name, directory in bases.items():
        result, text = invoke(["validate", str(directory)])
        assert result.exit_code == 0, f"{name}: {text}"


def test_corpus_is_large_and_ids_unique() -> None:
    ids = [c.id for c in BAD] + [c.id for c in GOOD]
    assert len(ids) == len(set(ids))
    assert len(BAD) >= 40
