"""The unit's monthly quality report, signed off and frozen, and the indications' stop criteria."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from planner.models.catalogue import Indication


class MonthlyReport(models.Model):
    """One month's quality report: prepared (numbers stored), submitted by the head nurse, confirmed by the
    department head, and then frozen. The database refuses to change a confirmed report or a submitted
    report's numbers (planner/db_guards.py, REPORT_GUARD): corrections made later, by addenda or
    otherwise, show in the live report and are listed beside the frozen one, never in it."""

    class State(models.TextChoices):
        PREPARED = "prepared", _("Prepared")
        SUBMITTED = "submitted", _("Submitted by the head nurse")
        CONFIRMED = "confirmed", _("Confirmed by the department head")

    # The first day of the month (planner/reports.py prepares it so; unique per month).
    month = models.DateField(_("month"), unique=True)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.PREPARED, editable=False)
    numbers = models.JSONField(_("numbers as prepared"), editable=False)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(_("prepared at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submission_note = models.TextField(_("head nurse's note"), blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmation_note = models.TextField(_("department head's note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("monthly quality report")
        verbose_name_plural = _("monthly quality reports")
        ordering = ["-month"]
        permissions = [
            ("view_unitreport", _("Can see the unit's reports")),
            ("submit_monthlyreport", _("Can submit the monthly quality report (head nurse)")),
            ("confirm_monthlyreport", _("Can confirm the monthly quality report (department head)")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="prepared") | Q(submitted_by__isnull=False, submitted_at__isnull=False),
                name="monthlyreport_submitted_by",
            ),
            models.CheckConstraint(
                condition=~Q(state="confirmed") | Q(confirmed_by__isnull=False, confirmed_at__isnull=False),
                name="monthlyreport_confirmed_by",
            ),
            # Two people: the department head confirms what someone else submitted.
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=models.F("submitted_by")),
                name="monthlyreport_confirmed_by_another",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"

    def get_absolute_url(self) -> str:
        return reverse("monthly-report-detail", args=[self.pk])

    @property
    def is_frozen(self) -> bool:
        return self.state == self.State.CONFIRMED

    @property
    def period(self) -> tuple[date, date]:
        """The first and last day of the month."""
        following = date(self.month.year + self.month.month // 12, self.month.month % 12 + 1, 1)
        return self.month, date.fromordinal(following.toordinal() - 1)


class StopCriterion(models.Model):
    """When a course of an indication can stop, as a measurable rule staff keep in the catalogue.

    The course page shows each with the measured values that bear on it. Data, not words: a criterion
    names the measurement and the threshold; the indication's course notes stay free text beside it.
    """

    class Measure(models.TextChoices):
        PLATELETS = "platelets_10e9_per_l", _("Platelets (×10⁹/L)")
        IGG = "igg_g_per_l", _("IgG (g/L)")
        FIBRINOGEN = "fibrinogen_g_per_l", _("Fibrinogen (g/L)")
        HAEMOGLOBIN = "haemoglobin_g_per_l", _("Haemoglobin (g/L)")
        MARKER = "marker", _("Marker (by name)")

    class Comparison(models.TextChoices):
        AT_LEAST = "at_least", _("reaches at least")
        AT_MOST = "at_most", _("falls to at most")
        FALL_PERCENT = "fall_percent", _("falls from the course's first value by at least (%)")
        TREND = "trend", _("is followed (no threshold)")

    indication = models.ForeignKey(
        Indication, on_delete=models.PROTECT, related_name="stop_criteria", verbose_name=_("indication")
    )
    measure = models.CharField(_("measurement"), max_length=24, choices=Measure)
    marker_name = models.CharField(
        _("marker name"), max_length=60, blank=True, help_text=_("For a marker: the name as measurements record it.")
    )
    comparison = models.CharField(_("criterion"), max_length=12, choices=Comparison)
    threshold = models.DecimalField(_("threshold"), max_digits=7, decimal_places=2, null=True, blank=True)
    description = models.CharField(_("description"), max_length=200)
    description_zh = models.CharField(_("description (Chinese)"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=200)
    is_active = models.BooleanField(_("in use"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("stop criterion")
        verbose_name_plural = _("stop criteria")
        ordering = ["indication", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(comparison="trend", threshold__isnull=True)
                | (~Q(comparison="trend") & Q(threshold__isnull=False)),
                name="stopcriterion_threshold_unless_trend",
            ),
            models.CheckConstraint(
                condition=~Q(comparison="fall_percent") | Q(threshold__gt=0, threshold__lte=100),
                name="stopcriterion_fall_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=(Q(measure="marker") & ~Q(marker_name="")) | (~Q(measure="marker") & Q(marker_name="")),
                name="stopcriterion_marker_named",
            ),
            models.UniqueConstraint(
                fields=["indication", "measure", "marker_name", "comparison"], name="stopcriterion_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def description_local(self) -> str:
        """The description in the chosen language (English when no Chinese is entered)."""
        chinese = self.description_zh and (get_language() or "").startswith("zh")
        return self.description_zh if chinese else self.description
