"""The course chart: fibrinogen, IgG and the recorded marker over time, measured against the projection.

One SVG serves the course page (inline) and the course summary PDF (WeasyPrint). Drawn with
matplotlib's object API (`Figure`, never pyplot, whose global figure registry is not thread-safe)
on its SVG backend, with text kept as text (`svg.fonttype` "none") so the browser and WeasyPrint
set it in their own fonts, Chinese included. The SVG is then made fit to sit inline in a page
under the strict Content-Security-Policy (no `<style>` element, no style attribute: see `_inline`).

The projection is the order's own (planner.plans.order_for): the frozen plan of a signed course,
the live plan of a draft, with that plan's trigger and fibrinogen model. Nothing here recomputes it.
Readable in greyscale: measured values are black points, the projection a grey line, the trigger
dashed, sessions held solid and sessions planned dotted.
"""

import hashlib
import io
import logging
import math
import re
import threading
import xml.etree.ElementTree as ET  # nosec B405 - parses only the SVG matplotlib has just written
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import matplotlib
from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from matplotlib import dates as mdates
from matplotlib import font_manager
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, NullLocator

from planner.core.exchange import ExchangePlan
from planner.core.snapshot import MarkerResult
from planner.models import Course, Measurement, Procedure, SessionRecord
from planner.plans import Order

# The window: the labs of the two weeks before the first session, to a few days after the last, or to
# today while the follow-up labs come in, for at most four weeks after the last session.
DAYS_BEFORE = 14
DAYS_AFTER = 3
FOLLOW_UP_DAYS = 28
# IgG returns from the tissues into the blood over about two days after a session (the projection's
# "full re-equilibration between sessions"); after the last session the line is drawn that far.
REEQUILIBRATION_HOURS = 48
# The fibrinogen recovery curve between sessions, as points this many hours apart.
CURVE_STEP_HOURS = 6
# Values are written beside the measured points while a panel has no more than this many.
LABELLED_POINTS = 14

# Greyscale: what tells the series apart is the marker and the line style, never colour alone.
INK, PROJECTION_GREY, SESSION_GREY = "#000000", "#6e6e6e", "#a8a8a8"
# The fonts the SVG asks for: the print fonts (planner/printing.py), then common Chinese system fonts.
FONT_FAMILY = (
    '"DejaVu Sans", "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", Verdana, sans-serif'
)
_CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC")

logger = logging.getLogger(__name__)

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float


@dataclass(frozen=True)
class Panel:
    """One quantity: its measured values (points) and its projection (a line), in one unit."""

    key: str  # "fibrinogen", "igg" or "marker"
    title: str
    measured: tuple[Point, ...]
    projected: tuple[Point, ...]
    trigger: float | None = None


@dataclass(frozen=True)
class SessionMark:
    number: int
    at: datetime
    is_held: bool  # started or done, by its record; else booked (or, before booking, scheduled)


@dataclass(frozen=True)
class ChartData:
    starts_at: datetime
    ends_at: datetime
    panels: tuple[Panel, ...]
    sessions: tuple[SessionMark, ...]
    is_frozen: bool
    # Every measurement in the window with a fibrinogen, IgG or marker value, oldest first.
    measurements: tuple[Measurement, ...]


# --- the data -----------------------------------------------------------------------------------


def is_held(procedure: Procedure) -> bool:
    """The session was started, or ended with an outcome that says it ran."""
    record = getattr(procedure, "record", None)
    if record is None:
        return False
    done = (SessionRecord.Outcome.COMPLETED, SessionRecord.Outcome.STOPPED_EARLY)
    return record.started_at is not None or record.outcome in done


def session_marks(procedures: Iterable[Procedure], order: Order) -> tuple[SessionMark, ...]:
    """The booked sessions (not cancelled); before booking, the dates the order is projected on."""
    booked = sorted(
        (p for p in procedures if p.status == Procedure.Status.PLANNED), key=lambda p: (p.starts_at, p.number)
    )
    if booked:
        return tuple(SessionMark(p.number, p.starts_at, is_held(p)) for p in booked)
    # An amendment not yet signed is projected on the sessions it takes over, which keep their numbers.
    numbers = order.plan.request.session_numbers or range(1, len(order.session_starts) + 1)
    return tuple(SessionMark(number, at, False) for number, at in zip(numbers, order.session_starts, strict=False))


