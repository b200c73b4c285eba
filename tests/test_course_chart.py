"""The course chart and the course summary: fibrinogen, IgG and the marker, measured against the projection.

The chart (planner/charts.py) is one SVG on the course page and in the summary PDF: measured values as
points at their dates, the order's projection as a line (the frozen one once signed), the trigger,
the sessions. It sits inline in the page under the strict CSP, and its words follow the language.
"""

import dataclasses
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.text import capfirst
from django.utils.translation import gettext

from planner import charts, plans
from planner.models import Course, Patient, Procedure, SessionRecord
from tests.conftest import logged_in
from tests.factories import make_measurement
from tests.workflow import create, signed

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="apt-get install poppler-utils")


def _at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=UTC)


# --- the window (pure) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("earliest_lab", "now", "opens", "closes", "why"),
    [
        (None, _at(1), _at(10), _at(21), "no earlier lab: from the first session to 3 days after the last"),
        (_at(3), _at(1), _at(3), _at(21), "the lab a week before opens the window"),
        (None, _at(25, 9), _at(10), _at(25, 9), "follow-up: to today"),
        (None, datetime(2027, 2, 1, tzinfo=UTC), _at(10), datetime(2027, 1, 15, tzinfo=UTC), "at most 28 days after"),
    ],
)
def test_the_window_runs_from_the_labs_before_to_the_follow_up(
    earliest_lab: datetime | None, now: datetime, opens: datetime, closes: datetime, why: str
) -> None:
    assert charts.window([_at(10), _at(14), _at(18)], earliest_lab, now) == (opens, closes), why


@pytest.mark.parametrize(
    ("result", "expected"),
    [("152 U/mL", (152.0, "U/mL")), ("3", (3.0, "")), ("1:320", None), ("> 150 U/mL", None), ("negative", None)],
)
def test_only_a_plain_number_is_charted_for_a_marker(result: str, expected: tuple | None) -> None:
    assert charts.marker_number(result) == expected


# --- the data ---------------------------------------------------------------------------------------


@pytest.fixture
def labs(patient: Patient, physician: User) -> Patient:
    """The issue's patient: fibrinogen 1.4 g/L, IgG 13.2 g/L and anti-Dsg3 152 U/mL two hours ago."""
    make_measurement(
        patient=patient,
        by=physician,
        taken_at=timezone.now() - timedelta(hours=2),
        fibrinogen_g_per_l=Decimal("1.4"),
        igg_g_per_l=Decimal("13.2"),
        marker_name="anti-Dsg3",
        marker_value="152 U/mL",
        marker_is_igg_antibody=True,
    )
    return patient


@pytest.fixture
def course(labs: Patient, physician: User) -> Course:
    return signed(physician, labs)


def _data(course: Course) -> charts.ChartData:
    procedures = course.procedures.select_related("record")
    return charts.chart_data(course, plans.order_for(course), procedures)


def _panel(data: charts.ChartData, key: str) -> charts.Panel:
    return next(panel for panel in data.panels if panel.key == key)


def _svg(course: Course) -> str:
    return charts.render_svg(_data(course))


def test_the_measured_values_are_points_at_their_dates(course: Course, physician: User) -> None:
    first = course.procedures.order_by("number").first()
    after_first = first.starts_at + timedelta(hours=3)
    make_measurement(
        patient=course.patient,
        by=physician,
        taken_at=after_first,
        fibrinogen_g_per_l=Decimal("0.92"),
        marker_name="anti-Dsg3",
        marker_value="71 U/mL",
    )
    # Not charted: a titre, another marker, and a value from long before the course.
    make_measurement(
        patient=course.patient, by=physician, taken_at=after_first, marker_name="anti-Dsg3", marker_value="1:320"
    )
    make_measurement(
        patient=course.patient, by=physician, taken_at=after_first, marker_name="SCORTEN", marker_value="3"
    )
    make_measurement(
        patient=course.patient, by=physician, taken_at=first.starts_at - timedelta(days=30), igg_g_per_l=Decimal("20")
    )
    data = _data(course)
    assert [panel.key for panel in data.panels] == ["fibrinogen", "igg", "marker"]
    # The patient fixture's 2.9 g/L of yesterday, this morning's 1.4, and 0.92 after the first session.
    assert [p.value for p in _panel(data, "fibrinogen").measured] == [2.9, 1.4, 0.92]
    assert _panel(data, "fibrinogen").measured[-1].at == after_first
    assert [p.value for p in _panel(data, "igg").measured] == [13.2]
    assert [p.value for p in _panel(data, "marker").measured] == [152.0, 71.0]
    assert _panel(data, "marker").title == "anti-Dsg3 (U/mL)"
    svg = charts.render_svg(data)
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    for label in ("Fibrinogen (g/L)", "IgG (g/L)", "anti-Dsg3 (U/mL)", "2.9", "1.4", "0.92", "13.2", "152", "71"):
        assert label in texts, label
    first_day, last_day = timezone.localtime(data.starts_at), timezone.localtime(data.ends_at)
    assert f"{first_day:%Y-%m-%d} – {last_day:%Y-%m-%d}" in texts
    assert len([text for text in texts if re.fullmatch(r"\d\d-\d\d", text)]) >= 3  # the dates, as MM-DD


