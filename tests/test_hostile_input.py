"""Random and hostile input through the real doors: never a 500, never a bad row.

Each property posts a valid form with some fields replaced by values a tired user, a scanner, a
copy-paste from a spreadsheet or an attacker would send. The test client re-raises any exception a
view lets escape, so "no 500" is: the call returns. "No bad row" is: every row stored passes its
model's validation (and the database's own constraints, which would have raised).
"""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.models import Course, Measurement, Patient, SessionRecord
from tests import workflow
from tests.conftest import logged_in
from tests.workflow import form_data

HOSTILE = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "-1",
            "0",
            "-0",
            "1e308",
            "1e-308",
            "9" * 40,
            "NaN",
            "nan",
            "inf",
            "-Infinity",
            "0x1F",
            "1,5",
            "1.5.2",
            "½",
            "٣",  # an Arabic-Indic digit, which int() accepts
            "४२",  # Devanagari 42
            "' OR 1=1 --",
            "'; DROP TABLE planner_patient; --",
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            "{{ 7*7 }}",
            "%(name)s",
            "\u202eevil",
            "王" * 300,
            "x" * 10_000,
            "\x00",
            "a\x00b",
            "2026-02-30",
            "2026-11-24T25:61",
            "9999-12-31",
            "0001-01-01",
            "true",
            "null",
        ]
    ),
    st.text(max_size=60),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)

PROPERTY = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def _mutate(data: dict[str, object], fields: list[str]) -> st.SearchStrategy[dict[str, object]]:
    return st.dictionaries(st.sampled_from(fields), HOSTILE, min_size=1, max_size=4).map(lambda bad: {**data, **bad})


def _all_valid(model: type) -> None:
    for row in model.objects.all():
        row.full_clean(validate_unique=False)


PATIENT = {
    "mrn": "H-1",
    "family_name": "Chen",
    "given_name": "Li",
    "sex": "female",
    "date_of_birth": "1970-01-01",
    "abo_group": "O",
    "rhd": "pos",
    "allergies": "",
    "notes": "",
}


@pytest.mark.django_db
@PROPERTY
@given(data=_mutate(PATIENT, list(PATIENT)))
def test_patient_form(physician: User, data: dict[str, object]) -> None:
    with transaction.atomic():
        response = logged_in(physician).post(reverse("patient-create"), data)
        assert response.status_code in (200, 302)
        _all_valid(Patient)
        transaction.set_rollback(True)


MEASUREMENT_FIELDS = [
    "taken_at",
    "weight_kg",
    "height_cm",
    "haematocrit",
    "fibrinogen_g_per_l",
    "platelets_per_nl",
    "haemoglobin_g_per_dl",
    "ionised_calcium_mmol_per_l",
    "igg_g_per_l",
    "marker_name",
    "marker_value",
]


