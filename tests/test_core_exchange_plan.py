"""The exchange plan as staff read it: hard limits, rounding at the edge, and the course dictionary.

Pins `planner.core.exchange` apart from its warnings: `check_request` (every hard limit at, just under
and just over each end, the field the `InputError` names and its exact message, NaN/inf/bool refusals,
session times and numbers, the intravascular fraction), `course_hours`, the half-up rounding of
`as_dict()` (module docstring: volumes whole mL, grams/calcium/percent 0.1, fibrinogen 0.01 g/L or
0.001 where 0.01 would round a value under the trigger up to it, fractions 0.001), every key and value
of `as_dict()` for Example A alone and as a daily course, the sessions given plasma for a projected low
fibrinogen, and the policy values that flow into the plan.

Where the numbers come from:
- Example A (clinical-reference.md §6): male, 175 cm, 70 kg, Hct 0.40. Nadler TBV
  0.3669·1.75³ + 0.03219·70 + 0.6041 = 4.8237547 L -> 4824 mL; TPV = 4823.75 × 0.6 = 2894.25 -> 2894 mL;
  removed 1 − e^−1 = 0.6321 -> 0.632; 144.7 g albumin, 15 vials, 150 mL saline each (2250 mL); calcium
  2894.25 / 1000 × 10 = 28.94 -> 28.9 mL; Optia with efficiency 0.87: WB 2894.25 / (0.6 × 0.87) = 5544.5
  -> 5545, inlet × 10/9 = 6160.6 -> 6161, ACD-A 616.06 -> 616, 6160.6 / 60 = 102.7 -> 103 min;
  ECV 141 / 4823.75 = 2.92 % -> 2.9, 185 / 4823.75 = 3.84 % -> 3.8.
- Course (clinical-reference.md §2, kinetics docstring): total-body IgG × (1 − 0.45 × (1 − e^−1)) = × 0.715546
  per session; intravascular after = before × e^−1. Fibrinogen (clinical-reference-modalities.md §5):
  F_post = F_pre · e^(−x(1 − p)), recovery F_base − (F_base − F_post) · e^(−t/116); its daily and
  every-other-day tables from 3.0 g/L are reproduced below.
"""

import math

import pytest

from planner.core.blood_volume import Method, PaediatricTable, Sex
from planner.core.device_numbers import DeviceSettings
from planner.core.exchange import (
    ExchangeRequest,
    LowFibrinogen,
    Marker,
    Policy,
    course_hours,
    fibrinogen_shown,
    fraction,
    plan_exchange,
    replacement_dict,
    tenth,
    volume,
)
from planner.core.fluid_rules import FluidThresholds, PatientFacts, ReplacementPolicy, propose_fluid
from planner.core.kinetics import FibrinogenModel
from planner.core.limits import InputError
from planner.core.replacement import FluidPlan, Shares

A = {"sex": Sex.MALE, "weight_kg": 70.0, "height_cm": 175.0, "haematocrit": 0.40}
DAILY = (0.0, 24.0, 48.0, 72.0, 96.0)
ALBUMIN_ONLY = {"albumin_fraction": 1.0, "plasma_fraction": 0.0, "saline_fraction": 0.0}
LAST_THIRD = {"albumin_fraction": 0.667, "plasma_fraction": 0.333, "saline_fraction": 0.0}

# Example A, 1.0 TPV, all 5 % albumin: 2894.25 mL = 144.71 g = 15 vials (14.47 rounded up), diluent
# 15 × 150 = 2250 mL of saline = 4.5 -> 5 bags of 500 mL.
EXAMPLE_A_ALL_ALBUMIN = {
    "total_ml": 2894,
    "albumin_ml": 2894,
    "albumin_g": 144.7,
    "albumin_vials": 15,
    "albumin_diluent_ml": 2250,
    "plasma_ml": 0,
    "plasma_units": 0,
    "saline_ml": 0,
    "saline_bags": 5,
    "infusion_order": ["albumin"],
}
# Example A, 2/3 albumin + last 1/3 plasma: 1929.50 mL (96.48 g -> 96.5, 10 vials, 1500 mL diluent = 3 bags)
# + 964.75 mL plasma (10 units of 100 mL).
EXAMPLE_A_LAST_THIRD = {
    "total_ml": 2894,
    "albumin_ml": 1930,
    "albumin_g": 96.5,
    "albumin_vials": 10,
    "albumin_diluent_ml": 1500,
    "plasma_ml": 965,
    "plasma_units": 10,
    "saline_ml": 0,
    "saline_bags": 3,
    "infusion_order": ["albumin", "plasma"],
}


def request(**given: object) -> ExchangeRequest:
    return ExchangeRequest(**(A | given))  # type: ignore[arg-type]


