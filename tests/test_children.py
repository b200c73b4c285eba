"""Issue 16, part 4 (first part): children are planned as children, on every door.

Measured on main before: a 6-year-old girl of 20 kg, 115 cm got Nadler by default with only its
"not valid below 25 kg" warning, and a circuit of 10.2 % of her blood volume drew no advice; the
paediatric table gave a 40-year-old of 70 kg 5,600 mL with no warning. Now: the paediatric table
(child 70 mL/kg, Galacki 1997) is the default for a patient under 18 years and at most 35 kg,
Nadler otherwise; the table warns outside that range; the extracorporeal volume warns from 10 %
and requires a prime from 15 % (clinical-reference-modalities.md §4).

The girl: 70 × 20 = 1400 mL; the Optia's 141 mL is 141 / 1400 = 10.07 % -> 10.1 %.
"""

import json
import shutil
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from planner import printing
from planner.core.blood_volume import Method, Sex
from planner.core.codec import plan_from_json, plan_to_json
from planner.core.exchange import ExchangeRequest, plan_exchange
from planner.models import Course, Patient
from tests.conftest import logged_in
from tests.factories import make_measurement, make_patient
from tests.workflow import create, signed

GIRL = {"sex": "female", "weight_kg": 20, "height_cm": 115, "haematocrit": 0.36, "age_years": 6}


def _child(by: User, *, weight: str, height: str, born_years_ago: int, mrn: str) -> Patient:
    today = timezone.localdate()
    patient = make_patient(
        by=by, mrn=mrn, sex=Patient.Sex.FEMALE, date_of_birth=date(today.year - born_years_ago, 1, 1)
    )
    make_measurement(
        patient=patient,
        by=by,
        taken_at=timezone.now() - timedelta(hours=2),
        weight_kg=Decimal(weight),
        height_cm=Decimal(height),
        haematocrit=Decimal("0.330"),
        fibrinogen_g_per_l=Decimal("2.5"),
    )
    return patient


def test_the_api_plans_a_child_on_the_table_unless_told_otherwise(unit: None, nurse: User) -> None:
    url = reverse("api-exchange-plan")
    client = logged_in(nurse)
    result = client.post(url, json.dumps(GIRL), content_type="application/json").json()
    assert result["method"] == "paediatric" and result["total_blood_volume_ml"] == 1400
    assert result["extracorporeal_percent"] == 10.1
    assert "ecv_over_10_percent" in [w["code"] for w in result["warnings"]]
    # Told Nadler, it uses Nadler, and says it is not valid under 25 kg.
    told = client.post(url, json.dumps({**GIRL, "method": "nadler"}), content_type="application/json").json()
    assert told["method"] == "nadler"
    assert "nadler_below_25_kg" in [w["code"] for w in told["warnings"]]
    # An adult, and a child whose age is not given, get Nadler.
    adult = {"sex": "male", "weight_kg": 70, "height_cm": 175, "haematocrit": 0.40, "age_years": 40}
    assert client.post(url, json.dumps(adult), content_type="application/json").json()["method"] == "nadler"
    unknown_age = {key: value for key, value in GIRL.items() if key != "age_years"}
    assert client.post(url, json.dumps(unknown_age), content_type="application/json").json()["method"] == "nadler"


