"""A course against its indication's stop criteria: measured values that bear on them, never a guess."""

import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from planner import stop_criteria
from planner.models import Course, Indication, Patient, SessionRecord, StopCriterion
from tests.conftest import logged_in
from tests.factories import make_measurement
from tests.workflow import create, form_data, sign, signed


@pytest.fixture
def course(patient: Patient, physician: User) -> Course:
    return signed(physician, patient)


def _criterion(course: Course, **fields: object) -> StopCriterion:
    return StopCriterion.objects.create(indication=course.indication, description="test", source="test", **fields)


def _first(course: Course) -> object:
    return course.procedures.order_by("starts_at").first().starts_at


def test_the_seeded_pemphigus_criteria_follow_the_anti_desmoglein_titres(course: Course, physician: User) -> None:
    """anti-Dsg3 188 before the first session, then 102: followed, a fall of 46 %."""
    first = _first(course)
    make_measurement(
        patient=course.patient,
        by=physician,
        taken_at=first - timedelta(hours=3),
        marker_name="anti-Dsg3",
        marker_value="188 U/mL",
    )
    make_measurement(
        patient=course.patient,
        by=physician,
        taken_at=first + timedelta(days=4),
        marker_name="Anti-DSG3 ",
        marker_value="102 U/mL",
    )
    found = {a.criterion.marker_name: a for a in stop_criteria.assess(course, first)}
    dsg3 = found["anti-Dsg3"]
    assert (dsg3.first.value, dsg3.latest.value, dsg3.state, dsg3.change_percent) == (
        Decimal("188"),
        Decimal("102"),
        "followed",
        Decimal("-46"),
    )
    assert found["anti-Dsg1"].state == "not_measured"  # never measured: not a pass, not a fail


@pytest.mark.parametrize(
    ("comparison", "threshold", "values", "state"),
    [
        ("at_least", "150", ["40", "151"], "met"),
        ("at_least", "150", ["40", "149"], "not_met"),
        ("at_most", "2", ["9", "2"], "met"),
        ("at_most", "2", ["9", "2.5"], "not_met"),
        ("fall_percent", "50", ["100", "50"], "met"),  # exactly half: met
        ("fall_percent", "50", ["100", "51"], "not_met"),
        ("fall_percent", "50", ["100"], "not_measured"),  # a single value shows no fall
        ("at_least", "150", [], "not_measured"),
    ],
)
def test_each_comparison_at_its_edge(
    course: Course, physician: User, comparison: str, threshold: str, values: list[str], state: str
) -> None:
    criterion = _criterion(course, measure="igg_g_per_l", comparison=comparison, threshold=Decimal(threshold))
    first = _first(course)
    for n, value in enumerate(values):
        make_measurement(
            patient=course.patient,
            by=physician,
            taken_at=first + timedelta(days=n, hours=-12),
            igg_g_per_l=Decimal(value),
        )
    (found,) = [a for a in stop_criteria.assess(course, first) if a.criterion == criterion]
    assert found.state == state


def test_a_criterion_out_of_use_is_not_shown(course: Course) -> None:
    _criterion(course, measure="platelets_10e9_per_l", comparison="at_least", threshold=150, is_active=False)
    assert all(a.criterion.is_active for a in stop_criteria.assess(course, _first(course)))


@pytest.mark.parametrize(
    "fields",
    [
        {"measure": "igg_g_per_l", "comparison": "at_least", "threshold": None},  # a threshold is needed
        {"measure": "igg_g_per_l", "comparison": "trend", "threshold": 5},  # a trend has none
        {"measure": "igg_g_per_l", "comparison": "fall_percent", "threshold": 120},  # not a percentage
        {"measure": "marker", "comparison": "trend", "threshold": None},  # a marker needs its name
        {"measure": "igg_g_per_l", "marker_name": "anti-Dsg3", "comparison": "trend", "threshold": None},
    ],
)
def test_the_database_refuses_a_criterion_that_cannot_be_judged(unit: None, fields: dict) -> None:
    indication = Indication.objects.get(disease="Pemphigus vulgaris")
    with pytest.raises(IntegrityError), transaction.atomic():
        StopCriterion.objects.create(indication=indication, description="x", source="x", **fields)


