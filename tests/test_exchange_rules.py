"""Warnings, hard limits and properties of the exchange calculation, and its purity."""

import ast
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.core.blood_volume import Build, Method, Sex
from planner.core.device_numbers import DeviceSettings
from planner.core.exchange import ExchangeRequest, Policy, beyond, fibrinogen_shown, plan_exchange
from planner.core.limits import InputError
from planner.core.replacement import FluidPlan, Shares

A = {"sex": Sex.MALE, "weight_kg": 70.0, "height_cm": 175.0, "haematocrit": 0.40}


def codes(**given_values: object) -> list[str]:
    return [w.code for w in plan_exchange(ExchangeRequest(**(A | given_values))).warnings]


@pytest.mark.parametrize(
    ("given_values", "code"),
    [
        ({"weight_kg": 20.0, "height_cm": 115.0}, "nadler_below_25_kg"),
        ({"weight_kg": 10.0, "height_cm": 80.0}, "ecv_over_15_percent"),
        ({"plasma_volumes": 2.0}, "plasma_volumes_outside_1_to_1_5"),
        ({"plasma_volumes": 0.8}, "plasma_volumes_outside_1_to_1_5"),
        ({"method": Method.WEIGHT, "weight_kg": 110.0}, "weight_rule_in_obesity"),
        ({"fibrinogen_g_per_l": 0.8}, "fibrinogen_below_trigger"),
        ({"fibrinogen_g_per_l": 1.6, "session_hours": (0, 24, 48, 72, 96)}, "fibrinogen_projected_below_trigger"),
        ({"haematocrit": 0.18}, "low_haematocrit"),
        ({"haematocrit": 0.58}, "high_haematocrit"),
        ({"fluids": FluidPlan(Shares(albumin=0.75, saline=0.25))}, "saline_fraction_high"),
    ],
)
def test_each_warning_is_raised_by_its_situation(given_values: dict, code: str) -> None:
    assert code in codes(**given_values)


@pytest.mark.parametrize(
    "given_values",
    [
        {"method": Method.WEIGHT, "weight_kg": 85.0},  # BMI 27.8
        {"method": Method.LEMMENS, "weight_kg": 110.0},  # obesity, but not the weight rule
        {"fibrinogen_g_per_l": 1.0},  # at the trigger, not below
        {"fluids": FluidPlan(Shares(albumin=0.8, saline=0.2))},
        {"haematocrit": 0.20},
        {"plasma_volumes": 1.5},
    ],
)
def test_no_warning_at_or_inside_the_thresholds(given_values: dict) -> None:
    assert codes(**given_values) == []


def test_a_warning_has_a_plain_message() -> None:
    (warning,) = plan_exchange(ExchangeRequest(**(A | {"fibrinogen_g_per_l": 0.8}))).warnings
    assert warning.message.startswith("Fibrinogen 0.8 g/L is below the 1 g/L trigger")


@pytest.mark.parametrize(
    ("given_values", "field", "message"),
    [
        ({"weight_kg": 0.4}, "weight_kg", "outside the limits 0.5–300 kg"),
        ({"weight_kg": 301.0}, "weight_kg", "outside the limits"),
        ({"height_cm": 29.0}, "height_cm", "outside the limits 30–250 cm"),
        ({"haematocrit": 40.0}, "haematocrit", "Haematocrit is a fraction: did you mean 0.40?"),
        ({"haematocrit": 0.04}, "haematocrit", "outside the limits 0.05–0.8"),
        ({"haematocrit": 0.81}, "haematocrit", "outside the limits"),
        ({"plasma_volumes": 0.2}, "plasma_volumes", "outside the limits 0.25–4"),
        ({"plasma_volumes": 4.5}, "plasma_volumes", "outside the limits"),
        ({"weight_kg": math.nan}, "weight_kg", "finite"),
        ({"haematocrit": math.inf}, "haematocrit", "finite"),
        ({"method": Method.GILCHER}, "build", "needs a build"),
        ({"method": Method.PAEDIATRIC}, "age_years", "needs the patient's age"),
        ({"method": Method.MANUAL, "tbv_ml": 4500.0}, "tbv_reason", "Say why"),
        ({"method": Method.MANUAL, "tbv_reason": "Optia"}, "tbv_ml", "needs the value"),
        ({"fluids": FluidPlan(Shares(albumin=0.5))}, "albumin_fraction", "add up to 1"),
        ({"fluids": FluidPlan(Shares(albumin=0.7, saline=0.3))}, "saline_fraction", "at most 25%"),
        ({"fluids": FluidPlan(fluid_balance=2.0)}, "fluid_balance", "between 0.5 and 1.5"),
        ({"device": DeviceSettings(inlet_flow_ml_per_min=0)}, "inlet_flow_ml_per_min", "outside 5–300"),
        ({"session_hours": ()}, "sessions", "outside the limits"),
        ({"session_hours": (0, 48, 24)}, "session_hours", "never go back"),
        ({"session_hours": (12, 36)}, "session_hours", "start at 0 h"),
        ({"igg_g_per_l": 101.0}, "igg_g_per_l", "outside the limits 0–100 g/L"),
    ],
)
def test_input_outside_the_hard_limits_raises_a_clear_value_error(given_values: dict, field: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("?", r"\?")) as raised:
        plan_exchange(ExchangeRequest(**(A | given_values)))
    assert isinstance(raised.value, InputError)
    assert raised.value.field == field


