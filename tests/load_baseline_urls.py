"""The baseline server's URLs: the bench's bare pages, and the health check the server waits for."""

from django.urls import path

from planner.bench_pages import urlpatterns as baseline_pages
from planner.views import health

urlpatterns = [*baseline_pages, path("healthz", health)]
