"""`make loadtest`: the app under gunicorn on loopback, 50 users at once, pages and bookings.

    python -m tests.load --database-url postgres://postgres@127.0.0.1:5432/planner_load

1. A scratch PostgreSQL database is created, migrated and seeded: the demo data, the large bench
   dataset and, for the booking mix, draft courses that all want the same first days on one device.
2. gunicorn serves it as deployed (DEBUG off, WhiteNoise manifest, persistent connections).
3. wrk (Debian's) hammers a mix of pages with 50 connections for the duration: throughput and latency.
4. A scripted client runs 50 users for the duration: each opens pages and books draft courses, so
   bookings race for the same slots; the answers are timed and counted.
5. The database is checked for any two planned sessions that overlap on a device (there must be none)
   and for any course booked twice over.

The results go to test-artifacts/loadtest.txt. Timing targets are reported, not asserted: a load
test is a measurement, run on purpose, not part of `make test`.
"""

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "apheresis-demo"  # the demo users' published password (scratch database only)

WRK_SCRIPT = """
local paths = {%(paths)s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], {["Cookie"] = "sessionid=%(session)s"})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%%d duration_us=%%d errors=%%d non2xx=%%d p50=%%d p95=%%d p99=%%d max=%%d\\n",
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/planner_load")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument(
        "--think", type=float, default=2.0, help="scripted users' mean pause between clicks, seconds (0: none)"
    )
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--output", default=str(ROOT / "test-artifacts" / "loadtest.txt"))
    options = parser.parse_args()
    if not options.database_url.startswith("postgres"):
        sys.exit("The load test needs PostgreSQL: SQLite takes one writer at a time, which is not what is measured.")
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")

    os.environ.update(DATABASE_URL=options.database_url, DEBUG="1", DJANGO_SETTINGS_MODULE="planner.settings")
    _recreate_database(options.database_url)
    import django

    django.setup()
    from tests.live import Browser, Gunicorn

    lines = [f"Apheresis Planner load test, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores"]
    started = time.perf_counter()
    drafts = _seed(options.patients, options.sessions, options.users)
    lines.append(
        f"dataset: {options.patients:,} patients, {options.sessions:,} sessions, {len(drafts)} draft courses "
        f"to book; seeded in {time.perf_counter() - started:.0f} s"
    )
    static_root = Path(tempfile.mkdtemp(prefix="planner-load-")) / "static"
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "0", "SECRET_KEY": "load", "STATIC_ROOT": str(static_root)},
        check=True,
    )
    server = Gunicorn(options.database_url, static_root, workers=options.workers)
    # The bare baselines (planner/bench_pages.py) on their own server, same workers, same database.
    baseline = Gunicorn(
        options.database_url, static_root, workers=options.workers, settings_module="tests.load_baseline_settings"
    )
    lines.append(
        f"server: gunicorn, {options.workers} sync workers, DEBUG off, PostgreSQL, loopback; the baseline pages "
        "on a second gunicorn like it (sessions and authentication only); one of the two under load at a time"
    )
    try:
        nurse = Browser(server.url)
        nurse.login("nurse", PASSWORD)
        session = next(cookie.value for cookie in nurse.cookies if cookie.name == "sessionid")
        pages = _page_mix()
        app_wrk = _wrk(server.url, session, pages, options.users, options.seconds)
        base_wrk = _wrk(baseline.url, session, pages, options.users, options.seconds)
        lines += _wrk_lines(app_wrk, base_wrk, pages, options.users, options.seconds)
        app_users = _scripted(server.url, pages, drafts, options.users, options.seconds, options.think)
        base_users = _scripted(
            baseline.url, pages, [], options.users, options.seconds, options.think, login_url=server.url
        )
        lines += _scripted_lines(app_users, base_users, len(drafts), options.users, options.seconds, options.think)
    finally:
        server.stop()
        baseline.stop()
    lines += _check_bookings(drafts)
    report = Path(options.output)
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"\nWritten to {report}")


def _recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or name in {"planner", "postgres"}:
        sys.exit(f"Refusing to drop database {name!r}: give the load test a scratch database of its own.")
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)


def _seed(patients: int, sessions: int, users: int) -> list[int]:
    """The demo, the bench dataset, and 4 drafts per user that all start on the same day on one device."""
    from io import StringIO

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.utils import timezone

    from planner import bench_data
    from planner.models import Course, Device, Patient

    call_command("seed_demo", stdout=StringIO())
    physician = User.objects.get(username="physician")
    bench_data.seed(patients=patients, sessions=sessions, by=physician)
    template = Course.objects.filter(status=Course.Status.DRAFT).exclude(notes=bench_data.MARK).first()
    device = Device.objects.exclude(name__startswith="Bench").filter(kind="centrifugal").first()
    # The first weekday at least a week ahead, beyond the demo's own bookings.
    first_on = timezone.localdate() + timedelta(days=10)
    while first_on.weekday() >= 5:
        first_on += timedelta(days=1)
    made = []
    for patient in Patient.objects.filter(mrn__startswith="BENCH-").order_by("pk")[: users * 4]:
        course = Course.objects.get(pk=template.pk)
        course.pk = None
        course.patient, course.device, course.first_on, course.notes = patient, device, first_on, "load test"
        course.save()
        made.append(course.pk)
    return made


def _page_mix() -> list[str]:
    from django.utils import timezone

    from planner import bench_data
    from planner.models import Course, Patient

    courses = list(Course.objects.filter(notes=bench_data.MARK).order_by("?").values_list("pk", flat=True)[:20])
    patients = list(Patient.objects.filter(mrn__startswith="BENCH-").order_by("?").values_list("pk", flat=True)[:20])
    today = timezone.localdate()
    return (
        # The key pages both the app and the baseline server answer (planner/bench_pages.py).
        ["/patients/", "/patients/?page=17", f"/calendar/?on={today:%Y-%m-%d}"]
        + [f"/patients/{pk}/" for pk in patients]
        + [f"/courses/{pk}/" for pk in courses]
    )


def _wrk(base_url: str, session: str, pages: list[str], users: int, seconds: int) -> dict[str, float]:
    """wrk's figures for one server: requests/s, latency percentiles (ms), errors."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(WRK_SCRIPT % {"paths": ", ".join(f'"{p}"' for p in pages), "session": session})
    result = subprocess.run(
        ["wrk", "-t2", f"-c{users}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), base_url],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", result.stdout.split("RESULT", 1)[1])}
    return {
        "throughput": figures["requests"] / (figures["duration_us"] / 1e6),
        "requests": figures["requests"],
        **{key: figures[key] / 1e3 for key in ("p50", "p95", "p99", "max")},
        "errors": figures["errors"],
        "non2xx": figures["non2xx"],
    }