def test_the_projection_is_the_order_projection_table_before_and_after_each_session(course: Course) -> None:
    data = _data(course)
    table = plans.order_for(course).plan.rounded["course"]["sessions"]
    projected = _panel(data, "fibrinogen").projected
    starts = [p.starts_at for p in course.procedures.order_by("number")]
    for row, start in zip(table, starts, strict=True):
        at_session = [p.value for p in projected if p.at == start]
        assert at_session[0] == pytest.approx(row["fibrinogen_before_g_per_l"], abs=0.006)
        assert at_session[1] == pytest.approx(row["fibrinogen_after_g_per_l"], abs=0.006)
    igg = _panel(data, "igg").projected
    assert igg[0].value == pytest.approx(13.2) and igg[1].value == pytest.approx(
        table[0]["igg_after_g_per_l"], abs=0.06
    )
    assert _panel(data, "fibrinogen").trigger == 1.0


def test_a_signed_course_charts_its_frozen_projection_and_trigger_after_the_settings_change(
    course: Course, labs: Patient, physician: User, settings: object
) -> None:
    before, svg_before = _data(course), _svg(course)
    settings.FIBRINOGEN_TRIGGER_G_PER_L = 1.5
    settings.FIBRINOGEN_RECOVERY_TAU_HOURS = 48
    settings.FIBRINOGEN_DEPLETION_K = 1.3
    after = _data(course)
    assert _panel(after, "fibrinogen").projected == _panel(before, "fibrinogen").projected
    assert _panel(after, "fibrinogen").trigger == 1.0
    assert _svg(course) == svg_before
    assert "trigger 1 g/L" in svg_before and "projected, as signed" in svg_before
    # The same change does reach a draft: the signed line was held, not merely unaffected.
    create(physician, labs, fluid_override_reason="Albumin only: plasma is short this week.")
    draft = Course.objects.get(status=Course.Status.DRAFT)
    draft_data = _data(draft)
    assert _panel(draft_data, "fibrinogen").trigger == 1.5
    # The same session times (every other day from next Monday), other numbers: the settings reached the draft.
    draft_line, signed_line = _panel(draft_data, "fibrinogen").projected, _panel(before, "fibrinogen").projected
    assert [p.value for p in draft_line[:10]] != pytest.approx([p.value for p in signed_line[:10]])
    assert "trigger 1.5 g/L" in charts.render_svg(draft_data)


def test_sessions_held_and_planned_are_told_apart(course: Course, nurse: User) -> None:
    first, second = course.procedures.order_by("number")[:2]
    SessionRecord.objects.create(
        procedure=first, recorded_by=nurse, started_at=first.starts_at, outcome=SessionRecord.Outcome.IN_PROGRESS
    )
    SessionRecord.objects.create(procedure=second, recorded_by=nurse, plasma_removed_ml=100)  # opened, not started
    data = _data(course)
    assert [(mark.number, mark.is_held) for mark in data.sessions] == [
        (1, True),
        (2, False),
        (3, False),
        (4, False),
        (5, False),
    ]
    svg = charts.render_svg(data)
    assert "session held" in svg and "session planned" in svg


def test_a_cancelled_session_is_not_marked(course: Course) -> None:
    Procedure.objects.filter(course=course, number=4).update(status=Procedure.Status.CANCELLED, change_reason="Unwell")
    assert [mark.number for mark in _data(course).sessions] == [1, 2, 3, 5]


