"""Bare baselines of the key pages, for `make bench` only: never included from planner/urls.py.

Each baseline reads the rows its page shows with plain ORM queries, does the writes the page must
do (the patient-view log), checks that someone is logged in and nothing else, and renders a plain
table from an inline template: no base template, no translation tags, no form library. The bench
sends the same request to the application and to these views (the paths are the same), so the
ratio app/baseline is what the application adds over its duties.

The baselines' handler runs with a short middleware list: sessions, authentication and
BaselineUrlconf below, which points the request at this module.
"""

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Concat
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseRedirect, JsonResponse
from django.template import Context, Engine, Template
from django.urls import path
from django.utils import timezone

from planner import plans, reports
from planner.audit import log_patient_view
from planner.core.blood_volume import Sex
from planner.core.exchange import ExchangePlan, ExchangeRequest, plan_exchange
from planner.core.identity import normalise_mrn
from planner.models import (
    MEASURED_FIELDS,
    ApiToken,
    Course,
    Device,
    IssuedProduct,
    Measurement,
    Patient,
    Procedure,
    SessionRecord,
)

URLCONF = __name__
_ENGINE = Engine()  # Django's default tags and filters, no loaders, no context processors
ADMIN_PER_PAGE = 100  # the admin changelist's default list_per_page
SEARCH_LIMIT = 50  # planner.views.patients.PATIENT_SEARCH_LIMIT


class BaselineUrlconf:
    """Routes every request to this module's urlpatterns (the baselines' handler only)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.urlconf = URLCONF
        return self.get_response(request)


MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    f"{__name__}.BaselineUrlconf",
]


def _template(source: str) -> Template:
    """Compiled once, at import, as the application's cached loader compiles its templates once."""
    return _ENGINE.from_string(source)


def _render(template: Template, context: dict) -> HttpResponse:
    return HttpResponse(template.render(Context(context)))


def _refused(request: HttpRequest) -> HttpResponse | None:
    """The one check a baseline makes: someone is logged in."""
    return None if request.user.is_authenticated else HttpResponseForbidden("log in")


def _latest_vitals(patients: Iterable[Patient]) -> list[Patient]:
    """Each patient with `weight`, `hct` and when each was taken: one plain query over their measurements."""
    rows = list(patients)
    latest: dict[int, dict[str, object]] = {patient.pk: {} for patient in rows}
    found = (
        Measurement.objects.filter(patient__in=list(latest))
        .filter(Q(weight_kg__isnull=False) | Q(haematocrit__isnull=False))
        .order_by("patient_id", "-taken_at", "-pk")
        .values_list("patient_id", "taken_at", "weight_kg", "haematocrit")
    )
    for patient_id, taken_at, weight, hct in found:
        values = latest[patient_id]
        if weight is not None and "weight" not in values:
            values.update(weight=weight, weight_at=taken_at)
        if hct is not None and "hct" not in values:
            values.update(hct=hct, hct_at=taken_at)
    for patient in rows:
        patient.vitals = latest[patient.pk]
    return rows


PATIENT_ROWS = """<table>
{% for p in patients %}<tr><td><a href="/patients/{{ p.pk }}/">{{ p.mrn }}</a></td><td>{{ p.full_name }}</td>
<td>{{ p.get_sex_display }}</td><td>{{ p.date_of_birth|date:"Y-m-d" }} ({{ p.age_years }} y)</td>
<td>{{ p.blood_group|default:"-" }}</td>
<td>{{ p.vitals.weight|default:"-" }} {{ p.vitals.weight_at|date:"Y-m-d" }}</td>
<td>{{ p.vitals.hct|default:"-" }} {{ p.vitals.hct_at|date:"Y-m-d" }}</td></tr>
{% endfor %}</table>"""
PATIENT_LIST = _template("<h1>Patients</h1>" + PATIENT_ROWS + "<p>Page {{ number }} of {{ pages }}</p>")
PATIENT_SEARCH = _template(
    "<h1>Patients</h1><p>{{ patients|length }} found{% if more %}, more not shown{% endif %}</p>" + PATIENT_ROWS
)