def plan(policy: Policy | None = None, **given: object) -> dict:
    return plan_exchange(request(**given), policy).as_dict()


def refusal(policy: Policy | None = None, **given: object) -> tuple[str, str]:
    with pytest.raises(InputError) as raised:
        plan_exchange(request(**given), policy)
    assert str(raised.value) == raised.value.message
    return raised.value.field, raised.value.message


# --- Rounding: half up on the number as typed, once, at the edge -------------------------------------------------


@pytest.mark.parametrize(
    ("rounder", "value", "shown"),
    [
        # Ties go up, never to the even neighbour (half-even would give 2, 4, 28.8, 0.2, 0.062, 0.000).
        (volume, 2.5, 3),
        (volume, 4.5, 5),
        (volume, 2894.4999, 2894),
        (tenth, 28.95, 29.0),  # the float 28.95 is 28.9499…; rounded as a person reads it
        (tenth, 28.85, 28.9),
        (tenth, 0.25, 0.3),
        (tenth, 28.94, 28.9),
        (fraction, 0.0005, 0.001),
        (fraction, 0.0625, 0.063),
        (fraction, 0.6321205588, 0.632),
    ],
)
def test_a_tie_rounds_half_up_as_a_person_rounds(rounder, value: float, shown: float) -> None:
    assert rounder(value) == shown


@pytest.mark.parametrize(
    ("value", "trigger", "shown"),
    [
        (None, 1.0, None),
        (3.0, 1.0, 3.0),
        (1.125, 1.0, 1.13),  # a tie at 0.01 goes up
        (1.004, 1.0, 1.0),  # above the trigger: 0.01 is enough
        (0.85, 1.0, 0.85),  # under the trigger and shown under it at 0.01
        (0.994, 1.0, 0.99),
        (0.9968300447914262, 1.0, 0.997),  # 1.00 at 0.01 would contradict its own warning
        (0.9965, 1.0, 0.997),  # a tie at 0.001 goes up too
        (0.995, 1.0, 0.995),
        (0.995, 0.995, 1.0),  # at the trigger is not under it: 0.01
        (1.005, 1.005, 1.01),
    ],
)
def test_fibrinogen_shows_to_0_01_unless_that_lifts_a_value_under_the_trigger_to_it(
    value: float | None, trigger: float, shown: float | None
) -> None:
    assert fibrinogen_shown(value, trigger) == shown


# --- as_dict: every key and value of a worked case ---------------------------------------------------------------


# Example A, one session of 1.0 plasma volume, all albumin on the Optia: the keys every plan has.
EXAMPLE_A_SESSION = {
    "method": "nadler",
    "formula": "Nadler: 0.3669·H³ + 0.03219·W + 0.6041 L (H in m, W in kg)",
    "total_blood_volume_ml": 4824,
    "plasma_volume_ml": 2894,
    "plasma_volumes": 1.0,
    "exchange_volume_ml": 2894,
    "removal_fraction": 0.632,
    "shares": ALBUMIN_ONLY,
    "fluid_balance": 1.0,
    "replacement": EXAMPLE_A_ALL_ALBUMIN,
    "device": "Spectra Optia",
    "whole_blood_processed_ml": 5545,
    "inlet_volume_ml": 6161,
    "anticoagulant_ml": 616,
    "duration_min": 103,
    "calcium_gluconate_ml": 28.9,
    "extracorporeal_percent": 2.9,
    "extracorporeal_max_percent": 3.8,
    # ACD-A: 60 mL/min ÷ 10 ÷ 4.8243 L = 1.2437 -> 1.24 mL/min/L; the most within 1.2 mL/min/L is
    # 1.2 × 4.8243 × 10 = 57.89 -> 57.9 mL/min (clinical-reference-modalities.md §4).
    "ac_rate_ml_per_min_per_l": 1.24,
    "max_inlet_flow_ml_per_min": 57.9,
    "prescription": "plasma_volumes",
    "prescribed_amount": None,
    "fibrinogen_doses": None,
    # TPE: the plasma processed is the plasma exchanged.
    "modality": "tpe",
    "processed_plasma_ml": 2894,
    "processed_plasma_volumes": 1.0,
    "dfpp": None,
    "ia": None,
    # 3.8 % of the blood volume is under the 15 % that requires a prime: none.
    "prime": None,
}


def test_example_a_as_a_single_session_pins_every_key_and_value() -> None:
    assert plan() == {
        **EXAMPLE_A_SESSION,
        "warnings": [],
    }