def test_the_svg_sits_inline_under_the_strict_csp(course: Course) -> None:
    svg = _svg(course)
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    for blocked in ("<style", "style=", "<script", "<?xml", "<!DOCTYPE", "<metadata"):
        assert blocked not in svg, blocked
    # Every id left is referred to (clip paths, markers), so none can clash with the page's.
    for found in re.findall(r' id="([^"]+)"', svg):
        assert f"#{found}" in svg, found
    assert 'role="img"' in svg and "<title>Course chart: Fibrinogen (g/L), IgG (g/L), anti-Dsg3 (U/mL)" in svg


def test_a_marker_name_is_escaped(labs: Patient, physician: User) -> None:
    make_measurement(
        patient=labs,
        by=physician,
        taken_at=timezone.now() - timedelta(hours=1),
        marker_name="<b>x</b>",
        marker_value="5 U/mL",
        marker_is_igg_antibody=True,
    )
    svg = _svg(signed(physician, labs))
    assert "&lt;b&gt;x&lt;/b&gt; (U/mL)" in svg and "<b>" not in svg


def test_a_dollar_in_a_marker_name_is_drawn_as_typed_not_as_maths(labs: Patient, physician: User, nurse: User) -> None:
    """matplotlib reads "$...$" as maths and raises on bad maths while drawing: the page was a 500."""
    make_measurement(
        patient=labs,
        by=physician,
        taken_at=timezone.now() - timedelta(hours=1),
        marker_name="anti-$\\foo$",
        marker_value="5 U/mL",
        marker_is_igg_antibody=True,
    )
    course = signed(physician, labs)
    assert "anti-$\\foo$ (U/mL)" in _svg(course)
    assert logged_in(nurse).get(reverse("course-detail", args=[course.pk])).status_code == 200


LABELS = ("IgG (g/L)", "measured", "projected, as signed", "session planned", "Session")


def test_the_words_follow_the_language(course: Course) -> None:
    with translation.override("zh-hans"):
        svg = _svg(course)
        words = [gettext(label) for label in LABELS] + [
            capfirst(gettext("fibrinogen (g/L)")),
            gettext("trigger %(value)s g/L") % {"value": "1"},
        ]
    for word in words:
        assert escape(word) in svg, word
    assert "WenQuanYi Micro Hei" in svg  # the fonts the SVG names include Chinese ones


# --- the course page and the summary PDF --------------------------------------------------------------


def test_the_course_page_shows_the_chart_and_links_the_summary(course: Course, nurse: User, no_role: User) -> None:
    page = logged_in(nurse).get(reverse("course-detail", args=[course.pk])).content.decode()
    section = page[page.index("data-course-chart") :]
    assert '<svg viewBox="' in section and "anti-Dsg3 (U/mL)" in section
    assert reverse("course-summary-pdf", args=[course.pk]) in section
    refused = logged_in(no_role).get(reverse("course-detail", args=[course.pk]))
    assert refused.status_code == 403 and b"<svg" not in refused.content


def test_a_course_with_nothing_to_chart_says_so(patient: Patient, physician: User) -> None:
    patient.measurements.update(fibrinogen_g_per_l=None)
    course = signed(physician, patient)
    page = logged_in(physician).get(reverse("course-detail", args=[course.pk])).content.decode()
    assert "Nothing to chart yet" in page and "<svg" not in page


