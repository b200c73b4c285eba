"""Issue 16, the pure core: DFPP and IA, prescriptions in mL/kg or mL, fibrinogen products.

Pure Python (no Django), so `make mutation` runs these against planner/core/. Worked examples from
clinical-reference-modalities.md on Example A (male, 175 cm, 70 kg, Hct 0.40, Nadler TPV 2894.3 mL):
- DFPP, EC-20W (IgG 0.10, albumin 0.40, returned), albumin 3.5 g/dL, 60 % IgG removal (§1):
  V = −ln(0.4) / 0.90 × 2894.3 = 2946.7 mL (1.02 PV); albumin lost 29.467 dL × 3.5 × 0.60 = 61.9 g ->
  7 vials of 10 g; discard = replacement 589 mL at 20 %, a 10.5 % solution.
- IA, 2.5 PV = 7236 mL on a TR-350: capped at 2000 mL (§2).
- PEXIVAS 60 mL/kg: 4200 mL = 1.45 PV, 76.6 %; Wuhan fixed 2270 mL: 0.78 PV, 54.4 % (§3).
- Fibrinogen concentrate (RiaSTAP label): 60 kg, 80 -> 150 mg/dL: 41.2 mg/kg = 2471 mg (§5).
"""

import json
import math
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.core.blood_volume import Sex
from planner.core.codec import plan_from_json, plan_to_json
from planner.core.exchange import ExchangeRequest, InputError, Policy, Prescription, plan_exchange
from planner.core.fibrinogen import fibrinogen_doses
from planner.core.modalities import (
    Column,
    DfppSettings,
    Fractionator,
    IaSettings,
    Modality,
    Sieving,
    dfpp,
    immunoadsorption,
)

TPV_A = 2894.3
EC_20W = Fractionator("Cascadeflo EC-20W", sc_igg=0.10, sc_albumin=0.40)
EXAMPLE_A = ExchangeRequest(sex=Sex.MALE, weight_kg=70, height_cm=175, haematocrit=0.40)
DFPP_A = replace(
    EXAMPLE_A, modality=Modality.DFPP, dfpp=DfppSettings(EC_20W, target_removal=0.60, albumin_g_per_dl=3.5)
)


def test_dfpp_for_example_a_matches_the_reference() -> None:
    result = dfpp(DfppSettings(EC_20W, target_removal=0.60, albumin_g_per_dl=3.5), TPV_A)
    assert round(result.processed_plasma_ml, 1) == 2946.7
    assert round(result.albumin_lost_g, 1) == 61.9
    assert round(result.discard_ml) == 589
    assert round(result.discard_albumin_percent, 1) == 10.5
    # dfpp-sim's default plasma flow 30 mL/min, discard 20 % of it.
    assert result.discard_flow_ml_per_min == 6


def test_the_dfpp_plan_orders_7_vials_for_the_discard_and_warns_twice() -> None:
    plan = plan_exchange(DFPP_A)
    shown = plan.rounded
    assert shown["processed_plasma_ml"] == 2947 and shown["processed_plasma_volumes"] == 1.018
    assert shown["exchange_volume_ml"] == 589 and shown["removal_fraction"] == 0.6
    replacement = shown["replacement"]
    # 7 vials of 20 % 50 mL (350 mL) made up to the 589 mL discard with 239 mL of saline.
    assert (replacement["albumin_vials"], replacement["albumin_diluent_ml"], replacement["plasma_units"]) == (7, 239, 0)
    assert "dfpp_fibrinogen_not_projected" in plan.warning_codes
    (high,) = [w for w in plan.warnings if w.code == "dfpp_replacement_albumin_high"]
    assert "61.9 g" in str(high.message) and "10.5 % solution, over 6 %" in str(high.message)
    # No fibrinogen projection, whatever fibrinogen was measured; the IgG still falls by the target.
    course = plan_exchange(replace(DFPP_A, fibrinogen_g_per_l=3.0, session_hours=(0, 48)))
    assert all(s.fibrinogen_before_g_per_l is None for s in course.course.sessions)
    assert course.course.sessions[0].intravascular_after == pytest.approx(0.40)
    assert "fibrinogen_projected_below_trigger" not in course.warning_codes


