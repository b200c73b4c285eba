"""No double booking, ever: checked by the app for a clear message, enforced by the database against races."""

import threading
from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, OperationalError, close_old_connections, connection, transaction
from django.test import RequestFactory
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import booking, db_guards
from planner.models import Procedure
from tests.factories import make_course, make_device, make_indication, make_patient

MONDAY = date(2026, 11, 30)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def course(db: None) -> object:
    clerk = User.objects.create_user(username="clerk")
    patient = make_patient(by=clerk)
    return make_course(patient=patient, indication=make_indication(), device=make_device(), by=clerk, first_on=MONDAY)


def _procedure(course: object, start: datetime, minutes: int = 135, **fields: object) -> Procedure:
    return Procedure.objects.create(
        course=course,
        number=fields.pop("number", 1),
        device=fields.pop("device", course.device),
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        updated_by=course.created_by,
        **fields,
    )


def test_the_proposal_follows_the_pattern_and_opening_hours(course: object) -> None:
    slots = booking.propose(course)
    assert [timezone.localtime(s.starts_at).date() for s in slots] == [
        MONDAY,
        MONDAY + timedelta(days=2),
        MONDAY + timedelta(days=4),
        MONDAY + timedelta(days=7),
        MONDAY + timedelta(days=9),
    ]
    assert all(timezone.localtime(s.starts_at).time() == time(8) for s in slots)
    assert all(s.ends_at - s.starts_at == timedelta(minutes=105 + 30) for s in slots)


def test_the_proposal_goes_around_existing_bookings(course: object) -> None:
    _procedure(course, at(MONDAY, 8), minutes=150, number=99)
    first = booking.propose(course)[0]
    assert timezone.localtime(first.starts_at) == at(MONDAY, 10, 30)


def test_booking_twice_on_one_device_gets_a_clear_message_and_books_nothing(course: object) -> None:
    booking.book(course, booking.propose(course)[:1], by=course.created_by)
    again = booking.ProposedSlot(2, course.device, at(MONDAY, 9), at(MONDAY, 11))
    with pytest.raises(booking.BookingConflict, match=r"Spectra Optia 1 is already booked from 2026-11-30 08:00"):
        booking.book(course, [again], by=course.created_by)
    assert Procedure.objects.count() == 1


def test_back_to_back_bookings_are_allowed(course: object) -> None:
    _procedure(course, at(MONDAY, 8), minutes=120)
    _procedure(course, at(MONDAY, 10), minutes=120, number=2)
    assert Procedure.objects.count() == 2


def test_a_cancelled_booking_frees_its_slot(course: object) -> None:
    first = _procedure(course, at(MONDAY, 8))
    booking.cancel(first, reason="patient unwell", by=course.created_by)
    _procedure(course, at(MONDAY, 8), number=2)
    assert Procedure.objects.exclude(status="cancelled").count() == 1


def test_another_device_is_free_at_the_same_time(course: object) -> None:
    first = _procedure(course, at(MONDAY, 8))
    second = _procedure(course, at(MONDAY, 8), number=2, device=make_device(name="Spectra Optia 2"))
    booked = Procedure.objects.filter(starts_at=at(MONDAY, 8)).order_by("device__name")
    assert [(p.pk, p.device.name) for p in booked] == [(first.pk, "Spectra Optia 1"), (second.pk, "Spectra Optia 2")]


def test_the_database_refuses_an_overlap_that_skips_the_app_check(course: object) -> None:
    _procedure(course, at(MONDAY, 8))
    with pytest.raises(IntegrityError), transaction.atomic():
        _procedure(course, at(MONDAY, 9), number=2)


def test_a_course_cannot_have_two_planned_sessions_with_one_number(course: object) -> None:
    # Two people pressing Book on one course at once would otherwise each book the whole course.
    _procedure(course, at(MONDAY, 8))
    with pytest.raises(IntegrityError), transaction.atomic():
        _procedure(course, at(MONDAY, 14), device=make_device(name="Spectra Optia 2"))
    first = Procedure.objects.get()
    booking.cancel(first, reason="moved to the afternoon", by=course.created_by)
    _procedure(course, at(MONDAY, 14))  # a cancelled session 1 leaves number 1 free
    assert Procedure.objects.filter(status="planned").count() == 1


