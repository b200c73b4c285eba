"""Chinese and English: every string translated, every page and the printed order in both languages."""

import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import polib
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from planner import printing
from planner.models import AdsorptionColumn, Course, Device, Fractionator, Indication, Patient, Product
from tests import workflow
from tests.conftest import logged_in
from tests.test_printing import text_of

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "planner" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdf]|%[sd]|\{\{ ?[a-z_.]+ ?\}\}")


def test_every_message_is_translated_with_its_placeholders() -> None:
    catalogue = polib.pofile(str(PO))
    assert not [entry.msgid for entry in catalogue.untranslated_entries()]
    assert not [entry.msgid for entry in catalogue.fuzzy_entries()]
    for entry in catalogue:
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(PLACEHOLDER.findall(translation)), entry.msgid


@pytest.mark.skipif(not shutil.which("xgettext"), reason="gettext is not installed: apt-get install gettext")
def test_no_string_marked_for_translation_is_missing_from_the_catalogue(tmp_path: Path) -> None:
    """makemessages over a copy of the code: a new or changed string that nobody translated fails here."""
    for part in ("planner", "templates", "manage.py"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy(source, tmp_path / part)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=tmp_path,
        env={"DEBUG": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)},
        check=True,
        capture_output=True,
    )
    fresh = polib.pofile(str(tmp_path / "planner" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    committed = {(entry.msgctxt, entry.msgid) for entry in polib.pofile(str(PO))}
    new = sorted(entry.msgid for entry in fresh if (entry.msgctxt, entry.msgid) not in committed)
    assert not new, f"strings without a translation (run makemessages and translate them): {new}"


def zh(user: User) -> Client:
    client = logged_in(user)
    client.cookies["django_language"] = "zh-hans"
    return client


# Latin-script words a Chinese page may keep: units, abbreviations, names of methods, devices and products.
ALLOWED = {
    "mL",
    "g/L",
    "kg",
    "cm",
    "min",
    "mmHg",
    "mmol/L",
    "h",
    "ASFA",
    "ACD-A",
    "IgG",
    "ABO",
    "RhD",
    "TTP",
    "PDF",
    "Nadler",
    "Gilcher",
    "Lemmens",
    "et",
    "al",
    "BMI",
    "Spectra",
    "Optia",
    "WAA",
    "CSV",
    "ISO",
    "LDH",
    "Hb",
    "iCa",
    "TPE",
}
ENGLISH_PHRASE = re.compile(r"\b[A-Za-z][a-z]{2,}(?:[ -][a-z]{2,}){1,}\b")


def english_left(html: str, known: set[str]) -> list[str]:
    """Runs of two or more ordinary English words in the visible text of a page (a heuristic that works)."""
    body = html.split("<main", 1)[-1].split(">", 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    text = unescape(re.sub(r"<[^>]+>", " ", body))
    for word in sorted(known, key=len, reverse=True):
        text = text.replace(word, " ")
    return [phrase for phrase in ENGLISH_PHRASE.findall(text) if not set(phrase.split()) <= ALLOWED]


@pytest.fixture
def signed(patient: Patient, physician: User) -> Course:
    return workflow.signed(physician, patient)


def test_the_pages_staff_use_are_in_chinese(signed: Course, physician: User, nurse: User) -> None:
    patient = signed.patient
    procedure = signed.procedures.first()
    known = {
        patient.family_name,
        patient.given_name,
        patient.mrn,
        *Device.objects.values_list("name", flat=True),
        *Product.objects.values_list("name", flat=True),
        *Fractionator.objects.values_list("name", flat=True),
        *AdsorptionColumn.objects.values_list("name", flat=True),
    }
    pages = {
        "patient list": reverse("patient-list"),
        "patient": reverse("patient-detail", args=[patient.pk]),
        "new course": reverse("course-create", args=[patient.pk]) + f"?indication={signed.indication.pk}",
        "course": reverse("course-detail", args=[signed.pk]),
        "calendar": reverse("calendar") + f"?on={timezone.localtime(procedure.starts_at):%Y-%m-%d}",
        "session record": reverse("procedure-record", args=[procedure.pk]),
        "calculator": reverse("calculator") + f"?patient={patient.pk}",
        "indications": reverse("indication-list"),
        "indication": reverse("indication-detail", args=[signed.indication.pk]),
    }
    leftovers = {}
    for name, url in pages.items():
        response = zh(physician).get(url)
        assert response.status_code == 200, name
        page = response.content.decode()
        assert '<html lang="zh-hans">' in page, name
        found = english_left(page, known)
        if found:
            leftovers[name] = found
    assert not leftovers


def test_a_page_in_each_language(signed: Course, physician: User) -> None:
    url = reverse("course-detail", args=[signed.pk])
    english = logged_in(physician).get(url).content.decode()
    chinese = zh(physician).get(url).content.decode()
    assert "Replacement" not in chinese and "寻常型天疱疮" in chinese and "人血白蛋白" in chinese
    assert "Pemphigus vulgaris" in english and "人血白蛋白" not in english


def test_the_switcher_remembers_the_choice(physician: User) -> None:
    client = logged_in(physician)
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("patient-list")})
    assert response.status_code == 302 and response["Location"] == reverse("patient-list")
    assert response.cookies["django_language"]["max-age"] == 365 * 24 * 3600
    assert "患者" in client.get(reverse("patient-list")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Patients" in client.get(reverse("patient-list")).content.decode()


def test_the_login_page_offers_both_languages() -> None:
    page = Client().get(reverse("login")).content.decode()
    assert 'value="zh-hans"' in page and "简体中文" in page and 'value="en"' in page


def test_iso_dates_are_accepted_in_chinese(physician: User) -> None:
    data = {"mrn": "ZH-1", "family_name": "李", "given_name": "静", "sex": "female", "date_of_birth": "1978-03-14"}
    response = zh(physician).post(reverse("patient-create"), {**data, "abo_group": "", "rhd": ""})
    assert response.status_code == 302
    assert str(Patient.objects.get(mrn="ZH-1").date_of_birth) == "1978-03-14"


def test_the_catalogue_is_in_both_languages(unit: None) -> None:
    assert not Indication.objects.filter(disease_zh="").exists()
    pemphigus = Indication.objects.get(disease="Pemphigus vulgaris")
    assert pemphigus.disease_zh == "寻常型天疱疮"


def test_the_order_sheet_prints_in_each_language(signed: Course) -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        chinese = text_of(printing.order_sheet_pdf(signed))
    with translation.override("en"):
        english = text_of(printing.order_sheet_pdf(signed))
    for term in ("血浆置换", "人血白蛋白", "寻常型天疱疮", "全血容量", "血浆容量", "血细胞比容"):
        assert term in chinese, term
    assert "Plasma exchange" in english or "plasma exchange" in english
    assert "人血白蛋白" not in english
