"""The course workflow: prescribe, book, sign, amend, cancel; moving and cancelling sessions."""

from collections.abc import Callable

from csp.decorators import csp_exempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import transaction
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from planner import approvals, booking, charts, consents, courses, plans, printing, stop_criteria
from planner.audit import log_patient_view
from planner.calculator import METHOD_CHOICES, result_rows
from planner.core import text
from planner.core.exchange import ExchangePlan
from planner.core.limits import InputError, parse_id
from planner.core.schedule_dates import Dose, gap_warnings
from planner.errors import WorkflowError
from planner.forms import (
    ConsentForm,
    CourseForm,
    ProcedureMoveForm,
    ReasonForm,
    SessionFibrinogenForm,
)
from planner.models import Course, Indication, Patient, Procedure
from planner.submissions import submit_once


def _course_form_context(form: CourseForm, patient: Patient) -> dict[str, object]:
    """The live part of the course form: the fluid proposal with its reasons, the numbers and the projection."""
    plan, problem = form.plan, None
    if plan is None and form.is_bound and form.proposal is not None and set(form.errors) <= {"fluid_override_reason"}:
        # Only the override reason is missing: show the numbers the shares as typed would give.
        try:
            plan = plans.live_plan(form.instance)
        except WorkflowError as error:
            problem = error.message
    return {
        "form": form,
        "patient": patient,
        "proposal": form.proposal,
        "plan": plan,
        "first_start": plans.session_starts(form.instance)[0] if plan else None,
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
    if request.method == "GET" and not request.htmx:
        log_patient_view(request, patient, "course-form")  # the page shows the patient, their labs and the order
    data = request.POST.copy() if request.method == "POST" else None
    if data is not None and instance is not None:
        # Read once: the plan and the panel's first session both ask for the booked sessions.
        prefetch_related_objects([instance], "procedures")
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
    elif data is not None and not request.htmx:
        return submit_once(request, lambda: _save_course(request, form, patient, save, amending, extra))
    if form.is_bound:
        form.is_valid()  # validation computes the proposal the live panel shows
        context = _course_form_context(form, patient)
    else:
        # A form opened pre-filled (from the indication, a draft or the order being amended) shows its
        # proposal and numbers at once: computed from a bound copy of what the fields show, on a new
        # instance so nothing is written to the course, while the page keeps the unbound form, free of
        # error messages nobody has caused yet.
        shown = {name: form[name].value() for name in form.fields}
        preview = CourseForm({k: v for k, v in shown.items() if v is not None}, initial=initial or {}, **form_kwargs)
        preview.is_valid()
        context = {**_course_form_context(preview, patient), "form": form}
    if request.htmx:
        return render(request, "planner/course_live.html", context)
    return render(request, "planner/course_form.html", {**context, **(extra or {}), "amending": amending})


def _save_course(
    request: HttpRequest,
    form: CourseForm,
    patient: Patient,
    save: Callable[[CourseForm, ExchangePlan], Course],
    amending: Course | None,
    extra: dict | None,
) -> HttpResponse:
    if form.is_valid():
        return redirect(save(form, form.plan))
    context = _course_form_context(form, patient)
    return render(request, "planner/course_form.html", {**context, **(extra or {}), "amending": amending})


def _save_order(course: Course, form: CourseForm, plan: ExchangePlan) -> None:
    course.inputs, course.fluid_proposal = form.inputs, courses.proposal_json(form.proposal)
    course.estimated_duration_min = plan.rounded["duration_min"]
    course.save()


@require_http_methods(["GET", "POST"])
@permission_required("planner.add_course", raise_exception=True)
def course_create(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    indication = None
    chosen = parse_id(request.GET.get("indication"))
    if chosen is not None:
        indication = get_object_or_404(Indication, pk=chosen)

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
        Course.objects.select_related("patient", "indication", "device", "created_by", "signed_by"),
        pk=pk,
    )


def _first_planned(procedures: list[Procedure]) -> object:
    return next((p.starts_at for p in procedures if p.status == Procedure.Status.PLANNED), None)


@require_GET
@permission_required("planner.view_course", raise_exception=True)
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    course = _course_for_user(request, pk)
    log_patient_view(request, course.patient, "course-detail")
    # Read once: what follows (the bookings, the projection, the chart) asks course.procedures.all() again.
    prefetch_related_objects(
        [course],
        Prefetch("procedures", queryset=Procedure.objects.select_related("device", "record").order_by("number")),
    )
    procedures = list(course.procedures.all())
    for procedure in procedures:
        # Its real state: a session that started or has an outcome shows it, and is no longer moved.
        record = getattr(procedure, "record", None)
        procedure.ran = record if record is not None and record.locks_session else None
    proposals, booking_problem = [], None
    if course.is_editable and not any(p.status == Procedure.Status.PLANNED for p in procedures):
        try:
            proposals = booking.propose(course)
        except (booking.BookingConflict, InputError) as error:
            booking_problem = error.message
    # The sessions as booked, or before booking as proposed: (number, start).
    booked = [(p.number, p.starts_at) for p in procedures if p.status == Procedure.Status.PLANNED] or [
        (p.number, p.starts_at) for p in proposals
    ]
    starts = [start for _number, start in booked]
    doses = [
        Dose(drug, given_at)
        for drug, given_at in (("rituximab", course.rituximab_last_at), ("ivig", course.ivig_last_at))
        if given_at
    ]
    try:
        order, plan_problem = plans.order_for(course), None
    except WorkflowError as error:
        order, plan_problem = None, error.message
    plan = order.plan if order else None
    reprojected = plans.reprojection(course, order) if order else None
    # Their labels and states only: not each version's frozen plan.
    versions = (
        Course.objects.filter(Q(pk=course.order_number) | Q(original_id=course.order_number))
        .only("pk", "original_id", "version", "status")
        .order_by("version")
    )
    approval = approvals.status(course, order) if order else None
    chart = charts.course_chart(course, order, procedures) if order else ""
    return render(
        request,
        "planner/course_detail.html",
        {
            "course": course,
            "order": order,
            "plan": plan,
            "plan_digest": plans.digest(plan) if plan and course.is_editable else "",
            "reprojected": reprojected,
            "reprojected_first_start": _first_planned(procedures) if reprojected else None,
            "schedule": [(p, plan.fluids_for_session(p.number) if plan else None) for p in procedures],
            "plan_problem": plan_problem,
            "chart": chart,
            **stop_criteria.for_course(course, order, procedures),
            "inputs": courses.input_rows(course),
            "method_label": dict(METHOD_CHOICES).get(course.method, course.method),
            "rows": result_rows(plan) if plan else [],
            "procedures": procedures,
            "proposals": proposals,
            "booking_problem": booking_problem,
            "gap_warnings": gap_warnings(starts, doses),
            "rhythm_breaks": booking.rhythm(course, booked),
            "versions": versions,
            "reason_form": ReasonForm(),
            **_approval_context(request, course, approval),
            "consents": consents.rows(course, order) if order else [],
            "consents_required": settings.CONSENTS_REQUIRED,
            "consent_form": ConsentForm() if course.status not in _CLOSED else None,
        },
    )


_CLOSED = (Course.Status.CANCELLED, Course.Status.SUPERSEDED)


def _approval_context(request: HttpRequest, course: Course, approval: approvals.ApprovalStatus | None) -> dict:
    """The approval panel: each step with whether this user may give it now, and approvals at a lower band."""
    if approval is None or not approval.required:
        return {"approval": approval}
    nxt = approval.next_step
    steps = [
        (step, step is nxt and request.user.has_perm(step.permission) and request.user.pk != course.signed_by_id)
        for step in approval.steps
    ]
    current = {step.approval.pk for step in approval.steps if step.approval}
    return {
        "approval": approval,
        "approval_steps": steps,
        "earlier_approvals": [a for a in approval.given if a.pk not in current],
    }


@require_http_methods(["GET", "POST"])
@permission_required("planner.change_course", raise_exception=True)
def course_update(request: HttpRequest, pk: int) -> HttpResponse:
    # The form and its live panel show nobody's name, and the form's own fields read the indication
    # and device chosen: the course is read with its patient only (the five-table join took longer
    # than the rest of the panel's reading).
    course = get_object_or_404(Course.objects.select_related("patient"), pk=pk)
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
        courses.sign(course, by=request.user, seen_digest=request.POST.get("plan_digest", ""))
        messages.success(request, _("%(course)s signed.") % {"course": course.label})
    except WorkflowError as error:
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
    except WorkflowError as error:
        messages.error(request, error.message)
    return redirect(course)


@require_POST
@permission_required("planner.add_procedure", raise_exception=True)
def course_book(request: HttpRequest, pk: int) -> HttpResponse:
    course = _course_for_user(request, pk)
    if course.status in (Course.Status.CANCELLED, Course.Status.SUPERSEDED, Course.Status.COMPLETED):
        messages.error(request, _("This course is %(status)s.") % {"status": course.get_status_display()})
        return redirect(course)
    with transaction.atomic():
        # Two people pressing Book on one course: the second waits here (PostgreSQL) and then finds it
        # booked; elsewhere the one-planned-session-per-number constraint refuses the second.
        Course.objects.select_for_update().filter(pk=course.pk).first()
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
    try:
        booking.check_not_done(procedure)  # cancelled, or started or recorded: nothing to move
    except booking.BookingConflict as error:
        messages.error(request, error.message)
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
            planned = procedure.course.procedures.filter(status=Procedure.Status.PLANNED)
            for broken in booking.rhythm(procedure.course, list(planned.values_list("number", "starts_at"))):
                if procedure.number in (broken.number, broken.previous):
                    messages.warning(request, broken.message)
            return redirect(procedure.course)
        except booking.BookingConflict as error:
            form.add_error("starts_at", error.message)
    return render(request, "planner/procedure_form.html", {"form": form, "procedure": procedure})


@require_POST
@permission_required("planner.change_procedure", raise_exception=True)
def procedure_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    procedure = get_object_or_404(Procedure.objects.select_related("course"), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for cancelling a planned session."))
        return redirect(procedure.course)
    try:
        booking.cancel(procedure, reason=form.cleaned_data["reason"], by=request.user)
        messages.success(request, _("Session cancelled."))
    except booking.BookingConflict as error:
        messages.error(request, error.message)
    return redirect(procedure.course)


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
        try:
            procedure = courses.record_session_fibrinogen(
                procedure, form.cleaned_data["fibrinogen_g_per_l"], by=request.user
            )
        except WorkflowError as error:
            messages.error(request, error.message)
            return redirect(procedure.course)
        plan = procedure.fluid_plan
        level = messages.WARNING if plan["differs_from_order"] else messages.SUCCESS
        messages.add_message(
            request,
            level,
            _("Session %(number)s: %(reasons)s")
            % {"number": procedure.number, "reasons": text.render_joined(plan["reasons"])},
        )
    return redirect(procedure.course)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    # Inline so it opens in the browser's viewer for printing; the name carries ids, never patient names.
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# PDFs carry no script or style a Content-Security-Policy could govern, and Chromium's built-in viewer
# shows a blank page for a PDF sent with `object-src 'none'`.
@csp_exempt()
@require_GET
@permission_required("planner.view_course", raise_exception=True)
def course_order_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    course = _course_for_user(request, pk)
    log_patient_view(request, course.patient, "order-pdf")
    try:
        return _pdf(printing.order_sheet_pdf(course), f"order-{course.order_number}-v{course.version}.pdf")
    except WorkflowError as error:
        messages.error(request, error.message)
        return redirect(course)


@csp_exempt()
@require_GET
@permission_required("planner.view_course", raise_exception=True)
def course_summary_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    course = _course_for_user(request, pk)
    log_patient_view(request, course.patient, "course-summary-pdf")
    try:
        content = printing.course_summary_pdf(course)
    except WorkflowError as error:
        messages.error(request, error.message)
        return redirect(course)
    return _pdf(content, f"summary-{course.order_number}-v{course.version}.pdf")


@csp_exempt()
@require_GET
@permission_required("planner.view_course", raise_exception=True)
def procedure_slip_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    procedure = get_object_or_404(
        Procedure.objects.select_related("device", "course__patient", "course__indication", "course__device"), pk=pk
    )
    log_patient_view(request, procedure.course.patient, "issue-slip")
    try:
        content = printing.issue_slip_pdf(procedure)
    except WorkflowError as error:
        messages.error(request, error.message)
        return redirect(procedure.course)
    return _pdf(content, f"slip-{procedure.course.order_number}-session-{procedure.number}.pdf")
