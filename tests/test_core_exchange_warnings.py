"""The exchange plan's warnings: each one's code, exact English text, sessions and threshold.

Pins `_warnings` and `_course_warnings` of planner.core.exchange, and `Policy.fluid_thresholds()`.
Each limit is tried exactly at, just under and just over its value. The limits and worked numbers come
from docs/clinical-reference.md (§1 Nadler not valid below ~25 kg and the weight rule overestimating in
obesity; §2 the usual 1–1.5 plasma volumes and the < 1.0 g/L fibrinogen trigger; §3 saline at most
20–25 %; §4 ECV over 15 % of TBV and Example D; §6 Examples A and C) and clinical-reference-modalities.md
§5 (the fibrinogen course: daily from 3.0 g/L falls under the trigger before session 3). Every other
number is worked by hand in a comment. The messages are product text, asserted whole, values filled in.
"""

import math

import pytest

from planner.core.blood_volume import Method, PaediatricTable, Sex
from planner.core.device_numbers import DeviceSettings
from planner.core.exchange import (
    ExchangePlan,
    ExchangeRequest,
    LowFibrinogen,
    PlanWarning,
    Policy,
    plan_exchange,
)
from planner.core.fluid_rules import (
    FluidChoice,
    FluidProposal,
    FluidThresholds,
    PatientFacts,
    ReplacementPolicy,
    propose_fluid,
)
from planner.core.kinetics import FibrinogenModel
from planner.core.replacement import FluidPlan, Shares

# Example A (clinical-reference.md §6): male, 175 cm, 70 kg, Hct 0.40. Nadler TBV 4823.8 mL, so the Optia's
# 185 mL is 3.8 % of it; 1.0 plasma volume, all albumin: no warning at all.
A = {"sex": Sex.MALE, "weight_kg": 70.0, "height_cm": 175.0, "haematocrit": 0.40}
DAILY = (0, 24, 48, 72, 96)
ALTERNATE = (0, 48, 96, 144, 192)

# A device of 120 mL typical and 150 mL maximum on a typed-in TBV of 1000 mL: 150 / 1000 · 100 = 15 % exactly
# (0.15 · 100 is 15.0 in binary floating point too), the limit itself.
SMALL_SET = DeviceSettings(name="Small set", ecv_typical_ml=120, ecv_max_ml=150)


def manual_tbv(tbv_ml: float) -> dict:
    return {"method": Method.MANUAL, "tbv_ml": tbv_ml, "tbv_reason": "from the device screen", "device": SMALL_SET}


def plan(policy: Policy | None = None, proposal: FluidProposal | None = None, **changes: object) -> ExchangePlan:
    return plan_exchange(ExchangeRequest(**(A | changes)), policy, proposal=proposal)


def the_warning(result: ExchangePlan, code: str) -> PlanWarning:
    (found,) = [w for w in result.warnings if w.code == code]
    return found


def test_example_a_has_no_warning() -> None:
    assert plan().warnings == ()


# --- Thresholds: at, just under and just over each limit ---------------------------------------------------------

