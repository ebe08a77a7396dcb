"""Split a model into independent parts: groups of columns that share no row.

A national model is mostly independent pieces: in a synthetic England-size
scenario every place has its own supply and demand, so its PCNs share no
constraint with any other place's.  Minimising a sum of independent parts is
the same as minimising each part, and holding a level of the sum at its
optimum is the same as holding every part's level at its own optimum, so a
lexicographic plan solved part by part is the single model's plan (up to the
holding tolerance), and the sum of the parts' bounds is the single model's
bound.  Solving parts separately keeps each branch and bound small: a gap is
closed per part instead of for the product of all parts' choices.

The split is read off the assembled matrix (connected components of the
bipartite row-column graph), so it finds whatever independence the data has
and never splits anything a row couples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from solvers.base import LinearProgram

PART_COLUMNS = 20_000
"""Components are packed into parts of about this many columns: big enough that
per-part overhead is small, small enough that each branch and bound stays local."""


@dataclass(frozen=True)
class Part:
    """Some independent components: their columns and the rows they use."""

    cols: np.ndarray
    rows: np.ndarray


def independent_parts(lp: LinearProgram, part_columns: int | None = None) -> list[Part]:
    """The program's columns grouped into parts that share no row.

    Components (largest first) are packed greedily into parts of at most
    ``part_columns`` (default :data:`PART_COLUMNS`) columns (a bigger component is a part of its own).  The
    result depends only on the matrix's sparsity pattern, so it is the same
    on every run.
    """
    part_columns = PART_COLUMNS if part_columns is None else part_columns
    m, n = lp.A.shape
    pattern = sp.csr_matrix((np.ones(lp.A.nnz, dtype=np.int8), lp.A.indices, lp.A.indptr), shape=(m, n))
    graph = sp.bmat([[None, pattern], [pattern.T, None]], format="csr")
    count, labels = connected_components(graph, directed=False)
    row_label, col_label = labels[:m], labels[m:]
    sizes = np.bincount(col_label, minlength=count)
    order = np.lexsort((np.arange(count), -sizes))  # largest first, ties by label: deterministic
    part_of = np.full(count, -1, dtype=np.int64)
    filled: list[int] = []
    for label in order:
        if sizes[label] == 0:
            continue  # an empty row's component: no columns, checked by the caller
        if filled and filled[-1] + sizes[label] <= part_columns:
            filled[-1] += int(sizes[label])
        else:
            filled.append(int(sizes[label]))
        part_of[label] = len(filled) - 1
    col_part = part_of[col_label]
    row_part = part_of[row_label]
    cols_sorted = np.argsort(col_part, kind="stable")
    rows_sorted = np.argsort(row_part, kind="stable")
    col_bounds = np.searchsorted(col_part[cols_sorted], np.arange(len(filled) + 1))
    row_bounds = np.searchsorted(row_part[rows_sorted], np.arange(len(filled) + 1))
    return [Part(cols_sorted[col_bounds[i]:col_bounds[i + 1]], rows_sorted[row_bounds[i]:row_bounds[i + 1]])
            for i in range(len(filled))]


def empty_rows_feasible(lp: LinearProgram) -> bool:
    """Rows with no columns belong to no part: they hold only if 0 is within their range."""
    empty = np.diff(lp.A.indptr) == 0
    return bool(np.all((lp.row_lower[empty] <= 0.0) & (lp.row_upper[empty] >= 0.0)))


def sub_program(lp: LinearProgram, part: Part) -> LinearProgram:
    """The part's own program (objective zero: each level sets its own)."""
    A = lp.A[part.rows][:, part.cols]
    names = None if lp.col_names is None else [lp.col_names[i] for i in part.cols]
    row_names = None if lp.row_names is None else [lp.row_names[i] for i in part.rows]
    return LinearProgram(np.zeros(len(part.cols)), sp.csr_matrix(A), lp.row_lower[part.rows],
                         lp.row_upper[part.rows], lp.col_lower[part.cols], lp.col_upper[part.cols],
                         lp.integrality[part.cols], 0.0, names, row_names)
