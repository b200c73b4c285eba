"""Recording sessions: the deviations a nurse is warned about, the course's progress, and the review."""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from planner.core.exchange import ExchangePlan
from planner.models import Course, Procedure, SessionRecord

FINAL_OUTCOMES = {
    SessionRecord.Outcome.COMPLETED,
    SessionRecord.Outcome.STOPPED_EARLY,
    SessionRecord.Outcome.NOT_STARTED,
}


@dataclass(frozen=True)
class Deviation:
    code: str
    message: str


def deviations(record: SessionRecord, plan: ExchangePlan) -> list[Deviation]:
    """Where what happened differs from the order by more than the unit's margins (settings)."""
    found = []
    planned = plan.as_dict()
    if record.plasma_removed_ml:
        share = record.plasma_removed_ml / planned["exchange_volume_ml"]
        if share < settings.MIN_EXCHANGED_FRACTION:
            found.append(
                Deviation(
                    "exchange_under_plan",
                    _("Exchanged %(share)d %% of the planned %(plan)d mL.")
                    % {"share": share * 100, "plan": planned["exchange_volume_ml"]},
                )
            )
    balance = record.fluid_balance_percent
    target = plan.request.fluids.fluid_balance * 100
    if balance is not None and abs(float(balance) - target) > settings.FLUID_BALANCE_MARGIN_PERCENT:
        found.append(
            Deviation(
                "fluid_balance_off",
                _("Fluid balance %(balance)s %% against %(target)d %% planned.")
                % {"balance": balance, "target": target},
            )
        )
    if record.started_at and record.ended_at:
        minutes = (record.ended_at - record.started_at).total_seconds() / 60
        if minutes > planned["duration_min"] * settings.DURATION_OVERRUN_FACTOR:
            found.append(
                Deviation(
                    "duration_over_estimate",
                    _("Took %(minutes)d min against %(estimate)d estimated.")
                    % {"minutes": minutes, "estimate": planned["duration_min"]},
                )
            )
    return found


@transaction.atomic
def update_course_progress(course: Course) -> Course:
    """Signed -> in progress at the first recorded session; -> completed when every planned session has ended."""
    if course.status not in (Course.Status.SIGNED, Course.Status.IN_PROGRESS):
        return course
    procedures = list(course.procedures.exclude(status=Procedure.Status.CANCELLED).select_related("record"))
    outcomes = [getattr(p, "record", None) and p.record.outcome for p in procedures]
    status = course.status
    if any(outcomes):
        status = Course.Status.IN_PROGRESS
    if procedures and all(outcome in FINAL_OUTCOMES for outcome in outcomes):
        status = Course.Status.COMPLETED
    if status != course.status:
        course.status = status
        course.save()
    return course


@transaction.atomic
def mark_reviewed(records: QuerySet[SessionRecord], *, by: object) -> int:
    """Stamp reviewer and time on the records not yet reviewed; row by row so each is in the audit history."""
    count = 0
    # The admin's list is DISTINCT (it joins adverse events), and PostgreSQL locks no DISTINCT rows: lock by id.
    ids = list(records.filter(reviewed_at__isnull=True).values_list("pk", flat=True))
    for record in SessionRecord.objects.filter(pk__in=ids, reviewed_at__isnull=True).select_for_update():
        record.reviewed_at, record.reviewed_by = timezone.now(), by
        record.save()
        count += 1
    return count
