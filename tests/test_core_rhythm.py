"""A course's rhythm (planner/core/rhythm.py): pure, no Django. Issue 14's reproduction included.

Every-other-day from Thursday 3 December 2026 with weekends closed prescribes Thu 3, Mon 7 (Sat 5
moves to Monday), Wed 9, Fri 11, Mon 14 (Sun 13 moves). With the device partly booked the first
version booked Thu 3, Tue 8, Thu 10, Mon 14, Tue 15: gaps 5, 2, 4, 1 against 4, 2, 2, 3.
"""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from planner.core.rhythm import rhythm_breaks

PRESCRIBED = [date(2026, 12, 3), date(2026, 12, 7), date(2026, 12, 9), date(2026, 12, 11), date(2026, 12, 14)]


def _booked(*days: date) -> list[tuple[int, date]]:
    return list(enumerate(days, start=1))


def test_the_reproduction_breaks_twice() -> None:
    booked = _booked(date(2026, 12, 3), date(2026, 12, 8), date(2026, 12, 10), date(2026, 12, 14), date(2026, 12, 15))
    found = rhythm_breaks(PRESCRIBED, booked)
    # 3 -> 8 is 5 days against 4 prescribed: within the one day tolerated. 10 -> 14 is 4 against 2; 14 -> 15
    # is 1 against 3.
    assert [(b.code, b.previous, b.number, b.gap_days, b.prescribed_days) for b in found] == [
        ("gap_too_long", 3, 4, 4, 2),
        ("gap_too_short", 4, 5, 1, 3),
    ]
    assert found[0].message == "Sessions 3 and 4 are 4 d apart; the course prescribes 2 d."
    assert found[1].message == "Sessions 4 and 5 are only 1 d apart; the course prescribes 3 d."


def test_the_prescribed_dates_keep_the_rhythm() -> None:
    assert rhythm_breaks(PRESCRIBED, _booked(*PRESCRIBED)) == []


def test_the_tolerances_are_inclusive_edges() -> None:
    one_day_later = _booked(PRESCRIBED[0], PRESCRIBED[1] + timedelta(days=1))
    assert rhythm_breaks(PRESCRIBED, one_day_later) == []
    two_days_later = _booked(PRESCRIBED[0], PRESCRIBED[1] + timedelta(days=2))
    assert [b.code for b in rhythm_breaks(PRESCRIBED, two_days_later)] == ["gap_too_long"]
    assert rhythm_breaks(PRESCRIBED, two_days_later, longer_days=2) == []
    assert [b.code for b in rhythm_breaks(PRESCRIBED, one_day_later, longer_days=0)] == ["gap_too_long"]
    one_day_sooner = _booked(PRESCRIBED[0], PRESCRIBED[1] - timedelta(days=1))
    assert [b.code for b in rhythm_breaks(PRESCRIBED, one_day_sooner)] == ["gap_too_short"]
    assert rhythm_breaks(PRESCRIBED, one_day_sooner, shorter_days=1) == []
    two_days_sooner = _booked(PRESCRIBED[0], PRESCRIBED[1] - timedelta(days=2))
    assert [b.code for b in rhythm_breaks(PRESCRIBED, two_days_sooner, shorter_days=1)] == ["gap_too_short"]


def test_a_session_on_or_before_the_previous_ones_day_is_out_of_order() -> None:
    same_day = rhythm_breaks(PRESCRIBED, _booked(PRESCRIBED[0], PRESCRIBED[0]))
    assert [(b.code, b.gap_days) for b in same_day] == [("out_of_order", 0)]
    assert same_day[0].message == "Session 2 is booked on or before the day of session 1."
    before = rhythm_breaks(PRESCRIBED, [(2, date(2026, 12, 2)), (1, date(2026, 12, 3))])
    assert [(b.code, b.previous, b.number, b.gap_days) for b in before] == [("out_of_order", 1, 2, -1)]


def test_a_cancelled_session_is_skipped_and_the_gap_measured_across_it() -> None:
    # Session 2 cancelled: 1 -> 3 prescribed 6 days (3 -> 9); booked 7 days apart is within one day.
    assert rhythm_breaks(PRESCRIBED, [(1, date(2026, 12, 3)), (3, date(2026, 12, 10))]) == []
    found = rhythm_breaks(PRESCRIBED, [(1, date(2026, 12, 3)), (3, date(2026, 12, 11))])
    assert [(b.previous, b.number, b.gap_days, b.prescribed_days) for b in found] == [(1, 3, 8, 6)]


def test_one_session_or_none_has_no_rhythm() -> None:
    assert rhythm_breaks(PRESCRIBED, []) == []
    assert rhythm_breaks(PRESCRIBED, [(4, date(2030, 1, 1))]) == []


@given(
    gaps=st.lists(st.integers(min_value=1, max_value=14), min_size=1, max_size=12),
    shift=st.integers(min_value=-400, max_value=400),
)
def test_the_prescribed_rhythm_moved_as_a_whole_never_breaks(gaps: list[int], shift: int) -> None:
    prescribed = [date(2026, 1, 1)]
    for gap in gaps:
        prescribed.append(prescribed[-1] + timedelta(days=gap))
    booked = [(n, day + timedelta(days=shift)) for n, day in enumerate(prescribed, start=1)]
    assert rhythm_breaks(prescribed, booked) == []


@given(
    gaps=st.lists(st.integers(min_value=1, max_value=14), min_size=2, max_size=12),
    which=st.integers(min_value=1, max_value=11),
    extra=st.integers(min_value=2, max_value=20),
)
def test_any_gap_two_days_longer_is_found_by_its_sessions(gaps: list[int], which: int, extra: int) -> None:
    which = min(which, len(gaps))
    prescribed = [date(2026, 1, 1)]
    for gap in gaps:
        prescribed.append(prescribed[-1] + timedelta(days=gap))
    booked = [(n, day + timedelta(days=extra if n > which else 0)) for n, day in enumerate(prescribed, start=1)]
    found = rhythm_breaks(prescribed, booked)
    assert [(b.code, b.previous, b.number, b.gap_days - b.prescribed_days) for b in found] == [
        ("gap_too_long", which, which + 1, extra)
    ]