THRESHOLDS = [
    # ECV > 15 % of TBV requires a prime (§4; modalities reference §4). Max 150 mL: TBV 1000 -> 15.000 %,
    # 1001 -> 14.985 %, 999 -> 15.015 %.
    ("ecv at 15 %", {}, manual_tbv(1000.0), "ecv_over_15_percent", False),
    ("ecv just under 15 %", {}, manual_tbv(1001.0), "ecv_over_15_percent", False),
    ("ecv just over 15 %", {}, manual_tbv(999.0), "ecv_over_15_percent", True),
    # ECV > 10 % warns (the modalities reference's priming trigger): 150 / 1500 = 10.000 %, 1499 -> 10.007 %.
    ("ecv at 15 % is over 10 %", {}, manual_tbv(1000.0), "ecv_over_10_percent", True),
    ("ecv at 10 %", {}, manual_tbv(1500.0), "ecv_over_10_percent", False),
    ("ecv just over 10 %", {}, manual_tbv(1499.0), "ecv_over_10_percent", True),
    ("ecv over 15 % is the prime, not the warning", {}, manual_tbv(999.0), "ecv_over_10_percent", False),
    # The limits are the unit's: with a prime from 20 %, 15.015 % only warns.
    ("ecv under a 20 % prime setting", {"ecv_prime_percent": 20}, manual_tbv(999.0), "ecv_over_15_percent", False),
    # The paediatric table is for children under 18 years and up to 35 kg (issue 16).
    (
        "table at 17 y 35 kg",
        {},
        {"method": Method.PAEDIATRIC, "age_years": 17.0, "weight_kg": 35.0},
        "paediatric_table_outside_range",
        False,
    ),
    (
        "table at 17 y 35.5 kg",
        {},
        {"method": Method.PAEDIATRIC, "age_years": 17.0, "weight_kg": 35.5},
        "paediatric_table_outside_range",
        True,
    ),
    (
        "table at 18 y 30 kg",
        {},
        {"method": Method.PAEDIATRIC, "age_years": 18.0, "weight_kg": 30.0},
        "paediatric_table_outside_range",
        True,
    ),
    # The usual 1.0–1.5 plasma volumes (§2), both ends inside.
    ("0.99 plasma volumes", {}, {"plasma_volumes": 0.99}, "plasma_volumes_outside_1_to_1_5", True),
    ("1.0 plasma volume", {}, {"plasma_volumes": 1.0}, "plasma_volumes_outside_1_to_1_5", False),
    ("1.01 plasma volumes", {}, {"plasma_volumes": 1.01}, "plasma_volumes_outside_1_to_1_5", False),
    ("1.49 plasma volumes", {}, {"plasma_volumes": 1.49}, "plasma_volumes_outside_1_to_1_5", False),
    ("1.5 plasma volumes", {}, {"plasma_volumes": 1.5}, "plasma_volumes_outside_1_to_1_5", False),
    ("1.51 plasma volumes", {}, {"plasma_volumes": 1.51}, "plasma_volumes_outside_1_to_1_5", True),
    ("2 inside a 0.5-2 setting", {"usual_plasma_volumes": (0.5, 2.0)}, {"plasma_volumes": 2.0}, "", False),
    # Nadler is not valid below ~25 kg (§1): 25 kg itself is valid.
    ("nadler at 24.9 kg", {}, {"weight_kg": 24.9, "height_cm": 125.0}, "nadler_below_25_kg", True),
    ("nadler at 25 kg", {}, {"weight_kg": 25.0, "height_cm": 125.0}, "nadler_below_25_kg", False),
    ("nadler at 25.1 kg", {}, {"weight_kg": 25.1, "height_cm": 125.0}, "nadler_below_25_kg", False),
    ("nadler at 29 kg, 30 kg setting", {"nadler_min_weight_kg": 30}, {"weight_kg": 29.0}, "nadler_below_25_kg", True),
    (
        "gilcher at 20 kg",
        {},
        {"weight_kg": 20.0, "height_cm": 115.0, "method": Method.GILCHER, "build": "normal"},
        "nadler_below_25_kg",
        False,
    ),
    # The weight rule in obesity, BMI >= 30. At 200 cm, BMI = W / 4: 119.6 -> 29.9, 120 -> 30.0, 120.4 -> 30.1.
    ("weight rule at BMI 29.9", {}, {"method": Method.WEIGHT, "weight_kg": 119.6, "height_cm": 200.0}, "", False),
    (
        "weight rule at BMI 30",
        {},
        {"method": Method.WEIGHT, "weight_kg": 120.0, "height_cm": 200.0},
        "weight_rule_in_obesity",
        True,
    ),
    (
        "weight rule at BMI 30.1",
        {},
        {"method": Method.WEIGHT, "weight_kg": 120.4, "height_cm": 200.0},
        "weight_rule_in_obesity",
        True,
    ),
    (
        "weight rule at BMI 30, 35 setting",
        {"obesity_bmi": 35},
        {"method": Method.WEIGHT, "weight_kg": 120.0, "height_cm": 200.0},
        "weight_rule_in_obesity",
        False,
    ),
    ("nadler at BMI 30", {}, {"weight_kg": 120.0, "height_cm": 200.0}, "weight_rule_in_obesity", False),
    # Fibrinogen under the 1.0 g/L trigger (§2), the trigger itself not under.
    ("fibrinogen 0.99", {}, {"fibrinogen_g_per_l": 0.99}, "fibrinogen_below_trigger", True),
    ("fibrinogen 1.0", {}, {"fibrinogen_g_per_l": 1.0}, "fibrinogen_below_trigger", False),
    ("fibrinogen 1.01", {}, {"fibrinogen_g_per_l": 1.01}, "fibrinogen_below_trigger", False),
    ("fibrinogen 0.8, 0.8 setting", {"fibrinogen_trigger_g_per_l": 0.8}, {"fibrinogen_g_per_l": 0.8}, "", False),
    # Haematocrit usual 0.20–0.55, both ends inside.
    ("haematocrit 0.199", {}, {"haematocrit": 0.199}, "low_haematocrit", True),
    ("haematocrit 0.20", {}, {"haematocrit": 0.20}, "low_haematocrit", False),
    ("haematocrit 0.201", {}, {"haematocrit": 0.201}, "low_haematocrit", False),
    ("haematocrit 0.549", {}, {"haematocrit": 0.549}, "high_haematocrit", False),
    ("haematocrit 0.55", {}, {"haematocrit": 0.55}, "high_haematocrit", False),
    ("haematocrit 0.551", {}, {"haematocrit": 0.551}, "high_haematocrit", True),
    # Saline over 20 % of the replacement (§3: at most 20–25 %); 20 % itself is allowed silently.
    ("saline 0.19", {}, {"fluids": FluidPlan(Shares(albumin=0.81, saline=0.19))}, "saline_fraction_high", False),
    ("saline 0.20", {}, {"fluids": FluidPlan(Shares(albumin=0.80, saline=0.20))}, "saline_fraction_high", False),
    ("saline 0.201", {}, {"fluids": FluidPlan(Shares(albumin=0.799, saline=0.201))}, "saline_fraction_high", True),
    ("saline 0.25", {}, {"fluids": FluidPlan(Shares(albumin=0.75, saline=0.25))}, "saline_fraction_high", True),
    # Catalogue rows the unit has not checked.
    ("no unverified row", {}, {"unverified": ()}, "catalogue_not_verified", False),
    ("one unverified row", {}, {"unverified": ("Spectra Optia",)}, "catalogue_not_verified", True),
]