def patient_list(request: HttpRequest) -> HttpResponse:
    """Page N of the patient list (25 a page, by family name, given name, pk), or a name search (POST)."""
    if refused := _refused(request):
        return refused
    if request.method == "POST":
        return _patient_search(request)
    per_page = settings.PATIENTS_PER_PAGE
    count = Patient.objects.count()
    pages = max((count + per_page - 1) // per_page, 1)
    try:
        number = min(max(int(request.GET.get("page", 1)), 1), pages)
    except ValueError:
        number = 1
    start = (number - 1) * per_page
    patients = _latest_vitals(Patient.objects.order_by("family_name", "given_name", "pk")[start : start + per_page])
    return _render(PATIENT_LIST, {"patients": patients, "number": number, "pages": pages})


def _patient_search(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("q", "").strip()
    mrn = normalise_mrn(query)
    exact = Patient.objects.filter(mrn=mrn).first() if mrn else None
    if exact is not None:
        return HttpResponseRedirect(f"/patients/{exact.pk}/")
    found = Patient.objects.annotate(joined=Concat("family_name", "given_name"))
    for word in query.split():
        found = found.filter(
            Q(mrn__startswith=normalise_mrn(word) or word)
            | Q(family_name__icontains=word)
            | Q(given_name__icontains=word)
            | Q(joined__icontains=word)
        )
    patients = _latest_vitals(found.order_by("family_name", "given_name", "pk")[: SEARCH_LIMIT + 1])
    return _render(PATIENT_SEARCH, {"patients": patients[:SEARCH_LIMIT], "more": len(patients) > SEARCH_LIMIT})


PATIENT_DETAIL = _template(
    """<h1>{{ patient.full_name }}</h1>
<p>{{ patient.mrn }} {{ patient.get_sex_display }} {{ patient.date_of_birth|date:"Y-m-d" }} ({{ patient.age_years }} y)
{{ patient.blood_group }} {{ patient.allergies }} {{ patient.notes }}</p>
<ul>{% for course in courses %}<li><a href="/courses/{{ course.pk }}/">{{ course.label }}</a> {{ course.indication }}
{{ course.get_status_display }} {{ course.created_at|date:"Y-m-d" }}</li>{% endfor %}</ul>
<table>{% for name, value, at in latest %}<tr><th>{{ name }}</th><td>{{ value }}</td><td>{{ at|date:"Y-m-d" }}</td></tr>
{% endfor %}</table>
<table>{% for m in measurements %}<tr><td>{{ m.taken_at|date:"Y-m-d H:i" }}</td><td>{{ m.weight_kg }}</td>
<td>{{ m.height_cm }}</td><td>{{ m.haematocrit }}</td><td>{{ m.fibrinogen_g_per_l }}</td>
<td>{{ m.platelets_10e9_per_l }}</td>
<td>{{ m.haemoglobin_g_per_l }}</td><td>{{ m.ionised_calcium_mmol_per_l }}</td><td>{{ m.igg_g_per_l }}</td>
<td>{{ m.marker_name }} {{ m.marker_value }}</td><td>{{ m.entered_by.get_username }}</td></tr>{% endfor %}</table>
<p>{{ patient.created_at|date:"Y-m-d H:i" }} {{ patient.created_by.get_username }}
{{ patient.updated_at|date:"Y-m-d H:i" }} {{ patient.updated_by.get_username }}</p>"""
)


def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient, their courses, their latest value of each quantity and every measurement; logs the view."""
    if refused := _refused(request):
        return refused
    patient = Patient.objects.select_related("created_by", "updated_by").get(pk=pk)
    log_patient_view(request, patient, "patient-detail")
    measurements = list(patient.measurements.select_related("entered_by").order_by("-taken_at", "-pk"))
    now = timezone.now()
    latest = []
    for name in MEASURED_FIELDS:
        taken = next((m for m in measurements if m.taken_at <= now and getattr(m, name) is not None), None)
        latest.append((name, getattr(taken, name) if taken else None, taken.taken_at if taken else None))
    courses = patient.courses.select_related("indication").order_by("-created_at")
    return _render(
        PATIENT_DETAIL, {"patient": patient, "courses": courses, "latest": latest, "measurements": measurements}
    )


def _scalars(plan: ExchangePlan) -> list[tuple[str, object]]:
    """The plan's rounded numbers that are single values (what a plain table can show)."""
    return [(key, value) for key, value in plan.rounded.items() if not isinstance(value, dict | list)]


COURSE_DETAIL = _template(
    """<h1>{{ course.label }} {{ course.get_status_display }}</h1>
<p>{{ course.patient.mrn }} {{ course.patient.full_name }} {{ course.indication }} {{ course.device }}
{{ course.sessions_count }} {{ course.first_on|date:"Y-m-d" }} {{ course.created_by.get_username }}
{{ course.signed_by.get_username }} {{ course.signed_at|date:"Y-m-d H:i" }}</p>
<ul>{% for version in versions %}<li>{{ version.label }} {{ version.get_status_display }}</li>{% endfor %}</ul>
<table>{% for key, value in numbers %}<tr><th>{{ key }}</th><td>{{ value }}</td></tr>{% endfor %}</table>
<table>{% for p in procedures %}<tr><td>{{ p.number }}</td>
<td>{{ p.starts_at|date:"D Y-m-d H:i" }}-{{ p.ends_at|date:"H:i" }}</td>
<td>{{ p.device }}</td><td>{{ p.get_status_display }} {{ p.ran.get_outcome_display }}</td></tr>{% endfor %}</table>"""
)


def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The course, its versions, its sessions with their records, and its plan's numbers; logs the view.

    The plan is the order's (plans.order_for: the stored plan of a signed order, read back): the
    page must show those numbers, so reading them is a duty, not overhead.
    """
    if refused := _refused(request):
        return refused
    course = Course.objects.select_related("patient", "indication", "device", "created_by", "signed_by").get(pk=pk)
    log_patient_view(request, course.patient, "course-detail")
    procedures = list(course.procedures.select_related("device", "record").order_by("number"))
    for procedure in procedures:
        procedure.ran = getattr(procedure, "record", None)
    versions = Course.objects.filter(Q(pk=course.order_number) | Q(original_id=course.order_number)).order_by("version")
    order = plans.order_for(course)
    return _render(
        COURSE_DETAIL,
        {"course": course, "versions": versions, "numbers": _scalars(order.plan), "procedures": procedures},
    )


CALENDAR = _template(
    """<table><tr><th></th>{% for device in devices %}<th>{{ device.name }}</th>{% endfor %}</tr>
{% for day, cells in rows %}<tr><th>{{ day|date:"D Y-m-d" }}</th>{% for procedures in cells %}<td>
{% for p in procedures %}<div>{{ p.starts_at|date:"H:i" }}-{{ p.ends_at|date:"H:i" }}
<a href="/courses/{{ p.course_id }}/">{{ p.course.patient.mrn }} {{ p.course.patient.full_name }}</a>
{{ p.course.indication.disease_local }} {{ p.number }} {{ p.get_status_display }}</div>{% endfor %}</td>
{% endfor %}</tr>
{% endfor %}</table>"""
)


def _day(request: HttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("on", ""))
    except ValueError:
        return timezone.localdate()


def calendar(request: HttpRequest) -> HttpResponse:
    """The unit's active devices by day (one day, or the week from its Monday), each cell its sessions."""
    if refused := _refused(request):
        return refused
    day = _day(request)
    first, length = (day, 1) if request.GET.get("view", "day") == "day" else (day - timedelta(days=day.weekday()), 7)
    start = timezone.make_aware(datetime.combine(first, time()))
    devices = list(Device.objects.filter(is_active=True))
    days = [first + timedelta(days=offset) for offset in range(length)]
    cells: dict[tuple[date, int], list[Procedure]] = {}
    procedures = (
        Procedure.objects.filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=length))
        .select_related("course__patient", "course__indication")
        .order_by("starts_at")
    )
    for procedure in procedures:
        cells.setdefault((timezone.localtime(procedure.starts_at).date(), procedure.device_id), []).append(procedure)
    rows = [(each, [cells.get((each, device.pk), []) for device in devices]) for each in days]
    return _render(CALENDAR, {"devices": devices, "rows": rows})


