"""Session dates for a course, and the time rules that only warn.

Pure Python. Dates come from a first date, a count and a pattern; a date that
falls on a closed day (a weekend, a chosen weekday, a holiday) moves to the next
open day, and the pattern continues from where the session really fell.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from planner.core.limits import InputError
from planner.core.text import _

# Search at most this far ahead for an open day before giving up.
MAX_SEARCH_DAYS = 366


class Pattern(StrEnum):
    DAILY = "daily"
    EVERY_OTHER_DAY = "every_other_day"
    EVERY_N_DAYS = "every_n_days"
    WEEKDAYS = "weekdays"
    WEEKLY = "weekly"


@dataclass(frozen=True)
class Recurrence:
    pattern: Pattern
    count: int
    first_on: date
    every_n_days: int = 2
    # Monday = 0 … Sunday = 6, for Pattern.WEEKDAYS.
    weekdays: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ClosedDays:
    weekdays: frozenset[int] = frozenset({5, 6})
    holidays: frozenset[date] = field(default_factory=frozenset)

    def is_open(self, day: date) -> bool:
        return day.weekday() not in self.weekdays and day not in self.holidays

    def next_open(self, day: date) -> date:
        for offset in range(MAX_SEARCH_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_open(candidate):
                return candidate
        raise InputError("first_on", "The unit has no open day within a year of this date.")


def _step_days(recurrence: Recurrence) -> int:
    return {
        Pattern.DAILY: 1,
        Pattern.EVERY_OTHER_DAY: 2,
        Pattern.EVERY_N_DAYS: recurrence.every_n_days,
        Pattern.WEEKLY: 7,
    }[recurrence.pattern]


def session_dates(recurrence: Recurrence, closed: ClosedDays | None = None) -> list[date]:
    closed = closed or ClosedDays()
    count = recurrence.count
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100:
        raise InputError("sessions", "A course has between 1 and 100 sessions.")
    if recurrence.pattern is Pattern.EVERY_N_DAYS and not 1 <= recurrence.every_n_days <= 28:
        raise InputError("every_n_days", "Every N days needs N between 1 and 28.")
    if recurrence.pattern is Pattern.WEEKDAYS:
        if not recurrence.weekdays:
            raise InputError("weekdays", "Choose at least one weekday.")
        if not recurrence.weekdays <= set(range(7)):
            raise InputError("weekdays", "Weekdays are 0 (Monday) to 6 (Sunday).")
        if not recurrence.weekdays - closed.weekdays:
            raise InputError("weekdays", "Every chosen weekday is a day the unit is closed.")
        dates: list[date] = []
        day = recurrence.first_on
        # Ends: a chosen weekday comes round every week, and next_open finds an open day or raises.
        while len(dates) < count:
            if day.weekday() in recurrence.weekdays:
                dates.append(closed.next_open(day))
            day += timedelta(days=1)
        return _distinct(dates, closed)
    step = timedelta(days=_step_days(recurrence))
    dates = [closed.next_open(recurrence.first_on)]
    while len(dates) < count:
        dates.append(closed.next_open(dates[-1] + step))
    return dates


def _distinct(dates: list[date], closed: ClosedDays) -> list[date]:
    # A chosen weekday moved past a holiday may land on the next chosen one: keep one a day.
    result: list[date] = []
    for day in dates:
        if result and day <= result[-1]:
            day = closed.next_open(result[-1] + timedelta(days=1))
        result.append(day)
    return result


@dataclass(frozen=True)
class Dose:
    drug: str
    given_at: datetime


@dataclass(frozen=True)
class GapWarning:
    code: str
    message: str


# Hours that must pass after a dose before a session, which would otherwise remove the drug.
MIN_HOURS_AFTER: dict[str, float] = {"rituximab": 48, "ivig": 24}


def _drug_name(drug: str) -> str:
    """The drug's name for people, looked up when a message is written (so in the request's language)."""
    return {"rituximab": _("rituximab"), "ivig": _("IVIG")}.get(drug, drug)


def gap_warnings(
    session_starts: list[datetime], doses: list[Dose], min_hours: dict[str, float] | None = None
) -> list[GapWarning]:
    min_hours = min_hours or MIN_HOURS_AFTER
    found = []
    for dose in doses:
        needed = min_hours.get(dose.drug)
        if needed is None:
            continue
        for number, start in enumerate(session_starts, start=1):
            hours = (start - dose.given_at).total_seconds() / 3600
            if 0 <= hours < needed:
                found.append(
                    GapWarning(
                        f"{dose.drug}_too_close",
                        _(
                            "Session %(number)s starts %(hours)s h after %(drug)s: at least %(needed)s h are "
                            "needed or the exchange removes the drug."
                        )
                        % {
                            "number": number,
                            # Down to 0.1 h: 47 h 59 min is "47.9 h", never the "48 h" it falls short of.
                            "hours": f"{math.floor(hours * 10) / 10:g}",
                            "drug": _drug_name(dose.drug),
                            "needed": f"{needed:g}",
                        },
                    )
                )
    return found
