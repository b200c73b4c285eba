"""Settings come from the environment through strict parsers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from planner.settings import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parent.parent


def _import_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "-c", "import planner.settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'])"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("Yes", True), ("on", True), ("0", False), ("off", False)]
)
def test_env_bool_reads_the_usual_spellings(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env_bool("SOME_FLAG", not expected) is expected


def test_env_bool_refuses_a_typo_instead_of_guessing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG='ture' is not a boolean"):
        env_bool("SOME_FLAG", False)


def test_env_int_refuses_text_and_values_below_the_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("SOME_NUMBER", 1)
    monkeypatch.setenv("SOME_NUMBER", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env_int("SOME_NUMBER", 1, minimum=0)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_HOSTS", " planner.example.org, ,127.0.0.1 ")
    assert env_list("SOME_HOSTS", []) == ["planner.example.org", "127.0.0.1"]


def test_secret_key_is_required_when_debug_is_off() -> None:
    result = _import_settings()
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_debug_runs_without_a_secret_key_on_sqlite_by_default() -> None:
    result = _import_settings(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3"]


def test_database_url_selects_postgresql() -> None:
    result = _import_settings(SECRET_KEY="x", DATABASE_URL="postgres://postgres@127.0.0.1:5432/planner")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "django.db.backends.postgresql"]


def _binding(**env: str) -> str:
    code = "import planner.settings as s; print(s.DATABASES['default'].get('OPTIONS', {}).get('server_side_binding'))"
    clean = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}}
    clean.pop("DATABASE_SERVER_SIDE_BINDING", None)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_postgresql_binds_parameters_on_the_server_unless_told_not_to() -> None:
    postgres = {"SECRET_KEY": "x", "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/planner"}
    assert _binding(**postgres) == "True"
    assert _binding(**postgres, DATABASE_SERVER_SIDE_BINDING="0") == "False"
    assert _binding(DEBUG="1") == "None"  # SQLite has no such option


@pytest.mark.django_db
def test_the_postgresql_connection_in_use_binds_on_the_server() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (run with DATABASE_URL=postgres://)")
    import psycopg

    with connection.cursor() as cursor:
        assert not isinstance(cursor.cursor, psycopg.ClientCursor)
        cursor.execute("SELECT %s::int + 1", [41])
        assert cursor.fetchone() == (42,)


def test_a_typo_in_trusted_proxies_stops_the_app_with_its_name() -> None:
    result = _import_settings(DEBUG="1", TRUSTED_PROXIES="10.0.0.300")
    assert result.returncode != 0
    assert "TRUSTED_PROXIES: '10.0.0.300' does not appear to be an IPv4 or IPv6 network" in result.stderr


def test_behind_the_tls_proxy_the_local_proxy_is_trusted_by_default() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import planner.settings as s; print(s.TRUSTED_PROXIES)"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1", "BEHIND_TLS_PROXY": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip() == "['127.0.0.1', '::1']", result.stderr


def _cache_in_subprocess(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.core.cache import caches; cache = caches['default']; {code}",
        ],
        cwd=ROOT,
        env={**clean, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "planner.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_shared_cache_is_the_database_by_default_and_redis_with_a_url() -> None:
    default = _cache_in_subprocess("print(type(cache).__name__, cache._table)")
    assert default.returncode == 0, default.stderr
    assert default.stdout.split() == ["DatabaseCache", "planner_cache"]
    redis = _cache_in_subprocess("print(type(cache).__name__)", REDIS_URL="redis://127.0.0.1:6379/0")
    assert redis.returncode == 0, redis.stderr
    assert redis.stdout.split() == ["RedisCache"]


def _redis_answers() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379 (CI machines run one)")
def test_what_one_process_puts_in_redis_another_reads() -> None:
    key = f"planner-test-{os.getpid()}"
    url = {"REDIS_URL": "redis://127.0.0.1:6379/0"}
    put = _cache_in_subprocess(f"cache.set({key!r}, 'drawn once', 30)", **url)
    assert put.returncode == 0, put.stderr
    read = _cache_in_subprocess(f"print(cache.get({key!r})); cache.delete({key!r})", **url)
    assert read.returncode == 0, read.stderr
    assert read.stdout.strip() == "drawn once"


def test_a_command_with_bad_settings_says_what_is_wrong_with_them() -> None:
    """Not Django's "Models aren't loaded yet", which is what a command's checks said otherwise."""
    clean = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
    assert "AppRegistryNotReady" not in result.stderr
