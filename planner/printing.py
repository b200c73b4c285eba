"""Printed orders (WeasyPrint): the order sheet, the blood bank's issue slip, the day's batch, and the
course summary (not an order: the sessions as they went, the labs, and the course chart).

The PDF templates stand alone (no web layout) and load their CSS from disk:
WeasyPrint resolves `static/pdf/print.css` against the project folder, never
over HTTP. Fonts come from the system (fontconfig): WenQuanYi Micro Hei for
Chinese, DejaVu Sans otherwise.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import segno
from django.conf import settings
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from weasyprint import HTML

from planner import approvals, charts, consents, courses, plans, report_charts, report_tables, reports, stop_criteria
from planner.calculator import result_rows
from planner.core.blood_groups import compatible_plasma
from planner.core.exchange import ExchangePlan, SessionFluids
from planner.core.schedule_dates import Dose, gap_warnings
from planner.models import Course, MonthlyReport, Procedure
from planner.plans import Order

LABS_BEFORE_COURSE = (
    _("CBC (haematocrit for the calculation)"),
    _("PT/APTT, fibrinogen"),
    _("ionised Ca, K, Mg"),
    _("albumin, IgG"),
    _("ABO/RhD if plasma is used"),
    _("disease markers; draw diagnostic samples before the first session"),
)
LABS_BEFORE_SESSION = (_("fibrinogen"), _("ionised Ca"), _("Hb"), _("platelets"))
AWAITING_APPROVAL = _("AWAITING APPROVAL — not to be issued")
NOT_VALID = {
    Course.Status.DRAFT: _("DRAFT — not valid for use"),
    Course.Status.SUPERSEDED: _("SUPERSEDED — not valid for use"),
    Course.Status.CANCELLED: _("CANCELLED — not valid for use"),
}


@dataclass(frozen=True)
class SessionGroup:
    """Sessions the order gives the same fluids other than its base plan (plasma for projected low fibrinogen)."""

    numbers: tuple[int, ...]
    fluids: SessionFluids


def session_groups(plan: ExchangePlan) -> list[SessionGroup]:
    groups: list[SessionGroup] = []
    for fluids in plan.session_fluids:
        last = groups[-1] if groups else None
        same = last and (last.fluids.shares, last.fluids.replacement) == (fluids.shares, fluids.replacement)
        if same:
            groups[-1] = SessionGroup((*last.numbers, fluids.number), last.fluids)
        else:
            groups.append(SessionGroup((fluids.number,), fluids))
    return groups


@dataclass(frozen=True)
class SheetData:
    course: Course
    order: Order
    plan: ExchangePlan
    session_groups: list[SessionGroup]
    rows: list
    inputs: list
    procedures: list[Procedure]
    warnings: list[str]
    plasma_groups: tuple[str, ...]
    qr: str
    watermark: str
    approval: approvals.ApprovalStatus
    consents: list


def _qr(text: str) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=3, border=1)


def order_warnings(course: Course, order: Order, procedures: list[Procedure]) -> list[str]:
    """Everything the order warns about: the plan's warnings, the schedule's, the drugs' and the indication's."""
    planned = [p.starts_at for p in procedures if p.status == Procedure.Status.PLANNED]
    doses = [
        Dose(drug, at) for drug, at in (("rituximab", course.rituximab_last_at), ("ivig", course.ivig_last_at)) if at
    ]
    warnings = [str(w.message) for w in order.plan.warnings] + [w.message for w in gap_warnings(planned, doses)]
    if course.on_ace_inhibitor and order.plan.request.fluids.shares.albumin > 0:
        warnings.append(_("ACE inhibitor: hold for 24 h before each session with albumin (atypical hypotension)."))
    if order.indication.is_not_recommended:
        warnings.append(_("ASFA category IV: plasma exchange is not recommended for this indication."))
    return warnings


def _watermark(course: Course, approval: approvals.ApprovalStatus) -> str:
    """Not valid (a draft, superseded or cancelled order), or awaiting its approvals: said across the page."""
    return str(NOT_VALID.get(course.status, "") or ("" if approval.releasable else AWAITING_APPROVAL))


def sheet_data(course: Course) -> SheetData:
    order = plans.order_for(course)
    procedures = list(course.procedures.select_related("device").order_by("number"))
    approval = approvals.status(course, order)
    return SheetData(
        course=course,
        order=order,
        plan=order.plan,
        session_groups=session_groups(order.plan),
        rows=result_rows(order.plan),
        inputs=courses.input_rows(course),
        procedures=procedures,
        warnings=order_warnings(course, order, procedures),
        plasma_groups=compatible_plasma(course.patient.abo_group),
        qr=_qr(f"APHERESIS-ORDER-{course.order_number}-V{course.version}"),
        watermark=_watermark(course, approval),
        approval=approval,
        consents=consents.rows(course, order),
    )


@dataclass(frozen=True)
class SlipData:
    procedure: Procedure
    order: Order
    fluids: dict
    fractions: dict
    # Why this session differs from the order's base plan: that day's fibrinogen, or its projection.
    reasons: list
    plasma_groups: tuple[str, ...]
    qr: str
    watermark: str
    approval: approvals.ApprovalStatus
    consents: list
    # What the blood bank has issued so far, with its named signers and the bedside check.
    issued: list


def slip_data(procedure: Procedure, order: Order, sheet: SheetData | None = None) -> SlipData:
    """What the blood bank prepares for one session, with that session's own fluid plan if it has one.

    `sheet`: the order's sheet when printed together (the day's batch), whose approvals and consents it shares.
    """
    course = procedure.course
    fluids, fractions, reasons = plans.session_fluids(procedure, order)
    approval = sheet.approval if sheet else approvals.status(course, order)
    record = getattr(procedure, "record", None) if procedure.pk else None
    issued = (
        list(
            record.issued_products.select_related(
                "product",
                "issued_by",
                "crossmatched_by",
                "rechecked_by",
                "bedside_check__first_by",
                "bedside_check__second_by",
            )
        )
        if record is not None
        else []
    )
    return SlipData(
        procedure=procedure,
        order=order,
        fluids=fluids,
        fractions=fractions,
        reasons=reasons,
        plasma_groups=compatible_plasma(course.patient.abo_group),
        qr=_qr(f"APHERESIS-ORDER-{course.order_number}-V{course.version}-S{procedure.number}"),
        watermark=_watermark(course, approval),
        approval=approval,
        consents=sheet.consents if sheet else consents.rows(course, order),
        issued=issued,
    )


def _page_footer_css() -> str:
    """The page footer as a CSS `content` value, in the current language ("page 1 of 2", "第 1 页，共 2 页")."""
    words = _("page %(page)s of %(pages)s") % {"page": "\x00page\x00", "pages": "\x00pages\x00"}
    parts = [f'"{part}"' if i % 2 == 0 else f"counter({part})" for i, part in enumerate(words.split("\x00"))]
    return " ".join(part for part in parts if part != '""')


def _render(template: str, context: dict) -> bytes:
    return pdf_from_html(_html(template, context))


def pdf_from_html(html: str) -> bytes:
    """WeasyPrint's own work: the PDF of a finished HTML document (the bench times it alone)."""
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def _html(template: str, context: dict) -> str:
    return render_to_string(
        template,
        {
            **context,
            "unit_name": settings.UNIT_NAME,
            "printed_at": timezone.now(),
            "labs_before_course": LABS_BEFORE_COURSE,
            "labs_before_session": LABS_BEFORE_SESSION,
            "page_footer_css": _page_footer_css(),
        },
    )


