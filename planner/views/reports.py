"""The unit's reports, their exports and the monthly quality report's sign-off."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from planner import printing, report_charts, report_tables, reports
from planner.errors import WorkflowError
from planner.forms import MonthForm, ReportNoteForm, UnitReportForm
from planner.models import MonthlyReport
from planner.submissions import submit_once
from planner.validators import errors_as_sentence

VIEW = "planner.view_unitreport"


def _default_period() -> dict[str, str]:
    """This month so far."""
    today = timezone.localdate()
    return {"start": today.replace(day=1).isoformat(), "end": today.isoformat(), "by": "indication"}


def _report_from(request: HttpRequest) -> tuple[UnitReportForm, dict | None]:
    form = UnitReportForm(request.GET or _default_period())
    if not form.is_valid():
        return form, None
    return form, reports.build(form.cleaned_data["period"], form.cleaned_data["by"])


def _previous_month() -> dict[str, str]:
    last = reports.Period.last_month()
    return {"start": last.start.isoformat(), "end": last.end.isoformat()}


@require_GET
@permission_required(VIEW, raise_exception=True)
def unit_report(request: HttpRequest) -> HttpResponse:
    form, report = _report_from(request)
    context = {"form": form, "report": report, "previous_month": _previous_month(), "this_month": _default_period()}
    if report:
        context |= {
            "tables": report_tables.tables(report),
            "charts": report_charts.charts(report),
            "query": request.GET.urlencode() or "&".join(f"{k}={v}" for k, v in _default_period().items()),
        }
    return render(request, "planner/unit_report.html", context)


def _refused(form: UnitReportForm) -> HttpResponse:
    return HttpResponse(errors_as_sentence(form), status=400, content_type="text/plain; charset=utf-8")


def _filename(report: dict, extension: str) -> str:
    return f"unit-report-{report['start']}-{report['end']}-{report['dimension']}.{extension}"


def _download(
    request: HttpRequest,
    render_report: Callable[[dict], bytes | str],
    content_type: str,
    extension: str,
    disposition: str = "attachment",
) -> HttpResponse:
    """The report of the request's period as a file, or the form's errors (400)."""
    form, report = _report_from(request)
    if report is None:
        return _refused(form)
    response = HttpResponse(render_report(report), content_type=content_type)
    response["Content-Disposition"] = f'{disposition}; filename="{_filename(report, extension)}"'
    return response


@require_GET
@permission_required(VIEW, raise_exception=True)
def unit_report_csv(request: HttpRequest) -> HttpResponse:
    return _download(request, report_tables.as_csv, "text/csv; charset=utf-8", "csv")


@require_GET
@permission_required(VIEW, raise_exception=True)
def unit_report_xlsx(request: HttpRequest) -> HttpResponse:
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(request, report_tables.as_xlsx, xlsx, "xlsx")


@require_GET
@permission_required(VIEW, raise_exception=True)
def unit_report_pdf(request: HttpRequest) -> HttpResponse:
    return _download(request, printing.unit_report_pdf, "application/pdf", "pdf", disposition="inline")


# --- The monthly quality report ----------------------------------------------------------------


@require_GET
@permission_required("planner.view_monthlyreport", raise_exception=True)
def monthly_report_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "planner/monthly_report_list.html",
        {
            "monthly_reports": MonthlyReport.objects.select_related("prepared_by", "submitted_by", "confirmed_by"),
            "form": MonthForm(initial={"month": reports.Period.last_month().start.strftime("%Y-%m")}),
        },
    )


@require_POST
@permission_required("planner.add_monthlyreport", raise_exception=True)
def monthly_report_prepare(request: HttpRequest) -> HttpResponse:
    """Prepare a month's report, or refresh its numbers while it is still only prepared."""

    def prepare() -> HttpResponse:
        form = MonthForm(request.POST)
        if not form.is_valid():
            messages.error(request, errors_as_sentence(form))
            return redirect("monthly-report-list")
        try:
            report = reports.prepare(form.cleaned_data["month"], by=request.user)
        except WorkflowError as error:
            messages.error(request, error.message)
            return redirect("monthly-report-list")
        messages.success(request, _("Prepared: the report for %(month)s.") % {"month": report})
        return redirect(report)

    return submit_once(request, prepare)


def _dimension(request: HttpRequest) -> str:
    by = request.GET.get("by", "indication")
    return by if by in reports.DIMENSIONS else "indication"


@require_GET
@permission_required("planner.view_monthlyreport", raise_exception=True)
def monthly_report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(
        MonthlyReport.objects.select_related("prepared_by", "submitted_by", "confirmed_by"), pk=pk
    )
    by = _dimension(request)
    numbers = report.numbers[by]
    return render(
        request,
        "planner/monthly_report_detail.html",
        {
            "monthly": report,
            "report": numbers,
            "by": by,
            "dimensions": reports.DIMENSIONS.items(),
            "tables": report_tables.tables(numbers),
            "charts": report_charts.charts(numbers),
            "addenda": reports.addenda_after_freezing(report),
            "note_form": ReportNoteForm(),
            "may_prepare": request.user.has_perm("planner.add_monthlyreport"),
            "may_submit": request.user.has_perm("planner.submit_monthlyreport"),
            "month_ended": reports.month_has_ended(report.month),
            "may_confirm": request.user.has_perm("planner.confirm_monthlyreport")
            and report.submitted_by_id != request.user.pk,
        },
    )


def _step(request: HttpRequest, pk: int, permission: str, step: object) -> HttpResponse:
    if not request.user.has_perm(permission):
        raise PermissionDenied
    report = get_object_or_404(MonthlyReport, pk=pk)

    def take() -> HttpResponse:
        form = ReportNoteForm(request.POST)
        if not form.is_valid():
            messages.error(request, errors_as_sentence(form))
            return redirect(report)
        try:
            done = step(report, by=request.user, note=form.cleaned_data["note"])
        except WorkflowError as error:
            messages.error(request, error.message)
            return redirect(report)
        messages.success(request, _("%(month)s: %(state)s.") % {"month": done, "state": done.get_state_display()})
        return redirect(done)

    return submit_once(request, take)


@require_POST
def monthly_report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "planner.submit_monthlyreport", reports.submit)


@require_POST
def monthly_report_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "planner.confirm_monthlyreport", reports.confirm)


@require_GET
@permission_required("planner.view_monthlyreport", raise_exception=True)
def monthly_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(
        MonthlyReport.objects.select_related("prepared_by", "submitted_by", "confirmed_by"), pk=pk
    )
    pdf = printing.monthly_report_pdf(report, list(reports.addenda_after_freezing(report)))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="monthly-report-{report}.pdf"'
    return response
