from datetime import date, datetime, timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from planner import plans
from planner.calculator import BUILD_CHOICES, METHOD_CHOICES
from planner.core import limits
from planner.core.blood_volume import Method, default_method
from planner.core.exchange import FIXED_ML_LIMITS, ML_PER_KG_LIMITS
from planner.core.identity import normalise_mrn
from planner.core.limits import InputError, parse_id
from planner.core.replacement import Shares
from planner.errors import WorkflowError
from planner.models import (
    MEASURED_FIELDS,
    AdsorptionColumn,
    AdverseEvent,
    Approval,
    Consent,
    Course,
    Device,
    Fractionator,
    Indication,
    IndicationModality,
    IssuedProduct,
    Measurement,
    Patient,
    Product,
    RunSheetEntry,
    SessionAddendum,
    SessionRecord,
)
from planner.session_limits import sessions_beyond_usual
from planner.validators import in_range

# A clock a few minutes ahead on a ward PC must not block charting.
FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


class IsoDateInput(forms.DateInput):
    """A date typed or picked as YYYY-MM-DD in every language.

    Not the browser's own date input, which follows the browser's locale (mm/dd/yyyy) whatever the
    page's language: a text field, with the vendored picker (static/planner/planner.js) on it.
    """

    input_type = "text"

    def __init__(self, attrs: dict | None = None) -> None:
        iso = {"placeholder": "YYYY-MM-DD", "inputmode": "numeric", "autocomplete": "off", "data-datepicker": ""}
        super().__init__({**iso, **(attrs or {})}, format="%Y-%m-%d")


class IsoDateTimeInput(forms.DateTimeInput):
    """A date and time typed as YYYY-MM-DD HH:MM in every language (a text field, as IsoDateInput)."""

    input_type = "text"

    def __init__(self, attrs: dict | None = None) -> None:
        iso = {"placeholder": "YYYY-MM-DD HH:MM", "autocomplete": "off"}
        super().__init__({**iso, **(attrs or {})}, format="%Y-%m-%d %H:%M")