TODAY = _template(
    """<h1>{{ day|date:"D Y-m-d" }}</h1>
<table>{% for p, lines in sessions %}<tr><td>{{ p.starts_at|date:"H:i" }} {{ p.device.name }}</td>
<td>{{ p.course.patient.mrn }} {{ p.course.patient.full_name }} {{ p.course.patient.abo_group }}
{{ p.course.patient.allergies }}</td>
<td>{{ p.course.label }} {{ p.course.indication.disease_local }} {{ p.number }}</td>
<td>{% for name, ordered, issued in lines %}{{ name }} {{ ordered }} / {{ issued }}<br>{% endfor %}</td></tr>
{% endfor %}</table>"""
)
_PACKAGES = (("albumin", "albumin_vials"), ("plasma", "plasma_units"), ("saline", "saline_bags"))


def today(request: HttpRequest) -> HttpResponse:
    """The blood bank's day: each planned session with the packages its order gives it, and what was issued.

    Each signed order's plan is read back (plans.order_for) and the session's share taken from it
    (plans.session_fluids): those are the numbers the page must show. Approvals are not read (the
    bench runs with APPROVALS_REQUIRED off).
    """
    if refused := _refused(request):
        return refused
    day = _day(request)
    start = timezone.make_aware(datetime.combine(day, time()))
    procedures = list(
        Procedure.objects.filter(
            starts_at__gte=start, starts_at__lt=start + timedelta(days=1), status=Procedure.Status.PLANNED
        )
        .select_related("device", "course__patient", "course__indication")
        .order_by("starts_at", "device__name")
    )
    issued: dict[tuple[int, str], int] = {}
    for procedure_id, kind, quantity in IssuedProduct.objects.filter(record__procedure__in=procedures).values_list(
        "record__procedure_id", "product__kind", "quantity"
    ):
        issued[procedure_id, kind] = issued.get((procedure_id, kind), 0) + quantity
    sessions = []
    for procedure in procedures:
        lines = []
        if procedure.course.status in (Course.Status.SIGNED, Course.Status.IN_PROGRESS):
            fluids, _shares, _reasons = plans.session_fluids(procedure, plans.order_for(procedure.course))
            for kind, packages in _PACKAGES:
                if fluids.get(packages) or issued.get((procedure.pk, kind)):
                    lines.append((kind, fluids.get(packages) or 0, issued.get((procedure.pk, kind), 0)))
        sessions.append((procedure, lines))
    return _render(TODAY, {"day": day, "sessions": sessions})


