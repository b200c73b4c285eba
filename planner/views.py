import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from planner import booking, courses
from planner.calculator import ExchangeForm, initial_from_patient, result_rows
from planner.exchange import ExchangePlan
from planner.fluid_rules import FluidProposal
from planner.forms import (
    CourseForm,
    IndicationFilterForm,
    MeasurementForm,
    PatientForm,
    PatientSearchForm,
    ProcedureMoveForm,
    ReasonForm,
    SessionFibrinogenForm,
)
from planner.limits import InputError
from planner.models import ApiToken, Course, Device, Indication, Measurement, Patient, Procedure, Product
from planner.schedule_dates import Dose, gap_warnings

# Search returns at most this many patients; more means the query should be narrower.
PATIENT_SEARCH_LIMIT = 50


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("patient-list")


@login_not_required
@never_cache
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and docker-compose: answers 200 when the database does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


@require_http_methods(["GET", "POST"])
@permission_required("planner.view_patient", raise_exception=True)
def patient_list(request: HttpRequest) -> HttpResponse:
    # Searches are POSTed so that names and MRNs never appear in URLs, browser
    # history or access logs; paging through the full list uses GET.
    patients = Patient.objects.with_latest_vitals()
    form = PatientSearchForm(request.POST or None)
    context: dict[str, object] = {"form": form}
    if request.method == "POST" and form.is_valid():
        query = form.cleaned_data["q"]
        exact = Patient.objects.filter(mrn__iexact="".join(query.split())).first()
        if exact is not None:
            return redirect(exact)
        found = list(patients.search(query)[: PATIENT_SEARCH_LIMIT + 1])
        context.update(
            searched=True,
            patients=found[:PATIENT_SEARCH_LIMIT],
            more_than_limit=len(found) > PATIENT_SEARCH_LIMIT,
            limit=PATIENT_SEARCH_LIMIT,
        )
    else:
        page = Paginator(patients, settings.PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
        context.update(searched=False, patients=page.object_list, page=page)
    return render(request, "planner/patient_list.html", context)


@require_GET
@permission_required("planner.view_patient", raise_exception=True)
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient.objects.select_related("created_by", "updated_by"), pk=pk)
    measurements = list(patient.measurements.select_related("entered_by").order_by("-taken_at", "-pk"))
    return render(
        request,
        "planner/patient_detail.html",
        {
            "patient": patient,
            "measurements": measurements,
            "latest": patient.latest_measurements(),
            "courses": patient.courses.select_related("indication").order_by("-created_at"),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("planner.add_patient", raise_exception=True)
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        patient = form.save(commit=False)
        patient.created_by = patient.updated_by = request.user
        patient.save()
        messages.success(request, _("Patient %(mrn)s created.") % {"mrn": patient.mrn})
        return redirect(patient)
    return render(request, "planner/patient_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@permission_required("planner.change_patient", raise_exception=True)
def patient_update(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        patient = form.save(commit=False)
        patient.updated_by = request.user
        patient.save()
        messages.success(request, _("Patient %(mrn)s updated.") % {"mrn": patient.mrn})
        return redirect(patient)
    return render(request, "planner/patient_form.html", {"form": form, "patient": patient})


@require_http_methods(["GET", "POST"])
@permission_required("planner.add_measurement", raise_exception=True)
def measurement_create(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    form = MeasurementForm(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        measurement = form.save(commit=False)
        measurement.patient = patient
        measurement.entered_by = measurement.updated_by = request.user
        measurement.save()
        messages.success(request, _("Measurement recorded."))
        return redirect(patient)
    return render(request, "planner/measurement_form.html", {"form": form, "patient": patient})


@require_http_methods(["GET", "POST"])
@permission_required("planner.change_measurement", raise_exception=True)
def measurement_update(request: HttpRequest, pk: int) -> HttpResponse:
    measurement = get_object_or_404(Measurement.objects.select_related("patient"), pk=pk)
    form = MeasurementForm(request.POST or None, instance=measurement, patient=measurement.patient)
    if request.method == "POST" and form.is_valid():
        measurement = form.save(commit=False)
        measurement.updated_by = request.user
        measurement.save()
        messages.success(request, _("Measurement updated."))
        return redirect(measurement.patient)
    return render(
        request,
        "planner/measurement_form.html",
        {"form": form, "patient": measurement.patient, "measurement": measurement},
    )


@require_GET
@permission_required("planner.view_indication", raise_exception=True)
def indication_list(request: HttpRequest) -> HttpResponse:
    form = IndicationFilterForm(request.GET or None)
    indications = Indication.objects.all()
    if form.is_valid():
        if form.cleaned_data["q"]:
            indications = indications.search(form.cleaned_data["q"])
        if form.cleaned_data["category"]:
            indications = indications.filter(category=form.cleaned_data["category"])
    return render(request, "planner/indication_list.html", {"form": form, "indications": indications})


@require_GET
@permission_required("planner.view_indication", raise_exception=True)
def indication_detail(request: HttpRequest, pk: int) -> HttpResponse:
    indication = get_object_or_404(Indication, pk=pk)
    return render(request, "planner/indication_detail.html", {"indication": indication})


@require_GET
@permission_required("planner.view_device", raise_exception=True)
def device_list(request: HttpRequest) -> HttpResponse:
    return render(request, "planner/device_list.html", {"devices": Device.objects.all()})


@require_GET
@permission_required("planner.view_product", raise_exception=True)
def product_list(request: HttpRequest) -> HttpResponse:
    return render(request, "planner/product_list.html", {"products": Product.objects.all()})


# Every staff role may calculate: the calculator reads the catalogue's devices and products.
CALCULATOR_PERMISSION = "planner.view_product"


@require_http_methods(["GET", "POST"])
@permission_required(CALCULATOR_PERMISSION, raise_exception=True)
def calculator(request: HttpRequest) -> HttpResponse:
    """The exchange calculator: results update as staff type (htmx), or on submit without JavaScript."""
    patient, prefilled, initial = None, [], {}
    patient_id = request.GET.get("patient") or request.POST.get("patient")
    if patient_id:
        if not request.user.has_perm("planner.view_patient"):
            raise PermissionDenied
        patient = get_object_or_404(Patient, pk=patient_id) if str(patient_id).isdigit() else None
        if patient is None:
            raise Http404
        initial, prefilled = initial_from_patient(patient)
    if request.method == "POST":
        form = ExchangeForm(request.POST)
        form.is_valid()
    else:
        form = ExchangeForm(initial=initial)
        if patient is not None and {"weight_kg", "height_cm", "haematocrit"} <= initial.keys():
            # Show the numbers at once for a patient whose record has what they need.
            form = ExchangeForm({**{name: f.initial for name, f in form.fields.items()}, **initial})
            form.is_valid()
    context = {
        "form": form,
        "plan": form.plan,
        "rows": result_rows(form.plan) if form.plan else [],
        "patient": patient,
        "prefilled": prefilled,
    }
    if request.htmx:
        return render(request, "planner/calculator_results.html", context)
    return render(request, "planner/calculator.html", context)


def _api_error(status: int, errors: dict[str, list[str]]) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=status)


def _api_user(request: HttpRequest) -> tuple[object | None, JsonResponse | None]:
    """The user behind an API request: a bearer token, or the browser session with its CSRF token."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _space, key = header.partition(" ")
        token = None
        if scheme.lower() == "bearer" and key.strip():
            token = ApiToken.objects.active().select_related("user").filter(key_hash=ApiToken.hash_key(key.strip()))
            token = token.first()
        if token is None:
            return None, _api_error(401, {"__all__": [_("The API token is missing, unknown or revoked.")]})
        # A minute's precision is enough to see which keys are in use, and spares a write per call.
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, None
    if request.user.is_authenticated:
        rejected = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, None, (), {})
        if rejected is not None:
            return None, _api_error(403, {"__all__": [_("CSRF check failed: send the X-CSRFToken header.")]})
        return request.user, None
    return None, _api_error(401, {"__all__": [_("Log in, or send 'Authorization: Bearer <token>'.")]})


@login_not_required
@csrf_exempt  # checked in _api_user for session requests; token requests carry no cookie to forge
@require_POST
def api_exchange_plan(request: HttpRequest) -> JsonResponse:
    user, refused = _api_user(request)
    if refused is not None:
        if refused.status_code == 401:
            refused["WWW-Authenticate"] = 'Bearer realm="planner"'
        return refused
    if not user.has_perm(CALCULATOR_PERMISSION):
        return _api_error(403, {"__all__": [_("This user may not use the calculator.")]})
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, RequestDataTooBig):
        return _api_error(400, {"__all__": [_("Send the inputs as a JSON object.")]})
    if not isinstance(data, dict):
        return _api_error(400, {"__all__": [_("Send the inputs as a JSON object.")]})
    form = ExchangeForm(data)
    if not form.is_valid():
        return _api_error(400, form.error_dict())
    return JsonResponse(form.plan.as_dict())


def _proposal_dict(proposal: FluidProposal) -> dict[str, object]:
    return {
        "choice": proposal.choice.value,
        "albumin_fraction": round(proposal.albumin_fraction, 3),
        "plasma_fraction": round(proposal.plasma_fraction, 3),
        "saline_fraction": round(proposal.saline_fraction, 3),
        "reasons": list(proposal.reasons),
    }


def _course_form_context(form: CourseForm, patient: Patient) -> dict[str, object]:
    """The live part of the course form: the fluid proposal with its reasons and the numbers."""
    plan, problem = None, None
    if form.is_bound and form.proposal is not None and not (set(form.errors) - {"fluid_override_reason"}):
        course = form.instance
        course.patient, course.inputs = patient, form.inputs
        try:
            plan = courses.plan_for(course)
        except courses.WorkflowError as error:
            problem = error.message
    return {
        "form": form,
        "patient": patient,
        "proposal": form.proposal,
        "plan": plan,
        "rows": result_rows(plan) if plan else [],
        "problem": problem,
    }


def _course_form_page(
    request: HttpRequest,
    patient: Patient,
    *,
    save: Callable[[CourseForm, ExchangePlan], Course],
    instance: Course | None = None,
    initial: dict | None = None,
    amending: Course | None = None,
    extra: dict | None = None,
) -> HttpResponse:
    """Create, edit and amend share one page: the form, the live proposal and numbers, and Apply the proposal."""
    data = request.POST.copy() if request.method == "POST" else None
    applying = data is not None and "apply_proposal" in data
    form_kwargs = {"patient": patient, "amending": amending is not None or bool(instance and instance.version > 1)}
    form = CourseForm(data, instance=instance, initial=initial or {}, **form_kwargs)
    if applying:
        form.is_valid()  # validation computes the proposal from the facts as they stand
        if form.proposal is not None:
            data.update(courses.proposal_shares(form.proposal))
            data["fluid_override_reason"] = ""
            form = CourseForm(data, instance=instance, initial=initial or {}, **form_kwargs)
            form.is_valid()
    elif data is not None and form.is_valid() and not request.htmx:
        live = _course_form_context(form, patient)
        if live["plan"] is not None:
            course = save(form, live["plan"])
            return redirect(course)
        form.add_error(None, live["problem"])
    context = _course_form_context(form, patient)
    if request.htmx:
        return render(request, "planner/course_live.html", context)
    return render(request, "planner/course_form.html", {**context, **(extra or {}), "amending": amending})


def _save_order(course: Course, form: CourseForm, plan: ExchangePlan) -> None:
    course.inputs, course.fluid_proposal = form.inputs, _proposal_dict(form.proposal)
    course.estimated_duration_min = plan.as_dict()["duration_min"]
    course.save()


@require_http_methods(["GET", "POST"])
@permission_required("planner.add_course", raise_exception=True)
def course_create(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    indication = None
    if request.GET.get("indication", "").isdigit():
        indication = get_object_or_404(Indication, pk=request.GET["indication"])

    def save(form: CourseForm, plan: ExchangePlan) -> Course:
        course = form.save(commit=False)
        course.patient, course.created_by = patient, request.user
        _save_order(course, form, plan)
        messages.success(request, _("Draft %(course)s saved. Book the sessions, then sign.") % {"course": course})
        return course

    return _course_form_page(
        request,
        patient,
        save=save,
        initial=courses.initial_from_indication(indication, patient) if indication else None,
        extra={"indication": indication, "indications": Indication.objects.filter(is_active=True)},
    )


def _course_for_user(request: HttpRequest, pk: int) -> Course:
    return get_object_or_404(
        Course.objects.select_related("patient", "indication", "device", "created_by", "signed_by", "previous"),
        pk=pk,
    )


@require_GET
@permission_required("planner.view_course", raise_exception=True)
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    course = _course_for_user(request, pk)
    procedures = list(course.procedures.select_related("device").order_by("number"))
    proposals, booking_problem = [], None
    if course.is_editable and not any(p.status == Procedure.Status.PLANNED for p in procedures):
        try:
            proposals = booking.propose(course)
        except (booking.BookingConflict, InputError) as error:
            booking_problem = error.message
    starts = [p.starts_at for p in procedures if p.status == Procedure.Status.PLANNED] or [
        p.starts_at for p in proposals
    ]
    doses = [
        Dose(drug, given_at)
        for drug, given_at in (("rituximab", course.rituximab_last_at), ("ivig", course.ivig_last_at))
        if given_at
    ]
    try:
        plan, plan_problem = courses.plan_for(course), None
    except courses.WorkflowError as error:
        plan, plan_problem = None, error.message
    versions = Course.objects.filter(Q(pk=course.order_number) | Q(original_id=course.order_number)).order_by("version")
    return render(
        request,
        "planner/course_detail.html",
        {
            "course": course,
            "plan": plan,
            "plan_problem": plan_problem,
            "inputs": courses.input_rows(course),
            "rows": result_rows(plan) if plan else [],
            "procedures": procedures,
            "proposals": proposals,
            "booking_problem": booking_problem,
            "gap_warnings": gap_warnings(starts, doses),
            "versions": versions,
            "reason_form": ReasonForm(),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("planner.change_course", raise_exception=True)
def course_update(request: HttpRequest, pk: int) -> HttpResponse:
    course = _course_for_user(request, pk)
    if not course.is_editable:
        messages.error(request, _("A signed course cannot be edited: amend it instead."))
        return redirect(course)

    def save(form: CourseForm, plan: ExchangePlan) -> Course:
        _save_order(form.save(commit=False), form, plan)
        messages.success(request, _("Draft saved."))
        return course

    return _course_form_page(request, course.patient, save=save, instance=course, extra={"course": course})


@require_http_methods(["GET", "POST"])
@permission_required("planner.add_course", raise_exception=True)
def course_amend(request: HttpRequest, pk: int) -> HttpResponse:
    previous = _course_for_user(request, pk)
    if previous.status not in (Course.Status.SIGNED, Course.Status.IN_PROGRESS) or hasattr(previous, "amendment"):
        messages.error(request, _("Only a signed course without a pending amendment can be amended."))
        return redirect(previous)
    initial = {field: getattr(previous, field) for field in CourseForm.Meta.fields if field != "amendment_reason"}
    initial["first_on"] = max(previous.first_on, timezone.localdate())

    def save(form: CourseForm, plan: ExchangePlan) -> Course:
        course = form.save(commit=False)
        course.patient, course.created_by = previous.patient, request.user
        course.previous, course.original_id, course.version = previous, previous.order_number, previous.version + 1
        _save_order(course, form, plan)
        messages.success(
            request, _("%(course)s saved as a draft: sign it to replace the current order.") % {"course": course.label}
        )
        return course

    return _course_form_page(request, previous.patient, save=save, initial=initial, amending=previous)


@require_POST
@permission_required("planner.sign_course", raise_exception=True)
def course_sign(request: HttpRequest, pk: int) -> HttpResponse:
    course = _course_for_user(request, pk)
    try:
        courses.sign(course, by=request.user)
        messages.success(request, _("%(course)s signed.") % {"course": course.label})
    except courses.WorkflowError as error:
        messages.error(request, error.message)
    return redirect(course)


@require_POST
@permission_required("planner.change_course", raise_exception=True)
def course_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    course = _course_for_user(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for cancelling the course."))
        return redirect(course)
    try:
        courses.cancel(course, reason=form.cleaned_data["reason"], by=request.user)
        messages.success(request, _("%(course)s cancelled.") % {"course": course.label})
    except courses.WorkflowError as error:
        messages.error(request, error.message)
    return redirect(course)


@require_POST
@permission_required("planner.add_procedure", raise_exception=True)
def course_book(request: HttpRequest, pk: int) -> HttpResponse:
    course = _course_for_user(request, pk)
    if course.status in (Course.Status.CANCELLED, Course.Status.SUPERSEDED, Course.Status.COMPLETED):
        messages.error(request, _("This course is %(status)s.") % {"status": course.get_status_display()})
        return redirect(course)
    if course.procedures.filter(status=Procedure.Status.PLANNED).exists():
        messages.info(request, _("The sessions are already booked."))
        return redirect(course)
    try:
        booked = booking.book(course, booking.propose(course), by=request.user)
        messages.success(request, _("%(count)d sessions booked.") % {"count": len(booked)})
    except (booking.BookingConflict, InputError) as error:
        messages.error(request, error.message)
    return redirect(course)


@require_http_methods(["GET", "POST"])
@permission_required("planner.change_procedure", raise_exception=True)
def procedure_move(request: HttpRequest, pk: int) -> HttpResponse:
    procedure = get_object_or_404(Procedure.objects.select_related("course", "device"), pk=pk)
    initial = {"device": procedure.device, "starts_at": timezone.localtime(procedure.starts_at).replace(tzinfo=None)}
    form = ProcedureMoveForm(request.POST or None, initial=initial)
    if procedure.status != Procedure.Status.PLANNED:
        messages.error(request, _("Only a planned session can be moved."))
        return redirect(procedure.course)
    if request.method == "POST" and form.is_valid():
        try:
            booking.move(
                procedure,
                device=form.cleaned_data["device"],
                starts_at=form.cleaned_data["starts_at"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
            messages.success(request, _("Session moved."))
            return redirect(procedure.course)
        except booking.BookingConflict as error:
            form.add_error("starts_at", error.message)
    return render(request, "planner/procedure_form.html", {"form": form, "procedure": procedure})


@require_POST
@permission_required("planner.change_procedure", raise_exception=True)
def procedure_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    procedure = get_object_or_404(Procedure.objects.select_related("course"), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid() or procedure.status != Procedure.Status.PLANNED:
        messages.error(request, _("Give the reason for cancelling a planned session."))
    else:
        booking.cancel(procedure, reason=form.cleaned_data["reason"], by=request.user)
        messages.success(request, _("Session cancelled."))
    return redirect(procedure.course)


def _calendar_range(request: HttpRequest) -> tuple[date, int]:
    try:
        day = date.fromisoformat(request.GET.get("on", ""))
    except ValueError:
        day = timezone.localdate()
    if request.GET.get("view") == "day":
        return day, 1
    return day - timedelta(days=day.weekday()), 7


@require_GET
@permission_required("planner.view_procedure", raise_exception=True)
def calendar(request: HttpRequest) -> HttpResponse:
    first, length = _calendar_range(request)
    start = timezone.make_aware(datetime.combine(first, time()))
    procedures = (
        Procedure.objects.filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=length))
        .select_related("device", "course__patient", "course__indication")
        .order_by("starts_at")
    )
    devices = list(Device.objects.filter(is_active=True))
    days = [first + timedelta(days=offset) for offset in range(length)]
    grid = {(day, device.pk): [] for day in days for device in devices}
    for procedure in procedures:
        grid.setdefault((timezone.localtime(procedure.starts_at).date(), procedure.device_id), []).append(procedure)
    rows = [(day, [grid.get((day, device.pk), []) for device in devices]) for day in days]
    step = timedelta(days=length)
    return render(
        request,
        "planner/calendar.html",
        {
            "devices": devices,
            "rows": rows,
            "view": "day" if length == 1 else "week",
            "first": first,
            "previous": first - step,
            "next": first + step,
        },
    )


@require_GET
@permission_required("planner.view_procedure", raise_exception=True)
def calendar_ics(request: HttpRequest) -> HttpResponse:
    """The unit schedule for the next 60 days as iCalendar. No patient names: order and session numbers only."""
    since = timezone.now() - timedelta(days=1)
    procedures = (
        Procedure.objects.filter(starts_at__gte=since, starts_at__lt=since + timedelta(days=61))
        .exclude(status=Procedure.Status.CANCELLED)
        .select_related("device", "course")
    )
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Apheresis Planner//EN", "CALSCALE:GREGORIAN"]
    for procedure in procedures:
        utc = [moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") for moment in (procedure.starts_at, procedure.ends_at)]
        lines += [
            "BEGIN:VEVENT",
            f"UID:procedure-{procedure.pk}@apheresis-planner",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{utc[0]}",
            f"DTEND:{utc[1]}",
            f"SUMMARY:TPE {procedure.course.label} session {procedure.number}",
            f"LOCATION:{procedure.device.name}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    response = HttpResponse("\r\n".join(lines) + "\r\n", content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="apheresis-unit.ics"'
    return response


@require_POST
@permission_required("planner.change_procedure", raise_exception=True)
@permission_required("planner.add_measurement", raise_exception=True)
def procedure_fibrinogen(request: HttpRequest, pk: int) -> HttpResponse:
    procedure = get_object_or_404(Procedure.objects.select_related("course__patient", "course__indication"), pk=pk)
    form = SessionFibrinogenForm(request.POST)
    if procedure.status != Procedure.Status.PLANNED:
        messages.error(request, _("Only a planned session takes that day's fibrinogen."))
    elif not form.is_valid():
        messages.error(request, " ".join(form.errors["fibrinogen_g_per_l"]))
    else:
        procedure = courses.record_session_fibrinogen(
            procedure, form.cleaned_data["fibrinogen_g_per_l"], by=request.user
        )
        plan = procedure.fluid_plan
        level = messages.WARNING if plan["differs_from_order"] else messages.SUCCESS
        messages.add_message(
            request,
            level,
            _("Session %(number)s: %(reasons)s") % {"number": procedure.number, "reasons": " ".join(plan["reasons"])},
        )
    return redirect(procedure.course)
