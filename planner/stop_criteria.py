"""Where a course stands against its indication's stop criteria (planner/models/reports.py, StopCriterion).

For each criterion in use: the course's first value (the latest measured before its first session,
else the first after), the latest value measured since the course began, the change, and whether the
criterion is met. A criterion is judged only on a value measured after the first session started: an
old result, or the baseline itself, never reads "met"; no such value reads "not measured". Marker
results are compared only in one unit (the latest's). An amended order is one course: its first
session and the sessions held are counted over all its versions.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from planner.charts import is_held
from planner.core.snapshot import MarkerResult
from planner.models import Course, Measurement, Procedure, StopCriterion
from planner.plans import Order

MET, NOT_MET, NOT_MEASURED, FOLLOWED = "met", "not_met", "not_measured", "followed"


@dataclass(frozen=True)
class Reading:
    value: Decimal
    taken_at: datetime
    unit: str = ""


@dataclass(frozen=True)
class Assessment:
    criterion: StopCriterion
    first: Reading | None
    latest: Reading | None
    state: str

    @property
    def change_percent(self) -> Decimal | None:
        if self.first is None or self.latest is None or not self.first.value or self.first is self.latest:
            return None
        return ((self.latest.value - self.first.value) * 100 / self.first.value).quantize(Decimal("1"))

    @property
    def state_label(self) -> str:
        return {
            MET: _("met"),
            NOT_MET: _("not met"),
            NOT_MEASURED: _("not measured"),
            FOLLOWED: _("followed"),
        }[self.state]


def _reading(row: Measurement, criterion: StopCriterion) -> Reading | None:
    if criterion.measure == StopCriterion.Measure.MARKER:
        if row.marker_name.strip().casefold() != criterion.marker_name.strip().casefold():
            return None
        parsed = MarkerResult(name=row.marker_name, result=row.marker_value, taken_at=row.taken_at).number_and_unit()
        return Reading(Decimal(str(parsed[0])), row.taken_at, parsed[1]) if parsed else None
    value = getattr(row, criterion.measure)
    return None if value is None else Reading(Decimal(value), row.taken_at)


def _state(criterion: StopCriterion, first: Reading | None, latest: Reading | None) -> str:
    if criterion.comparison == StopCriterion.Comparison.TREND:
        return FOLLOWED if first or latest else NOT_MEASURED
    if latest is None:
        return NOT_MEASURED
    threshold = criterion.threshold
    if criterion.comparison == StopCriterion.Comparison.AT_LEAST:
        return MET if latest.value >= threshold else NOT_MET
    if criterion.comparison == StopCriterion.Comparison.AT_MOST:
        return MET if latest.value <= threshold else NOT_MET
    # A fall from the first value: needs a first value before the latest.
    if first is None or first is latest or not first.value:
        return NOT_MEASURED
    fall = (first.value - latest.value) * 100 / first.value
    return MET if fall >= threshold else NOT_MET


def assess(
    course: Course, first_session_at: datetime | None, measurements: list[Measurement] | None = None
) -> list[Assessment]:
    """The course's indication's criteria in use, each with its readings. Two queries, whatever the history."""
    criteria = list(StopCriterion.objects.filter(indication_id=course.indication_id, is_active=True))
    if not criteria:
        return []
    if measurements is None:
        measurements = list(Measurement.objects.filter(patient_id=course.patient_id).order_by("taken_at", "pk"))
    start = first_session_at or timezone.now()
    found = []
    for criterion in criteria:
        readings = [reading for row in measurements if (reading := _reading(row, criterion)) is not None]
        if readings and criterion.measure == StopCriterion.Measure.MARKER:
            # Another lab's unit (an index against U/mL) is another scale: compared only in the latest's.
            readings = [reading for reading in readings if reading.unit == readings[-1].unit]
        before = [reading for reading in readings if reading.taken_at <= start]
        after = [reading for reading in readings if reading.taken_at > start]
        first = before[-1] if before else (after[0] if after else None)
        latest = after[-1] if after else None
        found.append(Assessment(criterion, first, latest, _state(criterion, first, latest)))
    return found


def for_course(course: Course, order: Order | None, procedures: list[Procedure]) -> dict:
    """What the course page and the course summary show: the assessments, the sessions held against
    those ordered, and the indication's course notes (the order's own, frozen with a signed order).

    `procedures`: the course's sessions with their records, as the page has them; "held" is the
    chart's rule (planner.charts.is_held). An amendment's sessions that ran stay with the version they
    ran under: for a later version the order's every version is read (one more query).
    """
    if course.version > 1:
        procedures = list(
            Procedure.objects.filter(
                Q(course_id=course.order_number) | Q(course__original_id=course.order_number)
            ).select_related("record")
        )
    booked = sorted(p.starts_at for p in procedures if p.status == Procedure.Status.PLANNED)
    indication = order.indication if order is not None else course.indication
    return {
        "stop_criteria": assess(course, booked[0] if booked else None),
        "sessions_held": sum(1 for p in procedures if is_held(p)),
        "sessions_ordered": course.sessions_count,
        "course_notes": indication.course_notes_local if indication is not None else "",
    }
