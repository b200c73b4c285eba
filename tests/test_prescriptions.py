"""Issue 16, part 3: a session's volume prescribed in mL/kg or as a fixed volume, with its equivalent.

clinical-reference-modalities.md §3, on Example A (male, 175 cm, 70 kg, Hct 0.40, Nadler TPV 2894.3 mL):
- PEXIVAS, 60 mL/kg: 60 × 70 = 4200 mL = 4200 / 2894.3 = 1.45 PV, 1 − e^−1.4511 = 76.6 % removed.
- Wuhan, fixed 2270 mL: 2270 / 2894.3 = 0.78 PV, 1 − e^−0.7843 = 54.4 % removed.
Every order stores the prescription's kind and amount and shows the equivalent plasma volumes and removal.
"""

import json
import shutil
import subprocess
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from planner import printing
from planner.core.blood_volume import Sex
from planner.core.exchange import ExchangeRequest, Prescription
from planner.models import Course
from tests.conftest import logged_in
from tests.factories import make_measurement, make_patient
from tests.workflow import create, form_data, signed

EXAMPLE_A = ExchangeRequest(sex=Sex.MALE, weight_kg=70, height_cm=175, haematocrit=0.40)
EXAMPLE_A_FORM = {"sex": "male", "weight_kg": 70, "height_cm": 175, "haematocrit": 0.40, "age_years": 40}


def test_the_api_takes_a_ml_per_kg_prescription_and_refuses_a_missing_amount(unit: None, nurse: User) -> None:
    url, client = reverse("api-exchange-plan"), logged_in(nurse)
    body = {**EXAMPLE_A_FORM, "prescription": "ml_per_kg", "prescribed_amount": 60}
    result = client.post(url, json.dumps(body), content_type="application/json").json()
    assert result["exchange_volume_ml"] == 4200 and result["plasma_volumes"] == 1.451
    missing = client.post(
        url, json.dumps({**EXAMPLE_A_FORM, "prescription": "fixed_ml"}), content_type="application/json"
    )
    assert missing.status_code == 400
    assert "Give the volume to exchange in mL." in json.dumps(missing.json())


def test_the_command_line_prints_the_equivalent(unit: None) -> None:
    out = StringIO()
    call_command(
        "exchange_plan",
        "--sex=male",
        "--weight-kg=70",
        "--height-cm=175",
        "--haematocrit=0.40",
        "--prescription=fixed_ml",
        "--prescribed-amount=2270",
        stdout=out,
    )
    assert "Exchange: fixed = 2270 mL = 0.78 plasma volumes, removes about 54.4%" in out.getvalue()


def test_the_calculator_shows_the_arithmetic_of_a_ml_per_kg_prescription(unit: None, nurse: User) -> None:
    response = logged_in(nurse).post(
        reverse("calculator"), {**EXAMPLE_A_FORM, "prescription": "ml_per_kg", "prescribed_amount": "60"}
    )
    page = response.content.decode()
    assert "60 mL/kg × 70 kg" in page and "Equivalent plasma volumes" in page
    assert "4200 mL ÷ 2894 mL" in page and "76.6\u00a0%" in page


def _example_a_patient(by: User):
    patient = make_patient(by=by, mrn="PRESC-1", sex="male")
    make_measurement(patient=patient, by=by)
    return patient


def test_a_fixed_volume_course_is_signed_frozen_and_printed_with_its_equivalent(unit: None, physician: User) -> None:
    patient = _example_a_patient(physician)
    course = signed(physician, patient, prescription="fixed_ml", plasma_volumes="", prescribed_amount="2270")
    assert course.status == Course.Status.SIGNED
    assert (course.prescription, course.plasma_volumes, course.prescribed_amount) == ("fixed_ml", None, 2270)
    plan = printing.plans.order_for(course).plan
    assert plan.request.prescription is Prescription.FIXED_ML and plan.rounded["exchange_volume_ml"] == 2270
    page = logged_in(physician).get(reverse("course-detail", args=[course.pk])).content.decode()
    assert "2270 mL, equivalent to 0.78 plasma volumes" in page and "removes about 54.4\u00a0%" in page
    if shutil.which("pdftotext"):
        pdf = printing.order_sheet_pdf(course)
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "prescribed as a fixed volume" in text and "Equivalent plasma volumes" in text and "0.78" in text


def test_the_course_form_asks_for_the_amount_and_checks_its_limits(unit: None, physician: User) -> None:
    patient = _example_a_patient(physician)
    missing = create(physician, patient, prescription="ml_per_kg", plasma_volumes="1.0", prescribed_amount="")
    assert "Give the mL/kg to exchange." in missing.content.decode()
    beyond = create(physician, patient, prescription="ml_per_kg", prescribed_amount="200")
    assert "200 is outside the limits 5–150." in beyond.content.decode()
    # 14 L is 4.84 plasma volumes for Example A: refused with the reason, nothing saved.
    too_much = create(physician, patient, prescription="fixed_ml", prescribed_amount="14000")
    assert "14000 mL is 4.84 plasma volumes" in too_much.content.decode()
    assert not Course.objects.filter(patient=patient).exists()
    # The plasma volumes typed before switching are not kept beside the amount.
    per_kg = create(physician, patient, prescription="ml_per_kg", plasma_volumes="1.0", prescribed_amount="60")
    assert per_kg.status_code == 302
    assert Course.objects.get(patient=patient).plasma_volumes is None


def test_the_database_refuses_two_prescriptions_or_none(unit: None, physician: User) -> None:
    patient = _example_a_patient(physician)
    create(physician, patient, **{k: v for k, v in form_data().items() if k != "prescription"})
    course = Course.objects.get(patient=patient)
    assert course.prescription == "plasma_volumes"  # an older client that sends no kind
    table = Course._meta.db_table
    for sql in (
        f"UPDATE {table} SET prescribed_amount = 60 WHERE id = %s",
        f"UPDATE {table} SET prescription = 'ml_per_kg' WHERE id = %s",
        f"UPDATE {table} SET prescription = 'fixed_ml', plasma_volumes = NULL, prescribed_amount = 20 WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [course.pk])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET prescription = 'fixed_ml', plasma_volumes = NULL, prescribed_amount = 2270 "
            "WHERE id = %s",
            [course.pk],
        )
    course.refresh_from_db()
    assert course.prescribed_amount == Decimal("2270.0")