def test_the_command_line_does_the_same(unit: None) -> None:
    out = StringIO()
    args = ["--sex", "female", "--weight-kg", "20", "--height-cm", "115", "--haematocrit", "0.36", "--age-years", "6"]
    call_command("exchange_plan", *args, "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert (result["method"], result["total_blood_volume_ml"]) == ("paediatric", 1400)


def test_the_calculator_from_a_childs_record_uses_the_table(unit: None, physician: User, nurse: User) -> None:
    child = _child(physician, weight="20", height="115", born_years_ago=6, mrn="CHILD-6")
    page = logged_in(nurse).get(reverse("calculator"), {"patient": child.pk})
    plan = page.context["form"].plan
    assert plan.blood_volume.method.value == "paediatric"
    assert plan.blood_volume.total_blood_volume_ml == 1400


def test_a_new_course_for_a_child_starts_on_the_table_and_for_an_adult_on_nadler(
    unit: None, patient: Patient, physician: User
) -> None:
    child = _child(physician, weight="20", height="115", born_years_ago=6, mrn="CHILD-6")
    page = logged_in(physician).get(reverse("course-create", args=[child.pk]))
    assert page.context["form"]["method"].value() == "paediatric"
    page = logged_in(physician).get(reverse("course-create", args=[patient.pk]))
    assert page.context["form"]["method"].value() == "nadler"


@pytest.mark.parametrize("text", ["a prime is required"])
def test_a_10_kg_childs_order_says_a_prime_is_required_on_paper(unit: None, physician: User, text: str) -> None:
    child = _child(physician, weight="10", height="80", born_years_ago=2, mrn="CHILD-2")
    course = signed(physician, child, method="paediatric", sessions_count="1")
    assert course.status == Course.Status.SIGNED
    sheet = printing.sheet_data(course)
    assert sheet.plan.blood_volume.total_blood_volume_ml == 700
    assert any(text in warning for warning in sheet.warnings)


def test_an_order_signed_before_these_thresholds_still_reads() -> None:
    """A plan stored before the prime threshold and the table's range existed reads back, with the
    defaults; its warnings were stored when it was signed and stay as they were."""
    request = ExchangeRequest(
        sex=Sex.FEMALE, weight_kg=20, height_cm=115, haematocrit=0.36, age_years=6, method=Method.PAEDIATRIC
    )
    stored = json.loads(json.dumps(plan_to_json(plan_exchange(request))))  # as the database keeps it
    del stored["plan"]["policy"]["ecv_prime_percent"]
    del stored["plan"]["policy"]["paediatric"]["max_age_years"]
    del stored["plan"]["policy"]["paediatric"]["max_weight_kg"]
    plan = plan_from_json(stored)
    assert plan.policy.ecv_prime_percent == 15
    assert (plan.policy.paediatric.max_age_years, plan.policy.paediatric.max_weight_kg) == (18, 35)


def test_a_10_kg_childs_prime_reaches_the_order_the_slip_and_the_blood_banks_day(
    unit: None, physician: User, bloodbank: User
) -> None:
    """10 kg × 70 = 700 mL, Hct 0.33, Optia 141 mL: to keep 0.33, Hct_prime = 0.33 and red cells
    0.33 × 141 / 0.60 = 77.55 mL (shown to a tenth), the rest of the 141 mL albumin; a saline prime
    would leave 0.33 × 700 / 841 = 0.2747 -> 0.275."""
    child = _child(physician, weight="10", height="80", born_years_ago=2, mrn="CHILD-2")
    course = signed(physician, child, method="paediatric", sessions_count="1")
    prime = printing.plans.order_for(course).plan.rounded["prime"]
    assert prime["saline_haematocrit"] == 0.275
    assert prime["rbc_ml"] == round(0.33 * 141 / 0.60, 1)
    assert prime["albumin_ml"] == round(141 - 0.33 * 141 / 0.60, 1)
    labels = [row.label for row in printing.sheet_data(course).rows]
    assert "Prime: red cells" in labels and "Haematocrit after a saline prime" in labels
    session = course.procedures.get()
    html = logged_in(bloodbank).get(reverse("today"), {"on": timezone.localdate(session.starts_at).isoformat()})
    assert "Prime: red cells" in html.content.decode()
    if shutil.which("pdftotext"):
        slip = printing.issue_slip_pdf(session)
        text = subprocess.run(["pdftotext", "-", "-"], input=slip, capture_output=True, check=True).stdout.decode()
        assert "Red cells for the circuit prime" in text


# --- Kaplan's plasma volume (issue 16, part 3; clinical-reference-modalities.md §7) ------------------


def test_kaplans_plasma_volume_for_example_a_is_2730_ml() -> None:
    """TPV = 0.065 × W × (1 − Hct) L: 0.065 × 70 × 0.60 = 2.730 L, a blood volume of 65 × 70 = 4550 mL
    (against Nadler's 4824 / 2894)."""
    result = plan_exchange(
        ExchangeRequest(sex=Sex.MALE, weight_kg=70, height_cm=175, haematocrit=0.40, method=Method.KAPLAN)
    ).as_dict()
    assert (result["total_blood_volume_ml"], result["plasma_volume_ml"]) == (4550, 2730)
    assert result["formula"].startswith("Kaplan: 65 mL/kg × W")


def test_kaplans_flat_rule_warns_in_obesity_like_the_weight_rule() -> None:
    # BMI 120 / 1.75² = 39.2: a flat mL/kg overestimates blood volume in obesity.
    result = plan_exchange(
        ExchangeRequest(sex=Sex.MALE, weight_kg=120, height_cm=175, haematocrit=0.40, method=Method.KAPLAN)
    )
    assert "weight_rule_in_obesity" in result.warning_codes


def test_the_api_takes_kaplan(unit: None, nurse: User) -> None:
    data = {"sex": "female", "weight_kg": 55, "height_cm": 160, "haematocrit": 0.35, "method": "kaplan"}
    result = logged_in(nurse).post(reverse("api-exchange-plan"), json.dumps(data), content_type="application/json")
    # 0.065 × 55 × 0.65 = 2.32375 L -> 2324 mL
    assert (result.json()["method"], result.json()["plasma_volume_ml"]) == ("kaplan", 2324)


# --- the anticoagulant by blood volume (clinical-reference-modalities.md §4, bound [D]) ----------
# Q_inlet_max = ACIR × TBV (L) × r. The reference's own numbers: Example A (TBV 4.824 L) at ACIR 1.2,
# r 10 -> 57.9 mL/min; the 12 kg child (0.96 L) at ACIR 0.8 -> 7.7 mL/min.


def test_example_as_highest_inlet_flow_is_57_9_and_an_adult_is_not_warned() -> None:
    plan = plan_exchange(ExchangeRequest(sex=Sex.MALE, weight_kg=70, height_cm=175, haematocrit=0.40, age_years=40))
    assert plan.rounded["max_inlet_flow_ml_per_min"] == 57.9
    # 60 mL/min ÷ 10 ÷ 4.824 L = 1.244 -> 1.24, over 1.2, but the bound is for children.
    assert plan.rounded["ac_rate_ml_per_min_per_l"] == 1.24
    assert "inlet_flow_over_ac_limit" not in plan.warning_codes


def test_the_12_kg_childs_highest_inlet_flow_at_acir_0_8_is_7_7() -> None:
    from planner.core.exchange import Policy

    request = ExchangeRequest(
        sex=Sex.FEMALE,
        weight_kg=12,
        height_cm=85,
        haematocrit=0.30,
        age_years=2,
        tbv_ml=960,
        method=Method.MANUAL,
        tbv_reason="reference example",
    )
    plan = plan_exchange(request, Policy(ac_rate_limit_ml_per_min_per_l=0.8))
    assert plan.rounded["max_inlet_flow_ml_per_min"] == 7.7
    assert "inlet_flow_over_ac_limit" in plan.warning_codes


def test_a_10_kg_child_at_60_ml_min_is_warned_with_the_highest_flow_and_its_run_time() -> None:
    plan = plan_exchange(
        ExchangeRequest(
            sex=Sex.MALE, weight_kg=10, height_cm=80, haematocrit=0.30, age_years=2, method=Method.PAEDIATRIC
        )
    )
    # TBV 70 × 10 = 700 mL: 60 ÷ 10 ÷ 0.7 = 8.57 mL/min/L; the most is 1.2 × 0.7 × 10 = 8.4 mL/min.
    assert plan.rounded["ac_rate_ml_per_min_per_l"] == 8.57
    assert plan.rounded["max_inlet_flow_ml_per_min"] == 8.4
    (warning,) = [w for w in plan.warnings if w.code == "inlet_flow_over_ac_limit"]
    minutes = -(-plan.numbers.inlet_volume_ml // 8.4)
    assert "at most 8.4 mL/min" in str(warning.message) and f"about {minutes:g} min" in str(warning.message)


def test_a_child_within_the_ac_limit_is_not_warned_and_heparin_has_no_ac_numbers() -> None:
    from dataclasses import replace

    from planner.core.device_numbers import DeviceSettings

    child = ExchangeRequest(
        sex=Sex.MALE,
        weight_kg=10,
        height_cm=80,
        haematocrit=0.30,
        age_years=2,
        method=Method.PAEDIATRIC,
        device=DeviceSettings(inlet_flow_ml_per_min=8),
    )
    assert "inlet_flow_over_ac_limit" not in plan_exchange(child).warning_codes
    heparin = plan_exchange(replace(child, device=DeviceSettings(inlet_ac_ratio=None, inlet_flow_ml_per_min=60)))
    assert heparin.rounded["max_inlet_flow_ml_per_min"] is None
    assert "inlet_flow_over_ac_limit" not in heparin.warning_codes


def test_an_unknown_age_at_a_childs_weight_is_checked_as_a_child() -> None:
    plan = plan_exchange(ExchangeRequest(sex=Sex.FEMALE, weight_kg=20, height_cm=115, haematocrit=0.36))
    assert "inlet_flow_over_ac_limit" in plan.warning_codes
    teenager = plan_exchange(
        ExchangeRequest(sex=Sex.FEMALE, weight_kg=50, height_cm=160, haematocrit=0.38, age_years=15)
    )
    assert "inlet_flow_over_ac_limit" in teenager.warning_codes


def test_the_calculator_shows_the_ac_rate_and_the_highest_inlet_flow(unit: None, nurse: User) -> None:
    response = logged_in(nurse).post(reverse("calculator"), {**GIRL, "inlet_flow_ml_per_min": 60})
    page = response.content.decode()
    # 70 × 20 = 1.4 L: 60 ÷ 10 ÷ 1.4 = 4.29 mL/min/L; 1.2 × 1.4 × 10 = 16.8 mL/min.
    assert "4.29" in page and "16.8\u00a0mL/min" in page
    assert "over the 1.2 limit for a child" in page


def test_a_childs_course_runs_at_the_inlet_flow_the_physician_sets_and_is_booked_for_it(
    unit: None, physician: User
) -> None:
    """The 10 kg child at 8 mL/min, within the 8.4 mL/min ACD-A limit: no warning, and the session's
    time and booked slot follow the flow (inlet ÷ 8), not the unit's default 60 mL/min."""
    child = _child(physician, weight="10", height="80", born_years_ago=2, mrn="CHILD-FLOW")
    refused = create(physician, child, method="paediatric", sessions_count="1", inlet_flow_ml_per_min="3")
    assert "Ensure this value is greater than or equal to 5." in refused.content.decode()
    course = signed(physician, child, method="paediatric", sessions_count="1", inlet_flow_ml_per_min="8")
    plan = printing.plans.order_for(course).plan
    assert plan.request.device.inlet_flow_ml_per_min == 8
    assert "inlet_flow_over_ac_limit" not in plan.warning_codes
    minutes = round(plan.numbers.inlet_volume_ml / 8)
    assert course.estimated_duration_min == plan.rounded["duration_min"] == minutes
    session = course.procedures.get()
    assert (session.ends_at - session.starts_at).total_seconds() / 60 >= minutes
    page = logged_in(physician).get(reverse("course-detail", args=[course.pk])).content.decode()
    assert "inlet 8 mL/min" in page
