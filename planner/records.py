"""Recording sessions: the deviations a nurse is warned about, the course's progress, and the review."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from planner.core.exchange import ExchangePlan
from planner.db_guards import LOCKING_OUTCOMES
from planner.errors import WorkflowError
from planner.models import Course, IssuedProduct, Measurement, Procedure, Product, SessionRecord

# Completed, stopped early, not started: the outcomes that end a session (and lock it, planner/db_guards.py).
FINAL_OUTCOMES = {SessionRecord.Outcome(value) for value in LOCKING_OUTCOMES}


@dataclass(frozen=True)
class Deviation:
    code: str
    message: str


# Every kind of deviation a record can show, by its stored code, for the review list's filter.
DEVIATION_KINDS = {
    "exchange_under_plan": gettext_lazy("Exchanged under plan"),
    "fluid_balance_off": gettext_lazy("Fluid balance off"),
    "duration_over_estimate": gettext_lazy("Longer than estimated"),
    "start_off_booking": gettext_lazy("Started away from the booked time"),
    "fluid_not_ordered": gettext_lazy("A fluid not on the order"),
    "albumin_beyond_issued": gettext_lazy("Albumin beyond what was issued"),
    "plasma_beyond_issued": gettext_lazy("Plasma beyond what was issued"),
    "issued_not_given": gettext_lazy("Issued and not given"),
    "dfpp_fibrinogen_low": gettext_lazy("DFPP started on a fibrinogen under the trigger"),
}


def deviations(record: SessionRecord, plan: ExchangePlan) -> list[Deviation]:
    """Where what happened differs from the order by more than the unit's margins (settings)."""
    found = []
    planned = plan.as_dict()
    # Immunoadsorption removes no plasma (the column returns it): nothing to compare.
    if record.plasma_removed_ml and planned["exchange_volume_ml"]:
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
    found += dfpp_fibrinogen_deviation(record, record.procedure, plan)
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


# Albumin is recorded as the 5 % solution given: 1 g of albumin makes 20 mL of it.
ML_OF_5_PERCENT_PER_GRAM = 20


def reconcile(
    record: SessionRecord, procedure: Procedure, planned_fluids: dict, issued: list[IssuedProduct]
) -> list[Deviation]:
    """What the record contradicts: the booked time, the fluids the order gives this session, and what
    the blood bank issued. Each needs a reason once the session has ended (reasons_missing)."""
    found = []
    if record.started_at:
        hours = (record.started_at - procedure.starts_at).total_seconds() / 3600
        if abs(hours) > settings.START_MARGIN_HOURS:
            values = {
                "started": f"{timezone.localtime(record.started_at):%Y-%m-%d %H:%M}",
                "booked": f"{timezone.localtime(procedure.starts_at):%Y-%m-%d %H:%M}",
                "hours": f"{abs(hours):.1f}",
            }
            message = (
                _("Started %(started)s, %(hours)s h before the booked %(booked)s.")
                if hours < 0
                else _("Started %(started)s, %(hours)s h after the booked %(booked)s.")
            )
            found.append(Deviation("start_off_booking", message % values))
    # xgettext:no-python-format
    albumin_5 = _("albumin 5 %")
    for kind, name in (("albumin", albumin_5), ("plasma", _("plasma")), ("saline", _("saline"))):
        given = getattr(record, f"{kind}_given_ml")
        if given and not planned_fluids.get(f"{kind}_ml"):
            found.append(
                Deviation(
                    "fluid_not_ordered",
                    _("%(given)d mL of %(fluid)s given: the order has none for this session.")
                    % {"given": given, "fluid": name},
                )
            )
    albumin = [item for item in issued if item.product.kind == Product.Kind.ALBUMIN]
    albumin_grams = sum((item.quantity * item.product.grams_per_package for item in albumin), Decimal(0))
    albumin_ml = int(albumin_grams * ML_OF_5_PERCENT_PER_GRAM)
    # Albumin is reconciled when the blood bank issued some (a unit may give it from ward stock);
    # plasma always: it comes from the blood bank or not at all.
    if albumin and (record.albumin_given_ml or 0) > albumin_ml:
        found.append(
            Deviation(
                "albumin_beyond_issued",
                _("%(given)d mL of albumin 5 %% given: %(grams)s g issued makes %(issued)d mL.")
                % {"given": record.albumin_given_ml, "grams": f"{albumin_grams.normalize():f}", "issued": albumin_ml},
            )
        )
    plasma_ml = sum(item.quantity * item.product.package_volume_ml for item in issued if item.product.kind == "plasma")
    if (record.plasma_given_ml or 0) > plasma_ml:
        found.append(
            Deviation(
                "plasma_beyond_issued",
                _("%(given)d mL of plasma given: %(issued)d mL issued.")
                % {"given": record.plasma_given_ml, "issued": plasma_ml},
            )
        )
    if record.outcome in FINAL_OUTCOMES:
        for item in issued:
            left = item.quantity - (item.quantity_given or 0)
            if left > 0:
                found.append(
                    Deviation(
                        "issued_not_given",
                        _("%(left)d of %(issued)d × %(product)s (lot %(lot)s) issued and not given: return them.")
                        % {"left": left, "issued": item.quantity, "product": item.product, "lot": item.lot_number},
                    )
                )
    return found


