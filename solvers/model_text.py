"""A :class:`~solvers.base.LinearProgram` for people to read: rows as text, and LP or MPS files.

``row_text`` writes one row as ``name: lower <= +2 x[a] -0.5 y[b] <= upper``
with the program's ``row_names`` and ``col_names`` (numbered ``r<i>`` and
``x<j>`` where a program has none), coefficients in column order and numbers
in a short, exact-enough form (``%.12g``), so the same program always gives the
same text: golden tests can compare it, and a reviewer can check a row against
the maths.  ``write_model`` hands the program with its names to HiGHS, which
writes a CPLEX LP file (``.lp``) or an MPS file (``.mps``) that any solver reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .base import LinearProgram, SolverUnavailableError


def number_text(value: float) -> str:
    """A coefficient or bound as text: ``%.12g``, with ``inf``/``-inf`` for infinite values."""
    if np.isposinf(value):
        return "inf"
    if np.isneginf(value):
        return "-inf"
    text = f"{float(value):.12g}"
    return "0" if text == "-0" else text


def column_name(lp: LinearProgram, j: int) -> str:
    return lp.col_names[j] if lp.col_names is not None else f"x{j}"


def row_name(lp: LinearProgram, i: int) -> str:
    return lp.row_names[i] if lp.row_names is not None else f"r{i}"


def expression_text(lp: LinearProgram, columns: Iterable[int], coefficients: Iterable[float]) -> str:
    """``+2 x[a] -0.5 y[b]``: signed coefficients and column names (``0`` for no term)."""
    terms = []
    for j, coef in zip(columns, coefficients, strict=True):
        sign = "-" if coef < 0 else "+"
        terms.append(f"{sign}{number_text(abs(coef))} {column_name(lp, int(j))}")
    return " ".join(terms) or "0"


def row_text(lp: LinearProgram, i: int) -> str:
    """Row ``i`` as ``name: lower <= expression <= upper`` (``=`` when the bounds are equal,
    one side when the other is infinite, ``free`` when both are)."""
    A = lp.A.tocsr() if not hasattr(lp.A, "indptr") else lp.A
    start, end = int(A.indptr[i]), int(A.indptr[i + 1])
    order = np.argsort(A.indices[start:end], kind="stable")
    expression = expression_text(lp, A.indices[start:end][order], A.data[start:end][order])
    return f"{row_name(lp, i)}: {_bounded(expression, lp.row_lower[i], lp.row_upper[i])}"


def column_text(lp: LinearProgram, j: int) -> str:
    """Column ``j``'s bounds and type, as ``lower <= name <= upper`` and ``integer`` when it is."""
    kind = " integer" if lp.integrality[j] else ""
    return _bounded(column_name(lp, j), lp.col_lower[j], lp.col_upper[j]) + kind


def _bounded(middle: str, lower: float, upper: float) -> str:
    if lower == upper:
        return f"{middle} = {number_text(lower)}"
    if np.isneginf(lower) and np.isposinf(upper):
        return f"{middle} free"
    if np.isneginf(lower):
        return f"{middle} <= {number_text(upper)}"
    if np.isposinf(upper):
        return f"{middle} >= {number_text(lower)}"
    return f"{number_text(lower)} <= {middle} <= {number_text(upper)}"


_FILE_NAME = str.maketrans({" ": "_", "/": "_", "[": "(", "]": ")"})
"""Characters of a name that LP and MPS files cannot hold, and what replaces them."""


def write_model(lp: LinearProgram, path: Path) -> None:
    """Write ``lp`` with its names as an LP (``.lp``) or MPS (``.mps``) file, through HiGHS.

    Names are adapted to what HiGHS writes in both formats: spaces and slashes
    (period labels such as ``2022/23 Q1``) become ``_`` and square brackets
    round ones, so ``stock[breckland,fcp,2022/23 Q1]`` is written
    ``stock(breckland,fcp,2022_23_Q1)`` (HiGHS numbers every name ``c0``,
    ``r0``, ... when one holds a character it refuses).  Raises :class:`SolverUnavailableError` without highspy,
    and ``ValueError`` for another suffix or when HiGHS cannot write the file.
    """
    path = Path(path)
    if path.suffix.lower() not in (".lp", ".mps"):
        raise ValueError(f"{path}: a model file ends in .lp or .mps")
    try:
        import highspy
    except ImportError as exc:
        raise SolverUnavailableError(f"writing a model file needs highspy ({exc})") from exc
    from .highs import _new_highs, _pass_model, _scheduler_lock  # one way of handing a program to HiGHS

    with _scheduler_lock:
        h = _new_highs()
        h.setOptionValue("output_flag", False)
        if _pass_model(h, lp, 1.0) == highspy.HighsStatus.kError:
            raise ValueError("HiGHS rejected the model")
        for j in range(lp.num_cols):
            h.passColName(j, column_name(lp, j).translate(_FILE_NAME))
        for i in range(lp.num_rows):
            h.passRowName(i, row_name(lp, i).translate(_FILE_NAME))
        if h.writeModel(str(path)) == highspy.HighsStatus.kError:
            raise ValueError(f"{path}: HiGHS could not write the model")