def window(
    sessions: Sequence[datetime], earliest_measured: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """From the first lab of the two weeks before the first session (or that session) to the end of follow-up."""
    first, last = min(sessions), max(sessions)
    starts_at = min(first, earliest_measured) if earliest_measured else first
    ends_at = min(max(last + timedelta(days=DAYS_AFTER), now), last + timedelta(days=FOLLOW_UP_DAYS))
    return starts_at, ends_at


def first_projected_start(order: Order, marks: Sequence[SessionMark]) -> datetime | None:
    """The time the projection's hours count from: the first session as the order was projected."""
    if order.session_starts:
        return order.session_starts[0]
    return marks[0].at if marks else None


def projected_series(plan: ExchangePlan, first_start: datetime, ends_at: datetime) -> dict[str, tuple[Point, ...]]:
    """The plan's course projection as lines over time: before and just after each session, and between.

    Fibrinogen recovers between sessions on the plan's own curve (its FibrinogenModel, frozen with a
    signed order); IgG and an IgG marker step from just after a session to the re-equilibrated level
    before the next, as the projection table reads.
    """
    course, request = plan.course, plan.request
    if course is None or not course.sessions:
        return {}
    times = [first_start + timedelta(hours=s.hours_from_first) for s in course.sessions]
    series: dict[str, tuple[Point, ...]] = {}
    baseline = request.fibrinogen_g_per_l
    # DFPP has no fibrinogen projection (no fractionator's coefficient for it is verified): measured only.
    projects_fibrinogen = all(
        s.fibrinogen_before_g_per_l is not None and s.fibrinogen_after_g_per_l is not None for s in course.sessions
    )
    if baseline is not None and projects_fibrinogen:
        points: list[Point] = []
        for index, (session, at) in enumerate(zip(course.sessions, times, strict=True)):
            after = session.fibrinogen_after_g_per_l
            points += [Point(at, session.fibrinogen_before_g_per_l), Point(at, after)]
            until = times[index + 1] if index + 1 < len(times) else max(ends_at, at)
            hours = (until - at).total_seconds() / 3600
            steps = max(1, math.ceil(hours / CURVE_STEP_HOURS))
            # The next session's "before" closes the curve; after the last one it runs to the window's end.
            last_step = steps if index + 1 == len(times) else steps - 1
            points += [
                Point(
                    at + timedelta(hours=hours * i / steps),
                    plan.policy.fibrinogen.recovered(baseline, after, hours * i / steps),
                )
                for i in range(1, last_step + 1)
            ]
        series["fibrinogen"] = tuple(points)
    scales = {"igg": request.igg_g_per_l, "marker": request.marker.value if request.marker else None}
    for key, scale in scales.items():
        if scale is None:
            continue
        points = []
        for session, at in zip(course.sessions, times, strict=True):
            points += [Point(at, scale * session.total_body_before), Point(at, scale * session.intravascular_after)]
        last = course.sessions[-1]
        points.append(Point(times[-1] + timedelta(hours=REEQUILIBRATION_HOURS), scale * last.total_body_after))
        series[key] = tuple(points)
    return series


def marker_number(result: str) -> tuple[float, str] | None:
    """A marker result that is a plain number with its unit ("152 U/mL"); a titre or a word is not charted."""
    return MarkerResult(name="", result=result, taken_at=timezone.now()).number_and_unit()


def chosen_marker(plan: ExchangePlan, measurements: Sequence[Measurement]) -> tuple[str, str] | None:
    """The marker to chart, with its unit: the one the order projects, else the latest one measured as a number."""
    if plan.request.marker is not None:
        return plan.request.marker.name, plan.request.marker.unit
    for row in reversed(measurements):
        parsed = marker_number(row.marker_value) if row.marker_name else None
        if parsed is not None:
            return row.marker_name, parsed[1]
    return None


def measured_series(
    measurements: Sequence[Measurement], marker: tuple[str, str] | None
) -> dict[str, tuple[Point, ...]]:
    """The measured values, oldest first: fibrinogen, IgG, and the chosen marker in its unit."""
    series: dict[str, list[Point]] = {"fibrinogen": [], "igg": [], "marker": []}
    for row in measurements:
        if row.fibrinogen_g_per_l is not None:
            series["fibrinogen"].append(Point(row.taken_at, float(row.fibrinogen_g_per_l)))
        if row.igg_g_per_l is not None:
            series["igg"].append(Point(row.taken_at, float(row.igg_g_per_l)))
        if marker is not None and row.marker_name == marker[0]:
            parsed = marker_number(row.marker_value)
            if parsed is not None and parsed[1] == marker[1]:
                series["marker"].append(Point(row.taken_at, parsed[0]))
    return {key: tuple(points) for key, points in series.items()}


def window_measurements(course: Course, starts_at: datetime, ends_at: datetime) -> list[Measurement]:
    """The patient's fibrinogen, IgG and marker results taken in the window, oldest first (one query)."""
    rows = course.patient.measurements.filter(taken_at__gte=starts_at, taken_at__lte=ends_at).filter(
        Q(fibrinogen_g_per_l__isnull=False) | Q(igg_g_per_l__isnull=False) | ~Q(marker_name="")
    )
    return list(rows.order_by("taken_at", "pk"))


def _next_hour(at: datetime) -> datetime:
    """`at` read to the next whole hour, but never into tomorrow (the chart's last date is today's)."""
    hour = at.replace(minute=0, second=0, microsecond=0)
    rounded = hour if hour == at else hour + timedelta(hours=1)
    local = timezone.localtime(at)
    end_of_day = timezone.make_aware(datetime.combine(local.date(), time.max), local.tzinfo)
    return min(rounded, end_of_day)


def chart_data(
    course: Course, order: Order, procedures: Iterable[Procedure], *, now: datetime | None = None
) -> ChartData | None:
    """What the chart shows, or None when the course has no session dates yet.

    `procedures`: the course's sessions with their records (select_related("record")), as the page has them.
    """
    # During follow-up the window runs to now. Its scale is days, so "now" is read to the next whole hour
    # (at most the end of today): the drawing is the same for an hour and is drawn once (cached_svg).
    now = _next_hour(now or timezone.now())
    marks = session_marks(procedures, order)
    first_start = first_projected_start(order, marks)
    starts = [mark.at for mark in marks] + ([first_start] if first_start else [])
    if not starts:
        return None
    # One query for the labs from two weeks before the first session; the window opens at the first of them.
    _opens, ends_at = window(starts, None, now)
    rows = window_measurements(course, min(starts) - timedelta(days=DAYS_BEFORE), ends_at)
    starts_at, ends_at = window(starts, rows[0].taken_at if rows else None, now)
    plan = order.plan
    projected = projected_series(plan, first_start, ends_at) if first_start else {}
    marker = chosen_marker(plan, rows)
    measured = measured_series(rows, marker)
    titles = {
        "fibrinogen": capfirst(_("fibrinogen (g/L)")),
        "igg": _("IgG (g/L)"),
        "marker": f"{marker[0]} ({marker[1]})" if marker and marker[1] else (marker[0] if marker else ""),
    }
    panels = tuple(
        Panel(
            key=key,
            title=titles[key],
            measured=measured.get(key, ()),
            projected=projected.get(key, ()),
            trigger=plan.policy.fibrinogen_trigger_g_per_l if key == "fibrinogen" else None,
        )
        for key in ("fibrinogen", "igg", "marker")
        if measured.get(key) or projected.get(key)
    )
    return ChartData(starts_at, ends_at, panels, marks, order.is_frozen, tuple(rows))


# --- the drawing --------------------------------------------------------------------------------


def _fonts() -> list[str]:
    """The fonts matplotlib measures the text with: DejaVu Sans, then a Chinese font where one is installed."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return ["DejaVu Sans", *[name for name in _CJK_FONTS if name in installed][:1]]


_STYLE = {
    "svg.fonttype": "none",  # text stays text, set by the page's or the PDF's fonts
    "svg.hashsalt": "course-chart",  # the same ids for the same chart
    "font.family": _fonts(),
    "font.size": 7.5,
    "axes.linewidth": 0.6,
    "axes.edgecolor": INK,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 3,
    "ytick.major.size": 3,
    "lines.solid_capstyle": "butt",
    # Names typed by staff (a marker, a device, an indication) are drawn as typed: a pair of "$" would
    # otherwise be parsed as maths, and bad maths raises while drawing (a 500, for good on a frozen report).
    "text.parse_math": False,
}
# rc_context changes matplotlib's process-wide settings for the duration of a drawing: one at a time.
_LOCK = threading.Lock()

# Inches: the figure is as wide as the PDF's text; each panel has its own height, plus the legend and dates.
WIDTH_IN, PANEL_IN, LEGEND_IN, DATES_IN, LEFT_IN, RIGHT_IN = 7.2, 1.3, 0.55, 0.42, 0.6, 0.15
# Points: the session numbers sit just above the first panel, each panel's name above them (or above the panel).
NUMBERS_PT, TITLE_PT = 2, 3
FIRST_TITLE_PT = 12


def _local(at: datetime) -> datetime:
    """matplotlib draws naive datetimes: the unit's local time."""
    return timezone.localtime(at).replace(tzinfo=None)


def _value_text(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def _legend_entry(label: str, **style: object) -> Line2D:
    return Line2D([], [], label=label, **style)


def render_svg(data: ChartData) -> str:
    """The chart as an SVG document that can sit inline in a page under the strict CSP, or '' if empty.

    Drawn lean, as it is drawn on every request (about 80 ms for three panels on a 2-core machine):
    every panel's name is a plain annotation (a title makes matplotlib measure the axes to place it),
    the sessions are one collection per panel, and only the bottom panel has date ticks.
    """
    if not data.panels:
        return ""
    count = len(data.panels)
    height = LEGEND_IN + PANEL_IN * count + DATES_IN
    start, end = _local(data.starts_at), _local(data.ends_at)
    with _LOCK, matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(WIDTH_IN, height))
        # Not sharex: the panels above the dates get no x ticks at all (each tick is costly to make).
        axes = figure.subplots(count, 1, squeeze=False)[:, 0]
        figure.subplots_adjust(
            left=LEFT_IN / WIDTH_IN,
            right=1 - RIGHT_IN / WIDTH_IN,
            top=1 - LEGEND_IN / height,
            bottom=DATES_IN / height,
            hspace=0.3,
        )
        legend: dict[str, Line2D] = {}
        for index, (ax, panel) in enumerate(zip(axes, data.panels, strict=True)):
            _draw_panel(ax, panel, data, legend, title_pt=FIRST_TITLE_PT if data.sessions and index == 0 else TITLE_PT)
            _draw_sessions(ax, data.sessions, legend)
        _number_sessions(axes[0], data.sessions)
        for ax in axes:
            ax.set_xlim(start - timedelta(hours=12), end + timedelta(hours=12))
        for ax in axes[:-1]:
            ax.xaxis.set_major_locator(NullLocator())
        days = max(1, math.ceil((end - start).days / 8))
        axes[-1].xaxis.set_major_locator(mdates.DayLocator(interval=days))
        axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
        axes[-1].set_xlabel(f"{start:%Y-%m-%d} – {end:%Y-%m-%d}", labelpad=2)
        handles = [legend[key] for key in ("measured", "projected", "trigger", "held", "planned") if key in legend]
        figure.legend(
            handles=handles,
            loc="upper center",
            ncols=len(handles),
            frameon=False,
            handlelength=2.6,
            columnspacing=1.6,
            borderaxespad=0.3,
        )
        buffer = io.StringIO()
        FigureCanvasSVG(figure).print_svg(
            buffer, metadata={"Date": None, "Creator": None, "Format": None, "Type": None}
        )
    return _inline(buffer.getvalue(), title=_chart_title(data))


def _chart_title(data: ChartData) -> str:
    names = ", ".join(panel.title for panel in data.panels)
    return _("Course chart: %(quantities)s, measured and projected") % {"quantities": names}


def _draw_panel(ax: object, panel: Panel, data: ChartData, legend: dict[str, Line2D], *, title_pt: float) -> None:
    ax.annotate(
        panel.title,
        (0, 1),
        xycoords="axes fraction",
        xytext=(0, title_pt),
        textcoords="offset points",
        ha="left",
        va="bottom",
        fontsize=8,
    )
    ax.spines[["top", "right"]].set_visible(False)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, min_n_ticks=3))
    ax.tick_params(axis="both", labelsize=7)
    highest = max([p.value for p in (*panel.measured, *panel.projected)] + [panel.trigger or 0])
    if panel.projected:
        label = _("projected, as signed") if data.is_frozen else _("projected")
        style = {"color": PROJECTION_GREY, "linewidth": 1.3, "linestyle": "-"}
        ax.plot([_local(p.at) for p in panel.projected], [p.value for p in panel.projected], zorder=2, **style)
        legend.setdefault("projected", _legend_entry(label, **style))
    if panel.trigger is not None:
        style = {"color": INK, "linewidth": 0.8, "linestyle": (0, (5, 3))}
        ax.axhline(panel.trigger, zorder=1, **style)
        legend.setdefault(
            "trigger", _legend_entry(_("trigger %(value)s g/L") % {"value": f"{panel.trigger:g}"}, **style)
        )
    if panel.measured:
        style = {
            "linestyle": "none",
            "marker": "o",
            "markersize": 4,
            "markerfacecolor": INK,
            "markeredgecolor": "#ffffff",
            "markeredgewidth": 0.6,
        }
        ax.plot([_local(p.at) for p in panel.measured], [p.value for p in panel.measured], zorder=4, **style)
        legend.setdefault("measured", _legend_entry(_("measured"), **style))
        if len(panel.measured) <= LABELLED_POINTS:
            for p in panel.measured:
                ax.annotate(
                    _value_text(p.value),
                    (_local(p.at), p.value),
                    xytext=(0, 4),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=6.5,
                    zorder=5,
                    # A white ground keeps the value legible where it crosses a line.
                    bbox={"boxstyle": "square,pad=0.05", "facecolor": "#ffffff", "edgecolor": "none", "alpha": 0.8},
                )
    ax.set_ylim(0, highest * 1.25 if highest > 0 else 1)


