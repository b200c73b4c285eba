from datetime import date, datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from planner.models import MEASURED_FIELDS, Indication, Measurement, Patient

# A clock a few minutes ahead on a ward PC must not block charting.
FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


class IsoDateInput(forms.DateInput):
    """The browser's date picker: always ISO, whatever the language."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class IsoDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


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

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for name in ("abo_group", "rhd"):
            field = self.fields[name]
            field.choices = [("", _("Not known yet")), *field.choices[1:]]

    def clean_mrn(self) -> str:
        # MRNs are typed and scanned; compare them without case or stray spaces.
        return "".join(self.cleaned_data["mrn"].split()).upper()

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
        fields = ["taken_at", *MEASURED_FIELDS, "marker_name", "marker_value"]
        widgets = {"taken_at": IsoDateTimeInput()}

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
