"""`make bench`: the key pages against bare baselines, the calculation, its API and the PDFs, on a scratch database.

Timing targets live here, not in tests: a loaded CI machine must not fail a build.

Each key page is sent, as the same WSGI request, to the application and to a bare baseline
(planner/bench_pages.py: the same rows, a plain template, the same patient-view writes). The two
are timed in alternating order, round after round; the figure that counts is the median of the
per-round ratios app/baseline, which a slower or busier machine changes far less than the times.
"""

import json
import os
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from io import StringIO
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import User
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.paginator import Paginator
from django.db import connection
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.test import Client, RequestFactory
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.crypto import get_random_string

from planner import bench_data, bench_pages, booking, courses, plans, printing
from planner.core.blood_volume import Sex
from planner.core.exchange import ExchangeRequest, plan_exchange
from planner.forms import CourseForm
from planner.models import ApiToken, Course, Device, Patient, Procedure, SessionRecord

EXAMPLE_A = {"sex": "male", "weight_kg": 70, "height_cm": 175, "haematocrit": 0.40}
PAGE_RATIO = 2.0  # a key page against its bare baseline
ENGINE_RATIO = 3.0  # the calculator and the API against a baseline that calls the engine directly
PDF_RATIO = 1.2  # a printed document against WeasyPrint laying out the same HTML
POSTGRES_HINT = (
    "On PostgreSQL (an empty database: bench seeds it):\n"
    "  psql -h 127.0.0.1 -U postgres -c 'drop database if exists planner_bench' -c 'create database planner_bench'\n"
    "  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/planner_bench\n"
    "  DEBUG=1 .venv/bin/python manage.py migrate -v0 && DEBUG=1 .venv/bin/python manage.py bench"
)


def _timings(work: Callable[[], object], *, rounds: int, per_round: int) -> list[float]:
    """Seconds per call, one figure per round (each the mean of `per_round` calls)."""
    work()  # warm up
    figures = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(per_round):
            work()
        figures.append((time.perf_counter() - start) / per_round)
    return figures


def _p95(figures: list[float]) -> float:
    """The 95th percentile, or the largest figure when there are too few for one."""
    return statistics.quantiles(figures, n=20)[-1] if len(figures) >= 20 else max(figures)


def _report(name: str, figures: list[float], target_s: float) -> str:
    median = statistics.median(figures)
    verdict = "ok" if median <= target_s else "OVER TARGET"
    unit, scale = ("µs", 1e6) if target_s < 0.01 else ("ms", 1e3)
    return (
        f"{name:<38} median {median * scale:9.1f} {unit}   p95/max {_p95(figures) * scale:9.1f} {unit}   "
        f"target {target_s * scale:,.0f} {unit}   {verdict}"
    )


