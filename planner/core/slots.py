"""The first free time on a device for a session: pure interval arithmetic, in local wall-clock time."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

SLOT_STEP = timedelta(minutes=15)


@dataclass(frozen=True)
class OpeningHours:
    opens: time = time(8, 0)
    closes: time = time(18, 0)


def _round_up(moment: datetime, step: timedelta) -> datetime:
    midnight = datetime.combine(moment.date(), time())
    steps = -(-(moment - midnight) // step)
    return midnight + steps * step


def first_free_slot(
    day: date,
    length: timedelta,
    busy: list[tuple[datetime, datetime]],
    hours: OpeningHours | None = None,
    *,
    not_before: datetime | None = None,
) -> tuple[datetime, datetime] | None:
    """The earliest [start, start + length) inside opening hours that overlaps no busy interval, or None.

    `length` is the estimated duration plus turnover; starts fall on quarter hours.
    """
    hours = hours or OpeningHours()
    opens, closes = datetime.combine(day, hours.opens), datetime.combine(day, hours.closes)
    start = _round_up(max(opens, not_before) if not_before else opens, SLOT_STEP)
    for busy_start, busy_end in sorted(busy):
        if start + length <= busy_start:
            break
        if busy_end > start:
            start = _round_up(busy_end, SLOT_STEP)
    return (start, start + length) if start + length <= closes else None
