"""The catalogue: ASFA indications, the unit's devices and the replacement products it stocks."""

from collections.abc import Iterable
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from planner.core.fluid_rules import ReplacementPolicy


class IndicationQuerySet(models.QuerySet["Indication"]):
    def search(self, query: str) -> "IndicationQuerySet":
        found = self
        for word in query.split():
            found = found.filter(
                Q(disease__icontains=word)
                | Q(indication__icontains=word)
                | Q(course_notes__icontains=word)
                | Q(disease_zh__icontains=word)
                | Q(indication_zh__icontains=word)
            )
        return found


class IndicationWords:
    """An indication's names and notes in the chosen language, and whether ASFA recommends against it.

    Shared by the catalogue's row and by the values an order froze when it was signed
    (planner.plans.IndicationAsOrdered), which have the same attributes.
    """

    disease: str
    indication: str
    disease_zh: str
    indication_zh: str
    course_notes: str
    course_notes_zh: str
    category: str

    def __str__(self) -> str:
        return f"{self.disease_local} — {self.indication_local}" if self.indication else self.disease_local

    @staticmethod
    def _local(english: str, chinese: str) -> str:
        return chinese if chinese and (get_language() or "").startswith("zh") else english

    @property
    def disease_local(self) -> str:
        """The disease in the chosen language."""
        return self._local(self.disease, self.disease_zh)

    @property
    def indication_local(self) -> str:
        return self._local(self.indication, self.indication_zh)

    @property
    def course_notes_local(self) -> str:
        return self._local(self.course_notes, self.course_notes_zh)

    @property
    def is_not_recommended(self) -> bool:
        return self.category == "IV"


class ReplacementPolicyChoices(models.TextChoices):
    """planner.core.fluid_rules.ReplacementPolicy, with labels for people."""

    PLASMA_REQUIRED = ReplacementPolicy.PLASMA_REQUIRED.value, _("Plasma required")
    PLASMA_LAST = ReplacementPolicy.PLASMA_LAST.value, _("Albumin, plasma last")
    PLASMA_OR_ALBUMIN = ReplacementPolicy.PLASMA_OR_ALBUMIN.value, _("Plasma or albumin")
    ALBUMIN = ReplacementPolicy.ALBUMIN.value, _("Albumin; plasma when a patient rule asks")
    PLASMA_AVOIDED = ReplacementPolicy.PLASMA_AVOIDED.value, _("Plasma avoided")


