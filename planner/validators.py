from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from planner.core import limits
from planner.core.identity import is_canonical


@deconstructible
class InRange:
    """Reject a value outside a plausible range, naming the range and its unit."""

    def __init__(self, low: Decimal, high: Decimal, unit: str = "") -> None:
        self.low = low
        self.high = high
        self.unit = unit

    def __call__(self, value: Decimal | int) -> None:
        if not self.low <= value <= self.high:
            raise ValidationError(
                _("Enter a value between %(low)s and %(high)s %(unit)s."),
                code="out_of_range",
                params=self.params(),
            )

    def params(self) -> dict[str, object]:
        return {"low": self.low, "high": self.high, "unit": self.unit}

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, InRange)
            and type(self) is type(other)
            and (self.low, self.high, self.unit) == (other.low, other.high, other.unit)
        )


def in_range(plausible: limits.Range, unit: str = "") -> InRange:
    return InRange(plausible.low, plausible.high, unit)


class HaematocritFraction(InRange):
    """Haematocrit is a fraction (0.40); catch the percentage typed by habit (40)."""

    def __init__(self) -> None:
        super().__init__(limits.HAEMATOCRIT.low, limits.HAEMATOCRIT.high)

    def __call__(self, value: Decimal) -> None:
        suggestion = limits.haematocrit_as_fraction(value)
        if suggestion is not None:
            raise ValidationError(
                _("Haematocrit is a fraction: did you mean %(suggestion)s?"),
                code="percentage_not_fraction",
                params={"suggestion": suggestion},
            )
        if value not in limits.HAEMATOCRIT:
            raise ValidationError(
                _("Haematocrit must be a fraction between %(low)s and %(high)s."),
                code="out_of_range",
                params=self.params(),
            )


def labelled_errors(form: forms.BaseForm) -> list[tuple[str, str]]:
    """A form's errors as (field label, message) pairs; the label is empty for errors of the whole form."""
    return [
        (str(form.fields[field].label) if field in form.fields else "", str(message))
        for field, messages in form.errors.items()
        for message in messages
    ]


def errors_as_sentence(form: forms.BaseForm) -> str:
    """A form's errors on one line, for a message after a redirect."""
    return " ".join(f"{label}: {message}" if label else message for label, message in labelled_errors(form))


def validate_mrn_characters(value: str) -> None:
    """An MRN (already normalised) of the characters an MRN is made of, naming the first that is not.

    A character that only looks like a letter or a digit (a Cyrillic Е, a combining accent) would
    otherwise make a second record for the same patient.
    """
    if is_canonical(value):
        return
    odd = next((character for character in value if not is_canonical(character)), value[:1])
    raise ValidationError(
        _(
            "A medical record number is made of the letters A–Z, the digits 0–9 and - / . _ only; "
            "“%(character)s” (U+%(code)s) is not one of them."
        ),
        code="mrn_characters",
        params={"character": odd, "code": f"{ord(odd):04X}" if odd else ""},
    )