def test_a_selective_exchange_filter_stores_what_passes_into_the_discard() -> None:
    """EC-4A: SC 0.4 passes to the discard, so 0.4 is removed per pass: V = 0.91629 / 0.4 × 2894.3 = 6630 mL."""
    ec_4a = Fractionator("Evacure EC-4A", sc_igg=0.4, sc_albumin=0.6, sieving=Sieving.DISCARDED)
    result = dfpp(DfppSettings(ec_4a, target_removal=0.60, albumin_g_per_dl=3.5), TPV_A)
    assert round(result.processed_plasma_ml) == round(-math.log(0.4) / 0.4 * TPV_A) == 6630
    # Albumin: 66.30 dL × 3.5 × 0.6 = 139.2 g.
    assert round(result.albumin_lost_g, 1) == 139.2


@given(
    low=st.floats(0.05, 0.94),
    high=st.floats(0.06, 0.95),
    sc=st.floats(0.0, 0.95),
    higher_sc=st.floats(0.0, 0.95),
)
def test_processed_plasma_grows_with_the_target_and_with_what_the_membrane_returns(
    low: float, high: float, sc: float, higher_sc: float
) -> None:
    """More removal needs more plasma; a membrane that returns more IgG (higher SC) needs more; a
    selective filter that passes more into the discard (higher SC) needs less."""
    low, high = sorted((low, high))
    sc, higher_sc = sorted((sc, higher_sc))

    def volume(target: float, coefficient: float, sieving: Sieving = Sieving.RETURNED) -> float:
        fractionator = Fractionator("F", sc_igg=coefficient, sc_albumin=0.4, sieving=sieving)
        return dfpp(DfppSettings(fractionator, target_removal=target, albumin_g_per_dl=3.5), TPV_A).processed_plasma_ml

    assert volume(low, sc) <= volume(high, sc)
    assert volume(0.6, sc) <= volume(0.6, higher_sc)
    if sc > 0.01:
        assert volume(0.6, sc, Sieving.DISCARDED) >= volume(0.6, higher_sc, Sieving.DISCARDED)


def test_ia_on_a_tr_350_is_capped_at_2_litres_and_projects_no_igg_fall_without_an_efficiency() -> None:
    tr_350 = Column("Immusorba TR-350", max_processed_ml=2000)
    result = immunoadsorption(IaSettings(tr_350), 2.5 * TPV_A, TPV_A)
    assert round(result.prescribed_ml) == 7236 and result.processed_plasma_ml == 2000 and result.is_capped
    assert result.removal_fraction is None
    plan = plan_exchange(replace(EXAMPLE_A, modality=Modality.IA, plasma_volumes=2.5, ia=IaSettings(tr_350)))
    assert plan.warning_codes[-2:] == ("ia_column_capped", "ia_no_efficiency")
    assert plan.rounded["replacement"]["total_ml"] == 0 and plan.rounded["exchange_volume_ml"] == 0
    assert plan_exchange(replace(plan.request, session_hours=(0, 48))).course is None


def test_ia_with_an_efficiency_the_unit_entered_projects_its_fall() -> None:
    """E 0.7 over 2000 / 2894.3 = 0.69102 PV: 1 − e^(−0.48371) = 0.3835."""
    column = Column("Measured column", max_processed_ml=2000, igg_efficiency=0.7)
    plan = plan_exchange(replace(EXAMPLE_A, modality=Modality.IA, plasma_volumes=2.5, ia=IaSettings(column)))
    assert plan.rounded["removal_fraction"] == 0.384
    assert "ia_no_efficiency" not in plan.warning_codes


def test_a_dfpp_plan_reads_back_exactly_and_a_format_1_plan_reads_as_tpe() -> None:
    plan = plan_exchange(replace(DFPP_A, session_hours=(0, 48)))
    assert plan_from_json(json.loads(json.dumps(plan_to_json(plan)))) == plan
    older = json.loads(json.dumps(plan_to_json(plan_exchange(EXAMPLE_A))))
    for key in ("modality", "dfpp", "ia"):
        del older["plan"]["request"][key]
    del older["plan"]["dfpp"], older["plan"]["ia"]
    older["format"] = 1
    back = plan_from_json(older)
    assert back.request.modality is Modality.TPE and back.dfpp is None and back == plan_exchange(EXAMPLE_A)


