"""Every clinical change is attributable: who, when, old and new values; reads of a record are logged too."""

from decimal import Decimal

from django.contrib.auth.models import User
from django.urls import reverse

from planner import roles
from planner.models import Course, Measurement, Patient, PatientView, Procedure
from tests.conftest import logged_in
from tests.factories import make_patient, make_user
from tests.workflow import create, form_data, sign

PATIENT_FORM = {
    "mrn": "AUD-1",
    "family_name": "Lee",
    "given_name": "Grace",
    "sex": "female",
    "date_of_birth": "1975-06-30",
    "abo_group": "O",
    "rhd": "neg",
    "allergies": "",
    "notes": "",
}


def test_creating_and_editing_a_patient_records_who_and_the_values_before_and_after(
    physician: User, nurse: User
) -> None:
    logged_in(physician).post(reverse("patient-create"), PATIENT_FORM)
    patient = Patient.objects.get()
    logged_in(nurse).post(reverse("patient-update", args=[patient.pk]), PATIENT_FORM | {"abo_group": "A"})
    created, changed = patient.history.order_by("history_date")
    assert (created.history_type, created.history_user) == ("+", physician)
    assert (changed.history_type, changed.history_user) == ("~", nurse)
    delta = changed.diff_against(created)
    assert [(c.field, c.old, c.new) for c in delta.changes if c.field == "abo_group"] == [("abo_group", "O", "A")]


def test_a_corrected_measurement_keeps_the_first_value(patient: Patient, nurse: User, physician: User) -> None:
    measurement = Measurement.objects.get(patient=patient)
    form = {
        "taken_at": measurement.taken_at.astimezone().strftime("%Y-%m-%dT%H:%M"),
        "weight_kg": "57.5",
        "height_cm": "158",
        "haematocrit": "0.38",
        "fibrinogen_g_per_l": "2.9",
        "marker_name": "",
        "marker_value": "",
    }
    logged_in(nurse).post(reverse("measurement-update", args=[measurement.pk]), form)
    values = [(h.history_user, h.weight_kg) for h in measurement.history.order_by("history_date")]
    assert values[-2][1] == Decimal("58.00")
    assert values[-1] == (nurse, Decimal("57.50"))


def test_signing_an_amendment_records_the_superseded_order_and_the_moved_bookings(
    patient: Patient, physician: User
) -> None:
    client = logged_in(physician)
    create(physician, patient)
    first = Course.objects.get()
    client.post(reverse("course-book", args=[first.pk]))
    sign(client, first)
    client.post(reverse("course-amend", args=[first.pk]), form_data(amendment_reason="Faster taper"))
    amendment = Course.objects.get(previous=first)
    sign(client, amendment)
    statuses = [(h.status, h.history_user) for h in first.history.order_by("history_date")]
    assert statuses[-1] == ("superseded", physician)
    moved = Procedure.history.filter(course_id=amendment.pk, history_type="~")
    assert moved.count() == 5
    assert {h.history_user for h in moved} == {physician}


def test_opening_a_patient_record_is_logged(patient: Patient, nurse: User, bloodbank: User) -> None:
    logged_in(nurse).get(reverse("patient-detail", args=[patient.pk]))
    logged_in(bloodbank).get(reverse("calculator"), {"patient": patient.pk})
    assert list(PatientView.objects.order_by("viewed_at").values_list("user__username", "page")) == [
        ("nurse", "patient-detail"),
        ("bloodbank", "calculator"),
    ]


def test_the_history_is_one_click_away_in_the_admin(physician: User) -> None:
    root = User.objects.create_superuser(username="root", password="x")
    patient = make_patient(by=physician)
    patient.family_name = "Changed"
    patient.save()
    page = logged_in(root).get(reverse("admin:planner_patient_history", args=[patient.pk]))
    assert page.status_code == 200
    assert "Changed" in page.content.decode()


def test_only_administrators_read_the_view_log(patient: Patient, nurse: User) -> None:
    admin_user = make_user(username="unit-admin", role=roles.ADMIN)
    admin_user.is_staff = True
    admin_user.save()
    nurse.is_staff = True
    nurse.save()
    url = reverse("admin:planner_patientview_changelist")
    assert logged_in(admin_user).get(url).status_code == 200
    assert logged_in(nurse).get(url).status_code == 403