SESSION_RECORDS = _template(
    """<p>{{ count }} records</p><table>{% for r in records %}<tr>
<td><a href="/admin/planner/sessionrecord/{{ r.pk }}/change/">{{ r.procedure }}</a></td>
<td>{{ r.procedure.course.patient.mrn }}</td><td>{{ r.procedure.device.name }}</td><td>{{ r.get_outcome_display }}</td>
<td>{{ r.worst|default:"-" }}</td><td>{{ r.reviewed_by|default:"-" }}</td><td>{{ r.reviewed_at|date:"Y-m-d H:i" }}</td>
</tr>{% endfor %}</table>"""
)
_SEVERITY = {"mild": 0, "moderate": 1, "severe": 2}


def session_records(request: HttpRequest) -> HttpResponse:
    """The admin's session log: 100 records, latest first, with the outcome and reviewed filters the bench uses."""
    if refused := _refused(request):
        return refused
    records = SessionRecord.objects.select_related(
        "procedure__device", "procedure__course__patient", "reviewed_by"
    ).prefetch_related("adverse_events")
    if request.GET.get("outcome"):
        records = records.filter(outcome=request.GET["outcome"])
    if request.GET.get("reviewed") == "no":
        records = records.filter(reviewed_at__isnull=True)
    elif request.GET.get("reviewed") == "yes":
        records = records.filter(reviewed_at__isnull=False)
    count = records.count()
    shown = list(records.order_by("-procedure__starts_at", "-pk")[:ADMIN_PER_PAGE])
    for record in shown:
        events = sorted(record.adverse_events.all(), key=lambda e: _SEVERITY.get(e.severity, 0), reverse=True)
        record.worst = str(events[0]) if events else ""
    return _render(SESSION_RECORDS, {"count": count, "records": shown})


CALCULATOR = _template(
    """<table>{% for key, value in numbers %}<tr><th>{{ key }}</th><td>{{ value }}</td></tr>{% endfor %}</table>
<ul>{% for warning in plan.warnings %}<li>{{ warning.code }}</li>{% endfor %}</ul>"""
)


