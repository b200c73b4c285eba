"""Plain factories with fixed, realistic values. Tests pass what matters to them."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.utils import timezone

from planner import roles
from planner.models import Course, Device, Indication, Measurement, Patient, Procedure

PASSWORD = "correct-horse-battery"


def make_user(*, username: str, role: str | None = None) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD)
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    return user


def make_role_user(role: str) -> User | None:
    """A user for one of tests/access_table.ROLES (None for an anonymous visitor), staff as in production."""
    from tests.access_table import ANONYMOUS, NO_ROLE, STAFF_NO_ROLE, SUPERUSER

    if role == ANONYMOUS:
        return None
    if role == SUPERUSER:
        return User.objects.create_superuser(username="user-superuser", password=PASSWORD)
    user = make_user(username=f"user-{role}", role=None if role in (NO_ROLE, STAFF_NO_ROLE) else role)
    if role == STAFF_NO_ROLE or role in roles.STAFF_ROLES:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


def make_patient(
    *,
    by: User,
    mrn: str = "MRN-1001",
    family_name: str = "Smith",
    given_name: str = "Anna",
    sex: str = Patient.Sex.FEMALE,
    date_of_birth: date = date(1970, 4, 1),
    **fields: object,
) -> Patient:
    return Patient.objects.create(
        mrn=mrn,
        family_name=family_name,
        given_name=given_name,
        sex=sex,
        date_of_birth=date_of_birth,
        created_by=by,
        updated_by=by,
        **fields,
    )


def make_measurement(*, patient: Patient, by: User, taken_at: datetime | None = None, **values: object) -> Measurement:
    if not values:
        values = {"weight_kg": Decimal("70.0"), "height_cm": Decimal("175.0"), "haematocrit": Decimal("0.400")}
    return Measurement.objects.create(
        patient=patient,
        taken_at=taken_at or timezone.now(),
        entered_by=by,
        updated_by=by,
        **values,
    )


def make_indication(
    *, disease: str = "Pemphigus vulgaris", indication: str = "severe", category: str = "III"
) -> Indication:
    return Indication.objects.create(
        disease=disease,
        indication=indication,
        category=category,
        grade="2B",
        default_replacement="albumin",
        replacement_policy="albumin",
        tpv_min=Decimal("1.0"),
        tpv_max=Decimal("1.5"),
        default_frequency="daily_or_alternate",
        default_sessions=5,
    )


def make_device(*, name: str = "Spectra Optia 1") -> Device:
    return Device.objects.create(
        name=name,
        kind="centrifugal",
        model="Spectra Optia",
        ecv_typical_ml=141,
        ecv_max_ml=185,
        plasma_removal_efficiency=Decimal("0.87"),
        default_inlet_ac_ratio=Decimal("10"),
    )


def make_course(
    *, patient: Patient, indication: Indication, device: Device, by: User, first_on: date, **fields: object
) -> Course:
    values = {
        "plasma_volumes": Decimal("1.0"),
        "method": "nadler",
        "albumin_fraction": Decimal("1"),
        "plasma_fraction": Decimal("0"),
        "saline_fraction": Decimal("0"),
        "sessions_count": 5,
        "pattern": "every_other_day",
        "vascular_access": "peripheral",
        "estimated_duration_min": 105,
        "inputs": {
            "weight_kg": {"value": "70", "taken_at": "2026-11-20T08:00:00+08:00"},
            "height_cm": {"value": "175", "taken_at": "2026-11-20T08:00:00+08:00"},
            "haematocrit": {"value": "0.400", "taken_at": "2026-11-20T08:00:00+08:00"},
        },
    } | fields
    return Course.objects.create(
        patient=patient, indication=indication, device=device, created_by=by, first_on=first_on, **values
    )


def make_procedure(*, course: Course, starts_at: datetime | None = None, number: int = 1) -> Procedure:
    """A two-hour session of the course on its device, booked by the course's author (30 Nov 2026, 09:00 Beijing)."""
    starts_at = starts_at or datetime(2026, 11, 30, 1, tzinfo=UTC)
    return Procedure.objects.create(
        course=course,
        number=number,
        device=course.device,
        updated_by=course.created_by,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
    )


def make_measured_patient(*, by: User, **fields: object) -> Patient:
    """A patient with yesterday's weight, height, haematocrit and fibrinogen: enough to order for."""
    patient = make_patient(by=by, **fields)
    make_measurement(
        patient=patient,
        by=by,
        taken_at=timezone.now() - timedelta(days=1),
        weight_kg=Decimal("58"),
        height_cm=Decimal("158"),
        haematocrit=Decimal("0.380"),
        fibrinogen_g_per_l=Decimal("2.9"),
    )
    return patient