def _draw_sessions(ax: object, sessions: Sequence[SessionMark], legend: dict[str, Line2D]) -> None:
    """A vertical line at each session: solid once held, dotted while planned."""
    for held, key, label, linestyle in (
        (True, "held", _("session held"), "-"),
        (False, "planned", _("session planned"), (0, (1.2, 1.8))),
    ):
        at = [_local(mark.at) for mark in sessions if mark.is_held is held]
        if at:
            style = {"color": SESSION_GREY, "linewidth": 0.9, "linestyle": linestyle}
            ax.vlines(at, 0, 1, transform=ax.get_xaxis_transform(), zorder=0, **style)
            legend.setdefault(key, _legend_entry(label, **style))


def _number_sessions(ax: object, sessions: Sequence[SessionMark]) -> None:
    """Each session's number just above the first panel, the row named in the margin."""
    if not sessions:
        return
    options = {"xytext": (0, NUMBERS_PT), "textcoords": "offset points", "va": "bottom", "fontsize": 6.5}
    ax.annotate(_("Session"), (0, 1), xycoords="axes fraction", ha="right", color="#444444", **options)
    for mark in sessions:
        ax.annotate(str(mark.number), (_local(mark.at), 1), xycoords=("data", "axes fraction"), ha="center", **options)


# --- inline SVG -----------------------------------------------------------------------------------


