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


@pytest.mark.parametrize(
    ("allowed", "low", "high"),
    [
        # The plausible ranges the forms and the calculation refuse outside of, in the units stored.
        (limits.WEIGHT_KG, "0.5", "300"),
        (limits.HEIGHT_CM, "30", "250"),
        (limits.HAEMATOCRIT, "0.05", "0.80"),
        (limits.FIBRINOGEN_G_PER_L, "0", "20"),
        (limits.PLATELETS_10E9_PER_L, "0", "2000"),
        (limits.HAEMOGLOBIN_G_PER_L, "10", "250"),
        (limits.IONISED_CALCIUM_MMOL_PER_L, "0.2", "3.0"),
        (limits.IGG_G_PER_L, "0", "100"),
    ],
)
def test_each_range_has_its_documented_ends(allowed: limits.Range, low: str, high: str) -> None:
    assert (allowed.low, allowed.high) == (Decimal(low), Decimal(high))
    assert Decimal(low) in allowed and Decimal(high) in allowed
