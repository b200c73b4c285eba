"""Recording a session at the bedside: check-in, volumes, outcome, adverse events, products given."""

from datetime import datetime

from csp.decorators import csp_exempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from planner import approvals, consents, plans, printing, records
from planner.audit import log_patient_view
from planner.core.exchange import volume
from planner.errors import WorkflowError
from planner.forms import (
    AdverseEventForm,
    IssuedProductForm,
    RunSheetEntryForm,
    SessionAddendumForm,
    SessionRecordForm,
)
from planner.models import BedsideCheck, IssuedProduct, Procedure, SessionRecord
from planner.submissions import submit_once
from planner.validators import errors_as_sentence
from planner.views.practice import CHECKED_KINDS


def _procedure(pk: int) -> Procedure:
    return get_object_or_404(
        Procedure.objects.select_related("device", "course__patient", "course__indication", "course__device"), pk=pk
    )


def _locked(request: HttpRequest, record: SessionRecord | None) -> bool:
    if record is not None and record.is_reviewed:
        messages.error(request, _("This session has been reviewed and is locked: corrections go through an amendment."))
        return True
    return False


@require_http_methods(["GET", "POST"])
@permission_required("planner.view_sessionrecord", raise_exception=True)
def procedure_record(request: HttpRequest, pk: int) -> HttpResponse:
    procedure = _procedure(pk)
    log_patient_view(request, procedure.course.patient, "session-record")
    record = SessionRecord.objects.filter(procedure=procedure).select_related("reviewed_by").first()
    # Read before validating: the form writes what was typed into the record it edits.
    started_before = record.started_at if record is not None else None
    may_record = _may_record(request, record)
    form = SessionRecordForm(request.POST if request.method == "POST" else None, instance=record)
    if request.method == "POST":
        if not may_record:
            if not _locked(request, record):
                messages.error(request, _("You may not record sessions."))
            return redirect("procedure-record", pk=procedure.pk)
        if form.is_valid():
            saved = form.save(commit=False)
            saved.procedure, saved.recorded_by = procedure, request.user
            planned = _planned(procedure)
            unconsented = _start_refused(procedure, started_before, saved, planned)
            if unconsented:
                form.add_error("started_at", unconsented)
                return _record_page(request, procedure, record, form=form)
            found = _reconciled(saved, procedure, planned)
            if records.reasons_missing(saved, found):
                form.add_error(
                    "deviation_reason",
                    _("Give the reason for: %(deviations)s") % {"deviations": " ".join(d.message for d in found)},
                )
                return _record_page(request, procedure, record, form=form)
            saved.save()
            _store_deviations(saved, procedure, planned)
            records.update_course_progress(procedure.course)
            messages.success(request, _("Session %(number)s recorded.") % {"number": procedure.number})
            return redirect("procedure-record", pk=procedure.pk)
    return _record_page(request, procedure, record, form=form)


def _start_refused(
    procedure: Procedure, started_before: datetime | None, saved: SessionRecord, planned: "Planned"
) -> str | None:
    """Why the session may not start now (consents missing; for DFPP, no fibrinogen measured before it), or
    None. Only the start is checked: a record started before the unit required consents is not held up."""
    starting = saved.started_at is not None and started_before is None
    # A DFPP start is checked again whenever its time changes: the fibrinogen must precede the start.
    moved = saved.started_at is not None and started_before is not None and saved.started_at != started_before
    order, problem = planned[0], planned[1]
    is_dfpp = procedure.course.modality == procedure.course.Modality.DFPP
    if not starting and not (moved and is_dfpp):
        return None
    if order is None:
        return problem if settings.CONSENTS_REQUIRED or is_dfpp else None
    try:
        if settings.CONSENTS_REQUIRED and starting:
            consents.check_may_start(procedure.course, order)
        records.check_dfpp_may_start(procedure, order.plan, saved.started_at)
    except WorkflowError as error:
        return error.message
    return None


# The order (or None), the reason it cannot be read, and this session's fluids, shares and reasons.
Planned = tuple[object, str | None, dict, dict, list]