def _inline(svg: str, *, title: str) -> str:
    """matplotlib's SVG made fit for a page with a strict CSP (style-src 'self') and for WeasyPrint.

    The browser blocks a `<style>` element and every style attribute of inline SVG under that policy.
    Every property matplotlib writes there is also an SVG presentation attribute, which CSP does not
    govern: so each becomes an attribute, and the one rule of the `<style>` element (round joins, butt
    caps) is set on the root, whence it is inherited. The fonts are named once, on the root. Ids no
    element refers to are dropped; the size follows the page (width 100 %, height from the viewBox).
    """
    root = ET.fromstring(svg)  # nosec B314 - our own output, not user input
    for element in root.iter():
        element.tag = element.tag.removeprefix(f"{{{SVG_NS}}}")  # written back with one xmlns, on the root
        if XLINK_HREF in element.attrib:
            element.set("href", element.attrib.pop(XLINK_HREF))
        for declaration in element.attrib.pop("style", "").split(";"):
            name, _colon, value = declaration.partition(":")
            if name.strip() and name.strip() != "font-family":  # the fonts are named once, on the root
                element.set(name.strip(), value.strip())
    for parent in root.iter():
        for child in list(parent):
            if child.tag in ("style", "metadata"):
                parent.remove(child)
    # What refers to an id: a marker's <use href="#m…">, a clip-path="url(#p…)".
    referenced = {
        name
        for element in root.iter()
        for value in element.attrib.values()
        for name in re.findall(r"(?:^#|url\(#)([\w.-]+)", value)
    }
    for element in root.iter():
        if element.get("id") and element.get("id") not in referenced:
            del element.attrib["id"]
    for name in ("width", "height"):
        root.attrib.pop(name, None)
    root.set("width", "100%")
    root.set("class", "course-chart")
    root.set("role", "img")
    root.set("font-family", FONT_FAMILY)
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    root.set("xmlns", SVG_NS)
    heading = ET.Element("title")
    heading.text = title
    root.insert(0, heading)
    return ET.tostring(root, encoding="unicode")