@pytest.mark.parametrize(
    ("policy_values", "changes", "code", "warns"),
    [case[1:] for case in THRESHOLDS],
    ids=[case[0] for case in THRESHOLDS],
)
def test_each_warning_appears_just_over_its_limit_and_not_at_or_under_it(
    policy_values: dict, changes: dict, code: str, warns: bool
) -> None:
    codes = plan(Policy(**policy_values), **changes).warning_codes
    if code:
        assert (code in codes) is warns
    else:
        # An empty code: a case inside every limit, which warns of nothing at all.
        assert codes == ()


# --- The exact words of each single-session warning ----------------------------------------------------------------

MESSAGES = [
    (
        # Example D (§4): 12 kg child at 80 mL/kg (a unit's table), TBV 960 mL;
        # 141 / 960 = 14.6875 % -> 14.7, 185 / 960 = 19.27 % -> 19.3: over 15 %, a prime is required.
        "example D's ecv",
        Policy(paediatric=PaediatricTable(child=80)),
        # At 10 mL/min: within the ACD-A limit for 960 mL (1.2 × 0.96 × 10 = 11.5 mL/min).
        {
            "method": Method.PAEDIATRIC,
            "age_years": 3.0,
            "weight_kg": 12.0,
            "height_cm": 90.0,
            "device": DeviceSettings(inlet_flow_ml_per_min=10),
        },
        PlanWarning(
            "ecv_over_15_percent",
            "The extracorporeal volume is 14.7 % (up to 19.3 %) of the blood volume, over 15 %: a prime is "
            "required (red cells, or albumin).",
        ),
    ),
    (
        # The small set on 990 mL: 120 / 990 = 12.12 % -> 12.1, 150 / 990 = 15.15 % -> 15.2; limit 12.5 -> "12.5".
        "ecv against a 12.5 % setting",
        Policy(ecv_warning_percent=12.5, ecv_prime_percent=20),
        manual_tbv(990.0),
        PlanWarning(
            "ecv_over_10_percent",
            "The extracorporeal volume is 12.1 % (up to 15.2 %) of the blood volume, over 12.5 %: consider priming "
            "with red cells or albumin.",
        ),
    ),
    (
        # Issue 16's adult on the paediatric table: 40 years, 70 kg.
        "an adult on the paediatric table",
        Policy(),
        {"method": Method.PAEDIATRIC, "age_years": 40.0},
        PlanWarning(
            "paediatric_table_outside_range",
            "The paediatric table is for children under 18 years and up to 35 kg (this patient: 40 years, 70 kg): "
            "use Nadler.",
        ),
    ),
    (
        "0.99 plasma volumes",
        Policy(),
        {"plasma_volumes": 0.99},
        PlanWarning(
            "plasma_volumes_outside_1_to_1_5",
            "0.99 plasma volumes is outside the usual 1–1.5; removal gains flatten past 1.5.",
        ),
    ),
    (
        "2 plasma volumes against a 0.5-1.75 setting",
        Policy(usual_plasma_volumes=(0.5, 1.75)),
        {"plasma_volumes": 2.0},
        PlanWarning(
            "plasma_volumes_outside_1_to_1_5",
            "2 plasma volumes is outside the usual 0.5–1.75; removal gains flatten past 1.5.",
        ),
    ),
    (
        "nadler at 24.9 kg",
        Policy(),
        # An adult (a child's weight without an age would also be checked for the ACD-A rate).
        {"weight_kg": 24.9, "height_cm": 125.0, "age_years": 40.0},
        PlanWarning("nadler_below_25_kg", "Nadler's formula is not valid below 25 kg: use the paediatric method."),
    ),
    (
        "nadler under a 35 kg setting",
        Policy(nadler_min_weight_kg=35),
        {"weight_kg": 34.0, "height_cm": 140.0, "age_years": 40.0},
        PlanWarning("nadler_below_25_kg", "Nadler's formula is not valid below 35 kg: use the paediatric method."),
    ),
    (
        # Example C (§6): 120 kg at 175 cm, BMI 120 / 1.75² = 120 / 3.0625 = 39.18 -> 39.2.
        "example C on the weight rule",
        Policy(),
        {"method": Method.WEIGHT, "weight_kg": 120.0, "height_cm": 175.0},
        PlanWarning(
            "weight_rule_in_obesity",
            "BMI 39.2: the mL/kg rule overestimates blood volume in obesity; use Nadler or Lemmens.",
        ),
    ),
    (
        "the weight rule at BMI 30",
        Policy(),
        {"method": Method.WEIGHT, "weight_kg": 120.0, "height_cm": 200.0},
        PlanWarning(
            "weight_rule_in_obesity",
            "BMI 30.0: the mL/kg rule overestimates blood volume in obesity; use Nadler or Lemmens.",
        ),
    ),
    (
        "fibrinogen 0.99",
        Policy(),
        {"fibrinogen_g_per_l": 0.99},
        PlanWarning(
            "fibrinogen_below_trigger",
            # (1.5 − 0.99) × 100 = 51 mg/dL × 28.943 dL = 1476 mg ÷ 250 = 5.9 -> 6 units; 51 / 1.7 = 30 mg/kg × 70.
            "Fibrinogen 0.99 g/L is below the 1 g/L trigger: replace part or all with plasma, give cryoprecipitate "
            "(6 units) or fibrinogen concentrate (2100 mg) to reach 1.5 g/L, or delay.",
        ),
    ),
    (
        # Wodajo et al. (§2): 0.8 g/L shown safe; a unit that sets it names it.
        "fibrinogen under a 0.8 setting",
        Policy(fibrinogen_trigger_g_per_l=0.8),
        {"fibrinogen_g_per_l": 0.75},
        PlanWarning(
            "fibrinogen_below_trigger",
            # 75 mg/dL × 28.943 dL = 2171 mg ÷ 250 = 8.7 -> 9 units; 75 / 1.7 = 44.12 mg/kg × 70 = 3088 mg.
            "Fibrinogen 0.75 g/L is below the 0.8 g/L trigger: replace part or all with plasma, give cryoprecipitate "
            "(9 units) or fibrinogen concentrate (3088 mg) to reach 1.5 g/L, or delay.",
        ),
    ),
    (
        "haematocrit 0.19",
        Policy(),
        {"haematocrit": 0.19},
        PlanWarning("low_haematocrit", "Haematocrit 19% is below 20%."),
    ),
    (
        "haematocrit 0.56",
        Policy(),
        {"haematocrit": 0.56},
        PlanWarning("high_haematocrit", "Haematocrit 56% is above 55%."),
    ),
    (
        "haematocrit 0.24 under a 0.25-0.50 setting",
        Policy(haematocrit_usual=(0.25, 0.50)),
        {"haematocrit": 0.24},
        PlanWarning("low_haematocrit", "Haematocrit 24% is below 25%."),
    ),
    (
        "haematocrit 0.51 over a 0.25-0.50 setting",
        Policy(haematocrit_usual=(0.25, 0.50)),
        {"haematocrit": 0.51},
        PlanWarning("high_haematocrit", "Haematocrit 51% is above 50%."),
    ),
    (
        "saline 0.21",
        Policy(),
        {"fluids": FluidPlan(Shares(albumin=0.79, saline=0.21))},
        PlanWarning(
            "saline_fraction_high",
            "Saline is 21% of the replacement, over 20%: more hypotension, especially in the elderly.",
        ),
    ),
    (
        "saline 0.15 over a 10 % setting",
        Policy(saline_warning_fraction=0.10),
        {"fluids": FluidPlan(Shares(albumin=0.85, saline=0.15))},
        PlanWarning(
            "saline_fraction_high",
            "Saline is 15% of the replacement, over 10%: more hypotension, especially in the elderly.",
        ),
    ),
    (
        "one unverified row",
        Policy(),
        {"unverified": ("Spectra Optia",)},
        PlanWarning(
            "catalogue_not_verified",
            "Standard catalogue values the unit has not yet checked against its own stock and devices: Spectra Optia.",
        ),
    ),
    (
        "two unverified rows",
        Policy(),
        {"unverified": ("Spectra Optia", "Albumin 20 % 10 g/50 mL")},
        PlanWarning(
            "catalogue_not_verified",
            "Standard catalogue values the unit has not yet checked against its own stock and devices: "
            "Spectra Optia; Albumin 20 % 10 g/50 mL.",
        ),
    ),
]


