"""Who may open what: every URL of the app, as anonymous and as each role.

The table must name every URL. Adding a view without deciding who may see it
fails `test_every_url_has_a_rule`.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from planner import roles
from planner.demo import DEMO_PRODUCTS
from planner.models import IssuedProduct, Procedure, Product, SessionRecord
from tests.conftest import logged_in
from tests.factories import make_course, make_device, make_indication, make_measurement, make_patient, make_user

VIEWERS = frozenset({"physician", "nurse", "bloodbank", "reviewer", "admin"})
EDITORS = frozenset({"physician", "nurse", "admin"})
PHYSICIANS = frozenset({"physician"})
ANY_LOGGED_IN = VIEWERS | {"no_role"}
ROLES = sorted(ANY_LOGGED_IN)


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[str]  # roles that get `status`; the rest get 403
    status: int = 200
    public: bool = False  # anonymous gets `status` too, instead of the login page


RULES: dict[str, Rule] = {
    "home": Rule(ANY_LOGGED_IN, status=302),
    "patient-list": Rule(VIEWERS),
    "patient-create": Rule(EDITORS),
    "patient-detail": Rule(VIEWERS),
    "patient-update": Rule(EDITORS),
    "measurement-create": Rule(EDITORS),
    "measurement-update": Rule(EDITORS),
    "indication-list": Rule(VIEWERS),
    "indication-detail": Rule(VIEWERS),
    "device-list": Rule(VIEWERS),
    "product-list": Rule(VIEWERS),
    "calculator": Rule(VIEWERS),
    "course-create": Rule(PHYSICIANS),
    "course-detail": Rule(VIEWERS),
    "course-update": Rule(PHYSICIANS),
    "course-amend": Rule(PHYSICIANS, status=302),  # the fixture's course is a draft: nothing to amend yet
    # Actions are POSTs: a GET is 405 for anyone logged in; tests/test_courses.py covers who may POST.
    "course-sign": Rule(ANY_LOGGED_IN, status=405),
    "course-cancel": Rule(ANY_LOGGED_IN, status=405),
    "course-book": Rule(ANY_LOGGED_IN, status=405),
    "procedure-move": Rule(EDITORS),
    "procedure-cancel": Rule(ANY_LOGGED_IN, status=405),
    "procedure-fibrinogen": Rule(ANY_LOGGED_IN, status=405),
    "calendar": Rule(VIEWERS),
    "procedure-record": Rule(VIEWERS),
    "adverse-event-create": Rule(ANY_LOGGED_IN, status=405),
    "issued-product-create": Rule(ANY_LOGGED_IN, status=405),
    "issued-product-given": Rule(ANY_LOGGED_IN, status=405),
    "session-addendum-create": Rule(ANY_LOGGED_IN, status=405),
    "course-order-pdf": Rule(VIEWERS),
    "procedure-slip-pdf": Rule(VIEWERS),
    "day-batch-pdf": Rule(VIEWERS),
    "calendar-ics": Rule(VIEWERS),
    # A JSON API: GET is not allowed (405); anonymous POSTs get 401 JSON (tests/test_exchange_doors.py).
    "api-exchange-plan": Rule(ANY_LOGGED_IN, status=405, public=True),
    "health": Rule(ANY_LOGGED_IN, public=True),
    "login": Rule(ANY_LOGGED_IN, public=True),
    "logout": Rule(ANY_LOGGED_IN, status=405),  # logging out is a POST
    "password_change": Rule(ANY_LOGGED_IN),
    "password_change_done": Rule(ANY_LOGGED_IN),
    # Choosing the language is a POST; a GET just goes back (302), for anyone, as on the login page.
    "set_language": Rule(ANY_LOGGED_IN, status=302, public=True),
}

# Django's admin has its own login and staff checks; tests/test_admin.py covers it.
OWN_ACCESS_RULES = {"admin"}


def _named_urls() -> set[str]:
    names = set()
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLPattern) and entry.name:
            names.add(entry.name)
        elif isinstance(entry, URLResolver):
            assert entry.namespace in OWN_ACCESS_RULES, f"included URLs {entry.pattern} need rules"
    return names


def test_every_url_has_a_rule() -> None:
    assert _named_urls() == set(RULES)


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
    procedure = Procedure.objects.create(
        course=course,
        number=1,
        device=course.device,
        updated_by=physician,
        starts_at=datetime(2026, 11, 30, 1, tzinfo=UTC),
        ends_at=datetime(2026, 11, 30, 3, tzinfo=UTC),
    )
    record = SessionRecord.objects.create(procedure=procedure, recorded_by=physician)
    issued = IssuedProduct.objects.create(
        record=record, product=Product.objects.first(), lot_number="L1", quantity=1, issued_by=physician
    )
    with_args = {
        **dict.fromkeys(
            ["course-detail", "course-update", "course-amend", "course-sign", "course-cancel", "course-book"],
            [course.pk],
        ),
        "course-create": [patient.pk],
        "procedure-move": [procedure.pk],
        "procedure-cancel": [procedure.pk],
        "procedure-fibrinogen": [procedure.pk],
        "course-order-pdf": [course.pk],
        "procedure-record": [procedure.pk],
        "adverse-event-create": [procedure.pk],
        "issued-product-create": [procedure.pk],
        "issued-product-given": [issued.pk],
        "session-addendum-create": [procedure.pk],
        "procedure-slip-pdf": [procedure.pk],
        "patient-detail": [patient.pk],
        "patient-update": [patient.pk],
        "measurement-create": [patient.pk],
        "measurement-update": [measurement.pk],
        "indication-detail": [indication.pk],
    }
    return {name: reverse(name, args=with_args.get(name, [])) for name in RULES}


def _client_for(role: str) -> Client:
    if role == "anonymous":
        return Client()
    group = None if role == "no_role" else role
    user = make_user(username=f"user-{role}", role=group)
    if role == roles.ADMIN:
        user.is_staff = True
        user.save()
    return logged_in(user)


def _outcome(response: object) -> str:
    if response.status_code == 302 and response["Location"].startswith(reverse("login") + "?next="):
        return "login"
    return str(response.status_code)


def _expected(rule: Rule, role: str) -> str:
    if role == "anonymous":
        return str(rule.status) if rule.public else "login"
    return str(rule.status) if role in rule.allowed else "403"


@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_each_role_gets_exactly_what_the_table_says(role: str, urls: dict[str, str]) -> None:
    client = _client_for(role)
    failures = [
        f"{name}: expected {_expected(rule, role)}, got {outcome}"
        for name, rule in RULES.items()
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