def _drawing_version() -> str:
    """What a drawing depends on besides its data, as deployed: this module's source, the compiled
    translations (legends, axis names), matplotlib's version and the fonts found. A deploy that changes
    any of them draws afresh instead of reusing a drawing another version made."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(Path(settings.BASE_DIR, "planner", "locale").glob("*/LC_MESSAGES/*.mo")):
        digest.update(path.read_bytes())
    digest.update(repr((matplotlib.__version__, _fonts())).encode())
    return digest.hexdigest()[:16]


_CODE = _drawing_version()


def cache_key(data: ChartData) -> str:
    """drawing_key of everything the chart draws.

    The measurements kept beside the panels are not drawn (their values are in the panels already).
    Times enter as POSIX timestamps (the instant; the time zone they are drawn in is in drawing_key),
    a lazy translated title as its text in the active language.
    """
    return drawing_key(
        "course chart",
        data.starts_at.timestamp(),
        data.ends_at.timestamp(),
        data.is_frozen,
        [
            (
                panel.key,
                str(panel.title),
                panel.trigger,
                [(p.at.timestamp(), p.value) for p in panel.measured],
                [(p.at.timestamp(), p.value) for p in panel.projected],
            )
            for panel in data.panels
        ],
        [(mark.number, mark.at.timestamp(), mark.is_held) for mark in data.sessions],
    )


def cached_svg(data: ChartData) -> str:
    """render_svg(data), drawn once and then read from the cache every worker shares.

    The key is the drawing's content (cache_key), so nothing has to be invalidated: a new measurement,
    session or signed order is different data, hence a different key, and is drawn afresh at once.
    """
    return cached_drawing(cache_key(data), lambda: render_svg(data))


def drawing_key(*parts: object) -> str:
    """A cache key for a drawing made from `parts` (plain values whose repr says all the drawing shows),
    in the active language and time zone, by this version of the drawing code."""
    material = (_CODE, get_language(), timezone.get_current_timezone_name(), parts)
    return "drawing:" + hashlib.sha256(repr(material).encode()).hexdigest()


def cached_drawing(key: str, draw: Callable[[], str]) -> str:
    """The SVG kept under `key` in the shared cache, or draw() kept there. A cache that does not answer
    costs a drawing, never the page."""
    try:
        svg = cache.get(key)
    except Exception:  # the cache is an economy: a broken one must not break the page
        logger.warning("drawing cache unavailable on read", exc_info=True)
        svg = None
    if svg is None:
        svg = draw()
        try:
            cache.set(key, svg, settings.CHART_CACHE_SECONDS)
        except Exception:
            logger.warning("drawing cache unavailable on write", exc_info=True)
    return svg


def course_chart(course: Course, order: Order, procedures: Iterable[Procedure]) -> SafeString:
    """The course chart as inline SVG, or '' when there is nothing to chart."""
    data = chart_data(course, order, procedures)
    # Safe: ElementTree escaped every text and attribute (a marker's name is typed by a user).
    return mark_safe(cached_svg(data) if data else "")  # nosec B308 B703
