"""The files and directories this run reads, so that no output of the run can replace them.

``wfplan plan SCEN --out SCEN --force`` once replaced the scenario with the
plan.  Every reader records what it reads here (:func:`record`: a scenario
directory, each directory it ``extends``, each table, manifest, workbook and
plan-directory file), and every writer asks :func:`overlapping_input` before
creating or replacing an output: an output that *is*, *contains* or *is
inside* an input is refused.  The CLI starts each command with :func:`clear`.

Paths are compared resolved (symlinks followed), so a link to the scenario is
the scenario.
"""

from __future__ import annotations

import os
from pathlib import Path

_inputs: dict[Path, str] = {}


def _resolved(path: Path | str) -> Path:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):  # a symlink loop: compare it as written
        return Path(os.path.abspath(path))


def record(path: Path | str, kind: str = "file") -> None:
    """Note that this run reads ``path`` (``kind`` says what it is, for messages)."""
    _inputs.setdefault(_resolved(path), kind)


def clear() -> None:
    """Forget every recorded input (the start of a new command)."""
    _inputs.clear()


def recorded() -> dict[Path, str]:
    """The recorded inputs, resolved, with what each is."""
    return dict(_inputs)


def overlapping_input(output: Path | str) -> tuple[Path, str, str] | None:
    """The first recorded input that ``output`` is, contains or is inside: (input, kind, relation)."""
    target = _resolved(output)
    for path, kind in _inputs.items():
        if target == path:
            return path, kind, "is"
        if path.is_relative_to(target):
            return path, kind, "contains"
        if kind.endswith("directory") and target.is_relative_to(path):
            return path, kind, "is inside"
    return None
