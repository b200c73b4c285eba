"""Issue 14: a session that started or has an outcome stays where, when and under which order it ran.

The reproduction: after recording and review, the nurse moved session 1 to after session 2
("Session moved.") and the reviewed record's name changed with it; cancelling had the same gap.
"""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from planner import booking, courses, db_guards
from planner.models import Course, Patient, Procedure, Product, SessionRecord
from planner.records import mark_reviewed
from tests.conftest import logged_in
from tests.test_records import record
from tests.workflow import form_data, sign, signed


@pytest.fixture
def course(patient: Patient, physician: User) -> Course:
    return signed(physician, patient, sessions_count="3")


def _sessions(course: Course) -> tuple[Procedure, Procedure, Procedure]:
    first, second, third = course.procedures.order_by("number")
    return first, second, third


def _after(procedure: Procedure, hours: int = 3) -> str:
    return (timezone.localtime(procedure.starts_at) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def test_a_recorded_and_reviewed_session_is_not_moved_or_cancelled(course: Course, nurse: User, reviewer: User) -> None:
    first, second, _third = _sessions(course)
    record(nurse, first)
    mark_reviewed(SessionRecord.objects.all(), by=reviewer)
    before = (first.device_id, first.starts_at, first.ends_at, first.status)
    client = logged_in(nurse)
    opened = client.get(reverse("procedure-move", args=[first.pk]), follow=True)
    assert "Session 1 has started or been recorded (Completed): it stays where and when it ran." in (
        opened.content.decode()
    )
    moved = client.post(
        reverse("procedure-move", args=[first.pk]),
        {"device": first.device_id, "starts_at": _after(second), "reason": "after session 2"},
        follow=True,
    )
    assert "Session moved." not in moved.content.decode()
    cancelled = client.post(reverse("procedure-cancel", args=[first.pk]), {"reason": "no"}, follow=True)
    assert "it stays where and when it ran" in cancelled.content.decode()
    first.refresh_from_db()
    assert (first.device_id, first.starts_at, first.ends_at, first.status) == before


def test_the_course_page_shows_each_sessions_real_state(course: Course, nurse: User, physician: User) -> None:
    first, second, _third = _sessions(course)
    record(nurse, first)
    record(nurse, second, outcome="not_started", outcome_reason="Fever 39 °C", started_at="", ended_at="")
    page = logged_in(physician).get(reverse("course-detail", args=[course.pk])).content.decode()
    assert '<td data-session-state="1">Completed' in page
    assert '<td data-session-state="2">Not started' in page
    assert '<td data-session-state="3">Planned' in page
    assert reverse("procedure-move", args=[first.pk]) not in page
    assert reverse("procedure-move", args=[second.pk]) not in page


def test_a_session_the_blood_bank_issued_for_can_still_move(course: Course, bloodbank: User, nurse: User) -> None:
    """Products issued before check-in open a record with nothing recorded: the session has not started."""
    first, second, _third = _sessions(course)
    albumin = Product.objects.filter(kind=Product.Kind.ALBUMIN, is_active=True).first()
    logged_in(bloodbank).post(
        reverse("issued-product-create", args=[first.pk]), {"product": albumin.pk, "lot_number": "A1", "quantity": "6"}
    )
    assert SessionRecord.objects.filter(procedure=first).exists()
    moved = logged_in(nurse).post(
        reverse("procedure-move", args=[first.pk]),
        {"device": first.device_id, "starts_at": _after(first, 1), "reason": "Patient late"},
    )
    assert moved.status_code == 302
    first.refresh_from_db()
    assert first.change_reason == "Patient late"


def test_amending_takes_over_only_the_sessions_not_yet_run(course: Course, nurse: User, physician: User) -> None:
    first, second, third = _sessions(course)
    record(nurse, first)
    client = logged_in(physician)
    client.post(
        reverse("course-amend", args=[course.pk]),
        form_data(sessions_count="3", amendment_reason="Longer interval"),
    )
    amendment = Course.objects.get(previous=course)
    sign(client, amendment)
    first.refresh_from_db(), second.refresh_from_db(), third.refresh_from_db()
    assert (first.course_id, second.course_id, third.course_id) == (course.pk, amendment.pk, amendment.pk)
    assert first.record.procedure.course == course  # the record keeps the order it was run under


def test_cancelling_a_course_cancels_only_the_sessions_not_yet_run(course: Course, nurse: User) -> None:
    first, second, third = _sessions(course)
    record(nurse, first, outcome="stopped_early", outcome_reason="Citrate reaction")
    courses.cancel(course, reason="Patient transferred", by=nurse)
    statuses = [p.status for p in course.procedures.order_by("number")]
    assert statuses == [Procedure.Status.PLANNED, Procedure.Status.CANCELLED, Procedure.Status.CANCELLED]


class TestEveryDoor:
    """The database holds the lock whatever writes: the ORM, a bulk update, raw SQL."""

    @pytest.fixture
    def done(self, course: Course, nurse: User) -> Procedure:
        first = course.procedures.get(number=1)
        record(nurse, first)
        return first

    def refused(self, action: Callable[[], object]) -> None:
        with pytest.raises(IntegrityError, match=db_guards.SESSION_GUARD), transaction.atomic():
            action()

    def test_the_orm_and_a_bulk_update_are_refused(self, done: Procedure) -> None:
        later = done.starts_at + timedelta(days=30)
        done.starts_at, done.ends_at = later, later + timedelta(hours=2)
        self.refused(done.save)
        rows = Procedure.objects.filter(pk=done.pk)
        self.refused(lambda: rows.update(status=Procedure.Status.CANCELLED, change_reason="bulk"))
        self.refused(lambda: rows.update(number=9))

    def test_raw_sql_is_refused(self, done: Procedure) -> None:
        def move_by_sql() -> None:
            with connection.cursor() as cursor:
                cursor.execute("UPDATE planner_procedure SET device_id = device_id + 1 WHERE id = %s", [done.pk])

        self.refused(move_by_sql)

    def test_what_does_not_move_the_session_is_still_written(self, done: Procedure, nurse: User) -> None:
        Procedure.objects.filter(pk=done.pk).update(change_reason="noted", updated_by=nurse)
        assert Procedure.objects.get(pk=done.pk).change_reason == "noted"

    def test_a_record_made_after_the_check_is_a_message_not_an_error(
        self, course: Course, nurse: User, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Recorded between the app's check and the write: the database's refusal is explained, not a 500."""
        second = course.procedures.get(number=2)
        record(nurse, second)
        monkeypatch.setattr(booking, "check_not_done", lambda procedure: None)
        later = second.starts_at + timedelta(days=1)
        with pytest.raises(booking.BookingConflict, match="it stays where and when it ran"):
            booking.move(second, device=second.device, starts_at=later, reason="x", by=nurse)
        with pytest.raises(booking.BookingConflict, match="it stays where and when it ran"):
            booking.cancel(second, reason="x", by=nurse)