@pytest.mark.parametrize(
    ("policy", "changes", "expected"), [case[1:] for case in MESSAGES], ids=[case[0] for case in MESSAGES]
)
def test_each_warning_says_exactly_what_staff_read(policy: Policy, changes: dict, expected: PlanWarning) -> None:
    """The whole warning: its code, its sentence with the values filled in, and no sessions (one session)."""
    assert plan(policy, **changes).warnings == (expected,)


# --- Plasma avoided with a proposal ----------------------------------------------------------------------------------

PLASMA_AVOIDED = PlanWarning(
    "plasma_avoided",
    "A reason for plasma applies, but plasma is avoided for this indication: the plan stays plasma-free.",
)


def test_a_proposal_that_withholds_plasma_warns_that_the_plan_stays_plasma_free() -> None:
    """Pneumococcal HUS (plasma avoided) in a bleeding patient: the bleeding asks for plasma, the policy refuses."""
    proposal = propose_fluid(ReplacementPolicy.PLASMA_AVOIDED, PatientFacts(bleeding_or_coagulopathy=True))
    assert proposal.is_plasma_withheld
    assert plan(proposal=proposal).warnings == (PLASMA_AVOIDED,)


@pytest.mark.parametrize(
    "proposal",
    [
        None,
        propose_fluid(ReplacementPolicy.PLASMA_AVOIDED, PatientFacts()),
        propose_fluid(ReplacementPolicy.ALBUMIN, PatientFacts(bleeding_or_coagulopathy=True)),
    ],
    ids=["no proposal", "plasma avoided, no reason for plasma", "plasma given for the bleeding"],
)
def test_no_plasma_avoided_warning_when_nothing_was_withheld(proposal: FluidProposal | None) -> None:
    assert plan(proposal=proposal).warnings == ()


