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


def test_each_vendored_folder_has_its_licence_and_a_row_in_the_record() -> None:
    vendor = ROOT / "static" / "vendor"
    record = (vendor / "README.md").read_text(encoding="utf-8")
    folders = [folder for folder in vendor.iterdir() if folder.is_dir()]
    assert {folder.name for folder in folders} >= {"bootstrap-5.3.9", "vanillajs-datepicker-1.3.4"}
    for folder in folders:
        assert (folder / "LICENSE").is_file(), folder.name
        assert f"`{folder.name}/" in record, folder.name
