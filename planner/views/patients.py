"""Patients and their measurements; the home page and the health check."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from planner.audit import log_patient_view
from planner.core.identity import normalise_mrn
from planner.forms import (
    MeasurementForm,
    PatientForm,
    PatientSearchForm,
)
from planner.models import Measurement, Patient
from planner.submissions import submit_once

# Search returns at most this many patients; more means the query should be narrower.
PATIENT_SEARCH_LIMIT = 50


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Where each role starts: the blood bank (whoever issues products) on its day, everyone else on patients."""
    if request.user.has_perm("planner.add_issuedproduct"):
        return redirect("today")
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
        # Typed, scanned or pasted in any width or case: the one canonical MRN (planner.core.identity).
        exact = Patient.objects.filter(mrn=normalise_mrn(query)).first() if normalise_mrn(query) else None
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
        # The page's ids first, read off the name index; the latest vitals then only for those rows (an
        # OFFSET over the annotated query would compute them for every row it skips).
        ordered = Patient.objects.order_by(*Patient._meta.ordering).values_list("pk", flat=True)
        page = Paginator(ordered, settings.PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
        ids = list(page.object_list)
        rows = {patient.pk: patient for patient in patients.filter(pk__in=ids)}
        context.update(searched=False, patients=[rows[pk] for pk in ids if pk in rows], page=page)
    return render(request, "planner/patient_list.html", context)


@require_GET
@permission_required("planner.view_patient", raise_exception=True)
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient.objects.select_related("created_by", "updated_by"), pk=pk)
    log_patient_view(request, patient, "patient-detail")
    measurements = list(patient.measurements.select_related("entered_by").order_by("-taken_at", "-pk"))
    return render(
        request,
        "planner/patient_detail.html",
        {
            "patient": patient,
            "measurements": measurements,
            "latest": patient.latest_measurements(newest_first=measurements),
            "courses": patient.courses.select_related("indication").order_by("-created_at"),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("planner.add_patient", raise_exception=True)
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None)

    def create() -> HttpResponse:
        if form.is_valid():
            patient = form.save(commit=False)
            patient.created_by = patient.updated_by = request.user
            patient.save()
            messages.success(request, _("Patient %(mrn)s created.") % {"mrn": patient.mrn})
            return redirect(patient)
        return render(request, "planner/patient_form.html", {"form": form})

    # Checked before the form, whose "MRN already exists" would otherwise answer a double click.
    return submit_once(request, create) if request.method == "POST" else create()


@require_http_methods(["GET", "POST"])
@permission_required("planner.change_patient", raise_exception=True)
def patient_update(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    if request.method == "GET":
        log_patient_view(request, patient, "patient-edit")  # the form shows the whole record
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
    if request.method == "GET":
        log_patient_view(request, patient, "measurement-form")  # the page shows the patient and their labs
    form = MeasurementForm(request.POST or None, patient=patient)

    def create() -> HttpResponse:
        if form.is_valid():
            measurement = form.save(commit=False)
            measurement.patient = patient
            measurement.entered_by = measurement.updated_by = request.user
            measurement.save()
            messages.success(request, _("Measurement recorded."))
            return redirect(patient)
        return render(request, "planner/measurement_form.html", {"form": form, "patient": patient})

    return submit_once(request, create) if request.method == "POST" else create()


@require_http_methods(["GET", "POST"])
@permission_required("planner.change_measurement", raise_exception=True)
def measurement_update(request: HttpRequest, pk: int) -> HttpResponse:
    measurement = get_object_or_404(Measurement.objects.select_related("patient"), pk=pk)
    if request.method == "GET":
        log_patient_view(request, measurement.patient, "measurement-form")
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