# --- Projected fibrinogen over a course ------------------------------------------------------------------------------

# clinical-reference-modalities.md §5: daily from 3.0 g/L, before session 3 by hand 3 − (3 − 1.4581·e^−1)·e^(−24/116)
# = 0.9968 g/L, under 1.0 though it rounds to 1.00, so it is shown to 0.001: 0.997; sessions 4 and 5 are 0.86, 0.82.
# Every other day from 1.4 g/L: before session 2, 1.4 − (1.4 − 1.4·e^−1)·e^(−48/116) = 1.4 − 0.8850·0.6612 = 0.8149,
# shown 0.81; it keeps falling (before session 3: 1.4 − (1.4 − 0.2998)·0.6612 = 0.6726).
# All plasma from 0.8 g/L: plasma replaces what is removed (e^(−x·(1 − 1)) = 1), so 0.8 before every session.
COURSE_MESSAGES = [
    (
        "plasma planned for the low sessions",
        Policy(),
        {"fibrinogen_g_per_l": 3.0, "session_hours": DAILY, "low_fibrinogen": LowFibrinogen.PLASMA},
        "Fibrinogen is projected under the 1 g/L trigger before session 3 (0.997 g/L): plasma is planned for "
        "sessions 3, 4, 5. Check fibrinogen before each session.",
        (3, 4, 5),
    ),
    (
        "every session already gives plasma",
        Policy(),
        {
            "fibrinogen_g_per_l": 0.8,
            "session_hours": DAILY,
            "fluids": FluidPlan(Shares(albumin=0.0, plasma=1.0)),
            "low_fibrinogen": LowFibrinogen.PLASMA,
        },
        "Fibrinogen is projected under the 1 g/L trigger before session 1 (0.8 g/L; sessions 1, 2, 3, 4, 5), "
        "although every session already gives plasma (100% of the replacement): check it before each session; "
        "more plasma, a longer interval or a delay may be needed.",
        (1, 2, 3, 4, 5),
    ),
    (
        "plasma avoided: delay",
        Policy(),
        {"fibrinogen_g_per_l": 3.0, "session_hours": DAILY, "low_fibrinogen": LowFibrinogen.DELAY},
        "Fibrinogen is projected under the 1 g/L trigger before session 3 (0.997 g/L), and plasma is avoided for "
        "this indication: lengthen the interval or delay sessions 3, 4, 5 until fibrinogen recovers.",
        (3, 4, 5),
    ),
    (
        "warn only",
        Policy(),
        {"fibrinogen_g_per_l": 1.4, "session_hours": ALTERNATE},
        "Fibrinogen is projected under the 1 g/L trigger before session 2 (0.81 g/L; sessions 2, 3, 4, 5): check it "
        "before each session; plasma or a longer interval may be needed.",
        (2, 3, 4, 5),
    ),
    (
        # A booked course keeps its numbers: the same course numbered from 3 names sessions 4 to 7.
        "warn only, booked numbers",
        Policy(),
        {"fibrinogen_g_per_l": 1.4, "session_hours": ALTERNATE, "session_numbers": (3, 4, 5, 6, 7)},
        "Fibrinogen is projected under the 1 g/L trigger before session 4 (0.81 g/L; sessions 4, 5, 6, 7): check it "
        "before each session; plasma or a longer interval may be needed.",
        (4, 5, 6, 7),
    ),
    (
        # A 1.5 g/L trigger: before session 2 of the daily course, 3 − (3 − 3·e^−1)·e^(−24/116) = 3 − 1.8964·0.8131
        # = 1.458, shown 1.46; sessions 3–5 are lower still (1.00, 0.86, 0.82).
        "warn only, 1.5 g/L trigger",
        Policy(fibrinogen_trigger_g_per_l=1.5),
        {"fibrinogen_g_per_l": 3.0, "session_hours": DAILY},
        "Fibrinogen is projected under the 1.5 g/L trigger before session 2 (1.46 g/L; sessions 2, 3, 4, 5): check "
        "it before each session; plasma or a longer interval may be needed.",
        (2, 3, 4, 5),
    ),
]