def _planned(procedure: Procedure) -> Planned:
    """The order, or the reason it cannot be read, and what it gives this session (fluids, shares, reasons)."""
    try:
        order = plans.order_for(procedure.course)
    except WorkflowError as error:
        return None, error.message, {}, {}, []
    fluids, fractions, reasons = plans.session_fluids(procedure, order)
    return order, None, fluids, fractions, reasons


def _reconciled(record: SessionRecord, procedure: Procedure, planned: Planned) -> list[records.Deviation]:
    """What the record contradicts: the booking, this session's fluids, what was issued (records.reconcile)."""
    _order, _problem, fluids, _fractions, _reasons = planned
    issued = list(record.issued_products.select_related("product")) if record.pk else []
    return records.reconcile(record, procedure, fluids, issued)


def _deviations(record: SessionRecord, procedure: Procedure, planned: Planned | None = None) -> list[records.Deviation]:
    """Every deviation of the record: from the plan's numbers, and from the booking, order and issue.
    `planned` is _planned(procedure) when the caller has it already (the order is decoded once)."""
    planned = planned or _planned(procedure)
    order = planned[0]
    return (records.deviations(record, order.plan) if order else []) + _reconciled(record, procedure, planned)


def _store_deviations(record: SessionRecord, procedure: Procedure, planned: Planned | None = None) -> None:
    records.store_deviations(record, _deviations(record, procedure, planned))


def _may_record(request: HttpRequest, record: SessionRecord | None) -> bool:
    return request.user.has_perm("planner.change_sessionrecord") and not (record and record.is_reviewed)


def _record_page(
    request: HttpRequest,
    procedure: Procedure,
    record: SessionRecord | None,
    *,
    form: SessionRecordForm | None = None,
    event_form: AdverseEventForm | None = None,
    issue_form: IssuedProductForm | None = None,
    addendum_form: SessionAddendumForm | None = None,
    run_form: RunSheetEntryForm | None = None,
) -> HttpResponse:
    """The session's page; a form that failed comes back bound, with what was typed and its errors."""
    may_record = _may_record(request, record)
    computed = _planned(procedure)
    order, problem, fluids, fractions, reasons = computed
    planned, session_fluids = {}, {}
    if order is not None:
        planned = {
            **order.plan.rounded,
            "replacement": fluids,
            "fluid_balance_percent": volume(100 * order.plan.request.fluids.fluid_balance),
        }
        session_fluids = {"fractions": fractions, "reasons": reasons}
    form = form or SessionRecordForm(instance=record)
    _planned_beside(form, planned)
    return render(
        request,
        "planner/procedure_record.html",
        {
            "procedure": procedure,
            "record": record,
            "form": form,
            "read_rows": _readable(record) if record and not may_record else [],
            "may_record": may_record,
            "order": order,
            "plan_problem": problem,
            "planned": planned,
            "session_fluids": session_fluids,
            "deviations": _deviations(record, procedure, computed) if record else [],
            "event_form": event_form or AdverseEventForm(),
            "issue_form": issue_form or IssuedProductForm(),
            "events": record.adverse_events.select_related("recorded_by") if record else [],
            "issued": record.issued_products.select_related(
                "product",
                "issued_by",
                "crossmatched_by",
                "rechecked_by",
                "bedside_check__first_by",
                "bedside_check__second_by",
            )
            if record
            else [],
            "consents": consents.rows(procedure.course, order) if order is not None else [],
            "consents_required": settings.CONSENTS_REQUIRED,
            "two_person_checks": settings.TWO_PERSON_CHECKS,
            "checked_kinds": CHECKED_KINDS,
            "approval": approvals.status(procedure.course, order) if order is not None else None,
            "addenda": record.addenda.select_related("written_by") if record else [],
            "addendum_form": addendum_form or SessionAddendumForm(),
            "run_form": run_form or RunSheetEntryForm(),
            "run_sheet": record.run_sheet.select_related("recorded_by") if record else [],
            "dfpp_fibrinogen": records.dfpp_fibrinogen(
                procedure, order.plan, record.started_at if record and record.started_at else timezone.now()
            )
            if order is not None and order.plan.dfpp is not None
            else None,
            "dfpp_fibrinogen_hours": settings.DFPP_FIBRINOGEN_WITHIN_HOURS,
        },
    )


