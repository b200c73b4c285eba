"""Whether a course's booked dates keep the rhythm it prescribes. Pure Python.

The prescribed dates are the recurrence's (schedule_dates.session_dates: the pattern, moved past
closed days). Booked dates can differ when a device is full or a session is moved. Between two
consecutive booked sessions, the gap breaks the rhythm when it is more than `longer_days` longer
than the prescribed gap between the same two sessions, or more than `shorter_days` shorter; a session
on or before the day of the one it follows is out of order. By default (settings) one day longer is
tolerated and no day shorter.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from planner.core.text import _


@dataclass(frozen=True)
class RhythmBreak:
    code: str  # "gap_too_long", "gap_too_short" or "out_of_order"
    number: int  # the later session
    previous: int  # the session it follows
    gap_days: int
    prescribed_days: int
    message: str


def rhythm_breaks(
    prescribed: Sequence[date],
    booked: Sequence[tuple[int, date]],
    *,
    longer_days: int = 1,
    shorter_days: int = 0,
) -> list[RhythmBreak]:
    """`prescribed[n - 1]` is session n's prescribed date; `booked` holds (number, date) of the sessions
    still booked, in any order (a cancelled one is simply absent). Sessions are compared in number order."""
    found = []
    ordered = sorted(booked)
    for (previous, before), (number, after) in zip(ordered, ordered[1:], strict=False):
        gap = (after - before).days
        should = (prescribed[number - 1] - prescribed[previous - 1]).days
        values = {"previous": previous, "number": number, "gap": gap, "prescribed": should}
        if gap <= 0:
            code = "out_of_order"
            message = _("Session %(number)s is booked on or before the day of session %(previous)s.") % values
        elif gap > should + longer_days:
            code = "gap_too_long"
            message = (
                _("Sessions %(previous)s and %(number)s are %(gap)s d apart; the course prescribes %(prescribed)s d.")
                % values
            )
        elif gap < should - shorter_days:
            code = "gap_too_short"
            message = (
                _(
                    "Sessions %(previous)s and %(number)s are only %(gap)s d apart; the course prescribes "
                    "%(prescribed)s d."
                )
                % values
            )
        else:
            continue
        found.append(RhythmBreak(code, number, previous, gap, should, message))
    return found
