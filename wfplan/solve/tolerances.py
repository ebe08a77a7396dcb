"""How closely a level is held and when a level counts as proven: the tolerances of the level-by-level solve."""

from __future__ import annotations

import numpy as np

ABSOLUTE_TOLERANCE = 1e-5
"""Slack when holding a level at its optimum, per unit of the level's largest coefficient:
some backends report solutions to ~6 digits."""


PROOF_ABSOLUTE = 1e-4
"""A level whose LP bound is 0 counts as proven when the plan is within this many
units (per unit of the level's largest coefficient) of it: a ten-thousandth of
a person or an appointment, ten times the tolerance each level is held to
(:data:`ABSOLUTE_TOLERANCE`), which LP and whole-people solves both accumulate."""


RELATIVE_TOLERANCE = 1e-7
"""Relative slack when holding a level: CBC (through PuLP) reports values to 8 significant digits."""


def proof_slack(vector: np.ndarray, bound: float, gap: float, share: float = 1.0) -> float:
    """How far above its bound a level may be and still count as within ``gap``
    (a part of a program takes ``share`` of the absolute allowance)."""
    return max(gap * abs(bound), share * PROOF_ABSOLUTE * largest_coefficient(vector))


def relative_gap(value: float, bound: float) -> float:
    """How far, at most, a level is from the best possible: (value - bound) /
    max(1, |value|), as a solver reports a gap (so a level near 0 is measured in units)."""
    return max(value - bound, 0.0) / max(1.0, abs(value))


def largest_coefficient(vec: np.ndarray) -> float:
    """The largest coefficient of a level (at least 1): the absolute slack is
    1e-5 of a unit of its biggest term, so a level of shortfalls priced at
    GBP 1,000 a person is held to 1e-5 of a person, not 1e-8 (below what
    CBC can tell from zero)."""
    return max(1.0, float(np.abs(vec).max(initial=0.0)))