def test_a_heparin_membrane_device_has_no_citrate_and_its_inlet_is_the_whole_blood() -> None:
    membrane = DeviceSettings(
        name="Plasauto membrane", plasma_removal_efficiency=0.8, inlet_ac_ratio=None, inlet_flow_ml_per_min=100
    )
    result = plan(device=membrane)
    # WB = 2894.25 / (0.6 × 0.8) = 6029.7 -> 6030 mL; 6029.7 / 100 mL/min = 60.3 -> 60 min.
    assert {key: result[key] for key in ("device", "whole_blood_processed_ml", "inlet_volume_ml")} == {
        "device": "Plasauto membrane",
        "whole_blood_processed_ml": 6030,
        "inlet_volume_ml": 6030,
    }
    assert (result["anticoagulant_ml"], result["duration_min"]) == (None, 60)


@pytest.mark.parametrize(
    ("fluids", "expected"),
    [
        (FluidPlan(), EXAMPLE_A_ALL_ALBUMIN),
        (FluidPlan(Shares(albumin=2 / 3, plasma=1 / 3)), EXAMPLE_A_LAST_THIRD),
        (
            # 20 % saline first: 578.85 mL saline; 2315.40 mL albumin = 115.77 g -> 12 vials, 1800 mL diluent;
            # 578.85 + 1800 = 2378.85 mL of saline = 4.76 -> 5 bags.
            FluidPlan(Shares(albumin=0.8, saline=0.2)),
            {
                "total_ml": 2894,
                "albumin_ml": 2315,
                "albumin_g": 115.8,
                "albumin_vials": 12,
                "albumin_diluent_ml": 1800,
                "plasma_ml": 0,
                "plasma_units": 0,
                "saline_ml": 579,
                "saline_bags": 5,
                "infusion_order": ["saline", "albumin"],
            },
        ),
        (
            # Fluid balance 1.2: 2894.25 × 1.2 = 3473.10 mL of plasma = 34.7 -> 35 units.
            FluidPlan(Shares(albumin=0, plasma=1), fluid_balance=1.2),
            {
                "total_ml": 3473,
                "albumin_ml": 0,
                "albumin_g": 0.0,
                "albumin_vials": 0,
                "albumin_diluent_ml": 0,
                "plasma_ml": 3473,
                "plasma_units": 35,
                "saline_ml": 0,
                "saline_bags": 0,
                "infusion_order": ["plasma"],
            },
        ),
    ],
)
def test_the_replacement_is_shown_with_every_quantity_to_order(fluids: FluidPlan, expected: dict) -> None:
    built = plan_exchange(request(fluids=fluids))
    assert replacement_dict(built.replacement) == expected
    assert built.as_dict()["replacement"] == expected
    assert built.as_dict()["fluid_balance"] == fluids.fluid_balance


def test_a_proposal_is_kept_with_its_reasons_and_a_withheld_plasma_warns() -> None:
    """Plasma avoided (pneumococcal HUS) with fibrinogen 0.8 g/L: albumin, plasma withheld, delay advised."""
    proposal = propose_fluid(ReplacementPolicy.PLASMA_AVOIDED, PatientFacts(fibrinogen_g_per_l=0.8))
    result = plan_exchange(request(fibrinogen_g_per_l=0.8), proposal=proposal).as_dict()
    assert result["proposal"] == {
        "choice": "albumin",
        **ALBUMIN_ONLY,
        "reasons": [
            "Plasma is avoided for this indication (donor plasma carries anti-T antibodies): albumin, whatever "
            "else would call for plasma.",
            "Fibrinogen 0.8 g/L is below the 1 g/L trigger: last third plasma. Not given: plasma is avoided.",
            "Delay the session until fibrinogen is back to 1 g/L.",
        ],
        "is_plasma_withheld": True,
        "is_delay_advised": True,
    }
    # A single session's warnings name no sessions.
    assert result["warnings"] == [
        {
            "code": "fibrinogen_below_trigger",
            # 70 mg/dL × 28.943 dL = 2026 mg ÷ 250 = 8.1 -> 9 units; 70 / 1.7 = 41.18 mg/kg × 70 kg = 2882 mg.
            "message": "Fibrinogen 0.8 g/L is below the 1 g/L trigger: replace part or all with plasma, give "
            "cryoprecipitate (9 units) or fibrinogen concentrate (2882 mg) to reach 1.5 g/L, or delay.",
        },
        {
            "code": "plasma_avoided",
            "message": "A reason for plasma applies, but plasma is avoided for this indication: the plan stays "
            "plasma-free.",
        },
    ]
    assert "course" not in result and "session_fluids" not in result


def test_a_plan_without_a_proposal_or_session_times_has_neither_in_its_dictionary() -> None:
    result = plan()
    assert "proposal" not in result
    assert "course" not in result
    assert "session_fluids" not in result


