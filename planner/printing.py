"""Printed orders (WeasyPrint): the order sheet, the blood bank's issue slip, and the day's batch.

The PDF templates stand alone (no web layout) and load their CSS from disk:
WeasyPrint resolves `static/pdf/print.css` against the project folder, never
over HTTP. Fonts come from the system (fontconfig): WenQuanYi Micro Hei for
Chinese, DejaVu Sans otherwise.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from weasyprint import HTML

from planner import courses
from planner.calculator import result_rows
from planner.core.blood_groups import compatible_plasma
from planner.core.exchange import ExchangePlan, volume
from planner.core.replacement import FluidPlan, replacement
from planner.core.schedule_dates import Dose, gap_warnings
from planner.models import Course, Procedure

LABS_BEFORE_COURSE = (
    _("CBC (haematocrit for the calculation)"),
    _("PT/APTT, fibrinogen"),
    _("ionised Ca, K, Mg"),
    _("albumin, IgG"),
    _("ABO/RhD if plasma is used"),
    _("disease markers; draw diagnostic samples before the first session"),
)
LABS_BEFORE_SESSION = (_("fibrinogen"), _("ionised Ca"), _("Hb"), _("platelets"))
NOT_VALID = {
    Course.Status.DRAFT: _("DRAFT — not valid for use"),
    Course.Status.SUPERSEDED: _("SUPERSEDED — not valid for use"),
    Course.Status.CANCELLED: _("CANCELLED — not valid for use"),
}


@dataclass(frozen=True)
class SheetData:
    course: Course
    plan: ExchangePlan
    rows: list
    inputs: list
    procedures: list[Procedure]
    warnings: list[str]
    plasma_groups: tuple[str, ...]
    qr: str
    watermark: str


def _qr(text: str) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=3, border=1)


def sheet_data(course: Course) -> SheetData:
    plan = courses.plan_for(course)
    procedures = list(course.procedures.select_related("device").order_by("number"))
    planned = [p.starts_at for p in procedures if p.status == Procedure.Status.PLANNED]
    doses = [
        Dose(drug, at) for drug, at in (("rituximab", course.rituximab_last_at), ("ivig", course.ivig_last_at)) if at
    ]
    warnings = [w.message for w in plan.warnings] + [w.message for w in gap_warnings(planned, doses)]
    if course.on_ace_inhibitor and course.albumin_fraction > 0:
        warnings.append(_("ACE inhibitor: hold for 24 h before each session with albumin (atypical hypotension)."))
    if course.indication.is_not_recommended:
        warnings.append(_("ASFA category IV: plasma exchange is not recommended for this indication."))
    return SheetData(
        course=course,
        plan=plan,
        rows=result_rows(plan),
        inputs=courses.input_rows(course),
        procedures=procedures,
        warnings=warnings,
        plasma_groups=compatible_plasma(course.patient.abo_group),
        qr=_qr(f"APHERESIS-ORDER-{course.order_number}-V{course.version}"),
        watermark=NOT_VALID.get(course.status, ""),
    )


@dataclass(frozen=True)
class SlipData:
    procedure: Procedure
    albumin_vials: int
    albumin_diluent_ml: int
    plasma_units: int
    saline_bags: int
    fractions: dict
    plasma_groups: tuple[str, ...]
    qr: str
    watermark: str


def slip_data(procedure: Procedure, plan: ExchangePlan) -> SlipData:
    """What the blood bank prepares for one session, with that session's own fluid plan if it has one."""
    course = procedure.course
    session_plan = procedure.fluid_plan or {
        "albumin_fraction": float(course.albumin_fraction),
        "plasma_fraction": float(course.plasma_fraction),
        "saline_fraction": float(course.saline_fraction),
    }
    fractions = {key: session_plan[key] for key in ("albumin_fraction", "plasma_fraction", "saline_fraction")}
    # The same arithmetic as the order; with that day's fibrinogen, for the session's own mix.
    fluids = replacement(
        plan.exchange_volume_ml,
        FluidPlan(**fractions, fluid_balance=plan.request.fluids.fluid_balance),
        plan.request.products,
    )
    albumin_vials, plasma_units, saline_bags = fluids.albumin_vials, fluids.plasma_units, fluids.saline_bags
    diluent = volume(fluids.albumin_diluent_ml)
    return SlipData(
        procedure=procedure,
        albumin_vials=albumin_vials,
        albumin_diluent_ml=diluent,
        plasma_units=plasma_units,
        saline_bags=saline_bags,
        fractions=fractions,
        plasma_groups=compatible_plasma(course.patient.abo_group),
        qr=_qr(f"APHERESIS-ORDER-{course.order_number}-V{course.version}-S{procedure.number}"),
        watermark=NOT_VALID.get(course.status, ""),
    )


def _page_footer_css() -> str:
    """The page footer as a CSS `content` value, in the current language ("page 1 of 2", "第 1 页，共 2 页")."""
    words = _("page %(page)s of %(pages)s") % {"page": "\x00page\x00", "pages": "\x00pages\x00"}
    parts = [f'"{part}"' if i % 2 == 0 else f"counter({part})" for i, part in enumerate(words.split("\x00"))]
    return " ".join(part for part in parts if part != '""')


def _render(template: str, context: dict) -> bytes:
    html = render_to_string(
        template,
        {
            **context,
            "unit_name": settings.UNIT_NAME,
            "printed_at": timezone.now(),
            "labs_before_course": LABS_BEFORE_COURSE,
            "labs_before_session": LABS_BEFORE_SESSION,
            "fibrinogen_trigger": f"{settings.FIBRINOGEN_TRIGGER_G_PER_L:g}",
            "page_footer_css": _page_footer_css(),
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def order_sheet_pdf(course: Course) -> bytes:
    return _render("pdf/documents.html", {"documents": [("sheet", sheet_data(course))]})


def issue_slip_pdf(procedure: Procedure) -> bytes:
    plan = courses.plan_for(procedure.course)
    return _render("pdf/documents.html", {"documents": [("slip", slip_data(procedure, plan))]})


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


def day_batch_pdf(day: date) -> bytes:
    """Every order sheet and issue slip for the day's sessions, in one document (one render)."""
    documents: list[tuple[str, SheetData | SlipData]] = []
    for procedure in day_procedures(day):
        sheet = sheet_data(procedure.course)
        documents += [("sheet", sheet), ("slip", slip_data(procedure, sheet.plan))]
    return _render("pdf/documents.html", {"documents": documents, "batch_day": day})
