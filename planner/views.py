import json
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from planner.calculator import ExchangeForm, initial_from_patient, result_rows
from planner.forms import IndicationFilterForm, MeasurementForm, PatientForm, PatientSearchForm
from planner.models import ApiToken, Device, Indication, Measurement, Patient, Product

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
        {"patient": patient, "measurements": measurements, "latest": patient.latest_measurements()},
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