# Hypothesis: inside the hard limits every input gives a clean plan; outside, a ValueError.
weights = st.floats(min_value=0.5, max_value=300)
heights = st.floats(min_value=30, max_value=250)
haematocrits = st.floats(min_value=0.05, max_value=0.80)
multiples = st.floats(min_value=0.25, max_value=4)
methods = st.sampled_from([Method.NADLER, Method.GILCHER, Method.LEMMENS, Method.WEIGHT, Method.PAEDIATRIC])


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(list(Sex)),
    weights,
    heights,
    haematocrits,
    multiples,
    methods,
    st.sampled_from(list(Build)),
    st.floats(min_value=0, max_value=120),
)
def test_any_input_inside_the_limits_gives_a_clean_plan(
    sex: Sex, weight: float, height: float, hct: float, x: float, method: Method, build: Build, age: float
) -> None:
    plan = plan_exchange(
        ExchangeRequest(
            sex=sex,
            weight_kg=weight,
            height_cm=height,
            haematocrit=hct,
            plasma_volumes=x,
            method=method,
            build=build,
            age_years=age,
        )
    )
    result = plan.as_dict()
    assert 0 < plan.removal_fraction < 1
    assert result["total_blood_volume_ml"] > 0
    assert result["exchange_volume_ml"] <= result["total_blood_volume_ml"] * 4
    # Whole vials cover the grams as shown; float noise (70.00000000000001 g) buys no eighth vial.
    assert result["replacement"]["albumin_vials"] * 10 >= result["replacement"]["albumin_g"]
    # ... and no more vials than the full-precision grams need (40.04 g shows as 40.0 but needs a fifth).
    assert (result["replacement"]["albumin_vials"] - 1) * 10 < plan.replacement.albumin_g
    assert all(math.isfinite(v) for v in (plan.numbers.duration_min, plan.numbers.inlet_volume_ml))


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(list(Sex)),
    weights,
    st.floats(min_value=0.5, max_value=100),
    heights,
    haematocrits,
    multiples,
    st.sampled_from([Method.NADLER, Method.LEMMENS, Method.WEIGHT, Method.GILCHER]),
)
def test_volumes_grow_with_weight(
    sex: Sex, weight: float, extra: float, height: float, hct: float, x: float, method: Method
) -> None:
    heavier = min(weight + extra, 300.0)

    def exchange(w: float) -> float:
        request = ExchangeRequest(
            sex=sex, weight_kg=w, height_cm=height, haematocrit=hct, plasma_volumes=x, method=method, build=Build.NORMAL
        )
        return plan_exchange(request).exchange_volume_ml

    assert exchange(heavier) >= exchange(weight)


@settings(max_examples=200, deadline=None)
@given(weights, heights, haematocrits, multiples, st.floats(min_value=0.01, max_value=2))
def test_volumes_and_removal_grow_with_the_multiple(
    weight: float, height: float, hct: float, x: float, extra: float
) -> None:
    def plan(multiple: float):
        return plan_exchange(
            ExchangeRequest(
                sex=Sex.FEMALE, weight_kg=weight, height_cm=height, haematocrit=hct, plasma_volumes=multiple
            )
        )

    small, large = plan(x), plan(min(x + extra, 4.0))
    assert large.exchange_volume_ml >= small.exchange_volume_ml
    assert large.removal_fraction >= small.removal_fraction