def order_sheet_html(course: Course) -> str:
    return _html("pdf/documents.html", {"documents": [("sheet", sheet_data(course))]})


def order_sheet_pdf(course: Course) -> bytes:
    return pdf_from_html(order_sheet_html(course))


def issue_slip_pdf(procedure: Procedure) -> bytes:
    order = plans.order_for(procedure.course)
    return _render("pdf/documents.html", {"documents": [("slip", slip_data(procedure, order))]})


def run_sheet_pdf(procedure: Procedure) -> bytes:
    """A blank run sheet for one session, with the order's numbers and warnings (planner/views/records.py)."""
    order = plans.order_for(procedure.course)
    return _render(
        "pdf/documents.html", {"documents": [("runsheet", slip_data(procedure, order))], "run_rows": range(12)}
    )


def day_procedures(day: date) -> list[Procedure]:
    start = timezone.make_aware(datetime.combine(day, time()))
    return list(
        Procedure.objects.filter(
            starts_at__gte=start, starts_at__lt=start + timedelta(days=1), status=Procedure.Status.PLANNED
        )
        .select_related(
            "device",
            "course__patient",
            "course__indication",
            "course__device",
            "course__signed_by",
            "course__created_by",
        )
        .order_by("starts_at", "device__name")
    )


def day_batch_html(day: date, procedures: list[Procedure] | None = None) -> str:
    """Every order sheet and issue slip for the day's sessions as one HTML document: each course's order,
    approval and consents are read once and shared by its sheet and its slip."""
    documents: list[tuple[str, SheetData | SlipData]] = []
    for procedure in day_procedures(day) if procedures is None else procedures:
        sheet = sheet_data(procedure.course)
        documents += [("sheet", sheet), ("slip", slip_data(procedure, sheet.order, sheet))]
    return _html("pdf/documents.html", {"documents": documents, "batch_day": day})


