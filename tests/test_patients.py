"""Staff record, edit and find patients; bad input gets a clear message and stores nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from planner.core.blood_volume import PaediatricTable
from planner.models import Patient
from tests.conftest import logged_in
from tests.factories import make_measurement, make_patient

VALID = {
    "mrn": " mrn 2001 ",
    "family_name": "Lee",
    "given_name": "Grace",
    "sex": "female",
    "date_of_birth": "1975-06-30",
    "abo_group": "O",
    "rhd": "neg",
    "allergies": "",
    "notes": "",
}


def test_a_physician_creates_a_patient_and_is_recorded_as_its_author(physician: User) -> None:
    response = logged_in(physician).post(reverse("patient-create"), VALID)
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("patient-detail", args=[patient.pk])
    assert patient.mrn == "MRN2001"
    assert patient.created_by == physician
    assert patient.updated_by == physician


def test_a_nurse_may_create_a_patient(nurse: User) -> None:
    assert logged_in(nurse).post(reverse("patient-create"), VALID).status_code == 302
    assert Patient.objects.count() == 1


@pytest.mark.parametrize("role", ["bloodbank", "reviewer", "no_role"])
def test_roles_without_the_permission_get_403_and_store_nothing(role: str, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(role)
    assert logged_in(user).post(reverse("patient-create"), VALID).status_code == 403
    assert not Patient.objects.exists()


def test_a_future_date_of_birth_is_refused_with_a_message(physician: User) -> None:
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = logged_in(physician).post(reverse("patient-create"), VALID | {"date_of_birth": tomorrow})
    assert response.status_code == 200
    assert "The date of birth cannot be in the future." in response.content.decode()
    assert not Patient.objects.exists()


def test_a_duplicate_mrn_is_refused_whatever_its_case_or_spacing(physician: User) -> None:
    make_patient(by=physician, mrn="MRN2001")
    response = logged_in(physician).post(reverse("patient-create"), VALID | {"mrn": "mrn 2001"})
    assert response.status_code == 200
    assert "A patient with this medical record number already exists." in response.content.decode()
    assert Patient.objects.count() == 1


def test_missing_required_fields_are_named(physician: User) -> None:
    response = logged_in(physician).post(reverse("patient-create"), {"mrn": "X1"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("This field is required.") == 3  # family name, sex, date of birth
    assert not Patient.objects.exists()


def test_editing_a_patient_records_who_changed_it(physician: User, nurse: User) -> None:
    patient = make_patient(by=physician)
    form = VALID | {"mrn": patient.mrn, "family_name": "Lee-Smith"}
    response = logged_in(nurse).post(reverse("patient-update", args=[patient.pk]), form)
    patient.refresh_from_db()
    assert response.status_code == 302
    assert patient.family_name == "Lee-Smith"
    assert patient.created_by == physician
    assert patient.updated_by == nurse


def test_a_reviewer_sees_a_patient_but_cannot_edit_it(physician: User, reviewer: User) -> None:
    patient = make_patient(by=physician)
    client = logged_in(reviewer)
    page = client.get(reverse("patient-detail", args=[patient.pk]))
    assert page.status_code == 200
    assert reverse("patient-update", args=[patient.pk]) not in page.content.decode()
    assert client.get(reverse("patient-update", args=[patient.pk])).status_code == 403


def test_the_detail_page_shows_the_latest_values_with_their_dates(physician: User) -> None:
    patient = make_patient(by=physician)
    taken_at = timezone.now() - timedelta(days=2)
    make_measurement(patient=patient, by=physician, taken_at=taken_at, haematocrit="0.385", weight_kg="61.5")
    body = logged_in(physician).get(reverse("patient-detail", args=[patient.pk])).content.decode()
    assert "38.5\u00a0%" in body
    assert "61.5 kg" in body
    assert timezone.localtime(taken_at).strftime("%Y-%m-%d %H:%M") in body


def test_the_detail_pages_latest_values_are_the_patients_latest_read_once(physician: User) -> None:
    patient = make_patient(by=physician)
    now = timezone.now()
    make_measurement(patient=patient, by=physician, taken_at=now - timedelta(days=9), weight_kg="60", height_cm="170")
    make_measurement(patient=patient, by=physician, taken_at=now - timedelta(days=2), weight_kg="61.5")
    make_measurement(patient=patient, by=physician, taken_at=now - timedelta(days=2), haematocrit="0.385")
    # A value timed ahead of now (a planned draw entered early) is listed, but is not yet the latest.
    make_measurement(patient=patient, by=physician, taken_at=now + timedelta(hours=3), weight_kg="63")
    client = logged_in(physician)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("patient-detail", args=[patient.pk]))
    assert page.context["latest"] == patient.latest_measurements()
    assert page.context["latest"]["weight_kg"].value == Decimal("61.5")
    assert len([q for q in queries.captured_queries if 'FROM "planner_measurement"' in q["sql"]]) == 1


def test_an_unknown_patient_is_a_404_not_an_error(physician: User) -> None:
    assert logged_in(physician).get(reverse("patient-detail", args=[999])).status_code == 404


class TestSearch:
    @pytest.fixture
    def patients(self, physician: User) -> dict[str, Patient]:
        return {
            "wang": make_patient(by=physician, mrn="H0012345", family_name="王", given_name="秀英"),
            "wong": make_patient(by=physician, mrn="H0012399", family_name="Wong", given_name="Mei"),
            "lee": make_patient(by=physician, mrn="H0099999", family_name="Lee", given_name="Grace"),
        }

    def search(self, user: User, query: str):
        return logged_in(user).post(reverse("patient-list"), {"q": query})

    def test_an_exact_mrn_opens_the_patient(self, physician: User, patients: dict[str, Patient]) -> None:
        response = self.search(physician, " h0012345 ")
        assert response.status_code == 302
        assert response["Location"] == reverse("patient-detail", args=[patients["wang"].pk])

    def test_an_mrn_prefix_lists_the_patients_it_starts(self, physician: User, patients: dict[str, Patient]) -> None:
        body = self.search(physician, "H00123").content.decode()
        assert "H0012345" in body
        assert "H0012399" in body
        assert "H0099999" not in body

    def test_a_chinese_name_is_found_typed_without_a_space(self, physician: User, patients: dict) -> None:
        body = self.search(physician, "王秀英").content.decode()
        assert "H0012345" in body
        assert "1 patient matches." in body

    def test_every_word_must_match(self, physician: User, patients: dict[str, Patient]) -> None:
        body = self.search(physician, "grace lee").content.decode()
        assert "H0099999" in body
        assert "H0012399" not in body

    @pytest.mark.parametrize("query", ["Wong", "wong", "MEI", "mei", "ongM", "王", "秀英"])
    def test_a_word_within_either_name_or_across_both_finds_the_patient(
        self, physician: User, patients: dict[str, Patient], query: str
    ) -> None:
        body = self.search(physician, query).content.decode()
        assert "1 patient matches." in body
        assert ("H0012399" in body) != ("H0012345" in body)

    def test_no_match_says_so(self, physician: User, patients: dict[str, Patient]) -> None:
        assert "No patient matches this search." in self.search(physician, "nobody").content.decode()

    def test_search_is_posted_so_names_stay_out_of_urls(self, physician: User, patients: dict) -> None:
        body = logged_in(physician).get(reverse("patient-list")).content.decode()
        assert 'method="post" action="/patients/"' in body

    def test_an_empty_search_explains_itself(self, physician: User, patients: dict[str, Patient]) -> None:
        response = self.search(physician, "   ")
        assert response.status_code == 200
        assert "This field is required." in response.content.decode()


def test_the_list_pages_through_patients(physician: User, settings: object) -> None:
    settings.PATIENTS_PER_PAGE = 2
    for number in range(5):
        make_patient(by=physician, mrn=f"P{number}", family_name=f"Family{number}")
    client = logged_in(physician)
    first = client.get(reverse("patient-list")).content.decode()
    last = client.get(reverse("patient-list") + "?page=3").content.decode()
    # Match the MRN as link text: the page's random CSRF token may contain "P4".
    assert "Page 1 of 3" in first
    assert ">P0</a>" in first
    assert ">P4</a>" not in first
    assert ">P4</a>" in last
    assert client.get(reverse("patient-list") + "?page=nonsense").status_code == 200


def test_a_later_page_is_in_name_order_with_each_patients_own_latest_values(physician: User, settings: object) -> None:
    """The page's rows are chosen first, then their latest values read: each row keeps its own."""
    settings.PATIENTS_PER_PAGE = 2
    # Same family name: given name, then id, decide the order.
    for number, (family, given) in enumerate([("Zhao", "B"), ("Zhao", "A"), ("Alpha", ""), ("Zhao", "A")]):
        patient = make_patient(by=physician, mrn=f"ORD{number}", family_name=family, given_name=given)
        make_measurement(patient=patient, by=physician, weight_kg=f"6{number}.5")
    client = logged_in(physician)
    first = client.get(reverse("patient-list")).content.decode()
    second = client.get(reverse("patient-list") + "?page=2").content.decode()
    assert first.index(">ORD2</a>") < first.index(">ORD1</a>")
    assert ">ORD3</a>" in second and ">ORD0</a>" in second
    assert second.index(">ORD3</a>") < second.index(">ORD0</a>")
    assert "63.5 kg" in second and "60.5 kg" in second
    assert "61.5 kg" not in second and "62.5 kg" not in second
    assert second.index("63.5 kg") < second.index("60.5 kg")


def test_an_infants_age_for_the_calculation_is_its_fraction_of_a_year(physician: User) -> None:
    """A 6-month-old is an infant (80 mL/kg), not a neonate (85): completed years would say 0."""
    today = date(2026, 12, 1)
    infant = make_patient(by=physician, mrn="INF-1", date_of_birth=today - timedelta(days=182))
    assert infant.age_on(today) == 0
    assert infant.age_for_calculation(today) == pytest.approx(182 / 365.25)
    assert PaediatricTable().ml_per_kg(infant.age_for_calculation(today)) == 80
    newborn = make_patient(by=physician, mrn="INF-2", date_of_birth=today - timedelta(days=10))
    assert PaediatricTable().ml_per_kg(newborn.age_for_calculation(today)) == 85
    adult = make_patient(by=physician, mrn="ADU-1", date_of_birth=date(1980, 12, 1))
    assert adult.age_for_calculation(today) == 46
