"""A course's model validation with fewer queries gives Django's own answers (planner/models/checks.py)."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.models import AdsorptionColumn, Course, Device, Fractionator, Indication, Patient
from tests.factories import make_course, make_device, make_indication


@pytest.fixture
def course(patient: Patient, physician: User) -> Course:
    return make_course(
        patient=patient,
        indication=make_indication(disease="Checks test disease"),
        device=make_device(name="Checks test device"),
        by=physician,
        first_on=date(2026, 12, 7),
    )


def _errors(validate: object, *args: object) -> dict[str, list[str]]:
    try:
        validate(*args)
    except ValidationError as error:
        return error.message_dict
    return {}


def _djangos(course: Course, exclude: set[str] | None) -> dict[str, list[str]]:
    """Django's own Model.validate_constraints: one query per check constraint."""
    return _errors(models.Model.validate_constraints, course, exclude)


def _ours(course: Course, exclude: set[str] | None) -> dict[str, list[str]]:
    return _errors(course.validate_constraints, exclude)


# Values on and either side of the rules' limits.
LIMITS = ["-0.1", "0", "0.05", "0.25", "0.3", "1", "4", "5", "6", "50", "150", "300", "400", "15000"]
DECIMALS = st.one_of(st.none(), st.sampled_from([Decimal(value) for value in LIMITS]))
EXCLUDABLE = ["albumin_fraction", "prescription", "modality", "fractionator", "status", "version", "sessions_count"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.fixed_dictionaries(
        {
            "albumin_fraction": DECIMALS.filter(lambda v: v is not None),
            "saline_fraction": DECIMALS.filter(lambda v: v is not None),
            "prescription": st.sampled_from(["plasma_volumes", "ml_per_kg", "fixed_ml"]),
            "plasma_volumes": DECIMALS,
            "prescribed_amount": DECIMALS,
            "modality": st.sampled_from(["tpe", "dfpp", "ia"]),
            "target_removal": DECIMALS,
            "albumin_g_per_dl": DECIMALS,
            "sessions_count": st.integers(-1, 3),
            "inlet_flow_ml_per_min": st.sampled_from([None, 4, 5, 60, 300, 301]),
            "status": st.sampled_from(["draft", "signed", "cancelled"]),
            "cancel_reason": st.sampled_from(["", "patient declined"]),
            "version": st.integers(1, 2),
            "amendment_reason": st.sampled_from(["", "dose changed"]),
        }
    ),
    with_fractionator=st.booleans(),
    with_column=st.booleans(),
    excluded=st.sets(st.sampled_from(EXCLUDABLE), max_size=2),
)
def test_the_one_query_gives_djangos_errors_for_any_course(
    course: Course, values: dict, with_fractionator: bool, with_column: bool, excluded: set[str]
) -> None:
    for name, value in values.items():
        setattr(course, name, value)
    course.fractionator = Fractionator(pk=1) if with_fractionator else None
    course.column = AdsorptionColumn(pk=1) if with_column else None
    for exclude in (None, excluded):
        assert _ours(course, exclude) == _djangos(course, exclude)


def test_all_the_checks_are_one_query(course: Course) -> None:
    course.sessions_count = 0
    with CaptureQueriesContext(connection) as queries:
        _ours(course, None)
    # Inside a transaction (as here) Django wraps each check in a savepoint; ours too, once.
    asked = [query["sql"] for query in queries.captured_queries if "SAVEPOINT" not in query["sql"]]
    assert len(asked) == 1
    with CaptureQueriesContext(connection) as queries:
        _djangos(course, None)
    assert len([query for query in queries.captured_queries if "SAVEPOINT" not in query["sql"]]) == 8


def test_every_broken_rule_is_reported_with_djangos_message(course: Course) -> None:
    course.saline_fraction = Decimal("0.5")  # course_fractions_valid
    course.sessions_count = 0  # course_has_sessions
    course.version, course.amendment_reason = 2, ""  # course_amendment_has_reason
    errors = _ours(course, None)
    assert errors == _djangos(course, None)
    assert len(errors["__all__"]) == 3


def test_a_rule_on_an_excluded_field_is_not_checked_as_in_django(course: Course) -> None:
    course.sessions_count = 0
    assert _ours(course, {"sessions_count"}) == {} == _djangos(course, {"sessions_count"})


def test_when_the_database_refuses_the_query_django_validates_one_by_one(
    course: Course, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("planner.models.checks.check_results", lambda *args: None)
    course.sessions_count = 0
    assert "__all__" in _ours(course, None)


# --- foreign keys: a row the instance holds is not looked up again ------------------------------


def test_a_held_row_is_not_looked_up_again(course: Course, django_assert_num_queries: object) -> None:
    course.indication = Indication.objects.get(pk=course.indication_id)
    course.device = Device.objects.get(pk=course.device_id)
    course.patient = Patient.objects.get(pk=course.patient_id)
    course.created_by = User.objects.get(pk=course.created_by_id)
    with django_assert_num_queries(0):
        course.clean_fields()


def test_a_key_set_by_id_alone_is_still_checked(course: Course) -> None:
    course.indication_id = 987654  # no such row, and none held
    with pytest.raises(ValidationError) as raised:
        course.clean_fields()
    assert "indication" in raised.value.message_dict


def test_a_held_row_that_no_longer_matches_the_key_is_checked(course: Course) -> None:
    indication = Indication.objects.get(pk=course.indication_id)
    course.indication = indication
    course.indication_id = 987654  # the key changed after the row was attached
    with pytest.raises(ValidationError) as raised:
        course.clean_fields()
    assert "indication" in raised.value.message_dict


def test_an_unsaved_row_is_not_taken_as_existing(course: Course) -> None:
    course.device = Device(pk=987654, name="never saved")
    with pytest.raises(ValidationError) as raised:
        course.clean_fields()
    assert "device" in raised.value.message_dict


def test_a_field_holding_an_expression_is_left_to_django(course: Course) -> None:
    course.sessions_count = F("sessions_count") - 5
    assert _ours(course, None) == _djangos(course, None)
