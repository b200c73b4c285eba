"""Courses (the physician's order, in versions) and the procedures booked for them."""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from planner.db_guards import BOOKING_ACTIVE, BOOKING_SPAN
from planner.models.catalogue import Device, Indication
from planner.models.checks import OneQueryChecks
from planner.models.patients import Patient


class Course(OneQueryChecks):
    """What a physician orders for one patient and one indication: one version of the order.

    A signed course is never edited: a change is an amendment, a new version
    linked to the one it replaces (which becomes 'superseded' and stays readable).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        SUPERSEDED = "superseded", _("Superseded by an amendment")

    class Urgency(models.TextChoices):
        ROUTINE = "routine", _("Routine")
        URGENT = "urgent", _("Urgent (within 24 h)")
        EMERGENCY = "emergency", _("Emergency")

    class Pattern(models.TextChoices):
        DAILY = "daily", _("Daily")
        EVERY_OTHER_DAY = "every_other_day", _("Every other day")
        EVERY_N_DAYS = "every_n_days", _("Every N days")
        WEEKDAYS = "weekdays", _("Chosen weekdays")
        WEEKLY = "weekly", _("Weekly")

    class Access(models.TextChoices):
        PERIPHERAL = "peripheral", _("Peripheral veins")
        CENTRAL_JUGULAR = "central_jugular", _("Central line, internal jugular")
        CENTRAL_FEMORAL = "central_femoral", _("Central line, femoral")
        CENTRAL_SUBCLAVIAN = "central_subclavian", _("Central line, subclavian")
        PORT = "port", _("Apheresis port")

    class Anticoagulant(models.TextChoices):
        ACD_A = "acd_a", _("ACD-A (citrate)")
        HEPARIN = "heparin", _("Heparin")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses", verbose_name=_("patient"))
    indication = models.ForeignKey(Indication, on_delete=models.PROTECT, related_name="+", verbose_name=_("indication"))
    # The first version of the order; blank on the first version itself. Its id is the order number.
    original = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="amendment", editable=False
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1, editable=False)
    amendment_reason = models.TextField(_("reason for the amendment"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.DRAFT, editable=False)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True, editable=False)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    urgency = models.CharField(_("clinical urgency"), max_length=10, choices=Urgency, default=Urgency.ROUTINE)

    class Modality(models.TextChoices):
        TPE = "tpe", _("Plasma exchange (TPE)")
        DFPP = "dfpp", _("Double filtration (DFPP)")
        IA = "ia", _("Immunoadsorption (IA)")

    modality = models.CharField(_("procedure"), max_length=4, choices=Modality, default=Modality.TPE)
    fractionator = models.ForeignKey(
        "planner.Fractionator",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("plasma fractionator (DFPP)"),
    )
    column = models.ForeignKey(
        "planner.AdsorptionColumn",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("adsorption column (IA)"),
    )
    target_removal = models.DecimalField(
        _("target IgG removal per session (DFPP)"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        # xgettext:no-python-format
        help_text=_("0.60 for 60 %."),
    )
    albumin_g_per_dl = models.DecimalField(
        _("serum albumin (g/dL, DFPP)"),
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_("What the fractionator's albumin loss is computed from."),
    )

    class Prescription(models.TextChoices):
        PLASMA_VOLUMES = "plasma_volumes", _("Plasma volumes")
        ML_PER_KG = "ml_per_kg", _("mL per kg")
        FIXED_ML = "fixed_ml", _("Fixed volume (mL)")

    prescription = models.CharField(
        _("prescribed as"), max_length=14, choices=Prescription, default=Prescription.PLASMA_VOLUMES
    )
    plasma_volumes = models.DecimalField(
        _("plasma volumes per session"), max_digits=3, decimal_places=2, null=True, blank=True
    )
    prescribed_amount = models.DecimalField(
        _("amount per session (mL/kg or mL)"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_("For a prescription in mL/kg (PEXIVAS: 60) or a fixed volume in mL."),
    )
    method = models.CharField(_("blood-volume method"), max_length=12)
    build = models.CharField(_("build (Gilcher)"), max_length=10, blank=True)
    albumin_fraction = models.DecimalField(_("albumin share"), max_digits=4, decimal_places=3)
    plasma_fraction = models.DecimalField(_("plasma share (given last)"), max_digits=4, decimal_places=3)
    saline_fraction = models.DecimalField(_("saline share (given first)"), max_digits=4, decimal_places=3)
    fluid_proposal = models.JSONField(_("fluid proposal"), default=dict, editable=False)
    fluid_override_reason = models.TextField(_("reason for overriding the proposal"), blank=True)
    bleeding_or_coagulopathy = models.BooleanField(_("bleeding or coagulopathy"), default=False)
    procedure_within_48h = models.BooleanField(_("surgery or biopsy within 48 h"), default=False)
    liver_failure = models.BooleanField(_("liver failure"), default=False)
    diffuse_alveolar_haemorrhage = models.BooleanField(_("diffuse alveolar haemorrhage"), default=False)
    saline_share_wanted = models.BooleanField(_("stable enough for a saline share"), default=False)
    plasma_for_low_fibrinogen = models.BooleanField(
        _("plasma for sessions with fibrinogen projected low"),
        default=True,
        help_text=_(
            "The last third as plasma for each session before which fibrinogen is projected under the trigger. "
            "Untick only with a reason (for example: fibrinogen is checked on the day)."
        ),
    )

    sessions_count = models.PositiveSmallIntegerField(_("number of sessions"))
    sessions_extension_reason = models.TextField(
        _("reason for more sessions than usual"),
        blank=True,
        help_text=_("Required when the number of sessions is above the indication's usual course."),
    )
    pattern = models.CharField(_("frequency"), max_length=16, choices=Pattern)
    every_n_days = models.PositiveSmallIntegerField(_("every N days"), default=2)
    weekdays = models.CharField(_("weekdays"), max_length=13, blank=True, help_text=_("Monday = 0, for example 0,2,4."))
    first_on = models.DateField(_("first session on"))
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+", verbose_name=_("preferred device"))
    vascular_access = models.CharField(_("vascular access"), max_length=20, choices=Access)
    anticoagulant = models.CharField(
        _("anticoagulant"), max_length=8, choices=Anticoagulant, default=Anticoagulant.ACD_A
    )
    inlet_ac_ratio = models.DecimalField(_("inlet:AC ratio"), max_digits=4, decimal_places=1, null=True, blank=True)
    inlet_flow_ml_per_min = models.PositiveSmallIntegerField(
        _("inlet flow (mL/min)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(300)],
        help_text=_(
            "Blank: the unit's default. For a child, the numbers beside show the highest flow within the "
            "ACD-A limit; the session's time and booking follow the flow set here."
        ),
    )
    calcium_prophylaxis = models.BooleanField(_("calcium gluconate prophylaxis"), default=True)
    on_ace_inhibitor = models.BooleanField(_("takes an ACE inhibitor"), default=False)
    rituximab_last_at = models.DateTimeField(_("last rituximab dose"), null=True, blank=True)
    ivig_last_at = models.DateTimeField(_("last IVIG dose"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The values the order was calculated from, with the time each was measured.
    inputs = models.JSONField(_("inputs"), default=dict, editable=False)
    estimated_duration_min = models.PositiveIntegerField(_("estimated duration (min)"), editable=False)
    # Everything the order was computed from and says, stored when it is signed (planner.plans.freeze).
    # Every later page and printout reads this; nothing recomputes a signed order.
    frozen_plan = models.JSONField(_("plan as signed"), null=True, blank=True, editable=False)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True, editable=False)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    # Who changed what, when, with the values before and after (django-simple-history).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["-created_at"]
        permissions = [("sign_course", _("Can sign a course (physicians)"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(albumin_fraction__gte=0, plasma_fraction__gte=0, saline_fraction__gte=0)
                & Q(saline_fraction__lte=Decimal("0.25")),
                name="course_fractions_valid",
            ),
            # One prescription, within its limits (planner.core.exchange), and nothing of another kind.
            models.CheckConstraint(
                condition=Q(
                    prescription="plasma_volumes",
                    plasma_volumes__gte=Decimal("0.25"),
                    plasma_volumes__lte=4,
                    prescribed_amount__isnull=True,
                )
                | Q(
                    prescription="ml_per_kg",
                    prescribed_amount__gte=5,
                    prescribed_amount__lte=150,
                    plasma_volumes__isnull=True,
                )
                | Q(
                    prescription="fixed_ml",
                    prescribed_amount__gte=50,
                    prescribed_amount__lte=15000,
                    plasma_volumes__isnull=True,
                ),
                name="course_prescription",
            ),
            # The filter or column of its modality, and nothing of another.
            models.CheckConstraint(
                condition=Q(
                    modality="tpe",
                    fractionator__isnull=True,
                    column__isnull=True,
                    target_removal__isnull=True,
                    albumin_g_per_dl__isnull=True,
                )
                | Q(
                    modality="dfpp",
                    fractionator__isnull=False,
                    column__isnull=True,
                    target_removal__gte=Decimal("0.05"),
                    target_removal__lte=Decimal("0.95"),
                    albumin_g_per_dl__gte=1,
                    albumin_g_per_dl__lte=6,
                )
                | Q(
                    modality="ia",
                    column__isnull=False,
                    fractionator__isnull=True,
                    target_removal__isnull=True,
                    albumin_g_per_dl__isnull=True,
                ),
                name="course_modality",
            ),
            models.CheckConstraint(condition=Q(sessions_count__gte=1), name="course_has_sessions"),
            models.CheckConstraint(
                condition=Q(inlet_flow_ml_per_min__isnull=True)
                | Q(inlet_flow_ml_per_min__gte=5, inlet_flow_ml_per_min__lte=300),
                name="course_inlet_flow_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "cancelled"]) | Q(signed_by__isnull=False, signed_at__isnull=False),
                name="course_signed_by_someone",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled")
                | (~Q(cancel_reason="") & Q(cancelled_by__isnull=False, cancelled_at__isnull=False)),
                name="course_cancel_has_reason_and_author",
            ),
            models.CheckConstraint(
                condition=Q(version=1) | ~Q(amendment_reason=""), name="course_amendment_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return str(self.label)

    def get_absolute_url(self) -> str:
        return reverse("course-detail", args=[self.pk])

    @property
    def order_number(self) -> int:
        return self.original_id or self.pk

    @property
    def label(self) -> str:
        if self.version == 1:
            return _("order %(number)s") % {"number": self.order_number}
        return _("amendment %(version)s of order %(number)s") % {
            "version": self.version - 1,
            "number": self.order_number,
        }

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    def signed_device_values(self) -> dict[str, object] | None:
        """The device values the order was signed with (Device.plan_values), or None before signing."""
        if not self.frozen_plan:
            return None
        device = dict(self.frozen_plan["catalogue"]["device"])
        return {
            key: device[key]
            for key in ("kind", "ecv_typical_ml", "ecv_max_ml", "plasma_removal_efficiency", "default_inlet_ac_ratio")
        }

    @property
    def weekday_set(self) -> frozenset[int]:
        return frozenset(int(day) for day in self.weekdays.split(",") if day.strip())


class ProcedureQuerySet(models.QuerySet["Procedure"]):
    def overlapping(self, start: datetime, end: datetime) -> "ProcedureQuerySet":
        """The active (not cancelled) bookings that overlap [start, end): those a new one there would clash with.

        On PostgreSQL this is asked as the double-booking exclusion constraint (planner/db_guards.py) states
        the rule, so the constraint's GiST index finds the rows. `starts_at < end AND ends_at > start` can
        only walk a B-tree from one end: on the bench data a fortnight's 1,125 bookings cost a walk through
        51,000 index entries (16 ms), one device's clash check 20 ms, growing with every booked year.
        """
        if not start < end:
            raise ValueError(f"An empty or reversed time span: {start} to {end}.")
        if connections[self.db].vendor == "postgresql":
            of = f'"{Procedure._meta.db_table}".'
            # The constraint's own expression and partial condition, written out (not a parameter), so the
            # planner can prove its index covers the query. Names come from the code, never from input.
            active, span = BOOKING_ACTIVE.format(of=of), BOOKING_SPAN.format(of=of)
            overlap = RawSQL(
                f"({active} AND {span} && tstzrange(%s, %s, '[)'))",  # nosec B608
                (start, end),
                output_field=models.BooleanField(),
            )
            return self.filter(overlap)
        return self.exclude(status=Procedure.Status.CANCELLED).filter(starts_at__lt=end, ends_at__gt=start)


class Procedure(models.Model):
    """One apheresis procedure of a course, booked on a device for a time slot."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        CANCELLED = "cancelled", _("Cancelled")

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="procedures", verbose_name=_("course"))
    number = models.PositiveSmallIntegerField(_("session"))
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="procedures", verbose_name=_("device"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), help_text=_("Including the turnover after the procedure."))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PLANNED)
    change_reason = models.TextField(_("reason for the last move or cancellation"), blank=True)
    # That day's fibrinogen re-runs the fluid rule for this session only.
    fibrinogen_g_per_l = models.DecimalField(
        _("fibrinogen before the session (g/L)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    fluid_plan = models.JSONField(_("fluid plan for this session"), default=dict, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    # Who changed what, when, with the values before and after (django-simple-history).
    history = HistoricalRecords()

    objects = ProcedureQuerySet.as_manager()

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        ordering = ["starts_at", "device"]
        indexes = [
            models.Index(fields=["device", "starts_at"], name="procedure_device_start"),
            # The session log is read newest first; without it the admin sorted 50 000 rows per page.
            models.Index(fields=["starts_at"], name="procedure_starts_at"),
        ]
        # No double booking: on PostgreSQL an exclusion constraint, on SQLite triggers, installed by
        # planner/db_guards.py because a plain ExclusionConstraint cannot be created on SQLite.
        # A migration that alters this table must end by re-installing the guard (see db_guards).
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="procedure_ends_after_start"),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(change_reason=""), name="procedure_cancel_has_reason"
            ),
            # One planned session per number and course: two people pressing Book on the same course at
            # the same moment must not book it twice over (seen while writing the load test's booking mix).
            models.UniqueConstraint(
                fields=["course", "number"], condition=Q(status="planned"), name="procedure_one_planned_per_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course.label} #{self.number} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"