# Example A, daily × 5, fibrinogen 3.0 g/L, IgG 12.0 g/L, anti-Dsg3 152 U/mL, plasma for a low fibrinogen.
# IgG total body before n = 0.715546^(n−1): 1, 0.715546, 0.512006, 0.366364, 0.262150 (after the 5th 0.187580).
# Intravascular after = before × 0.367879: 0.367879, 0.263235, 0.188356, 0.134778, 0.096440.
# IgG g/L = 12 × those: before 12.0, 8.59, 6.14, 4.40, 3.15; after 4.41, 3.16, 2.26, 1.62, 1.16.
# Marker after = 152 × total body after: 108.76, 77.82, 55.69, 39.85, 28.51 (3 significant figures).
# Fibrinogen: 3.0 -> 3e^−1 = 1.1036; 24 h: 3 − 1.8964 × e^(−24/116 = 0.813036) = 1.4581 -> 1.4581e^−1 = 0.5364;
# 3 − 2.4636 × 0.813036 = 0.99683, under 1.0: last third plasma, after 0.99683 × e^(−2/3) = 0.51179;
# 3 − 2.48821 × 0.813036 = 0.97683 -> 0.50152; 3 − 2.49848 × 0.813036 = 0.96848 -> 0.49723.
def _daily_session(number, hours, before, intravascular, after, igg, fibrinogen, plasma, marker) -> dict:
    return {
        "number": number,
        "hours_from_first": hours,
        "total_body_before": before,
        "intravascular_after": intravascular,
        "total_body_after": after,
        "fibrinogen_before_g_per_l": fibrinogen[0],
        "fibrinogen_after_g_per_l": fibrinogen[1],
        "is_fibrinogen_below_trigger": fibrinogen[0] < 1.0,
        "plasma_fraction": plasma,
        "is_topped_up": plasma > 0,
        "igg_before_g_per_l": igg[0],
        "igg_after_g_per_l": igg[1],
        "marker_after": marker,
    }


EXAMPLE_A_DAILY_COURSE = {
    "intravascular_fraction": 0.45,
    "total_body_remaining": 0.188,
    "fibrinogen_trigger_g_per_l": 1.0,
    "fibrinogen_low_sessions": [3, 4, 5],
    "sessions": [
        _daily_session(1, 0.0, 1.0, 0.368, 0.716, (12.0, 4.4), (3.0, 1.1), 0.0, 109.0),
        _daily_session(2, 24.0, 0.716, 0.263, 0.512, (8.6, 3.2), (1.46, 0.54), 0.0, 77.8),
        _daily_session(3, 48.0, 0.512, 0.188, 0.366, (6.1, 2.3), (0.997, 0.51), 0.333, 55.7),
        _daily_session(4, 72.0, 0.366, 0.135, 0.262, (4.4, 1.6), (0.98, 0.5), 0.333, 39.8),
        _daily_session(5, 96.0, 0.262, 0.096, 0.188, (3.1, 1.2), (0.97, 0.5), 0.333, 28.5),
    ],
    "marker": {"name": "anti-Dsg3", "value": 152.0, "unit": "U/mL"},
}


def test_example_a_as_a_daily_course_pins_every_key_and_value() -> None:
    proposal = propose_fluid(ReplacementPolicy.ALBUMIN, PatientFacts(fibrinogen_g_per_l=3.0))
    given = request(
        fibrinogen_g_per_l=3.0,
        igg_g_per_l=12.0,
        marker=Marker("anti-Dsg3", 152.0, "U/mL"),
        session_hours=DAILY,
        low_fibrinogen=LowFibrinogen.PLASMA,
    )
    result = plan_exchange(given, proposal=proposal).as_dict()

    def session_fluids(number: int, value: str) -> dict:
        return {
            "number": number,
            **LAST_THIRD,
            "replacement": EXAMPLE_A_LAST_THIRD,
            "reason": f"Fibrinogen projected at {value} g/L before this session, under the 1 g/L trigger: "
            "last third plasma.",
        }

    assert result == {
        **EXAMPLE_A_SESSION,
        "warnings": [
            {
                "code": "fibrinogen_projected_below_trigger",
                "message": "Fibrinogen is projected under the 1 g/L trigger before session 3 (0.997 g/L): plasma "
                "is planned for sessions 3, 4, 5. Check fibrinogen before each session.",
                "sessions": [3, 4, 5],
            }
        ],
        "proposal": {
            "choice": "albumin",
            **ALBUMIN_ONLY,
            "reasons": ["ASFA's usual replacement for this indication is albumin."],
            "is_plasma_withheld": False,
            "is_delay_advised": False,
        },
        "course": EXAMPLE_A_DAILY_COURSE,
        "session_fluids": [session_fluids(3, "0.997"), session_fluids(4, "0.98"), session_fluids(5, "0.97")],
    }


