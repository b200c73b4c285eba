from decimal import Decimal

import pytest

from planner.core import limits


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        (Decimal("40"), Decimal("0.40")),
        (Decimal("38.5"), Decimal("0.385")),
        (Decimal("4"), Decimal("0.04")),
        (Decimal("100"), Decimal("1.00")),
        (Decimal("0.40"), None),
        (Decimal("1"), None),
        (Decimal("400"), None),
    ],
)
def test_a_percentage_typed_as_haematocrit_gets_the_fraction_it_meant(typed: Decimal, suggested: Decimal) -> None:
    assert limits.haematocrit_as_fraction(typed) == suggested


def test_ranges_include_their_ends_and_exclude_what_lies_beyond() -> None:
    assert Decimal("0.5") in limits.WEIGHT_KG
    assert Decimal("300") in limits.WEIGHT_KG
    assert Decimal("0.49") not in limits.WEIGHT_KG
    assert Decimal("300.01") not in limits.WEIGHT_KG
    assert "70" not in limits.WEIGHT_KG