def reasons_missing(record: SessionRecord, found: list[Deviation]) -> bool:
    """A session that has ended with deviations needs the reason for them (stopped early or completed)."""
    return bool(found) and record.outcome in FINAL_OUTCOMES and not record.deviation_reason.strip()


def store_deviations(record: SessionRecord, found: list[Deviation]) -> None:
    """Keep the codes for the review list's filter (one of each, space-separated)."""
    codes = " ".join(sorted({deviation.code for deviation in found}))
    if codes != record.deviation_codes:
        record.deviation_codes = codes
        record.save(update_fields=["deviation_codes"])


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


def check_order_issuable(procedure: Procedure, record: SessionRecord | None) -> None:
    """Products are issued for a planned session of a signed order, or for a session that has started
    under an order superseded or cancelled since. Raises WorkflowError."""
    course = procedure.course
    started = record is not None and record.locks_session
    if procedure.status != Procedure.Status.PLANNED and not started:
        raise WorkflowError(_("This session is cancelled: nothing is issued for it."))
    if course.status in (Course.Status.SIGNED, Course.Status.IN_PROGRESS, Course.Status.COMPLETED) or started:
        return
    if course.status == Course.Status.DRAFT:
        raise WorkflowError(_("The order is not signed: nothing is issued for it yet."))
    raise WorkflowError(
        _("This order is %(status)s: issue against the order in force.") % {"status": course.get_status_display()}
    )


@dataclass(frozen=True)
class SessionFibrinogen:
    """The fibrinogen a DFPP session starts on: measured, when, and whether it is under the trigger."""

    value: Decimal
    taken_at: datetime
    trigger: float

    @property
    def is_below_trigger(self) -> bool:
        return self.value < Decimal(repr(self.trigger))


def dfpp_fibrinogen(procedure: Procedure, plan: ExchangePlan, at: datetime) -> SessionFibrinogen | None:
    """The latest fibrinogen measured in the DFPP_FIBRINOGEN_WITHIN_HOURS before `at`, or None.

    DFPP takes fibrinogen steeply and no fractionator's coefficient for it is verified, so nothing
    projects it: each DFPP session starts only on a measured value.
    """
    since = at - timedelta(hours=settings.DFPP_FIBRINOGEN_WITHIN_HOURS)
    # A value from before an earlier session of the course is stale: that session took fibrinogen.
    earlier = (
        SessionRecord.objects.filter(
            procedure__course__patient_id=procedure.course.patient_id, started_at__isnull=False, started_at__lt=at
        )
        .exclude(procedure=procedure)
        .order_by("-started_at")
        .values_list("started_at", "ended_at")
        .first()
    )
    if earlier is not None:
        since = max(since, earlier[1] or earlier[0])
    found = (
        Measurement.objects.filter(
            patient_id=procedure.course.patient_id,
            fibrinogen_g_per_l__isnull=False,
            # A start is typed to the minute: a value measured within that minute is before it.
            taken_at__lt=at + timedelta(minutes=1),
            taken_at__gte=since,
        )
        .order_by("-taken_at")
        .values_list("fibrinogen_g_per_l", "taken_at")
        .first()
    )
    if found is None:
        return None
    return SessionFibrinogen(found[0], found[1], plan.policy.fibrinogen_trigger_g_per_l)


def check_dfpp_may_start(procedure: Procedure, plan: ExchangePlan, started_at: datetime) -> None:
    """Refuse starting a DFPP session without a fibrinogen measured in the hours before it (and after
    any earlier session)."""
    if plan.dfpp is None or dfpp_fibrinogen(procedure, plan, started_at) is not None:
        return
    raise WorkflowError(
        _(
            "A double filtration session starts only on a fibrinogen measured in the %(hours)s h before it "
            "and after any earlier session: record it first (Fibrinogen today on the course page)."
        )
        % {"hours": f"{settings.DFPP_FIBRINOGEN_WITHIN_HOURS:g}"}
    )


def dfpp_fibrinogen_deviation(record: SessionRecord, procedure: Procedure, plan: ExchangePlan) -> list[Deviation]:
    """A DFPP session started on a fibrinogen under the trigger: a deviation that needs its reason."""
    if plan.dfpp is None or record.started_at is None:
        return []
    measured = dfpp_fibrinogen(procedure, plan, record.started_at)
    if measured is None or not measured.is_below_trigger:
        return []
    return [
        Deviation(
            "dfpp_fibrinogen_low",
            _("Double filtration started on a fibrinogen of %(value)s g/L, under the %(trigger)s g/L trigger.")
            % {"value": f"{measured.value.normalize():f}", "trigger": f"{measured.trigger:g}"},
        )
    ]
