"""Array-based model building: variables and constraints as numpy blocks.

Like linopy and PyPSA, a variable is a named *block* over an index grid (for
example PCN x role x period), created in one call; a constraint block adds
its coefficients as whole arrays (COO triplets).  No Python object exists per
variable or coefficient, so a 1,250-PCN model builds in seconds.  Entries
with a column id of ``-1`` (masked-out variables) are dropped.

A *named expression* (calliope's "global expression") is a block of linear
forms over the columns plus a constant, such as staff FTE or employment cost
per PCN, role and period.  The formulation defines each quantity once as an
expression, uses it in its rows and objectives (:meth:`ModelBuilder.add_expression_terms`),
and the plan tables, sweeps and explain evaluate the same expression at a
solution (:meth:`ModelBuilder.evaluate`) instead of recomputing it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from solvers.base import LinearProgram

INF = np.inf

AxisLabels = Sequence[Sequence[object] | None]
"""Labels of a block's positions, one sequence per axis (None: number the axis)."""


@dataclass
class Block:
    name: str
    ids: np.ndarray  # column or row ids with the block's shape; -1 where absent
    axes: tuple[str, ...] | None = None  # what each axis runs over (see wfplan.model.axes), for names


@dataclass
class Expression:
    """A named block of linear forms: ``value[i] = constant[i] + sum coef x[col]`` over its terms."""

    name: str
    shape: tuple[int, ...]
    constant: np.ndarray  # flat, one per form
    terms: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)  # (form, col, coef)
    _matrix: sp.csr_matrix | None = None

    def add(self, forms: np.ndarray, cols: np.ndarray, coefs: float | np.ndarray = 1.0) -> None:
        """Add ``coef * x[col]`` to each form (flat indices into the block; arrays broadcast)."""
        forms, cols, coefs = np.broadcast_arrays(np.asarray(forms), np.asarray(cols), np.asarray(coefs, dtype=float))
        keep = (cols >= 0) & (coefs != 0)
        self.terms.append((forms[keep].ravel(), cols[keep].ravel(), coefs[keep].ravel()))
        self._matrix = None

    def matrix(self, num_cols: int) -> sp.csr_matrix:
        """The forms as a sparse matrix (one row per form)."""
        if self._matrix is None or self._matrix.shape[1] != num_cols:
            parts = self.terms or [(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))]
            rows, cols, vals = (np.concatenate([part[i] for part in parts]) for i in range(3))
            self._matrix = sp.coo_matrix((vals, (rows, cols)), shape=(self.constant.size, num_cols)).tocsr()
        return self._matrix


