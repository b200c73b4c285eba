"""The Django side of the exchange calculation: one form for the three outside doors.

The web calculator, the JSON API and `manage.py exchange_plan` all parse their input with
`ExchangeForm`, so a value is accepted or refused with the same message whichever way it came in.
The form turns the catalogue's device and products into the pure calculation's inputs
(planner.plans) and calls `planner.core.exchange.plan_exchange`. A stored order is never read
through this form: a signed order is read back from its frozen plan (planner.plans).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from planner import plans
from planner.core.blood_volume import Build, Method, Sex, default_method
from planner.core.exchange import (
    ExchangePlan,
    ExchangeRequest,
    LowFibrinogen,
    Policy,
    Prescription,
    course_hours,
    plan_exchange,
    volumes_words,
)
from planner.core.fluid_rules import FluidProposal, ReplacementPolicy
from planner.core.limits import InputError, parse_id
from planner.core.replacement import FRACTION_NAMES, FluidPlan, Shares
from planner.models import AdsorptionColumn, Course, Device, Fractionator, Indication, Patient, Product
from planner.plans import CatalogueChoice
from planner.validators import labelled_errors

METHOD_CHOICES = [
    (Method.NADLER.value, _("Nadler (adults)")),
    (Method.GILCHER.value, _("Gilcher rule of five (needs build)")),
    (Method.LEMMENS.value, _("Lemmens (obesity)")),
    (Method.WEIGHT.value, _("70/65 mL/kg")),
    (Method.KAPLAN.value, _("Kaplan: plasma volume 0.065 × W × (1 − Hct)")),
    (Method.PAEDIATRIC.value, _("Paediatric mL/kg table (needs age)")),
    (Method.MANUAL.value, _("Typed in from the device")),
]
BUILD_CHOICES = [
    ("", _("Not given")),
    (Build.MUSCULAR.value, _("Muscular")),
    (Build.NORMAL.value, _("Normal")),
    (Build.THIN.value, _("Thin")),
    (Build.OBESE.value, _("Obese")),
]
PRESCRIPTION_CHOICES = [
    (Prescription.PLASMA_VOLUMES.value, _("Plasma volumes")),
    (Prescription.ML_PER_KG.value, _("mL per kg")),
    (Prescription.FIXED_ML.value, _("Fixed volume (mL)")),
]
LOW_FIBRINOGEN_CHOICES = [
    (LowFibrinogen.PLASMA.value, _("Plasma (the last third) for those sessions")),
    (LowFibrinogen.WARN.value, _("Warn only")),
]

# Calculation inputs whose errors belong to another form field.
_ERROR_FIELDS = {
    "albumin_vial_ml": "albumin_product",
    "target_albumin_percent": "albumin_product",
    "plasma_unit_ml": "plasma_product",
    "saline_bag_ml": "saline_product",
    "plasma_fraction": "albumin_fraction",
    "session_hours": "sessions",
}


def _number(label: str, *, required: bool = False, initial: float | None = None, **kwargs: object) -> forms.FloatField:
    return forms.FloatField(label=label, required=required, initial=initial, **kwargs)


class IndicationField(forms.Field):
    """An active indication by catalogue id, or as "disease | indication" text (the command line's way)."""

    widget = forms.Select

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.widget.choices = self._choices

    @staticmethod
    def _choices() -> list[tuple[str, str]]:
        return [
            ("", _("None: no fluid proposal")),
            *((str(i.pk), str(i)) for i in Indication.objects.filter(is_active=True)),
        ]

    def to_python(self, value: object) -> Indication | None:
        text = str(value or "").strip()
        if not text:
            return None
        found = Indication.objects.filter(is_active=True)
        if "\x00" in text:
            # No catalogue name holds a NUL, and PostgreSQL refuses one in a query (hypothesis found the 500).
            found = found.none()
        elif text.isascii() and text.isdigit():  # "²".isdigit() is True: not an id, nor a name
            found = found.filter(pk=chosen) if (chosen := parse_id(text)) else found.none()
        else:
            disease, _bar, indication = (part.strip() for part in text.partition("|"))
            found = found.filter(disease__iexact=disease, indication__iexact=indication)
        indication = found.first()
        if indication is None:
            raise forms.ValidationError(
                _("No indication %(value)s in the catalogue: give its id, or 'disease | indication' as listed."),
                code="unknown",
                params={"value": text[:100]},
            )
        return indication


class ExchangeForm(forms.Form):
    sex = forms.ChoiceField(label=_("Sex"), choices=Patient.Sex.choices)
    weight_kg = _number(_("Weight (kg)"), required=True)
    height_cm = _number(_("Height (cm)"), required=True)
    haematocrit = _number(_("Haematocrit (fraction)"), required=True, help_text=_("0.40 for 40 %."))
    age_years = _number(_("Age (years)"))
    # Blank: the paediatric table for a child it covers (age and weight), Nadler otherwise, on every door.
    method = forms.ChoiceField(
        label=_("Blood-volume method"),
        choices=[("", _("By age and weight (paediatric table for a child, else Nadler)")), *METHOD_CHOICES],
        required=False,
        initial="",
    )
    build = forms.ChoiceField(label=_("Build (Gilcher)"), choices=BUILD_CHOICES, required=False)
    tbv_ml = _number(_("Blood volume from the device (mL)"))
    tbv_reason = forms.CharField(label=_("Why typed in"), max_length=200, required=False)
    indication = IndicationField(
        label=_("Indication (proposes the fluid)"),
        required=False,
        help_text=_("With an indication, blank shares take the proposal."),
    )
    bleeding_or_coagulopathy = forms.BooleanField(label=_("Bleeding or coagulopathy"), required=False)
    procedure_within_48h = forms.BooleanField(label=_("Surgery or biopsy within 48 h"), required=False)
    liver_failure = forms.BooleanField(label=_("Liver failure"), required=False)
    diffuse_alveolar_haemorrhage = forms.BooleanField(label=_("Diffuse alveolar haemorrhage"), required=False)
    saline_share_wanted = forms.BooleanField(label=_("Stable enough for a saline share"), required=False)
    prescription = forms.ChoiceField(
        label=_("Prescribed as"), choices=PRESCRIPTION_CHOICES, initial=Prescription.PLASMA_VOLUMES.value
    )
    plasma_volumes = _number(_("Plasma volumes to exchange"), required=True, initial=1.0)
    prescribed_amount = _number(
        _("mL/kg or mL to exchange"),
        help_text=_("For a prescription in mL/kg (PEXIVAS: 60) or a fixed volume in mL."),
    )
    albumin_fraction = _number(_("Albumin share (0–1)"), required=True, initial=1.0)
    plasma_fraction = _number(_("Plasma share (0–1), given last"), required=True, initial=0.0)
    saline_fraction = _number(_("Saline share (0–1), given first"), required=True, initial=0.0)
    fluid_balance = _number(_("Fluid balance (1.0 = 100 %)"), required=True, initial=1.0)
    modality = forms.ChoiceField(label=_("Procedure"), choices=Course.Modality.choices, initial=Course.Modality.TPE)
    fractionator = forms.ModelChoiceField(
        label=_("Plasma fractionator (DFPP)"),
        queryset=Fractionator.objects.filter(is_active=True),
        to_field_name="name",
        required=False,
    )
    target_removal = _number(
        _("Target IgG removal per session (DFPP)"),
        # xgettext:no-python-format
        help_text=_("0.60 for 60 %."),
    )
    albumin_g_per_dl = _number(_("Serum albumin (g/dL, DFPP)"))
    column = forms.ModelChoiceField(
        label=_("Adsorption column (IA)"),
        queryset=AdsorptionColumn.objects.filter(is_active=True),
        to_field_name="name",
        required=False,
    )
    device = forms.ModelChoiceField(
        label=_("Device"), queryset=Device.objects.filter(is_active=True), to_field_name="name", required=False
    )
    inlet_ac_ratio = _number(_("Inlet:AC ratio (blank: the device's default)"))
    inlet_flow_ml_per_min = _number(_("Inlet flow (mL/min)"), required=True)
    albumin_product = forms.ModelChoiceField(
        label=_("Albumin product"),
        queryset=Product.objects.filter(kind=Product.Kind.ALBUMIN, is_active=True),
        to_field_name="name",
        required=False,
    )
    plasma_product = forms.ModelChoiceField(
        label=_("Plasma product"),
        queryset=Product.objects.filter(kind=Product.Kind.PLASMA, is_active=True),
        to_field_name="name",
        required=False,
    )
    saline_product = forms.ModelChoiceField(
        label=_("Saline product"),
        queryset=Product.objects.filter(kind=Product.Kind.SALINE, is_active=True),
        to_field_name="name",
        required=False,
    )
    fibrinogen_g_per_l = _number(_("Fibrinogen before the session (g/L)"))
    igg_g_per_l = _number(_("IgG before the course (g/L)"))
    sessions = forms.IntegerField(label=_("Sessions to project"), required=False)
    interval_hours = _number(_("Hours between sessions"), required=True, initial=48)
    low_fibrinogen = forms.ChoiceField(
        label=_("Fibrinogen projected under the trigger (with an indication)"),
        choices=LOW_FIBRINOGEN_CHOICES,
        initial=LowFibrinogen.PLASMA.value,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["inlet_flow_ml_per_min"].initial = settings.DEFAULT_INLET_FLOW_ML_PER_MIN
        self.fields["device"].empty_label = _("First centrifugal device in service")
        for kind in ("albumin", "plasma", "saline"):
            self.fields[f"{kind}_product"].empty_label = _("The default")
        self.plan: ExchangePlan | None = None
        self._given: set[str] = set()

    def full_clean(self) -> None:
        # Unbound or not: a missing optional value falls back to its initial, as on the page.
        if self.is_bound:
            self.data = self.data.copy()
            self._given = {name for name in self.fields if self.data.get(name) not in (None, "")}
            for name, field in self.fields.items():
                if self.data.get(name) in (None, "") and field.initial is not None:
                    self.data[name] = field.initial
        super().full_clean()

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            policy = plans.policy_from_settings()
            request, proposal, catalogue = self._exchange_request(cleaned, policy)
            self.plan = plan_exchange(request, policy, proposal=proposal)
            plans.check_plasma_for_sessions(self.plan, catalogue)
        except InputError as error:
            field = _ERROR_FIELDS.get(error.field, error.field)
            self.add_error(field if field in self.fields else None, error.message)
        return cleaned

    def _exchange_request(
        self, cleaned: dict, policy: Policy
    ) -> tuple[ExchangeRequest, FluidProposal | None, CatalogueChoice]:
        indication = cleaned.get("indication")
        proposal = None
        shares = Shares.from_fractions(cleaned)
        low_fibrinogen = LowFibrinogen.WARN
        if indication is not None:
            proposal = plans.propose(
                indication,
                age_years=cleaned.get("age_years"),
                facts={fact: cleaned.get(fact, False) for fact in plans.FACTS},
                fibrinogen_g_per_l=cleaned.get("fibrinogen_g_per_l"),
            )
            if not self._given & set(FRACTION_NAMES):
                shares = proposal.shares
            low_fibrinogen = plans.low_fibrinogen_response(
                ReplacementPolicy(indication.replacement_policy),
                plasma_wanted=cleaned["low_fibrinogen"] == LowFibrinogen.PLASMA.value,
            )
        fluids = FluidPlan(shares, fluid_balance=cleaned["fluid_balance"])
        session_hours = None
        if cleaned.get("sessions") is not None:
            session_hours = course_hours(cleaned["sessions"], cleaned["interval_hours"])
        products = plans.needed_products(
            shares, {kind: cleaned.get(f"{kind}_product") for kind in ("albumin", "plasma", "saline")}
        )
        modality = cleaned["modality"]
        device = cleaned.get("device") or plans.first_device(modality)
        catalogue = plans.CatalogueChoice(
            device,
            **products,
            fractionator=cleaned.get("fractionator") if modality == Course.Modality.DFPP else None,
            column=cleaned.get("column") if modality == Course.Modality.IA else None,
        )
        procedure = plans.modality_request(
            modality,
            device,
            fractionator=catalogue.fractionator,
            column=catalogue.column,
            target_removal=cleaned.get("target_removal"),
            albumin_g_per_dl=cleaned.get("albumin_g_per_dl"),
        )
        ratio = cleaned.get("inlet_ac_ratio") or device.default_inlet_ac_ratio
        build = cleaned.get("build")
        request = ExchangeRequest(
            sex=Sex(cleaned["sex"]),
            weight_kg=cleaned["weight_kg"],
            height_cm=cleaned["height_cm"],
            haematocrit=cleaned["haematocrit"],
            plasma_volumes=cleaned["plasma_volumes"],
            prescription=Prescription(cleaned["prescription"]),
            prescribed_amount=cleaned.get("prescribed_amount"),
            method=Method(cleaned["method"])
            if cleaned.get("method")
            else default_method(cleaned.get("age_years"), cleaned["weight_kg"], policy.paediatric),
            build=Build(build) if build else None,
            age_years=cleaned.get("age_years"),
            tbv_ml=cleaned.get("tbv_ml"),
            tbv_reason=cleaned.get("tbv_reason") or "",
            fluids=fluids,
            products=catalogue.products(),
            device=plans.device_settings(
                device,
                inlet_ac_ratio=float(ratio) if ratio is not None else None,
                inlet_flow_ml_per_min=cleaned["inlet_flow_ml_per_min"],
            ),
            fibrinogen_g_per_l=cleaned.get("fibrinogen_g_per_l"),
            igg_g_per_l=cleaned.get("igg_g_per_l"),
            session_hours=session_hours,
            low_fibrinogen=low_fibrinogen,
            unverified=catalogue.unverified(shares, plasma_possible=low_fibrinogen is LowFibrinogen.PLASMA),
            **procedure,
        )
        return request, proposal, catalogue

    def labelled_errors(self) -> list[tuple[str, str]]:
        """(label, message) pairs for showing every error in one place, beside the results."""
        return labelled_errors(self)

    def error_dict(self) -> dict[str, list[str]]:
        """Errors as {field: [messages]}, "__all__" for the rest: what the API and CLI report."""
        return {field: [str(message) for message in messages] for field, messages in self.errors.items()}


@dataclass(frozen=True)
class Prefilled:
    """A value the calculator took from the patient's record, and when it was measured."""

    label: str
    value: str
    taken_at: datetime | None


def initial_from_patient(patient: Patient) -> tuple[dict[str, object], list[Prefilled]]:
    """Calculator inputs from a patient's latest measurements, with what was used and its date."""
    latest = patient.latest_measurements()
    age = patient.age_for_calculation(timezone.localdate())
    initial: dict[str, object] = {"sex": patient.sex, "age_years": f"{age:.2f}" if age < 1 else str(age)}
    used = [
        Prefilled(str(_("Sex")), patient.get_sex_display(), None),
        Prefilled(str(_("Age")), str(patient.age_years), None),
    ]
    for field, label, unit in (
        ("weight_kg", _("Weight"), "kg"),
        ("height_cm", _("Height"), "cm"),
        ("haematocrit", _("Haematocrit"), ""),
        ("fibrinogen_g_per_l", _("Fibrinogen"), "g/L"),
        ("igg_g_per_l", _("IgG"), "g/L"),
    ):
        measured = latest[field]
        if measured is not None:
            value = Decimal(measured.value).normalize()
            initial[field] = f"{value:f}"
            used.append(Prefilled(str(label), f"{value:f} {unit}".strip(), timezone.localtime(measured.taken_at)))
    return initial, used


@dataclass(frozen=True)
class ResultRow:
    label: str
    value: str
    formula: str
    source: str = ""


def _ml(value: int) -> str:
    # 4824 -> "4 824 mL": grouped with a narrow no-break space, as in clinical print.
    return f"{value:,}".replace(",", "\u202f") + "\u00a0mL"


def _exchange_row(plan: ExchangePlan) -> ResultRow:
    request, exchange = plan.request, _ml(plan.rounded["exchange_volume_ml"])
    if request.prescription is Prescription.ML_PER_KG:
        formula = f"{request.prescribed_amount:g} mL/kg × {request.weight_kg:g} kg"
    elif request.prescription is Prescription.FIXED_ML:
        formula = str(_("prescribed as a fixed volume"))
    else:
        formula = f"TPV × {request.plasma_volumes:g} " + str(_("plasma volumes"))
    return ResultRow(_("Exchange volume"), exchange, formula)


def _fibrinogen_rows(plan: ExchangePlan, doses: dict) -> list[ResultRow]:
    """Under the trigger: plasma, cryoprecipitate or concentrate to reach the target, each with its arithmetic."""
    request, target = plan.request, doses["target_g_per_l"]
    measured = request.fibrinogen_g_per_l
    gap = f"({target:g} − {measured:g}) g/L × 100"
    return [
        ResultRow(
            _("Fibrinogen: plasma"),
            str(_("%(low)s–%(high)s units") % {"low": doses["plasma_units_low"], "high": doses["plasma_units_high"]}),
            f"10–15 mL/kg × {request.weight_kg:g} kg = {doses['plasma_ml_low']}–{doses['plasma_ml_high']} mL "
            f"÷ {request.products.plasma_unit_ml:g} mL",
            _("ASA 1996, as cited by cliot"),
        ),
        ResultRow(
            _("Fibrinogen: cryoprecipitate"),
            str(_("%(units)s units") % {"units": doses["cryo_units"]}),
            f"⌈{gap} mg/dL × {plan.rounded['plasma_volume_ml'] / 100:g} dL ÷ {doses['cryo_mg_per_unit']:g} mg⌉",
            _("to %(target)s g/L; %(mg)s mg of fibrinogen per unit (a local value)")
            % {"target": f"{target:g}", "mg": f"{doses['cryo_mg_per_unit']:g}"},
        ),
        ResultRow(
            _("Fibrinogen: concentrate"),
            f"{doses['concentrate_mg']}\u00a0mg",
            f"{gap} mg/dL ÷ 1.7 = {doses['concentrate_mg_per_kg']:g} mg/kg × {request.weight_kg:g} kg",
            _("RiaSTAP label"),
        ),
    ]


def _tpe_rows(plan: ExchangePlan) -> list[ResultRow]:
    """The exchange, its removal and the replacement fluids of a plasma exchange."""
    shown = plan.rounded
    request, fluids = plan.request, shown["replacement"]
    rows = [_exchange_row(plan)]
    if request.prescription is not Prescription.PLASMA_VOLUMES:
        rows.append(
            ResultRow(
                _("Equivalent plasma volumes"),
                volumes_words(request),
                f"{shown['exchange_volume_ml']} mL ÷ {shown['plasma_volume_ml']} mL",
            )
        )
    rows.append(
        ResultRow(
            _("Expected removal"),
            f"{shown['removal_fraction'] * 100:.1f}\u00a0%",
            f"1 − e^(−{volumes_words(request)})",
            _("one-compartment model, isovolaemic exchange"),
        )
    )
    if fluids["saline_ml"]:
        rows.append(
            ResultRow(
                _("Saline 0.9 %, given first"),
                _ml(fluids["saline_ml"]),
                f"{request.fluids.shares.saline:g} × {_ml(fluids['total_ml'])}",
            )
        )
    if fluids["albumin_ml"]:
        products = request.products
        rows += [
            ResultRow(
                _("Albumin %(percent)s %%") % {"percent": f"{products.target_albumin_percent:g}"},
                _ml(fluids["albumin_ml"]),
                f"{request.fluids.shares.albumin:.3g} × {_ml(fluids['total_ml'])}",
            ),
            ResultRow(
                _("Albumin"),
                f"{fluids['albumin_g']:g}\u00a0g",
                f"{_ml(fluids['albumin_ml'])} × {products.target_albumin_percent:g} %",
            ),
            ResultRow(
                _("Albumin vials"),
                str(fluids["albumin_vials"]),
                f"⌈{fluids['albumin_g']:g} g ÷ {products.albumin_grams_per_vial:g} g⌉ "
                f"({products.albumin_percent:g} % {products.albumin_vial_ml:g} mL)",
            ),
            ResultRow(
                _("Saline to dilute the albumin"),
                _ml(fluids["albumin_diluent_ml"]),
                f"{fluids['albumin_vials']} × {products.albumin_vial_ml:g} mL × "
                f"({products.albumin_percent:g} ÷ {products.target_albumin_percent:g} − 1)",
                # xgettext:no-python-format
                _("0.9 % saline, never sterile water (haemolysis, CDC MMWR 1999)"),
            ),
        ]
    if fluids["plasma_ml"]:
        rows += [
            ResultRow(
                _("Plasma, given last"),
                _ml(fluids["plasma_ml"]),
                f"{request.fluids.shares.plasma:.3g} × {_ml(fluids['total_ml'])}",
            ),
            ResultRow(
                _("Plasma units"),
                str(fluids["plasma_units"]),
                f"⌈{fluids['plasma_ml']} mL ÷ {request.products.plasma_unit_ml:g} mL⌉",
            ),
        ]
    if fluids["saline_bags"]:
        rows.append(
            ResultRow(
                _("Saline bags"),
                str(fluids["saline_bags"]),
                f"⌈({fluids['saline_ml']} + {fluids['albumin_diluent_ml']}) mL ÷ "
                f"{request.products.saline_bag_ml:g} mL⌉",
            )
        )
    return rows


def _dfpp_rows(plan: ExchangePlan) -> list[ResultRow]:
    """Double filtration: the plasma processed for the target removal, the albumin taken, the discard."""
    shown, settings_, result = plan.rounded, plan.request.dfpp, plan.rounded["dfpp"]
    fractionator, fluids, products = settings_.fractionator, shown["replacement"], plan.request.products
    removed_igg = f"{fractionator.removed(fractionator.sc_igg):g}"
    ratio = settings_.discarded_share
    removed_albumin = f"{fractionator.removed(fractionator.sc_albumin):g}"
    sieving = (
        _("%(name)s: sieving coefficients IgG %(igg)s, albumin %(albumin)s, fraction returned")
        if fractionator.sieving == "returned"
        else _("%(name)s: sieving coefficients IgG %(igg)s, albumin %(albumin)s, fraction passing into the discard")
    ) % {"name": fractionator.name, "igg": f"{fractionator.sc_igg:g}", "albumin": f"{fractionator.sc_albumin:g}"}
    return [
        ResultRow(
            _("Plasma processed"),
            _ml(shown["processed_plasma_ml"]),
            f"−ln(1 − {settings_.target_removal:g}) ÷ {removed_igg} × {shown['plasma_volume_ml']} mL "
            f"({shown['processed_plasma_volumes']:.2f} PV)",
            sieving,
        ),
        ResultRow(
            _("Expected IgG removal"),
            f"{settings_.target_removal * 100:.1f}\u00a0%",
            str(_("the target")),
            _("one-compartment model (dfpp-sim)"),
        ),
        ResultRow(
            _("Albumin taken by the fractionator"),
            f"{result['albumin_lost_g']:g}\u00a0g",
            f"{shown['processed_plasma_ml'] / 100:g} dL × {settings_.albumin_g_per_dl:g} g/dL × {removed_albumin}",
        ),
        ResultRow(
            _("Discard = replacement"),
            _ml(result["discard_ml"]),
            f"{shown['processed_plasma_ml']} mL × {ratio:g}",
        ),
        ResultRow(
            _("Albumin concentration of the replacement"),
            f"{result['discard_albumin_percent']:g}\u00a0%",
            f"{result['albumin_lost_g']:g} g ÷ {result['discard_ml']} mL",
        ),
        ResultRow(
            _("Albumin vials"),
            str(fluids["albumin_vials"]),
            f"⌈{fluids['albumin_g']:g} g ÷ {products.albumin_grams_per_vial:g} g⌉ "
            f"({products.albumin_percent:g} % {products.albumin_vial_ml:g} mL)",
        ),
        ResultRow(
            _("Saline to make up the discard"),
            _ml(fluids["albumin_diluent_ml"]),
            f"{result['discard_ml']} mL − {fluids['albumin_vials']} × {products.albumin_vial_ml:g} mL",
            # xgettext:no-python-format
            _("0.9 % saline, never sterile water (haemolysis, CDC MMWR 1999)"),
        ),
        ResultRow(
            _("Plasma flow; discard flow"),
            f"{settings_.plasma_flow_ml_per_min:g}; {result['discard_flow_ml_per_min']:g}\u00a0mL/min",
            f"{settings_.plasma_flow_ml_per_min:g} mL/min × {ratio:g}",
        ),
    ]


def _ia_rows(plan: ExchangePlan) -> list[ResultRow]:
    """Immunoadsorption: the plasma the column processes, capped at what it takes; no replacement fluid."""
    shown, settings_, result = plan.rounded, plan.request.ia, plan.rounded["ia"]
    column = settings_.column
    rows = [
        ResultRow(
            _("Plasma prescribed"),
            _ml(result["prescribed_ml"]),
            _exchange_row(plan).formula,
        ),
        ResultRow(
            _("Plasma processed"),
            _ml(shown["processed_plasma_ml"]),
            (
                _("capped at %(cap)s mL, what %(column)s takes a session")
                % {"cap": f"{column.max_processed_ml:g}", "column": column.name}
            )
            if result["is_capped"]
            else str(_("as prescribed")),
        ),
        ResultRow(
            _("Processed plasma volumes"),
            f"{shown['processed_plasma_volumes']:.2f}",
            f"{shown['processed_plasma_ml']} mL ÷ {shown['plasma_volume_ml']} mL",
        ),
    ]
    if column.igg_efficiency is None:
        rows.append(ResultRow(_("Expected IgG removal"), "—", str(_("no efficiency entered for the column"))))
    else:
        rows.append(
            ResultRow(
                _("Expected IgG removal"),
                f"{shown['removal_fraction'] * 100:.1f}\u00a0%",
                f"1 − e^(−{column.igg_efficiency:g} × {shown['processed_plasma_volumes']:.3f})",
                _("the column's efficiency, as the unit entered it"),
            )
        )
    rows.append(ResultRow(_("Replacement fluid"), "—", str(_("none beyond the prime and rinse"))))
    return rows


def result_rows(plan: ExchangePlan) -> list[ResultRow]:
    """Every number of a plan with the formula, filled in with this patient's values, and its source."""
    shown = plan.rounded
    request, fluids, device = plan.request, shown["replacement"], plan.request.device
    ratio = device.inlet_ac_ratio
    rows = [
        ResultRow(
            _("Total blood volume"),
            _ml(shown["total_blood_volume_ml"]),
            plan.blood_volume.formula,
            plan.blood_volume.source,
        ),
        ResultRow(
            _("Plasma volume"),
            _ml(shown["plasma_volume_ml"]),
            f"TBV × (1 − Hct) = {shown['total_blood_volume_ml']} × (1 − {request.haematocrit:g})",
        ),
    ]
    if plan.dfpp is not None:
        rows += _dfpp_rows(plan)
    elif plan.ia is not None:
        rows += _ia_rows(plan)
    else:
        rows += _tpe_rows(plan)
    rows += [
        ResultRow(
            _("Whole blood processed"),
            _ml(shown["whole_blood_processed_ml"]),
            f"{shown['processed_plasma_ml']} ÷ ((1 − {request.haematocrit:g}) × {device.plasma_removal_efficiency:g})",
            _("%(device)s, plasma removal efficiency %(efficiency)s")
            % {"device": device.name, "efficiency": f"{device.plasma_removal_efficiency:g}"},
        ),
        ResultRow(
            _("Inlet volume"),
            _ml(shown["inlet_volume_ml"]),
            f"WB × {ratio:g} ÷ ({ratio:g} − 1)" if ratio else str(_("heparin: inlet = whole blood")),
        ),
    ]
    if shown["anticoagulant_ml"] is not None:
        rows.append(ResultRow(_("ACD-A"), _ml(shown["anticoagulant_ml"]), f"inlet ÷ {ratio:g}"))
    if shown["max_inlet_flow_ml_per_min"] is not None:
        tbv_l = shown["total_blood_volume_ml"] / 1000
        limit = plan.policy.ac_rate_limit_ml_per_min_per_l
        rows += [
            ResultRow(
                _("ACD-A infusion rate"),
                f"{shown['ac_rate_ml_per_min_per_l']:g}\u00a0mL/min/L",
                f"{device.inlet_flow_ml_per_min:g} mL/min ÷ {ratio:g} ÷ {tbv_l:g} L "
                + str(_("(per litre of blood volume)")),
            ),
            ResultRow(
                _("Highest inlet flow for the AC limit"),
                f"{shown['max_inlet_flow_ml_per_min']:g}\u00a0mL/min",
                f"{limit:g} mL/min/L × {tbv_l:g} L × {ratio:g}",
                _("assumes all the ACD-A reaches the patient: a conservative bound"),
            ),
        ]
    rows += [
        ResultRow(
            _("Estimated duration"),
            f"{shown['duration_min']}\u00a0min",
            f"{shown['inlet_volume_ml']} mL ÷ {device.inlet_flow_ml_per_min:g} mL/min"
            if request.modality == "tpe"
            else str(_("the longer of"))
            + f" {shown['inlet_volume_ml']} mL ÷ {device.inlet_flow_ml_per_min:g} mL/min "
            + str(_("and"))
            + f" {shown['processed_plasma_ml']} mL ÷ "
            f"{(request.dfpp or request.ia).plasma_flow_ml_per_min:g} mL/min " + str(_("plasma flow")),
        ),
        ResultRow(
            _("Calcium gluconate 10 %"),
            f"{shown['calcium_gluconate_ml']:g}\u00a0mL",
            f"{plan.policy.calcium_ml_per_litre:g} mL/L × "
            f"{(fluids['total_ml'] if request.modality == 'tpe' else shown['processed_plasma_ml']) / 1000:.2f} L "
            + str(_("returned")),
            _("Weinstein, J Clin Apher 1996"),
        ),
        ResultRow(
            _("Extracorporeal volume"),
            f"{shown['extracorporeal_percent']:g}\u00a0%",
            f"{device.ecv_typical_ml:g} mL ÷ TBV ({shown['extracorporeal_max_percent']:g} % "
            f"{_('at')} {device.ecv_max_ml:g} mL)",
        ),
    ]
    doses = shown["fibrinogen_doses"]
    if doses:
        rows += _fibrinogen_rows(plan, doses)
    prime = shown.get("prime")
    if prime:
        # Mass balance (planner/core/prime.py): the arithmetic with this patient's numbers.
        tbv, ecv, hct = shown["total_blood_volume_ml"], prime["circuit_ml"], request.haematocrit
        rows += [
            ResultRow(
                _("Haematocrit after a saline prime"),
                f"{prime['saline_haematocrit']:g}",
                f"{hct:g} × {tbv} ÷ ({tbv} + {ecv})",
            ),
            ResultRow(
                _("Prime: red cells"),
                f"{prime['rbc_ml']:g}\u00a0mL",
                f"Hct_prime × {ecv} ÷ {prime['rbc_haematocrit']:g}; Hct_prime = ({prime['target_haematocrit']:g} × "
                f"({tbv} + {ecv}) − {hct:g} × {tbv}) ÷ {ecv} = {prime['prime_haematocrit']:g}",
                _("mass balance, to keep the haematocrit at %(target)s")
                % {"target": f"{prime['target_haematocrit']:g}"},
            ),
            ResultRow(
                # xgettext:no-python-format
                _("Prime: albumin 5 %"),
                f"{prime['albumin_ml']:g}\u00a0mL",
                f"{ecv} − {prime['rbc_ml']:g}",
            ),
        ]
    return rows
