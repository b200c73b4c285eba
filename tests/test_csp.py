"""Content Security Policy and production security settings.

The browser tests (tests/test_browser.py) fail on any CSP violation Chromium reports; these tests
check the header itself, the nonce, and that no template reintroduces inline script or style.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.contrib.auth.models import User
from django.test import Client

from planner.models import Course, Patient
from tests.workflow import create

ROOT = Path(__file__).resolve().parent.parent


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_every_page_carries_a_policy_without_unsafe_inline(client: Client, physician: User, patient: Patient) -> None:
    client.force_login(physician)
    for url in ("/", f"/patients/{patient.pk}/", "/calendar/", "/accounts/login/"):
        policy = _policy(client.get(url, follow=True))
        assert policy["default-src"] == ["'self'"], url
        assert policy["style-src"] == ["'self'"], url
        assert policy["frame-ancestors"] == ["'none'"], url
        assert policy["object-src"] == ["'none'"], url
        assert "'unsafe-inline'" not in policy["script-src"], url
        assert "'unsafe-eval'" not in policy["script-src"], url


def test_the_htmx_script_carries_the_nonce_of_its_own_response(client: Client, physician: User) -> None:
    client.force_login(physician)
    nonces = []
    for _ in range(2):
        response = client.get("/calculator/")
        header_nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        tag = re.search(r"<script[^>]*htmx[^>]*>", response.content.decode()).group(0)
        assert f'nonce="{header_nonce}"' in tag
        nonces.append(header_nonce)
    assert nonces[0] != nonces[1], "a nonce must be fresh for every response"


def test_a_page_without_inline_script_sends_no_nonce(client: Client, physician: User) -> None:
    client.force_login(physician)
    assert "nonce-" not in client.get("/calendar/")["Content-Security-Policy"]


INLINE = [
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
    (re.compile(r"\shx-on", re.I), "hx-on (evaluated by htmx)"),
]


def test_no_page_template_has_inline_script_or_style() -> None:
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        if template.parts[-2] == "pdf":  # WeasyPrint documents never reach a browser
            continue
        text = template.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{template.relative_to(ROOT)}:{line}: {what}")
    assert not offenders


def test_pdfs_are_exempt_because_the_browser_viewer_needs_it(client: Client, physician: User, patient: Patient) -> None:
    create(physician, patient)
    course = Course.objects.get()
    client.force_login(physician)
    response = client.get(f"/courses/{course.pk}/order.pdf")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response


def _env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip('"')
    return values


def test_check_deploy_is_clean_with_the_production_values_of_env_example() -> None:
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "DATABASE_URL", "SECRET_KEY"}}
    env.update(_env_example())
    # The placeholder key is rightly refused (W009); a deployment puts a real one there.
    assert env["SECRET_KEY"].startswith("change-me")
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout
