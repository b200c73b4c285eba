"""Session dates and drug-gap warnings, pinned with real calendar dates worked out by hand.

What this file pins, for planner.core.schedule_dates:
- every pattern (daily, every other day, every N days, chosen weekdays, weekly) on the 2026-27 calendar;
- a session on a closed weekday or a holiday moves to the next open day, and a stepping pattern continues
  from where the session really fell (not from the grid it would have been on);
- two chosen weekdays that land on the same open day are kept one a day;
- the search limit: an open day up to 365 days ahead is found, none within 366 days is refused;
- every refusal of an impossible recurrence, with its field and exact message;
- the gap warnings for rituximab (48 h) and IVIG (24 h) exactly at, one minute under and one minute over
  their limits, with codes, exact messages and drug names (also in Chinese, the app's other language).

Sources: the limits are MIN_HOURS_AFTER in the module; the clinical reference (clinical-reference.md,
"Cautions to warn about") says IVIG and rituximab given just before a session are removed, so they are
given after it. Every date is counted by hand from two anchors: 30 Nov 2026 is a Monday (1 Jan 2026 is a
Thursday; 30 Nov is 333 days later, 333 = 47 x 7 + 4, Thursday + 4 = Monday), so 25 Dec 2026 (25 days
later, 25 = 3 x 7 + 4) and 1 Jan 2027 are Fridays. Weekends are closed unless a case says otherwise.
"""

from datetime import date, datetime, timedelta

import pytest

from planner.core import text
from planner.core.limits import InputError
from planner.core.schedule_dates import ClosedDays, Dose, GapWarning, Pattern, Recurrence, gap_warnings, session_dates

CHRISTMAS_EVE = date(2026, 12, 24)  # Thursday
CHRISTMAS = date(2026, 12, 25)  # Friday
NEW_YEAR = date(2027, 1, 1)  # Friday
WEEKENDS_CLOSED = ClosedDays()
NO_CLOSED_DAYS = ClosedDays(weekdays=frozenset())
FESTIVE = ClosedDays(holidays=frozenset({CHRISTMAS, NEW_YEAR}))
MON, WED, THU, FRI, SAT = 0, 2, 3, 4, 5


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def refused(recurrence: Recurrence, closed: ClosedDays = WEEKENDS_CLOSED) -> InputError:
    with pytest.raises(InputError) as raised:
        session_dates(recurrence, closed)
    return raised.value


