"""The unit report's charts: procedures by outcome and adverse events per 100 started, per group.

Drawn as the course chart is (planner/charts.py: matplotlib's object API, text kept as text, the SVG
made fit for the strict CSP), so the page and the PDF show the same picture. Greyscale: the bars are
told apart by shade and hatching, and labelled in the legend.
"""

import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from planner import charts as course_charts
from planner.models import AdverseEvent
from planner.report_tables import group_name
from planner.reports import SEVERITIES

# This module's source: a new version of the drawing code never reuses an older version's drawings.
_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
# The groups a chart shows, the busiest first; the tables list them all.
MOST_GROUPS = 12
WIDTH_IN, BAR_IN, MARGIN_IN = 7.2, 0.28, 0.9
OUTCOME_STYLE = (  # (field, label, face, hatch)
    ("done", "Done", "#404040", ""),
    ("stopped", "Stopped early", "#9a9a9a", "////"),
    ("not_started", "Not started", "#ffffff", "...."),
    ("open", "Open", "#d9d9d9", ""),
)
SEVERITY_STYLE = {"mild": ("#d0d0d0", ""), "moderate": ("#8a8a8a", "////"), "severe": ("#202020", "")}


def _short(name: str, limit: int = 38) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _svg(figure: Figure, title: str) -> SafeString:
    buffer = io.StringIO()
    FigureCanvasSVG(figure).print_svg(buffer, metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    # Safe: ElementTree escaped every text (group names are typed by staff).
    return mark_safe(course_charts._inline(buffer.getvalue(), title=title))  # nosec B308 B703


def _outcomes(rows: list[dict[str, Any]]) -> SafeString:
    names = [_short(group_name(row["label"])) for row in rows]
    height = MARGIN_IN + BAR_IN * len(rows)
    labels = {
        "done": _("Done"),
        "stopped": _("Stopped early"),
        "not_started": _("Not started"),
        "open": _("Open"),
    }
    with course_charts._LOCK, matplotlib.rc_context(course_charts._STYLE):
        figure = Figure(figsize=(WIDTH_IN, height))
        ax = figure.add_axes((0.36, 0.42 / height, 0.6, 1 - 0.75 / height))
        positions = list(range(len(rows)))[::-1]
        left = [0] * len(rows)
        for field, _label, face, hatch in OUTCOME_STYLE:
            values = [row[field] for row in rows]
            ax.barh(
                positions,
                values,
                left=left,
                color=face,
                hatch=hatch,
                edgecolor="#000000",
                linewidth=0.5,
                label=labels[field],
                height=0.7,
            )
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_yticks(positions, names)
        ax.set_xlabel(_("Procedures planned"))
        ax.spines[["top", "right"]].set_visible(False)
        figure.legend(loc="upper center", ncols=4, frameon=False, bbox_to_anchor=(0.66, 1.0))
        return _svg(figure, _("Procedures by outcome"))


def _events(rows: list[dict[str, Any]]) -> SafeString:
    names = [_short(group_name(row["label"])) for row in rows]
    height = MARGIN_IN + BAR_IN * 1.6 * len(rows)
    severity_names = dict(AdverseEvent.Severity.choices)
    with course_charts._LOCK, matplotlib.rc_context(course_charts._STYLE):
        figure = Figure(figsize=(WIDTH_IN, height))
        ax = figure.add_axes((0.36, 0.42 / height, 0.6, 1 - 0.75 / height))
        step = 0.8 / len(SEVERITIES)
        for i, severity in enumerate(SEVERITIES):
            face, hatch = SEVERITY_STYLE[severity]
            values = [row["adverse_events_per_100_by_severity"][severity] or 0 for row in rows]
            positions = [len(rows) - 1 - n + 0.4 - step * (i + 0.5) for n in range(len(rows))]
            ax.barh(
                positions,
                values,
                height=step,
                color=face,
                hatch=hatch,
                edgecolor="#000000",
                linewidth=0.5,
                label=str(severity_names[severity]),
            )
        ax.set_yticks(list(range(len(rows)))[::-1], names)
        ax.set_xlabel(_("Adverse events per 100 procedures started"))
        ax.spines[["top", "right"]].set_visible(False)
        figure.legend(loc="upper center", ncols=3, frameon=False, bbox_to_anchor=(0.66, 1.0))
        return _svg(figure, _("Adverse events per 100 procedures started, by WAA severity"))


def charts(report: dict[str, Any]) -> list[SafeString]:
    """The report's charts as inline SVG, for the page and the PDF."""
    rows = sorted(report["rows"], key=lambda row: -row["planned"])[:MOST_GROUPS]
    if not rows:
        return []
    # Each drawing is kept in the shared cache under what it shows (course_charts.cached_drawing): the same
    # period's report is drawn once, and a changed number is a new key, drawn at once.
    names = [str(group_name(row["label"])) for row in rows]
    outcomes = [tuple(row[field] for field, *_style in OUTCOME_STYLE) for row in rows]
    drawn = [_cached("outcomes", (names, outcomes), lambda: _outcomes(rows))]
    started = [row for row in rows if row["started"]]
    if started:
        severities = dict(AdverseEvent.Severity.choices)
        events = [
            (str(group_name(row["label"])), [row["adverse_events_per_100_by_severity"][s] for s in SEVERITIES])
            for row in started
        ]
        labels = [str(severities[s]) for s in SEVERITIES]
        drawn.append(_cached("events", (events, labels), lambda: _events(started)))
    return drawn


def _cached(name: str, shown: object, draw: Callable[[], SafeString]) -> SafeString:
    svg = course_charts.cached_drawing(course_charts.drawing_key("report", name, _CODE, shown), draw)
    # Safe: drawn by _svg, whose ElementTree escaped every text (group names are typed by staff).
    return mark_safe(svg)  # nosec B308 B703
