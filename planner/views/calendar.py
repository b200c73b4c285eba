"""The unit calendar and its iCalendar feed."""

from datetime import UTC, date, datetime, time, timedelta

from csp.decorators import csp_exempt
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from planner import printing, worklist
from planner.audit import log_patient_views
from planner.errors import WorkflowError
from planner.models import Device, Procedure


def _calendar_range(request: HttpRequest) -> tuple[date, int]:
    """The calendar opens on today's day; the week view starts on the Monday of the day asked for."""
    day = _day_from(request)
    if request.GET.get("view", "day") == "day":
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
@permission_required("planner.view_course", raise_exception=True)
def today(request: HttpRequest) -> HttpResponse:
    """The blood bank's day: each session with what to prepare, totals, issued against ordered, the batch."""
    day = _day_from(request)
    sessions, totals = worklist.day_worklist(day)
    return render(
        request,
        "planner/today.html",
        {
            "day": day,
            "is_today": day == timezone.localdate(),
            "sessions": sessions,
            "totals": totals,
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
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


@csp_exempt()  # as the order sheet: see planner/views/courses.py
@require_GET
@permission_required("planner.view_course", raise_exception=True)
def day_batch_pdf(request: HttpRequest) -> HttpResponse:
    """Every order sheet and issue slip for one day's sessions, in one PDF to print at once."""
    day = _day_from(request)
    procedures = printing.day_procedures(day)
    try:
        content = printing.day_batch_pdf(day, procedures)
    except WorkflowError as error:
        # A sheet that cannot be printed as the unit is set up (no active albumin product): say why.
        messages.error(request, error.message)
        return redirect(f"{reverse('calendar')}?view=day&on={day:%Y-%m-%d}")
    log_patient_views(request, (procedure.course.patient for procedure in procedures), "day-batch")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="apheresis-{day:%Y-%m-%d}.pdf"'
    return response


def _day_from(request: HttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("on", ""))
    except ValueError:
        return timezone.localdate()
