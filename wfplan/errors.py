"""User-facing errors: where the bad value is and what was expected.

Every mistake a user can make in a scenario surfaces as a :class:`ScenarioError`
carrying one or more :class:`Problem` locations (file, sheet, row, column,
value, expectation).  The CLI prints them and exits with code 2; nothing in
wfplan lets a traceback reach a user for bad input.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from solvers.base import SolverUnavailableError  # noqa: F401  (defined with the backends; re-exported)
from wfplan.message_text import escape_controls, shown_message, shown_value

EXIT_USER_ERROR = 2


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file."""

    file: str
    message: str
    row: int | None = None  # 1-based data row as a spreadsheet shows it (header is row 1)
    column: str | None = None
    value: object = None
    sheet: str | None = None

    def __str__(self) -> str:
        where = escape_controls(self.file)
        if self.sheet:
            where += f" [sheet {shown_message(self.sheet)}]"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{shown_message(self.column)}'"
        shown = "" if self.value is None else f": value {shown_value(self.value)}"
        return f"{where}{shown}: {shown_message(self.message)}"


class ScenarioError(Exception):
    """A scenario that cannot be used as given; carries every problem found."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__(self.report())

    def report(self, limit: int | None = 25) -> str:
        """The problems, one a line: the first ``limit`` (every one when None) and how many more."""
        shown = [f"  - {p}" for p in self.problems[:limit]]
        more = len(self.problems) - len(shown)
        if more > 0:
            shown.append(f"  ... and {more} more")
        noun = "problem" if len(self.problems) == 1 else "problems"
        return f"scenario has {len(self.problems)} {noun}:\n" + "\n".join(shown)


class OutputError(Exception):
    """An output cannot be written where asked: names the path and what is wrong."""

    def __init__(self, path: Path | str, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{shown_message(str(path))}: {problem}")


class OutputExistsError(OutputError):
    """An output directory or file exists and ``--force`` was not given."""

    def __init__(self, path: Path | str, problem: str = "already exists: use --force to replace it"):
        super().__init__(path, problem)


class ScenarioWarning(UserWarning):
    """Something in a scenario that is probably a mistake but not an error (a misspelt table file)."""


def display_path(path: Path | str, root: Path | None = None) -> str:
    """A short path for messages: relative to ``root`` (or the cwd) where possible.

    The last component is not resolved, so a symbolic link is named as the
    user wrote it, not as the file it leads to.
    """
    p = Path(path)
    try:
        resolved = p.resolve() if p.name in ("", ".", "..") else p.parent.resolve() / p.name
    except (OSError, RuntimeError):
        return str(p)
    for base in (root, Path.cwd()):
        if base is None:
            continue
        try:
            return str(resolved.relative_to(base.resolve()))
        except (ValueError, OSError, RuntimeError):
            continue
    return str(p)
