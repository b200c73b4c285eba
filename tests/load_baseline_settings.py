"""Settings of the bare baseline server `make loadtest` runs beside the app (tests/load.py).

The baselines (planner/bench_pages.py) answer the same paths as the app's key pages with a plain
template, behind sessions and authentication only (the bench's own baseline middleware, less the
urlconf switch that ROOT_URLCONF makes here). The server shares the app's database and secret key, so
a session opened on the app is valid here too. Only the load test starts it.
"""

from planner.settings import *  # noqa: F403 - the app's settings, then the differences below

ROOT_URLCONF = "tests.load_baseline_urls"
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
