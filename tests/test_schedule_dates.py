"""Session dates as a table: patterns, closed days and holidays; gap warnings; the first free slot."""

from datetime import date, datetime, time, timedelta

import pytest

from planner.core.limits import InputError
from planner.core.schedule_dates import ClosedDays, Dose, Pattern, Recurrence, gap_warnings, session_dates
from planner.core.slots import OpeningHours, first_free_slot

MON = date(2026, 11, 30)
FRI = date(2026, 11, 27)
NO_CLOSED_DAYS = ClosedDays(weekdays=frozenset())


def days(*offsets: int, start: date = MON) -> list[date]:
    return [start + timedelta(days=offset) for offset in offsets]


@pytest.mark.parametrize(
    ("scenario", "recurrence", "closed", "expected"),
    [
        (
            "daily, weekends closed, from a Friday",
            Recurrence(Pattern.DAILY, 4, FRI),
            ClosedDays(),
            days(0, 3, 4, 5, start=FRI),
        ),
        ("daily, open every day", Recurrence(Pattern.DAILY, 3, FRI), NO_CLOSED_DAYS, days(0, 1, 2, start=FRI)),
        (
            "pemphigus: every other day x5",
            Recurrence(Pattern.EVERY_OTHER_DAY, 5, MON),
            ClosedDays(),
            days(0, 2, 4, 7, 9),
        ),
        (
            "TEN: daily x3 with a holiday on day 2",
            Recurrence(Pattern.DAILY, 3, MON),
            ClosedDays(holidays=frozenset({MON + timedelta(days=1)})),
            days(0, 2, 3),
        ),
        ("every 3 days", Recurrence(Pattern.EVERY_N_DAYS, 3, MON, every_n_days=3), ClosedDays(), days(0, 3, 7)),
        (
            "Mon/Wed/Fri x5",
            Recurrence(Pattern.WEEKDAYS, 5, MON, weekdays=frozenset({0, 2, 4})),
            ClosedDays(),
            days(0, 2, 4, 7, 9),
        ),
        (
            "anti-MDA5 CADM: Tue/Fri x6 from a Monday",
            Recurrence(Pattern.WEEKDAYS, 6, MON, weekdays=frozenset({1, 4})),
            ClosedDays(),
            days(1, 4, 8, 11, 15, 18),
        ),
        ("CADM: weekly x4", Recurrence(Pattern.WEEKLY, 4, MON), ClosedDays(), days(0, 7, 14, 21)),
        (
            "weekly, holiday moves one session a day",
            Recurrence(Pattern.WEEKLY, 3, MON),
            ClosedDays(holidays=frozenset({MON + timedelta(days=7)})),
            days(0, 8, 15),
        ),
        (
            "first date on a Saturday moves to Monday",
            Recurrence(Pattern.DAILY, 1, MON - timedelta(days=2)),
            ClosedDays(),
            days(0),
        ),
        (
            "Mon/Wed with Wednesday a holiday",
            Recurrence(Pattern.WEEKDAYS, 3, MON, weekdays=frozenset({0, 2})),
            ClosedDays(holidays=frozenset({MON + timedelta(days=2)})),
            days(0, 3, 7),
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_session_dates(scenario: str, recurrence: Recurrence, closed: ClosedDays, expected: list[date]) -> None:
    dates = session_dates(recurrence, closed)
    assert dates == expected
    assert all(closed.is_open(day) for day in dates)
    assert dates == sorted(set(dates))


@pytest.mark.parametrize(
    ("recurrence", "field"),
    [
        (Recurrence(Pattern.DAILY, 0, MON), "sessions"),
        (Recurrence(Pattern.WEEKDAYS, 3, MON), "weekdays"),
        (Recurrence(Pattern.WEEKDAYS, 3, MON, weekdays=frozenset({5, 6})), "weekdays"),
        (Recurrence(Pattern.EVERY_N_DAYS, 3, MON, every_n_days=0), "every_n_days"),
    ],
)
def test_impossible_recurrences_are_refused_with_the_field(recurrence: Recurrence, field: str) -> None:
    with pytest.raises(InputError) as raised:
        session_dates(recurrence, ClosedDays())
    assert raised.value.field == field


def test_a_session_within_48_hours_of_rituximab_warns() -> None:
    starts = [datetime(2026, 12, 1, 9), datetime(2026, 12, 3, 9)]
    warnings = gap_warnings(starts, [Dose("rituximab", datetime(2026, 12, 1, 16))])
    assert [w.code for w in warnings] == ["rituximab_too_close"]
    assert warnings[0].message.startswith("Session 2 starts 41 h after rituximab: at least 48 h")


def test_a_dose_after_the_last_session_does_not_warn() -> None:
    assert gap_warnings([datetime(2026, 12, 1, 9)], [Dose("rituximab", datetime(2026, 12, 1, 14))]) == []


class TestFirstFreeSlot:
    day = date(2026, 12, 1)
    length = timedelta(minutes=135)

    def at(self, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(self.day, time(hour, minute))

    def test_an_empty_day_starts_at_opening(self) -> None:
        assert first_free_slot(self.day, self.length, []) == (self.at(8), self.at(10, 15))

    def test_it_fits_after_a_booking_on_the_next_quarter_hour(self) -> None:
        busy = [(self.at(8), self.at(10, 5))]
        assert first_free_slot(self.day, self.length, busy)[0] == self.at(10, 15)

    def test_it_uses_a_gap_that_is_long_enough(self) -> None:
        busy = [(self.at(8), self.at(9)), (self.at(11, 30), self.at(14))]
        assert first_free_slot(self.day, self.length, busy)[0] == self.at(9)

    def test_it_skips_a_gap_that_is_too_short(self) -> None:
        busy = [(self.at(8), self.at(9)), (self.at(10), self.at(12))]
        assert first_free_slot(self.day, self.length, busy)[0] == self.at(12)

    def test_a_full_day_has_no_slot(self) -> None:
        busy = [(self.at(8), self.at(16))]
        assert first_free_slot(self.day, self.length, busy, OpeningHours(closes=time(18))) is None


def test_opening_hours_default_to_the_units_documented_eight_to_six() -> None:
    """README (UNIT_OPENS, UNIT_CLOSES): 08:00 to 18:00 unless the unit sets its own."""
    assert (OpeningHours().opens, OpeningHours().closes) == (time(8, 0), time(18, 0))


def test_every_n_days_is_every_second_day_unless_n_is_given() -> None:
    recurrence = Recurrence(Pattern.EVERY_N_DAYS, 3, date(2026, 11, 30))
    assert session_dates(recurrence, ClosedDays(weekdays=frozenset())) == [
        date(2026, 11, 30),
        date(2026, 12, 2),
        date(2026, 12, 4),
    ]