class PlausibleDateTimeField(forms.DateTimeField):
    """A date and time between 1900 and 2100, entered with the ISO picker.

    Year 1 once reached the time-zone conversion and overflowed it into a server error (found by
    tests/test_hostile_input.py); a clinical time outside these years is a typing error anyway.
    """

    widget = IsoDateTimeInput

    def to_python(self, value: object) -> datetime | None:
        try:
            result = super().to_python(value)
        except OverflowError:
            result = None
            out_of_range = True
        else:
            out_of_range = result is not None and not 1900 <= result.year <= 2100
        if out_of_range:
            raise forms.ValidationError(_("Enter a date between 1900 and 2100."), code="out_of_range")
        return result


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = [
            "mrn",
            "family_name",
            "given_name",
            "sex",
            "date_of_birth",
            "abo_group",
            "rhd",
            "allergies",
            "notes",
        ]
        widgets = {
            "date_of_birth": IsoDateInput(),
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    # Shown only when another patient has the same name and date of birth (see clean()).
    confirm_other_person = forms.BooleanField(
        label=_("This is another person, with the same name and date of birth"),
        required=False,
        widget=forms.HiddenInput(),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for name in ("abo_group", "rhd"):
            if name not in self.fields:
                continue  # read-only for this reader (the administration shows the record without a form)
            field = self.fields[name]
            field.choices = [("", _("Not known yet")), *field.choices[1:]]

    def clean_mrn(self) -> str:
        # Typed, scanned or pasted: one canonical form, so a look-alike never makes a second patient.
        return normalise_mrn(self.cleaned_data["mrn"])

    def clean(self) -> dict:
        cleaned = super().clean()
        twins = self.possible_duplicates(cleaned)
        if twins and not cleaned.get("confirm_other_person"):
            if "confirm_other_person" in self.fields:
                self.fields["confirm_other_person"].widget = forms.CheckboxInput()
            raise forms.ValidationError(
                _(
                    "A patient with the same name and date of birth is already recorded under MRN %(mrns)s. "
                    "If this is the same person, open that record instead; if it is another person, tick "
                    "the box below and save again."
                ),
                code="possible_duplicate",
                params={"mrns": ", ".join(twins)},
            )
        return cleaned

    def possible_duplicates(self, cleaned: dict) -> list[str]:
        """MRNs of other patients with this name and date of birth: probably the same person."""
        if not all(cleaned.get(name) for name in ("family_name", "date_of_birth")) or not cleaned.get("mrn"):
            return []
        found = Patient.objects.filter(
            family_name=cleaned["family_name"],
            given_name=cleaned.get("given_name", ""),
            date_of_birth=cleaned["date_of_birth"],
        ).exclude(mrn=cleaned["mrn"])
        if self.instance.pk:
            found = found.exclude(pk=self.instance.pk)
        return list(found.values_list("mrn", flat=True)[:5])

    def clean_date_of_birth(self) -> date:
        born_on = self.cleaned_data["date_of_birth"]
        if born_on > timezone.localdate():
            raise forms.ValidationError(_("The date of birth cannot be in the future."), code="future")
        if born_on < EARLIEST_BIRTH_DATE:
            raise forms.ValidationError(
                _("The date of birth must be after %(earliest)s."),
                code="too_early",
                params={"earliest": EARLIEST_BIRTH_DATE.isoformat()},
            )
        return born_on


class MeasurementForm(forms.ModelForm):
    class Meta:
        model = Measurement
        fields = ["taken_at", *MEASURED_FIELDS, "marker_name", "marker_value", "marker_is_igg_antibody"]
        widgets = {"taken_at": IsoDateTimeInput()}
        field_classes = {"taken_at": PlausibleDateTimeField}

    def __init__(self, *args: object, patient: Patient, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
        if not self.instance.pk:
            self.initial.setdefault("taken_at", timezone.localtime().replace(second=0, microsecond=0))

    def clean_taken_at(self) -> datetime:
        taken_at = self.cleaned_data["taken_at"]
        if taken_at > timezone.now() + FUTURE_TOLERANCE:
            raise forms.ValidationError(_("The time taken cannot be in the future."), code="future")
        if timezone.localtime(taken_at).date() < self.patient.date_of_birth:
            raise forms.ValidationError(_("The time taken is before the patient's date of birth."), code="before_birth")
        return taken_at

    def clean(self) -> dict:
        cleaned = super().clean()
        name, value = cleaned.get("marker_name", ""), cleaned.get("marker_value", "")
        if name and not value:
            self.add_error("marker_value", _("Enter the result for %(marker)s.") % {"marker": name})
        if value and not name:
            self.add_error("marker_name", _("Name the marker this result belongs to."))
        fields_with_errors = set(self.errors)
        has_value = any(cleaned.get(field) is not None for field in MEASURED_FIELDS) or name
        if not has_value and not fields_with_errors - {"taken_at"}:
            raise forms.ValidationError(_("Enter at least one measurement."), code="empty")
        return cleaned


class PatientSearchForm(forms.Form):
    q = forms.CharField(label=_("MRN or name"), max_length=100)


class IndicationFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    category = forms.ChoiceField(
        label=_("ASFA category"),
        choices=[("", _("All categories")), *Indication.Category.choices],
        required=False,
    )


class CourseForm(forms.ModelForm):
    """A course's prescription. The fluid shares start from the rule's proposal; changing them needs a reason."""

    method = forms.ChoiceField(label=_("Blood-volume method"), choices=METHOD_CHOICES, initial=Method.NADLER.value)
    build = forms.ChoiceField(label=_("Build (Gilcher)"), choices=BUILD_CHOICES, required=False)

    class Meta:
        model = Course
        fields = [
            "indication",
            "urgency",
            "modality",
            "fractionator",
            "target_removal",
            "albumin_g_per_dl",
            "column",
            "prescription",
            "plasma_volumes",
            "prescribed_amount",
            "method",
            "build",
            "bleeding_or_coagulopathy",
            "procedure_within_48h",
            "liver_failure",
            "diffuse_alveolar_haemorrhage",
            "saline_share_wanted",
            "plasma_for_low_fibrinogen",
            "albumin_fraction",
            "plasma_fraction",
            "saline_fraction",
            "fluid_override_reason",
            "sessions_count",
            "sessions_extension_reason",
            "pattern",
            "every_n_days",
            "weekdays",
            "first_on",
            "device",
            "vascular_access",
            "anticoagulant",
            "inlet_ac_ratio",
            "inlet_flow_ml_per_min",
            "calcium_prophylaxis",
            "on_ace_inhibitor",
            "rituximab_last_at",
            "ivig_last_at",
            "notes",
            "amendment_reason",
        ]
        widgets = {
            "first_on": IsoDateInput(),
            "rituximab_last_at": IsoDateTimeInput(),
            "ivig_last_at": IsoDateTimeInput(),
            "fluid_override_reason": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "amendment_reason": forms.Textarea(attrs={"rows": 2}),
            "sessions_extension_reason": forms.Textarea(attrs={"rows": 2}),
        }
        field_classes = {"rituximab_last_at": PlausibleDateTimeField, "ivig_last_at": PlausibleDateTimeField}

    def __init__(self, *args: object, patient: Patient, amending: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields["indication"].queryset = Indication.objects.filter(is_active=True)
        self.fields["device"].queryset = Device.objects.filter(is_active=True)
        self.fields["amendment_reason"].required = amending
        self.fields["prescription"].required = False
        self.fields["modality"].required = False
        self._offer_modalities()
        self.fields["fractionator"].queryset = Fractionator.objects.filter(is_active=True)
        self.fields["column"].queryset = AdsorptionColumn.objects.filter(is_active=True)
        if not amending:
            del self.fields["amendment_reason"]
        if not self.is_bound and not self.instance.pk:
            # A new course starts from the patient's own method: the paediatric table for a child it covers.
            self.fields["method"].initial = self._default_method(patient).value
        self.proposal = None
        self.inputs: dict = {}
        # The live plan of the course as filled in, once the form is valid (see _post_clean).
        self.plan = None

    @staticmethod
    def _default_method(patient: Patient) -> Method:
        weight = patient.latest_measurements()["weight_kg"]
        if weight is None:
            return Method.NADLER
        age = patient.age_for_calculation(timezone.localdate())
        return default_method(age, float(weight.value), plans.policy_from_settings().paediatric)

    def _offer_modalities(self) -> None:
        """TPE, and the DFPP or IA the catalogue lists for the indication, each with its ASFA category."""
        key = self.add_prefix("indication")
        chosen = self.data.get(key) if self.is_bound else self.initial.get("indication", self.instance.indication_id)
        chosen = getattr(chosen, "pk", chosen)
        chosen = parse_id(chosen)
        if chosen is None:
            return
        rows = IndicationModality.objects.filter(indication_id=chosen, is_active=True)
        offered = {row.modality: row for row in rows}
        self.fields["modality"].choices = [
            (value, label)
            if value == Course.Modality.TPE
            else (value, f"{label} — ASFA {offered[value].category}/{offered[value].grade}")
            for value, label in Course.Modality.choices
            if value == Course.Modality.TPE or value in offered
        ]

    def _clean_modality(self, cleaned: dict) -> None:
        """TPE, or DFPP or IA where the catalogue offers it for the indication, on a device that runs it,
        with its fractionator or column; what belongs to another modality is cleared."""
        modality = cleaned["modality"] = cleaned.get("modality") or Course.Modality.TPE
        keep = {
            Course.Modality.TPE: set(),
            Course.Modality.DFPP: {"fractionator", "target_removal", "albumin_g_per_dl"},
            Course.Modality.IA: {"column"},
        }[modality]
        for name in {"fractionator", "target_removal", "albumin_g_per_dl", "column"} - keep:
            cleaned[name] = None
        for name in keep:
            if cleaned.get(name) is None and name not in self.errors:
                self.add_error(name, _("Needed for %(modality)s.") % {"modality": Course.Modality(modality).label})
        if modality == Course.Modality.TPE:
            return
        indication, device = cleaned.get("indication"), cleaned.get("device")
        if indication is not None and not indication.modalities.filter(modality=modality, is_active=True).exists():
            self.add_error(
                "modality",
                _("The catalogue offers no %(modality)s for %(indication)s.")
                % {"modality": Course.Modality(modality).label, "indication": indication},
            )
        if device is not None and not device.runs(modality):
            self.add_error(
                "device",
                _("%(device)s does not run %(modality)s.")
                % {"device": device, "modality": Course.Modality(modality).label},
            )
        removal = cleaned.get("target_removal")
        if removal is not None and not Decimal("0.05") <= removal <= Decimal("0.95"):
            self.add_error(
                "target_removal",
                # xgettext:no-python-format
                _("The target IgG removal is a fraction from 0.05 to 0.95 (0.60 for 60 %)."),
            )
        albumin = cleaned.get("albumin_g_per_dl")
        if albumin is not None and not 1 <= albumin <= 6:
            self.add_error("albumin_g_per_dl", _("Serum albumin is 1–6 g/dL."))

    def _clean_prescription(self, cleaned: dict) -> None:
        """One prescription: plasma volumes, or an amount in mL/kg or mL; the other is cleared."""
        # Not given (an older client): plasma volumes, the prescription every course had before.
        kind = cleaned["prescription"] = cleaned.get("prescription") or Course.Prescription.PLASMA_VOLUMES
        if kind == Course.Prescription.PLASMA_VOLUMES:
            cleaned["prescribed_amount"] = None
            if cleaned.get("plasma_volumes") is None and "plasma_volumes" not in self.errors:
                self.add_error("plasma_volumes", _("Give the plasma volumes to exchange."))
        elif kind:
            cleaned["plasma_volumes"] = None
            low, high = ML_PER_KG_LIMITS if kind == Course.Prescription.ML_PER_KG else FIXED_ML_LIMITS
            amount = cleaned.get("prescribed_amount")
            if amount is None:
                if "prescribed_amount" not in self.errors:
                    self.add_error(
                        "prescribed_amount",
                        _("Give the mL/kg to exchange.")
                        if kind == Course.Prescription.ML_PER_KG
                        else _("Give the volume to exchange in mL."),
                    )
            elif not low <= amount <= high:
                self.add_error(
                    "prescribed_amount",
                    _("%(value)s is outside the limits %(low)s–%(high)s.")
                    % {"value": f"{amount:g}", "low": f"{low:g}", "high": f"{high:g}"},
                )

    def clean_first_on(self) -> date:
        first_on = self.cleaned_data["first_on"]
        if first_on < timezone.localdate():
            raise forms.ValidationError(_("The first session cannot be in the past."), code="past")
        return first_on

    def clean(self) -> dict:
        cleaned = super().clean()
        try:
            snapshot = plans.snapshot_of(self.patient)
        except InputError as error:
            raise forms.ValidationError(error.message) from None
        self.inputs = snapshot.as_json()
        if cleaned.get("indication") is not None:
            # Proposed as soon as the indication is known, so staff see it while filling in the rest.
            fibrinogen = snapshot.fibrinogen_g_per_l
            self.proposal = plans.propose(
                cleaned["indication"],
                age_years=self.patient.age_for_calculation(cleaned.get("first_on") or timezone.localdate()),
                facts={fact: cleaned.get(fact, False) for fact in plans.FACTS},
                fibrinogen_g_per_l=None if fibrinogen is None else float(fibrinogen.value),
            )
        self._clean_prescription(cleaned)
        self._clean_modality(cleaned)
        if self.errors:
            return cleaned
        total = cleaned["albumin_fraction"] + cleaned["plasma_fraction"] + cleaned["saline_fraction"]
        if abs(total - 1) > Decimal("0.005"):
            self.add_error("albumin_fraction", _("The albumin, plasma and saline shares must add up to 1."))
        elif Shares.from_fractions(cleaned).differs_from(self.proposal.shares) and not self._reason(cleaned):
            self.add_error(
                "fluid_override_reason",
                _("The shares differ from the proposal: give the reason for overriding it."),
            )
        beyond = sessions_beyond_usual(
            cleaned["indication"], cleaned["sessions_count"], cleaned.get("sessions_extension_reason", "")
        )
        if beyond:
            self.add_error("sessions_extension_reason", beyond)
        if cleaned["pattern"] == Course.Pattern.WEEKDAYS and not cleaned.get("weekdays"):
            self.add_error("weekdays", _("Choose the weekdays, for example 0,2,4 for Monday, Wednesday, Friday."))
        if cleaned.get("weekdays"):
            try:
                days = {int(day) for day in cleaned["weekdays"].split(",") if day.strip()}
            except ValueError:
                days = {-1}
            if not days or not days <= set(range(7)):
                self.add_error("weekdays", _("Weekdays are numbers 0 (Monday) to 6 (Sunday), separated by commas."))
        return cleaned

    @staticmethod
    def _reason(cleaned: dict) -> str:
        return cleaned.get("fluid_override_reason", "").strip()

    def _post_clean(self) -> None:
        # The instance now holds what was typed: compute its plan, which the page shows and saving stores.
        super()._post_clean()
        course = self.instance
        course.patient, course.inputs = self.patient, self.inputs
        if self.errors:
            return
        try:
            self.plan = plans.live_plan(course)
        except WorkflowError as error:
            self.add_error(None, error.message)
            return
        trigger = self.plan.policy.fibrinogen_trigger_g_per_l
        declined = (
            not course.plasma_for_low_fibrinogen
            and self.plan.course is not None
            and self.plan.course.fibrinogen_low_sessions(trigger)
            and course.indication.replacement_policy != "plasma_avoided"
        )
        if declined and not self._reason(self.cleaned_data):
            self.add_error(
                "fluid_override_reason",
                _(
                    "Fibrinogen is projected under the trigger and the plasma proposed for those sessions is "
                    "declined: give the reason."
                ),
            )


class ProcedureMoveForm(forms.Form):
    device = forms.ModelChoiceField(label=_("Device"), queryset=Device.objects.filter(is_active=True))
    starts_at = PlausibleDateTimeField(label=_("Starts at"), widget=IsoDateTimeInput())
    reason = forms.CharField(label=_("Reason for the move"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class SessionFibrinogenForm(forms.Form):
    fibrinogen_g_per_l = forms.DecimalField(
        label=_("Fibrinogen today (g/L)"),
        max_digits=5,
        decimal_places=2,
        validators=[in_range(limits.FIBRINOGEN_G_PER_L, "g/L")],
    )


class SessionRecordForm(forms.ModelForm):
    class Meta:
        model = SessionRecord
        fields = [
            "consent_confirmed",
            "ace_inhibitor_held",
            "access_working",
            "systolic_bp_mmhg",
            "diastolic_bp_mmhg",
            "heart_rate_per_min",
            "ionised_calcium_mmol_per_l",
            "started_at",
            "ended_at",
            "whole_blood_processed_ml",
            "plasma_removed_ml",
            "albumin_given_ml",
            "plasma_given_ml",
            "saline_given_ml",
            "anticoagulant_used_ml",
            "calcium_given_ml",
            "inlet_flow_ml_per_min",
            "plasma_flow_ml_per_min",
            "inlet_ac_ratio",
            "ac_infusion_rate",
            "kit_lot",
            "anticoagulant_lot",
            "device_serial",
            "outcome",
            "outcome_reason",
            "deviation_reason",
            "notes",
        ]
        widgets = {
            "started_at": IsoDateTimeInput(),
            "ended_at": IsoDateTimeInput(),
            "outcome_reason": forms.Textarea(attrs={"rows": 2}),
            "deviation_reason": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        field_classes = {"started_at": PlausibleDateTimeField, "ended_at": PlausibleDateTimeField}

    def clean(self) -> dict:
        cleaned = super().clean()
        started, ended = cleaned.get("started_at"), cleaned.get("ended_at")
        if ended and not started:
            self.add_error("started_at", _("Record when the procedure started."))
        elif started and ended and ended <= started:
            self.add_error("ended_at", _("The end must be after the start."))
        for moment in ("started_at", "ended_at"):
            if cleaned.get(moment) and cleaned[moment] > timezone.now() + FUTURE_TOLERANCE:
                self.add_error(moment, _("This time is in the future."))
        outcome = cleaned.get("outcome")
        if outcome in ("stopped_early", "not_started") and not cleaned.get("outcome_reason", "").strip():
            self.add_error("outcome_reason", _("Give the reason the procedure was stopped or not started."))
        if outcome == "completed" and not (started and ended):
            self.add_error("ended_at", _("A completed procedure needs its start and end times."))
        if outcome in ("in_progress", "completed") and not (
            cleaned.get("consent_confirmed") and cleaned.get("access_working")
        ):
            self.add_error("consent_confirmed", _("Confirm consent and working access before the procedure."))
        return cleaned


class RunSheetEntryForm(forms.ModelForm):
    """One timed row of the run sheet, added as the run goes."""

    class Meta:
        model = RunSheetEntry
        fields = [
            "taken_at",
            "systolic_bp_mmhg",
            "diastolic_bp_mmhg",
            "heart_rate_per_min",
            "spo2_percent",
            "ionised_calcium_mmol_per_l",
            "calcium_given_ml",
            "symptoms",
        ]
        widgets = {"taken_at": IsoDateTimeInput()}
        field_classes = {"taken_at": PlausibleDateTimeField}

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", "run_%s")  # distinct HTML ids on the shared session page
        kwargs.setdefault("initial", {"taken_at": timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)})
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        cleaned = super().clean()
        measured = [name for name in self.Meta.fields if name != "taken_at" and cleaned.get(name) not in (None, "")]
        if not measured:
            raise forms.ValidationError(_("Enter at least one value for this time."))
        if cleaned.get("taken_at") and cleaned["taken_at"] > timezone.now() + FUTURE_TOLERANCE:
            self.add_error("taken_at", _("This time is in the future."))
        systolic, diastolic = cleaned.get("systolic_bp_mmhg"), cleaned.get("diastolic_bp_mmhg")
        if systolic is not None and diastolic is not None and systolic <= diastolic:
            self.add_error("diastolic_bp_mmhg", _("The diastolic pressure must be below the systolic."))
        return cleaned


class AdverseEventForm(forms.ModelForm):
    class Meta:
        model = AdverseEvent
        fields = [
            "kind",
            "severity",
            "occurred_at",
            "action_taken",
            "procedure_interrupted",
            "procedure_stopped",
            "outcome",
        ]
        widgets = {
            "occurred_at": IsoDateTimeInput(),
            "action_taken": forms.Textarea(attrs={"rows": 2}),
            "outcome": forms.Textarea(attrs={"rows": 2}),
        }
        field_classes = {"occurred_at": PlausibleDateTimeField}

    def __init__(self, *args: object, **kwargs: object) -> None:
        # Shares the session page with the record form, which also has an "outcome": distinct HTML ids.
        kwargs.setdefault("auto_id", "event_%s")
        super().__init__(*args, **kwargs)

    def clean_occurred_at(self) -> datetime:
        occurred_at = self.cleaned_data["occurred_at"]
        if occurred_at > timezone.now() + FUTURE_TOLERANCE:
            raise forms.ValidationError(_("This time is in the future."), code="future")
        return occurred_at


class IssuedProductForm(forms.ModelForm):
    class Meta:
        model = IssuedProduct
        fields = ["product", "lot_number", "abo_group", "quantity"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", "issue_%s")  # distinct HTML ids on the shared session page
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(is_active=True)
        self.fields["abo_group"] = forms.ChoiceField(
            label=_("ABO (plasma)"), choices=[("", "—"), *Patient.AboGroup.choices], required=False
        )
        if settings.TWO_PERSON_CHECKS:
            # Named signers: who cross-matched the plasma, and a colleague who re-checks the issue with
            # their own password (planner/views/records.py confirms it).
            self.fields["crossmatched_by"] = forms.ModelChoiceField(
                label=_("Cross-matched by"), queryset=blood_bank_staff(), required=False
            )
            self.fields["recheck_username"] = forms.CharField(label=_("Re-checked by: user name"), max_length=150)
            self.fields["recheck_password"] = forms.CharField(
                label=_("Re-checked by: password"),
                strip=False,
                widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        product = cleaned.get("product")
        if product is not None and product.kind == Product.Kind.PLASMA and not cleaned.get("abo_group"):
            self.add_error("abo_group", _("Give the ABO group of the plasma issued."))
        if (
            settings.TWO_PERSON_CHECKS
            and product is not None
            and product.kind == Product.Kind.PLASMA
            and not cleaned.get("crossmatched_by")
        ):
            self.add_error("crossmatched_by", _("Name who cross-matched the plasma."))
        return cleaned


def blood_bank_staff() -> object:
    """Active staff who may issue products (directly, through a role, or as superusers): the blood bank's signers."""
    issue = Permission.objects.filter(codename="add_issuedproduct", content_type__app_label="planner")
    holders = Q(is_superuser=True) | Q(groups__permissions__in=issue) | Q(user_permissions__in=issue)
    return get_user_model().objects.filter(holders, is_active=True).distinct().order_by("last_name", "username")


class SessionAddendumForm(forms.ModelForm):
    class Meta:
        model = SessionAddendum
        fields = ["reason", "correction"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 2}), "correction": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", "addendum_%s")  # distinct HTML ids on the shared session page
        super().__init__(*args, **kwargs)


class ApprovalForm(forms.Form):
    step = forms.ChoiceField(choices=Approval.Step.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 1}))


class ConsentForm(forms.ModelForm):
    """One consent as it now stands: signed (by whom, when), not signed, or the emergency path (with a note)."""

    class Meta:
        model = Consent
        fields = ["kind", "state", "signer", "signed_at", "note"]
        widgets = {"signed_at": IsoDateTimeInput(), "note": forms.Textarea(attrs={"rows": 2})}
        field_classes = {"signed_at": PlausibleDateTimeField}

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", "consent_%s")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        cleaned = super().clean()
        state = cleaned.get("state")
        cleaned["signer"] = cleaned.get("signer", "").strip()
        cleaned["note"] = cleaned.get("note", "").strip()
        if state == Consent.State.SIGNED:
            if not cleaned["signer"]:
                self.add_error("signer", _("Who signed: the patient, or the representative and their relationship."))
            if not cleaned.get("signed_at"):
                self.add_error("signed_at", _("When it was signed."))
            elif cleaned["signed_at"] > timezone.now() + FUTURE_TOLERANCE:
                self.add_error("signed_at", _("This time is in the future."))
        elif state == Consent.State.EMERGENCY and not cleaned["note"]:
            self.add_error("note", _("For the emergency path: to whom it was reported, when, and why."))
        elif state == Consent.State.NOT_SIGNED:
            cleaned["signer"], cleaned["signed_at"] = "", None
        return cleaned


class SecondPersonForm(forms.Form):
    """The colleague who confirms a check types their own user name and password (never stored)."""

    second_username = forms.CharField(label=_("Second person: user name"), max_length=150)
    second_password = forms.CharField(
        label=_("Second person: password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )


class UnitReportForm(forms.Form):
    """The period (local days, both ends included) and what to group the unit's report by."""

    start = forms.DateField(label=_("From"), widget=IsoDateInput(), input_formats=["%Y-%m-%d"])
    end = forms.DateField(label=_("To"), widget=IsoDateInput(), input_formats=["%Y-%m-%d"])
    by = forms.ChoiceField(label=_("Group by"), choices=[])

    def __init__(self, *args: object, **kwargs: object) -> None:
        from planner import reports

        super().__init__(*args, **kwargs)
        self.fields["by"].choices = list(reports.DIMENSIONS.items())

    def clean(self) -> dict:
        from planner import reports

        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end"):
            if not (date(1900, 1, 1) <= cleaned["start"] and cleaned["end"] <= date(2100, 12, 31)):
                raise forms.ValidationError(_("Give dates between 1900 and 2100."))
            try:
                cleaned["period"] = reports.Period(cleaned["start"], cleaned["end"])
            except reports.ReportError as error:
                raise forms.ValidationError(error.message) from error
        return cleaned


class MonthForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM", "inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_month(self) -> date:
        month = self.cleaned_data["month"]
        if not date(1900, 1, 1) <= month <= date(2100, 12, 1):
            raise forms.ValidationError(_("Give a month between 1900 and 2100."))
        return month


class ReportNoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
