"""`seed_demo` loads fictional data once, and never by accident in production."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from planner.demo import DEMO_PASSWORD
from planner.models import Course, Device, Indication, Measurement, Patient, Product


def _seed(**options: object) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_it_refuses_to_run_with_debug_off(db: None) -> None:
    with pytest.raises(CommandError, match="only with DEBUG on"):
        _seed()
    assert not User.objects.exists()


def test_it_loads_everything_once(db: None) -> None:
    first = _seed(force=True)
    counts = [Model.objects.count() for Model in (User, Patient, Measurement, Indication, Device, Product)]
    second = _seed(force=True)
    assert counts == [10, 6, 12, 97, 2, 4]
    assert [Model.objects.count() for Model in (User, Patient, Measurement, Indication, Device, Product)] == counts
    assert "patients: 6 created" in first
    assert "patients: 0 created" in second
    assert "physician, nurse, bloodbank, reviewer, admin" in second


def test_the_dermatoses_of_the_seed_review_each_have_a_patient_with_recent_labs(db: None) -> None:
    _seed(force=True)
    for words in ("Pemphigus vulgaris", "Toxic epidermal necrolysis", "Anti-MDA5"):
        patient = Patient.objects.get(notes__icontains=words)
        latest = patient.latest_measurements()
        assert latest["weight_kg"] is not None
        assert latest["haematocrit"] is not None
        assert latest["fibrinogen_g_per_l"] is not None


def test_the_demo_has_a_signed_booked_course_and_a_draft(db: None) -> None:
    _seed(force=True)
    signed = Course.objects.get(patient__mrn="DEMO-0001")
    draft = Course.objects.get(patient__mrn="DEMO-0002")
    assert (signed.status, signed.procedures.count()) == ("signed", 5)
    assert (draft.status, draft.vascular_access) == ("draft", "central_femoral")
    assert "ASFA allows plasma or albumin" in draft.fluid_proposal["reasons"][0]["text"]
    _seed(force=True)
    assert Course.objects.count() == 2


def test_the_demo_catalogue_matches_the_reference_device_and_products(db: None) -> None:
    _seed(force=True)
    optia = Device.objects.get(model="Spectra Optia")
    assert (optia.ecv_typical_ml, optia.ecv_max_ml, str(optia.plasma_removal_efficiency)) == (141, 185, "0.87")
    assert optia.default_inlet_ac_ratio == 10
    albumin = Product.objects.default_for("albumin")
    assert (albumin.concentration_percent, albumin.package_volume_ml, albumin.grams_per_package) == (20, 50, 10)
    assert Product.objects.default_for("plasma").package_volume_ml == 100
    assert Product.objects.default_for("saline") is not None


@pytest.mark.parametrize("username", ["physician", "nurse", "bloodbank", "reviewer", "admin"])
def test_each_demo_user_logs_in_with_the_published_password(db: None, username: str) -> None:
    _seed(force=True)
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/patients/").status_code == 200
