"""Patients and their measurements over time."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from planner.core import limits
from planner.core.identity import MRN_PATTERN, normalise_mrn
from planner.validators import HaematocritFraction, in_range, validate_mrn_characters

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class MedicalRecordNumberField(models.CharField):
    """An MRN, stored and looked up in its one canonical form (planner.core.identity.normalise_mrn).

    Every door goes through it: a form or the admin (model validation), the ORM's saves and its
    lookups (Patient.objects.get(mrn="ｄｅｍｏ-0002") finds DEMO-0002), and whatever comes later.
    What is left must be of the MRN's characters: a form or the admin says which one is not, the
    database refuses it from any other door (the constraint patient_mrn_characters).
    """

    default_validators = [validate_mrn_characters]

    def to_python(self, value: object) -> object:
        value = super().to_python(value)
        return normalise_mrn(value) if isinstance(value, str) else value

    def get_prep_value(self, value: object) -> object:
        value = super().get_prep_value(value)
        return normalise_mrn(value) if isinstance(value, str) else value


class PatientQuerySet(models.QuerySet["Patient"]):
    def search(self, query: str) -> "PatientQuerySet":
        """Patients whose MRN starts with, or whose name contains, every word of the query.

        A Chinese name is typed without a space ("王秀英"), so each word is matched against family and
        given name written together; a word within either name is within both written together, so
        that one match covers all three. On PostgreSQL a trigram index serves it (migration 0027).
        """
        found = self.annotate(_joined_name=Concat("family_name", "given_name"))
        for word in query.split():
            found = found.filter(
                # The MRN as stored: a scanned or full-width ＤＥＭＯ-０００２ finds DEMO-0002.
                Q(mrn__startswith=normalise_mrn(word) or word) | Q(_joined_name__icontains=word)
            )
        return found

    def with_latest_vitals(self) -> "PatientQuerySet":
        """Annotate the latest weight and haematocrit and when each was taken, in one query."""
        annotations: dict[str, Subquery] = {}
        for field in ("weight_kg", "haematocrit"):
            latest = Measurement.objects.filter(patient=OuterRef("pk"), **{f"{field}__isnull": False}).order_by(
                "-taken_at", "-pk"
            )
            annotations[f"latest_{field}"] = Subquery(latest.values(field)[:1])
            annotations[f"latest_{field}_at"] = Subquery(latest.values("taken_at")[:1])
        return self.annotate(**annotations)


class Patient(models.Model):
    class Sex(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class AboGroup(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        AB = "AB", "AB"
        O = "O", "O"  # noqa: E741 - the blood group's name

    class RhD(models.TextChoices):
        POSITIVE = "pos", _("RhD positive")
        NEGATIVE = "neg", _("RhD negative")

    mrn = MedicalRecordNumberField(
        _("medical record number"),
        max_length=32,
        unique=True,
        error_messages={"unique": _("A patient with this medical record number already exists.")},
    )
    family_name = models.CharField(_("family name"), max_length=100)
    given_name = models.CharField(_("given name"), max_length=100, blank=True)
    sex = models.CharField(
        _("sex"),
        max_length=6,
        choices=Sex,
        help_text=_("Biological sex, used by the blood-volume formulas."),
    )
    date_of_birth = models.DateField(_("date of birth"))
    abo_group = models.CharField(_("ABO group"), max_length=2, choices=AboGroup, blank=True)
    rhd = models.CharField(_("RhD"), max_length=3, choices=RhD, blank=True)
    allergies = models.TextField(_("allergies"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("updated by")
    )

    # Who changed what, when, with the values before and after (django-simple-history).
    history = HistoricalRecords()

    objects = PatientQuerySet.as_manager()

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["family_name", "given_name", "pk"]
        # The list's order, so that a page is read off the index, not sorted from the whole table.
        indexes = [models.Index(fields=["family_name", "given_name", "id"], name="patient_name_order")]
        constraints = [
            models.CheckConstraint(condition=~Q(mrn=""), name="patient_mrn_not_blank"),
            # What reaches the database by another door (an ORM update, raw SQL) is of the MRN's characters.
            models.CheckConstraint(condition=Q(mrn__regex=MRN_PATTERN), name="patient_mrn_characters"),
            models.CheckConstraint(condition=~Q(family_name=""), name="patient_family_name_not_blank"),
            models.CheckConstraint(condition=Q(sex__in=["male", "female"]), name="patient_sex_valid"),
            models.CheckConstraint(condition=Q(abo_group__in=["", "A", "B", "AB", "O"]), name="patient_abo_valid"),
            models.CheckConstraint(condition=Q(rhd__in=["", "pos", "neg"]), name="patient_rhd_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.mrn} {self.full_name}"

    def get_absolute_url(self) -> str:
        return reverse("patient-detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        # Chinese names are written family name first with no space (王秀英).
        if _CJK.search(self.family_name + self.given_name):
            return self.family_name + self.given_name
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def blood_group(self) -> str:
        rhd = {"pos": "+", "neg": "−"}.get(self.rhd, "")
        return f"{self.abo_group}{rhd}" if self.abo_group else ""

    def age_on(self, day: date) -> int:
        """Age in completed years on a day."""
        before_birthday = (day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day)
        return day.year - self.date_of_birth.year - before_birthday

    def age_for_calculation(self, day: date) -> float:
        """Completed years; under one year the exact fraction of a year (days / 365.25).

        The paediatric blood-volume table tells a neonate (under 28 days) from an infant (under a
        year): an infant of six months is 0.49, not 0.
        """
        years = self.age_on(day)
        return years if years >= 1 else (day - self.date_of_birth).days / 365.25

    @property
    def age_years(self) -> int:
        return self.age_on(timezone.localdate())

    def latest_measurements(
        self, as_of: datetime | None = None, *, newest_first: "list[Measurement] | None" = None
    ) -> "LatestMeasurements":
        """The most recent value of each measured quantity taken at or before `as_of`.

        `newest_first`: all the patient's measurements, already read in ("-taken_at", "-pk") order (a
        page that lists them), to choose from instead of reading them again.
        """
        as_of = as_of or timezone.now()
        if newest_first is not None:
            return LatestMeasurements.from_rows([row for row in newest_first if row.taken_at <= as_of])
        rows = self.measurements.filter(taken_at__lte=as_of)
        return LatestMeasurements.from_rows(rows.order_by("-taken_at", "-pk"))


# Each quantity a Measurement can carry, with its plausible range for forms.
MEASURED_FIELDS = (
    "weight_kg",
    "height_cm",
    "haematocrit",
    "fibrinogen_g_per_l",
    "platelets_10e9_per_l",
    "haemoglobin_g_per_l",
    "ionised_calcium_mmol_per_l",
    "igg_g_per_l",
)


class Measurement(models.Model):
    """Body measurements and lab results taken at one time. Blank means not measured then."""

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="measurements", verbose_name=_("patient")
    )
    taken_at = models.DateTimeField(_("taken at"), help_text=_("When the sample was drawn or the patient weighed."))

    weight_kg = models.DecimalField(
        _("weight (kg)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[in_range(limits.WEIGHT_KG, "kg")],
    )
    height_cm = models.DecimalField(
        _("height (cm)"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[in_range(limits.HEIGHT_CM, "cm")],
    )
    haematocrit = models.DecimalField(
        _("haematocrit (fraction)"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[HaematocritFraction()],
        help_text=_("As a fraction: 0.40 for 40 %."),
    )
    fibrinogen_g_per_l = models.DecimalField(
        _("fibrinogen (g/L)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[in_range(limits.FIBRINOGEN_G_PER_L, "g/L")],
    )
    platelets_10e9_per_l = models.PositiveIntegerField(
        _("platelets (×10⁹/L)"),
        null=True,
        blank=True,
        validators=[in_range(limits.PLATELETS_10E9_PER_L, "×10⁹/L")],
    )
    haemoglobin_g_per_l = models.PositiveIntegerField(
        _("haemoglobin (g/L)"),
        null=True,
        blank=True,
        validators=[in_range(limits.HAEMOGLOBIN_G_PER_L, "g/L")],
    )
    ionised_calcium_mmol_per_l = models.DecimalField(
        _("ionised calcium (mmol/L)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[in_range(limits.IONISED_CALCIUM_MMOL_PER_L, "mmol/L")],
    )
    igg_g_per_l = models.DecimalField(
        _("IgG (g/L)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[in_range(limits.IGG_G_PER_L, "g/L")],
    )
    marker_name = models.CharField(
        _("other marker"), max_length=50, blank=True, help_text=_("For example anti-Dsg3, anti-MDA5, SCORTEN.")
    )
    marker_value = models.CharField(
        _("marker result"), max_length=50, blank=True, help_text=_("With its unit, for example 152 U/mL or 1:320.")
    )
    marker_is_igg_antibody = models.BooleanField(
        _("the marker is an IgG antibody"),
        default=False,
        help_text=_(
            "Tick for an IgG autoantibody such as anti-Dsg3 or anti-MDA5: an order then projects it as IgG falls. "
            "Leave blank for a score or another substance."
        ),
    )

    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("entered by")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("updated by")
    )

    # Who changed what, when, with the values before and after (django-simple-history).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        ordering = ["-taken_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-taken_at"], name="measurement_patient_taken")]
        constraints = [
            models.CheckConstraint(condition=Q(weight_kg__gt=0), name="measurement_weight_positive"),
            models.CheckConstraint(condition=Q(height_cm__gt=0), name="measurement_height_positive"),
            models.CheckConstraint(
                condition=Q(haematocrit__gt=0, haematocrit__lt=1), name="measurement_haematocrit_fraction"
            ),
            models.CheckConstraint(condition=Q(fibrinogen_g_per_l__gte=0), name="measurement_fibrinogen_not_negative"),
            models.CheckConstraint(condition=Q(haemoglobin_g_per_l__gt=0), name="measurement_haemoglobin_positive"),
            models.CheckConstraint(
                condition=Q(ionised_calcium_mmol_per_l__gt=0), name="measurement_ionised_calcium_positive"
            ),
            models.CheckConstraint(condition=Q(igg_g_per_l__gte=0), name="measurement_igg_not_negative"),
            models.CheckConstraint(
                condition=Q(marker_name="", marker_value="") | (~Q(marker_name="") & ~Q(marker_value="")),
                name="measurement_marker_named_and_valued",
            ),
            models.CheckConstraint(
                condition=(
                    Q(weight_kg__isnull=False)
                    | Q(height_cm__isnull=False)
                    | Q(haematocrit__isnull=False)
                    | Q(fibrinogen_g_per_l__isnull=False)
                    | Q(platelets_10e9_per_l__isnull=False)
                    | Q(haemoglobin_g_per_l__isnull=False)
                    | Q(ionised_calcium_mmol_per_l__isnull=False)
                    | Q(igg_g_per_l__isnull=False)
                    | ~Q(marker_name="")
                ),
                name="measurement_has_a_value",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient.mrn} @ {timezone.localtime(self.taken_at):%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("patient-detail", args=[self.patient_id])


@dataclass(frozen=True)
class LatestValue:
    value: Decimal | int | str
    taken_at: datetime


@dataclass(frozen=True)
class LatestMeasurements:
    """The newest value of each quantity, each with the time it was taken."""

    values: dict[str, LatestValue]
    # The newest measurement that recorded a marker, whichever its name: what an order follows.
    marker: "Measurement | None" = None

    @classmethod
    def from_rows(cls, newest_first: "models.QuerySet[Measurement] | list[Measurement]") -> "LatestMeasurements":
        values: dict[str, LatestValue] = {}
        marker = None
        for row in newest_first:
            for field in MEASURED_FIELDS:
                value = getattr(row, field)
                if value is not None and field not in values:
                    values[field] = LatestValue(value, row.taken_at)
            if row.marker_name and row.marker_name not in values:
                values[row.marker_name] = LatestValue(row.marker_value, row.taken_at)
                marker = marker or row
        return cls(values, marker)

    def __getitem__(self, field: str) -> LatestValue | None:
        # None for a quantity never measured, so templates can write latest.weight_kg;
        # KeyError for anything else, so they still reach attributes such as markers.
        if field not in MEASURED_FIELDS:
            raise KeyError(field)
        return self.values.get(field)

    @property
    def markers(self) -> dict[str, LatestValue]:
        return {name: latest for name, latest in self.values.items() if name not in MEASURED_FIELDS}


class PatientView(models.Model):
    """Who opened which patient's record, when, and on which page: reads are logged as well as writes."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+", verbose_name=_("patient"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    viewed_at = models.DateTimeField(_("viewed at"), auto_now_add=True)
    page = models.CharField(_("page"), max_length=40)

    class Meta:
        verbose_name = _("patient record view")
        verbose_name_plural = _("patient record views")
        ordering = ["-viewed_at"]
        indexes = [models.Index(fields=["patient", "-viewed_at"], name="patientview_patient_time")]

    def __str__(self) -> str:
        return f"{self.user} {self.patient_id} {self.viewed_at:%Y-%m-%d %H:%M}"
