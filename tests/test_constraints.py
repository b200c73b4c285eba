"""Invariants hold in the database itself, whatever door a write comes through."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from planner.models import Device, Measurement, Patient, Product
from tests.factories import make_indication, make_measurement, make_patient


@pytest.fixture
def clerk(db: None) -> User:
    return User.objects.create_user(username="clerk")


def test_the_mrn_is_unique(clerk: User) -> None:
    make_patient(by=clerk, mrn="MRN-1")
    with pytest.raises(IntegrityError):
        make_patient(by=clerk, mrn="MRN-1", family_name="Other")


@pytest.mark.parametrize(
    "values",
    [
        {"weight_kg": Decimal("0")},
        {"weight_kg": Decimal("-70")},
        {"height_cm": Decimal("0")},
        {"haematocrit": Decimal("0")},
        {"haematocrit": Decimal("1")},
        {"haematocrit": Decimal("40")},
        {"fibrinogen_g_per_l": Decimal("-0.1")},
        {"marker_name": "anti-Dsg3"},
        {},
    ],
    ids=[
        "weight-0",
        "weight-negative",
        "height-0",
        "hct-0",
        "hct-1",
        "hct-percent",
        "fibrinogen-negative",
        "marker-without-result",
        "no-value",
    ],
)
def test_the_database_refuses_an_impossible_measurement(clerk: User, values: dict[str, object]) -> None:
    patient = make_patient(by=clerk)
    with pytest.raises(IntegrityError), transaction.atomic():
        Measurement.objects.create(
            patient=patient, taken_at="2026-11-20T08:00Z", entered_by=clerk, updated_by=clerk, **values
        )


def test_a_patient_with_measurements_cannot_be_deleted(clerk: User) -> None:
    patient = make_patient(by=clerk)
    make_measurement(patient=patient, by=clerk)
    with pytest.raises(ProtectedError):
        patient.delete()
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_a_user_who_entered_clinical_data_cannot_be_deleted(clerk: User) -> None:
    make_patient(by=clerk)
    with pytest.raises(ProtectedError):
        clerk.delete()


def test_only_one_default_product_per_kind(db: None) -> None:
    Product.objects.create(kind="plasma", name="FFP 100 mL", package_volume_ml=100, is_default=True)
    with pytest.raises(IntegrityError):
        Product.objects.create(kind="plasma", name="FFP 200 mL", package_volume_ml=200, is_default=True)


def test_albumin_needs_a_concentration(db: None) -> None:
    with pytest.raises(IntegrityError):
        Product.objects.create(kind="albumin", name="Albumin", package_volume_ml=50)


def test_albumin_grams_per_vial_follow_from_concentration_and_volume(db: None) -> None:
    vial = Product.objects.create(
        kind="albumin", name="Alb 20", concentration_percent=Decimal("20"), package_volume_ml=50
    )
    assert vial.grams_per_package == Decimal("10")


@pytest.mark.parametrize(
    "values",
    [
        {"ecv_typical_ml": 200, "ecv_max_ml": 185},
        {"plasma_removal_efficiency": Decimal("1.2")},
        {"plasma_removal_efficiency": Decimal("0")},
        {"default_inlet_ac_ratio": Decimal("1")},
    ],
)
def test_the_database_refuses_an_impossible_device(db: None, values: dict[str, object]) -> None:
    fields = {
        "name": "Optia",
        "kind": "centrifugal",
        "ecv_typical_ml": 141,
        "ecv_max_ml": 185,
        "plasma_removal_efficiency": Decimal("0.87"),
        "default_inlet_ac_ratio": Decimal("10"),
    } | values
    with pytest.raises(IntegrityError):
        Device.objects.create(**fields)


def test_an_indication_range_of_plasma_volumes_is_ordered(db: None) -> None:
    indication = make_indication()
    indication.tpv_min, indication.tpv_max = Decimal("1.5"), Decimal("1.0")
    with pytest.raises(IntegrityError):
        indication.save()
