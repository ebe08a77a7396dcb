"""Refuse a bad output path before any work.

Every command that writes checks its output path first (:func:`check_out`):
never an input of the run, never ``.``, a parent that is a file or a name too
long (:mod:`wfplan.files.output_paths`); the check is repeated when the output is
put in place, once every input (bases through ``extends``) is known.
"""

from __future__ import annotations

import os
from pathlib import Path

from wfplan.files import run_inputs
from wfplan.files.output_paths import check_output_path


def note_inputs(*paths: Path) -> None:
    """Record the inputs named on the command line, so an output can be checked before any work.

    A plan directory's inputs are its files and its ``scenario/`` (not the
    directory itself: ``explain PLAN --out PLAN`` adds binding.csv to it).
    """
    from wfplan.results.plan_reader import is_plan_dir, plan_files
    from wfplan.scenario.load import MANIFEST_NAMES

    for path in paths:
        if is_plan_dir(path):
            run_inputs.record(path / "scenario", "scenario directory")
            for file in plan_files(path):
                run_inputs.record(file)
        elif path.is_dir():
            if any(os.path.lexists(path / name) for name in MANIFEST_NAMES):
                run_inputs.record(path, "scenario directory")  # otherwise the command says what it is not
        elif path.is_file():
            run_inputs.record(path, "file")


def check_out(out: Path | None, kind: str, force: bool, *inputs: Path, into_existing: list[str] | None = None,
              ) -> None:
    """Refuse a bad output path before any work (see :mod:`wfplan.files.output_paths`).

    ``into_existing``: the command writes these files into ``out`` when it is
    an existing directory (explain, diagnose, sensitivity), so those are checked.
    """
    if out is None:
        return
    note_inputs(*inputs)
    if into_existing and out.is_dir():
        for name in into_existing:
            check_output_path(out / name, "file", force)
    else:
        check_output_path(out, kind, force)
