"""Build hook: ship the reference data and examples inside the wheel.

The repository keeps ``data/`` (ARRS rules, Norfolk and Waveney data) and
``examples/`` at its top level, where users and the README find them.  A
wheel has no top level of its own, so the build copies both into the package
as ``wfplan/_bundled/data`` and ``wfplan/_bundled/examples`` (the relative
``extends`` paths between them still hold).  :mod:`wfplan.bundled` finds them
there in an installed wheel and at the top level in a source checkout or an
editable install.  Everything else is configured in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("data", "examples")


class BuildWithData(build_py):
    """``build_py`` that also copies ``data/`` and ``examples/`` into ``wfplan/_bundled/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's own data/ and examples/
        target = Path(self.build_lib) / "wfplan" / "_bundled"
        for name in BUNDLED:
            source = ROOT / name
            if not source.is_dir():
                raise FileNotFoundError(f"{source}: the wheel needs it (is this a complete checkout or sdist?)")
            shutil.copytree(source, target / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


setup(cmdclass={"build_py": BuildWithData})