def test_the_database_refuses_moving_onto_a_booking_and_a_bulk_update(course: object) -> None:
    _procedure(course, at(MONDAY, 8))
    later = _procedure(course, at(MONDAY, 13), number=2)
    with pytest.raises(booking.BookingConflict):
        booking.move(later, device=course.device, starts_at=at(MONDAY, 9), reason="earlier", by=course.created_by)
    with pytest.raises(IntegrityError), transaction.atomic():
        Procedure.objects.filter(pk=later.pk).update(starts_at=at(MONDAY, 9), ends_at=at(MONDAY, 11))


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_bookings_of_one_slot_cannot_both_win() -> None:
    """Both requests pass the application's check before either writes; the database must stop one."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race is a PostgreSQL test (run with DATABASE_URL=postgres://)")
    clerk = User.objects.create_user(username="clerk")
    course = make_course(
        patient=make_patient(by=clerk), indication=make_indication(), device=make_device(), by=clerk, first_on=MONDAY
    )
    both_checked = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []

    def request(number: int, start_hour: int) -> None:
        try:
            with transaction.atomic():
                booking._check_free(course.device, at(MONDAY, start_hour), at(MONDAY, start_hour + 2))
                both_checked.wait()
                _procedure(course, at(MONDAY, start_hour), minutes=120, number=number)
            outcomes.append("booked")
        except (IntegrityError, OperationalError) as error:
            # The exclusion constraint refuses the second, or PostgreSQL finds the two waiting on each
            # other and fails one (deadlock detected): both are a refused booking, which is the point.
            outcomes.append("refused" if booking.is_write_conflict(error) else f"unexpected {error!r}")
        except Exception as error:  # reported in the assertion, not lost in a thread
            outcomes.append(f"unexpected {error!r}")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=request, args=(n, hour)) for n, hour in ((1, 8), (2, 9))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(outcomes) == ["booked", "refused"]
    assert Procedure.objects.count() == 1


def test_the_double_booking_and_session_guards_survive_every_migration(db: None) -> None:
    """A migration that rebuilds planner_procedure on SQLite drops its triggers; see planner/db_guards.py."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'planner_procedure'")
            assert {row[0] for row in cursor.fetchall()} == {*db_guards.SQLITE_TRIGGERS, db_guards.SESSION_GUARD}
        else:
            cursor.execute("SELECT 1 FROM pg_constraint WHERE conname = %s", [db_guards.CONSTRAINT])
            assert cursor.fetchone() == (1,)
            cursor.execute("SELECT 1 FROM pg_trigger WHERE tgname = %s", [db_guards.SESSION_GUARD])
            assert cursor.fetchone() == (1,)


class _Deadlock(Exception):
    sqlstate = "40P01"


def test_a_deadlock_between_two_bookings_is_a_taken_slot_not_an_outage() -> None:
    from planner.views.errors import server_error

    error = OperationalError("deadlock detected")
    error.__cause__ = _Deadlock()
    assert booking.is_write_conflict(error)
    assert not booking.is_write_conflict(OperationalError("connection refused"))
    try:
        raise error
    except OperationalError:
        response = server_error(RequestFactory().get("/courses/1/book/"))
    assert response.status_code == 500  # the generic page, not "the database is not answering"


def test_a_booking_that_crosses_midnight_is_busy_on_both_days(course: object) -> None:
    _procedure(course, at(MONDAY, 23), minutes=120, number=99)
    busy = booking.BusyDays()
    local = (datetime.combine(MONDAY, time(23)), datetime.combine(MONDAY + timedelta(days=1), time(1)))
    assert busy(course.device, MONDAY) == [local]
    assert busy(course.device, MONDAY + timedelta(days=1)) == [local]
    assert busy(course.device, MONDAY + timedelta(days=2)) == []


