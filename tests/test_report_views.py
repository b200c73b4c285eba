"""The unit report's pages, exports and PDF, and the monthly report's sign-off, through the test client."""

import csv
import io
import shutil
import subprocess
from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from planner import reports, roles
from planner.models import Device, MonthlyReport, Procedure, SessionRecord
from tests.conftest import logged_in
from tests.factories import make_user
from tests.test_reports import dataset  # noqa: F401 - the fixed dataset, counted by hand there

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="apt-get install poppler-utils")


def _query(data: dict, by: str = "physician") -> dict[str, str]:
    return {"start": data["period"].start.isoformat(), "end": data["period"].end.isoformat(), "by": by}


@pytest.fixture
def head_nurse(staff_roles: None) -> User:
    return make_user(username="headnurse", role=roles.HEAD_NURSE)


@pytest.fixture
def department_head(staff_roles: None) -> User:
    return make_user(username="depthead", role=roles.APPROVAL_ROLES["head"])


def test_a_reviewer_sees_the_counts_and_a_nurse_may_not(dataset: dict, reviewer: User, nurse: User) -> None:  # noqa: F811
    page = logged_in(reviewer).get(reverse("unit-report"), _query(dataset))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Second Physician" in body and "<svg" in body
    # The total row of the first table: planned 8, done 4, stopped 1, not started 1, open 2, started 6.
    total = page.context["tables"][0].total
    assert total[1:7] == [8, 4, 1, 1, 2, 6]
    assert logged_in(nurse).get(reverse("unit-report"), _query(dataset)).status_code == 403


def test_a_wrong_period_is_explained_not_a_500(reviewer: User) -> None:
    client = logged_in(reviewer)
    page = client.get(reverse("unit-report"), {"start": "2026-05-10", "end": "2026-05-01", "by": "device"})
    assert page.status_code == 200 and "The period ends before it starts." in page.content.decode()
    for name in ("unit-report-csv", "unit-report-xlsx", "unit-report-pdf"):
        answer = client.get(reverse(name), {"start": "0001-01-01", "end": "x", "by": "nobody"})
        assert answer.status_code == 400, name


def test_the_csv_holds_every_table_and_neutralises_formulas(dataset: dict, reviewer: User) -> None:  # noqa: F811
    Device.objects.filter(pk=dataset["device_b"].pk).update(name='=HYPERLINK("http://evil","x")')
    answer = logged_in(reviewer).get(reverse("unit-report-csv"), _query(dataset, "device"))
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    assert rows[5][:7] == ['\'=HYPERLINK("http://evil","x")', "3", "2", "0", "0", "1", "3"]  # after order A's device
    assert ["All", "8", "4", "1", "1", "2", "6", "14100", "10", "105.0", "13", "250", "35.0", "2"] in rows
    titles = {row[0] for row in rows if len(row) == 1}
    assert "Adverse events per 100 procedures started (WAA severity)" in titles


def test_the_xlsx_has_one_sheet_per_table_with_numbers_as_numbers(dataset: dict, reviewer: User) -> None:  # noqa: F811
    answer = logged_in(reviewer).get(reverse("unit-report-xlsx"), _query(dataset))
    workbook = load_workbook(io.BytesIO(answer.content))
    assert len(workbook.sheetnames) == 5
    sheet = workbook[workbook.sheetnames[2]]  # adverse events per 100
    total = [cell.value for cell in sheet[sheet.max_row]]
    assert total[:8] == ["All", 6, 4, 33.3, 16.7, 16.7, 66.7, 2]


