"""Assets are served from our own static folder: hospital networks are often offline."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP = ROOT / "static" / "vendor" / "bootstrap-5.3.9"


def test_bootstrap_is_vendored_with_its_source_maps_and_licence() -> None:
    for name in (
        "css/bootstrap.min.css",
        "css/bootstrap.min.css.map",
        "js/bootstrap.bundle.min.js",
        "js/bootstrap.bundle.min.js.map",
        "LICENSE",
    ):
        assert (BOOTSTRAP / name).is_file(), name
    assert "Bootstrap  v5.3.9" in (BOOTSTRAP / "css" / "bootstrap.min.css").read_text(encoding="utf-8")[:200]


def test_every_vendored_file_is_recorded_with_version_and_licence() -> None:
    record = (ROOT / "static" / "vendor" / "README.md").read_text(encoding="utf-8")
    assert "Bootstrap 5.3.9" in record
    assert "MIT" in record


def test_no_template_loads_anything_from_another_host() -> None:
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        for match in re.finditer(r'(?:src|href)="(https?:)?//', template.read_text(encoding="utf-8")):
            offenders.append(f"{template.relative_to(ROOT)}: {match.group(0)}")
    assert not offenders