@dataclass
class ModelBuilder:
    """Collects variable blocks, constraint blocks and objective terms by level."""

    num_cols: int = 0
    num_rows: int = 0
    variables: dict[str, Block] = field(default_factory=dict)
    constraints: dict[str, Block] = field(default_factory=dict)
    _lower: list[np.ndarray] = field(default_factory=list)
    _upper: list[np.ndarray] = field(default_factory=list)
    _integer: list[np.ndarray] = field(default_factory=list)
    _row_lower: list[np.ndarray] = field(default_factory=list)
    _row_upper: list[np.ndarray] = field(default_factory=list)
    _rows: list[np.ndarray] = field(default_factory=list)
    _cols: list[np.ndarray] = field(default_factory=list)
    _vals: list[np.ndarray] = field(default_factory=list)
    _objective: dict[str, list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)
    expressions: dict[str, Expression] = field(default_factory=dict)

    def add_variables(
        self,
        name: str,
        shape: tuple[int, ...],
        lower: float | np.ndarray = 0.0,
        upper: float | np.ndarray = INF,
        integer: bool = False,
        mask: np.ndarray | None = None,
        axes: tuple[str, ...] | None = None,
    ) -> np.ndarray:
        """Create a block of variables; return their column ids (-1 where masked out).
        ``axes`` says what each axis runs over (for names; see :mod:`wfplan.model.axes`)."""
        present = np.ones(shape, dtype=bool) if mask is None else np.broadcast_to(mask, shape).copy()
        count = int(present.sum())
        ids = np.full(shape, -1, dtype=np.int64)
        ids[present] = np.arange(self.num_cols, self.num_cols + count)
        self._lower.append(np.broadcast_to(np.asarray(lower, dtype=float), shape)[present])
        self._upper.append(np.broadcast_to(np.asarray(upper, dtype=float), shape)[present])
        self._integer.append(np.full(count, integer, dtype=bool))
        self.num_cols += count
        self.variables[name] = Block(name, ids, axes)
        return ids

    def add_constraints(
        self,
        name: str,
        shape: tuple[int, ...],
        lower: float | np.ndarray = -INF,
        upper: float | np.ndarray = INF,
        axes: tuple[str, ...] | None = None,
    ) -> np.ndarray:
        """Create a block of rows ``lower <= expression <= upper``; return their row ids."""
        count = int(np.prod(shape))
        ids = np.arange(self.num_rows, self.num_rows + count, dtype=np.int64).reshape(shape)
        self._row_lower.append(np.broadcast_to(np.asarray(lower, dtype=float), shape).ravel().copy())
        self._row_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), shape).ravel().copy())
        self.num_rows += count
        self.constraints[name] = Block(name, ids, axes)
        return ids

    def add_terms(self, rows: np.ndarray, cols: np.ndarray, coefs: float | np.ndarray = 1.0) -> None:
        """Add ``coef * x[col]`` to each row (arrays broadcast together)."""
        rows, cols, coefs = np.broadcast_arrays(np.asarray(rows), np.asarray(cols), np.asarray(coefs, dtype=float))
        keep = (cols >= 0) & (rows >= 0) & (coefs != 0)
        self._rows.append(rows[keep].ravel())
        self._cols.append(cols[keep].ravel())
        self._vals.append(coefs[keep].ravel())

    def add_expression(self, name: str, shape: tuple[int, ...], constant: float | np.ndarray = 0.0,
                       extends: str | None = None) -> np.ndarray:
        """Create a named expression block; return its form ids (flat indices, with the block's shape).

        ``extends`` names an expression of the same shape whose terms this one starts
        with (shared, not copied): ``spend`` is ``employment_cost`` plus other costs."""
        flat = np.broadcast_to(np.asarray(constant, dtype=float), shape).ravel().copy()
        expression = Expression(name, shape, flat)
        if extends is not None:
            base = self.expressions[extends]
            if base.shape != shape:
                raise ValueError(f"expression {name!r} {shape} cannot extend {extends!r} {base.shape}")
            expression.terms = list(base.terms)
            expression.constant += base.constant
        self.expressions[name] = expression
        return np.arange(flat.size, dtype=np.int64).reshape(shape)

    def add_to_expression(self, name: str, forms: np.ndarray, cols: np.ndarray,
                          coefs: float | np.ndarray = 1.0) -> None:
        """Add ``coef * x[col]`` to forms of expression ``name``."""
        self.expressions[name].add(forms, cols, coefs)

    def add_expression_terms(self, rows: np.ndarray, name: str, scale: float = 1.0) -> None:
        """Add ``scale`` x each form of expression ``name`` to ``rows`` (an array of its
        shape, -1 where a form goes to no row).  The constant is the caller's (row bounds)."""
        rows = np.broadcast_to(np.asarray(rows), self.expressions[name].shape).ravel()
        for forms, cols, coefs in self.expressions[name].terms:
            self.add_terms(rows[forms], cols, scale * coefs if scale != 1.0 else coefs)

    def add_expression_objective(self, level: str, name: str, scale: float = 1.0) -> None:
        """Add ``scale`` x the sum of expression ``name``'s forms to a level's objective."""
        for _, cols, coefs in self.expressions[name].terms:
            self.add_objective(level, cols, scale * coefs if scale != 1.0 else coefs)

    def evaluate(self, name: str, x: np.ndarray) -> np.ndarray:
        """Expression ``name`` at the solution ``x``, with the block's shape."""
        expression = self.expressions[name]
        return (expression.matrix(self.num_cols) @ x + expression.constant).reshape(expression.shape)

    def add_objective(self, level: str, cols: np.ndarray, coefs: float | np.ndarray = 1.0) -> None:
        """Add ``coef * x[col]`` to the objective of a priority level."""
        cols, coefs = np.broadcast_arrays(np.asarray(cols), np.asarray(coefs, dtype=float))
        keep = (cols >= 0) & (coefs != 0)
        self._objective.setdefault(level, []).append((cols[keep].ravel(), coefs[keep].ravel()))

    def objective_vector(self, level: str) -> np.ndarray:
        c = np.zeros(self.num_cols)
        for cols, coefs in self._objective.get(level, []):
            np.add.at(c, cols, coefs)
        return c

    @property
    def num_integer(self) -> int:
        """Whole-number columns (whole-people decisions and switches)."""
        return int(sum(int(part.sum()) for part in self._integer))

    @property
    def objective_levels(self) -> list[str]:
        """Levels with at least one term."""
        return [level for level, parts in self._objective.items() if any(len(cols) for cols, _ in parts)]

    def build(self) -> LinearProgram:
        """The program with a zero objective (callers choose the objective per level)."""
        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

        A = sp.coo_matrix(
            (cat(self._vals, float), (cat(self._rows, np.int64), cat(self._cols, np.int64))),
            shape=(self.num_rows, self.num_cols),
        ).tocsr()
        A.sum_duplicates()
        return LinearProgram(
            c=np.zeros(self.num_cols),
            A=A,
            row_lower=cat(self._row_lower, float),
            row_upper=cat(self._row_upper, float),
            col_lower=cat(self._lower, float),
            col_upper=cat(self._upper, float),
            integrality=cat(self._integer, bool),
        )

    def value(self, name: str, x: np.ndarray) -> np.ndarray:
        """The solution values of a variable block (0 where masked out)."""
        ids = self.variables[name].ids
        out = np.zeros(ids.shape)
        present = ids >= 0
        out[present] = x[ids[present]]
        return out

    # --- names, on demand ---------------------------------------------------
    # Nothing below runs when a plan is built or solved: names cost a string per
    # row and column (millions on a 1,250-PCN model), so they are made only when
    # asked for (an LP file to read, the per-block golden tests).

    def column_names(self, labels: Mapping[str, AxisLabels] | None = None) -> list[str]:
        """A name for every column, in column order: ``block[label,label,...]``.

        ``labels`` gives, per block name, one sequence of labels per axis (None
        for an axis numbered 0, 1, ...); blocks not in it are numbered on every
        axis.  So ``stock[PCN01,fcp,2022/23 Q1]`` with labels, ``stock[0,0,0]``
        without.
        """
        return _names(self.variables, self.num_cols, labels or {})

    def row_names(self, labels: Mapping[str, AxisLabels] | None = None) -> list[str]:
        """A name for every row, in row order (see :meth:`column_names`)."""
        return _names(self.constraints, self.num_rows, labels or {})

    def named_program(self, column_labels: Mapping[str, AxisLabels] | None = None,
                      row_labels: Mapping[str, AxisLabels] | None = None) -> LinearProgram:
        """:meth:`build`'s program with ``col_names`` and ``row_names`` filled.

        Labels are given separately for columns and rows: a variable block and
        a constraint block may share a name over different axes.
        """
        lp = self.build()
        lp.col_names = self.column_names(column_labels)
        lp.row_names = self.row_names(row_labels)
        return lp


