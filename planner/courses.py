"""The course workflow: defaults from the indication, the fluid proposal, the plan, signing, amending, cancelling.

Plain functions called from views; each one that touches several rows is one transaction.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from planner.calculator import ExchangeForm
from planner.core import text
from planner.core.exchange import ExchangePlan
from planner.core.fluid_rules import FluidProposal, FluidThresholds, PatientFacts, propose_fluid
from planner.core.limits import InputError
from planner.models import Course, Device, Indication, Measurement, Patient, Procedure

# The catalogue's frequency -> the scheduler's pattern and weekdays (Monday = 0).
FREQUENCY_PATTERNS: dict[str, tuple[str, str]] = {
    "daily": ("daily", ""),
    "daily_or_alternate": ("every_other_day", ""),
    "every_other_day": ("every_other_day", ""),
    "three_times_weekly": ("weekdays", "0,2,4"),
    "twice_weekly": ("weekdays", "1,4"),
    "weekly": ("weekly", ""),
}
REQUIRED_INPUTS = ("weight_kg", "height_cm", "haematocrit")
# The patient's facts the fluid rule weighs, as Course fields.
FACTS = (
    "bleeding_or_coagulopathy",
    "procedure_within_48h",
    "liver_failure",
    "diffuse_alveolar_haemorrhage",
    "saline_share_wanted",
)
_TMA_WORDS = ("thrombotic thrombocytopenic", "microangiopathy", "(ttp)")


class WorkflowError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def initial_from_indication(indication: Indication, patient: Patient) -> dict[str, object]:
    """A new course's starting values: the catalogue's course, the rule's fluid and the unit's first device."""
    pattern, weekdays = FREQUENCY_PATTERNS[indication.default_frequency]
    device = Device.objects.filter(is_active=True).order_by("kind", "name").first()
    initial: dict[str, object] = {
        "indication": indication,
        "plasma_volumes": indication.tpv_min,
        "sessions_count": indication.default_sessions or 1,
        "pattern": pattern,
        "weekdays": weekdays,
        "first_on": timezone.localdate() + timedelta(days=1),
        "device": device,
        "vascular_access": Course.Access.PERIPHERAL,
        "anticoagulant": Course.Anticoagulant.HEPARIN
        if device and device.kind == Device.Kind.MEMBRANE
        else Course.Anticoagulant.ACD_A,
    }
    try:
        inputs = snapshot_inputs(patient)
    except InputError:
        inputs = {}
    initial.update(proposal_shares(fluid_proposal(indication, patient, {}, inputs)))
    return initial


def proposal_shares(proposal: FluidProposal) -> dict[str, str]:
    return {
        "albumin_fraction": f"{proposal.albumin_fraction:.3f}",
        "plasma_fraction": f"{proposal.plasma_fraction:.3f}",
        "saline_fraction": f"{proposal.saline_fraction:.3f}",
    }


def is_ttp_or_tma(indication: Indication) -> bool:
    text = f"{indication.disease} {indication.indication}".lower()
    return any(word in text for word in _TMA_WORDS)


def snapshot_inputs(patient: Patient) -> dict[str, dict[str, str]]:
    """The latest values the order is calculated from, each with when it was measured."""
    latest = patient.latest_measurements()
    missing = [field for field in REQUIRED_INPUTS if latest[field] is None]
    if missing:
        raise InputError(
            "__all__",
            _("Record the patient's %(missing)s before ordering: the exchange is calculated from them.")
            % {"missing": ", ".join(name.replace("_", " ") for name in missing)},
        )
    snapshot = {}
    for field in (*REQUIRED_INPUTS, "fibrinogen_g_per_l"):
        if latest[field] is not None:
            snapshot[field] = {"value": str(latest[field].value), "taken_at": latest[field].taken_at.isoformat()}
    return snapshot


INPUT_LABELS = {
    "weight_kg": (_lazy("Weight"), "kg"),
    "height_cm": (_lazy("Height"), "cm"),
    "haematocrit": (_lazy("Haematocrit"), ""),
    "fibrinogen_g_per_l": (_lazy("Fibrinogen"), "g/L"),
}


def input_rows(course: Course) -> list[tuple[str, str, datetime]]:
    """The snapshot as staff read it: label, value with unit, and the local time it was measured."""
    rows = []
    for field, (label, unit) in INPUT_LABELS.items():
        item = course.inputs.get(field)
        if item:
            value = f"{Decimal(item['value']).normalize():f} {unit}".strip()
            rows.append((str(label), value, timezone.localtime(datetime.fromisoformat(item["taken_at"]))))
    return rows


def fluid_proposal(indication: Indication, patient: Patient, facts: dict[str, bool], inputs: dict) -> FluidProposal:
    fibrinogen = inputs.get("fibrinogen_g_per_l")
    return propose_fluid(
        indication.default_replacement,
        PatientFacts(
            is_ttp_or_tma=is_ttp_or_tma(indication),
            fibrinogen_g_per_l=float(fibrinogen["value"]) if fibrinogen else None,
            age_years=patient.age_years,
            **facts,
        ),
        FluidThresholds(fibrinogen_trigger_g_per_l=settings.FIBRINOGEN_TRIGGER_G_PER_L),
    )


def plan_for(course: Course) -> ExchangePlan:
    """The exchange for a course, from its own snapshot: a later lab value never changes it."""
    inputs = course.inputs
    missing = [field for field in REQUIRED_INPUTS if "value" not in inputs.get(field, {})]
    if missing:
        raise WorkflowError(
            _("This course has no recorded %(missing)s to calculate from.") % {"missing": ", ".join(missing)}
        )
    data = {
        "sex": course.patient.sex,
        "age_years": course.patient.age_on(course.first_on),
        "weight_kg": inputs["weight_kg"]["value"],
        "height_cm": inputs["height_cm"]["value"],
        "haematocrit": inputs["haematocrit"]["value"],
        "method": course.method,
        "build": course.build,
        "plasma_volumes": course.plasma_volumes,
        "albumin_fraction": course.albumin_fraction,
        "plasma_fraction": course.plasma_fraction,
        "saline_fraction": course.saline_fraction,
        "device": course.device.name,
        "inlet_ac_ratio": course.inlet_ac_ratio if course.anticoagulant == Course.Anticoagulant.ACD_A else None,
        "fibrinogen_g_per_l": inputs.get("fibrinogen_g_per_l", {}).get("value"),
    }
    form = ExchangeForm({key: "" if value is None else value for key, value in data.items()})
    if not form.is_valid():
        raise WorkflowError(
            "; ".join(f"{label}: {message}" if label else message for label, message in form.labelled_errors())
        )
    return form.plan


def fractions_differ(course_or_data: dict, proposal: FluidProposal) -> bool:
    given = [Decimal(str(course_or_data[name])) for name in ("albumin_fraction", "plasma_fraction", "saline_fraction")]
    proposed = [
        Decimal(f"{value:.3f}")
        for value in (proposal.albumin_fraction, proposal.plasma_fraction, proposal.saline_fraction)
    ]
    return any(abs(a - b) > Decimal("0.0015") for a, b in zip(given, proposed, strict=True))


@transaction.atomic
def sign(course: Course, *, by: object) -> Course:
    course = Course.objects.select_for_update().get(pk=course.pk)
    if course.status != Course.Status.DRAFT:
        raise WorkflowError(
            _("Only a draft can be signed; this course is %(status)s.") % {"status": course.get_status_display()}
        )
    course.status, course.signed_by, course.signed_at = Course.Status.SIGNED, by, timezone.now()
    course.save()
    if course.previous_id:
        # The amendment replaces its predecessor: that one stays readable, its future bookings move over.
        # Saved row by row, not QuerySet.update(), so the audit history records each change and who made it.
        previous = Course.objects.select_for_update().get(pk=course.previous_id)
        previous.status = Course.Status.SUPERSEDED
        previous.save()
        for procedure in Procedure.objects.filter(course=previous, status=Procedure.Status.PLANNED):
            procedure.course, procedure.updated_by = course, by
            procedure.save()
    return course


@transaction.atomic
def cancel(course: Course, *, reason: str, by: object) -> Course:
    if course.status in (Course.Status.CANCELLED, Course.Status.SUPERSEDED, Course.Status.COMPLETED):
        raise WorkflowError(_("This course is already %(status)s.") % {"status": course.get_status_display()})
    course.status, course.cancel_reason = Course.Status.CANCELLED, reason
    course.cancelled_by, course.cancelled_at = by, timezone.now()
    course.save()
    for procedure in course.procedures.filter(status=Procedure.Status.PLANNED):
        procedure.status, procedure.change_reason, procedure.updated_by = Procedure.Status.CANCELLED, reason, by
        procedure.save()
    return course


@transaction.atomic
def record_session_fibrinogen(procedure: Procedure, value: Decimal, *, by: object) -> Procedure:
    """Record that day's fibrinogen as a measurement and re-run the fluid rule for this session only."""
    course = procedure.course
    Measurement.objects.create(
        patient=course.patient, taken_at=timezone.now(), fibrinogen_g_per_l=value, entered_by=by, updated_by=by
    )
    facts = {fact: getattr(course, fact) for fact in FACTS}
    inputs = {**course.inputs, "fibrinogen_g_per_l": {"value": str(value), "taken_at": timezone.now().isoformat()}}
    proposal = fluid_proposal(course.indication, course.patient, facts, inputs)
    procedure.fibrinogen_g_per_l, procedure.updated_by = value, by
    procedure.fluid_plan = {
        "choice": proposal.choice.value,
        **{key: round(getattr(proposal, key), 3) for key in ("albumin_fraction", "plasma_fraction", "saline_fraction")},
        "reasons": [text.stored(reason) for reason in proposal.reasons],
        "differs_from_order": fractions_differ(
            {
                "albumin_fraction": course.albumin_fraction,
                "plasma_fraction": course.plasma_fraction,
                "saline_fraction": course.saline_fraction,
            },
            proposal,
        ),
    }
    procedure.save()
    return procedure
