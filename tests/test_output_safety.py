"""Nothing lost: an output never replaces an input, never overwrites under concurrency,
leaves nothing stale, follows the umask, and a bad output path is exit 2 naming it.

Every command that writes is tried with an ``--out`` that is, contains or is
inside an input of its run (the scenario, a base it ``extends``, a table, a
plan directory's files), with ``--force``: each must exit 2 and leave every
input byte for byte as it was.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_run import invoke
from tests.scenarios import write_scenario
from wfplan.errors import OutputError, OutputExistsError
from wfplan.files import output
from wfplan.files.output import atomic_directory, atomic_file, clean_stale, signals_held

ROOT = Path(__file__).resolve().parents[1]


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` (links not followed), by relative path."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def _refused(args: list[str], tree: Path) -> str:
    before = snapshot(tree)
    result, text = invoke([str(a) for a in args])
    assert result.exit_code == 2, text
    assert "error:" in text and "input of this run" in text, text
    assert snapshot(tree) == before, "an input was changed"
    return text


# --- an output that is, contains or is inside an input -------------------------------------------


def test_plan_out_equal_to_the_scenario_is_refused_and_every_input_kept(tiny_scenario: Path) -> None:
    text = _refused(["plan", tiny_scenario, "--out", tiny_scenario, "--force"], tiny_scenario.parent)
    assert str(tiny_scenario.name) in text
    assert (tiny_scenario / "scenario.toml").is_file()


WRITERS: dict[str, Callable[[Path, Path], list[object]]] = {
    "plan": lambda s, out: ["plan", s, "--out", out, "--force", "--lp"],
    "trajectory": lambda s, out: ["trajectory", s, "--out", out, "--force"],
    "convert": lambda s, out: ["convert", s, out, "--force"],
    "explain": lambda s, out: ["explain", s, "--out", out, "--force"],
    "diagnose": lambda s, out: ["diagnose", s, "--out", out, "--force", "--lp"],
    "sensitivity": lambda s, out: ["sensitivity", s, "--vary", "supply", "--range", "1:1:1", "--out", out,
                                   "--force", "--lp"],
    "compare": lambda s, out: ["compare", s, s, "--out", out, "--force", "--lp"],
    "sweep": lambda s, out: ["sweep", s, "--samples", "1", "--workers", "1", "--out", out, "--force", "--lp"],
}
PLACES: dict[str, Callable[[Path], Path]] = {
    "is_the_scenario": lambda s: s,
    "contains_the_scenario": lambda s: s.parent,
    "inside_the_scenario": lambda s: s / "out",
    "is_the_base_it_extends": lambda s: s.parent / "base",
}


@pytest.fixture
def derived(tmp_path: Path) -> Path:
    """A scenario in tmp/all/derived that extends tmp/all/base (which holds most tables)."""
    base = write_scenario(tmp_path / "all" / "base", name="base")
    return write_scenario(tmp_path / "all" / "derived", {"supply": (base / "supply.csv").read_text()},
                          extends="../base", only_given=True)


ONE_FILE_INTO_A_DIRECTORY = {"explain", "diagnose", "sensitivity"}
"""Given an existing directory, these add one file to it: a directory holding the scenario may take it."""


@pytest.mark.parametrize("place", list(PLACES), ids=list(PLACES))
@pytest.mark.parametrize("command", list(WRITERS), ids=list(WRITERS))
def test_every_writer_refuses_an_output_over_its_inputs(command: str, place: str, derived: Path) -> None:
    args = WRITERS[command](derived, PLACES[place](derived))
    if command in ONE_FILE_INTO_A_DIRECTORY and place == "contains_the_scenario":
        before = snapshot(derived.parent)
        result, text = invoke([str(a) for a in args])
        assert result.exit_code == 0, text
        assert {k: v for k, v in snapshot(derived.parent).items() if k in before} == before
        return
    _refused(args, derived.parent.parent)


@pytest.mark.parametrize("args", [
    lambda s: ["export", "checkpoint", s, "--out", s / "checkpoint.xlsx", "--force"],
    lambda s: ["convert", s, s / "copy.xlsx", "--force"],
    lambda s: ["export", "checkpoint", s / "supply.csv", "--out", s / "x.xlsx"],
], ids=["export_into_scenario", "convert_into_scenario", "export_of_a_table"])
def test_file_writers_refuse_an_output_inside_the_scenario(args, tiny_scenario: Path) -> None:
    result, text = invoke([str(a) for a in args(tiny_scenario)])
    assert result.exit_code == 2, text
    if "supply.csv" not in text:
        assert "input of this run" in text


def test_report_refuses_to_replace_a_plan_file_but_may_write_beside_them(tiny_plan: Path) -> None:
    _refused(["report", tiny_plan, "--out", tiny_plan / "plan.csv", "--force"], tiny_plan)
    _refused(["report", tiny_plan, "--out", tiny_plan / "scenario" / "r.html"], tiny_plan)
    result, text = invoke(["report", str(tiny_plan), "--out", str(tiny_plan / "report.html")])
    assert result.exit_code == 0, text


def test_pack_refuses_to_replace_a_plan_file_but_writes_its_default_beside_them(tiny_plan: Path,
                                                                                 tmp_path: Path) -> None:
    _refused(["pack", tiny_plan, "--out", tiny_plan / "plan.csv", "--force"], tiny_plan)
    _refused(["pack", tiny_plan, "--out", tiny_plan / "scenario" / "p.html"], tiny_plan)
    what_if = Path(shutil.copytree(tiny_plan, tmp_path / "what_if"))
    (what_if / "arrs.csv").write_text("damaged\n")  # refused before reading: the output is the first error
    _refused(["pack", tiny_plan, "--what-if", what_if, "--out", what_if / "goals.csv", "--force"], what_if)
    (what_if / "arrs.csv").unlink()
    for _ in range(2):  # the default, pack.html in the plan directory, is made again from the same plan
        result, text = invoke(["pack", str(tiny_plan)])
        assert result.exit_code == 0, text
        assert (tiny_plan / "pack.html").is_file()


def test_explain_checks_its_default_output_in_the_plan_directory_before_solving(tiny_plan: Path) -> None:
    (tiny_plan / "binding.csv").mkdir()
    result, text = invoke(["explain", str(tiny_plan)])
    assert result.exit_code == 2, text
    assert text.startswith("error:") and "binding.csv" in text and "is a directory" in text, text  # nothing solved


def test_examples_refuses_to_copy_the_bundle_into_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import wfplan.bundled

    bundle = tmp_path / "bundle"
    for name in ("data/arrs", "examples/tiny"):
        (bundle / name).mkdir(parents=True)
        (bundle / name / "scenario.toml").write_text('name = "x"\n')
    monkeypatch.setattr(wfplan.bundled, "bundled_root", lambda: bundle)
    _refused(["examples", "--out", bundle / "examples" / "copy"], bundle)
    _refused(["examples", "--out", bundle, "--force"], bundle)
    result, text = invoke(["examples", "--out", str(tmp_path / "copy")])
    assert result.exit_code == 0, text
    assert (tmp_path / "copy" / "examples" / "tiny" / "scenario.toml").is_file()


def test_trajectory_of_a_plan_refuses_to_replace_it(tiny_plan: Path) -> None:
    _refused(["trajectory", tiny_plan, "--out", tiny_plan, "--force"], tiny_plan)


def test_explain_may_add_its_file_to_the_plan_directory(tiny_plan: Path) -> None:
    result, text = invoke(["explain", str(tiny_plan), "--out", str(tiny_plan)])
    assert result.exit_code == 0, text
    assert (tiny_plan / "binding.csv").is_file()


def test_a_symlink_to_the_scenario_is_the_scenario(tiny_scenario: Path) -> None:
    link = tiny_scenario.parent / "link"
    link.symlink_to(tiny_scenario)
    _refused(["plan", tiny_scenario, "--out", link, "--force", "--lp"], tiny_scenario.parent)


# --- no overwrite under concurrency ---------------------------------------------------------------


def test_a_directory_made_meanwhile_by_another_run_is_not_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with pytest.raises(OutputExistsError, match="another run"), atomic_directory(target) as mine:
        (mine / "mine.txt").write_text("mine")
        with atomic_directory(target) as theirs:  # the other run finishes first
            (theirs / "theirs.txt").write_text("theirs")
    assert sorted(p.name for p in target.iterdir()) == ["theirs.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "staging left behind"


def test_a_file_made_meanwhile_by_another_run_is_not_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    with pytest.raises(OutputExistsError, match="another run"), atomic_file(target) as mine:
        mine.write_text("mine")
        with atomic_file(target) as theirs:
            theirs.write_text("theirs")
    assert target.read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


def test_two_processes_planning_to_the_same_new_out_exactly_one_succeeds(tmp_path: Path) -> None:
    williams = ROOT / "examples" / "williams_manpower"
    for trial in range(3):
        out = tmp_path / f"plan{trial}"
        procs = [subprocess.Popen([sys.executable, "-m", "wfplan.cli", "plan", str(williams), "--out", str(out),
                                   "--lp"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
                 for _ in range(2)]
        results = [(p.wait(timeout=120), p.stderr.read().decode()) for p in procs]
        for p in procs:
            p.stdout.close()
            p.stderr.close()
        codes = sorted(code for code, _ in results)
        assert codes == [0, 2], results
        loser = next(err for code, err in results if code == 2)
        assert "already exists" in loser or "another run" in loser, loser
        assert "Traceback" not in loser
        assert (out / "plan.csv").is_file() and (out / "summary.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan0", "plan1", "plan2"], "staging left behind"


# --- stale staging, interrupted commits, true messages --------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _killed_while_writing(tmp_path: Path, target: Path, kill_on_second_rename: bool = False) -> None:
    """Run atomic_directory in a process that SIGKILLs itself mid-write (or mid-swap)."""
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from wfplan.files import output
        renames = []
        real = os.rename
        def rename(a, b):
            renames.append(a)
            if {kill_on_second_rename!r} and len(renames) == 2:
                os.kill(os.getpid(), signal.SIGKILL)
            real(a, b)
        output.os.rename = rename
        with output.atomic_directory(Path({str(target)!r}), force=True) as staging:
            (staging / "new.txt").write_text("new")
            if not {kill_on_second_rename!r}:
                os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()


def test_staging_left_by_a_killed_run_is_cleaned_by_the_next(tmp_path: Path, williams: Path) -> None:
    target = tmp_path / "out"
    _killed_while_writing(tmp_path, target)
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert left and all(".wfplan-" in name for name in left)
    result, text = invoke(["plan", str(williams), "--out", str(tmp_path / "another"), "--lp"])
    assert result.exit_code == 0, text
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "stale staging not cleaned"


def test_an_output_moved_aside_by_a_run_killed_mid_swap_is_put_back(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("earlier output")
    _killed_while_writing(tmp_path, target, kill_on_second_rename=True)
    assert not target.exists()  # moved aside, new one not in place
    restored = clean_stale(target)
    assert target in restored
    assert (target / "old.txt").read_text() == "earlier output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_staging_of_older_versions_and_of_live_processes(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    dead, live = _dead_pid(), os.getpid()
    (tmp_path / f".out.old-{dead}").mkdir()  # what wfplan 0.x left when killed
    mine = tmp_path / f".out.wfplan-{output._host()}-{live}-abc.tmp"
    mine.mkdir()
    clean_stale(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == [mine.name, "out"]


def test_signals_wait_until_a_commit_is_complete() -> None:
    received: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
    try:
        with signals_held():
            os.kill(os.getpid(), signal.SIGTERM)
            assert received == []
        assert received == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_an_interrupted_run_says_truly_whether_it_changed_an_output(tmp_path: Path, williams: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from wfplan.results import summary as planner

    def interrupted(result):  # Ctrl-C just after the plan directory was put in place
        raise KeyboardInterrupt

    monkeypatch.setattr(planner, "summary_text", interrupted)
    out = tmp_path / "plan"
    result, text = invoke(["plan", str(williams), "--out", str(out), "--lp"])
    assert result.exit_code == 130
    assert "no output was changed" not in text
    assert f"interrupted after writing {out}" in text
    assert (out / "plan.csv").is_file()


# --- permissions -------------------------------------------------------------------------------------


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_outputs_follow_the_umask(tmp_path: Path, williams: Path, mask: int) -> None:
    previous = os.umask(mask)
    try:
        result, text = invoke(["plan", str(williams), "--out", str(tmp_path / "plan"), "--lp"])
        assert result.exit_code == 0, text
        result, text = invoke(["report", str(tmp_path / "plan"), "--out", str(tmp_path / "report.html")])
        assert result.exit_code == 0, text
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "plan").stat().st_mode) == 0o777 & ~mask
    assert stat.S_IMODE((tmp_path / "plan" / "scenario").stat().st_mode) == 0o777 & ~mask
    assert stat.S_IMODE((tmp_path / "plan" / "plan.csv").stat().st_mode) == 0o666 & ~mask
    assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == 0o666 & ~mask


# --- output paths that cannot be used -----------------------------------------------------------------


def _path_refused(args: list[object], *needles: str) -> None:
    result, text = invoke([str(a) for a in args])
    assert result.exit_code == 2, text
    assert text.startswith("error:") or "\nerror:" in text, text
    for needle in needles:
        assert needle in text, text


def test_out_dot_and_its_parents_are_refused(tmp_path: Path, williams: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    (work / "keep.txt").write_text("keep")
    _path_refused(["plan", williams, "--out", ".", "--force"], "current directory")
    _path_refused(["plan", williams, "--out", "..", "--force"], "current directory")
    _path_refused(["trajectory", williams, "--out", str(work), "--force"], "current directory")
    _path_refused(["plan", williams, "--out", str(Path.home()), "--force"], "home directory")
    assert (work / "keep.txt").read_text() == "keep"


def test_an_out_whose_parent_is_a_file(tmp_path: Path, williams: Path) -> None:
    (tmp_path / "file").write_text("x")
    _path_refused(["plan", williams, "--out", tmp_path / "file" / "plan"], "file", "is a file, not a directory")
    _path_refused(["template", "--xlsx", tmp_path / "file" / "t.xlsx"], "is a file, not a directory")


def test_a_name_too_long_for_the_file_system(tmp_path: Path, williams: Path) -> None:
    _path_refused(["plan", williams, "--out", tmp_path / ("p" * 300)], "file system allows at most")
    _path_refused(["report", tmp_path, "--out", tmp_path / ("r" * 300 + ".html")])


def test_a_directory_where_a_file_is_expected_and_the_reverse(tmp_path: Path, williams: Path) -> None:
    (tmp_path / "dir.xlsx").mkdir()
    (tmp_path / "plain").write_text("x")
    _path_refused(["template", "--xlsx", tmp_path / "dir.xlsx", "--force"], "dir.xlsx", "is a directory")
    _path_refused(["convert", williams, tmp_path / "dir.xlsx", "--force"], "is a directory")
    _path_refused(["plan", williams, "--out", tmp_path / "plain", "--force"], "plain", "not a directory")


def test_a_directory_nobody_may_write_in(tmp_path: Path, williams: Path) -> None:
    _path_refused(["plan", williams, "--out", "/sys/wfplan-test-plan"], "/sys/wfplan-test-plan")
    if os.geteuid() == 0:
        return  # root writes anywhere: the /sys case above is the read-only directory
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        _path_refused(["plan", williams, "--out", locked / "plan"], "locked", "permission")
    finally:
        locked.chmod(0o755)


def test_output_errors_name_the_path() -> None:
    error = OutputError(Path("a/b"), "is broken")
    assert str(error) == "a/b: is broken"