@pytest.mark.parametrize(
    ("policy", "changes", "message", "sessions"),
    [case[1:] for case in COURSE_MESSAGES],
    ids=[case[0] for case in COURSE_MESSAGES],
)
def test_projected_low_fibrinogen_names_the_sessions_and_what_the_plan_does(
    policy: Policy, changes: dict, message: str, sessions: tuple[int, ...]
) -> None:
    warning = the_warning(plan(policy, **changes), "fibrinogen_projected_below_trigger")
    assert warning == PlanWarning("fibrinogen_projected_below_trigger", message, sessions)


def test_a_course_that_never_falls_under_the_trigger_adds_no_warning() -> None:
    """Every other day from 3.0 g/L (modalities §5): 3.00, 1.75, 1.44, 1.37, 1.35, all at or over 1.0."""
    assert plan(fibrinogen_g_per_l=3.0, session_hours=ALTERNATE).warnings == ()


def test_a_course_keeps_the_single_session_warnings_before_its_own() -> None:
    """2 plasma volumes every other day from 3.0 g/L: the course is safe, the multiple still warns."""
    result = plan(plasma_volumes=2.0, fibrinogen_g_per_l=3.0, session_hours=ALTERNATE)
    assert result.warning_codes == ("plasma_volumes_outside_1_to_1_5",)


