"""Body measurements and labs over time: entered with checks, attributable, latest-as-of."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from planner.models import Measurement, Patient
from tests.conftest import logged_in
from tests.factories import make_measurement, make_patient


@pytest.fixture
def patient(physician: User) -> Patient:
    return make_patient(by=physician)


def _form(**values: str) -> dict[str, str]:
    taken_at = timezone.localtime() - timedelta(hours=1)
    return {"taken_at": taken_at.strftime("%Y-%m-%dT%H:%M"), "marker_name": "", "marker_value": ""} | values


def _add(user: User, patient: Patient, **values: str):
    return logged_in(user).post(reverse("measurement-create", args=[patient.pk]), _form(**values))


def test_a_nurse_records_weight_height_and_haematocrit(nurse: User, patient: Patient) -> None:
    response = _add(nurse, patient, weight_kg="70", height_cm="175", haematocrit="0.40")
    row = Measurement.objects.get()
    assert response.status_code == 302
    assert (row.weight_kg, row.height_cm, row.haematocrit) == (Decimal("70"), Decimal("175"), Decimal("0.4"))
    assert row.entered_by == nurse
    assert row.patient == patient


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"weight_kg": "0"}, "Enter a value between 0.5 and 300 kg."),
        ({"weight_kg": "-3"}, "Enter a value between 0.5 and 300 kg."),
        ({"height_cm": "1750"}, "Enter a value between 30 and 250 cm."),
        ({"haematocrit": "40"}, "Haematocrit is a fraction: did you mean 0.40?"),
        ({"haematocrit": "0.95"}, "Haematocrit must be a fraction between 0.05 and 0.80."),
        ({"haematocrit": "NaN"}, "Enter a number."),
        ({"fibrinogen_g_per_l": "abc"}, "Enter a number."),
        ({"weight_kg": "1e400"}, "Ensure that there are no more than"),
        ({"marker_name": "anti-Dsg3"}, "Enter the result for anti-Dsg3."),
        ({"marker_value": "152 U/mL"}, "Name the marker this result belongs to."),
        ({}, "Enter at least one measurement."),
    ],
    ids=[
        "weight-0",
        "weight-negative",
        "height-mm",
        "hct-percent",
        "hct-high",
        "nan",
        "text",
        "huge",
        "marker-name",
        "marker-value",
        "empty",
    ],
)
def test_bad_input_gets_a_clear_message_and_stores_nothing(
    nurse: User, patient: Patient, values: dict[str, str], message: str
) -> None:
    response = _add(nurse, patient, **values)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Measurement.objects.exists()


def test_a_time_in_the_future_is_refused(nurse: User, patient: Patient) -> None:
    tomorrow = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = _add(nurse, patient, taken_at=tomorrow, weight_kg="70")
    assert "The time taken cannot be in the future." in response.content.decode()
    assert not Measurement.objects.exists()


def test_a_time_before_birth_is_refused(nurse: User, patient: Patient) -> None:
    response = _add(nurse, patient, taken_at="1960-01-01T08:00", weight_kg="70")
    assert "before the patient&#x27;s date of birth" in response.content.decode()


def test_the_form_starts_at_the_current_time(nurse: User, patient: Patient) -> None:
    body = logged_in(nurse).get(reverse("measurement-create", args=[patient.pk])).content.decode()
    assert f'value="{timezone.localtime():%Y-%m-%d} ' in body  # YYYY-MM-DD HH:MM, typed as ISO in every language


def test_editing_a_measurement_keeps_who_entered_it_and_records_who_changed_it(
    nurse: User, physician: User, patient: Patient
) -> None:
    row = make_measurement(patient=patient, by=nurse, weight_kg=Decimal("70"))
    form = _form(weight_kg="71.5", taken_at=timezone.localtime(row.taken_at).strftime("%Y-%m-%dT%H:%M"))
    response = logged_in(physician).post(reverse("measurement-update", args=[row.pk]), form)
    row.refresh_from_db()
    assert response.status_code == 302
    assert row.weight_kg == Decimal("71.5")
    assert (row.entered_by, row.updated_by) == (nurse, physician)


def test_the_blood_bank_reads_labs_but_cannot_enter_them(bloodbank: User, patient: Patient) -> None:
    assert _add(bloodbank, patient, weight_kg="70").status_code == 403
    assert logged_in(bloodbank).get(reverse("patient-detail", args=[patient.pk])).status_code == 200


def test_latest_values_are_taken_per_quantity_as_of_a_time(nurse: User, patient: Patient) -> None:
    now = timezone.now()
    make_measurement(
        patient=patient, by=nurse, taken_at=now - timedelta(days=10), weight_kg=Decimal("72"), height_cm=Decimal("170")
    )
    make_measurement(patient=patient, by=nurse, taken_at=now - timedelta(days=3), weight_kg=Decimal("70"))
    make_measurement(
        patient=patient,
        by=nurse,
        taken_at=now - timedelta(days=1),
        haematocrit=Decimal("0.35"),
        marker_name="anti-Dsg3",
        marker_value="150 U/mL",
    )

    latest = patient.latest_measurements()
    assert latest["weight_kg"].value == Decimal("70")
    assert latest["height_cm"].value == Decimal("170")
    assert latest["height_cm"].taken_at == now - timedelta(days=10)
    assert latest["haematocrit"].value == Decimal("0.35")
    assert latest["fibrinogen_g_per_l"] is None
    assert latest.markers["anti-Dsg3"].value == "150 U/mL"

    a_week_ago = patient.latest_measurements(as_of=now - timedelta(days=7))
    assert a_week_ago["weight_kg"].value == Decimal("72")
    assert a_week_ago["haematocrit"] is None
