"""The administration, door by door: every admin URL × every role × GET and POST, and every action.

The expectations are in tests/access_table.py (ADMIN_SITE, ADMIN_MODELS, ADMIN_ACTIONS). A URL
pattern or an action the table does not name fails `test_the_table_names_every_admin_url` or
`test_the_table_names_every_admin_action`: a model registered later, or a page a library adds,
cannot slip in without someone deciding who may use it.

POSTs here carry no valid form (an empty form, a delete without its confirmation), so what they
measure is whether the door opens, not what the form then does; tests/test_admin_security.py
posts real changes.
"""

from datetime import date

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse

from planner import roles
from planner.demo import DEMO_PRODUCTS
from planner.models import (
    AdsorptionColumn,
    ApiToken,
    Fractionator,
    IndicationModality,
    Patient,
    PatientView,
    Product,
    SessionRecord,
    StopCriterion,
)
from planner.standard_catalogue import STANDARD_COLUMNS, STANDARD_FRACTIONATORS
from tests.access_table import ADMIN_ACTIONS, ADMIN_MODELS, ADMIN_SITE, ROLES, STAFF, model_expected, site_expected
from tests.conftest import logged_in
from tests.factories import (
    make_course,
    make_device,
    make_indication,
    make_measurement,
    make_patient,
    make_procedure,
    make_role_user,
    make_user,
)

METHODS = ("GET", "POST")


def _admin_url_names() -> set[str]:
    names = set()

    def walk(patterns: list) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns)
            elif isinstance(entry, URLPattern) and entry.name:
                names.add(entry.name)

    walk(admin.site.get_urls())
    return names


def _model_and_kind(name: str) -> tuple[str, str] | None:
    """'planner_patient_simple_history' -> ('planner.patient', 'simple_history')."""
    for model in admin.site._registry:
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix):
            return model._meta.label_lower, name.removeprefix(prefix)
    return None


def _table_keys() -> set[tuple[str, str]]:
    """What the matrix requests: (site URL, "") and (model, kind) for every named admin URL."""
    keys = set()
    for name in _admin_url_names():
        found = _model_and_kind(name)
        if found is not None:
            keys.add(found)
        elif name == "app_list":
            keys |= {(f"app_list:{app}", "") for app in {m._meta.app_label for m in admin.site._registry}}
        else:
            keys.add((name, ""))
    return keys


def test_the_table_names_every_admin_url() -> None:
    keys = _table_keys()
    site = {name for name, kind in keys if not kind}
    models = {model for model, kind in keys if kind}
    assert site == set(ADMIN_SITE), "every admin page needs a row in tests/access_table.py ADMIN_SITE"
    assert models == set(ADMIN_MODELS), "every model in the admin needs a row in tests/access_table.py ADMIN_MODELS"
    for model, kind in keys:
        if kind:
            model_expected(ADMIN_MODELS[model], kind, "GET", "admin")  # a KeyError: a kind the table cannot judge


def test_the_table_names_every_admin_action() -> None:
    offered = {
        (model._meta.label_lower, name)
        for model, model_admin in admin.site._registry.items()
        for _function, name, _description in model_admin._get_base_actions()
    }
    assert offered == set(ADMIN_ACTIONS)


@pytest.fixture
def objects(staff_roles: None) -> dict[str, dict[str, object]]:
    """One row of every model in the admin, with a past version where the model keeps history."""
    author = make_user(username="author", role=roles.PHYSICIAN)
    patient = make_patient(by=author)
    device = make_device()
    product = Product.objects.create(**DEMO_PRODUCTS[0])
    course = make_course(
        patient=patient, indication=make_indication(), device=device, by=author, first_on=date(2026, 11, 30)
    )
    procedure = make_procedure(course=course)
    token, _key = ApiToken.issue(user=author, name="LIS", issued_by=author)
    seen = {"ip_address": "10.1.2.3", "user_agent": "test", "http_accept": "*/*", "path_info": "/accounts/login/"}
    rows = {
        "planner.indication": course.indication,
        "planner.device": device,
        "planner.product": product,
        "planner.fractionator": Fractionator.objects.create(**STANDARD_FRACTIONATORS[0], is_verified=False),
        "planner.adsorptioncolumn": AdsorptionColumn.objects.create(**STANDARD_COLUMNS[0], is_verified=False),
        "planner.indicationmodality": IndicationModality.objects.create(
            indication=course.indication, modality="dfpp", category="III", grade="2C", source="test"
        ),
        "planner.stopcriterion": StopCriterion.objects.create(
            indication=course.indication,
            measure="platelets_10e9_per_l",
            comparison="at_least",
            threshold=150,
            description="Platelets above 150",
            source="test",
        ),
        "planner.patient": patient,
        "planner.measurement": make_measurement(patient=patient, by=author),
        "planner.apitoken": token,
        "planner.course": course,
        "planner.procedure": procedure,
        "planner.patientview": PatientView.objects.create(patient=patient, user=author, page="detail"),
        "planner.sessionrecord": SessionRecord.objects.create(procedure=procedure, recorded_by=author),
        # The account an administrator manages: a nurse's (a physician's is a superuser's to change).
        "auth.user": make_user(username="a-nurse", role=roles.NURSE),
        "auth.group": Group.objects.get(name=roles.NURSE),
        "axes.accessattempt": AccessAttempt.objects.create(
            username="someone", failures_since_start=1, get_data="", post_data="", **seen
        ),
        "axes.accesslog": AccessLog.objects.create(username="someone", **seen),
        "axes.accessfailurelog": AccessFailureLog.objects.create(username="someone", **seen),
    }
    return {
        label: {"row": row, "version": row.history.latest().history_id if hasattr(row, "history") else None}
        for label, row in rows.items()
    }


