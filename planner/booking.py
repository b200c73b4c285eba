"""Booking procedures on devices: proposals, and writes that never double-book.

The rule is checked here first, for a clear message, and enforced by the database
(an exclusion constraint on PostgreSQL, triggers on SQLite: migration 0004), so
two requests racing for one slot cannot both win.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from planner.core.limits import InputError
from planner.core.rhythm import RhythmBreak, rhythm_breaks
from planner.core.schedule_dates import ClosedDays, Recurrence, session_dates
from planner.core.schedule_dates import Pattern as DatePattern
from planner.core.slots import OpeningHours, first_free_slot
from planner.db_guards import SESSION_GUARD
from planner.errors import WorkflowError
from planner.models import Course, Device, Procedure, SessionRecord

# Days of bookings read at once while looking for free slots (BusyDays).
BUSY_CHUNK_DAYS = 14


class BookingConflict(WorkflowError):
    """The slot is taken, or the device cannot take this session."""


@dataclass(frozen=True)
class ProposedSlot:
    number: int
    device: Device
    starts_at: datetime
    ends_at: datetime
    # Why the session is not on its prescribed day although another device was free then.
    note: str = ""


def closed_days() -> ClosedDays:
    return ClosedDays(
        weekdays=frozenset(int(day) for day in settings.CLOSED_WEEKDAYS),
        holidays=frozenset(date.fromisoformat(day) for day in settings.HOLIDAYS),
    )


def opening_hours() -> OpeningHours:
    return OpeningHours(time.fromisoformat(settings.UNIT_OPENS), time.fromisoformat(settings.UNIT_CLOSES))


def slot_length(course: Course) -> timedelta:
    return timedelta(minutes=course.estimated_duration_min + settings.TURNOVER_MINUTES)


def course_dates(course: Course) -> list[date]:
    recurrence = Recurrence(
        pattern=DatePattern(course.pattern),
        count=course.sessions_count,
        first_on=course.first_on,
        every_n_days=course.every_n_days,
        weekdays=course.weekday_set,
    )
    return session_dates(recurrence, closed_days())


class BusyDays:
    """Active bookings of every device, by device and day, in local wall-clock time.

    Read BUSY_CHUNK_DAYS days at a time for all devices in one query: looking for a free slot walks
    days and devices, and one query per device and day grew with every device and every full day.
    A booking that overlaps midnight is busy on both days, as a query of each day would find it.
    """

    def __init__(self) -> None:
        self._rows: dict[tuple[int, date], list[tuple[datetime, datetime]]] = defaultdict(list)
        self._loaded: set[date] = set()

    def __call__(self, device: Device, day: date) -> list[tuple[datetime, datetime]]:
        if day not in self._loaded:
            self._load(day)
        return self._rows[(device.pk, day)]

    def _load(self, first: date) -> None:
        days = [first + timedelta(days=n) for n in range(BUSY_CHUNK_DAYS)]
        new = {day for day in days if day not in self._loaded}
        start = timezone.make_aware(datetime.combine(first, time()))
        end = timezone.make_aware(datetime.combine(days[-1] + timedelta(days=1), time()))
        rows = Procedure.objects.overlapping(start, end)
        zone = timezone.get_current_timezone()  # once: looking it up per row was a fifth of the loop's time
        # Unordered: the default order joins the devices to sort by name, and first_free_slot sorts anyway.
        for device_id, starts_at, ends_at in rows.order_by().values_list("device_id", "starts_at", "ends_at"):
            local = (starts_at.astimezone(zone).replace(tzinfo=None), ends_at.astimezone(zone).replace(tzinfo=None))
            day = local[0].date()
            while datetime.combine(day, time()) < local[1]:
                if day in new:
                    self._rows[(device_id, day)].append(local)
                day += timedelta(days=1)
        self._loaded |= new


def equivalent_devices(course: Course) -> list[Device]:
    """The course's device first, then each other active device an order on it would not change
    (Device.plan_values identical to the signed ones, or to the course's device before signing)."""
    wanted = course.signed_device_values() or course.device.plan_values()
    others = (
        Device.objects.filter(Device.running(course.modality), is_active=True)
        .exclude(pk=course.device_id)
        .order_by("name")
    )
    return [course.device, *(device for device in others if device.plan_values() == wanted)]


def propose(course: Course) -> list[ProposedSlot]:
    """For each session date, the first free slot on the course's device or an equivalent one; only when
    all are full does the session move to the next open day (then the page shows the rhythm it breaks)."""
    length, hours, closed = slot_length(course), opening_hours(), closed_days()
    devices = equivalent_devices(course)
    busy = BusyDays()
    proposals: list[ProposedSlot] = []
    for number, prescribed in enumerate(course_dates(course), start=1):
        day = prescribed
        if proposals:
            day = max(day, timezone.localtime(proposals[-1].starts_at).date() + timedelta(days=1))
        wanted_day = day
        for _attempt in range(60):
            found = next(
                (
                    (device, slot)
                    for device in devices
                    if (slot := first_free_slot(day, length, busy(device, day), hours)) is not None
                ),
                None,
            )
            if found is not None:
                break
            day = closed.next_open(day + timedelta(days=1))
        else:
            raise BookingConflict(_("No free slot on %(device)s within 60 days.") % {"device": course.device})
        device, slot = found
        starts_at, ends_at = (timezone.make_aware(moment) for moment in slot)
        note = _other_devices_note(devices, wanted_day, length, hours, busy) if day != wanted_day else ""
        proposals.append(ProposedSlot(number, device, starts_at, ends_at, note))
    return proposals


def _other_devices_note(
    equivalent: list[Device], day: date, length: timedelta, hours: OpeningHours, busy: BusyDays
) -> str:
    """Devices free on the day a session could not have, whose other values would need an amendment."""
    free = [
        device.name
        for device in Device.objects.filter(is_active=True).exclude(pk__in=[d.pk for d in equivalent]).order_by("name")
        if first_free_slot(day, length, busy(device, day), hours) is not None
    ]
    if not free:
        return ""
    return _(
        "%(devices)s free on %(day)s, but with other values than the order's device: using it needs an amendment."
    ) % {"devices": ", ".join(free), "day": f"{day:%Y-%m-%d}"}


def rhythm(course: Course, booked: list[tuple[int, datetime]]) -> list[RhythmBreak]:
    """Where (session number, start) bookings break the course's prescribed rhythm (planner/core/rhythm.py)."""
    try:
        prescribed = course_dates(course)
    except InputError:
        return []
    pairs = [(number, timezone.localtime(start).date()) for number, start in booked if number <= len(prescribed)]
    return rhythm_breaks(
        prescribed, pairs, longer_days=settings.RHYTHM_LONGER_DAYS, shorter_days=settings.RHYTHM_SHORTER_DAYS
    )


def _check_free(device: Device, starts_at: datetime, ends_at: datetime, *, excluding: int | None = None) -> None:
    # Every clash (rarely more than one), the earliest named. No ORDER BY ... LIMIT: that lets the planner walk
    # the start-time index through the whole booked past looking for a first match (43 ms against 2 ms).
    clashes = Procedure.objects.filter(device=device).overlapping(starts_at, ends_at).exclude(pk=excluding)
    clash = min(clashes.select_related("course").order_by(), key=lambda row: row.starts_at, default=None)
    if clash is not None:
        raise BookingConflict(
            _("%(device)s is already booked from %(start)s to %(end)s (%(course)s, session %(number)s).")
            % {
                "device": device,
                "start": f"{timezone.localtime(clash.starts_at):%Y-%m-%d %H:%M}",
                "end": f"{timezone.localtime(clash.ends_at):%H:%M}",
                "course": clash.course.label,
                "number": clash.number,
            }
        )


def _taken(device: Device, starts_at: datetime) -> BookingConflict:
    return BookingConflict(
        _("%(device)s was booked by someone else at %(start)s a moment ago: choose another time.")
        % {"device": device, "start": f"{timezone.localtime(starts_at):%Y-%m-%d %H:%M}"}
    )


# PostgreSQL's answers when two transactions write the same slot at once: one waits on the other's
# uncommitted row in the exclusion constraint, and if each waits on the other, one is chosen to fail.
_CONFLICT_STATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure


def is_write_conflict(error: DatabaseError) -> bool:
    """The database refused a booking because another one got there first (never a real outage)."""
    if isinstance(error, IntegrityError):
        return True
    return isinstance(error, OperationalError) and getattr(error.__cause__, "sqlstate", None) in _CONFLICT_STATES


def book(course: Course, slots: list[ProposedSlot], *, by: object) -> list[Procedure]:
    """Book every slot, all or nothing."""
    for slot in slots:
        check_device_fits_order(course, slot.device)
    booked = []
    try:
        with transaction.atomic():
            for slot in slots:
                _check_free(slot.device, slot.starts_at, slot.ends_at)
                booked.append(
                    Procedure.objects.create(
                        course=course,
                        number=slot.number,
                        device=slot.device,
                        starts_at=slot.starts_at,
                        ends_at=slot.ends_at,
                        updated_by=by,
                    )
                )
    except (IntegrityError, OperationalError) as error:
        if not is_write_conflict(error):
            raise
        raise _taken(slot.device, slot.starts_at) from None
    return booked


def check_device_fits_order(course: Course, device: Device) -> None:
    """A signed order's sessions run only on a device with the values it was signed with.

    Another Optia with the same constants gives the same order; a device whose efficiency or
    extracorporeal volume differs would make the signed numbers wrong: that needs an amendment.
    """
    if not device.runs(course.modality):
        raise BookingConflict(
            _("%(device)s does not run %(modality)s.") % {"device": device, "modality": course.get_modality_display()}
        )
    signed = course.signed_device_values()
    if signed is not None and device.plan_values() != signed:
        raise BookingConflict(
            _(
                "%(device)s has other values than the device this order was signed for "
                "(extracorporeal volume, efficiency or anticoagulant ratio): amend the order to use it."
            )
            % {"device": device}
        )


def check_not_done(procedure: Procedure) -> None:
    """A session that has started or been recorded stays where and when it ran (SessionRecord.locks_session)."""
    if procedure.status == Procedure.Status.CANCELLED:
        raise BookingConflict(_("Session %(number)s is cancelled.") % {"number": procedure.number})
    record = SessionRecord.objects.filter(procedure=procedure).first()
    if record is not None and record.locks_session:
        raise _done(procedure, record)


def _done(procedure: Procedure, record: SessionRecord | None = None) -> BookingConflict:
    state = record.get_outcome_display() if record is not None else _("recorded")
    return BookingConflict(
        _(
            "Session %(number)s has started or been recorded (%(state)s): it stays where and when it ran. "
            "Record what happened instead; to change the plan, amend the order."
        )
        % {"number": procedure.number, "state": state}
    )


def _refused(error: IntegrityError, procedure: Procedure, device: Device, starts_at: datetime) -> BookingConflict:
    if SESSION_GUARD in str(error):
        # Recorded by someone else between our check and our write.
        return _done(procedure)
    return _taken(device, starts_at)


def move(procedure: Procedure, *, device: Device, starts_at: datetime, reason: str, by: object) -> Procedure:
    check_not_done(procedure)
    ends_at = starts_at + (procedure.ends_at - procedure.starts_at)
    check_device_fits_order(procedure.course, device)
    try:
        with transaction.atomic():
            _check_free(device, starts_at, ends_at, excluding=procedure.pk)
            procedure.device, procedure.starts_at, procedure.ends_at = device, starts_at, ends_at
            procedure.change_reason, procedure.updated_by = reason, by
            procedure.save()
    except (IntegrityError, OperationalError) as error:
        if not is_write_conflict(error):
            raise
        raise _refused(error, procedure, device, starts_at) from None
    return procedure


def cancel(procedure: Procedure, *, reason: str, by: object) -> Procedure:
    check_not_done(procedure)
    procedure.status, procedure.change_reason, procedure.updated_by = Procedure.Status.CANCELLED, reason, by
    try:
        with transaction.atomic():
            procedure.save()
    except IntegrityError as error:
        raise _refused(error, procedure, procedure.device, procedure.starts_at) from None
    return procedure