class Indication(IndicationWords, models.Model):
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
    # The rule the fluid proposal follows: data an administrator can edit, never read from a disease's name.
    replacement_policy = models.CharField(
        _("replacement policy"),
        max_length=20,
        choices=ReplacementPolicyChoices,
        help_text=_(
            "What the fluid proposal does for this indication. 'Plasma avoided' overrides every reason for plasma."
        ),
    )
    policy_source = models.CharField(
        _("source of the replacement policy"),
        max_length=300,
        blank=True,
        help_text=_("Where the policy comes from, when it is not ASFA's usual replacement."),
    )
    tpv_min = models.DecimalField(_("plasma volumes, from"), max_digits=3, decimal_places=2)
    tpv_max = models.DecimalField(_("plasma volumes, to"), max_digits=3, decimal_places=2)
    default_frequency = models.CharField(_("usual frequency"), max_length=20, choices=Frequency)
    default_sessions = models.PositiveSmallIntegerField(
        _("usual number of sessions"), help_text=_("0 when ASFA gives no fixed course (long-term or not recommended).")
    )
    course_notes = models.TextField(_("course notes"), blank=True)
    # The same in Simplified Chinese, shown when that is the chosen language (blank: the English).
    disease_zh = models.CharField(_("disease (Chinese)"), max_length=200, blank=True)
    indication_zh = models.CharField(_("indication (Chinese)"), max_length=200, blank=True)
    course_notes_zh = models.TextField(_("course notes (Chinese)"), blank=True)
    guideline_page = models.PositiveSmallIntegerField(_("page in ASFA 2023"), null=True, blank=True)
    is_active = models.BooleanField(_("offered for new courses"), default=True)
    # The row's key in the shipped CSV: how loading the catalogue again finds it, whatever an
    # administrator renamed. Blank for an indication the unit added itself.
    catalogue_key = models.CharField(
        _("key in the shipped catalogue"), max_length=100, unique=True, null=True, blank=True, editable=False
    )

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
            models.CheckConstraint(
                condition=Q(replacement_policy__in=ReplacementPolicyChoices.values),
                name="indication_replacement_policy_valid",
            ),
        ]

    def __str__(self) -> str:
        return IndicationWords.__str__(self)

    def get_absolute_url(self) -> str:
        return reverse("indication-detail", args=[self.pk])


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
    runs_dfpp = models.BooleanField(
        _("runs double filtration"), default=False, help_text=_("A separator that takes a plasma fractionator.")
    )
    runs_ia = models.BooleanField(
        _("runs immunoadsorption"), default=False, help_text=_("A separator that takes an adsorption column.")
    )
    is_active = models.BooleanField(_("in service"), default=True)
    is_verified = models.BooleanField(
        _("values checked by the unit"),
        default=True,
        help_text=_("Blank for the standard catalogue's values until the unit has checked them against its device."),
    )

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

    # The flag a procedure other than TPE needs: a place for a fractionator (DFPP) or a column (IA).
    RUNS = {"dfpp": "runs_dfpp", "ia": "runs_ia"}

    def runs(self, modality: str) -> bool:
        """Whether this device runs the procedure: TPE always, DFPP and IA when flagged."""
        flag = self.RUNS.get(modality)
        return flag is None or getattr(self, flag)

    @classmethod
    def running(cls, modality: str) -> Q:
        """The devices that run the procedure, as a filter."""
        flag = cls.RUNS.get(modality)
        return Q(**{flag: True}) if flag else Q()

    def plan_values(self) -> dict[str, object]:
        """The values an order is computed with: two devices with the same values give the same order."""
        return {
            "kind": self.kind,
            "ecv_typical_ml": self.ecv_typical_ml,
            "ecv_max_ml": self.ecv_max_ml,
            "plasma_removal_efficiency": f"{Decimal(self.plasma_removal_efficiency).normalize():f}",
            "default_inlet_ac_ratio": None
            if self.default_inlet_ac_ratio is None
            else f"{Decimal(self.default_inlet_ac_ratio).normalize():f}",
        }


class ProductQuerySet(models.QuerySet["Product"]):
    def default_for(self, kind: str) -> "Product | None":
        return self.filter(kind=kind, is_default=True, is_active=True).first()

    def defaults_for(self, kinds: Iterable[str]) -> "dict[str, Product | None]":
        """The default product of each kind, in one query (a kind without one maps to None)."""
        kinds = list(kinds)
        found: dict[str, Product | None] = dict.fromkeys(kinds)
        # At most one default per kind (constraint product_one_default_per_kind).
        for product in self.filter(kind__in=kinds, is_default=True, is_active=True):
            found[product.kind] = product
        return found


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
    is_verified = models.BooleanField(
        _("values checked by the unit"),
        default=True,
        help_text=_("Blank for the standard catalogue's values until the unit has checked them against its stock."),
    )

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


class Evidence(models.TextChoices):
    """How far a catalogue value was checked (clinical-reference-modalities.md's tags)."""

    VERIFIED = "verified", _("Verified in the source")
    SECONDARY = "secondary", _("From a secondary source")
    DERIVED = "derived", _("Derived, no published constant")
    UNVERIFIED = "unverified", _("Not verified")