def test_the_sessions_given_plasma_are_found_by_their_number() -> None:
    built = plan_exchange(request(fibrinogen_g_per_l=3.0, session_hours=DAILY, low_fibrinogen=LowFibrinogen.PLASMA))
    assert [built.fluids_for_session(number).number for number in (3, 4, 5)] == [3, 4, 5]
    assert built.fluids_for_session(3).shares.values() == pytest.approx((2 / 3, 1 / 3, 0.0))
    assert built.fluids_for_session(1) is None
    assert built.fluids_for_session(2) is None
    assert built.fluids_for_session(6) is None


@pytest.mark.parametrize(
    ("hours", "before", "after", "low"),
    [
        # clinical-reference-modalities.md §5, F_base 3.0 g/L, 1.0 PV albumin; session 3's 0.99683 shows 0.997.
        (DAILY, [3.0, 1.46, 0.997, 0.86, 0.82], [1.1, 0.54, 0.37, 0.32, 0.3], [3, 4, 5]),
        ((0.0, 48.0, 96.0, 144.0, 192.0), [3.0, 1.75, 1.44, 1.37, 1.35], [1.1, 0.64, 0.53, 0.5, 0.5], []),
    ],
)
@pytest.mark.parametrize("low_fibrinogen", [LowFibrinogen.WARN, LowFibrinogen.DELAY])
def test_a_course_without_a_plasma_top_up_reproduces_the_reference_fibrinogen_table(
    hours: tuple, before: list, after: list, low: list, low_fibrinogen: LowFibrinogen
) -> None:
    result = plan(fibrinogen_g_per_l=3.0, session_hours=hours, low_fibrinogen=low_fibrinogen)
    sessions = result["course"]["sessions"]
    assert [s["fibrinogen_before_g_per_l"] for s in sessions] == before
    assert [s["fibrinogen_after_g_per_l"] for s in sessions] == after
    assert [s["number"] for s in sessions if s["is_fibrinogen_below_trigger"]] == low
    assert result["course"]["fibrinogen_low_sessions"] == low
    assert {s["plasma_fraction"] for s in sessions} == {0.0}
    assert not any(s["is_topped_up"] for s in sessions)
    assert result["session_fluids"] == []


def test_fibrinogen_exactly_at_the_trigger_is_not_under_it() -> None:
    (session,) = plan(fibrinogen_g_per_l=1.0, session_hours=(0.0,))["course"]["sessions"]
    assert (session["fibrinogen_before_g_per_l"], session["is_fibrinogen_below_trigger"]) == (1.0, False)


def test_a_course_without_fibrinogen_igg_or_marker_leaves_them_out() -> None:
    result = plan(session_hours=(0.0, 48.0))
    assert result["course"] == {
        "intravascular_fraction": 0.45,
        "total_body_remaining": 0.512,
        "fibrinogen_trigger_g_per_l": 1.0,
        "fibrinogen_low_sessions": [],
        "sessions": [
            {
                "number": number,
                "hours_from_first": hours,
                "total_body_before": before,
                "intravascular_after": intravascular,
                "total_body_after": after,
                "fibrinogen_before_g_per_l": None,
                "fibrinogen_after_g_per_l": None,
                "is_fibrinogen_below_trigger": False,
                "plasma_fraction": 0.0,
                "is_topped_up": False,
            }
            for number, hours, before, intravascular, after in (
                (1, 0.0, 1.0, 0.368, 0.716),
                (2, 48.0, 0.716, 0.263, 0.512),
            )
        ],
    }
    assert result["session_fluids"] == []


