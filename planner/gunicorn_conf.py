"""Gunicorn settings for the container: `gunicorn -c python:planner.gunicorn_conf planner.wsgi`."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# Load the app once in the master: heavy imports (WeasyPrint, later) happen once, not per worker.
preload_app = True
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
accesslog = "-"
# The path without its query string: a URL never needs to carry patient data, and logs must not either.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
