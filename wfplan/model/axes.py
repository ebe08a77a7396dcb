"""The axes of the formulation's blocks, declared where each block is created.

A block over PCN x role x period declares ``PCN_ROLE_PERIOD``; a block with one
row per row of an input table declares that table's axis (``SUPPLY_ROWS``).
Nothing in a plan uses them: :mod:`wfplan.model.naming` turns them into labels
when a model file or a golden test asks for names.  An axis no labels are given
for is numbered 0, 1, ...
"""

from __future__ import annotations

PCN_ROLE_PERIOD = ("pcn", "role", "period")
PCN_COURSE_PERIOD = ("pcn", "transition", "period")
PCN_ROUTE_PERIOD = ("pcn", "route", "period")
PCN_PERIOD = ("pcn", "period")
PCN_ROLE_LATER_PERIOD = ("pcn", "role", "period_after_first")
PCNS = ("pcn",)
PERIODS = ("period",)
SUPPLY_ROWS = ("supply_row",)
ROUTE_SUPPLY_ROWS = ("route_supply_row",)
ENTITLEMENT_ROWS = ("entitlement_row",)
POT_ROWS = ("pot_row",)
BUDGET_ROWS = ("budget_row",)
TARGET_ROWS = ("target_row",)
DEMAND_ROWS = ("demand_row",)
DEMAND_ROW_BANDS = ("demand_row", "band")
