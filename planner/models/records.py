"""What happened at each session: the nurse's record, adverse events and the products given."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from planner.core import limits
from planner.core.limits import Range
from planner.db_guards import LOCKING_OUTCOMES
from planner.models.catalogue import Product
from planner.models.orders import Procedure
from planner.validators import in_range


@dataclass(frozen=True)
class _RunRanges:
    """Plausible values on a run sheet: typing mistakes stop here, real extremes still go in."""

    systolic: Range = Range(Decimal(40), Decimal(300))
    diastolic: Range = Range(Decimal(20), Decimal(200))
    heart_rate: Range = Range(Decimal(20), Decimal(250))
    spo2: Range = Range(Decimal(50), Decimal(100))
    calcium_given: Range = Range(Decimal(0), Decimal(100))
    inlet_flow: Range = Range(Decimal(5), Decimal(150))
    plasma_flow: Range = Range(Decimal(1), Decimal(100))
    inlet_ac_ratio: Range = Range(Decimal(4), Decimal(30))
    ac_infusion_rate: Range = Range(Decimal("0.1"), Decimal("3.0"))


RUN = _RunRanges()


class SessionRecord(models.Model):
    """One procedure as it happened. Reviewed records are locked by the database (planner/db_guards.py)."""

    class Outcome(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        STOPPED_EARLY = "stopped_early", _("Stopped early")
        NOT_STARTED = "not_started", _("Not started")

    procedure = models.OneToOneField(
        Procedure, on_delete=models.PROTECT, related_name="record", verbose_name=_("procedure")
    )
    # Check-in.
    systolic_bp_mmhg = models.PositiveSmallIntegerField(_("systolic BP (mmHg)"), null=True, blank=True)
    diastolic_bp_mmhg = models.PositiveSmallIntegerField(_("diastolic BP (mmHg)"), null=True, blank=True)
    heart_rate_per_min = models.PositiveSmallIntegerField(_("heart rate (/min)"), null=True, blank=True)
    ionised_calcium_mmol_per_l = models.DecimalField(
        _("ionised calcium (mmol/L)"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    consent_confirmed = models.BooleanField(_("consent confirmed"), default=False)
    ace_inhibitor_held = models.BooleanField(_("ACE inhibitor held 24 h (or not taken)"), default=False)
    access_working = models.BooleanField(_("vascular access working"), default=False)
    # The procedure.
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    whole_blood_processed_ml = models.PositiveIntegerField(_("whole blood processed (mL)"), null=True, blank=True)
    plasma_removed_ml = models.PositiveIntegerField(_("plasma removed (mL)"), null=True, blank=True)
    # xgettext:no-python-format
    albumin_given_ml = models.PositiveIntegerField(_("albumin 5 % given (mL)"), null=True, blank=True)
    plasma_given_ml = models.PositiveIntegerField(_("plasma given (mL)"), null=True, blank=True)
    saline_given_ml = models.PositiveIntegerField(_("saline given (mL)"), null=True, blank=True)
    anticoagulant_used_ml = models.PositiveIntegerField(_("anticoagulant used (mL)"), null=True, blank=True)
    calcium_given_ml = models.DecimalField(
        # xgettext:no-python-format
        _("calcium gluconate 10 % given (mL)"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
    )
    outcome = models.CharField(_("outcome"), max_length=14, choices=Outcome, default=Outcome.IN_PROGRESS)
    outcome_reason = models.TextField(_("reason (stopped early or not started)"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The device as set up for the run (the device screen), and what was used, for traceability.
    inlet_flow_ml_per_min = models.PositiveSmallIntegerField(
        _("inlet flow (mL/min)"), null=True, blank=True, validators=[in_range(RUN.inlet_flow, "mL/min")]
    )
    plasma_flow_ml_per_min = models.PositiveSmallIntegerField(
        _("plasma flow (mL/min)"), null=True, blank=True, validators=[in_range(RUN.plasma_flow, "mL/min")]
    )
    inlet_ac_ratio = models.DecimalField(
        _("inlet:AC ratio (N:1)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[in_range(RUN.inlet_ac_ratio)],
    )
    ac_infusion_rate = models.DecimalField(
        _("AC infusion rate (mL/min per L TBV)"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[in_range(RUN.ac_infusion_rate)],
    )
    kit_lot = models.CharField(_("kit lot number"), max_length=40, blank=True)
    anticoagulant_lot = models.CharField(_("ACD-A lot number"), max_length=40, blank=True)
    device_serial = models.CharField(_("device serial number"), max_length=40, blank=True)
    # What the record contradicts (the booking, the order, what was issued) must be explained once the
    # session has ended (planner/records.py, reconcile); the codes are kept for the review list's filter.
    deviation_reason = models.TextField(
        _("reason for the deviations"),
        blank=True,
        help_text=_("Required when the record differs from the booking, the order or the products issued."),
    )
    deviation_codes = models.CharField(_("deviations"), max_length=300, blank=True, editable=False)

    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("session record")
        verbose_name_plural = _("session records")
        ordering = ["-procedure__starts_at"]
        permissions = [
            ("review_sessionrecord", _("Can mark session records reviewed")),
            ("export_sessionrecord", _("Can export session records (CSV)")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["in_progress", "completed"]) | ~Q(outcome_reason=""),
                name="sessionrecord_stop_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(started_at__isnull=False, ended_at__gt=models.F("started_at")),
                name="sessionrecord_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True) | Q(reviewed_by__isnull=False), name="sessionrecord_reviewer"
            ),
        ]

    def __str__(self) -> str:
        return str(self.procedure)

    def get_absolute_url(self) -> str:
        return reverse("procedure-record", args=[self.procedure_id])

    @property
    def replacement_given_ml(self) -> int:
        return sum(v or 0 for v in (self.albumin_given_ml, self.plasma_given_ml, self.saline_given_ml))

    @property
    def fluid_balance_percent(self) -> Decimal | None:
        if not self.plasma_removed_ml:
            return None
        return (Decimal(self.replacement_given_ml) * 100 / self.plasma_removed_ml).quantize(Decimal("1"))

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None

    @property
    def locks_session(self) -> bool:
        """Started, given an outcome or reviewed: the session stays where, when and under which order it ran.

        The database holds the same rule (planner/db_guards.py, SESSION_GUARD). A record the blood bank
        opened by issuing products before check-in does not lock: the session can still move.
        """
        return bool(self.started_at or self.reviewed_at or self.outcome in LOCKING_OUTCOMES)

    @staticmethod
    def locking(prefix: str = "") -> Q:
        """locks_session as a filter, e.g. Procedure.objects.exclude(SessionRecord.locking("record__"))."""
        return (
            Q(**{f"{prefix}started_at__isnull": False})
            | Q(**{f"{prefix}reviewed_at__isnull": False})
            | Q(**{f"{prefix}outcome__in": LOCKING_OUTCOMES})
        )


class RunSheetEntry(models.Model):
    """One timed row of the bedside run sheet: vitals, symptoms, and a repeat ionised calcium with the
    calcium given for it. Added as the run goes, locked with the record once it is reviewed."""

    record = models.ForeignKey(SessionRecord, on_delete=models.PROTECT, related_name="run_sheet")
    taken_at = models.DateTimeField(_("time"))
    systolic_bp_mmhg = models.PositiveSmallIntegerField(
        _("systolic BP (mmHg)"), null=True, blank=True, validators=[in_range(RUN.systolic, "mmHg")]
    )
    diastolic_bp_mmhg = models.PositiveSmallIntegerField(
        _("diastolic BP (mmHg)"), null=True, blank=True, validators=[in_range(RUN.diastolic, "mmHg")]
    )
    heart_rate_per_min = models.PositiveSmallIntegerField(
        _("heart rate (/min)"), null=True, blank=True, validators=[in_range(RUN.heart_rate, "/min")]
    )
    spo2_percent = models.PositiveSmallIntegerField(
        _("SpO₂ (%)"), null=True, blank=True, validators=[in_range(RUN.spo2, "%")]
    )
    ionised_calcium_mmol_per_l = models.DecimalField(
        _("ionised calcium (mmol/L)"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[in_range(limits.IONISED_CALCIUM_MMOL_PER_L, "mmol/L")],
    )
    calcium_given_ml = models.DecimalField(
        # xgettext:no-python-format
        _("calcium gluconate 10 % given (mL)"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[in_range(RUN.calcium_given, "mL")],
    )
    symptoms = models.CharField(_("symptoms"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("run sheet entry")
        verbose_name_plural = _("run sheet")
        ordering = ["taken_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(systolic_bp_mmhg__isnull=True)
                | Q(diastolic_bp_mmhg__isnull=True)
                | Q(systolic_bp_mmhg__gt=models.F("diastolic_bp_mmhg")),
                name="runsheetentry_systolic_above_diastolic",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record} {self.taken_at:%H:%M}"


class AdverseEvent(models.Model):
    class Kind(models.TextChoices):
        CITRATE = "citrate", _("Citrate reaction / hypocalcaemia")
        HYPOTENSION = "hypotension", _("Hypotension")
        ALLERGIC = "allergic", _("Allergic / urticaria")
        ANAPHYLAXIS = "anaphylaxis", _("Anaphylaxis")
        VASOVAGAL = "vasovagal", _("Vasovagal")
        ACCESS = "access", _("Access problem")
        HAEMOLYSIS = "haemolysis", _("Haemolysis")
        BLEEDING = "bleeding", _("Bleeding")
        ARRHYTHMIA = "arrhythmia", _("Arrhythmia")
        OTHER = "other", _("Other")

    class Severity(models.TextChoices):
        # World Apheresis Association registry grades.
        MILD = "mild", _("Mild")
        MODERATE = "moderate", _("Moderate")
        SEVERE = "severe", _("Severe")

    record = models.ForeignKey(SessionRecord, on_delete=models.PROTECT, related_name="adverse_events")
    kind = models.CharField(_("type"), max_length=12, choices=Kind)
    severity = models.CharField(_("severity (WAA)"), max_length=8, choices=Severity)
    occurred_at = models.DateTimeField(_("time"))
    action_taken = models.TextField(_("action taken"))
    procedure_interrupted = models.BooleanField(_("procedure interrupted"), default=False)
    procedure_stopped = models.BooleanField(_("procedure stopped"), default=False)
    outcome = models.TextField(_("outcome"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("adverse event")
        verbose_name_plural = _("adverse events")
        ordering = ["occurred_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_severity_display()})"


class IssuedProduct(models.Model):
    """A product the blood bank issued for a session, traceable by lot or unit number, and what was given."""

    record = models.ForeignKey(SessionRecord, on_delete=models.PROTECT, related_name="issued_products")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product"))
    lot_number = models.CharField(_("lot or unit number"), max_length=40)
    abo_group = models.CharField(_("ABO (plasma)"), max_length=2, blank=True)
    quantity = models.PositiveSmallIntegerField(_("packages issued"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    # The blood bank's named signers (TWO_PERSON_CHECKS): who cross-matched the plasma, and who re-checked
    # the issue (confirmed with their own password; never the issuer).
    crossmatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cross-matched by"),
    )
    rechecked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("re-checked by"),
    )
    quantity_given = models.PositiveSmallIntegerField(_("packages given"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("issued product")
        verbose_name_plural = _("issued products")
        ordering = ["issued_at"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="issuedproduct_quantity_positive"),
            models.CheckConstraint(
                condition=Q(quantity_given__isnull=True) | Q(quantity_given__lte=models.F("quantity")),
                name="issuedproduct_given_not_more_than_issued",
            ),
            models.CheckConstraint(condition=~Q(lot_number=""), name="issuedproduct_has_lot"),
            models.CheckConstraint(
                condition=Q(rechecked_by__isnull=True) | ~Q(rechecked_by=models.F("issued_by")),
                name="issuedproduct_recheck_by_another",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.lot_number} × {self.quantity}"


class SessionAddendum(models.Model):
    """A correction to a session record after review: added beside the locked record, never changing it."""

    record = models.ForeignKey(SessionRecord, on_delete=models.PROTECT, related_name="addenda")
    reason = models.TextField(_("reason for the correction"))
    correction = models.TextField(_("correction"), help_text=_("What was wrong and the correct values."))
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(_("written at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("addendum")
        verbose_name_plural = _("addenda")
        ordering = ["written_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason="") & ~Q(correction=""), name="sessionaddendum_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.written_by} {self.written_at:%Y-%m-%d %H:%M}"


def not_yet_run(procedures: models.QuerySet[Procedure]) -> models.QuerySet[Procedure]:
    """Planned sessions that have not started and have no outcome (SessionRecord.locks_session): the
    ones an amendment takes over and a cancellation cancels; the others stay with the order they ran under."""
    return procedures.filter(status=Procedure.Status.PLANNED).exclude(SessionRecord.locking("record__"))
