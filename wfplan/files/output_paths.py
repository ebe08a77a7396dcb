"""Can an output be written at this path?  Checked before any work, and again at commit.

Refused, each with exit 2 and a message naming the path and the problem:

* an output that is, contains or is inside an input of the run (the
  scenario, a directory it ``extends``, a table, a plan-directory file:
  :mod:`wfplan.files.run_inputs`): ``plan SCEN --out SCEN --force`` would replace
  the inputs with the plan;
* the current directory, one of its parents, a file-system root or the home
  directory (``--out .``, ``--out ..``, ``--out ~``);
* a path whose parent is a file, a name longer than the file system allows,
  a directory where wfplan cannot write;
* a directory where a file is expected, or a file where a directory is;
* an existing output without ``force``.
"""

from __future__ import annotations

import os
from pathlib import Path

from wfplan.errors import OutputError, OutputExistsError
from wfplan.files import run_inputs

DEFAULT_NAME_MAX = 255


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def name_max(directory: Path) -> int:
    """The longest file name (bytes) the file system of ``directory`` allows."""
    try:
        return int(os.pathconf(directory, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return DEFAULT_NAME_MAX


def _existing_ancestor(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path(path.anchor or ".")


def check_not_an_input(target: Path) -> None:
    """Refuse an output that is, contains or is inside an input of this run."""
    clash = run_inputs.overlapping_input(target)
    if clash is not None:
        path, kind, relation = clash
        raise OutputError(target, f"{relation} an input of this run (the {kind} {path}): an output never "
                                  "replaces or mixes with what it is made from; choose another output path")


def check_output_path(target: Path, kind: str, force: bool) -> None:
    """Raise :class:`OutputError` unless an output ``kind`` ("file" or "directory") may be written at ``target``."""
    target = Path(target)
    resolved = _resolved(target)
    cwd = _resolved(Path.cwd())
    if target.name in ("", ".", "..") or cwd.is_relative_to(resolved):
        raise OutputError(target, "is the current directory or contains it: name a new "
                                  f"{kind} for the output (e.g. out/plan)")
    if resolved == Path(resolved.anchor) or resolved == _resolved(Path.home()):
        raise OutputError(target, f"is a file-system root or the home directory: name a new {kind} for the output")
    check_not_an_input(target)
    limit = name_max(_existing_ancestor(target.parent))
    for part in (target.name, *(p.name for p in target.parents)):
        if len(os.fsencode(part)) > limit:
            raise OutputError(target, f"the name {part[:40]!r}... is {len(os.fsencode(part))} bytes; the file "
                                      f"system allows at most {limit}")
    ancestor = _existing_ancestor(target.parent)
    if not ancestor.is_dir():
        raise OutputError(target, f"cannot be created: {ancestor} is a file, not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(target, f"cannot be created: no permission to write in {ancestor}")
    if os.path.lexists(target):
        if kind == "file" and target.is_dir():
            raise OutputError(target, "is a directory; expected a file name")
        if kind == "directory" and not target.is_dir():
            raise OutputError(target, "exists and is a file, not a directory")
        if not force:
            raise OutputExistsError(target)