@pytest.mark.parametrize(
    ("scenario", "recurrence", "closed", "expected"),
    [
        (
            # Wed 23, Thu 24; Fri 25 is Christmas, Sat/Sun closed -> Mon 28; then Tue 29, Wed 30.
            "daily x5 over Christmas",
            Recurrence(Pattern.DAILY, 5, d(12, 23)),
            FESTIVE,
            [d(12, 23), d(12, 24), d(12, 28), d(12, 29), d(12, 30)],
        ),
        (
            "daily x3 from a Saturday in a unit open every day",
            Recurrence(Pattern.DAILY, 3, d(12, 26)),
            NO_CLOSED_DAYS,
            [d(12, 26), d(12, 27), d(12, 28)],
        ),
        (
            "a single session asked for a Saturday moves to Monday",
            Recurrence(Pattern.DAILY, 1, d(12, 5)),
            WEEKENDS_CLOSED,
            [d(12, 7)],
        ),
        (
            # Thu 3; Sat 5 -> Mon 7; Wed 9; Fri 11; Sun 13 -> Mon 14.
            "every other day x5 from a Thursday",
            Recurrence(Pattern.EVERY_OTHER_DAY, 5, d(12, 3)),
            WEEKENDS_CLOSED,
            [d(12, 3), d(12, 7), d(12, 9), d(12, 11), d(12, 14)],
        ),
        (
            # Thu 3; Sun 6 -> Mon 7; 7 + 3 = Thu 10 (a fixed grid would say Wed 9); Sun 13 -> Mon 14; Thu 17.
            "every 3 days x5 continues from where each session fell",
            Recurrence(Pattern.EVERY_N_DAYS, 5, d(12, 3), every_n_days=3),
            WEEKENDS_CLOSED,
            [d(12, 3), d(12, 7), d(12, 10), d(12, 14), d(12, 17)],
        ),
        (
            "every 1 day (the smallest N) is daily",
            Recurrence(Pattern.EVERY_N_DAYS, 3, d(11, 30), every_n_days=1),
            WEEKENDS_CLOSED,
            [d(11, 30), d(12, 1), d(12, 2)],
        ),
        (
            # 30 Nov + 28 = 28 Dec (November has 30 days); 28 Dec + 28 = 25 Jan (3 days to 31 Dec, then 25).
            "every 28 days (the largest N) x3",
            Recurrence(Pattern.EVERY_N_DAYS, 3, d(11, 30), every_n_days=28),
            WEEKENDS_CLOSED,
            [d(11, 30), d(12, 28), d(1, 25, 2027)],
        ),
        (
            # Mon 28 Dec is a holiday -> Tue 29; 29 Dec + 28 = Tue 26 Jan, not Mon 25 Jan.
            "every 28 days with a holiday moves the rest of the course a day",
            Recurrence(Pattern.EVERY_N_DAYS, 3, d(11, 30), every_n_days=28),
            ClosedDays(holidays=frozenset({d(12, 28)})),
            [d(11, 30), d(12, 29), d(1, 26, 2027)],
        ),
        (
            # Fri 18; Fri 25 Christmas -> Mon 28; then Mondays 4 and 11 Jan (Fridays would give 8 Jan).
            "weekly x4 from a Friday over Christmas becomes weekly on Mondays",
            Recurrence(Pattern.WEEKLY, 4, d(12, 18)),
            FESTIVE,
            [d(12, 18), d(12, 28), d(1, 4, 2027), d(1, 11, 2027)],
        ),
        (
            "Tue/Fri x4 from a Monday starts on the Tuesday",
            Recurrence(Pattern.WEEKDAYS, 4, d(11, 30), weekdays=frozenset({1, FRI})),
            WEEKENDS_CLOSED,
            [d(12, 1), d(12, 4), d(12, 8), d(12, 11)],
        ),
        (
            # Mon 21, Wed 23; Fri 25 -> Mon 28, which Mon 28 also wants -> Tue 29; Wed 30; Fri 1 Jan -> Mon 4.
            "Mon/Wed/Fri x6 over Christmas keeps one session a day",
            Recurrence(Pattern.WEEKDAYS, 6, d(12, 21), weekdays=frozenset({MON, WED, FRI})),
            FESTIVE,
            [d(12, 21), d(12, 23), d(12, 28), d(12, 29), d(12, 30), d(1, 4, 2027)],
        ),
        (
            # Thu 24 (a holiday here) -> Fri 25, which Fri 25 also wants -> next open after it, Mon 28; Thu 31.
            "Thu/Fri x3 with Christmas Eve closed pushes the Friday past the weekend",
            Recurrence(Pattern.WEEKDAYS, 3, CHRISTMAS_EVE, weekdays=frozenset({THU, FRI})),
            ClosedDays(holidays=frozenset({CHRISTMAS_EVE})),
            [d(12, 25), d(12, 28), d(12, 31)],
        ),
        (
            "all seven weekdays x3 in a unit open every day",
            Recurrence(Pattern.WEEKDAYS, 3, d(12, 26), weekdays=frozenset(range(7))),
            NO_CLOSED_DAYS,
            [d(12, 26), d(12, 27), d(12, 28)],
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_sessions_fall_on_these_calendar_dates(
    scenario: str, recurrence: Recurrence, closed: ClosedDays, expected: list[date]
) -> None:
    assert session_dates(recurrence, closed) == expected


def test_a_course_may_have_1_or_100_sessions() -> None:
    assert session_dates(Recurrence(Pattern.DAILY, 1, NEW_YEAR), NO_CLOSED_DAYS) == [NEW_YEAR]
    hundred = session_dates(Recurrence(Pattern.DAILY, 100, NEW_YEAR), NO_CLOSED_DAYS)
    # 1 Jan + 99 days: 31 Jan is +30, 28 Feb +58, 31 Mar +89, 10 Apr +99.
    assert (len(hundred), hundred[0], hundred[-1]) == (100, NEW_YEAR, d(4, 10, 2027))


@pytest.mark.parametrize(
    ("scenario", "recurrence", "closed", "field", "message"),
    [
        (
            "no sessions",
            Recurrence(Pattern.DAILY, 0, NEW_YEAR),
            WEEKENDS_CLOSED,
            "sessions",
            "A course has between 1 and 100 sessions.",
        ),
        (
            "101 sessions",
            Recurrence(Pattern.DAILY, 101, NEW_YEAR),
            WEEKENDS_CLOSED,
            "sessions",
            "A course has between 1 and 100 sessions.",
        ),
        (
            "every 0 days",
            Recurrence(Pattern.EVERY_N_DAYS, 3, NEW_YEAR, every_n_days=0),
            WEEKENDS_CLOSED,
            "every_n_days",
            "Every N days needs N between 1 and 28.",
        ),
        (
            "every 29 days",
            Recurrence(Pattern.EVERY_N_DAYS, 3, NEW_YEAR, every_n_days=29),
            WEEKENDS_CLOSED,
            "every_n_days",
            "Every N days needs N between 1 and 28.",
        ),
        (
            "no weekday chosen",
            Recurrence(Pattern.WEEKDAYS, 3, NEW_YEAR),
            WEEKENDS_CLOSED,
            "weekdays",
            "Choose at least one weekday.",
        ),
        (
            "a weekday number past Sunday (6)",
            Recurrence(Pattern.WEEKDAYS, 3, NEW_YEAR, weekdays=frozenset({7})),
            WEEKENDS_CLOSED,
            "weekdays",
            "Weekdays are 0 (Monday) to 6 (Sunday).",
        ),
        (
            "only the weekend chosen",
            Recurrence(Pattern.WEEKDAYS, 3, NEW_YEAR, weekdays=frozenset({SAT, 6})),
            WEEKENDS_CLOSED,
            "weekdays",
            "Every chosen weekday is a day the unit is closed.",
        ),
        (
            "Mondays in a unit closed on Mondays",
            Recurrence(Pattern.WEEKDAYS, 3, NEW_YEAR, weekdays=frozenset({MON})),
            ClosedDays(weekdays=frozenset({MON})),
            "weekdays",
            "Every chosen weekday is a day the unit is closed.",
        ),
        (
            "a unit closed every day of the week",
            Recurrence(Pattern.DAILY, 3, NEW_YEAR),
            ClosedDays(weekdays=frozenset(range(7))),
            "first_on",
            "The unit has no open day within a year of this date.",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and " " in value else "",
)
def test_an_impossible_recurrence_is_refused_naming_its_field(
    scenario: str, recurrence: Recurrence, closed: ClosedDays, field: str, message: str
) -> None:
    error = refused(recurrence, closed)
    assert (error.field, error.message, str(error)) == (field, message, message)


def whole_days(first: date, count: int) -> frozenset[date]:
    return frozenset(first + timedelta(days=offset) for offset in range(count))


def test_an_open_day_365_days_ahead_is_still_found() -> None:
    # Every day of 2027 (not a leap year: 365 days) is a holiday: the next open day is 1 Jan 2028, 365 days on.
    closed = ClosedDays(weekdays=frozenset(), holidays=whole_days(NEW_YEAR, 365))
    assert closed.next_open(NEW_YEAR) == date(2028, 1, 1)
    assert session_dates(Recurrence(Pattern.DAILY, 1, NEW_YEAR), closed) == [date(2028, 1, 1)]


def test_no_open_day_within_366_days_refuses_the_first_date() -> None:
    closed = ClosedDays(weekdays=frozenset(), holidays=whole_days(NEW_YEAR, 366))  # 2027 and 1 Jan 2028
    with pytest.raises(InputError) as raised:
        closed.next_open(NEW_YEAR)
    message = "The unit has no open day within a year of this date."
    assert (raised.value.field, raised.value.message, str(raised.value)) == ("first_on", message, message)


@pytest.mark.parametrize("count", [2.5, "3", True])
def test_a_count_that_is_not_a_whole_number_of_sessions_is_refused(count: object) -> None:
    """2.5 sessions once became 3 for a step pattern and a misleading weekday message for another."""
    for pattern, weekdays in ((Pattern.DAILY, frozenset()), (Pattern.WEEKDAYS, frozenset({MON}))):
        error = refused(Recurrence(pattern, count, d(11, 30), weekdays=weekdays), WEEKENDS_CLOSED)  # type: ignore[arg-type]
        message = "A course has between 1 and 100 sessions."
        assert (error.field, error.message) == ("sessions", message)


def ritux_message(number: int, hours: float) -> str:
    return (
        f"Session {number} starts {hours} h after rituximab: at least 48 h are needed or the exchange removes the drug."
    )


def ivig_message(number: int, hours: float) -> str:
    return f"Session {number} starts {hours} h after IVIG: at least 24 h are needed or the exchange removes the drug."


DOSE_AT = datetime(2026, 11, 30, 14)  # Monday 14:00


@pytest.mark.parametrize(
    ("scenario", "drug", "session_start", "expected"),
    [
        # Rituximab needs 48 h: Mon 14:00 + 48 h = Wed 2 Dec 14:00.
        ("rituximab exactly 48 h before", "rituximab", datetime(2026, 12, 2, 14), []),
        (
            "rituximab 47 h before",
            "rituximab",
            datetime(2026, 12, 2, 13),
            [GapWarning("rituximab_too_close", ritux_message(1, 47))],
        ),
        (
            # 47 h 59 min = 47.98 h, shown down to 0.1 h: 47.9, never the 48 it falls short of.
            "rituximab 47 h 59 min before",
            "rituximab",
            datetime(2026, 12, 2, 13, 59),
            [GapWarning("rituximab_too_close", ritux_message(1, 47.9))],
        ),
        ("rituximab 48 h 1 min before", "rituximab", datetime(2026, 12, 2, 14, 1), []),
        (
            "rituximab at the very start of the session",
            "rituximab",
            DOSE_AT,
            [GapWarning("rituximab_too_close", ritux_message(1, 0))],
        ),
        ("rituximab 1 min after the session started", "rituximab", datetime(2026, 11, 30, 13, 59), []),
        # IVIG needs 24 h: Mon 14:00 + 24 h = Tue 1 Dec 14:00.
        ("IVIG exactly 24 h before", "ivig", datetime(2026, 12, 1, 14), []),
        ("IVIG 23 h before", "ivig", datetime(2026, 12, 1, 13), [GapWarning("ivig_too_close", ivig_message(1, 23))]),
        (
            "IVIG 23 h 59 min before",
            "ivig",
            datetime(2026, 12, 1, 13, 59),
            [GapWarning("ivig_too_close", ivig_message(1, 23.9))],
        ),
        ("IVIG 24 h 1 min before", "ivig", datetime(2026, 12, 1, 14, 1), []),
        ("IVIG at the very start of the session", "ivig", DOSE_AT, [GapWarning("ivig_too_close", ivig_message(1, 0))]),
        ("IVIG 1 min after the session started", "ivig", datetime(2026, 11, 30, 13, 59), []),
    ],
    ids=lambda value: value if isinstance(value, str) and " " in value else "",
)
def test_a_session_too_soon_after_a_dose_warns_at_the_drug_limit(
    scenario: str, drug: str, session_start: datetime, expected: list[GapWarning]
) -> None:
    assert gap_warnings([session_start], [Dose(drug, DOSE_AT)]) == expected


MON_0900, WED_0900, FRI_0900 = datetime(2026, 11, 30, 9), datetime(2026, 12, 2, 9), datetime(2026, 12, 4, 9)


def test_only_sessions_inside_the_gap_after_each_dose_warn_in_dose_then_session_order() -> None:
    # Rituximab Mon 14:00, after session 1: session 2 is 43 h later (warns), session 3 is 91 h later.
    # IVIG Mon 14:00: session 2 at 43 h is past 24 h. IVIG Thu 3 Dec 14:00: session 3 is 19 h later (warns).
    doses = [Dose("rituximab", DOSE_AT), Dose("ivig", DOSE_AT), Dose("ivig", datetime(2026, 12, 3, 14))]
    assert gap_warnings([MON_0900, WED_0900, FRI_0900], doses) == [
        GapWarning("rituximab_too_close", ritux_message(2, 43)),
        GapWarning("ivig_too_close", ivig_message(3, 19)),
    ]


def test_a_dose_after_the_last_session_warns_about_nothing() -> None:
    doses = [Dose("rituximab", datetime(2026, 12, 4, 14)), Dose("ivig", datetime(2026, 12, 4, 14))]
    assert gap_warnings([MON_0900, WED_0900, FRI_0900], doses) == []


def test_a_drug_without_a_limit_is_skipped_and_the_doses_after_it_still_checked() -> None:
    doses = [Dose("heparin", DOSE_AT), Dose("rituximab", DOSE_AT)]
    assert gap_warnings([WED_0900], doses) == [GapWarning("rituximab_too_close", ritux_message(1, 43))]


def test_a_limit_given_for_another_drug_names_that_drug_as_entered() -> None:
    # Wed 2 Dec 14:00 is 48 h after the dose, under the 72 h given here.
    warnings = gap_warnings([datetime(2026, 12, 2, 14)], [Dose("tocilizumab", DOSE_AT)], {"tocilizumab": 72})
    assert warnings == [
        GapWarning(
            "tocilizumab_too_close",
            "Session 1 starts 48 h after tocilizumab: at least 72 h are needed or the exchange removes the drug.",
        )
    ]


# The zh_Hans catalogue's entries for these strings (planner/locale/zh_Hans/LC_MESSAGES/django.po).
CHINESE = {
    "rituximab": "利妥昔单抗",
    "IVIG": "静脉注射免疫球蛋白（IVIG）",
    "Session %(number)s starts %(hours)s h after %(drug)s: at least %(needed)s h are needed or the exchange "
    "removes the drug.": "第 %(number)s 次治疗在%(drug)s给药后 %(hours)s h 开始：至少需间隔 %(needed)s h，"
    "否则血浆置换会清除该药物。",
}


def test_the_drug_names_are_translated_with_the_message() -> None:
    text.use(lambda message: CHINESE.get(message, message))
    try:
        warnings = gap_warnings([WED_0900], [Dose("rituximab", DOSE_AT), Dose("ivig", datetime(2026, 12, 1, 14))])
    finally:
        text.use(str)
    # Rituximab Mon 14:00 -> Wed 09:00 is 43 h; IVIG Tue 14:00 -> Wed 09:00 is 19 h.
    assert [w.message for w in warnings] == [
        "第 1 次治疗在利妥昔单抗给药后 43 h 开始：至少需间隔 48 h，否则血浆置换会清除该药物。",
        "第 1 次治疗在静脉注射免疫球蛋白（IVIG）给药后 19 h 开始：至少需间隔 24 h，否则血浆置换会清除该药物。",
    ]
