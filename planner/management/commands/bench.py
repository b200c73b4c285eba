"""`make bench`: timings of the calculation and its API, on a scratch database.

Timing targets live here, not in tests: a loaded CI machine must not fail a build.
"""

import json
import resource
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from io import StringIO

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import Client
from django.utils import timezone

from planner import booking, courses, printing
from planner.blood_volume import Sex
from planner.exchange import ExchangeRequest, plan_exchange
from planner.models import ApiToken, Course, Device

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

    def handle(self, *args: object, rounds: int, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("bench creates a user and a token: run it with DEBUG=1 on a scratch database.")
        call_command("seed_demo", stdout=StringIO())
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
            assert response.status_code == 200, response.content

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

    def _pdf_timings(self) -> list[str]:
        """One order sheet warm, and a day batch of 20 sheets with their slips; time and peak RSS."""
        physician = User.objects.get(username="physician")
        day = booking.closed_days().next_open(timezone.localdate() + timedelta(days=30))
        template = Course.objects.filter(status=Course.Status.SIGNED).first()
        for number in range(1, 6):
            Device.objects.get_or_create(
                name=f"Bench Optia {number}",
                defaults={
                    "kind": "centrifugal",
                    "model": "Spectra Optia",
                    "ecv_typical_ml": 141,
                    "ecv_max_ml": 185,
                    "plasma_removal_efficiency": Decimal("0.87"),
                    "default_inlet_ac_ratio": Decimal("10"),
                },
            )
        devices = list(Device.objects.filter(name__startswith="Bench Optia"))
        booked = 0
        while booked < 20:
            course = Course.objects.get(pk=template.pk)
            course.pk, course.first_on, course.sessions_count = None, day, 1
            course.device = devices[booked % len(devices)]
            course.status, course.signed_by, course.signed_at = Course.Status.DRAFT, None, None
            course.save()
            booking.book(course, booking.propose(course), by=physician)
            courses.sign(course, by=physician)
            booked += 1
        assert len(printing.day_procedures(day)) >= 20
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