# Each volume the nurse records, and where the order's plan for this session says it.
_PLANNED_FOR_FIELD = {
    "whole_blood_processed_ml": ("whole_blood_processed_ml",),
    "plasma_removed_ml": ("exchange_volume_ml",),
    "albumin_given_ml": ("replacement", "albumin_ml"),
    "plasma_given_ml": ("replacement", "plasma_ml"),
    "saline_given_ml": ("replacement", "saline_ml"),
    "anticoagulant_used_ml": ("anticoagulant_ml",),
    "calcium_given_ml": ("calcium_gluconate_ml",),
}


def _planned_beside(form: SessionRecordForm, planned: dict) -> None:
    """The planned value under each field at the bedside, where the actual one is typed."""
    for name, path in _PLANNED_FOR_FIELD.items():
        value: object = planned
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None and name in form.fields:
            form.fields[name].help_text = _("Planned: %(value)s mL") % {"value": value}


def _readable(record: SessionRecord) -> list[tuple[str, object]]:
    """A locked record as label and value: yes/no, the choice's label, local ISO times, a dash for nothing."""
    rows = []
    for name, field in SessionRecordForm.base_fields.items():
        value = getattr(record, name)
        if record._meta.get_field(name).choices:
            value = getattr(record, f"get_{name}_display")()
        elif isinstance(value, bool):
            value = _("yes") if value else _("no")
        elif isinstance(value, datetime):
            value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        rows.append((field.label, "—" if value in (None, "") else value))
    return rows


def _record_for_child(request: HttpRequest, procedure: Procedure) -> SessionRecord | None:
    record = SessionRecord.objects.filter(procedure=procedure).first()
    if record is None:
        messages.error(request, _("Start the session record (check-in) first."))
    elif _locked(request, record):
        return None
    return record


@require_POST
@permission_required("planner.add_adverseevent", raise_exception=True)
def adverse_event_create(request: HttpRequest, pk: int) -> HttpResponse:
    procedure = _procedure(pk)

    def create() -> HttpResponse:
        record = _record_for_child(request, procedure)
        form = AdverseEventForm(request.POST)
        if record is not None:
            if form.is_valid():
                event = form.save(commit=False)
                event.record, event.recorded_by = record, request.user
                event.save()
                messages.warning(request, _("Adverse event recorded: %(event)s.") % {"event": event})
            else:
                messages.error(request, errors_as_sentence(form))
                return _record_page(request, procedure, record, event_form=form)
        return redirect("procedure-record", pk=procedure.pk)

    return submit_once(request, create)


@require_POST
@permission_required("planner.change_sessionrecord", raise_exception=True)
def run_sheet_entry_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A timed row of the run sheet: vitals, symptoms, a repeat ionised calcium and the calcium given."""
    procedure = _procedure(pk)

    def create() -> HttpResponse:
        record = _record_for_child(request, procedure)
        form = RunSheetEntryForm(request.POST)
        if record is not None:
            if not form.is_valid():
                messages.error(request, errors_as_sentence(form))
                return _record_page(request, procedure, record, run_form=form)
            entry = form.save(commit=False)
            entry.record, entry.recorded_by = record, request.user
            entry.save()
            messages.success(
                request, _("Run sheet: %(time)s added.") % {"time": f"{timezone.localtime(entry.taken_at):%H:%M}"}
            )
        return redirect("procedure-record", pk=procedure.pk)

    return submit_once(request, create)


@csp_exempt()  # as the order sheet: see planner/views/courses.py
@require_GET
@permission_required("planner.view_sessionrecord", raise_exception=True)
def run_sheet_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The session's blank run sheet, carrying the order's numbers: for downtime and the paper chart."""
    procedure = _procedure(pk)
    try:
        content = printing.run_sheet_pdf(procedure)
    except WorkflowError as error:
        messages.error(request, error.message)
        return redirect("procedure-record", pk=procedure.pk)
    log_patient_view(request, procedure.course.patient, "run-sheet")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="run-sheet-{procedure.course.order_number}-session-{procedure.number}.pdf"'
    )
    return response


