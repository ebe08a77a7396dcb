"""Charts for the report and the PCN pack: staff in post by role with the target lines, as inline SVG.

Text stays text (searchable, sharp in print), ids are fixed (the same plan
gives the same bytes), and names are never read as mathtext (a ``$`` in a
role name is a dollar sign).
"""

from __future__ import annotations

import io
import re

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

COLOURS = ["#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#833c0b", "#595959"]
TARGET_COLOUR = "#a00000"


def svg(fig: Figure, salt: str) -> str:
    """The figure as inline SVG: text as text, fixed ids, no XML prologue or namespace URLs."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"wfplan-{salt}", "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight",
                    metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", text)
    text = text.replace("xlink:href=", "href=")
    return re.sub(r"font-family:[^;\"]*", "font-family: system-ui, Arial, sans-serif", text)


def small_multiples(series: dict[str, pd.Series], periods: list[str], salt: str, ylabel: str) -> str:
    """One small line chart per series (the report's staff by staff group), shared x axis (periods), own y
    scale."""
    n = len(series)
    cols = min(3, max(n, 1))
    rows = max(1, -(-n // cols))
    with matplotlib.rc_context({"font.size": 8, "axes.spines.top": False, "axes.spines.right": False}):
        fig = Figure(figsize=(3.6 * cols, 2.3 * rows))
        x = np.arange(len(periods))
        ticks = [i for i, p in enumerate(periods) if p.endswith("Q1") or " Q" not in p]
        for i, (name, values) in enumerate(series.items()):
            ax = fig.add_subplot(rows, cols, i + 1)
            ax.plot(x, values.reindex(periods).to_numpy(dtype=float), color=COLOURS[i % len(COLOURS)], lw=1.6)
            ax.set_title(name, fontsize=9, loc="left", parse_math=False)  # a '$' in a name is text
            ax.set_xticks(ticks, [periods[t].split(" ")[0] for t in ticks], rotation=0)
            ax.set_ylim(bottom=0)
            ax.grid(axis="y", color="#dddddd", lw=0.6)
            if i % cols == 0:
                ax.set_ylabel(ylabel)
        fig.tight_layout()
        return svg(fig, salt)


def _short_year(period: str) -> str:
    """``2019/20 Q1`` -> ``19/20``: tick labels that fit a small panel."""
    year = period.split(" ")[0]
    return year[2:] if len(year) == 7 and year[4] == "/" else year


def staff_with_targets(staff: dict[str, pd.Series], targets: dict[str, pd.Series], periods: list[str], *,
                       salt: str, ylabel: str, width_in: float = 10.0, columns: int = 3,
                       panel_height_in: float = 1.9, font_size: float = 8.0) -> str:
    """One small line chart per role (own y scale, shared periods): staff in post as a solid line and the
    role's target as a dashed red step from its date on (absent before).  ``targets`` maps a panel
    name to the required level per period (NaN where no target applies)."""
    names = list(staff)
    cols = max(1, min(columns, len(names)))
    rows = max(1, -(-len(names) // cols))
    x = np.arange(len(periods))
    ticks = [i for i, p in enumerate(periods) if p.endswith("Q1") or " Q" not in p]
    with matplotlib.rc_context({"font.size": font_size, "axes.spines.top": False, "axes.spines.right": False,
                                "text.parse_math": False}):
        fig = Figure(figsize=(width_in, panel_height_in * rows))
        for i, name in enumerate(names):
            ax = fig.add_subplot(rows, cols, i + 1)
            values = staff[name].reindex(periods).to_numpy(dtype=float)
            ax.plot(x, values, color=COLOURS[i % len(COLOURS)], lw=1.6, label="in post")
            target = targets.get(name)
            top = np.nanmax(values) if len(values) and np.isfinite(values).any() else 0.0
            if target is not None:
                required = target.reindex(periods).to_numpy(dtype=float)
                if np.isfinite(required).any():
                    ax.step(x, required, where="mid", color=TARGET_COLOUR, lw=1.1, ls="--", label="target")
                    top = max(top, float(np.nanmax(required)))
            ax.set_title(name, fontsize=font_size + 0.5, loc="left", parse_math=False)  # a '$' is text
            ax.set_xticks(ticks, [_short_year(periods[t]) for t in ticks])
            ax.set_ylim(0, max(top * 1.15, 1.0))
            ax.grid(axis="y", color="#dddddd", lw=0.6)
            if i % cols == 0:
                ax.set_ylabel(ylabel)
        if any(t is not None and np.isfinite(t.to_numpy(dtype=float)).any() for t in targets.values()):
            fig.legend(handles=[matplotlib.lines.Line2D([], [], color=COLOURS[0], lw=1.6, label="in post"),
                                matplotlib.lines.Line2D([], [], color=TARGET_COLOUR, lw=1.1, ls="--",
                                                        label="target")],
                       loc="upper right", ncol=2, frameon=False, fontsize=font_size)
        fig.tight_layout(rect=(0, 0, 1, 0.97 if rows > 1 else 0.9))
        return svg(fig, salt)