@needs_pdftotext
def test_the_report_prints_with_its_numbers(dataset: dict, reviewer: User) -> None:  # noqa: F811
    answer = logged_in(reviewer).get(reverse("unit-report-pdf"), _query(dataset))
    assert answer["Content-Type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=answer.content, capture_output=True, check=True)
    words = text.stdout.decode()
    assert "Unit report" in words and "Second Physician" in words and "14100" in words and "66.7" in words


def test_the_report_page_queries_do_not_grow_with_the_data(
    dataset: dict,  # noqa: F811
    reviewer: User,
    nurse: User,
    django_assert_max_num_queries: object,
) -> None:
    client = logged_in(reviewer)
    client.get(reverse("unit-report"), _query(dataset))  # warm: sessions, permissions
    with django_assert_max_num_queries(25) as before:
        client.get(reverse("unit-report"), _query(dataset, "device"))
    for procedure in Procedure.objects.filter(record__isnull=True):
        SessionRecord.objects.create(procedure=procedure, recorded_by=nurse, started_at=timezone.now())
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(reverse("unit-report"), _query(dataset, "device"))


def test_the_month_is_signed_off_through_the_pages(
    procedure: Procedure, reviewer: User, head_nurse: User, department_head: User, nurse: User
) -> None:
    month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)  # last month: it has ended
    when = timezone.make_aware(datetime.combine(month + timedelta(days=14), time(9)))
    Procedure.objects.filter(pk=procedure.pk).update(starts_at=when, ends_at=when + timedelta(hours=3))
    assert logged_in(nurse).post(reverse("monthly-report-prepare"), {"month": f"{month:%Y-%m}"}).status_code == 403
    answer = logged_in(reviewer).post(reverse("monthly-report-prepare"), {"month": f"{month:%Y-%m}"})
    monthly = MonthlyReport.objects.get()
    assert answer.status_code == 302 and answer["Location"] == monthly.get_absolute_url()
    # Who may submit and confirm: the head nurse, then the department head; nobody else.
    assert logged_in(reviewer).post(reverse("monthly-report-submit", args=[monthly.pk])).status_code == 403
    assert logged_in(department_head).post(reverse("monthly-report-submit", args=[monthly.pk])).status_code == 403
    logged_in(head_nurse).post(reverse("monthly-report-submit", args=[monthly.pk]), {"note": "Checked"})
    assert logged_in(head_nurse).post(reverse("monthly-report-confirm", args=[monthly.pk])).status_code == 403
    logged_in(department_head).post(reverse("monthly-report-confirm", args=[monthly.pk]), {"note": "Agreed"})
    monthly.refresh_from_db()
    assert (monthly.state, monthly.submitted_by, monthly.confirmed_by) == ("confirmed", head_nurse, department_head)
    page = logged_in(department_head).get(monthly.get_absolute_url(), {"by": "modality"}).content.decode()
    assert "Frozen: these numbers no longer change." in page and "Plasma exchange (TPE)" in page
    # Refreshing a frozen month is refused with a message, not an error.
    refused = logged_in(reviewer).post(reverse("monthly-report-prepare"), {"month": f"{month:%Y-%m}"}, follow=True)
    assert "its numbers no longer change" in refused.content.decode()


@needs_pdftotext
def test_the_monthly_report_prints_its_sign_off(
    unit: None, reviewer: User, head_nurse: User, department_head: User
) -> None:
    month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    monthly = reports.confirm(reports.submit(reports.prepare(month, by=reviewer), by=head_nurse), by=department_head)
    answer = logged_in(reviewer).get(reverse("monthly-report-pdf", args=[monthly.pk]))
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=answer.content, capture_output=True, check=True
    ).stdout.decode()
    assert f"Monthly quality report {month:%Y-%m}" in text
    assert "Confirmed by the department head" in text and "headnurse" in text and "depthead" in text
    assert "Corrections written after freezing" in text


def test_on_the_bench_data_the_report_asks_as_many_queries_for_a_day_as_for_everything(
    unit: None, reviewer: User, django_assert_max_num_queries: object
) -> None:
    """The bench dataset (planner/bench_data.py), small: one day and the whole span cost the same queries."""
    from planner import bench_data, demo

    demo.seed_demo()
    sizes = bench_data.seed(patients=60, sessions=400, devices=4, by=User.objects.get(username="physician"))
    assert sizes["records"] > 150
    first = timezone.localtime(Procedure.objects.order_by("starts_at").first().starts_at).date()
    last = timezone.localtime(Procedure.objects.order_by("-starts_at").first().starts_at).date()
    client = logged_in(reviewer)
    client.get(reverse("unit-report"))  # warm: the session and permissions
    counts = []
    for start, end in ((first, first), (first, last)):
        with django_assert_max_num_queries(25) as queries:
            page = client.get(reverse("unit-report"), {"start": start, "end": end, "by": "device"})
        assert page.status_code == 200
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]
    everything = reports.build(reports.Period(first, last), "device")["total"]
    assert everything["planned"] >= 400 and everything["adverse_events"] > 0


def test_a_dollar_in_a_device_name_is_a_label_not_maths(dataset: dict, reviewer: User) -> None:  # noqa: F811
    """matplotlib reads "$...$" as maths and raises on bad maths: the report by device was a 500."""
    Device.objects.filter(pk=dataset["device_b"].pk).update(name="Optia $x^$")
    client = logged_in(reviewer)
    page = client.get(reverse("unit-report"), _query(dataset, by="device"))
    assert page.status_code == 200 and "Optia $x^$" in page.content.decode()
    assert client.get(reverse("unit-report-pdf"), _query(dataset, by="device")).status_code == 200


def test_the_report_charts_are_drawn_once_and_a_renamed_group_is_drawn_at_once(
    dataset: dict,  # noqa: F811
    reviewer: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The charts are kept in the shared cache under what they show: the same report reads them back,
    a change to what they show (here a device's name, a catalogue row) is a new drawing on the next request."""
    from planner import report_charts

    drawn: list[str] = []
    outcomes = report_charts._outcomes

    def counting(rows: list) -> object:
        drawn.append("outcomes")
        return outcomes(rows)

    monkeypatch.setattr(report_charts, "_outcomes", counting)
    client = logged_in(reviewer)

    def charts() -> str:
        body = client.get(reverse("unit-report"), _query(dataset, by="device")).content.decode()
        return body[body.index("<svg") :]

    first = charts()
    assert charts() == first and drawn == ["outcomes"]
    Device.objects.filter(pk=dataset["device_b"].pk).update(name="Optia renamed")
    assert "Optia renamed" in charts() and drawn == ["outcomes", "outcomes"]