def test_every_warning_at_once_comes_in_reading_order() -> None:
    """A 20 kg child on Nadler with every limit crossed: each warning once, in the order the plan lists them.

    ECV: Nadler male 0.3669·1.15³ + 0.03219·20 + 0.6041 = 0.5580 + 0.6438 + 0.6041 = 1.8059 L, so 185 mL is
    10.2 %, over the 10 % warning. Fibrinogen 0.8 is under 1.0 before session 1 and, on albumin and saline with no
    plasma, before every later one.
    """
    proposal = propose_fluid(ReplacementPolicy.PLASMA_AVOIDED, PatientFacts(procedure_within_48h=True))
    result = plan(
        Policy(ecv_warning_percent=10),
        proposal=proposal,
        weight_kg=20.0,
        height_cm=115.0,
        haematocrit=0.19,
        plasma_volumes=2.0,
        fibrinogen_g_per_l=0.8,
        session_hours=DAILY,
        fluids=FluidPlan(Shares(albumin=0.79, saline=0.21)),
        unverified=("Spectra Optia",),
    )
    assert result.warning_codes == (
        "ecv_over_10_percent",
        "inlet_flow_over_ac_limit",
        "plasma_volumes_outside_1_to_1_5",
        "nadler_below_25_kg",
        "fibrinogen_below_trigger",
        "fibrinogen_projected_below_trigger",
        "plasma_avoided",
        "low_haematocrit",
        "saline_fraction_high",
        "catalogue_not_verified",
    )
    assert the_warning(result, "fibrinogen_projected_below_trigger").sessions == (1, 2, 3, 4, 5)
    assert [w.sessions for w in result.warnings if w.code != "fibrinogen_projected_below_trigger"] == [()] * 9


