"""Issue 16, part 5: when fibrinogen is low, the doses of plasma, cryoprecipitate and concentrate.

clinical-reference-modalities.md §5:
- Concentrate (RiaSTAP label): (target − measured) mg/dL ÷ 1.7 mg/kg. 60 kg, 80 -> 150 mg/dL:
  70 / 1.7 = 41.18 -> 41.2 mg/kg, × 60 = 2470.6 -> 2471 mg.
- Cryoprecipitate: ⌈(target − measured) mg/dL × PV dL ÷ 250 mg⌉.
- Plasma: 10–15 mL/kg.
"""

import json
import shutil
import subprocess
from dataclasses import replace

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from planner import printing
from planner.core.blood_volume import Sex
from planner.core.codec import plan_from_json, plan_to_json
from planner.core.exchange import ExchangeRequest, InputError, Policy, plan_exchange
from planner.core.fibrinogen import fibrinogen_doses
from tests.conftest import logged_in
from tests.factories import make_measurement, make_patient
from tests.workflow import signed

EXAMPLE_A = ExchangeRequest(sex=Sex.MALE, weight_kg=70, height_cm=175, haematocrit=0.40)


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


def test_the_calculator_and_the_order_show_the_doses(unit: None, physician: User) -> None:
    form = {"sex": "male", "weight_kg": 70, "height_cm": 175, "haematocrit": 0.40, "fibrinogen_g_per_l": 0.8}
    page = logged_in(physician).post(reverse("calculator"), form).content.decode()
    assert "Fibrinogen: cryoprecipitate" in page and "9 units" in page and "2882\u00a0mg" in page
    patient = make_patient(by=physician, mrn="FIB-1", sex="male")
    make_measurement(patient=patient, by=physician)
    from decimal import Decimal

    make_measurement(patient=patient, by=physician, fibrinogen_g_per_l=Decimal("0.8"))
    course = signed(
        physician, patient, sessions_count="1", fluid_override_reason="Fibrinogen concentrate instead of plasma."
    )
    labels = [row.label for row in printing.sheet_data(course).rows]
    assert {"Fibrinogen: plasma", "Fibrinogen: cryoprecipitate", "Fibrinogen: concentrate"} <= set(labels)
    if shutil.which("pdftotext"):
        pdf = printing.order_sheet_pdf(course)
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "Fibrinogen: concentrate" in text and "2882 mg" in text and "9 units" in text
