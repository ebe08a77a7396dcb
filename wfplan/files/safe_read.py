"""Read an input file only if it is a regular file of a bounded size.

A table that is a FIFO blocked ``wfplan`` forever; one linked to
``/dev/zero`` read until memory ran out.  :func:`read_input_bytes` opens
without blocking, refuses anything but a regular file (FIFO, socket,
device, directory), refuses a file larger than
:func:`wfplan.limits.max_input_bytes` before reading it, and never reads
more than that even if the file grows meanwhile.  Every file read is
recorded in :mod:`wfplan.files.run_inputs`, so no output of the run can replace it.
:func:`confinement_problem` says why a name in a directory may not be read:
a symbolic link that leads out of the directory, or to nothing.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from wfplan.errors import Problem, ScenarioError, display_path
from wfplan.files import run_inputs
from wfplan.limits import ENVIRONMENT_VARIABLE, max_input_bytes

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def inside(directory: Path, candidate: Path) -> bool:
    """Whether ``candidate`` (symbolic links followed) lies inside ``directory``."""
    try:
        candidate.resolve().relative_to(directory.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def confinement_problem(directory: Path, path: Path, shown: str, what: str) -> Problem | None:
    """Why ``path`` (a name in ``directory``) may not be read, or None: a dangling or escaping link."""
    if path.is_symlink():
        if not path.exists():
            return Problem(shown, f"{what} is a symbolic link to {os.readlink(path)!r}, which does not exist")
        if not inside(directory, path):
            return Problem(shown, f"{what} is a symbolic link that leads outside its directory "
                                  f"({display_path(directory)}); wfplan reads only files inside it")
    return None


def too_large(shown: str, size: int | None, limit: int, adjustable: bool = True) -> ScenarioError:
    what = "" if size is None else f" ({size / 1024 / 1024:,.1f} MiB)"
    advice = (f": if it is genuine, raise the limit with wfplan --max-input-mb or {ENVIRONMENT_VARIABLE}"
              if adjustable else ": no genuine one is that large")
    return ScenarioError(Problem(shown, f"is larger than the {limit / 1024 / 1024:,.0f} MiB wfplan reads{what}"
                                        f"{advice}"))


def read_input_bytes(path: Path, shown: str, limit: int | None = None, within: Path | None = None) -> bytes:
    """The bytes of the regular file ``path`` (at most ``limit``, default the input limit).

    Raises :class:`ScenarioError` naming ``shown`` for a missing, unreadable,
    special or oversized file, or one that a link leads to outside ``within``.
    """
    if within is not None:
        problem = confinement_problem(within, path, shown, "the file")
        if problem is not None:
            raise ScenarioError(problem)
    adjustable = limit is None
    limit = max_input_bytes() if limit is None else limit
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENOENT and os.path.islink(path):
            raise ScenarioError(Problem(shown, f"is a symbolic link to {os.readlink(path)!r}, which does not exist")) from None
        raise ScenarioError(Problem(shown, f"cannot be read: {exc.strerror or exc}")) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(Problem(shown, f"is {_kind(info.st_mode)}, not a file: wfplan reads only regular files"))
        if info.st_size > limit:
            raise too_large(shown, info.st_size, limit, adjustable)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise too_large(shown, None, limit, adjustable)
    except OSError as exc:
        raise ScenarioError(Problem(shown, f"cannot be read: {exc.strerror or exc}")) from None
    finally:
        os.close(fd)
    run_inputs.record(path)
    return b"".join(chunks)
