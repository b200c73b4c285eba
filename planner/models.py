import hashlib
import re
import secrets
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

from planner import limits
from planner.validators import HaematocritFraction, in_range

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class PatientQuerySet(models.QuerySet["Patient"]):
    def search(self, query: str) -> "PatientQuerySet":
        """Patients whose MRN starts with, or whose name contains, every word of the query.

        A Chinese name is typed without a space ("王秀英"), so each word is also
        matched against family and given name written together.
        """
        found = self.annotate(_joined_name=Concat("family_name", "given_name"))
        for word in query.split():
            found = found.filter(
                Q(mrn__istartswith=word)
                | Q(family_name__icontains=word)
                | Q(given_name__icontains=word)
                | Q(_joined_name__icontains=word)
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

    mrn = models.CharField(
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

    objects = PatientQuerySet.as_manager()

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["family_name", "given_name", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(mrn=""), name="patient_mrn_not_blank"),
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

    @property
    def age_years(self) -> int:
        return self.age_on(timezone.localdate())

    def latest_measurements(self, as_of: datetime | None = None) -> "LatestMeasurements":
        """The most recent value of each measured quantity taken at or before `as_of`."""
        rows = self.measurements.filter(taken_at__lte=as_of or timezone.now())
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

    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("entered by")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("updated by")
    )

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
        return f"{self.patient.mrn} @ {self.taken_at:%Y-%m-%d %H:%M}"

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

    @classmethod
    def from_rows(cls, newest_first: "models.QuerySet[Measurement] | list[Measurement]") -> "LatestMeasurements":
        values: dict[str, LatestValue] = {}
        for row in newest_first:
            for field in MEASURED_FIELDS:
                value = getattr(row, field)
                if value is not None and field not in values:
                    values[field] = LatestValue(value, row.taken_at)
            if row.marker_name and row.marker_name not in values:
                values[row.marker_name] = LatestValue(row.marker_value, row.taken_at)
        return cls(values)

    def __getitem__(self, field: str) -> LatestValue | None:
        # None for a quantity never measured, so templates can write latest.weight_kg;
        # KeyError for anything else, so they still reach attributes such as markers.
        if field not in MEASURED_FIELDS:
            raise KeyError(field)
        return self.values.get(field)

    @property
    def markers(self) -> dict[str, LatestValue]:
        return {name: latest for name, latest in self.values.items() if name not in MEASURED_FIELDS}


class IndicationQuerySet(models.QuerySet["Indication"]):
    def search(self, query: str) -> "IndicationQuerySet":
        found = self
        for word in query.split():
            found = found.filter(
                Q(disease__icontains=word) | Q(indication__icontains=word) | Q(course_notes__icontains=word)
            )
        return found


class Indication(models.Model):
    """One ASFA 2023 therapeutic plasma exchange indication, with the unit's planning defaults."""

    class Category(models.TextChoices):
        I = "I", _("I — first-line")  # noqa: E741 - ASFA's category name
        II = "II", _("II — second-line")
        III = "III", _("III — individualised decision")
        IV = "IV", _("IV — not recommended")

    class Grade(models.TextChoices):
        G1A = "1A", "1A"
        G1B = "1B", "1B"
        G1C = "1C", "1C"
        G2A = "2A", "2A"
        G2B = "2B", "2B"
        G2C = "2C", "2C"

    class Replacement(models.TextChoices):
        ALBUMIN = "albumin", _("Albumin")
        PLASMA = "plasma", _("Plasma")
        PLASMA_OR_ALBUMIN = "plasma_or_albumin", _("Plasma or albumin")
        PLASMA_LAST = "plasma_last", _("Albumin, then plasma last")

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Daily")
        DAILY_OR_ALTERNATE = "daily_or_alternate", _("Daily or every other day")
        EVERY_OTHER_DAY = "every_other_day", _("Every other day")
        THREE_TIMES_WEEKLY = "three_times_weekly", _("Three times a week")
        TWICE_WEEKLY = "twice_weekly", _("Twice a week")
        WEEKLY = "weekly", _("Weekly")

    disease = models.CharField(_("disease"), max_length=200)
    indication = models.CharField(_("indication"), max_length=200, blank=True)
    category = models.CharField(_("ASFA category"), max_length=3, choices=Category)
    grade = models.CharField(_("ASFA grade"), max_length=2, choices=Grade)
    default_replacement = models.CharField(_("usual replacement fluid"), max_length=20, choices=Replacement)
    tpv_min = models.DecimalField(_("plasma volumes, from"), max_digits=3, decimal_places=2)
    tpv_max = models.DecimalField(_("plasma volumes, to"), max_digits=3, decimal_places=2)
    default_frequency = models.CharField(_("usual frequency"), max_length=20, choices=Frequency)
    default_sessions = models.PositiveSmallIntegerField(
        _("usual number of sessions"), help_text=_("0 when ASFA gives no fixed course (long-term or not recommended).")
    )
    course_notes = models.TextField(_("course notes"), blank=True)
    guideline_page = models.PositiveSmallIntegerField(_("page in ASFA 2023"), null=True, blank=True)
    is_active = models.BooleanField(_("offered for new courses"), default=True)

    objects = IndicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("indication")
        verbose_name_plural = _("indications")
        ordering = ["disease", "indication"]
        constraints = [
            models.UniqueConstraint(fields=["disease", "indication"], name="indication_unique_disease_indication"),
            models.CheckConstraint(condition=~Q(disease=""), name="indication_disease_not_blank"),
            models.CheckConstraint(
                condition=Q(category__in=["I", "II", "III", "IV"]), name="indication_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(tpv_min__gte=Decimal("0.25"), tpv_min__lte=models.F("tpv_max"), tpv_max__lte=4),
                name="indication_plasma_volumes_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.disease} — {self.indication}" if self.indication else self.disease

    def get_absolute_url(self) -> str:
        return reverse("indication-detail", args=[self.pk])

    @property
    def is_not_recommended(self) -> bool:
        return self.category == self.Category.IV


class Device(models.Model):
    class Kind(models.TextChoices):
        CENTRIFUGAL = "centrifugal", _("Centrifugal")
        MEMBRANE = "membrane", _("Membrane")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("separation"), max_length=12, choices=Kind)
    model = models.CharField(_("model"), max_length=100, blank=True)
    ecv_typical_ml = models.PositiveIntegerField(_("extracorporeal volume, typical (mL)"))
    ecv_max_ml = models.PositiveIntegerField(_("extracorporeal volume, maximum (mL)"))
    plasma_removal_efficiency = models.DecimalField(
        _("plasma removal efficiency"),
        max_digits=3,
        decimal_places=2,
        help_text=_("Fraction of the plasma processed that is removed, for example 0.87."),
    )
    default_inlet_ac_ratio = models.DecimalField(
        _("default inlet:anticoagulant ratio"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_("For example 10 for 10:1 ACD-A. Leave blank for devices anticoagulated with heparin."),
    )
    is_active = models.BooleanField(_("in service"), default=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ecv_typical_ml__gt=0, ecv_max_ml__gte=models.F("ecv_typical_ml")),
                name="device_ecv_ordered",
            ),
            models.CheckConstraint(
                condition=Q(plasma_removal_efficiency__gt=0, plasma_removal_efficiency__lte=1),
                name="device_efficiency_fraction",
            ),
            models.CheckConstraint(
                condition=Q(default_inlet_ac_ratio__isnull=True) | Q(default_inlet_ac_ratio__gt=1),
                name="device_inlet_ac_ratio_above_one",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProductQuerySet(models.QuerySet["Product"]):
    def default_for(self, kind: str) -> "Product | None":
        return self.filter(kind=kind, is_default=True, is_active=True).first()


class Product(models.Model):
    """A replacement fluid as the blood bank stocks it: a vial, a plasma unit, a saline bag."""

    class Kind(models.TextChoices):
        ALBUMIN = "albumin", _("Albumin")
        PLASMA = "plasma", _("Plasma")
        SALINE = "saline", _("Saline")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind)
    name = models.CharField(_("name"), max_length=100, unique=True)
    concentration_percent = models.DecimalField(
        _("concentration (%)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_("Albumin 20 for 20 %; saline 0.9. Not used for plasma."),
    )
    package_volume_ml = models.PositiveIntegerField(
        _("volume per package (mL)"), help_text=_("A vial, a plasma unit or a bag.")
    )
    is_default = models.BooleanField(_("default for its kind"), default=False)
    is_active = models.BooleanField(_("stocked"), default=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(package_volume_ml__gt=0), name="product_volume_positive"),
            models.CheckConstraint(
                condition=~Q(kind="albumin")
                | Q(concentration_percent__isnull=False, concentration_percent__gt=0, concentration_percent__lte=100),
                name="product_albumin_has_concentration",
            ),
            models.UniqueConstraint(fields=["kind"], condition=Q(is_default=True), name="product_one_default_per_kind"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def grams_per_package(self) -> Decimal | None:
        if self.kind != self.Kind.ALBUMIN or self.concentration_percent is None:
            return None
        return self.concentration_percent * self.package_volume_ml / 100


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> "ApiTokenQuerySet":
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A key another hospital system uses for the JSON API, acting as one user with that user's permissions.

    Only a SHA-256 of the key is stored: the key itself is shown once, when it is issued.
    """

    PREFIX = "apk_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("Which system uses it, for example 'LIS bridge'."))
    key_prefix = models.CharField(_("key starts with"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        # Keys are 256-bit random: a fast hash is enough, no salt or stretching needed.
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user: "models.Model", name: str, issued_by: "models.Model") -> tuple["ApiToken", str]:
        """Create a token; returns it with the key, which is not stored and cannot be shown again."""
        key = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, key_prefix=key[:12], key_hash=cls.hash_key(key), created_by=issued_by
        )
        return token, key

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Course(models.Model):
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

    plasma_volumes = models.DecimalField(_("plasma volumes per session"), max_digits=3, decimal_places=2)
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

    sessions_count = models.PositiveSmallIntegerField(_("number of sessions"))
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
    calcium_prophylaxis = models.BooleanField(_("calcium gluconate prophylaxis"), default=True)
    on_ace_inhibitor = models.BooleanField(_("takes an ACE inhibitor"), default=False)
    rituximab_last_at = models.DateTimeField(_("last rituximab dose"), null=True, blank=True)
    ivig_last_at = models.DateTimeField(_("last IVIG dose"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The values the order was calculated from, with the time each was measured.
    inputs = models.JSONField(_("inputs"), default=dict, editable=False)
    estimated_duration_min = models.PositiveIntegerField(_("estimated duration (min)"), editable=False)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True, editable=False)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

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
            models.CheckConstraint(
                condition=Q(plasma_volumes__gte=Decimal("0.25"), plasma_volumes__lte=4), name="course_plasma_volumes"
            ),
            models.CheckConstraint(condition=Q(sessions_count__gte=1), name="course_has_sessions"),
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

    @property
    def weekday_set(self) -> frozenset[int]:
        return frozenset(int(day) for day in self.weekdays.split(",") if day.strip())


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

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        ordering = ["starts_at", "device"]
        indexes = [models.Index(fields=["device", "starts_at"], name="procedure_device_start")]
        # No double booking: on PostgreSQL an exclusion constraint, on SQLite triggers, installed by
        # planner/db_guards.py because a plain ExclusionConstraint cannot be created on SQLite.
        # A migration that alters this table must end by re-installing the guard (see db_guards).
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="procedure_ends_after_start"),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(change_reason=""), name="procedure_cancel_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course.label} #{self.number} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"
