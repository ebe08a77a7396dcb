"""Atomic, exclusive, deterministic output.

Every command writes its files into a fresh staging directory (or file)
beside the target and renames it into place only when everything is
written, so an interrupted run (Ctrl-C, SIGTERM, a crash) leaves earlier
outputs intact and never a half-written directory.

* **No overwrite, even under concurrency.**  Without ``force`` the final
  step is exclusive: a directory is renamed onto a target that does not
  exist (``rename`` fails if another run created it meanwhile) and a file is
  hard-linked (fails if it exists).  Of two runs writing the same new
  output, exactly one succeeds; the other exits 2 saying so.
* **Commits are not interrupted.**  SIGINT and SIGTERM are held while an
  existing output is swapped for the new one, so no signal leaves the old
  output moved aside and the new one not in place; :func:`committed`
  tells the CLI whether an interrupted run changed anything.
* **Nothing stale is left to trip on.**  Staging names carry the host and
  process id (``.plan.wfplan-host-1234-x8k2.tmp``); each run first removes
  those of dead processes on this host, and puts back an old output that a
  run killed mid-swap had moved aside.
* **Permissions follow the umask**, as for any file the user creates
  (staging directories are created owner-only).
* The target path is checked first (:mod:`wfplan.files.output_paths`): never an
  input of the run, never ``.``, a parent that is a file, a name too long.

CSV and JSON are written with fixed ordering and number formats so the same
inputs give byte-identical files.  CSVs for people never hold active
formula text (:func:`wfplan.files.excel_safety.csv_safe`), and JSON never holds a
bare ``NaN`` or ``Infinity`` (written as ``null``).
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from wfplan.errors import OutputError, OutputExistsError
from wfplan.files.excel_safety import csv_safe
from wfplan.files.output_paths import check_not_an_input, check_output_path

FLOAT_FORMAT = "%.12g"
"""12 significant digits: money to the penny up to GBP 1bn, WTE to 1e-9; fixed, so runs compare byte for byte."""

STAGING_NAME_CHARS = 60
"""Characters of the target's name kept in a staging name (so staging names stay short)."""

LEGACY_STAGING_AGE = 24 * 3600
"""Seconds after which a staging directory of an older wfplan (no process id in its name) is removed."""

_committed: list[Path] = []
_umask_lock = threading.Lock()


def committed() -> list[Path]:
    """Outputs this process has put in place (so an interrupted run can say truly what changed)."""
    return list(_committed)


def reset_committed() -> None:
    _committed.clear()


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:32] or "host"


def _stem(target: Path) -> str:
    return f".{target.name[:STAGING_NAME_CHARS]}.wfplan-"


def _prefix(target: Path) -> str:
    return f"{_stem(target)}{_host()}-{os.getpid()}-"


