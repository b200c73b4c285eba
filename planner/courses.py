"""The course workflow: defaults from the indication, the fluid proposal, signing, amending, cancelling.

Plain functions called from views; each one that touches several rows is one transaction. The
numbers come from planner.plans: a draft's are computed live, a signed order's are frozen.
"""

from contextlib import suppress
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from planner import plans
from planner.core.fluid_rules import FluidProposal
from planner.core.limits import InputError
from planner.core.snapshot import InputSnapshot, MissingInputs
from planner.errors import WorkflowError
from planner.models import Course, Device, Indication, Measurement, Patient, Procedure, SessionRecord
from planner.models.records import not_yet_run
from planner.records import FINAL_OUTCOMES
from planner.session_limits import sessions_beyond_usual

__all__ = ["WorkflowError"]

# The catalogue's frequency -> the scheduler's pattern and weekdays (Monday = 0).
FREQUENCY_PATTERNS: dict[str, tuple[str, str]] = {
    "daily": ("daily", ""),
    "daily_or_alternate": ("every_other_day", ""),
    "every_other_day": ("every_other_day", ""),
    "three_times_weekly": ("weekdays", "0,2,4"),
    "twice_weekly": ("weekdays", "1,4"),
    "weekly": ("weekly", ""),
}
FACTS = plans.FACTS


def initial_from_indication(indication: Indication, patient: Patient) -> dict[str, object]:
    """A new course's starting values: the catalogue's course, the rule's fluid and the unit's first device."""
    pattern, weekdays = FREQUENCY_PATTERNS[indication.default_frequency]
    device = Device.objects.filter(is_active=True).order_by("kind", "name").first()
    first_on = timezone.localdate() + timedelta(days=1)
    initial: dict[str, object] = {
        "indication": indication,
        "plasma_volumes": indication.tpv_min,
        "sessions_count": indication.default_sessions or 1,
        "pattern": pattern,
        "weekdays": weekdays,
        "first_on": first_on,
        "device": device,
        "vascular_access": Course.Access.PERIPHERAL,
        "anticoagulant": Course.Anticoagulant.HEPARIN
        if device and device.kind == Device.Kind.MEMBRANE
        else Course.Anticoagulant.ACD_A,
    }
    try:
        fibrinogen = plans.snapshot_of(patient).fibrinogen_g_per_l
    except InputError:
        fibrinogen = None
    proposal = plans.propose(
        indication,
        age_years=patient.age_for_calculation(first_on),
        facts={},
        fibrinogen_g_per_l=None if fibrinogen is None else float(fibrinogen.value),
    )
    initial.update(proposal_shares(proposal))
    return initial


def proposal_shares(proposal: FluidProposal) -> dict[str, str]:
    return {name: f"{value:.3f}" for name, value in proposal.shares.as_fractions().items()}


def proposal_json(proposal: FluidProposal) -> dict[str, object]:
    """The proposal as stored on the course beside the shares the physician chose."""
    return {
        "choice": proposal.choice.value,
        **proposal.shares.as_fractions(),
        "reasons": [reason.as_json() for reason in proposal.reasons],
    }


INPUT_LABELS = {
    "weight_kg": (_lazy("Weight"), "kg"),
    "height_cm": (_lazy("Height"), "cm"),
    "haematocrit": (_lazy("Haematocrit"), ""),
    "fibrinogen_g_per_l": (_lazy("Fibrinogen"), "g/L"),
    "igg_g_per_l": (_lazy("IgG"), "g/L"),
}


def input_rows(course: Course) -> list[tuple[str, str, datetime]]:
    """The snapshot as staff read it: label, value with unit, and the local time it was measured."""
    try:
        snapshot = InputSnapshot.from_json(course.inputs)
    except MissingInputs:
        return []
    rows = [
        (str(INPUT_LABELS[name][0]), f"{value.value.normalize():f} {INPUT_LABELS[name][1]}".strip(), value.taken_at)
        for name, value in snapshot.measured()
    ]
    if snapshot.marker is not None:
        rows.append((snapshot.marker.name, snapshot.marker.result, snapshot.marker.taken_at))
    return [(label, value, timezone.localtime(taken_at)) for label, value, taken_at in rows]


