"""Plausible ranges for what staff enter, in the units the app stores.

Pure Python: the calculation modules use the same numbers as the forms, so a
value a form accepts is a value the calculations accept. The database holds
looser invariants (a weight is positive, a haematocrit is a fraction); these
ranges catch typing mistakes before they reach it.
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Range:
    low: Decimal
    high: Decimal

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int | Decimal) and self.low <= value <= self.high


WEIGHT_KG = Range(Decimal("0.5"), Decimal("300"))
HEIGHT_CM = Range(Decimal("30"), Decimal("250"))
HAEMATOCRIT = Range(Decimal("0.05"), Decimal("0.80"))
FIBRINOGEN_G_PER_L = Range(Decimal("0"), Decimal("20"))
PLATELETS_10E9_PER_L = Range(Decimal("0"), Decimal("2000"))
HAEMOGLOBIN_G_PER_L = Range(Decimal("10"), Decimal("250"))
IONISED_CALCIUM_MMOL_PER_L = Range(Decimal("0.2"), Decimal("3.0"))
IGG_G_PER_L = Range(Decimal("0"), Decimal("100"))


def haematocrit_as_fraction(value: Decimal) -> Decimal | None:
    """The fraction a percentage probably meant (40 -> 0.40), or None.

    Haematocrit is stored as a fraction; a value between 1 and 100 is almost
    always a percentage typed by habit. Suggest, never convert silently.
    """
    if not Decimal(1) < value <= Decimal(100):
        return None
    fraction = value / Decimal(100)
    two_places = fraction.quantize(Decimal("0.01"))
    return two_places if two_places == fraction else fraction.quantize(Decimal("0.001"))


class InputError(ValueError):
    """A value the calculations cannot use, with the input it belongs to.

    A ValueError, so callers that only know "bad input" can catch that; forms,
    the API and the command line use `field` to put the message in the right place.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# Row ids as typed into an address or a form: ASCII digits ("²".isdigit() is True, and int("²") fails) and
# no larger than a 64-bit integer (SQLite refuses a larger one in a query with an OverflowError).
LARGEST_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """The id a value names, or None when it names none."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(LARGEST_ID)):
        return None
    number = int(text)
    return number if 0 < number <= LARGEST_ID else None