def test_a_selective_exchange_filter_discards_all_it_processes() -> None:
    """EC-4A (SC = what passes into the discard): the whole 6630 mL is discarded and replaced, not 20 % of it."""
    ec_4a = Fractionator("Evacure EC-4A", sc_igg=0.4, sc_albumin=0.6, sieving=Sieving.DISCARDED)
    result = dfpp(DfppSettings(ec_4a, target_removal=0.60, albumin_g_per_dl=3.5), TPV_A)
    assert result.discard_ml == result.processed_plasma_ml
    # 139.2 g in 6630 mL: 2.1 %, what the patient's plasma held (3.5 g/dL × 0.6).
    assert round(result.discard_albumin_percent, 1) == 2.1


def test_dfpp_and_ia_return_the_processed_plasma_for_the_calcium_and_take_the_slower_flow() -> None:
    plan = plan_exchange(DFPP_A)
    # 10 mL per litre returned: the 2947 mL processed -> 29.5 mL.
    assert plan.rounded["calcium_gluconate_ml"] == 29.5
    # Optia defaults (inlet 60 mL/min): 2947 ÷ (0.6 × 0.87) × 10/9 = 6273 mL ÷ 60 = 105 min, over 2947 ÷ 30 = 98.
    assert plan.rounded["duration_min"] == round(plan.numbers.inlet_volume_ml / 60)
    assert plan.rounded["plasma_volumes"] is None and plan.rounded["processed_plasma_volumes"] == 1.018


def test_ia_by_a_fixed_volume_is_refused_beyond_four_plasma_volumes() -> None:
    from planner.core.exchange import InputError, Prescription

    protein_a = Column("Protein A pair")
    with pytest.raises(InputError) as refused:
        plan_exchange(
            replace(
                EXAMPLE_A,
                modality=Modality.IA,
                ia=IaSettings(protein_a),
                prescription=Prescription.FIXED_ML,
                prescribed_amount=15000,
            )
        )
    assert refused.value.field == "prescribed_amount"


def test_the_label_example_60_kg_from_80_to_150_mg_dl_is_2471_mg() -> None:
    doses = fibrinogen_doses(
        measured_g_per_l=0.8,
        target_g_per_l=1.5,
        weight_kg=60,
        plasma_volume_ml=2500,
        plasma_unit_ml=200,
        cryo_mg_per_unit=250,
    )
    assert round(doses.concentrate_mg_per_kg, 1) == 41.2
    assert round(doses.concentrate_mg) == 2471
    # 70 mg/dL × 25 dL = 1750 mg ÷ 250 mg = 7 units exactly: not rounded up to 8.
    assert doses.cryo_units == 7
    # 10–15 mL/kg × 60 kg = 600–900 mL; 200 mL units: 3–5 (4.5 rounds up).
    assert (doses.plasma_ml_low, doses.plasma_ml_high) == (600, 900)
    assert (doses.plasma_units_low, doses.plasma_units_high) == (3, 5)


def test_example_a_at_0_8_g_l_gets_the_three_doses_and_at_the_trigger_none() -> None:
    plan = plan_exchange(replace(EXAMPLE_A, fibrinogen_g_per_l=0.8))
    doses = plan.rounded["fibrinogen_doses"]
    # PV 2894.3 mL = 28.943 dL: 70 × 28.943 = 2026 mg ÷ 250 = 8.1 -> 9 units; 70 / 1.7 × 70 kg = 2882 mg.
    assert doses["cryo_units"] == 9
    assert doses["concentrate_mg"] == 2882 and doses["concentrate_mg_per_kg"] == 41.2
    assert (doses["plasma_ml_low"], doses["plasma_ml_high"]) == (700, 1050)
    assert plan_exchange(replace(EXAMPLE_A, fibrinogen_g_per_l=1.0)).fibrinogen_doses is None
    assert plan_exchange(EXAMPLE_A).rounded["fibrinogen_doses"] is None


def test_a_units_own_cryoprecipitate_content_and_target_are_used() -> None:
    plan = plan_exchange(
        replace(EXAMPLE_A, fibrinogen_g_per_l=0.8), Policy(cryo_fibrinogen_mg_per_unit=150, fibrinogen_target_g_per_l=2)
    )
    # 120 mg/dL × 28.943 dL = 3473 mg ÷ 150 = 23.2 -> 24 units.
    assert plan.fibrinogen_doses.cryo_units == 24