def test_looking_for_a_free_slot_past_full_days_on_many_devices_asks_a_few_queries(
    course: object, django_assert_max_num_queries: object
) -> None:
    """Five equivalent devices, all full for the first three weeks: the search walks 15 open days times five
    devices for the first session, which was one query each (and one per other device for the note)."""
    devices = [course.device] + [make_device(name=f"Spectra Optia {n}") for n in range(2, 6)]
    closed = booking.closed_days()
    day, full_days = MONDAY, []
    while len(full_days) < 15:
        if closed.is_open(day):
            full_days.append(day)
        day += timedelta(days=1)
    number = 100
    for full in full_days:
        for device in devices:
            _procedure(course, at(full, 8), minutes=10 * 60, number=number, device=device)
            number += 1
    with django_assert_max_num_queries(8):
        slots = booking.propose(course)
    first_free = closed.next_open(full_days[-1] + timedelta(days=1))
    assert timezone.localtime(slots[0].starts_at) == at(first_free, 8)
    assert slots[0].device == course.device


# Bookings for the overlap property: (device index, start as minutes after Monday 00:00, minutes, cancelled).
# Back to back, across midnight, a long one, cancelled ones overlapping active ones, on two devices.
OVERLAP_BOOKINGS = [
    (0, 8 * 60, 120, False),
    (0, 10 * 60, 135, False),
    (0, 9 * 60, 60, True),
    (0, 23 * 60, 180, False),
    (0, 2 * 24 * 60 + 6 * 60, 20 * 60, False),
    (1, 8 * 60 + 30, 90, False),
    (1, 8 * 60 + 30, 90, True),
    (1, 24 * 60 + 8 * 60, 240, False),
    (1, 5 * 24 * 60, 45, False),
]


@pytest.fixture
def overlap_bookings(course: object) -> list[Procedure]:
    devices = [course.device, make_device(name="Spectra Optia 2")]
    made = []
    for number, (device, start, minutes, cancelled) in enumerate(OVERLAP_BOOKINGS, start=1):
        fields = {"status": Procedure.Status.CANCELLED, "change_reason": "test"} if cancelled else {}
        made.append(
            _procedure(
                course,
                at(MONDAY, 0) + timedelta(minutes=start),
                minutes,
                number=number,
                device=devices[device],
                **fields,
            )
        )
    return made


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.integers(min_value=-24 * 60, max_value=7 * 24 * 60),
    minutes=st.integers(min_value=1, max_value=3 * 24 * 60),
)
def test_overlapping_finds_exactly_the_active_bookings_that_share_a_moment_with_the_span(
    overlap_bookings: list[Procedure], start: int, minutes: int
) -> None:
    """On PostgreSQL the query is the exclusion constraint's range overlap; it must find what the rule says:
    not cancelled, starting before the span ends and ending after it starts (touching ends do not overlap)."""
    low = at(MONDAY, 0) + timedelta(minutes=start)
    high = low + timedelta(minutes=minutes)
    expected = {
        p.pk
        for p in overlap_bookings
        if p.status != Procedure.Status.CANCELLED and p.starts_at < high and p.ends_at > low
    }
    assert set(Procedure.objects.overlapping(low, high).values_list("pk", flat=True)) == expected


def test_overlapping_refuses_an_empty_or_reversed_span(course: object) -> None:
    with pytest.raises(ValueError, match="empty or reversed"):
        Procedure.objects.overlapping(at(MONDAY, 8), at(MONDAY, 8))
    with pytest.raises(ValueError, match="empty or reversed"):
        Procedure.objects.overlapping(at(MONDAY, 9), at(MONDAY, 8))


def test_a_clash_names_the_earliest_booking_it_meets(course: object) -> None:
    _procedure(course, at(MONDAY, 10), minutes=60, number=2)
    _procedure(course, at(MONDAY, 8), minutes=60, number=3)
    wide = booking.ProposedSlot(1, course.device, at(MONDAY, 7), at(MONDAY, 12))
    with pytest.raises(booking.BookingConflict, match=r"already booked from 2026-11-30 08:00 to 09:00"):
        booking.book(course, [wide], by=course.created_by)