def _request_from(data: dict) -> ExchangeRequest:
    """The four inputs the bench sends, parsed minimally (no form, no catalogue rows)."""
    return ExchangeRequest(
        sex=Sex(data["sex"]),
        weight_kg=float(data["weight_kg"]),
        height_cm=float(data["height_cm"]),
        haematocrit=float(data["haematocrit"]),
    )


def calculator(request: HttpRequest) -> HttpResponse:
    """The calculator's htmx POST: the engine called directly on the inputs; logs the view of a patient."""
    if refused := _refused(request):
        return refused
    if request.POST.get("patient"):
        log_patient_view(request, Patient.objects.get(pk=int(request.POST["patient"])), "calculator")
    plan = plan_exchange(_request_from(request.POST))
    return _render(CALCULATOR, {"plan": plan, "numbers": _scalars(plan)})


def api_exchange_plan(request: HttpRequest) -> JsonResponse:
    """The API: the bearer token looked up (an API must know who calls, as a page knows its session's
    user), then the engine called directly on the JSON inputs.

    What the application adds is measured: the lockout check on failed tokens, the role check, the
    input form with its catalogue rows (the device and products a plan is made with).
    """
    scheme, _space, key = request.headers.get("Authorization", "").partition(" ")
    token = ApiToken.objects.active().filter(key_hash=ApiToken.hash_key(key.strip())).first()
    if scheme.lower() != "bearer" or token is None:
        return JsonResponse({"error": "token"}, status=401)
    return JsonResponse(plan_exchange(_request_from(json.loads(request.body))).as_dict())


COURSE_LIVE = _template(
    """<div id="course-live"><p>{{ course.patient.mrn }} {{ course.indication }} {{ proposal.choice }}</p>
<ul>{% for reason in proposal.reasons %}<li>{{ reason }}</li>{% endfor %}</ul>
<table>{% for key, value in numbers %}<tr><th>{{ key }}</th><td>{{ value }}</td></tr>{% endfor %}</table></div>"""
)


def course_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The course form's live panel (its htmx POST): the draft's plan by the engine, on the draft as stored.

    plans.compute reads what a plan needs (the patient's labs, the device, the products) and calls the
    engine with the draft's prescription: the calculation the panel owes. The application adds
    reading and checking the posted form, the fluid proposal's explanation and the panel's template.
    """
    if refused := _refused(request):
        return refused
    course = Course.objects.select_related("patient", "indication", "device").get(pk=pk)
    plan = plans.live_plan(course)
    return _render(COURSE_LIVE, {"course": course, "proposal": course.fluid_proposal, "numbers": _scalars(plan)})


UNIT_REPORT = _template(
    """<p>{{ report.start }} {{ report.end }} {{ report.dimension }}</p>
<table>{% for row in rows %}<tr><th>{{ row.label.en }}</th><td>{{ row.planned }}</td><td>{{ row.done }}</td>
<td>{{ row.started }}</td><td>{{ row.plasma_removed_ml }}</td></tr>{% endfor %}</table>"""
)


def unit_report(request: HttpRequest) -> HttpResponse:
    """The unit report's aggregate (reports.build, the same queries as the page) as a plain table.

    The aggregate is the page's duty, so this measures what the page adds around it (the form,
    the tables and charts, the template); whether the aggregate itself is lean is not measured here.
    """
    if refused := _refused(request):
        return refused
    period = reports.Period(date.fromisoformat(request.GET["start"]), date.fromisoformat(request.GET["end"]))
    report = reports.build(period, request.GET.get("by", "indication"))
    return _render(UNIT_REPORT, {"report": report, "rows": [*report["rows"], report["total"]]})


urlpatterns = [
    path("patients/", patient_list),
    path("patients/<int:pk>/", patient_detail),
    path("courses/<int:pk>/", course_detail),
    path("courses/<int:pk>/edit/", course_live),
    path("calendar/", calendar),
    path("today/", today),
    path("calculator/", calculator),
    path("api/v1/exchange-plan", api_exchange_plan),
    path("admin/planner/sessionrecord/", session_records),
    path("reports/", unit_report),
]
