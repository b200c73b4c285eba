"""Issue 16, part 5: when fibrinogen is low, the doses of plasma, cryoprecipitate and concentrate.

clinical-reference-modalities.md §5:
- Concentrate (RiaSTAP label): (target − measured) mg/dL ÷ 1.7 mg/kg. 60 kg, 80 -> 150 mg/dL:
  70 / 1.7 = 41.18 -> 41.2 mg/kg, × 60 = 2470.6 -> 2471 mg.
- Cryoprecipitate: ⌈(target − measured) mg/dL × PV dL ÷ 250 mg⌉.
- Plasma: 10–15 mL/kg.
"""

import shutil
import subprocess

from django.contrib.auth.models import User
from django.urls import reverse

from planner import printing
from planner.core.blood_volume import Sex
from planner.core.exchange import ExchangeRequest
from tests.conftest import logged_in
from tests.factories import make_measurement, make_patient
from tests.workflow import signed

EXAMPLE_A = ExchangeRequest(sex=Sex.MALE, weight_kg=70, height_cm=175, haematocrit=0.40)


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