def test_a_target_not_above_the_measured_level_is_refused() -> None:
    with pytest.raises(InputError):
        fibrinogen_doses(
            measured_g_per_l=1.5,
            target_g_per_l=1.5,
            weight_kg=60,
            plasma_volume_ml=2500,
            plasma_unit_ml=200,
            cryo_mg_per_unit=250,
        )


@given(
    measured=st.floats(0.1, 1.4),
    weight=st.floats(3, 200),
    plasma_volume=st.floats(150, 6000),
)
def test_each_dose_reaches_the_target(measured: float, weight: float, plasma_volume: float) -> None:
    doses = fibrinogen_doses(
        measured_g_per_l=measured,
        target_g_per_l=1.5,
        weight_kg=weight,
        plasma_volume_ml=plasma_volume,
        plasma_unit_ml=200,
        cryo_mg_per_unit=250,
    )
    # The cryoprecipitate's fibrinogen spread over the plasma volume raises it at least to the target.
    raised = measured + doses.cryo_units * 250 / (plasma_volume / 100) / 100
    assert raised >= 1.5 - 1e-9
    assert measured + doses.concentrate_mg_per_kg * 1.7 / 100 == pytest.approx(1.5)
    assert doses.plasma_units_high * 200 >= doses.plasma_ml_high - 1e-6


def test_a_plan_frozen_before_the_doses_reads_without_them() -> None:
    stored = json.loads(json.dumps(plan_to_json(plan_exchange(replace(EXAMPLE_A, fibrinogen_g_per_l=0.8)))))
    del stored["plan"]["fibrinogen_doses"]
    del stored["plan"]["policy"]["fibrinogen_target_g_per_l"]
    del stored["plan"]["policy"]["cryo_fibrinogen_mg_per_unit"]
    plan = plan_from_json(stored)
    assert plan.fibrinogen_doses is None  # not recomputed: the order shows what was signed


def test_60_ml_per_kg_for_example_a_is_4200_ml_1_45_plasma_volumes_and_76_6_percent() -> None:
    plan = plan_exchange(replace(EXAMPLE_A, prescription=Prescription.ML_PER_KG, prescribed_amount=60))
    shown = plan.rounded
    assert shown["exchange_volume_ml"] == 4200
    assert round(shown["plasma_volumes"], 2) == 1.45
    assert shown["removal_fraction"] == 0.766
    assert (shown["prescription"], shown["prescribed_amount"]) == ("ml_per_kg", 60)
    # The course projection runs on the equivalent: one session leaves e^−1.4511 = 23.4 % intravascular.
    course = plan_exchange(
        replace(EXAMPLE_A, prescription=Prescription.ML_PER_KG, prescribed_amount=60, session_hours=(0,))
    )
    assert course.rounded["course"]["sessions"][0]["intravascular_after"] == 0.234


def test_a_fixed_2270_ml_for_example_a_is_0_78_plasma_volumes_and_54_4_percent_and_warns() -> None:
    plan = plan_exchange(replace(EXAMPLE_A, prescription=Prescription.FIXED_ML, prescribed_amount=2270))
    assert plan.rounded["exchange_volume_ml"] == 2270
    assert round(plan.rounded["plasma_volumes"], 2) == 0.78
    assert plan.rounded["removal_fraction"] == 0.544
    (warning,) = [w for w in plan.warnings if w.code == "plasma_volumes_outside_1_to_1_5"]
    assert str(warning.message).startswith("0.78 plasma volumes is outside the usual 1–1.5")


@pytest.mark.parametrize(
    ("kind", "amount", "message"),
    [
        (Prescription.FIXED_ML, 14000, "14000 mL is 4.84 plasma volumes for this patient (plasma volume 2894 mL)"),
        (Prescription.ML_PER_KG, 8, "8 mL/kg is 0.19 plasma volumes for this patient"),
        (Prescription.ML_PER_KG, 200, "200 mL/kg is outside the limits 5–150 mL/kg."),
        (Prescription.FIXED_ML, None, "Give the volume to exchange in mL."),
        (Prescription.ML_PER_KG, None, "Give the mL/kg to exchange."),
    ],
)
def test_a_prescription_beyond_the_limits_is_refused_with_its_equivalent(
    kind: Prescription, amount: float | None, message: str
) -> None:
    with pytest.raises(InputError) as refused:
        plan_exchange(replace(EXAMPLE_A, prescription=kind, prescribed_amount=amount))
    assert refused.value.field == "prescribed_amount"
    assert message in str(refused.value.message)