def _umask() -> int:
    with _umask_lock:
        mask = os.umask(0)
        os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def clean_stale(target: Path) -> list[Path]:
    """Remove the staging that dead wfplan processes on this host left beside ``target``.

    Any wfplan staging in the directory counts, whatever output it was for
    (and, for ``target``'s own name, the staging names older versions used).
    An output that a run killed mid-swap had moved aside is put back where
    it was, if nothing has taken its place (otherwise it is removed).
    Returns what was removed or restored.
    """
    parent = target.parent
    ours = re.compile(rf"^\.(.+)\.wfplan-{re.escape(_host())}-(\d+)-(.*)$")
    # what wfplan 0.x left: only for this target's own name (the pattern is not distinctive enough)
    legacy_old = re.compile(rf"^\.({re.escape(target.name)})\.old-(\d+)$")
    legacy_tmp = re.compile(rf"^\.{re.escape(target.name)}\.[A-Za-z0-9_]{{8}}\.tmp$")
    cleaned: list[Path] = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return []
    for entry in entries:
        path = Path(entry.path)
        match = ours.match(entry.name)
        old = legacy_old.match(entry.name)
        if match is not None or old is not None:
            name, pid = (match.group(1), match.group(2)) if match is not None else (old.group(1), old.group(2))
            if _alive(int(pid)):
                continue
            if old is not None or match.group(3) == "old":
                original = target if name == target.name[:STAGING_NAME_CHARS] else parent / name
                if len(name) < STAGING_NAME_CHARS or original == target:
                    if not os.path.lexists(original):
                        with contextlib.suppress(OSError):
                            os.rename(path, original)  # a run killed mid-swap: the earlier output comes back
                            cleaned.append(original)
                            continue
                else:
                    continue  # cut name, unknown owner: leave it rather than lose an output
            _remove(path)
            cleaned.append(path)
        elif legacy_tmp.match(entry.name):
            with contextlib.suppress(OSError):
                if time.time() - entry.stat(follow_symlinks=False).st_mtime > LEGACY_STAGING_AGE:
                    _remove(path)
                    cleaned.append(path)
    return cleaned


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, so a commit is never cut in half.

    A signal that arrives meanwhile is noted and handed to the previous
    handler (or its default action) after the block.  Python runs signal
    handlers in the main thread whichever thread the signal reached, so this
    holds even while solver threads run; elsewhere it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: pending.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in dict.fromkeys(pending):
            handler = previous[sig]
            if callable(handler):
                handler(sig, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(sig)


def _output_error(target: Path, exc: OSError) -> OutputError:
    if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
        return OutputExistsError(target, "was created by another run while this one worked: nothing was "
                                         "overwritten (use --force to replace it)")
    return OutputError(target, f"cannot be written: {exc.strerror or exc}")


def _prepare(target: Path, kind: str, force: bool) -> None:
    check_output_path(target, kind, force)
    clean_stale(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _output_error(target, exc) from None


def _commit_directory(staging: Path, target: Path, force: bool) -> None:
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes owner-only directories
    aside: Path | None = None
    with signals_held():
        check_not_an_input(target)
        if os.path.lexists(target):
            if not force:
                raise OutputExistsError(target, "was created by another run while this one worked: nothing "
                                                "was overwritten (use --force to replace it)")
            if not target.is_dir() or target.is_symlink():
                raise OutputError(target, "exists and is not a directory: not replaced")
            aside = target.with_name(f"{_prefix(target)}old")
            try:
                os.rename(target, aside)
            except OSError as exc:
                raise _output_error(target, exc) from None
            try:
                os.rename(staging, target)
            except OSError as exc:
                os.rename(aside, target)
                raise _output_error(target, exc) from None
        else:
            try:
                os.rename(staging, target)  # fails (ENOTEMPTY) if another run has put its output there
            except OSError as exc:
                raise _output_error(target, exc) from None
        _committed.append(target)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)  # outside the held block: a large old output takes time


def _commit_file(staging: Path, target: Path, force: bool) -> None:
    os.chmod(staging, 0o666 & ~_umask())  # mkstemp makes owner-only files
    with signals_held():
        check_not_an_input(target)
        try:
            if force:
                if target.is_dir() and not target.is_symlink():
                    raise OutputError(target, "is a directory; expected a file name")
                os.replace(staging, target)
            else:
                try:
                    os.link(staging, target)  # exclusive: fails if the target exists
                except OSError as exc:
                    if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                        raise
                    os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # no hard links here
                    os.replace(staging, target)
                else:
                    staging.unlink()
        except OSError as exc:
            raise _output_error(target, exc) from None
        _committed.append(target)


@contextmanager
def atomic_directory(target: Path, force: bool = False) -> Iterator[Path]:
    """Yield a staging directory that becomes ``target`` when the block succeeds."""
    target = Path(target)
    _prepare(target, "directory", force)
    try:
        staging = Path(tempfile.mkdtemp(prefix=_prefix(target), suffix=".tmp", dir=target.parent))
    except OSError as exc:
        raise _output_error(target, exc) from None
    try:
        yield staging
        _commit_directory(staging, target, force)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


@contextmanager
def atomic_file(target: Path, force: bool = False) -> Iterator[Path]:
    """Yield a staging path that is renamed to ``target`` when the block succeeds."""
    target = Path(target)
    _prepare(target, "file", force)
    try:
        fd, name = tempfile.mkstemp(prefix=_prefix(target), suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _output_error(target, exc) from None
    os.close(fd)
    staging = Path(name)
    try:
        yield staging
        _commit_file(staging, target, force)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise


@contextmanager
def files_into(directory: Path, names: list[str], force: bool = False) -> Iterator[Path]:
    """Yield a staging directory whose files ``names`` are put into ``directory``.

    A new ``directory`` is created atomically as a whole; into an existing one
    (a plan directory, say) each file is committed like :func:`atomic_file`.
    """
    directory = Path(directory)
    if not directory.is_dir():
        with atomic_directory(directory, force=force) as staging:
            yield staging
        return
    for name in names:
        _prepare(directory / name, "file", force)
    try:
        staging = Path(tempfile.mkdtemp(prefix=_prefix(directory / names[0]), suffix=".tmp", dir=directory))
    except OSError as exc:
        raise _output_error(directory, exc) from None
    try:
        yield staging
        for name in names:
            if (staging / name).exists():
                _commit_file(staging / name, directory / name, force)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_csv(frame: pd.DataFrame, path: Path, people: bool = True) -> None:
    """Write a DataFrame as UTF-8 CSV with LF line ends and fixed float format.

    ``people`` (the default: plans, goals, trajectories, reports) neutralises
    text that a spreadsheet would run as a formula (:func:`csv_safe`);
    readers of wfplan's own CSVs undo it (:func:`wfplan.files.excel_safety.csv_text`).
    """
    if people:
        frame = frame.copy()
        for column in frame.columns:
            if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column].dtype):
                frame[column] = frame[column].map(lambda v: csv_safe(v) if isinstance(v, str) else v)
    frame.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def _finite(data: object) -> object:
    """``data`` with every NaN or infinity replaced by None (JSON has no such numbers)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(v) for v in data]
    return data


def write_json(data: object, path: Path) -> None:
    """Write strictly valid JSON: sorted keys, non-finite numbers as ``null``."""
    text = json.dumps(_finite(data), indent=2, sort_keys=True, default=str, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