def _pdf_text(pdf: bytes, *options: str) -> str:
    text = subprocess.run(["pdftotext", *options, "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    text = text.replace("\u202f", " ").replace("\xa0", " ")
    return text if options else " ".join(text.split())


@needs_pdftotext
def test_the_summary_pdf_has_the_sessions_labs_and_chart_and_is_not_an_order(
    course: Course, nurse: User, no_role: User
) -> None:
    first = course.procedures.order_by("number").first()
    record = SessionRecord.objects.create(
        procedure=first,
        recorded_by=nurse,
        started_at=first.starts_at,
        ended_at=first.starts_at + timedelta(hours=2),
        plasma_removed_ml=2150,
        albumin_given_ml=2100,
        saline_given_ml=100,
        outcome=SessionRecord.Outcome.COMPLETED,
    )
    record.adverse_events.create(
        kind="citrate",
        severity="mild",
        occurred_at=first.starts_at + timedelta(hours=1),
        action_taken="Calcium",
        outcome="Resolved",
        recorded_by=nurse,
    )
    response = logged_in(nurse).get(reverse("course-summary-pdf", args=[course.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert course.patient.mrn not in response["Content-Disposition"]
    text = _pdf_text(response.content)
    starts = timezone.localtime(first.starts_at)
    for expected in (
        "Course summary",
        "This summary is not an order",
        "王秀英",
        course.patient.mrn,
        "1970-04-01",
        "Pemphigus vulgaris",
        "Plasma exchange (TPE)",
        f"Order {course.order_number}",
        "Planned",
        "anti-Dsg3 152 U/mL",
        "13.2",
        # The chart, as text in the PDF.
        "Fibrinogen (g/L)",
        "projected, as signed",
        "trigger 1 g/L",
    ):
        assert expected in text, expected
    assert re.search(r"Printed \d{4}-\d\d-\d\d \d\d:\d\d", text)
    # The sessions table, a row per session: number, date, device, outcome, plasma removed, replacement given, events.
    rows = _pdf_text(response.content, "-layout")
    held = rf"^\s*1\s+{starts:%Y-%m-%d %H:%M}\s+Spectra Optia 1\s+Completed\s+2150\s+2200\s+1\s*$"
    assert re.search(held, rows, re.MULTILINE)
    assert re.search(r"^\s*5\s+\S+ \S+\s+Spectra Optia 1\s+Planned\s+—\s+—\s+—\s*$", rows, re.MULTILINE)
    assert logged_in(no_role).get(reverse("course-summary-pdf", args=[course.pk])).status_code == 403


@needs_pdftotext
def test_the_signed_order_pdf_stays_without_the_chart(course: Course, nurse: User) -> None:
    text = _pdf_text(logged_in(nurse).get(reverse("course-order-pdf", args=[course.pk])).content)
    assert "Course projection" in text and "Course chart" not in text and "projected, as signed" not in text


# --- the drawing, kept in the shared cache by its content ---------------------------------------------


@pytest.fixture
def drawings(monkeypatch: pytest.MonkeyPatch) -> list[charts.ChartData]:
    """Every chart actually drawn (render_svg), while the rest goes on as usual."""
    drawn: list[charts.ChartData] = []
    draw = charts.render_svg

    def counting(data: charts.ChartData) -> str:
        drawn.append(data)
        return draw(data)

    monkeypatch.setattr(charts, "render_svg", counting)
    return drawn


def _chart_section(client: object, course: Course) -> str:
    """The chart as the course page shows it (the <svg> element)."""
    page = client.get(reverse("course-detail", args=[course.pk])).content.decode()
    section = page[page.index("data-course-chart") :]
    return section[section.index("<svg") : section.index("</svg>") + len("</svg>")]


def test_the_course_page_draws_a_chart_once_and_then_reads_it_from_the_shared_cache(
    course: Course, nurse: User, physician: User, drawings: list
) -> None:
    client = logged_in(nurse)
    first = _chart_section(client, course)
    assert len(drawings) == 1
    assert _chart_section(client, course) == first
    assert _chart_section(logged_in(physician), course) == first  # another user, the same drawing
    assert len(drawings) == 1


def test_a_new_measurement_is_drawn_at_once(course: Course, nurse: User, physician: User, drawings: list) -> None:
    client = logged_in(nurse)
    assert ">0.87<" not in _chart_section(client, course)  # the value's label (path data has numbers too)
    first = course.procedures.order_by("number").first()
    make_measurement(
        patient=course.patient,
        by=physician,
        taken_at=first.starts_at + timedelta(hours=3),
        fibrinogen_g_per_l=Decimal("0.87"),
    )
    assert ">0.87<" in _chart_section(client, course)
    assert len(drawings) == 2


def test_a_session_held_is_drawn_at_once(course: Course, nurse: User, drawings: list) -> None:
    client = logged_in(nurse)
    assert "session held" not in _chart_section(client, course)
    first = course.procedures.order_by("number").first()
    SessionRecord.objects.create(
        procedure=first, recorded_by=nurse, started_at=first.starts_at, outcome=SessionRecord.Outcome.IN_PROGRESS
    )
    assert "session held" in _chart_section(client, course)


def test_each_language_has_its_own_drawing(course: Course, nurse: User, drawings: list) -> None:
    client = logged_in(nurse)
    english = _chart_section(client, course)
    client.cookies["django_language"] = "zh-hans"
    chinese = _chart_section(client, course)
    with translation.override("zh-hans"):
        assert escape(gettext("session planned")) in chinese
    assert "session planned" in english and "session planned" not in chinese
    assert len(drawings) == 2


def test_the_drawing_version_follows_the_translations_and_matplotlib(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object, settings: object
) -> None:
    """A deploy with a corrected translation or another matplotlib draws afresh (the cache outlives it)."""
    base = charts._drawing_version()
    monkeypatch.setattr(charts.matplotlib, "__version__", "0.0-other")
    assert charts._drawing_version() != base
    monkeypatch.undo()
    messages = tmp_path / "planner" / "locale" / "xx" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (messages / "django.mo").write_bytes(b"one")
    settings.BASE_DIR = tmp_path
    first = charts._drawing_version()
    (messages / "django.mo").write_bytes(b"two")
    assert charts._drawing_version() != first


def test_the_key_is_the_content(course: Course) -> None:
    data = _data(course)
    assert charts.cache_key(data) == charts.cache_key(_data(Course.objects.get(pk=course.pk)))
    fibrinogen = _panel(data, "fibrinogen")
    nudged = (charts.Point(fibrinogen.measured[0].at, fibrinogen.measured[0].value + 0.01),)
    changed = charts.ChartData(
        data.starts_at,
        data.ends_at,
        tuple(
            charts.Panel(p.key, p.title, nudged, p.projected, p.trigger) if p is fibrinogen else p for p in data.panels
        ),
        data.sessions,
        data.is_frozen,
        data.measurements,
    )
    assert charts.cache_key(changed) != charts.cache_key(data)
    projected = tuple(charts.Point(p.at, p.value * 1.01) for p in fibrinogen.projected)
    sessions = (charts.SessionMark(data.sessions[0].number, data.sessions[0].at, True), *data.sessions[1:])
    for other_data in (
        dataclasses.replace(data, panels=(dataclasses.replace(fibrinogen, trigger=1.2), *data.panels[1:])),
        dataclasses.replace(data, panels=(dataclasses.replace(fibrinogen, projected=projected), *data.panels[1:])),
        dataclasses.replace(data, panels=(dataclasses.replace(fibrinogen, title="Fib"), *data.panels[1:])),
        dataclasses.replace(data, sessions=sessions),
        dataclasses.replace(data, is_frozen=not data.is_frozen),
        dataclasses.replace(data, ends_at=data.ends_at + timedelta(hours=1)),
    ):
        assert charts.cache_key(other_data) != charts.cache_key(data), other_data
    other = "America/New_York" if timezone.get_current_timezone_name() != "America/New_York" else "Asia/Shanghai"
    here = charts.cache_key(data)
    with timezone.override(other):  # the dates on the axis are local times
        assert charts.cache_key(data) != here


def test_a_cache_that_does_not_answer_costs_a_drawing_not_the_page(
    course: Course, nurse: User, monkeypatch: pytest.MonkeyPatch, drawings: list
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(charts.cache, "get", broken)
    monkeypatch.setattr(charts.cache, "set", broken)
    client = logged_in(nurse)
    assert "anti-Dsg3 (U/mL)" in _chart_section(client, course)
    assert "anti-Dsg3 (U/mL)" in _chart_section(client, course)
    assert len(drawings) == 2


def test_during_follow_up_the_drawing_holds_for_the_hour_and_still_shows_a_lab_just_taken(
    course: Course, physician: User
) -> None:
    procedures = course.procedures.select_related("record")
    last = max(p.starts_at for p in procedures)
    hour = last.replace(minute=0, second=0, microsecond=0) + timedelta(days=5)
    order = plans.order_for(course)
    early = charts.chart_data(course, order, procedures, now=hour + timedelta(minutes=5))
    late = charts.chart_data(course, order, procedures, now=hour + timedelta(minutes=55))
    assert early.ends_at == late.ends_at == hour + timedelta(hours=1)
    assert charts.cache_key(early) == charts.cache_key(late)
    make_measurement(
        patient=course.patient, by=physician, taken_at=hour + timedelta(minutes=54), fibrinogen_g_per_l=Decimal("2.2")
    )
    taken = charts.chart_data(course, order, procedures, now=hour + timedelta(minutes=55))
    assert 2.2 in [point.value for point in _panel(taken, "fibrinogen").measured]
    assert charts.cache_key(taken) != charts.cache_key(late)
    # Late in the evening the next hour is tomorrow: the chart still ends today, and holds till midnight.
    evening = timezone.localtime(hour).replace(hour=23, minute=10)
    for now in (evening, evening + timedelta(minutes=45)):
        data = charts.chart_data(course, order, procedures, now=now)
        assert timezone.localtime(data.ends_at).date() == evening.date()
    assert charts.cache_key(charts.chart_data(course, order, procedures, now=evening)) == charts.cache_key(data)
