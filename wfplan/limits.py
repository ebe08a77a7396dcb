"""How much input wfplan will read: the bounds that keep hostile files harmless.

A file a user is sent may be a symlink to a device, a FIFO, a zip bomb, a
manifest nested ten thousand deep or a workbook whose used range reaches the
last cell.  Every reader checks these bounds *before* doing the work, so a
hostile input costs seconds and tens of megabytes, then exits 2 with a
located message.  The README's "Security notes" table lists them.

Only :data:`max_input_bytes` is meant to be changed (``wfplan
--max-input-mb N`` or the ``WFPLAN_MAX_INPUT_MB`` environment variable), for
a genuinely larger scenario; the rest are far above anything a scenario
needs.
"""

from __future__ import annotations

import os

DEFAULT_MAX_INPUT_MB = 64
"""Largest table, plan file or workbook read, in MiB (an England-size synthetic scenario's
largest CSV is about 12 MiB)."""

ENVIRONMENT_VARIABLE = "WFPLAN_MAX_INPUT_MB"

MAX_MANIFEST_BYTES = 1024 * 1024
"""scenario.toml / scenario.yaml / summary.json: 1 MiB (real ones are a few KiB)."""

MAX_NESTING = 16
"""Deepest nesting of tables, lists and mappings in a manifest or summary.json (real ones: 3)."""

MAX_KEY_PARTS = 16
"""Most parts in one dotted TOML key (``a.b.c``); tomllib takes quadratic time in them."""

MAX_YAML_ALIASES = 100
"""Most YAML alias uses (``*name``) in a manifest."""

MAX_NODES = 100_000
"""Most values (after YAML alias expansion) in a parsed manifest or summary.json."""

MAX_EXTENDS_DEPTH = 16
"""Longest chain of ``extends`` (a scenario, its base, the base's base ...)."""

MAX_SCENARIO_LAYERS = 64
"""Most scenario directories loaded for one scenario through ``extends``."""

MAX_SHEET_ROWS = 1_000_000
MAX_SHEET_COLUMNS = 256
"""A workbook sheet's used range may reach row 1,000,000 and column IV (256)."""

MAX_WORKBOOK_CELLS = 1_000_000
"""Most cells and rows (counted in the sheets' XML before parsing) in one workbook: openpyxl parses
about 25,000 cells a second, so this bounds a workbook's reading to under a minute.  An England-size
synthetic scenario (1,250 PCNs) has 580,000."""

MAX_WORKBOOK_MEMBERS = 1_000
"""Most files inside one .xlsx (a zip archive)."""

MAX_TABLE_COLUMNS = 100
"""Most columns in a table's header (a table has at most 20)."""

MAX_PROBLEMS = 1_000
"""Validation of one table stops after this many problems (25 are shown; `wfplan validate` shows all)."""

MAX_SHOWN_CHARS = 80
"""Longest value echoed in a message; longer values are cut, saying how much was cut."""

MAX_MESSAGE_CHARS = 600
"""Longest single problem message."""

_override_mb: float | None = None


def set_max_input_mb(megabytes: float | None) -> None:
    """Set the input size limit for this process (``None``: the environment or default)."""
    global _override_mb
    _override_mb = megabytes


BYTES_PER_ROW = 128
"""A scenario may hold one table row per this many bytes of the input limit, all tables together."""


def max_scenario_rows() -> int:
    """Most rows of all a scenario's tables (524,288 at the default 64 MiB; the 1,250-PCN synthetic
    scenario has 75,000): validated rows cost about 1.7 KB and 45 microseconds each."""
    return max_input_bytes() // BYTES_PER_ROW


def max_input_bytes() -> int:
    """The largest file wfplan reads, in bytes: the CLI option, else the environment, else 64 MiB."""
    megabytes: float = DEFAULT_MAX_INPUT_MB
    if _override_mb is not None:
        megabytes = _override_mb
    else:
        text = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
        if text:
            try:
                megabytes = float(text)
            except ValueError:
                megabytes = DEFAULT_MAX_INPUT_MB
            if not megabytes > 0:
                megabytes = DEFAULT_MAX_INPUT_MB
    return int(megabytes * 1024 * 1024)