def test_a_plan_frozen_before_prescriptions_reads_as_plasma_volumes() -> None:
    stored = json.loads(json.dumps(plan_to_json(plan_exchange(EXAMPLE_A))))
    del stored["plan"]["request"]["prescription"]
    del stored["plan"]["request"]["prescribed_amount"]
    plan = plan_from_json(stored)
    assert plan.request.prescription is Prescription.PLASMA_VOLUMES and plan.request.plasma_volumes == 1.0


# --- the limits, each at its edge and just past it, with the message staff read ----------------------

DFPP_EDGES = [
    ("target_removal", 0.05, 0.95, "The target IgG removal is outside 0.05–0.95."),
    ("albumin_g_per_dl", 1.0, 6.0, "Serum albumin (g/dL) is outside 1–6."),
    ("discard_ratio", 0.05, 0.5, "The discard ratio is outside 0.05–0.5."),
    ("plasma_flow_ml_per_min", 5.0, 100.0, "The plasma flow (mL/min) is outside 5–100."),
]


@pytest.mark.parametrize(("name", "low", "high", "message"), DFPP_EDGES, ids=[edge[0] for edge in DFPP_EDGES])
def test_each_dfpp_input_is_taken_at_its_limits_and_refused_past_them(
    name: str, low: float, high: float, message: str
) -> None:
    settings = DfppSettings(EC_20W, target_removal=0.60, albumin_g_per_dl=3.5)
    for value in (low, high):
        dfpp(replace(settings, **{name: value}), TPV_A)
    for value in (low * 0.99, high * 1.01, math.nan, math.inf):
        with pytest.raises(InputError) as refused:
            dfpp(replace(settings, **{name: value}), TPV_A)
        assert (refused.value.field, str(refused.value.message)) == (name, message)


@pytest.mark.parametrize(
    ("fractionator", "message"),
    [
        (Fractionator("F", sc_igg=-0.01, sc_albumin=0.4), "A sieving coefficient is between 0 and 1."),
        (Fractionator("F", sc_igg=0.1, sc_albumin=1.01), "A sieving coefficient is between 0 and 1."),
        (
            Fractionator("F", sc_igg=1.0, sc_albumin=0.4),
            "This fractionator removes no IgG: no volume reaches a target.",
        ),
        (
            Fractionator("F", sc_igg=0.0, sc_albumin=0.4, sieving=Sieving.DISCARDED),
            "This fractionator removes no IgG: no volume reaches a target.",
        ),
    ],
)
def test_a_fractionator_that_cannot_work_is_refused(fractionator: Fractionator, message: str) -> None:
    with pytest.raises(InputError) as refused:
        dfpp(DfppSettings(fractionator, target_removal=0.6, albumin_g_per_dl=3.5), TPV_A)
    assert (refused.value.field, str(refused.value.message)) == ("fractionator", message)


def test_coefficients_of_0_and_1_are_taken_where_they_still_remove_igg() -> None:
    whole = Fractionator("F", sc_igg=0.0, sc_albumin=1.0)
    result = dfpp(DfppSettings(whole, target_removal=0.6, albumin_g_per_dl=3.5), TPV_A)
    # Removes all IgG and no albumin per pass: V = 0.91629 × TPV; no albumin lost.
    assert result.processed_plasma_ml == pytest.approx(-math.log(0.4) * TPV_A)
    assert result.albumin_lost_g == 0 and result.discard_albumin_percent == 0
    assert result.duration_min == pytest.approx(result.processed_plasma_ml / 30)


