"""The reference data and examples that ship with wfplan.

In a source checkout (or an editable install) they are the repository's
top-level ``data/`` and ``examples/``; in an installed wheel they are inside
the package, in ``wfplan/_bundled/`` (``setup.py`` copies them there at build
time).  :func:`bundled_path` finds them either way, so ``wfplan synth`` and
``wfplan examples`` work from any directory after ``pip install .``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
NAMES = ("data", "examples")


def bundled_root() -> Path:
    """The directory holding ``data/`` and ``examples/``."""
    inside = PACKAGE / "_bundled"
    if (inside / "data").is_dir():
        return inside
    checkout = PACKAGE.parent
    if (checkout / "data").is_dir() and (checkout / "examples").is_dir():
        return checkout
    raise FileNotFoundError(f"wfplan's reference data is missing (looked in {inside} and {checkout}): "
                            "reinstall wfplan")


def bundled_path(relative: str) -> Path:
    """A bundled file or directory, e.g. ``bundled_path("data/arrs")``."""
    return bundled_root() / relative


def bundled_scenarios() -> list[tuple[str, str]]:
    """(path relative to the bundle, scenario name) of every bundled scenario, data before examples."""
    import tomllib

    out = []
    root = bundled_root()
    for name in NAMES:
        for manifest in sorted((root / name).glob("*/scenario.toml")):
            title = tomllib.loads(manifest.read_text(encoding="utf-8")).get("name", "")
            out.append((f"{name}/{manifest.parent.name}", str(title)))
    return out


def copy_bundled(target: Path) -> list[Path]:
    """Copy ``data/`` and ``examples/`` into ``target`` (a new directory), keeping their layout so that the
    examples' ``extends`` still find the data."""
    root = bundled_root()
    for name in NAMES:
        shutil.copytree(root / name, target / name, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    return [target / name for name in NAMES]
