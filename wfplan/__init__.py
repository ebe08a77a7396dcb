"""wfplan: workforce planning optimisation for NHS primary care."""

__version__ = "0.1.0"
