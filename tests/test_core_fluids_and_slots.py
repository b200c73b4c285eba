"""Replacement-fluid quantities, their checks, device slots, input ranges and plasma compatibility.

Pins planner.core.replacement, slots, limits and blood_groups. Numbers come from the clinical reference
(§3 replacement fluid, §6 Example A) and hand arithmetic shown in comments, never from running the code:

- albumin is given as 5 %: grams = albumin mL × 5 / 100; a 20 % 50 mL vial holds 10 g, a 25 % one 12.5 g;
- diluent = vials × V_stock × (C_stock / C_target − 1): 150 mL of saline per 20 % 50 mL vial, 200 mL per 25 %;
- vials, plasma units and saline bags are rounded up; an exactly whole quantity is not rounded up again;
- saline bags cover the saline share plus the albumin diluent; saline is given first, plasma last.
Messages are the English product text staff read, asserted in full.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from planner.core.blood_groups import compatible_plasma
from planner.core.limits import HAEMATOCRIT, WEIGHT_KG, InputError, Range, haematocrit_as_fraction
from planner.core.replacement import (
    FluidPlan,
    Products,
    Shares,
    check_plan,
    check_products,
    replacement,
)
from planner.core.slots import OpeningHours, first_free_slot

# Catalogue rows from §3: 20 % 10 g / 50 mL vials (China), 25 % 50 mL and 5 % 250 mL (US); 100 mL plasma units.
CHINA_20 = Products()
US_25 = Products(albumin_percent=25, albumin_vial_ml=50)
US_5 = Products(albumin_percent=5, albumin_vial_ml=250)
EXAMPLE_A_TPV_ML = 2894.3  # §6 Example A, 1.0 TPV


# --- Shares -------------------------------------------------------------------------------------------------


def test_shares_are_read_from_a_form_or_stored_json_by_fraction_name() -> None:
    stored = {"albumin_fraction": "0.667", "plasma_fraction": 0.333, "saline_fraction": 0, "other": "ignored"}
    shares = Shares.from_fractions(stored)
    assert shares == Shares(albumin=0.667, plasma=0.333, saline=0.0)
    assert shares.values() == (0.667, 0.333, 0.0)


def test_shares_are_written_to_the_three_decimals_a_form_shows() -> None:
    # 2/3 = 0.6666… -> 0.667; 1/3 = 0.3333… -> 0.333; 0.12345 -> 0.123 (not 0.1235, not a whole number).
    assert Shares(albumin=2 / 3, plasma=1 / 3, saline=0.0).as_fractions() == {
        "albumin_fraction": 0.667,
        "plasma_fraction": 0.333,
        "saline_fraction": 0.0,
    }
    assert Shares(albumin=0.87655, plasma=0.0, saline=0.12345).as_fractions()["saline_fraction"] == 0.123


def test_shares_written_and_read_back_come_back_the_same_plan() -> None:
    exact = Shares(albumin=2 / 3, plasma=1 / 3, saline=0.0)
    assert Shares.from_fractions(exact.as_fractions()) == Shares(albumin=0.667, plasma=0.333, saline=0.0)
    # |0.667 - 0.6667| = 0.00033, within 0.0015 either way round.
    assert not exact.differs_from(Shares.from_fractions(exact.as_fractions()))
    assert not Shares.from_fractions(exact.as_fractions()).differs_from(exact)


@pytest.mark.parametrize(
    ("one", "other", "differs"),
    [
        (Shares(1.0, 0.0, 0.0), Shares(1.0, 0.0, 0.0), False),
        (Shares(0.5, 0.5, 0.0), Shares(0.5, 0.5, 0.0), False),
        # Exactly the 0.0015 tolerance (0.0015 - 0 is exactly the tolerance): the same plan.
        (Shares(1.0, 0.0, 0.0), Shares(1.0, 0.0015, 0.0), False),
        (Shares(1.0, 0.0015, 0.0), Shares(1.0, 0.0, 0.0), False),
        (Shares(1.0, 0.0, 0.0015), Shares(1.0, 0.0, 0.0), False),
        # Just over it, in any share and either direction: a different plan.
        (Shares(1.0, 0.0, 0.0), Shares(1.0, 0.0016, 0.0), True),
        (Shares(1.0, 0.0016, 0.0), Shares(1.0, 0.0, 0.0), True),
        (Shares(1.0, 0.0, 0.0016), Shares(1.0, 0.0, 0.0), True),
        (Shares(0.8, 0.0, 0.2), Shares(0.8016, 0.0, 0.2), True),
        (Shares(2 / 3, 1 / 3, 0.0), Shares(1.0, 0.0, 0.0), True),
    ],
)
def test_two_plans_differ_only_beyond_what_a_form_shows_to_3_decimals(
    one: Shares, other: Shares, differs: bool
) -> None:
    assert one.differs_from(other) is differs


# --- check_plan ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shares",
    [
        Shares(1.0, 0.0, 0.0),
        Shares(0.0, 1.0, 0.0),
        Shares(0.75, 0.0, 0.25),  # saline exactly at the 25 % limit
        Shares(0.667, 0.333, 0.0),  # typed by hand: adds up to 1.000
        Shares(0.6, 0.2, 0.2),
    ],
)
def test_a_plan_of_fractions_between_0_and_1_adding_up_to_1_is_accepted(shares: Shares) -> None:
    check_plan(FluidPlan(shares=shares), saline_max_fraction=0.25)


@pytest.mark.parametrize(
    ("shares", "field", "message"),
    [
        (Shares(1.001, 0.0, 0.0), "albumin_fraction", "A fraction is between 0 and 1, not 1.001."),
        (Shares(0.5, 1.5, 0.0), "plasma_fraction", "A fraction is between 0 and 1, not 1.5."),
        (Shares(1.0, -0.001, 0.0), "plasma_fraction", "A fraction is between 0 and 1, not -0.001."),
        (Shares(1.0, 0.0, -0.5), "saline_fraction", "A fraction is between 0 and 1, not -0.5."),
        (Shares(0.0, 0.0, 2.5), "saline_fraction", "A fraction is between 0 and 1, not 2.5."),
    ],
)
def test_a_fraction_outside_0_to_1_is_refused_on_its_own_field(shares: Shares, field: str, message: str) -> None:
    with pytest.raises(InputError) as refused:
        check_plan(FluidPlan(shares=shares), saline_max_fraction=1.0)
    assert (refused.value.field, refused.value.message) == (field, message)


@pytest.mark.parametrize(
    ("shares", "total"),
    [
        (Shares(0.5, 0.4, 0.0), "0.9"),
        (Shares(0.994, 0.0, 0.0), "0.994"),  # 0.006 short: just over the 0.005 tolerance
        (Shares(1.0, 0.006, 0.0), "1.01"),  # 1.006 shown to 3 significant figures
        (Shares(1.0, 1.0, 0.0), "2"),
    ],
)
def test_fractions_not_adding_up_to_1_are_refused(shares: Shares, total: str) -> None:
    with pytest.raises(InputError) as refused:
        check_plan(FluidPlan(shares=shares), saline_max_fraction=1.0)
    assert refused.value.field == "albumin_fraction"
    assert refused.value.message == (f"Albumin, plasma and saline fractions must add up to 1; they add up to {total}.")


def test_fractions_a_little_off_1_within_the_tolerance_are_accepted() -> None:
    # 0.998 + 0.004 = 1.002 and 0.997: both within 0.005 of 1.
    check_plan(FluidPlan(shares=Shares(0.998, 0.004, 0.0)), saline_max_fraction=0.25)
    check_plan(FluidPlan(shares=Shares(0.997, 0.0, 0.0)), saline_max_fraction=0.25)


@pytest.mark.parametrize(
    ("saline", "limit", "message"),
    [
        (0.26, 0.25, "Saline may be at most 25% of the replacement (hypotension); 26% was asked."),
        (0.25, 0.2, "Saline may be at most 20% of the replacement (hypotension); 25% was asked."),
    ],
)
def test_saline_above_the_hypotension_limit_is_refused(saline: float, limit: float, message: str) -> None:
    plan = FluidPlan(shares=Shares(1 - saline, 0.0, saline))
    with pytest.raises(InputError) as refused:
        check_plan(plan, saline_max_fraction=limit)
    assert (refused.value.field, refused.value.message) == ("saline_fraction", message)


@pytest.mark.parametrize("balance", [0.5, 0.8, 1.0, 1.2, 1.5])
def test_a_fluid_balance_from_0_5_to_1_5_inclusive_is_accepted(balance: float) -> None:
    check_plan(FluidPlan(fluid_balance=balance), saline_max_fraction=0.25)


@pytest.mark.parametrize(
    ("balance", "shown"),
    [(0.49, "0.49"), (0.0, "0"), (1.51, "1.51"), (2.0, "2")],
)
def test_a_fluid_balance_outside_0_5_to_1_5_is_refused(balance: float, shown: str) -> None:
    with pytest.raises(InputError) as refused:
        check_plan(FluidPlan(fluid_balance=balance), saline_max_fraction=0.25)
    assert refused.value.field == "fluid_balance"
    assert refused.value.message == f"Fluid balance must be between 0.5 and 1.5, not {shown}."


# --- check_products -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "products",
    [
        CHINA_20,
        US_25,
        US_5,  # 5 % stock for a 5 % target: given as it is, no dilution
        Products(albumin_vial_ml=1, plasma_unit_ml=1, saline_bag_ml=1, target_albumin_percent=1),
    ],
)
def test_catalogue_products_that_can_make_the_target_solution_are_accepted(products: Products) -> None:
    check_products(products)


@pytest.mark.parametrize(
    ("products", "message"),
    [
        (Products(albumin_percent=4), "Albumin stock of 4 % cannot be diluted to 5 %."),
        (Products(albumin_percent=4.5), "Albumin stock of 4.5 % cannot be diluted to 5 %."),
        (Products(albumin_percent=20, target_albumin_percent=25), "Albumin stock of 20 % cannot be diluted to 25 %."),
    ],
)
def test_albumin_weaker_than_the_target_cannot_be_diluted_to_it(products: Products, message: str) -> None:
    with pytest.raises(InputError) as refused:
        check_products(products)
    assert (refused.value.field, refused.value.message) == ("albumin_product", message)


@pytest.mark.parametrize("name", ["albumin_vial_ml", "plasma_unit_ml", "saline_bag_ml", "target_albumin_percent"])
@pytest.mark.parametrize("value", [0, -1])
def test_a_product_size_of_zero_or_less_is_refused(name: str, value: float) -> None:
    with pytest.raises(InputError) as refused:
        check_products(Products(**{name: value}))
    assert (refused.value.field, refused.value.message) == (name, f"{name} must be positive.")


# --- replacement quantities ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "exchange_ml", "shares", "products", "expected"),
    [
        (
            # §6 Example A: 2894.3 × 5 / 100 = 144.715 g -> 14.47 vials of 10 g -> 15; 15 × 150 = 2250 mL diluent
            # -> 2250 / 500 = 4.5 -> 5 bags.
            "Example A, all 5 % albumin from 20 % vials",
            EXAMPLE_A_TPV_ML,
            Shares(1.0, 0.0, 0.0),
            CHINA_20,
            {
                "albumin_ml": 2894.3,
                "albumin_g": 144.715,
                "albumin_vials": 15,
                "albumin_diluent_ml": 2250.0,
                "plasma_ml": 0.0,
                "plasma_units": 0,
                "saline_ml": 0.0,
                "saline_bags": 5,
                "infusion_order": ("albumin",),
            },
        ),
        (
            # 2800 × 5 / 100 = 140.0 g = exactly 14 vials, never 15; 14 × 150 = 2100 mL -> 4.2 -> 5 bags.
            "exactly 14 vials of 10 g",
            2800.0,
            Shares(1.0, 0.0, 0.0),
            CHINA_20,
            {
                "albumin_ml": 2800.0,
                "albumin_g": 140.0,
                "albumin_vials": 14,
                "albumin_diluent_ml": 2100.0,
                "plasma_ml": 0.0,
                "plasma_units": 0,
                "saline_ml": 0.0,
                "saline_bags": 5,
                "infusion_order": ("albumin",),
            },
        ),
        (
            # 2000 × 5 / 100 = 100 g = 10 vials; 10 × 150 = 1500 mL = exactly 3 bags of 500 mL, never 4.
            "exactly 3 bags of diluent",
            2000.0,
            Shares(1.0, 0.0, 0.0),
            CHINA_20,
            {
                "albumin_ml": 2000.0,
                "albumin_g": 100.0,
                "albumin_vials": 10,
                "albumin_diluent_ml": 1500.0,
                "plasma_ml": 0.0,
                "plasma_units": 0,
                "saline_ml": 0.0,
                "saline_bags": 3,
                "infusion_order": ("albumin",),
            },
        ),
        (
            # 25 % 50 mL vial = 12.5 g; 2500 × 5 / 100 = 125 g = exactly 10 vials;
            # 50 × (25 / 5 − 1) = 200 mL each -> 2000 mL = exactly 4 bags.
            "25 % albumin, one part plus four of saline",
            2500.0,
            Shares(1.0, 0.0, 0.0),
            US_25,
            {
                "albumin_ml": 2500.0,
                "albumin_g": 125.0,
                "albumin_vials": 10,
                "albumin_diluent_ml": 2000.0,
                "plasma_ml": 0.0,
                "plasma_units": 0,
                "saline_ml": 0.0,
                "saline_bags": 4,
                "infusion_order": ("albumin",),
            },
        ),
        (
            # 5 % 250 mL vial = 12.5 g; 144.715 / 12.5 = 11.58 -> 12 vials; no diluent, so no saline bag.
            "5 % albumin given undiluted",
            EXAMPLE_A_TPV_ML,
            Shares(1.0, 0.0, 0.0),
            US_5,
            {
                "albumin_ml": 2894.3,
                "albumin_g": 144.715,
                "albumin_vials": 12,
                "albumin_diluent_ml": 0.0,
                "plasma_ml": 0.0,
                "plasma_units": 0,
                "saline_ml": 0.0,
                "saline_bags": 0,
                "infusion_order": ("albumin",),
            },
        ),
        (
            # §6 Example A, 2/3 albumin + last 1/3 plasma: 1929.53 mL albumin, 96.48 g -> 10 vials, 1500 mL
            # diluent = exactly 3 bags; 964.77 mL plasma -> 9.65 -> 10 U.
            "Example A, two thirds albumin and the last third plasma",
            EXAMPLE_A_TPV_ML,
            Shares(2 / 3, 1 / 3, 0.0),
            CHINA_20,
            {
                "albumin_ml": 2894.3 * 2 / 3,
                "albumin_g": 2894.3 * 2 / 3 * 5 / 100,
                "albumin_vials": 10,
                "albumin_diluent_ml": 1500.0,
                "plasma_ml": 2894.3 / 3,
                "plasma_units": 10,
                "saline_ml": 0.0,
                "saline_bags": 3,
                "infusion_order": ("albumin", "plasma"),
            },
        ),
        (
            # §6 Example A, all plasma: 2894.3 / 100 = 28.94 -> 29 U; nothing diluted, no saline.
            "Example A, all plasma",
            EXAMPLE_A_TPV_ML,
            Shares(0.0, 1.0, 0.0),
            CHINA_20,
            {
                "albumin_ml": 0.0,
                "albumin_g": 0.0,
                "albumin_vials": 0,
                "albumin_diluent_ml": 0.0,
                "plasma_ml": 2894.3,
                "plasma_units": 29,
                "saline_ml": 0.0,
                "saline_bags": 0,
                "infusion_order": ("plasma",),
            },
        ),
        (
            # 2900 / 100 = exactly 29 U, never 30.
            "exactly 29 plasma units",
            2900.0,
            Shares(0.0, 1.0, 0.0),
            CHINA_20,
            {
                "albumin_ml": 0.0,
                "albumin_g": 0.0,
                "albumin_vials": 0,
                "albumin_diluent_ml": 0.0,
                "plasma_ml": 2900.0,
                "plasma_units": 29,
                "saline_ml": 0.0,
                "saline_bags": 0,
                "infusion_order": ("plasma",),
            },
        ),
        (
            # 400 mL saline first; 1600 mL albumin = 80 g = 8 vials -> 1200 mL diluent;
            # bags cover 400 + 1200 = 1600 mL -> 3.2 -> 4 bags.
            "a fifth saline given first",
            2000.0,
            Shares(0.8, 0.0, 0.2),
            CHINA_20,
            {
                "albumin_ml": 1600.0,
                "albumin_g": 80.0,
                "albumin_vials": 8,
                "albumin_diluent_ml": 1200.0,
                "plasma_ml": 0.0,
                "plasma_units": 0,
                "saline_ml": 400.0,
                "saline_bags": 4,
                "infusion_order": ("saline", "albumin"),
            },
        ),
        (
            # 0.1 % of 500 mL = 0.5 mL of saline still takes a whole bag; 499.5 mL plasma -> 4.995 -> 5 U.
            "a trace of saline",
            500.0,
            Shares(0.0, 0.999, 0.001),
            CHINA_20,
            {
                "albumin_ml": 0.0,
                "albumin_g": 0.0,
                "albumin_vials": 0,
                "albumin_diluent_ml": 0.0,
                "plasma_ml": 499.5,
                "plasma_units": 5,
                "saline_ml": 0.5,
                "saline_bags": 1,
                "infusion_order": ("saline", "plasma"),
            },
        ),
        (
            # 0.5 mL of plasma still takes a whole unit; 499.5 mL of 5 % albumin = 24.975 g / 12.5 -> 2 vials.
            "a trace of plasma",
            500.0,
            Shares(0.999, 0.001, 0.0),
            US_5,
            {
                "albumin_ml": 499.5,
                "albumin_g": 24.975,
                "albumin_vials": 2,
                "albumin_diluent_ml": 0.0,
                "plasma_ml": 0.5,
                "plasma_units": 1,
                "saline_ml": 0.0,
                "saline_bags": 0,
                "infusion_order": ("albumin", "plasma"),
            },
        ),
    ],
)
def test_replacement_orders_whole_vials_units_and_bags(
    case: str, exchange_ml: float, shares: Shares, products: Products, expected: dict[str, object]
) -> None:
    fluids = replacement(exchange_ml, FluidPlan(shares=shares), products)
    assert fluids.total_ml == pytest.approx(exchange_ml)
    for name, value in expected.items():
        if isinstance(value, tuple):
            assert getattr(fluids, name) == value, (case, name)
            continue
        assert getattr(fluids, name) == pytest.approx(value), (case, name)
        if isinstance(value, int):
            assert type(getattr(fluids, name)) is int, (case, name)


@pytest.mark.parametrize(
    ("products", "per_vial_ml", "grams_per_vial"),
    [(CHINA_20, 150.0, 10.0), (US_25, 200.0, 12.5), (US_5, 0.0, 12.5)],
)
def test_the_diluent_is_v_stock_times_c_stock_over_c_target_minus_1_per_whole_vial(
    products: Products, per_vial_ml: float, grams_per_vial: float
) -> None:
    # 50 × (20 / 5 − 1) = 150; 50 × (25 / 5 − 1) = 200; 250 × (5 / 5 − 1) = 0.
    assert products.diluent_ml_per_vial == pytest.approx(per_vial_ml)
    assert products.albumin_grams_per_vial == pytest.approx(grams_per_vial)
    fluids = replacement(2894.3, FluidPlan(), products)
    assert fluids.albumin_diluent_ml == pytest.approx(fluids.albumin_vials * per_vial_ml)


@pytest.mark.parametrize(
    ("balance", "expected"),
    [
        # 2000 mL exchanged, 60 % albumin, 20 % plasma, 20 % saline.
        # 1.0: 2000 -> saline 400, albumin 1200 (60 g = 6 vials, 900 mL diluent), plasma 400 (4 U);
        #      bags for 400 + 900 = 1300 -> 2.6 -> 3.
        (
            1.0,
            {
                "total_ml": 2000.0,
                "saline_ml": 400.0,
                "albumin_ml": 1200.0,
                "albumin_g": 60.0,
                "albumin_vials": 6,
                "albumin_diluent_ml": 900.0,
                "plasma_ml": 400.0,
                "plasma_units": 4,
                "saline_bags": 3,
            },
        ),
        # 1.2: 2400 -> saline 480, albumin 1440 (72 g -> 8 vials, 1200 mL), plasma 480 (-> 5 U);
        #      bags for 480 + 1200 = 1680 -> 3.36 -> 4.
        (
            1.2,
            {
                "total_ml": 2400.0,
                "saline_ml": 480.0,
                "albumin_ml": 1440.0,
                "albumin_g": 72.0,
                "albumin_vials": 8,
                "albumin_diluent_ml": 1200.0,
                "plasma_ml": 480.0,
                "plasma_units": 5,
                "saline_bags": 4,
            },
        ),
        # 0.8: 1600 -> saline 320, albumin 960 (48 g -> 5 vials, 750 mL), plasma 320 (-> 4 U);
        #      bags for 320 + 750 = 1070 -> 2.14 -> 3.
        (
            0.8,
            {
                "total_ml": 1600.0,
                "saline_ml": 320.0,
                "albumin_ml": 960.0,
                "albumin_g": 48.0,
                "albumin_vials": 5,
                "albumin_diluent_ml": 750.0,
                "plasma_ml": 320.0,
                "plasma_units": 4,
                "saline_bags": 3,
            },
        ),
    ],
)
def test_a_fluid_balance_other_than_1_scales_every_volume_in_proportion(
    balance: float, expected: dict[str, float]
) -> None:
    fluids = replacement(2000.0, FluidPlan(shares=Shares(0.6, 0.2, 0.2), fluid_balance=balance), CHINA_20)
    for name, value in expected.items():
        assert getattr(fluids, name) == pytest.approx(value), name


@pytest.mark.parametrize(
    ("shares", "order"),
    [
        (Shares(1.0, 0.0, 0.0), ("albumin",)),
        (Shares(0.0, 1.0, 0.0), ("plasma",)),
        (Shares(0.8, 0.0, 0.2), ("saline", "albumin")),
        (Shares(2 / 3, 1 / 3, 0.0), ("albumin", "plasma")),
        (Shares(0.0, 0.8, 0.2), ("saline", "plasma")),
        (Shares(0.6, 0.2, 0.2), ("saline", "albumin", "plasma")),
    ],
)
def test_saline_is_given_first_and_plasma_last_and_absent_fluids_not_at_all(
    shares: Shares, order: tuple[str, ...]
) -> None:
    assert replacement(2000.0, FluidPlan(shares=shares), CHINA_20).infusion_order == order


# --- slots --------------------------------------------------------------------------------------------------

DAY = date(2025, 3, 3)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(DAY, time(hour, minute))


@pytest.mark.parametrize(
    ("case", "minutes", "busy", "not_before", "slot"),
    [
        ("an empty day starts at opening", 60, [], None, (at(8), at(9))),
        ("a booking ending exactly at opening", 60, [(at(7), at(8))], None, (at(8), at(9))),
        ("after a booking, rounded up to the quarter hour", 60, [(at(8), at(9, 5))], None, (at(9, 15), at(10, 15))),
        ("a booking ending on a quarter hour", 60, [(at(8), at(9, 30))], None, (at(9, 30), at(10, 30))),
        (
            "a gap exactly as long as needed fits",
            90,
            [(at(8), at(9)), (at(10, 30), at(12))],
            None,
            (at(9), at(10, 30)),
        ),
        (
            "a gap a minute short does not",
            90,
            [(at(8), at(9)), (at(10, 29), at(12))],
            None,
            (at(12), at(13, 30)),
        ),
        (
            "the session fits before a booking that starts exactly when it ends",
            60,
            [(at(9), at(10))],
            None,
            (at(8), at(9)),
        ),
        (
            "bookings are taken in time order whatever order they come in",
            60,
            [(at(10, 30), at(12)), (at(8), at(9))],
            None,
            (at(9), at(10)),
        ),
        ("not before a time later than opening, rounded up", 60, [], at(10, 5), (at(10, 15), at(11, 15))),
        ("not before a quarter hour", 60, [], at(10), (at(10), at(11))),
        ("not before a time earlier than opening", 60, [], at(6, 40), (at(8), at(9))),
        ("not before, then after a booking", 60, [(at(10), at(11))], at(9, 30), (at(11), at(12))),
        ("the day's close exactly at the end fits", 120, [(at(8), at(16))], None, (at(16), at(18))),
        ("a minute past the close does not", 121, [(at(8), at(16))], None, None),
        ("a whole day exactly", 600, [], None, (at(8), at(18))),
        ("not before, up to the close exactly", 60, [], at(16, 50), (at(17), at(18))),
        ("not before, past the close", 60, [], at(17, 1), None),
    ],
)
def test_first_free_slot(
    case: str,
    minutes: int,
    busy: list[tuple[datetime, datetime]],
    not_before: datetime | None,
    slot: tuple[datetime, datetime] | None,
) -> None:
    assert first_free_slot(DAY, timedelta(minutes=minutes), busy, not_before=not_before) == slot, case


def test_first_free_slot_keeps_the_opening_hours_it_is_given() -> None:
    hours = OpeningHours(opens=time(7, 30), closes=time(12, 0))
    assert first_free_slot(DAY, timedelta(minutes=60), [], hours) == (at(7, 30), at(8, 30))
    assert first_free_slot(DAY, timedelta(minutes=60), [(at(7, 30), at(11, 0))], hours) == (at(11), at(12))
    assert first_free_slot(DAY, timedelta(minutes=61), [(at(7, 30), at(11, 0))], hours) is None


# --- limits -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "inside"),
    [
        (Decimal("0.05"), True),
        (Decimal("0.80"), True),
        (Decimal("0.4"), True),
        (Decimal("0.049"), False),
        (Decimal("0.801"), False),
        (0.4, False),  # a float is not what a form stores
        ("0.4", False),
    ],
)
def test_the_haematocrit_range_includes_both_ends(value: object, inside: bool) -> None:
    assert (value in HAEMATOCRIT) is inside


def test_a_range_takes_whole_numbers_and_decimals_up_to_both_ends() -> None:
    assert 1 in Range(Decimal(1), Decimal(2))
    assert 2 in Range(Decimal(1), Decimal(2))
    assert 3 not in Range(Decimal(1), Decimal(2))
    assert 0 not in Range(Decimal(1), Decimal(2))
    assert Decimal("300") in WEIGHT_KG
    assert Decimal("300.01") not in WEIGHT_KG


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        (Decimal("1"), None),  # 1 is not above 1: a fraction of 1, not 1 %
        (Decimal("1.5"), "0.015"),
        (Decimal("2"), "0.02"),
        (Decimal("40"), "0.40"),
        (Decimal("38.5"), "0.385"),
        (Decimal("100"), "1.00"),
        (Decimal("100.1"), None),
        (Decimal("0.4"), None),  # already a fraction
    ],
)
def test_haematocrit_typed_as_a_percentage_suggests_the_fraction(typed: Decimal, suggested: str | None) -> None:
    result = haematocrit_as_fraction(typed)
    assert (None if result is None else str(result)) == suggested


def test_an_input_error_is_a_value_error_that_names_its_field_and_message() -> None:
    error = InputError("weight_kg", "Weight must be positive.")
    assert isinstance(error, ValueError)
    assert (error.field, error.message, str(error)) == (
        "weight_kg",
        "Weight must be positive.",
        "Weight must be positive.",
    )


# --- blood groups -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recipient", "plasma"),
    [
        ("O", ("O", "A", "B", "AB")),
        ("A", ("A", "AB")),
        ("B", ("B", "AB")),
        ("AB", ("AB",)),
        ("", ("AB",)),  # group not known yet: AB plasma suits everyone
        ("unknown", ("AB",)),
    ],
)
def test_plasma_compatibility_runs_opposite_to_red_cells(recipient: str, plasma: tuple[str, ...]) -> None:
    assert compatible_plasma(recipient) == plasma


def test_the_reference_products_are_the_standard_catalogues() -> None:
    """clinical-reference.md §3: 20 % albumin 10 g/50 mL vials, 100 mL plasma units, 500 mL saline, to 5 %."""
    assert Products() == Products(
        albumin_percent=20, albumin_vial_ml=50, plasma_unit_ml=100, saline_bag_ml=500, target_albumin_percent=5
    )
    assert (Products().albumin_grams_per_vial, Products().diluent_ml_per_vial) == (10, 150)


@pytest.mark.parametrize(
    ("albumin", "plasma", "accepted"),
    # The shares may miss 1 by up to 0.005, the tolerance included, whatever the floats make of it.
    [(0.995, 0.0, True), (0.805, 0.2, True), (0.9949, 0.0, False), (0.8051, 0.2, False)],
)
def test_shares_within_the_tolerance_of_one_are_accepted_at_its_very_edge(
    albumin: float, plasma: float, accepted: bool
) -> None:
    plan = FluidPlan(Shares(albumin=albumin, plasma=plasma))
    if accepted:
        check_plan(plan, saline_max_fraction=0.25)
    else:
        with pytest.raises(InputError, match="must add up to 1"):
            check_plan(plan, saline_max_fraction=0.25)
