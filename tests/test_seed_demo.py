"""`seed_demo` loads fictional data once, and never by accident in production."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from planner import reports
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
    # 11 users; 6 patients with a week's labs and 3 with last month's course (6 measurements each).
    assert counts == [11, 9, 30, 97, 2, 4]
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
    assert Course.objects.count() == 5  # the two above and last month's three


def test_last_month_gives_the_reports_something_to_count(db: None) -> None:
    """Three finished courses of five sessions (planner/demo.py HISTORY): one stopped early after an
    allergic reaction, one session not started; a citrate reaction at each first session and a
    hypotension at the third (not the myasthenia patient's)."""
    _seed(force=True)
    first = timezone.localdate().replace(day=1)
    last_month = reports.Period.month((first - timedelta(days=1)).replace(day=1))
    total = reports.build(last_month, "indication")["total"]
    assert (total["planned"], total["done"], total["stopped"], total["not_started"], total["started"]) == (
        15,
        13,
        1,
        1,
        14,
    )
    assert (total["adverse_events"], total["adverse_events_per_100"], total["interrupted"]) == (5, 35.7, 2)
    assert total["median_signing_to_first_start_hours"] == 18.2  # signed 18 h before, started 10 min late


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