class Fractionator(models.Model):
    """A plasma fractionator (the second filter of DFPP) and its sieving coefficients."""

    class Sieving(models.TextChoices):
        RETURNED = "returned", _("Returned to the patient (DFPP: removed = 1 − SC)")
        DISCARDED = "discarded", _("Passes into the discard (selective exchange: removed = SC)")

    name = models.CharField(_("name"), max_length=100, unique=True)
    sc_igg = models.DecimalField(_("sieving coefficient, IgG"), max_digits=3, decimal_places=2)
    sc_albumin = models.DecimalField(_("sieving coefficient, albumin"), max_digits=3, decimal_places=2)
    sc_igm = models.DecimalField(_("sieving coefficient, IgM"), max_digits=3, decimal_places=2, null=True, blank=True)
    sieving = models.CharField(_("what the coefficients measure"), max_length=10, choices=Sieving)
    source = models.CharField(_("source"), max_length=300)
    evidence = models.CharField(_("evidence"), max_length=10, choices=Evidence)
    is_active = models.BooleanField(_("in stock"), default=True)
    is_verified = models.BooleanField(
        _("values checked by the unit"),
        default=True,
        help_text=_("Blank for the standard catalogue's values until the unit has checked them."),
    )

    class Meta:
        verbose_name = _("plasma fractionator")
        verbose_name_plural = _("plasma fractionators")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sc_igg__gte=0, sc_igg__lte=1, sc_albumin__gte=0, sc_albumin__lte=1)
                & (Q(sc_igm__isnull=True) | Q(sc_igm__gte=0, sc_igm__lte=1)),
                name="fractionator_coefficients_fractions",
            ),
            # A fractionator that removes no IgG reaches no target.
            models.CheckConstraint(
                condition=(Q(sieving="returned") & Q(sc_igg__lt=1)) | (Q(sieving="discarded") & Q(sc_igg__gt=0)),
                name="fractionator_removes_igg",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AdsorptionColumn(models.Model):
    """An immunoadsorption column: what it takes in a session and, if known, its IgG efficiency."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    ligand = models.CharField(_("ligand"), max_length=100, blank=True)
    max_processed_ml = models.PositiveIntegerField(
        _("most plasma per session (mL)"), null=True, blank=True, help_text=_("Blank: no cap (a regenerating pair).")
    )
    igg_efficiency = models.DecimalField(
        _("IgG removal efficiency"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("E in e^(−E·V/TPV). None is published: leave blank unless the unit has measured it."),
    )
    source = models.CharField(_("source"), max_length=300)
    evidence = models.CharField(_("evidence"), max_length=10, choices=Evidence)
    is_active = models.BooleanField(_("in stock"), default=True)
    is_verified = models.BooleanField(
        _("values checked by the unit"),
        default=True,
        help_text=_("Blank for the standard catalogue's values until the unit has checked them."),
    )

    class Meta:
        verbose_name = _("adsorption column")
        verbose_name_plural = _("adsorption columns")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(igg_efficiency__isnull=True) | Q(igg_efficiency__gt=0, igg_efficiency__lte=1),
                name="column_efficiency_fraction",
            ),
            models.CheckConstraint(
                condition=Q(max_processed_ml__isnull=True) | Q(max_processed_ml__gt=0), name="column_cap_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class IndicationModality(models.Model):
    """A modality other than TPE that ASFA lists for an indication, with its own category and grade."""

    class Modality(models.TextChoices):
        DFPP = "dfpp", _("Double filtration (DFPP)")
        IA = "ia", _("Immunoadsorption (IA)")

    indication = models.ForeignKey(
        Indication, on_delete=models.CASCADE, related_name="modalities", verbose_name=_("indication")
    )
    modality = models.CharField(_("modality"), max_length=4, choices=Modality)
    category = models.CharField(_("ASFA category"), max_length=3, choices=Indication.Category)
    grade = models.CharField(_("ASFA grade"), max_length=2, choices=Indication.Grade)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=300)
    needs_checking = models.BooleanField(
        _("to verify against the guideline PDF"),
        default=True,
        help_text=_("Set while the category and grade come from a transcription, not the guideline itself."),
    )
    is_active = models.BooleanField(_("offered for new courses"), default=True)

    class Meta:
        verbose_name = _("indication modality")
        verbose_name_plural = _("indication modalities")
        ordering = ["indication", "modality"]
        constraints = [
            models.UniqueConstraint(fields=["indication", "modality"], name="indication_modality_unique"),
            models.CheckConstraint(condition=Q(modality__in=["dfpp", "ia"]), name="indication_modality_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.indication} — {self.get_modality_display()}"