def day_batch_pdf(day: date, procedures: list[Procedure] | None = None) -> bytes:
    """The day's batch in one document, laid out by WeasyPrint once (fonts, styles and images loaded once)."""
    return pdf_from_html(day_batch_html(day, procedures))


@dataclass(frozen=True)
class SummaryData:
    """A course as it went: its sessions with their records, the labs of its window, and the course chart."""

    course: Course
    order: Order
    procedures: list[Procedure]
    chart: charts.ChartData | None
    chart_svg: str
    # The indication's stop criteria with the measured values (planner.stop_criteria.for_course).
    stop: dict


def summary_data(course: Course) -> SummaryData:
    order = plans.order_for(course)
    procedures = list(
        course.procedures.select_related("device", "record")
        .annotate(adverse_event_count=Count("record__adverse_events"))
        .order_by("number")
    )
    chart = charts.chart_data(course, order, procedures)
    return SummaryData(
        course=course,
        order=order,
        procedures=procedures,
        chart=chart,
        chart_svg=charts.cached_svg(chart) if chart else "",
        stop=stop_criteria.for_course(course, order, procedures),
    )


def course_summary_pdf(course: Course) -> bytes:
    """The course summary: its own document beside the order, which stays as it was signed."""
    return _render("pdf/course_summary.html", {"doc": summary_data(course)})


def unit_report_pdf(report: dict) -> bytes:
    """The unit report as shown on its page: the tables and the charts (planner/report_tables.py)."""
    return _render(
        "pdf/unit_report.html",
        {
            "title": report_tables.title(report),
            "sections": [(None, report_tables.tables(report), report_charts.charts(report))],
            "report": report,
        },
    )


def monthly_report_pdf(monthly: MonthlyReport, addenda: list) -> bytes:
    """The month's quality report as stored (frozen once confirmed): every table by indication, the
    procedures by the other groupings, the sign-off, and the corrections written after freezing."""
    sections = []
    for dimension, label in reports.DIMENSIONS.items():
        numbers = monthly.numbers[dimension]
        tables = report_tables.tables(numbers)
        if dimension == "indication":
            sections.append((label, tables, report_charts.charts(numbers)))
        else:
            sections.append((label, tables[:1], []))
    return _render(
        "pdf/unit_report.html",
        {
            "title": _("Monthly quality report %(month)s") % {"month": monthly},
            "sections": sections,
            "report": monthly.numbers["indication"],
            "monthly": monthly,
            "addenda": addenda,
        },
    )