def test_the_units_policy_and_a_booked_courses_numbers_flow_into_the_course() -> None:
    """IgM (0.76 intravascular), k = 1.2, τ = 72 h, trigger 1.5 g/L, plasma last half; sessions 3 and 5 of a course.

    Total body × (1 − 0.76 × 0.632121 = 0.519588) per session: 1, 0.520 before; after 0.520, 0.270;
    intravascular after 0.368, 0.519588 × 0.367879 = 0.191. Fibrinogen 2.0 -> 2.0 × e^−1.2 = 0.60239;
    24 h: 2 − 1.39761 × e^(−1/3 = 0.716531) = 0.99857 (under 1.5; 0.01 shows 1.0, not lifted to the trigger),
    half plasma: 0.99857 × e^(−1.2 × 0.5 = 0.548812) = 0.54803.
    Plasma last half: 1447.13 mL albumin = 72.36 g -> 8 vials, 1200 mL diluent = 2.4 -> 3 bags;
    1447.13 mL plasma = 14.47 -> 15 units.
    """
    policy = Policy(
        igg_intravascular_fraction=0.76,
        fibrinogen=FibrinogenModel(depletion_k=1.2, recovery_tau_hours=72.0),
        fibrinogen_trigger_g_per_l=1.5,
        plasma_last_share=0.5,
    )
    given = {
        "fibrinogen_g_per_l": 2.0,
        "session_hours": (0.0, 24.0),
        "session_numbers": (3, 5),
        "low_fibrinogen": LowFibrinogen.PLASMA,
    }
    result = plan(policy, **given)
    course = result["course"]
    assert (course["intravascular_fraction"], course["total_body_remaining"]) == (0.76, 0.27)
    assert (course["fibrinogen_trigger_g_per_l"], course["fibrinogen_low_sessions"]) == (1.5, [5])
    assert [
        (
            s["number"],
            s["total_body_before"],
            s["intravascular_after"],
            s["total_body_after"],
            s["fibrinogen_before_g_per_l"],
            s["fibrinogen_after_g_per_l"],
            s["is_fibrinogen_below_trigger"],
            s["plasma_fraction"],
            s["is_topped_up"],
        )
        for s in course["sessions"]
    ] == [
        (3, 1.0, 0.368, 0.52, 2.0, 0.6, False, 0.0, False),
        (5, 0.52, 0.191, 0.27, 1.0, 0.55, True, 0.5, True),
    ]
    assert result["session_fluids"] == [
        {
            "number": 5,
            "albumin_fraction": 0.5,
            "plasma_fraction": 0.5,
            "saline_fraction": 0.0,
            "replacement": {
                "total_ml": 2894,
                "albumin_ml": 1447,
                "albumin_g": 72.4,
                "albumin_vials": 8,
                "albumin_diluent_ml": 1200,
                "plasma_ml": 1447,
                "plasma_units": 15,
                "saline_ml": 0,
                "saline_bags": 3,
                "infusion_order": ["albumin", "plasma"],
            },
            "reason": "Fibrinogen projected at 1 g/L before this session, under the 1.5 g/L trigger: last 50% plasma.",
        }
    ]
    assert plan_exchange(request(**given), policy).fluids_for_session(5).number == 5


def test_the_policy_hands_every_fluid_threshold_to_the_fluid_rules() -> None:
    policy = Policy(
        fibrinogen_trigger_g_per_l=0.8,
        plasma_last_share=0.5,
        saline_share=0.15,
        saline_min_age_years=16,
        saline_max_age_excluded=70,
    )
    assert policy.fluid_thresholds() == FluidThresholds(
        fibrinogen_trigger_g_per_l=0.8,
        plasma_last_share=0.5,
        saline_share=0.15,
        saline_min_age_years=16,
        saline_max_age_excluded=70,
    )
    assert Policy().fluid_thresholds() == FluidThresholds(
        fibrinogen_trigger_g_per_l=1.0, plasma_last_share=1 / 3, saline_share=0.2
    )


# --- Blood volume inputs that reach the plan ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "policy", "tbv_ml", "formula"),
    [
        # A 7-day-old of 1.2 kg: preterm 100 mL/kg = 120 mL; term 85 mL/kg = 102 mL (clinical-reference.md §1).
        ({"is_preterm": True}, None, 120, "paediatric table: 100 mL/kg × W"),
        ({"is_preterm": False}, None, 102, "paediatric table: 85 mL/kg × W"),
        # The unit's own table: a 2-year-old of 1.2 kg at 75 mL/kg = 90 mL.
        ({"age_years": 2.0}, Policy(paediatric=PaediatricTable(child=75)), 90, "paediatric table: 75 mL/kg × W"),
    ],
)
def test_the_paediatric_table_uses_the_preterm_flag_and_the_units_own_table(
    given: dict, policy: Policy | None, tbv_ml: int, formula: str
) -> None:
    neonate = {"sex": Sex.FEMALE, "weight_kg": 1.2, "height_cm": 40.0, "haematocrit": 0.45, "age_years": 7 / 365.25}
    result = plan_exchange(ExchangeRequest(**(neonate | {"method": Method.PAEDIATRIC} | given)), policy).as_dict()
    assert (result["method"], result["total_blood_volume_ml"], result["formula"]) == ("paediatric", tbv_ml, formula)


def test_a_typed_in_blood_volume_keeps_its_reason() -> None:
    result = plan(method=Method.MANUAL, tbv_ml=4500.0, tbv_reason=" from the Optia screen ")
    # TPV = 4500 × 0.6 = 2700 mL.
    assert (result["method"], result["formula"]) == ("manual", "typed in: from the Optia screen")
    assert (result["total_blood_volume_ml"], result["plasma_volume_ml"]) == (4500, 2700)


# --- Hard limits -------------------------------------------------------------------------------------------------