def _url(model: str, kind: str, objects: dict[str, dict[str, object]]) -> str:
    if not kind:
        if model.startswith("app_list:"):
            return reverse("admin:app_list", args=[model.removeprefix("app_list:")])
        if model == "view_on_site":
            patient = objects["planner.patient"]["row"]
            return reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(Patient).pk, patient.pk])
        return reverse(f"admin:{model}")
    app_label, model_name = model.split(".")
    name = f"admin:{app_label}_{model_name}_{kind}"
    row, version = objects[model]["row"], objects[model]["version"]
    if kind in ("changelist", "add"):
        return reverse(name)
    if kind == "simple_history":
        return reverse(name, args=[row.pk, version])
    return reverse(name, args=[row.pk])


def _outcome(response: HttpResponse) -> str:
    if response.status_code == 302:
        logins = (reverse("admin:login"), resolve_url(settings.LOGIN_URL))
        return "login" if response["Location"].startswith(logins) else "ok"
    return "ok" if response.status_code == 200 else str(response.status_code)


def _expected(model: str, kind: str, method: str, role: str) -> str:
    if kind:
        return model_expected(ADMIN_MODELS[model], kind, method, role)
    return site_expected(ADMIN_SITE[model], method, role)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_table_says_at_every_admin_url(
    role: str, objects: dict[str, dict[str, object]]
) -> None:
    user = make_role_user(role)
    client = Client() if user is None else logged_in(user)
    # Logging out last: it ends the session the other requests use.
    keys = sorted(_table_keys(), key=lambda key: (key[0] == "logout", key))
    failures = []
    for model, kind in keys:
        url = _url(model, kind, objects)
        for method in METHODS:
            response = client.get(url) if method == "GET" else client.post(url, {})
            if (got := _outcome(response)) != (expected := _expected(model, kind, method, role)):
                failures.append(f"{method} {url} ({model} {kind}): expected {expected}, got {got}")
    assert not failures, "\n".join(failures)


def _action_done(model: str, action: str, row: object, response: HttpResponse) -> bool:
    """Did the action run? Read from what it leaves behind, not from the admin's own checks."""
    if action == "delete_selected":
        return response.status_code == 200 and any(
            "delete_selected_confirmation" in (template.name or "") for template in response.templates
        )
    if action == "export_csv":
        return response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    if action == "cleanup_expired_attempts":
        return any("Cleaned up" in str(message) for message in get_messages(response.wsgi_request))
    row.refresh_from_db()
    return {
        "mark_reviewed": lambda: row.reviewed_at is not None,
        "revoke": lambda: row.revoked_at is not None,
        "mark_verified": lambda: row.is_verified,
    }[action]()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_runs_exactly_the_actions_the_table_says(role: str, objects: dict[str, dict[str, object]]) -> None:
    user = make_role_user(role)
    client = Client() if user is None else logged_in(user)
    for model in ("planner.device", "planner.product"):
        objects[model]["row"].__class__.objects.update(is_verified=False)
    failures = []
    for (model, action), allowed in sorted(ADMIN_ACTIONS.items()):
        row = objects[model]["row"]
        app_label, model_name = model.split(".")
        url = reverse(f"admin:{app_label}_{model_name}_changelist")
        with transaction.atomic():
            response = client.post(url, {"action": action, "_selected_action": [row.pk], "index": "0"})
            done = _action_done(model, action, row, response)
            transaction.set_rollback(True)
        if done != (role in allowed):
            failures.append(f"{model} {action}: {'ran' if done else 'refused'} (status {response.status_code})")
        if role not in STAFF and _outcome(response) != "login":
            failures.append(f"{model} {action}: not sent to the login")
    assert not failures, "\n".join(failures)
