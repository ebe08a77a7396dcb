"""Array-based model building: variables and constraints as numpy blocks.

Like linopy and PyPSA, a variable is a named *block* over an index grid (for
example PCN x role x period), created in one call; a constraint block adds
its coefficients as whole arrays (COO triplets).  No Python object exists per
variable or coefficient, so a 1,250-PCN model builds in seconds.  Entries
with a column id of ``-1`` (masked-out variables) are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from solvers.base import LinearProgram

INF = np.inf


@dataclass
class Block:
    name: str
    ids: np.ndarray  # column or row ids with the block's shape; -1 where absent


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

    def add_variables(
        self,
        name: str,
        shape: tuple[int, ...],
        lower: float | np.ndarray = 0.0,
        upper: float | np.ndarray = INF,
        integer: bool = False,
        mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """Create a block of variables; return their column ids (-1 where masked out)."""
        present = np.ones(shape, dtype=bool) if mask is None else np.broadcast_to(mask, shape).copy()
        count = int(present.sum())
        ids = np.full(shape, -1, dtype=np.int64)
        ids[present] = np.arange(self.num_cols, self.num_cols + count)
        self._lower.append(np.broadcast_to(np.asarray(lower, dtype=float), shape)[present])
        self._upper.append(np.broadcast_to(np.asarray(upper, dtype=float), shape)[present])
        self._integer.append(np.full(count, integer, dtype=bool))
        self.num_cols += count
        self.variables[name] = Block(name, ids)
        return ids

    def add_constraints(
        self,
        name: str,
        shape: tuple[int, ...],
        lower: float | np.ndarray = -INF,
        upper: float | np.ndarray = INF,
    ) -> np.ndarray:
        """Create a block of rows ``lower <= expression <= upper``; return their row ids."""
        count = int(np.prod(shape))
        ids = np.arange(self.num_rows, self.num_rows + count, dtype=np.int64).reshape(shape)
        self._row_lower.append(np.broadcast_to(np.asarray(lower, dtype=float), shape).ravel().copy())
        self._row_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), shape).ravel().copy())
        self.num_rows += count
        self.constraints[name] = Block(name, ids)
        return ids

    def add_terms(self, rows: np.ndarray, cols: np.ndarray, coefs: float | np.ndarray = 1.0) -> None:
        """Add ``coef * x[col]`` to each row (arrays broadcast together)."""
        rows, cols, coefs = np.broadcast_arrays(np.asarray(rows), np.asarray(cols), np.asarray(coefs, dtype=float))
        keep = (cols >= 0) & (rows >= 0) & (coefs != 0)
        self._rows.append(rows[keep].ravel())
        self._cols.append(cols[keep].ravel())
        self._vals.append(coefs[keep].ravel())

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