HARD_LIMITS = [
    # name, low, high, unit as shown, just under low, just over high
    ("weight_kg", 0.5, 300.0, " kg", 0.49, 300.1),
    ("height_cm", 30.0, 250.0, " cm", 29.9, 250.1),
    ("haematocrit", 0.05, 0.8, "", 0.049, 0.801),
    ("plasma_volumes", 0.25, 4.0, "", 0.249, 4.01),
    ("age_years", 0.0, 120.0, " years", -0.01, 120.1),
    ("tbv_ml", 50.0, 15000.0, " mL", 49.9, 15000.1),
    ("fibrinogen_g_per_l", 0.0, 20.0, " g/L", -0.01, 20.01),
    ("igg_g_per_l", 0.0, 100.0, " g/L", -0.01, 100.01),
]


@pytest.mark.parametrize(("name", "low", "high", "unit", "under", "over"), HARD_LIMITS, ids=lambda v: str(v))
def test_each_hard_limit_accepts_both_ends_and_refuses_just_outside_with_the_field_and_limits(
    name: str, low: float, high: float, unit: str, under: float, over: float
) -> None:
    step = (high - low) / 1000
    for inside in (low, low + step, high - step, high):
        plan_exchange(request(**{name: inside}))
    limits = f"{low:g}–{high:g}{unit}"
    assert refusal(**{name: under}) == (name, f"{under:g}{unit} is outside the limits {limits}.")
    assert refusal(**{name: over}) == (name, f"{over:g}{unit} is outside the limits {limits}.")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("weight_kg", 0.49, "0.49 kg is outside the limits 0.5–300 kg."),
        ("height_cm", 250.1, "250.1 cm is outside the limits 30–250 cm."),
        ("haematocrit", 0.049, "0.049 is outside the limits 0.05–0.8."),
        ("haematocrit", 1.0, "1 is outside the limits 0.05–0.8."),  # a fraction of 1 is not a percentage
        ("plasma_volumes", 4.01, "4.01 is outside the limits 0.25–4."),
        ("age_years", 120.1, "120.1 years is outside the limits 0–120 years."),
        ("tbv_ml", 49.9, "49.9 mL is outside the limits 50–15000 mL."),
        ("fibrinogen_g_per_l", 20.01, "20.01 g/L is outside the limits 0–20 g/L."),
        ("igg_g_per_l", -0.01, "-0.01 g/L is outside the limits 0–100 g/L."),
    ],
)
def test_a_value_outside_its_limits_is_named_in_words_staff_read(name: str, value: float, message: str) -> None:
    assert refusal(**{name: value}) == (name, message)


@pytest.mark.parametrize(
    ("haematocrit", "message"),
    [
        (1.5, "Haematocrit is a fraction: did you mean 0.015?"),
        (40.0, "Haematocrit is a fraction: did you mean 0.40?"),
        (45.5, "Haematocrit is a fraction: did you mean 0.455?"),
        (100.0, "Haematocrit is a fraction: did you mean 1.00?"),
        (100.5, "Haematocrit is a fraction."),  # no percentage to suggest
        (150.0, "Haematocrit is a fraction."),
    ],
)
def test_a_haematocrit_over_1_is_taken_for_a_percentage(haematocrit: float, message: str) -> None:
    assert refusal(haematocrit=haematocrit) == ("haematocrit", message)


FINITE_NAMES = [
    "weight_kg",
    "height_cm",
    "haematocrit",
    "plasma_volumes",
    "age_years",
    "tbv_ml",
    "fibrinogen_g_per_l",
    "igg_g_per_l",
]


@pytest.mark.parametrize("name", FINITE_NAMES)
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, True, False], ids=repr)
def test_nan_infinity_and_booleans_are_refused_as_numbers(name: str, value: float) -> None:
    # A tick box's True would otherwise be 1 kg or 1 g/L; False a fibrinogen of 0.
    assert refusal(**{name: value}) == (name, f"{name} must be a finite number.")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, True], ids=repr)
def test_a_markers_value_must_be_a_finite_number(value: float) -> None:
    assert refusal(marker=Marker("anti-MDA5", value, "U/mL")) == ("marker", "marker must be a finite number.")


@pytest.mark.parametrize("value", [-1.0, -0.001])
def test_a_markers_value_cannot_be_negative(value: float) -> None:
    assert refusal(marker=Marker("anti-MDA5", value, "U/mL")) == ("marker", "A marker's value cannot be negative.")


@pytest.mark.parametrize("value", [0.0, 0.5, 1.0])
def test_a_marker_of_zero_or_under_one_is_a_value(value: float) -> None:
    result = plan(marker=Marker("anti-MDA5", value, "U/mL"), session_hours=(0.0,))
    assert result["course"]["marker"] == {"name": "anti-MDA5", "value": value, "unit": "U/mL"}
    # One session leaves 0.715546 of it: 0.5 -> 0.358, 1 -> 0.716.
    assert result["course"]["sessions"][0]["marker_after"] == {0.0: 0.0, 0.5: 0.358, 1.0: 0.716}[value]