outside = st.one_of(
    st.builds(dict, weight_kg=st.one_of(st.floats(max_value=0.4999), st.floats(min_value=300.001))),
    st.builds(dict, height_cm=st.one_of(st.floats(max_value=29.999), st.floats(min_value=250.001))),
    st.builds(dict, haematocrit=st.one_of(st.floats(max_value=0.0499), st.floats(min_value=0.8001))),
    st.builds(dict, plasma_volumes=st.one_of(st.floats(max_value=0.2499), st.floats(min_value=4.0001))),
)


@settings(max_examples=300, deadline=None)
@given(outside)
def test_every_input_outside_the_limits_raises_value_error(bad: dict) -> None:
    with pytest.raises(ValueError):
        plan_exchange(ExchangeRequest(**(A | bad)))


CORE = Path(__file__).resolve().parent.parent / "planner" / "core"


@pytest.mark.parametrize("source", sorted(CORE.glob("*.py")), ids=lambda path: path.name)
def test_nothing_under_core_imports_django_or_the_rest_of_the_app(source: Path) -> None:
    imported = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert not {name for name in imported if name.split(".")[0] == "django"}
    assert {name for name in imported if name.startswith("planner")} <= {
        "planner.core",
        *(f"planner.core.{path.stem}" for path in CORE.glob("*.py")),
    }


@pytest.mark.parametrize(
    ("given_values", "code", "words"),
    [
        ({"haematocrit": 0.199}, "low_haematocrit", "Haematocrit 19.9% is below 20%."),
        ({"haematocrit": 0.551}, "high_haematocrit", "Haematocrit 55.1% is above 55%."),
        (
            {"fluids": FluidPlan(Shares(albumin=0.799, saline=0.201))},
            "saline_fraction_high",
            "Saline is 20.1% of the replacement, over 20%",
        ),
        (
            # 150 mL of 999 mL is 15.015 %: "15.0 %" would read as the limit it is over.
            {
                "method": Method.MANUAL,
                "tbv_ml": 999.0,
                "tbv_reason": "Optia screen",
                "device": DeviceSettings(ecv_typical_ml=120, ecv_max_ml=150),
            },
            "ecv_over_15_percent",
            "(up to 15.02 %) of the blood volume, over 15 %",
        ),
    ],
)
def test_a_value_just_past_a_limit_never_reads_as_the_limit(given_values: dict, code: str, words: str) -> None:
    (warning,) = [w for w in plan_exchange(ExchangeRequest(**(A | given_values))).warnings if w.code == code]
    assert words in warning.message


@pytest.mark.parametrize(
    ("value", "limit", "decimals", "shown"),
    [
        (19.9, 20, 0, "19.9"),
        (18.0, 20, 0, "18"),
        # 15.54 against a 15.5 limit: "16" and "15.5" would both read as the limit; two places do not.
        (15.54, 15.5, 0, "15.54"),
        (15.015, 15, 1, "15.02"),
        # It gives up three places on: 20.00001 against 20 shows as "20.000".
        (20.00001, 20, 0, "20.000"),
    ],
)
def test_beyond_shows_a_value_with_as_many_places_as_it_takes(
    value: float, limit: float, decimals: int, shown: str
) -> None:
    assert beyond(value, limit, decimals) == shown


def test_a_limit_setting_with_a_fraction_is_respected_in_the_words() -> None:
    """A 20.5 % limit reads as 20.5 %, and 20.49 % under it reads so (not "20%", as if at the limit)."""
    policy = Policy(haematocrit_usual=(0.205, 0.55), saline_warning_fraction=0.205)
    plan = plan_exchange(
        ExchangeRequest(**(A | {"haematocrit": 0.2049, "fluids": FluidPlan(Shares(albumin=0.7949, saline=0.2051))})),
        policy,
    )
    messages = {w.code: w.message for w in plan.warnings}
    assert messages["low_haematocrit"] == "Haematocrit 20.49% is below 20.5%."
    assert messages["saline_fraction_high"].startswith("Saline is 21% of the replacement, over 20.5%:")


@pytest.mark.parametrize(
    ("value", "trigger", "shown"), [(0.9996, 1.0, 0.999), (0.79951, 0.8, 0.799), (0.9968, 1.0, 0.997)]
)
def test_a_fibrinogen_under_the_trigger_never_shows_as_the_trigger(value: float, trigger: float, shown: float) -> None:
    assert fibrinogen_shown(value, trigger) == shown
