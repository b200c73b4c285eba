"""A report's tables, in the language being shown: one definition for the page, CSV, XLSX and the PDF.

The report itself is plain JSON (planner/reports.py); this turns it into titled tables of cells.
Names of groups come stored in both languages (a frozen report keeps the names it had); kinds of
procedure, adverse event and deviation are codes, named here in the current language.
"""

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from planner.core.spreadsheet import safe_row
from planner.models import AdverseEvent, Course
from planner.records import DEVIATION_KINDS
from planner.reports import ABO_GROUPS, DIMENSIONS, NO_GROUP, SEVERITIES


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    header: list[str]
    rows: list[list[Any]]
    total: list[Any] | None = None


def group_name(label: dict[str, str]) -> str:
    if "code" in label:
        return str(Course.Modality(label["code"]).label) if label["code"] in Course.Modality.values else label["code"]
    chinese = (get_language() or "").startswith("zh")
    return label.get("zh" if chinese else "en") or label.get("en", "")


def _or_dash(value: Any) -> Any:
    return "—" if value is None else value


def tables(report: dict[str, Any]) -> list[Table]:
    dimension = str(DIMENSIONS[report["dimension"]])
    rows, total = report["rows"], report["total"]
    every = [*rows, total]
    names = [group_name(row["label"]) for row in rows] + [_("All")]

    def split(cells: list[list[Any]]) -> tuple[list[list[Any]], list[Any]]:
        return cells[:-1], cells[-1]

    sessions = [
        [
            name,
            row["planned"],
            row["done"],
            row["stopped"],
            row["not_started"],
            row["open"],
            row["started"],
            row["plasma_removed_ml"],
            row["albumin_packages"],
            row["albumin_g"],
            row["plasma_units_total"],
            row["saline_ml"],
            _or_dash(row["median_signing_to_first_start_hours"]),
            row["orders_first_started"],
        ]
        for name, row in zip(names, every, strict=True)
    ]
    abo = [
        [name, *(row["plasma_units"][group] for group in (*ABO_GROUPS, NO_GROUP)), row["plasma_units_total"]]
        for name, row in zip(names, every, strict=True)
    ]
    events = [
        [
            name,
            row["started"],
            row["adverse_events"],
            *(_or_dash(row["adverse_events_per_100_by_severity"][severity]) for severity in SEVERITIES),
            _or_dash(row["adverse_events_per_100"]),
            row["interrupted"],
            _or_dash(row["interrupted_per_100"]),
        ]
        for name, row in zip(names, every, strict=True)
    ]
    started = total["started"]
    by_kind = []
    for kind in AdverseEvent.Kind:
        counts = [total["adverse_events_by"].get(f"{kind.value}:{severity}", 0) for severity in SEVERITIES]
        if sum(counts):
            by_kind.append([str(kind.label), *counts, sum(counts), _or_dash(_per_100(sum(counts), started))])
    deviations = [[str(label), *(row["deviations"][code] for row in every)] for code, label in DEVIATION_KINDS.items()]
    severity_names = [str(label) for label in AdverseEvent.Severity.labels]
    session_rows, session_total = split(sessions)
    abo_rows, abo_total = split(abo)
    event_rows, event_total = split(events)
    return [
        Table(
            "sessions",
            _("Procedures and products"),
            [
                dimension,
                _("Planned"),
                _("Done"),
                _("Stopped early"),
                _("Not started"),
                _("Open"),
                _("Started"),
                _("Plasma exchanged (mL)"),
                _("Albumin (vials)"),
                _("Albumin (g)"),
                _("Plasma (units)"),
                _("Saline (mL)"),
                _("Median signing to first start (h)"),
                _("Orders started"),
            ],
            session_rows,
            session_total,
        ),
        Table(
            "plasma",
            _("Plasma units by ABO group"),
            [dimension, *ABO_GROUPS, _("Group not recorded"), _("All")],
            abo_rows,
            abo_total,
        ),
        Table(
            "events",
            _("Adverse events per 100 procedures started (WAA severity)"),
            [
                dimension,
                _("Started"),
                _("Adverse events"),
                *(_("%(severity)s per 100") % {"severity": name} for name in severity_names),
                _("All per 100"),
                _("Interrupted"),
                _("Interrupted per 100"),
            ],
            event_rows,
            event_total,
        ),
        Table(
            "event-kinds",
            _("Adverse events by type and WAA severity, all groups"),
            [_("Type"), *severity_names, _("All"), _("Per 100 started")],
            by_kind,
        ),
        Table(
            "deviations",
            _("Records with each kind of deviation"),
            [_("Deviation"), *names],
            deviations,
        ),
    ]


def _per_100(count: int, started: int) -> float | None:
    return round(count * 100 / started, 1) if started else None


def title(report: dict[str, Any]) -> str:
    return _("Unit report %(start)s to %(end)s, by %(dimension)s") % {
        "start": report["start"],
        "end": report["end"],
        "dimension": str(DIMENSIONS[report["dimension"]]).lower(),
    }


def as_csv(report: dict[str, Any]) -> str:
    """Every table one after another, each under its title; every cell through the export helper."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(safe_row([title(report)]))
    for table in tables(report):
        writer.writerow([])
        writer.writerow(safe_row([table.title]))
        writer.writerow(safe_row(table.header))
        for row in table.rows:
            writer.writerow(safe_row(row))
        if table.total:
            writer.writerow(safe_row(table.total))
    return out.getvalue()


def _sheet_title(text: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in text)[:31].strip() or "Sheet"
    name, n = cleaned, 2
    while name in used:
        name = f"{cleaned[:28]} {n}"
        n += 1
    used.add(name)
    return name


def as_xlsx(report: dict[str, Any]) -> bytes:
    """One sheet per table, with the report's title above; every cell through the export helper."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    bold = Font(bold=True)
    for table in tables(report):
        sheet = workbook.create_sheet(_sheet_title(table.title, used))
        sheet.append(safe_row([title(report)]))
        sheet.append(safe_row([table.title]))
        sheet.append(safe_row(table.header))
        for cell in sheet[3]:
            cell.font = bold
        for row in table.rows:
            sheet.append(safe_row(row))
        if table.total:
            sheet.append(safe_row(table.total))
            for cell in sheet[sheet.max_row]:
                cell.font = bold
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
