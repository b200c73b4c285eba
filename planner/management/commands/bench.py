"""`make bench`: timings of the calculation and its API, on a scratch database.

Timing targets live here, not in tests: a loaded CI machine must not fail a build.
"""

import json
import statistics
import time
from collections.abc import Callable
from io import StringIO

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import Client

from planner.blood_volume import Sex
from planner.exchange import ExchangeRequest, plan_exchange
from planner.models import ApiToken

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
    return (
        f"{name:<38} median {median * 1e6:9.1f} µs   p95 {p95 * 1e6:9.1f} µs   "
        f"target {target_s * 1e6:,.0f} µs   {verdict}"
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
        self.stdout.write("\n".join(lines))
