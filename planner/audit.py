"""Reads of a clinical record are audited like writes: who opened which patient's record, on which page."""

from collections.abc import Iterable

from django.http import HttpRequest

from planner.models import Patient, PatientView


def log_patient_view(request: HttpRequest, patient: Patient, page: str) -> None:
    """Record who opened which patient's record (a page, a printed order, a slip)."""
    PatientView.objects.create(patient=patient, user=request.user, page=page)


def log_patient_views(request: HttpRequest, patients: Iterable[Patient], page: str) -> None:
    """One entry for each patient a document shows (the day's printed batch holds several)."""
    unique = {patient.pk: patient for patient in patients}
    PatientView.objects.bulk_create(
        PatientView(patient=patient, user=request.user, page=page) for patient in unique.values()
    )
