from decimal import Decimal

from django import template

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