# --- Session times and numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("sessions", [1, 2, 59, 60])
def test_a_course_of_1_to_60_sessions_is_planned(sessions: int) -> None:
    hours = tuple(24.0 * n for n in range(sessions))
    course = plan(session_hours=hours)["course"]
    assert [s["number"] for s in course["sessions"]] == list(range(1, sessions + 1))
    assert course["sessions"][-1]["hours_from_first"] == 24.0 * (sessions - 1)


@pytest.mark.parametrize(("sessions", "shown"), [(0, "0"), (61, "61")])
def test_a_course_of_no_session_or_over_60_is_refused(sessions: int, shown: str) -> None:
    hours = tuple(24.0 * n for n in range(sessions))
    assert refusal(session_hours=hours) == ("sessions", f"{shown} is outside the limits 1–60.")


@pytest.mark.parametrize(
    "hours",
    [(12.0, 36.0), (0.0, 48.0, 24.0), (0.0, 24.0, 23.9), (-24.0, 0.0), (0.0, math.nan), (0.0, math.inf)],
    ids=repr,
)
def test_session_times_start_at_0_h_and_never_go_back(hours: tuple) -> None:
    assert refusal(session_hours=hours) == ("session_hours", "Session times start at 0 h and never go back.")


def test_two_sessions_at_the_same_hour_do_not_go_back() -> None:
    course = plan(session_hours=(0.0, 24.0, 24.0))["course"]
    assert [s["hours_from_first"] for s in course["sessions"]] == [0.0, 24.0, 24.0]


@pytest.mark.parametrize(
    "numbers",
    [(1, 2, 3), (1,), (2, 2), ()],
    ids=repr,
)
def test_each_session_has_one_number_of_its_own(numbers: tuple) -> None:
    assert refusal(session_hours=(0.0, 48.0), session_numbers=numbers) == (
        "session_numbers",
        "Each session has one number of its own.",
    )


def test_a_booked_course_keeps_its_numbers_after_a_cancellation() -> None:
    course = plan(session_hours=(0.0, 48.0, 96.0), session_numbers=(1, 2, 4))["course"]
    assert [s["number"] for s in course["sessions"]] == [1, 2, 4]


# --- The intravascular fraction ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.0, -0.1, 1.001, 2.0, math.nan])
def test_the_intravascular_fraction_is_above_0_and_at_most_1(value: float) -> None:
    assert refusal(Policy(igg_intravascular_fraction=value)) == (
        "intravascular_fraction",
        "The intravascular fraction is above 0 and at most 1.",
    )


@pytest.mark.parametrize(("value", "remaining"), [(0.001, 0.999), (1.0, 0.368)])
def test_an_intravascular_fraction_just_above_0_or_of_1_is_planned(value: float, remaining: float) -> None:
    # One session leaves 1 − f × 0.632121: 0.99937 -> 0.999; all intravascular e^−1 = 0.368.
    course = plan(Policy(igg_intravascular_fraction=value), session_hours=(0.0,))["course"]
    assert (course["intravascular_fraction"], course["total_body_remaining"]) == (value, remaining)


# --- course_hours ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sessions", "interval", "hours"),
    [
        (5, 24.0, (0.0, 24.0, 48.0, 72.0, 96.0)),
        (3, 48.0, (0.0, 48.0, 96.0)),
        (1, 12.0, (0.0,)),
        (2, 12.0, (0.0, 12.0)),
        (2, 672.0, (0.0, 672.0)),
    ],
)
def test_course_hours_space_the_sessions_by_the_interval(sessions: int, interval: float, hours: tuple) -> None:
    assert course_hours(sessions, interval) == hours


def test_course_hours_allow_1_to_60_sessions() -> None:
    assert course_hours(60, 24.0)[-1] == 59 * 24.0
    assert len(course_hours(60, 24.0)) == 60


@pytest.mark.parametrize(
    ("sessions", "interval", "field", "message"),
    [
        (0, 24.0, "sessions", "0 is outside the limits 1–60."),
        (61, 24.0, "sessions", "61 is outside the limits 1–60."),
        (5, 11.9, "interval_hours", "11.9 h is outside the limits 12–672 h."),
        (5, 672.1, "interval_hours", "672.1 h is outside the limits 12–672 h."),
        (5, math.nan, "interval_hours", "interval_hours must be a finite number."),
        (5, math.inf, "interval_hours", "interval_hours must be a finite number."),
        (5, True, "interval_hours", "interval_hours must be a finite number."),
    ],
)
def test_course_hours_refuse_a_course_outside_its_limits(
    sessions: int, interval: float, field: str, message: str
) -> None:
    with pytest.raises(InputError) as raised:
        course_hours(sessions, interval)
    assert (raised.value.field, raised.value.message) == (field, message)
