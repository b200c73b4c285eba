# Production-like image: gunicorn behind your TLS proxy, PostgreSQL from docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint (printed orders) needs Pango and HarfBuzz's subsetter: the pip wheels alone fail on a
# bare Debian. WenQuanYi Micro Hei renders Chinese; it was smaller and faster than Noto CJK.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# The translations, compiled into the image (polib, from requirements.txt: no gettext needed).
RUN DEBUG=1 python manage.py compile_translations
RUN useradd --system --uid 1000 --home /app planner \
    && mkdir -p /app/staticfiles \
    && chown -R planner /app/staticfiles
USER planner

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"

# On every start: apply migrations, make the staff groups match the code, load the standard catalogue
# where the unit has none (never overwriting its own), collect static files, serve.
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py setup_roles && python manage.py load_catalogue && python manage.py collectstatic --noinput && exec gunicorn -c python:planner.gunicorn_conf planner.wsgi:application"]