@pytest.mark.django_db
@PROPERTY
@given(values=st.dictionaries(st.sampled_from(MEASUREMENT_FIELDS), HOSTILE, min_size=1, max_size=5))
def test_measurement_form(patient: Patient, physician: User, values: dict[str, object]) -> None:
    data = {"taken_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "weight_kg": "60", **values}
    with transaction.atomic():
        response = logged_in(physician).post(reverse("measurement-create", args=[patient.pk]), data)
        assert response.status_code in (200, 302)
        _all_valid(Measurement)
        transaction.set_rollback(True)


@pytest.mark.django_db
@PROPERTY
@given(
    data=_mutate(
        {k: str(v) for k, v in {"sex": "male", "weight_kg": 70, "height_cm": 175, "haematocrit": 0.4}.items()},
        [
            *("sex", "weight_kg", "height_cm", "haematocrit", "plasma_volumes", "method", "albumin_fraction"),
            *("device", "indication", "sessions", "interval_hours", "igg_g_per_l", "low_fibrinogen", "liver_failure"),
        ],
    ),
    as_json=st.booleans(),
)
def test_calculation_api(unit: None, nurse: User, data: dict[str, object], as_json: bool) -> None:
    client = logged_in(nurse)
    # Either JSON of the hostile values or half a Python repr, which is not JSON at all.
    body = json.dumps(data) if as_json else str(data)[: len(str(data)) // 2]
    response = client.post(reverse("api-exchange-plan"), body, content_type="application/json")
    assert response.status_code in (200, 400)
    payload = response.json()
    assert ("errors" in payload) == (response.status_code == 400)
    if response.status_code == 200:
        assert payload["exchange_volume_ml"] > 0


COURSE_FIELDS = [
    "indication",
    "urgency",
    "plasma_volumes",
    "method",
    "albumin_fraction",
    "plasma_fraction",
    "saline_fraction",
    "sessions_count",
    "pattern",
    "every_n_days",
    "weekdays",
    "first_on",
    "device",
    "inlet_ac_ratio",
    "rituximab_last_at",
    "notes",
    "plasma_for_low_fibrinogen",
    "fluid_override_reason",
]


@pytest.mark.django_db
@PROPERTY
@given(bad=st.dictionaries(st.sampled_from(COURSE_FIELDS), HOSTILE, min_size=1, max_size=4))
def test_course_form(patient: Patient, physician: User, bad: dict[str, object]) -> None:
    with transaction.atomic():
        client = logged_in(physician)
        url = reverse("course-create", args=[patient.pk])
        assert client.post(url, form_data(**bad)).status_code in (200, 302)
        assert client.post(url, form_data(**bad), headers={"HX-Request": "true"}).status_code == 200
        _all_valid(Course)
        transaction.set_rollback(True)


RECORD_FIELDS = [
    "systolic_bp_mmhg",
    "heart_rate_per_min",
    "ionised_calcium_mmol_per_l",
    "started_at",
    "ended_at",
    "whole_blood_processed_ml",
    "plasma_removed_ml",
    "albumin_given_ml",
    "anticoagulant_used_ml",
    "outcome",
    "outcome_reason",
]


@pytest.fixture
def booked(patient: Patient, physician: User) -> int:
    return workflow.booked(physician, patient).procedures.order_by("number").first().pk


@pytest.mark.django_db
@PROPERTY
@given(bad=st.dictionaries(st.sampled_from(RECORD_FIELDS), HOSTILE, min_size=1, max_size=4))
def test_session_record_form(booked: int, nurse: User, bad: dict[str, object]) -> None:
    now = timezone.localtime()
    data = {
        "consent_confirmed": "on",
        "access_working": "on",
        "started_at": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "ended_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "plasma_removed_ml": "2500",
        "outcome": "completed",
        **bad,
    }
    with transaction.atomic():
        response = logged_in(nurse).post(reverse("procedure-record", args=[booked]), data)
        assert response.status_code in (200, 302)
        _all_valid(SessionRecord)
        transaction.set_rollback(True)


def test_the_baselines_are_accepted_so_the_properties_measure_the_hostile_values(
    patient: Patient, physician: User, nurse: User, booked: int
) -> None:
    client = logged_in(physician)
    assert client.post(reverse("patient-create"), PATIENT).status_code == 302
    measurement = {"taken_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "weight_kg": "60"}
    assert client.post(reverse("measurement-create", args=[patient.pk]), measurement).status_code == 302
    assert client.post(reverse("course-create", args=[patient.pk]), form_data()).status_code == 302
    now = timezone.localtime()
    record = {
        "consent_confirmed": "on",
        "access_working": "on",
        "started_at": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "ended_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "plasma_removed_ml": "2500",
        "outcome": "completed",
        "deviation_reason": "Recorded in a test before its booked time.",  # the booking is in the future
    }
    assert logged_in(nurse).post(reverse("procedure-record", args=[booked]), record).status_code == 302


@pytest.mark.parametrize("moment", ["0001-01-01", "0001-01-01T00:00", "9999-12-31T23:59", "1899-12-31T23:00"])
def test_a_time_outside_1900_to_2100_is_a_message_not_a_server_error(booked: int, nurse: User, moment: str) -> None:
    # Hypothesis found year 1 overflowing the time-zone conversion into a 500.
    response = logged_in(nurse).post(reverse("procedure-record", args=[booked]), {"started_at": moment})
    assert response.status_code == 200
    assert "Enter a date between 1900 and 2100." in response.content.decode()


@pytest.mark.parametrize("digit", ["²", "³", "¹", "9223372036854775808", "1" * 40])
def test_a_superscript_digit_or_a_huge_number_is_not_an_id(
    unit: None, patient: Patient, nurse: User, physician: User, digit: str
) -> None:
    """'²'.isdigit() is True and int('²') fails; SQLite refuses an integer beyond 64 bits in a query.
    Hypothesis found both (the API's and the course form's 500); each door that took an id is pinned."""
    api = logged_in(nurse).post(
        reverse("api-exchange-plan"), json.dumps({"indication": digit}), content_type="application/json"
    )
    assert api.status_code == 400 and "indication" in api.json()["errors"]
    doctor = logged_in(physician)
    assert doctor.get(reverse("course-create", args=[patient.pk]), {"indication": digit}).status_code == 200
    assert doctor.post(reverse("course-create", args=[patient.pk]), form_data(indication=digit)).status_code == 200
    calculator = logged_in(nurse).get(reverse("calculator"), {"patient": digit})
    assert calculator.status_code in (200, 404)