def test_the_course_page_shows_the_criteria_with_the_values(course: Course, physician: User, nurse: User) -> None:
    first = _first(course)
    make_measurement(
        patient=course.patient,
        by=physician,
        taken_at=first - timedelta(hours=3),
        marker_name="anti-Dsg3",
        marker_value="188 U/mL",
    )
    page = logged_in(nurse).get(reverse("course-detail", args=[course.pk])).content.decode()
    assert "Stop criteria" in page and "Anti-desmoglein 3 titre followed" in page and "188" in page
    assert "not measured" in page  # anti-Dsg1


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="apt-get install poppler-utils")
def test_the_course_summary_lists_the_criteria(course: Course, physician: User, nurse: User) -> None:
    first = _first(course)
    make_measurement(
        patient=course.patient,
        by=physician,
        taken_at=first - timedelta(hours=3),
        marker_name="anti-Dsg3",
        marker_value="188 U/mL",
    )
    answer = logged_in(nurse).get(reverse("course-summary-pdf", args=[course.pk]))
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=answer.content, capture_output=True, check=True
    ).stdout.decode()
    text = " ".join(text.split())  # a table cell wraps its words
    assert "Stop criteria" in text and "Anti-desmoglein 3 titre followed" in text and "not measured" in text


def test_the_course_page_in_chinese_describes_the_criteria_in_chinese(course: Course, nurse: User) -> None:
    assert all(row.description_zh for row in StopCriterion.objects.all())
    client = logged_in(nurse)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("course-detail", args=[course.pk])).content.decode()
    assert "停止标准" in page and "随访抗桥粒芯糖蛋白 3 抗体滴度" in page
    assert "Anti-desmoglein 3 titre followed" not in page


def test_an_old_result_alone_never_meets_a_criterion(course: Course, physician: User) -> None:
    """Platelets of 250 three hundred days before the course: the baseline, not a response."""
    criterion = _criterion(course, measure="platelets_10e9_per_l", comparison="at_least", threshold=Decimal(150))
    make_measurement(
        patient=course.patient, by=physician, taken_at=timezone.now() - timedelta(days=300), platelets_10e9_per_l=250
    )
    (found,) = [a for a in stop_criteria.assess(course, _first(course)) if a.criterion == criterion]
    assert (found.first.value, found.latest, found.state) == (Decimal(250), None, "not_measured")


def test_marker_results_in_another_unit_are_not_compared(course: Course, physician: User) -> None:
    """152 U/mL, then an index of 1.2 from another lab: not a 99 % fall."""
    criterion = _criterion(
        course, measure="marker", marker_name="anti-Dsg3", comparison="fall_percent", threshold=Decimal(50)
    )
    first = _first(course)
    for taken_at, result in ((first - timedelta(hours=3), "152 U/mL"), (first + timedelta(days=3), "1.2 index")):
        make_measurement(
            patient=course.patient, by=physician, taken_at=taken_at, marker_name="anti-Dsg3", marker_value=result
        )
    (found,) = [a for a in stop_criteria.assess(course, first) if a.criterion == criterion]
    assert (found.first.value, found.latest.value, found.state) == (Decimal("1.2"), Decimal("1.2"), "not_measured")


def test_an_amended_order_is_judged_from_its_first_session_under_any_version(
    patient: Patient, physician: User, nurse: User
) -> None:
    """Session 1 ran under version 1 (anti-Dsg3 200 -> 90 U/mL); version 2 is the same course: held 1, a
    55 % fall, met."""
    client = logged_in(physician)
    create(physician, patient)
    first = Course.objects.get()
    client.post(reverse("course-book", args=[first.pk]))
    sign(client, first)
    one = first.procedures.order_by("number").first()
    SessionRecord.objects.create(
        procedure=one, recorded_by=nurse, started_at=one.starts_at, outcome=SessionRecord.Outcome.COMPLETED
    )
    for taken_at, result in (
        (one.starts_at - timedelta(hours=3), "200 U/mL"),
        (one.starts_at + timedelta(days=1), "90 U/mL"),
    ):
        make_measurement(patient=patient, by=physician, taken_at=taken_at, marker_name="anti-Dsg3", marker_value=result)
    client.post(reverse("course-amend", args=[first.pk]), form_data(amendment_reason="Faster taper"))
    amendment = Course.objects.get(previous=first)
    sign(client, amendment)
    criterion = _criterion(
        amendment, measure="marker", marker_name="anti-Dsg3", comparison="fall_percent", threshold=Decimal(50)
    )
    shown = stop_criteria.for_course(amendment, None, list(amendment.procedures.select_related("record")))
    (found,) = [a for a in shown["stop_criteria"] if a.criterion == criterion]
    assert (found.first.value, found.latest.value, found.state) == (Decimal(200), Decimal(90), "met")
    assert shown["sessions_held"] == 1
