"""List and detail pages run a fixed number of queries, however many rows they show."""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from planner.catalogue import load_indications
from planner.models import Course, Patient, SessionRecord
from tests.conftest import logged_in
from tests.factories import make_measured_patient, make_measurement, make_patient
from tests.workflow import signed

# Session (read; saved only once a minute for the idle timeout, not here), user, permissions, groups for the menu,
# the patient-record view log, then the page's own queries.
MAX_QUERIES = 11


def _queries_for(client: object, url: str, data: dict | None = None, method: str = "get") -> int:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data or {})
    assert response.status_code == 200
    return len(captured)


def _add_patients(count: int, *, by: User, start: int = 0) -> list[Patient]:
    patients = []
    for number in range(start, start + count):
        patient = make_patient(by=by, mrn=f"Q{number:05}", family_name=f"Family{number}")
        make_measurement(patient=patient, by=by)
        patients.append(patient)
    return patients


def test_the_patient_list_does_not_grow_with_rows(physician: User, django_assert_max_num_queries: Callable) -> None:
    client = logged_in(physician)
    _add_patients(3, by=physician)
    few = _queries_for(client, reverse("patient-list"))
    _add_patients(40, by=physician, start=3)
    with django_assert_max_num_queries(MAX_QUERIES):
        many = _queries_for(client, reverse("patient-list"))
    assert many == few


def test_a_search_does_not_grow_with_matches(physician: User, django_assert_max_num_queries: Callable) -> None:
    client = logged_in(physician)
    _add_patients(60, by=physician)
    with django_assert_max_num_queries(MAX_QUERIES):
        _queries_for(client, reverse("patient-list"), {"q": "Family"}, method="post")


def test_the_patient_page_does_not_grow_with_measurements(
    physician: User, django_assert_max_num_queries: Callable
) -> None:
    client = logged_in(physician)
    patient = make_patient(by=physician)
    make_measurement(patient=patient, by=physician)
    few = _queries_for(client, reverse("patient-detail", args=[patient.pk]))
    for days in range(1, 30):
        make_measurement(
            patient=patient,
            by=physician,
            taken_at=timezone.now() - timedelta(days=days),
            marker_name="IgG index",
            marker_value=str(days),
        )
    with django_assert_max_num_queries(MAX_QUERIES):
        many = _queries_for(client, reverse("patient-detail", args=[patient.pk]))
    assert many == few


@pytest.mark.parametrize("url_name", ["indication-list", "device-list", "product-list"])
def test_catalogue_pages_are_bounded(nurse: User, url_name: str, django_assert_max_num_queries: Callable) -> None:
    load_indications()
    client = logged_in(nurse)
    with django_assert_max_num_queries(MAX_QUERIES):
        _queries_for(client, reverse(url_name))


# The course page reads more than a list (the course, its sessions, the order's consents and versions, the
# chart's labs, the stop criteria and the labs they read); the summary PDF less. Neither may grow with the
# sessions or the labs. The first view of a chart also stores its drawing in the shared cache (the
# database cache: a savepoint, a count, a read and the insert); a later view reads it back (one query).
COURSE_MAX_QUERIES = 19


def _course_with_sessions(count: int, *, mrn: str, by: User, nurse: User) -> Course:
    """A signed daily course with anti-Dsg3, IgG and fibrinogen before each session, the first half started."""
    patient = make_measured_patient(by=by, mrn=mrn)
    course = signed(by, patient, sessions_count=str(count), pattern="daily", sessions_extension_reason="Slow response")
    for procedure in course.procedures.order_by("number")[: count // 2]:
        SessionRecord.objects.create(procedure=procedure, recorded_by=nurse, started_at=procedure.starts_at)
    for procedure in course.procedures.all():
        make_measurement(
            patient=patient,
            by=by,
            taken_at=procedure.starts_at - timedelta(hours=1),
            fibrinogen_g_per_l=Decimal("2.1"),
            igg_g_per_l=Decimal("9.0"),
            marker_name="anti-Dsg3",
            marker_value="90 U/mL",
            marker_is_igg_antibody=True,
        )
    return course


@pytest.mark.parametrize("url_name", ["course-detail", "course-summary-pdf"])
def test_the_course_page_and_summary_do_not_grow_with_sessions_and_labs(
    unit: None, physician: User, nurse: User, url_name: str, django_assert_max_num_queries: Callable
) -> None:
    client = logged_in(physician)
    few = _course_with_sessions(2, mrn="Q-FEW", by=physician, nurse=nurse)
    many = _course_with_sessions(8, mrn="Q-MANY", by=physician, nurse=nurse)
    assert many.procedures.count() == 8
    queries_few = _queries_for(client, reverse(url_name, args=[few.pk]))
    with django_assert_max_num_queries(COURSE_MAX_QUERIES):
        queries_many = _queries_for(client, reverse(url_name, args=[many.pk]))
    assert queries_many == queries_few
    assert _queries_for(client, reverse(url_name, args=[many.pk])) < queries_many  # the drawing is read back
