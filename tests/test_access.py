"""Who may open what: every URL of the app, as anonymous and as each role.

The table (tests/access_table.py PAGES) must name every URL. Adding a view without deciding who
may see it fails `test_every_url_has_a_rule`.
"""

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from planner import reports
from planner.demo import DEMO_PRODUCTS
from planner.models import IssuedProduct, MonthlyReport, Product, SessionRecord
from tests.access_table import PAGES, ROLES, Page
from tests.conftest import logged_in
from tests.factories import (
    make_course,
    make_device,
    make_indication,
    make_measurement,
    make_patient,
    make_procedure,
    make_role_user,
)

# The administration has its own table (ADMIN_SITE, ADMIN_MODELS): tests/test_admin_access.py.
OWN_ACCESS_PAGES = {"admin"}


def _named_urls() -> set[str]:
    names = set()
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLPattern) and entry.name:
            names.add(entry.name)
        elif isinstance(entry, URLResolver):
            assert entry.namespace in OWN_ACCESS_PAGES, f"included URLs {entry.pattern} need rules"
    return names


def test_every_url_has_a_rule() -> None:
    assert _named_urls() == set(PAGES)


@pytest.fixture
def urls(physician: User) -> dict[str, str]:
    patient = make_patient(by=physician)
    measurement = make_measurement(patient=patient, by=physician)
    indication = make_indication()
    for values in DEMO_PRODUCTS:  # the printed order needs the catalogue's products
        Product.objects.create(**values)
    course = make_course(
        patient=patient, indication=indication, device=make_device(), by=physician, first_on=date(2026, 11, 30)
    )
    procedure = make_procedure(course=course)
    record = SessionRecord.objects.create(procedure=procedure, recorded_by=physician)
    issued = IssuedProduct.objects.create(
        record=record, product=Product.objects.first(), lot_number="L1", quantity=1, issued_by=physician
    )
    monthly_report = MonthlyReport.objects.create(
        month=date(2026, 11, 1),
        numbers=reports.build_all(reports.Period.month(date(2026, 11, 1))),
        prepared_by=physician,
        prepared_at=timezone.now(),
    )
    with_args = {
        **dict.fromkeys(
            [
                "course-detail",
                "course-update",
                "course-amend",
                "course-sign",
                "course-cancel",
                "course-book",
                "course-approve",
                "consent-create",
            ],
            [course.pk],
        ),
        "course-create": [patient.pk],
        "procedure-move": [procedure.pk],
        "procedure-cancel": [procedure.pk],
        "procedure-fibrinogen": [procedure.pk],
        "course-order-pdf": [course.pk],
        "course-summary-pdf": [course.pk],
        "procedure-record": [procedure.pk],
        "adverse-event-create": [procedure.pk],
        "run-sheet-entry-create": [procedure.pk],
        "run-sheet-pdf": [procedure.pk],
        "issued-product-create": [procedure.pk],
        "issued-product-given": [issued.pk],
        "bedside-check": [issued.pk],
        "session-addendum-create": [procedure.pk],
        "procedure-slip-pdf": [procedure.pk],
        "patient-detail": [patient.pk],
        "patient-update": [patient.pk],
        "measurement-create": [patient.pk],
        "measurement-update": [measurement.pk],
        "indication-detail": [indication.pk],
        **dict.fromkeys(
            ["monthly-report-detail", "monthly-report-submit", "monthly-report-confirm", "monthly-report-pdf"],
            [monthly_report.pk],
        ),
    }
    return {name: reverse(name, args=with_args.get(name, [])) for name in PAGES}


def _client_for(role: str) -> Client:
    user = make_role_user(role)
    return Client() if user is None else logged_in(user)


def _outcome(response: object) -> str:
    if response.status_code == 302 and response["Location"].startswith(reverse("login") + "?next="):
        return "login"
    return str(response.status_code)


def _expected(rule: Page, role: str) -> str:
    if role == "anonymous":
        return str(rule.status) if rule.public else "login"
    return str(rule.status) if role in rule.allowed else "403"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_table_says(role: str, urls: dict[str, str]) -> None:
    client = _client_for(role)
    failures = [
        f"{name}: expected {_expected(rule, role)}, got {outcome}"
        for name, rule in PAGES.items()
        if (outcome := _outcome(client.get(urls[name]))) != _expected(rule, role)
    ]
    assert not failures


def test_a_403_is_a_page_that_explains(bloodbank: User, urls: dict[str, str]) -> None:
    response = logged_in(bloodbank).get(urls["patient-create"])
    assert response.status_code == 403
    assert "Your role does not include this page or action." in response.content.decode()


def test_login_page_is_served_at_accounts_login(db: None) -> None:
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    assert "Log in" in response.content.decode()


def test_health_answers_without_a_login(db: None) -> None:
    response = Client().get(reverse("health"))
    assert (response.status_code, response.content) == (200, b"ok")
