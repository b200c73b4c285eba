"""Approving an order's blood-product volume, recording consents, and the bedside two-person check."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from planner import approvals, consents
from planner.errors import WorkflowError
from planner.forms import ApprovalForm, ConsentForm, SecondPersonForm
from planner.models import BedsideCheck, Course, IssuedProduct, Product
from planner.roles import APPROVAL_PERMISSIONS
from planner.submissions import submit_once
from planner.validators import errors_as_sentence

# The products a bedside two-person check applies to.
CHECKED_KINDS = (Product.Kind.PLASMA, Product.Kind.ALBUMIN)


@require_POST
def course_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Give one step of the order's approval (planner/approvals.py says who may, and when)."""
    if not any(request.user.has_perm(f"planner.{codename}") for codename in APPROVAL_PERMISSIONS.values()):
        raise PermissionDenied
    course = get_object_or_404(Course, pk=pk)

    def create() -> HttpResponse:
        form = ApprovalForm(request.POST)
        if not form.is_valid():
            messages.error(request, errors_as_sentence(form))
            return redirect(course)
        try:
            approval = approvals.approve(
                course, form.cleaned_data["step"], by=request.user, note=form.cleaned_data["note"]
            )
            messages.success(request, _("Approved: %(step)s.") % {"step": approval.get_step_display()})
        except WorkflowError as error:
            messages.error(request, error.message)
        return redirect(course)

    return submit_once(request, create)


@require_POST
@permission_required("planner.add_consent", raise_exception=True)
def consent_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Record where one of the course's consents stands; earlier records stay beside it."""
    course = get_object_or_404(Course, pk=pk)

    def create() -> HttpResponse:
        form = ConsentForm(request.POST)
        if course.status in (Course.Status.CANCELLED, Course.Status.SUPERSEDED):
            messages.error(request, _("This course is %(status)s.") % {"status": course.get_status_display()})
        elif not form.is_valid():
            messages.error(request, errors_as_sentence(form))
        else:
            consent = form.save(commit=False)
            consent.order, consent.recorded_by = approvals.root(course), request.user
            consent.save()
            messages.success(request, _("Recorded: %(consent)s.") % {"consent": consent})
        return redirect(course)

    return submit_once(request, create)


@require_POST
@permission_required("planner.add_bedsidecheck", raise_exception=True)
def bedside_check(request: HttpRequest, pk: int) -> HttpResponse:
    """Two staff check one issued plasma unit or albumin lot: the user, and a colleague with their password."""
    issued = get_object_or_404(IssuedProduct.objects.select_related("record", "product"), pk=pk)
    back = redirect("procedure-record", pk=issued.record.procedure_id)

    def create() -> HttpResponse:
        form = SecondPersonForm(request.POST)
        if issued.record.is_reviewed:
            messages.error(request, _("This session has been reviewed and is locked."))
        elif issued.product.kind not in CHECKED_KINDS:
            messages.error(request, _("Only plasma units and albumin lots are checked by two people."))
        elif BedsideCheck.objects.filter(issued=issued).exists():
            messages.info(request, _("This unit has been checked already."))
        elif not form.is_valid():
            messages.error(request, errors_as_sentence(form))
        else:
            try:
                second = consents.second_person(
                    request,
                    form.cleaned_data["second_username"],
                    form.cleaned_data["second_password"],
                    permission="planner.add_bedsidecheck",
                )
            except WorkflowError as error:
                messages.error(request, error.message)
                return back
            try:
                with transaction.atomic():
                    BedsideCheck.objects.create(
                        issued=issued, record=issued.record, first_by=request.user, second_by=second
                    )
            except IntegrityError:
                # Checked a moment ago by someone else, or the session was reviewed meanwhile.
                messages.error(request, _("This unit has been checked already, or the session is locked."))
                return back
            messages.success(request, _("Checked by two people: %(product)s.") % {"product": issued})
        return back

    return submit_once(request, create)
