"""Atomic, deterministic output.

Every command writes its files into a fresh temporary directory beside the
target and renames it into place only when everything is written, so an
interrupted run (Ctrl-C, SIGTERM, a crash) leaves earlier outputs intact and
never a half-written directory.  An existing output is replaced only with
``force``.  CSV and JSON are written with fixed ordering and number formats so
the same inputs give byte-identical files.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from wfplan.errors import OutputExistsError

FLOAT_FORMAT = "%.12g"
"""12 significant digits: money to the penny up to GBP 1bn, WTE to 1e-9; fixed, so runs compare byte for byte."""


@contextmanager
def atomic_directory(target: Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary directory that becomes ``target`` when the block succeeds."""
    target = Path(target)
    if target.exists() and not force:
        raise OutputExistsError(f"{target} already exists: use --force to replace it")
    if target.exists() and not target.is_dir():
        raise OutputExistsError(f"{target} exists and is not a directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield staging
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            target.rename(old)
            staging.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


@contextmanager
def atomic_file(target: Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path that is renamed to ``target`` when the block succeeds."""
    target = Path(target)
    if target.exists() and not force:
        raise OutputExistsError(f"{target} already exists: use --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    staging = Path(name)
    try:
        yield staging
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(staging, 0o666 & ~mask)  # mkstemp makes owner-only files
        os.replace(staging, target)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a DataFrame as UTF-8 CSV with LF line ends and fixed float format."""
    frame.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def write_json(data: object, path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
