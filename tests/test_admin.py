"""The admin edits the catalogue; clinical records are never deleted through it."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from planner.models import Indication
from tests.conftest import logged_in
from tests.factories import make_indication, make_measurement, make_patient


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser(username="root", password="x")


def test_an_administrator_edits_an_indication(superuser: User) -> None:
    indication = make_indication()
    url = reverse("admin:planner_indication_change", args=[indication.pk])
    client = logged_in(superuser)
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields} | {"default_sessions": 8, "course_notes": "Local note"}
    data = {key: ("" if value is None else value) for key, value in data.items()}
    # The DFPP and IA rows are edited inline, on the same page (none here).
    data |= {f"modalities-{key}": value for key, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0))}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert Indication.objects.get().default_sessions == 8


def test_patients_and_measurements_cannot_be_deleted_even_by_a_superuser(superuser: User) -> None:
    patient = make_patient(by=superuser)
    measurement = make_measurement(patient=patient, by=superuser)
    client = logged_in(superuser)
    assert client.get(reverse("admin:planner_patient_delete", args=[patient.pk])).status_code == 403
    assert client.get(reverse("admin:planner_measurement_delete", args=[measurement.pk])).status_code == 403
    assert client.get(reverse("admin:planner_patient_change", args=[patient.pk])).status_code == 200


def test_a_patient_created_in_the_admin_records_its_author(superuser: User) -> None:
    data = {
        "mrn": "ADM-1",
        "family_name": "Admin",
        "given_name": "Made",
        "sex": "male",
        "date_of_birth": "1980-01-01",
        "abo_group": "",
        "rhd": "",
        "allergies": "",
        "notes": "",
        "measurements-TOTAL_FORMS": "0",
        "measurements-INITIAL_FORMS": "0",
    }
    response = logged_in(superuser).post(reverse("admin:planner_patient_add"), data)
    assert response.status_code == 302
    from planner.models import Patient

    assert Patient.objects.get(mrn="ADM-1").created_by == superuser


def test_staff_without_a_role_cannot_open_patients_in_the_admin(db: None) -> None:
    staff = User.objects.create_user(username="staff", password="x", is_staff=True)
    assert logged_in(staff).get(reverse("admin:planner_patient_changelist")).status_code == 403