@transaction.atomic
def sign(course: Course, *, by: object, seen_digest: str) -> Course:
    """Sign a draft: its plan is computed once more, checked against what the physician saw, and frozen.

    `seen_digest` is the fingerprint of the plan on the page the physician signed from: if a
    device, product or setting changed since, the numbers differ and nothing is signed.
    """
    course = Course.objects.select_for_update().select_related("patient", "indication", "device").get(pk=course.pk)
    if course.status != Course.Status.DRAFT:
        raise WorkflowError(
            _("Only a draft can be signed; this course is %(status)s.") % {"status": course.get_status_display()}
        )
    if not seen_digest:
        raise WorkflowError(_("Sign from the order's page, where its numbers are shown."))
    live = plans.compute(course)
    if plans.digest(live.plan) != seen_digest:
        raise WorkflowError(
            _(
                "The numbers changed after this page was opened (a device, product or setting was edited): "
                "check them and sign again."
            )
        )
    plans.check_devices(course)
    # The catalogue may have changed since the draft was saved: the limit is checked again at signing.
    beyond = sessions_beyond_usual(course.indication, course.sessions_count, course.sessions_extension_reason)
    if beyond:
        raise WorkflowError(beyond)
    departure = plans.unexplained_departures(course, live.plan)
    if departure:
        raise WorkflowError(departure)
    plans.check_modality_offered(course)
    course.status, course.signed_by, course.signed_at = Course.Status.SIGNED, by, timezone.now()
    course.frozen_plan = plans.freeze(course, live)
    course.estimated_duration_min = live.plan.rounded["duration_min"]
    course.save()
    if course.previous_id:
        # The amendment replaces its predecessor: that one stays readable, its future bookings move over.
        # Saved row by row, not QuerySet.update(), so the audit history records each change and who made it.
        previous = Course.objects.select_for_update().get(pk=course.previous_id)
        previous.status = Course.Status.SUPERSEDED
        previous.save()
        # Sessions that started or were recorded stay with the order they ran under.
        for procedure in not_yet_run(Procedure.objects.filter(course=previous)):
            procedure.course, procedure.updated_by = course, by
            procedure.save()
    return course


@transaction.atomic
def cancel(course: Course, *, reason: str, by: object) -> Course:
    if course.status in (Course.Status.CANCELLED, Course.Status.SUPERSEDED, Course.Status.COMPLETED):
        raise WorkflowError(_("This course is already %(status)s.") % {"status": course.get_status_display()})
    if course.status == Course.Status.DRAFT and course.frozen_plan is None:
        # A cancelled draft keeps the numbers it had, as a signed order does; one that cannot be
        # computed (its inputs were never recorded) is cancelled without them.
        with suppress(WorkflowError):
            course.frozen_plan = plans.freeze(course, plans.compute(course))
    course.status, course.cancel_reason = Course.Status.CANCELLED, reason
    course.cancelled_by, course.cancelled_at = by, timezone.now()
    course.save()
    for procedure in not_yet_run(course.procedures.all()):
        procedure.status, procedure.change_reason, procedure.updated_by = Procedure.Status.CANCELLED, reason, by
        procedure.save()
    return course


@transaction.atomic
def record_session_fibrinogen(procedure: Procedure, value: Decimal, *, by: object) -> Procedure:
    """Record that day's fibrinogen as a measurement and re-plan this session only, with the order's own rules."""
    record = SessionRecord.objects.filter(procedure=procedure).first()
    if record is not None and (record.started_at or record.is_reviewed or record.outcome in FINAL_OUTCOMES):
        raise WorkflowError(
            _("Session %(number)s has started or been recorded: its fluids are what its record says.")
            % {"number": procedure.number}
        )
    course = procedure.course
    Measurement.objects.create(
        patient=course.patient, taken_at=timezone.now(), fibrinogen_g_per_l=value, entered_by=by, updated_by=by
    )
    procedure.fluid_plan = plans.session_replan(course, procedure, value)
    procedure.fibrinogen_g_per_l, procedure.updated_by = value, by
    procedure.save()
    return procedure
