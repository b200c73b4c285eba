from datetime import datetime, timedelta
from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from planner.core import text

register = template.Library()


@register.filter
def haematocrit(fraction: Decimal | None) -> str:
    """A haematocrit stored as a fraction, shown as staff read it: 0.385 -> "38.5 %"."""
    if fraction is None or fraction == "":
        return ""
    percent = (Decimal(fraction) * 100).quantize(Decimal("0.1"))
    text = f"{percent:f}".removesuffix(".0")
    return f"{text}\u00a0%"


@register.filter
def measured(value: Decimal | int | None) -> str:
    """A stored value without the padding of its column: Decimal("61.50") -> "61.5", 70.00 -> "70"."""
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


@register.filter
def message(stored: object) -> str:
    """A message stored with its template (a fluid reason) in the language of this page."""
    return text.render(stored)


@register.filter
def messages_joined(stored: list) -> str:
    return text.render_joined(stored)


@register.filter
def fluid_names(names: list[str]) -> list[str]:
    """The replacement fluids' names (saline, albumin, plasma) in the language of the page."""
    words = {"saline": _("saline"), "albumin": _("albumin"), "plasma": _("plasma")}
    return [str(words.get(name, name)) for name in names]


@register.filter
def after_hours(start: datetime | None, hours: float) -> datetime | None:
    """The time `hours` after `start`: a projected session's date from the first session's."""
    if start is None or hours in (None, ""):
        return None
    return start + timedelta(hours=float(hours))


@register.filter
def percent_of_one(fraction: float | None) -> str:
    """A fraction of one as a percentage to 0.1: 0.766 -> "76.6 %"."""
    if fraction is None or fraction == "":
        return ""
    return f"{float(fraction) * 100:.1f}\u00a0%"