def _wrk_lines(app: dict, base: dict, pages: list[str], users: int, seconds: int) -> list[str]:
    ratio = app["throughput"] / base["throughput"]
    lines = [
        "",
        f"wrk: {users} connections, no pause, {seconds} s per server, over {len(pages)} pages (patient list page 1 "
        "and 17, calendar, patient records, course pages), logged in as a nurse",
        f"  {'':<10} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'non-2xx':>8}",
    ]
    for name, figures in (("app", app), ("baseline", base)):
        lines.append(
            f"  {name:<10} {figures['throughput']:8.1f} {figures['p50']:8.1f} {figures['p95']:8.1f} "
            f"{figures['p99']:8.1f} {figures['errors']:7d} {figures['non2xx']:8d}"
        )
    lines.append(f"  app throughput / baseline throughput: {ratio:.2f} (target at least 0.7: {_met(ratio >= 0.7)})")
    return lines


def _met(condition: bool) -> str:
    return "met" if condition else "NOT MET"


def _scripted(
    base_url: str,
    pages: list[str],
    drafts: list[int],
    users: int,
    seconds: int,
    think: float,
    login_url: str | None = None,
) -> dict:
    """Users who read pages and, given drafts, book: one click in five is Book, on a random draft, and the
    course page it leads to is then read and counted as a page request.

    Without drafts (the baseline server, which books nothing) every request is a page. `login_url` is the
    server that logs users in, when it is not `base_url` (the baseline shares the app's sessions).
    """
    from tests.live import Browser

    timings: dict[str, list[float]] = {"page": [], "booking": []}
    outcomes = {"booked": 0, "already booked": 0, "slot taken": 0, "no free slot": 0, "other": 0}
    errors: list[str] = []
    others: list[str] = []
    lock = threading.Lock()
    ready = threading.Barrier(users + 1)
    window: dict[str, float] = {}

    def user(number: int) -> None:
        rng = random.Random(number)
        browser = Browser(login_url or base_url)
        browser.login("physician", PASSWORD)
        browser.base_url = base_url
        ready.wait()
        while time.monotonic() < window["stop_at"]:
            if think:
                time.sleep(rng.uniform(0, 2 * think))
            booking = bool(drafts) and rng.random() < 0.2
            path = f"/courses/{rng.choice(drafts)}/book/" if booking else rng.choice(pages)
            began = time.perf_counter()
            try:
                status, _body, headers = browser.post(path, {}) if booking else browser.get(path)
            except Exception as error:  # every failure is counted, none stops the run
                with lock:
                    errors.append(f"{path}: {error!r}")
                continue
            elapsed = time.perf_counter() - began
            expected = 302 if booking else 200
            if booking and status == expected:
                # The course page the booking leads to, read as the user would: a page request of its own,
                # timed and counted as one, and never while holding the lock (the other users wait on it).
                began = time.perf_counter()
                try:
                    follow_status, page, _ = browser.get(headers["Location"])
                except Exception as error:
                    with lock:
                        errors.append(f"{headers['Location']}: {error!r}")
                    continue
                followed = time.perf_counter() - began
            with lock:
                timings["booking" if booking else "page"].append(elapsed)
                if status != expected:
                    errors.append(f"{path}: {status}")
                elif booking:
                    timings["page"].append(followed)
                    if follow_status != 200:
                        errors.append(f"{headers['Location']}: {follow_status}")
                    if "sessions booked" in page:
                        outcomes["booked"] += 1
                    elif "already booked" in page:
                        outcomes["already booked"] += 1
                    elif "is already booked from" in page or "booked by someone else" in page:
                        outcomes["slot taken"] += 1
                    elif "No free slot" in page:
                        outcomes["no free slot"] += 1
                    else:
                        outcomes["other"] += 1
                        alert = re.search(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', page, re.S)
                        others.append(re.sub(r"<[^>]+>|\s+", " ", alert.group(1)).strip() if alert else "(no message)")

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for thread in threads:
        thread.start()
    # The clock starts once every user has logged in: logins are not part of the measure.
    window["stop_at"] = time.monotonic() + seconds
    ready.wait()
    for thread in threads:
        thread.join()
    every = timings["page"] + timings["booking"]
    return {
        "throughput": len(every) / seconds,
        "requests": len(every),
        "p50": statistics.median(every) * 1e3,
        "p95": statistics.quantiles(every, n=20)[-1] * 1e3,
        "pages_p95": statistics.quantiles(timings["page"], n=20)[-1] * 1e3,
        "bookings_p95": statistics.quantiles(timings["booking"], n=20)[-1] * 1e3
        if len(timings["booking"]) > 1
        else None,
        "outcomes": outcomes,
        "others": sorted(set(others))[:3],
        "errors": errors,
    }


def _scripted_lines(app: dict, base: dict, drafts: int, users: int, seconds: int, think: float) -> list[str]:
    pause = f"a pause of 0-{2 * think:g} s (mean {think:g} s) between clicks" if think else "no pause between clicks"
    lines = [
        "",
        f"scripted client: {users} users, {pause}, {seconds} s per server (the client shares the 2 cores); on the app "
        f"1 in 5 clicks is Book (on a random one of {drafts} drafts that all want the same first days on one "
        "device; the course page it leads to counts as a page request), on the baseline every click is a page",
        f"  {'':<10} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'pages p95':>10} {'errors':>7}",
    ]
    for name, figures in (("app", app), ("baseline", base)):
        lines.append(
            f"  {name:<10} {figures['throughput']:8.1f} {figures['p50']:8.1f} {figures['p95']:8.1f} "
            f"{figures['pages_p95']:10.1f} {len(figures['errors']):7d}"
        )
    lines += [
        f"  app p95 {app['p95']:.1f} ms (target under 300 ms: {_met(app['p95'] < 300)}); "
        f"app throughput / baseline throughput: {app['throughput'] / base['throughput']:.2f}",
        f"  app bookings p95 {app['bookings_p95']:.1f} ms; booking answers: {app['outcomes']}"
        + (f"; other answers were e.g. {app['others']}" if app["others"] else ""),
    ]
    for name, figures in (("app", app), ("baseline", base)):
        if figures["errors"]:
            lines.append(f"  {name} errors: {len(figures['errors'])} (first: {figures['errors'][:3]})")
    return lines


def _check_bookings(drafts: list[int]) -> list[str]:
    from django.db import connection
    from django.db.models import Count

    from planner.models import Procedure

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM planner_procedure a JOIN planner_procedure b
               ON a.device_id = b.device_id AND a.id < b.id
              AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
            WHERE a.status = 'planned' AND b.status = 'planned'"""
        )
        overlaps = cursor.fetchone()[0]
    twice = (
        Procedure.objects.filter(course_id__in=drafts, status="planned")
        .values("course_id", "number")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    booked = Procedure.objects.filter(course_id__in=drafts, status="planned").values("course_id").distinct().count()
    return [
        "",
        f"after the run: {booked} of {len(drafts)} drafts booked; "
        f"overlapping planned sessions on a device: {overlaps}; sessions booked twice over: {twice}",
    ]


if __name__ == "__main__":
    main()