def _names(blocks: Mapping[str, Block], count: int, labels: Mapping[str, AxisLabels]) -> list[str]:
    """One name per id of ``blocks`` (ids 0 .. count-1), from each block's name and index."""
    names: list[str] = [""] * count
    for name, block in blocks.items():
        axes = _axis_labels(name, block.ids.shape, labels.get(name))
        for index in zip(*np.nonzero(block.ids >= 0), strict=True):
            names[int(block.ids[index])] = f"{name}[{','.join(axes[a][i] for a, i in enumerate(index))}]"
    return names


def _axis_labels(name: str, shape: tuple[int, ...], given: AxisLabels | None) -> list[list[str]]:
    """Per axis of block ``name``, the text of each position: its label, or its number."""
    given = given if given is not None else (None,) * len(shape)
    if len(given) != len(shape):
        raise ValueError(f"block {name!r} has {len(shape)} axes, but labels for {len(given)} were given")
    out = []
    for axis, (size, axis_labels) in enumerate(zip(shape, given, strict=True)):
        if axis_labels is None:
            out.append([str(i) for i in range(size)])
            continue
        if len(axis_labels) != size:
            raise ValueError(f"block {name!r} axis {axis} has {size} positions, "
                             f"but {len(axis_labels)} labels were given")
        out.append([str(label) for label in axis_labels])
    return out