@require_POST
@permission_required("planner.add_issuedproduct", raise_exception=True)
def issued_product_create(request: HttpRequest, pk: int) -> HttpResponse:
    procedure = _procedure(pk)

    def create() -> HttpResponse:
        record = SessionRecord.objects.filter(procedure=procedure).first()
        try:
            records.check_order_issuable(procedure, record)
            approvals.check_releasable(procedure.course)
        except WorkflowError as error:
            messages.error(request, error.message)
            return redirect("procedure-record", pk=procedure.pk)
        if record is None:
            # The blood bank issues before the nurse checks in: open the record with nothing recorded yet.
            record = SessionRecord.objects.create(procedure=procedure, recorded_by=request.user)
        if _locked(request, record):
            return redirect("procedure-record", pk=procedure.pk)
        form = IssuedProductForm(request.POST)
        if not form.is_valid():
            messages.error(request, errors_as_sentence(form))
            return _record_page(request, procedure, record, issue_form=form)
        issued = form.save(commit=False)
        issued.record, issued.issued_by = record, request.user
        try:
            approvals.check_within_plan(procedure, record, issued)
            if settings.TWO_PERSON_CHECKS:
                issued.crossmatched_by = form.cleaned_data.get("crossmatched_by")
                issued.rechecked_by = consents.second_person(
                    request,
                    form.cleaned_data["recheck_username"],
                    form.cleaned_data["recheck_password"],
                    permission="planner.add_issuedproduct",
                )
        except WorkflowError as error:
            messages.error(request, error.message)
            return _record_page(request, procedure, record, issue_form=form)
        issued.save()
        _store_deviations(record, procedure)
        messages.success(request, _("Issued: %(product)s.") % {"product": issued})
        return redirect("procedure-record", pk=procedure.pk)

    return submit_once(request, create)


@require_POST
@permission_required("planner.change_issuedproduct", raise_exception=True)
def issued_product_given(request: HttpRequest, pk: int) -> HttpResponse:
    issued = get_object_or_404(IssuedProduct.objects.select_related("record__procedure__course", "product"), pk=pk)
    if _locked(request, issued.record):
        return redirect("procedure-record", pk=issued.record.procedure_id)
    raw = request.POST.get("quantity_given", "")
    if (
        settings.TWO_PERSON_CHECKS
        and issued.product.kind in CHECKED_KINDS
        and not BedsideCheck.objects.filter(issued=issued).exists()
    ):
        messages.error(request, _("Check this unit with a second person at the bedside before recording it as given."))
    elif not (raw.isascii() and raw.isdigit()) or int(raw) > issued.quantity:
        messages.error(
            request, _("Packages given is a whole number up to the %(issued)d issued.") % {"issued": issued.quantity}
        )
    else:
        issued.quantity_given = int(raw)
        try:
            issued.save()
            _store_deviations(issued.record, issued.record.procedure)
            messages.success(request, _("Recorded as given."))
        except IntegrityError:
            messages.error(request, _("This session has been reviewed and is locked."))
    return redirect("procedure-record", pk=issued.record.procedure_id)


@require_POST
@permission_required("planner.add_sessionaddendum", raise_exception=True)
def session_addendum_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a reviewed record: an addendum with a reason, beside the record, which stays as it was."""
    procedure = _procedure(pk)

    def create() -> HttpResponse:
        record = SessionRecord.objects.filter(procedure=procedure).first()
        form = SessionAddendumForm(request.POST)
        if record is None or not record.is_reviewed:
            messages.error(request, _("Until it is reviewed, correct the record itself."))
        elif not form.is_valid():
            messages.error(request, _("An addendum needs both the reason and the correction."))
            return _record_page(request, procedure, record, addendum_form=form)
        else:
            addendum = form.save(commit=False)
            addendum.record, addendum.written_by = record, request.user
            addendum.save()
            messages.success(request, _("Addendum added."))
        return redirect("procedure-record", pk=procedure.pk)

    return submit_once(request, create)
