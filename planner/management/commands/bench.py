"""`make bench`: timings of the calculation and its API, on a scratch database.

Timing targets live here, not in tests: a loaded CI machine must not fail a build.
"""

import json
import os
import resource
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from planner import bench_data, booking, courses, plans, printing
from planner.core.blood_volume import Sex
from planner.core.exchange import ExchangeRequest, plan_exchange
from planner.models import ApiToken, Course, Procedure, SessionRecord

EXAMPLE_A = {"sex": "male", "weight_kg": 70, "height_cm": 175, "haematocrit": 0.40}


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


def _report(name: str, figures: list[float], target_s: float) -> str:
    median = statistics.median(figures)
    p95 = statistics.quantiles(figures, n=20)[-1] if len(figures) >= 20 else max(figures)
    verdict = "ok" if median <= target_s else "OVER TARGET"
    unit, scale = ("µs", 1e6) if target_s < 0.01 else ("ms", 1e3)
    return (
        f"{name:<38} median {median * scale:9.1f} {unit}   p95/max {p95 * scale:9.1f} {unit}   "
        f"target {target_s * scale:,.0f} {unit}   {verdict}"
    )


class Command(BaseCommand):
    help = "Time one full exchange plan and one API call (run by `make bench` on a scratch database)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rounds", type=int, default=30)
        parser.add_argument("--patients", type=int, default=10_000, help="patients in the large dataset")
        parser.add_argument("--sessions", type=int, default=100_000, help="booked sessions in the large dataset")
        parser.add_argument("--output", default="test-artifacts/bench.txt", help="file the results are written to")

    def handle(self, *args: object, rounds: int, patients: int, sessions: int, output: str, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("bench creates a user and a token: run it with DEBUG=1 on a scratch database.")
        call_command("seed_demo", stdout=StringIO())
        self.stdout.write(f"Seeding {patients:,} patients and {sessions:,} sessions ...")
        started = time.perf_counter()
        sizes = bench_data.seed(patients=patients, sessions=sessions, by=User.objects.get(username="physician"))
        seeded_s = time.perf_counter() - started
        header = [
            f"Apheresis Planner bench, {timezone.localtime():%Y-%m-%d %H:%M}, database {connection.vendor}, "
            f"{os.cpu_count()} cores",
            f"dataset: {sizes['patients']:,} patients, {sizes['courses']:,} courses, {sizes['sessions']:,} sessions "
            f"({sizes['records']:,} recorded) over {sizes['days']:,} days; seeded in {seeded_s:.0f} s",
            "",
        ]
        pages = self._page_timings(rounds)
        self.stdout.write("\n".join(header + pages))
        request = ExchangeRequest(sex=Sex.MALE, weight_kg=70, height_cm=175, haematocrit=0.40)
        user, _ = User.objects.get_or_create(username="bench")
        user.groups.set(User.objects.get(username="nurse").groups.all())
        _token, key = ApiToken.issue(user=user, name="bench", issued_by=user)
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

        lines = [
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
        lines += self._pdf_timings()
        self.stdout.write("\n".join(lines))
        report = Path(output)
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text("\n".join([*header, *pages, "", *lines]) + "\n", encoding="utf-8")
        self.stdout.write(f"\nWritten to {report}")

    def _page_timings(self, rounds: int) -> list[str]:
        """The pages staff wait for, through the whole stack (middleware, templates), with their query counts."""
        nurse, reviewer = User.objects.get(username="nurse"), User.objects.get(username="reviewer")
        course = Course.objects.filter(notes=bench_data.MARK).order_by("-pk").first()
        busiest = Procedure.objects.filter(course__notes=bench_data.MARK).order_by("-starts_at").first()
        week = timezone.localtime(busiest.starts_at).date()
        patient = course.patient
        first = timezone.localtime(Procedure.objects.order_by("starts_at").first().starts_at).date()
        last = timezone.localtime(Procedure.objects.order_by("-starts_at").first().starts_at).date()
        # A whole month of recorded sessions: the one before the month of the latest start.
        latest = SessionRecord.objects.filter(started_at__isnull=False).order_by("-started_at").first()
        month_end = timezone.localtime(latest.started_at).date().replace(day=1) - timedelta(days=1)
        month = f"start={month_end.replace(day=1):%Y-%m-%d}&end={month_end:%Y-%m-%d}"
        everything = f"start={first:%Y-%m-%d}&end={last:%Y-%m-%d}"
        pages = [
            ("patient list, page 1", nurse, "GET", "/patients/", None, 0.15),
            ("patient list, page 200", nurse, "GET", "/patients/?page=200", None, 0.15),
            ("patient search (name, POST)", nurse, "POST", "/patients/", {"q": "王秀英"}, 0.3),
            ("patient record", nurse, "GET", f"/patients/{patient.pk}/", None, 0.15),
            ("course page (5 sessions)", nurse, "GET", f"/courses/{course.pk}/", None, 0.15),
            ("unit calendar, week (20 devices)", nurse, "GET", f"/calendar/?on={week:%Y-%m-%d}", None, 0.3),
            ("admin session list (reviewer)", reviewer, "GET", "/admin/planner/sessionrecord/", None, 0.3),
            ("unit report, a month by indication", reviewer, "GET", f"/reports/?{month}&by=indication", None, 0.5),
            ("unit report, a month by device", reviewer, "GET", f"/reports/?{month}&by=device", None, 0.5),
            ("unit report, the whole dataset", reviewer, "GET", f"/reports/?{everything}&by=physician", None, 1.5),
            ("unit report XLSX, a month", reviewer, "GET", f"/reports/report.xlsx?{month}&by=indication", None, 0.5),
            (
                "admin session list, filtered",
                reviewer,
                "GET",
                "/admin/planner/sessionrecord/?outcome=completed&reviewed=no",
                None,
                0.3,
            ),
        ]
        lines = [f"{'page':<38} {'median':>9} {'p95':>9} {'queries':>8}   target (median)"]
        for name, user, method, url, data, target_s in pages:
            client = Client(SERVER_NAME="localhost")
            client.force_login(user)

            def fetch(client: Client = client, method: str = method, url: str = url, data: dict | None = data) -> None:
                response = client.post(url, data) if method == "POST" else client.get(url)
                if response.status_code != 200:
                    raise CommandError(f"{url} answered {response.status_code}")

            figures = _timings(fetch, rounds=rounds, per_round=1)
            with CaptureQueriesContext(connection) as queries:
                fetch()
            median, p95 = statistics.median(figures), statistics.quantiles(figures, n=20)[-1]
            verdict = "ok" if median <= target_s else "OVER TARGET"
            lines.append(
                f"{name:<38} {median * 1e3:7.1f}ms {p95 * 1e3:7.1f}ms {len(queries):8d}   "
                f"{target_s * 1e3:.0f} ms {verdict}"
            )
        return lines

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
        sheet = _timings(lambda: printing.order_sheet_pdf(template), rounds=10, per_round=1)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        batch = _timings(lambda: printing.day_batch_pdf(day), rounds=3, per_round=1)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        pages = len(printing.day_procedures(day))
        return [
            _report("order sheet PDF (warm)", sheet, 0.25),
            _report(f"day batch PDF ({pages} sheets + slips)", batch, 4.0),
            f"{'peak RSS of this process':<38} {peak_mb:9.1f} MB   (before the batches: {before / 1024:.1f} MB)",
        ]