def test_ia_takes_an_uncapped_column_and_refuses_an_impossible_efficiency_or_flow() -> None:
    pair = Column("Protein A pair")
    result = immunoadsorption(IaSettings(pair, plasma_flow_ml_per_min=40), 7000.0, TPV_A)
    assert (result.processed_plasma_ml, result.is_capped, result.duration_min) == (7000.0, False, 175.0)
    under_cap = immunoadsorption(IaSettings(Column("TR-350", max_processed_ml=2000)), 2000.0, TPV_A)
    assert under_cap.processed_plasma_ml == 2000 and not under_cap.is_capped
    full = immunoadsorption(IaSettings(Column("C", igg_efficiency=1.0)), TPV_A, TPV_A)
    assert full.removal_fraction == pytest.approx(1 - math.exp(-1))
    for efficiency in (0.0, 1.01, -0.5):
        with pytest.raises(InputError) as refused:
            immunoadsorption(IaSettings(Column("C", igg_efficiency=efficiency)), 2000.0, TPV_A)
        assert (refused.value.field, str(refused.value.message)) == (
            "column",
            "A column's efficiency is above 0 and at most 1.",
        )
    for flow in (4.9, 100.1, math.nan):
        with pytest.raises(InputError) as refused:
            immunoadsorption(IaSettings(pair, plasma_flow_ml_per_min=flow), 2000.0, TPV_A)
        assert (refused.value.field, str(refused.value.message)) == (
            "plasma_flow_ml_per_min",
            "The plasma flow (mL/min) is outside 5–100.",
        )
    immunoadsorption(IaSettings(pair, plasma_flow_ml_per_min=5), 2000.0, TPV_A)
    immunoadsorption(IaSettings(pair, plasma_flow_ml_per_min=100), 2000.0, TPV_A)


def test_doses_that_divide_exactly_are_not_rounded_up() -> None:
    """60 kg on 100 mL units: 600–900 mL is 6–9 units exactly; 50 mg/dL × 30 dL = 1500 mg ÷ 250 = 6."""
    doses = fibrinogen_doses(
        measured_g_per_l=1.0,
        target_g_per_l=1.5,
        weight_kg=60,
        plasma_volume_ml=3000,
        plasma_unit_ml=100,
        cryo_mg_per_unit=250,
    )
    assert (doses.plasma_units_low, doses.plasma_units_high, doses.cryo_units) == (6, 9, 6)
    assert (doses.measured_g_per_l, doses.target_g_per_l, doses.weight_kg) == (1.0, 1.5, 60)
    assert (doses.plasma_volume_ml, doses.plasma_unit_ml, doses.cryo_mg_per_unit) == (3000, 100, 250)
    assert doses.concentrate_mg == pytest.approx(50 / 1.7 * 60)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"target_g_per_l": 0.8}, "fibrinogen_target_g_per_l", "The fibrinogen target is above the measured level."),
        ({"target_g_per_l": 0.7}, "fibrinogen_target_g_per_l", "The fibrinogen target is above the measured level."),
        ({"cryo_mg_per_unit": 0}, "cryo_mg_per_unit", "A unit's fibrinogen and a plasma unit's volume are above 0."),
        ({"plasma_unit_ml": 0}, "cryo_mg_per_unit", "A unit's fibrinogen and a plasma unit's volume are above 0."),
    ],
)
def test_doses_refuse_what_cannot_be_dosed(changes: dict, field: str, message: str) -> None:
    values = {
        "measured_g_per_l": 0.8,
        "target_g_per_l": 1.5,
        "weight_kg": 60,
        "plasma_volume_ml": 2500,
        "plasma_unit_ml": 200,
        "cryo_mg_per_unit": 250,
    } | changes
    with pytest.raises(InputError) as refused:
        fibrinogen_doses(**values)
    assert (refused.value.field, str(refused.value.message)) == (field, message)


def test_any_positive_unit_content_is_taken_by_the_core() -> None:
    """The settings bound what a unit enters (cryoprecipitate 50–1000 mg); the core refuses only 0 or less."""
    doses = fibrinogen_doses(
        measured_g_per_l=1.0,
        target_g_per_l=1.5,
        weight_kg=10,
        plasma_volume_ml=500,
        plasma_unit_ml=1,
        cryo_mg_per_unit=1,
    )
    # 50 mg/dL × 5 dL = 250 mg ÷ 1 mg; 100–150 mL ÷ 1 mL.
    assert (doses.cryo_units, doses.plasma_units_low, doses.plasma_units_high) == (250, 100, 150)