@dataclass(frozen=True)
class KeyPage:
    """One request, sent as it is to the application and to its baseline (bench_pages has the same paths)."""

    name: str
    user: User | None  # None: no session cookie (the API with its token)
    method: str
    url: str
    data: dict | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Text both answers must contain (a patient's MRN, a number): a rough check that they show the same rows.
    marker: str | None = None
    target: float | None = PAGE_RATIO  # None: no baseline, the application is timed alone
    content_type: str | None = None


@dataclass
class Measured:
    page: KeyPage
    app: list[float]
    baseline: list[float]
    ratios: list[float]
    app_queries: int
    baseline_queries: int | None

    def line(self) -> str:
        app = f"{statistics.median(self.app) * 1e3:8.1f} {_p95(self.app) * 1e3:8.1f}"
        if self.page.target is None:
            return f"{self.page.name:<40} {app} {'—':>8} {'—':>6} {self.app_queries:>6} {'—':>6}   no baseline"
        ratio = statistics.median(self.ratios)
        verdict = "ok" if ratio <= self.page.target else "OVER"
        return (
            f"{self.page.name:<40} {app} {statistics.median(self.baseline) * 1e3:8.1f} {ratio:6.2f} "
            f"{self.app_queries:>6} {self.baseline_queries:>6}   ≤ {self.page.target:.1f}  {verdict}"
        )


HEADER = (
    f"{'key page':<40} {'app ms':>8} {'p95/max':>8} {'base ms':>8} {'ratio':>6} {'q app':>6} {'q base':>6}   target"
)


class PageRunner:
    """Two WSGI handlers, the application's and the baselines', fed the same requests.

    Requests are built with RequestFactory and given to the handlers directly, so neither side
    pays for the test Client's template signals. Each user gets a real session (its cookie) and a
    CSRF cookie with the matching X-CSRFToken header on POSTs.
    """

    def __init__(self) -> None:
        self.app = WSGIHandler()
        # The baselines' middleware chain is built once, under the short list, and kept.
        with override_settings(MIDDLEWARE=bench_pages.MIDDLEWARE):
            self.baseline = WSGIHandler()
        self.csrf = get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)
        self._factories: dict[int | None, RequestFactory] = {}

    def _factory(self, user: User | None) -> RequestFactory:
        key = user.pk if user else None
        if key not in self._factories:
            factory = RequestFactory(SERVER_NAME="localhost")
            if user is not None:
                client = Client(SERVER_NAME="localhost")
                client.force_login(user)
                factory.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
                factory.cookies[settings.CSRF_COOKIE_NAME] = self.csrf
            self._factories[key] = factory
        return self._factories[key]

    def environ(self, page: KeyPage) -> dict:
        """A fresh WSGI environ for the page (its body can be read once)."""
        factory = self._factory(page.user)
        if page.method == "GET":
            return factory.get(page.url, headers=page.headers).environ
        headers = {"X-CSRFToken": self.csrf, **page.headers} if page.user else page.headers
        if page.content_type:
            return factory.post(page.url, page.data, content_type=page.content_type, headers=headers).environ
        # As a browser posts a form without an enctype, and htmx its forms: urlencoded (RequestFactory's
        # default, multipart, costs the application a slower parse the baselines never pay).
        body = urlencode(page.data, doseq=True)
        return factory.post(page.url, body, content_type="application/x-www-form-urlencoded", headers=headers).environ

    @staticmethod
    def call(handler: WSGIHandler, environ: dict) -> tuple[int, bytes, float]:
        """Status, body and seconds, the body read and the response closed as a WSGI server would."""
        statuses: list[str] = []
        started = time.perf_counter()
        response = handler(environ, lambda status, headers, exc_info=None: statuses.append(status))
        try:
            body = b"".join(response)
        finally:
            response.close()
        return int(statuses[0].split()[0]), body, time.perf_counter() - started

    def _checked(self, handler: WSGIHandler, page: KeyPage, side: str) -> tuple[bytes, float]:
        status, body, seconds = self.call(handler, self.environ(page))
        if status != 200:
            raise CommandError(f"{page.name} ({side}, {page.method} {page.url}) answered {status}: {body[:300]!r}")
        return body, seconds

    def queries(self, handler: WSGIHandler, page: KeyPage) -> int:
        """Queries of one call, counted by an execute wrapper (the handler's request_started signal
        empties connection.queries_log, which would upset CaptureQueriesContext)."""
        count = 0

        def counting(execute: Callable, sql: str, params: object, many: bool, context: dict) -> object:
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counting):
            self._checked(handler, page, "queries")
        return count

    def measure(self, page: KeyPage, rounds: int) -> Measured:
        sides = [("app", self.app)] + ([("baseline", self.baseline)] if page.target is not None else [])
        for side, handler in sides:  # warm up, and check both show the same rows
            body, _seconds = self._checked(handler, page, side)
            if page.marker is not None and page.marker.encode() not in body:
                raise CommandError(f"{page.name} ({side}) does not show {page.marker!r}: {body[:300]!r}")
        figures: dict[str, list[float]] = {"app": [], "baseline": []}
        ratios = []
        for number in range(rounds):
            for side, handler in sides if number % 2 == 0 else reversed(sides):
                figures[side].append(self._checked(handler, page, side)[1])
            if page.target is not None:
                ratios.append(figures["app"][-1] / figures["baseline"][-1])
        return Measured(
            page,
            figures["app"],
            figures["baseline"],
            ratios,
            self.queries(self.app, page),
            self.queries(self.baseline, page) if page.target is not None else None,
        )


def _interleaved(
    app: Callable[[], object], static: Callable[[], object], *, rounds: int
) -> tuple[list[float], list[float], list[float]]:
    """Seconds of each, called alternately (the order swapped each round), and the per-round ratios."""
    app_s, static_s, ratios = [], [], []
    for number in range(rounds):
        for work, figures in [(app, app_s), (static, static_s)][:: 1 if number % 2 == 0 else -1]:
            started = time.perf_counter()
            work()
            figures.append(time.perf_counter() - started)
        ratios.append(app_s[-1] / static_s[-1])
    return app_s, static_s, ratios


