"""Explaining plans: what cannot be met and why (:mod:`~wfplan.explain.diagnose`),
what binds and what it is worth (:mod:`~wfplan.explain.marginal`), and what-if
comparisons (:mod:`~wfplan.explain.compare`, :mod:`~wfplan.explain.sensitivity`)."""