def test_the_plan_json_shows_a_course_warnings_sessions_and_no_sessions_for_the_others() -> None:
    result = plan(fibrinogen_g_per_l=1.4, session_hours=ALTERNATE, unverified=("Spectra Optia",))
    shown = result.as_dict()["warnings"]
    assert [w.get("sessions") for w in shown] == [[2, 3, 4, 5], None]
    assert [w["message"] for w in shown] == [str(w.message) for w in result.warnings]


# --- Policy.fluid_thresholds() ----------------------------------------------------------------------------------------


def test_the_default_policy_gives_the_default_fluid_thresholds() -> None:
    assert Policy().fluid_thresholds() == FluidThresholds(
        fibrinogen_trigger_g_per_l=1.0,
        plasma_last_share=1 / 3,
        saline_share=0.20,
        saline_min_age_years=18,
        saline_max_age_excluded=65,
    )


def test_each_policy_setting_reaches_the_fluid_thresholds() -> None:
    """Five distinct values, none a default, so a swapped or dropped field shows."""
    policy = Policy(
        fibrinogen_trigger_g_per_l=0.8,
        plasma_last_share=0.5,
        saline_share=0.15,
        saline_min_age_years=16,
        saline_max_age_excluded=70,
    )
    thresholds = policy.fluid_thresholds()
    assert (
        thresholds.fibrinogen_trigger_g_per_l,
        thresholds.plasma_last_share,
        thresholds.saline_share,
        thresholds.saline_min_age_years,
        thresholds.saline_max_age_excluded,
    ) == (0.8, 0.5, 0.15, 16, 70)


def test_the_policys_plasma_last_share_is_what_a_low_session_is_given() -> None:
    """With half plasma last, session 3 of the daily course from 3.0 g/L (0.9968 g/L) gets 50 % plasma."""
    policy = Policy(plasma_last_share=0.5)
    result = plan(policy, fibrinogen_g_per_l=3.0, session_hours=DAILY, low_fibrinogen=LowFibrinogen.PLASMA)
    third = result.fluids_for_session(3)
    assert third is not None
    assert third.shares == Shares(albumin=0.5, plasma=0.5)
    assert third.reason == (
        "Fibrinogen projected at 0.997 g/L before this session, under the 1 g/L trigger: last 50% plasma."
    )
    # After it, 0.9968·e^(−1·(1 − 0.5)) = 0.9968·0.6065 = 0.6046 g/L.
    assert result.course is not None
    assert result.course.session(3).fibrinogen_after_g_per_l == pytest.approx(0.9968 * math.exp(-0.5), abs=0.0005)


def test_the_fibrinogen_model_setting_changes_when_the_course_warns() -> None:
    """A slower recovery (τ = 1000 h) every other day from 3.0: before session 2, 3 − 1.8964·e^(−48/1000)
    = 3 − 1.8964·0.9531 = 1.1926; after it 0.4387; before session 3, 3 − 2.5613·0.9531 = 0.5588 g/L, under 1.0."""
    policy = Policy(fibrinogen=FibrinogenModel(recovery_tau_hours=1000))
    warning = the_warning(
        plan(policy, fibrinogen_g_per_l=3.0, session_hours=ALTERNATE), "fibrinogen_projected_below_trigger"
    )
    assert warning.sessions == (3, 4, 5)
    assert "before session 3 (0.56 g/L; sessions 3, 4, 5)" in warning.message


def test_a_withheld_proposal_is_kept_as_given() -> None:
    proposal = FluidProposal(FluidChoice.ALBUMIN, Shares(), (), is_plasma_withheld=True)
    result = plan(proposal=proposal)
    assert result.proposal is proposal
    assert result.warnings == (PLASMA_AVOIDED,)