def _ratio_line(name: str, app: list[float], static: list[float], ratios: list[float], target: float) -> str:
    ratio = statistics.median(ratios)
    return (
        f"{name:<38} {statistics.median(app) * 1e3:9.1f} ms vs {statistics.median(static) * 1e3:9.1f} ms   "
        f"ratio {ratio:.2f}   target ≤ {target:.1f}   {'ok' if ratio <= target else 'OVER'}"
    )


def _form_data(form: CourseForm) -> dict[str, object]:
    """What the form's fields show, as the browser would post them."""
    data: dict[str, object] = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = [str(item) for item in value] if isinstance(value, list | tuple) else str(value)
    return data


def _wanted(only: list[str], *names: str) -> bool:
    return not only or any(part in name.lower() for part in only for name in names)


class Command(BaseCommand):
    help = "Time the key pages against bare baselines, one plan, the API and the PDFs (run by `make bench`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rounds", type=int, default=30)
        parser.add_argument("--patients", type=int, default=10_000, help="patients in the large dataset")
        parser.add_argument("--sessions", type=int, default=100_000, help="booked sessions in the large dataset")
        parser.add_argument("--output", default="test-artifacts/bench.txt", help="file the results are written to")
        parser.add_argument(
            "--only",
            default="",
            help="comma-separated parts of row names to run (e.g. 'patient list,api'); all when blank",
        )
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="keep the bench data a previous run left in this scratch database instead of seeding again",
        )

    def handle(
        self,
        *args: object,
        rounds: int,
        patients: int,
        sessions: int,
        output: str,
        only: str,
        reuse: bool,
        **options: object,
    ) -> None:
        if not settings.DEBUG:
            raise CommandError("bench creates a user and a token: run it with DEBUG=1 on a scratch database.")
        wanted = [part.strip().lower() for part in only.split(",") if part.strip()]
        if reuse and Course.objects.filter(notes=bench_data.MARK).exists():
            seeded = "reused from an earlier run"
        else:
            call_command("seed_demo", stdout=StringIO())
            self.stdout.write(f"Seeding {patients:,} patients and {sessions:,} sessions ...")
            started = time.perf_counter()
            bench_data.seed(patients=patients, sessions=sessions, by=User.objects.get(username="physician"))
            seeded = f"seeded in {time.perf_counter() - started:.0f} s"
        marked = Procedure.objects.filter(course__notes=bench_data.MARK)
        header = [
            f"Apheresis Planner bench, {timezone.localtime():%Y-%m-%d %H:%M}, database {connection.vendor}, "
            f"{os.cpu_count()} cores",
            f"dataset: {Patient.objects.count():,} patients, {Course.objects.count():,} courses, "
            f"{marked.count():,} bench sessions ({SessionRecord.objects.count():,} recorded); {seeded}",
            "",
        ]
        self.stdout.write("\n".join(header))
        user, _ = User.objects.get_or_create(username="bench")
        user.groups.set(User.objects.get(username="nurse").groups.all())
        _token, key = ApiToken.issue(user=user, name="bench", issued_by=user)
        # Timed as served: DEBUG (required above to guard the scratch database) would also log every
        # query, which a production server does not do; that is work neither side owes.
        with override_settings(DEBUG=False):
            pages = self._page_ratios(rounds, wanted, key)
            lines = self._plan_timings(rounds, key) if _wanted(wanted, "plan_exchange", "api token") else []
            if _wanted(wanted, "order sheet pdf", "day batch pdf"):
                lines += self._pdf_timings()
        self.stdout.write("\n".join(["", *lines]))
        report = Path(output)
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text("\n".join([*header, *pages, "", *lines]) + "\n", encoding="utf-8")
        self.stdout.write(f"\nWritten to {report}\n\n{POSTGRES_HINT}")

    def _key_pages(self, key: str) -> Iterator[KeyPage]:
        """The key pages of issue 18, each with a text both answers must show."""
        nurse, reviewer = User.objects.get(username="nurse"), User.objects.get(username="reviewer")
        course = Course.objects.filter(notes=bench_data.MARK).order_by("-pk").first()
        patient = course.patient
        latest = Procedure.objects.filter(course__notes=bench_data.MARK).order_by("-starts_at").first()
        # The day before the last booked one: the last may be only partly booked.
        day = timezone.localtime(latest.starts_at).date() - timedelta(days=1)
        on_day = printing.day_procedures(day)
        per_page = settings.PATIENTS_PER_PAGE
        listed = Patient.objects.order_by("family_name", "given_name", "pk")
        search = "王秀英"
        yield KeyPage("patient list, page 1", nurse, "GET", "/patients/", marker=listed.first().mrn)
        yield KeyPage(
            "patient list, page 200",
            nurse,
            "GET",
            "/patients/?page=200",
            marker=Paginator(listed, per_page).get_page(200).object_list[0].mrn,
        )
        yield KeyPage(
            "patient search (name, POST)",
            nurse,
            "POST",
            "/patients/",
            {"q": search},
            marker=Patient.objects.search(search).order_by("family_name", "given_name", "pk").first().mrn,
        )
        yield KeyPage("patient record", nurse, "GET", f"/patients/{patient.pk}/", marker=patient.mrn)
        yield KeyPage("course page (5 sessions)", nurse, "GET", f"/courses/{course.pk}/", marker=patient.mrn)
        draft = Course.objects.filter(status=Course.Status.DRAFT).exclude(notes=bench_data.MARK).order_by("pk").first()
        yield KeyPage(
            "course form live panel (htmx POST)",
            User.objects.get(username="physician"),
            "POST",
            f"/courses/{draft.pk}/edit/",
            _form_data(CourseForm(instance=draft, patient=draft.patient)),
            headers={"HX-Request": "true"},
        )
        first_on_day = on_day[0].course.patient.mrn
        yield KeyPage(
            f"unit calendar, week ({Device.objects.filter(is_active=True).count()} devices)",
            nurse,
            "GET",
            f"/calendar/?view=week&on={day:%Y-%m-%d}",
            marker=first_on_day,
        )
        yield KeyPage("unit calendar, day", nurse, "GET", f"/calendar/?view=day&on={day:%Y-%m-%d}", marker=first_on_day)
        yield KeyPage(
            f"blood bank's day ({len(on_day)} sessions)",
            nurse,
            "GET",
            f"/today/?on={day:%Y-%m-%d}",
            marker=first_on_day,
        )
        yield KeyPage(
            "calculator htmx POST (with patient)",
            nurse,
            "POST",
            "/calculator/",
            {**{name: str(value) for name, value in EXAMPLE_A.items()}, "patient": str(patient.pk)},
            headers={"HX-Request": "true"},
            target=ENGINE_RATIO,
        )
        expected = plan_exchange(ExchangeRequest(**{**EXAMPLE_A, "sex": Sex.MALE})).as_dict()
        yield KeyPage(
            "API exchange-plan (token)",
            None,
            "POST",
            "/api/v1/exchange-plan",
            json.dumps(EXAMPLE_A),
            headers={"Authorization": f"Bearer {key}"},
            content_type="application/json",
            marker=f'"total_blood_volume_ml": {expected["total_blood_volume_ml"]}',
            target=ENGINE_RATIO,
        )
        records = SessionRecord.objects.order_by("-procedure__starts_at", "-pk").select_related(
            "procedure__course__patient"
        )
        yield KeyPage(
            "admin session list",
            reviewer,
            "GET",
            "/admin/planner/sessionrecord/",
            marker=records.first().procedure.course.patient.mrn,
        )
        filtered = records.filter(outcome=SessionRecord.Outcome.COMPLETED, reviewed_at__isnull=True)
        yield KeyPage(
            "admin session list, filtered",
            reviewer,
            "GET",
            "/admin/planner/sessionrecord/?outcome=completed&reviewed=no",
            marker=filtered.first().procedure.course.patient.mrn,
        )
        first = timezone.localtime(Procedure.objects.order_by("starts_at").first().starts_at).date()
        last = timezone.localtime(Procedure.objects.order_by("-starts_at").first().starts_at).date()
        # A whole month of recorded sessions: the one before the month of the latest start.
        latest_record = SessionRecord.objects.filter(started_at__isnull=False).order_by("-started_at").first()
        month_end = timezone.localtime(latest_record.started_at).date().replace(day=1) - timedelta(days=1)
        month = f"start={month_end.replace(day=1):%Y-%m-%d}&end={month_end:%Y-%m-%d}"
        everything = f"start={first:%Y-%m-%d}&end={last:%Y-%m-%d}"
        yield KeyPage("unit report, a month by indication", reviewer, "GET", f"/reports/?{month}&by=indication")
        yield KeyPage("unit report, a month by device", reviewer, "GET", f"/reports/?{month}&by=device")
        yield KeyPage("unit report, the whole dataset", reviewer, "GET", f"/reports/?{everything}&by=physician")
        yield KeyPage(
            "unit report XLSX, a month", reviewer, "GET", f"/reports/report.xlsx?{month}&by=indication", target=None
        )

    def _page_ratios(self, rounds: int, wanted: list[str], key: str) -> list[str]:
        """The key pages against their baselines; one line each, written as it is measured."""
        runner = PageRunner()
        lines = [
            f"Key pages: median of {rounds} interleaved rounds; ratio = median of the per-round app/baseline.",
            HEADER,
        ]
        self.stdout.write("\n".join(lines))
        for page in self._key_pages(key):
            if _wanted(wanted, page.name):
                lines.append(runner.measure(page, rounds).line())
                self.stdout.write(lines[-1])
        return lines

    def _plan_timings(self, rounds: int, key: str) -> list[str]:
        """One plan through the engine, and one API call through the test Client, against absolute targets."""
        request = ExchangeRequest(sex=Sex.MALE, weight_kg=70, height_cm=175, haematocrit=0.40)
        client = Client(SERVER_NAME="localhost")
        body = json.dumps(EXAMPLE_A)

        def api_call() -> None:
            response = client.post(
                "/api/v1/exchange-plan",
                body,
                content_type="application/json",
                headers={"Authorization": f"Bearer {key}"},
            )
            if response.status_code != 200:
                raise CommandError(f"The API answered {response.status_code}: {response.content[:200]!r}")

        return [
            _report(
                "plan_exchange (example A)",
                _timings(lambda: plan_exchange(request), rounds=rounds, per_round=2000),
                100e-6,
            ),
            _report(
                "plan_exchange + as_dict (rounded JSON)",
                _timings(lambda: plan_exchange(request).as_dict(), rounds=rounds, per_round=2000),
                200e-6,
            ),
            _report("POST /api/v1/exchange-plan (token)", _timings(api_call, rounds=rounds, per_round=20), 20e-3),
        ]

    def _pdf_timings(self) -> list[str]:
        """One order sheet warm, and a day batch of 20 sheets with their slips; time and peak RSS."""
        physician = User.objects.get(username="physician")
        # A day after everything booked so far, so the batch holds exactly the 20 sessions booked here.
        last = Procedure.objects.order_by("-starts_at").values_list("starts_at", flat=True).first()
        after = timezone.localtime(last).date() if last else timezone.localdate()
        day = booking.closed_days().next_open(max(after, timezone.localdate()) + timedelta(days=30))
        template = Course.objects.filter(status=Course.Status.SIGNED).exclude(notes=bench_data.MARK).first()
        # The bench dataset's devices: free on `day`, which comes after every booking so far.
        devices = bench_data.bench_devices(5)
        booked = 0
        while booked < 20:
            course = Course.objects.get(pk=template.pk)
            course.pk, course.first_on, course.sessions_count = None, day, 1
            course.device = devices[booked % len(devices)]
            course.status, course.signed_by, course.signed_at = Course.Status.DRAFT, None, None
            course.frozen_plan = None
            course.save()
            booking.book(course, booking.propose(course), by=physician)
            courses.sign(course, by=physician, seen_digest=plans.digest(plans.live_plan(course)))
            booked += 1
        if len(printing.day_procedures(day)) < 20:
            raise CommandError(f"Only {len(printing.day_procedures(day))} sessions were booked on {day} for the batch.")
        printing.order_sheet_pdf(template)  # warm: fonts loaded, templates compiled
        # Against WeasyPrint's own time on the same document as static HTML (rendered once, beforehand):
        # the ratio is what gathering the data and rendering the template add to the layout.
        sheet_html = printing.order_sheet_html(template)
        sheet, sheet_static, sheet_ratio = _interleaved(
            lambda: printing.order_sheet_pdf(template), lambda: printing.pdf_from_html(sheet_html), rounds=10
        )
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        batch_html = printing.day_batch_html(day)
        batch, batch_static, batch_ratio = _interleaved(
            lambda: printing.day_batch_pdf(day), lambda: printing.pdf_from_html(batch_html), rounds=3
        )
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        pages = len(printing.day_procedures(day))
        return [
            _report("order sheet PDF (warm)", sheet, 0.25),
            _ratio_line("order sheet / WeasyPrint on its HTML", sheet, sheet_static, sheet_ratio, PDF_RATIO),
            _report(f"day batch PDF ({pages} sheets + slips)", batch, 4.0),
            _ratio_line("day batch / WeasyPrint on its HTML", batch, batch_static, batch_ratio, PDF_RATIO),
            f"{'day batch per sheet and slip':<38} {statistics.median(batch) / pages * 1e3:9.1f} ms   "
            f"(one sheet alone: {statistics.median(sheet) * 1e3:.1f} ms)",
            f"{'peak RSS of this process':<38} {peak_mb:9.1f} MB   (before the batches: {before / 1024:.1f} MB)",
        ]
