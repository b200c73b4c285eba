"""Approvals of an order's blood-product volume, the course's consents, and the bedside two-person check.

All three are records beside the order and the session, never changes to them: an approval or a
consent is a new row (the latest row of a kind is its state), and the database refuses to change
or delete one (planner/db_guards.py, APPEND_ONLY_GUARD). Whether a unit uses them is a setting
(CHINESE_PRACTICE and its three parts, planner/settings.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from planner.models.orders import Course
from planner.models.records import IssuedProduct, SessionRecord


class Approval(models.Model):
    """One step of the graded approval of an order, given by a named approver at a time.

    Kept on the order's first version (its order number): an amendment that keeps the day's volume in
    the same band keeps its approvals; one that raises it needs the higher band's steps again.
    """

    class Step(models.TextChoices):
        SENIOR = "senior", _("Senior physician")
        HEAD = "head", _("Department head")
        MEDICAL_AFFAIRS = "medical_affairs", _("Medical affairs office")

    order = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="approvals", verbose_name=_("order"))
    # The version the approver saw.
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="+", verbose_name=_("version approved"))
    step = models.CharField(_("step"), max_length=16, choices=Step)
    # 1: under the first threshold; 2: from it; 3: from the second. The steps of a band are those up to it.
    band = models.PositiveSmallIntegerField(_("volume band"))
    day_total_ml = models.PositiveIntegerField(_("highest day's volume approved (mL)"))
    note = models.TextField(_("note"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("approved by")
    )
    approved_at = models.DateTimeField(_("approved at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["approved_at", "pk"]
        permissions = [
            ("approve_senior", _("Can approve blood-product volume as senior physician")),
            ("approve_head", _("Can approve blood-product volume as department head")),
            ("approve_medical_affairs", _("Can approve blood-product volume for the medical affairs office")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(band__gte=1, band__lte=3), name="approval_band_valid"),
            models.CheckConstraint(
                condition=Q(step__in=["senior", "head", "medical_affairs"]), name="approval_step_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()} {self.approved_at:%Y-%m-%d %H:%M}"


class Consent(models.Model):
    """The state of one consent of a course, as recorded by staff: signed, not signed, or the emergency path."""

    class Kind(models.TextChoices):
        PROCEDURE = "procedure", _("Procedure consent")
        TRANSFUSION = "transfusion", _("Transfusion consent")
        CENTRAL_CATHETER = "central_catheter", _("Central catheter consent")

    class State(models.TextChoices):
        SIGNED = "signed", _("Signed")
        NOT_SIGNED = "not_signed", _("Not signed")
        # No one can consent in time: the treatment goes ahead and is reported to the administration.
        EMERGENCY = "emergency", _("Emergency, reported to the administrative department")

    order = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="consents", verbose_name=_("order"))
    kind = models.CharField(_("consent"), max_length=16, choices=Kind)
    state = models.CharField(_("state"), max_length=12, choices=State)
    signer = models.CharField(
        _("signed by"),
        max_length=80,
        blank=True,
        help_text=_("The patient, or the representative with their relationship to the patient."),
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    note = models.TextField(
        _("note"), blank=True, help_text=_("For the emergency path: to whom it was reported, when, and why.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="signed") | (~Q(signer="") & Q(signed_at__isnull=False)),
                name="consent_signed_has_signer_and_time",
            ),
            models.CheckConstraint(condition=~Q(state="emergency") | ~Q(note=""), name="consent_emergency_has_note"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_state_display()}"

    @property
    def allows_start(self) -> bool:
        return self.state in (self.State.SIGNED, self.State.EMERGENCY)


class BedsideCheck(models.Model):
    """Two staff checked one issued plasma unit or albumin lot against the patient at the bedside.

    The first is the user who asks for the check; the second confirmed with their own password at
    that moment. The database refuses one person in both places.
    """

    issued = models.OneToOneField(
        IssuedProduct, on_delete=models.PROTECT, related_name="bedside_check", verbose_name=_("issued product")
    )
    # The session record, for the review lock (planner/db_guards.py, REVIEW_GUARD).
    record = models.ForeignKey(SessionRecord, on_delete=models.PROTECT, related_name="+", editable=False)
    first_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("checked by")
    )
    second_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("second check by")
    )
    checked_at = models.DateTimeField(_("checked at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bedside check")
        verbose_name_plural = _("bedside checks")
        ordering = ["checked_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(first_by=F("second_by")), name="bedsidecheck_two_people"),
        ]

    def __str__(self) -> str:
        return f"{self.issued} {self.checked_at:%Y-%m-%d %H:%M}"
