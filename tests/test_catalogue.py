"""The ASFA 2023 catalogue ships with the app, loads idempotently and is browsable."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse

from planner.catalogue import INDICATIONS_CSV, load_indications
from planner.models import Indication
from tests.conftest import logged_in


@pytest.fixture
def catalogue(db: None) -> None:
    load_indications()


def test_the_shipped_catalogue_loads_all_97_indications(db: None) -> None:
    result = load_indications()
    assert (result.created, result.updated, result.unchanged) == (97, 0, 0)
    assert Indication.objects.count() == 97
    assert Indication.objects.filter(category="IV").count() == 3


def test_loading_twice_changes_nothing_and_keeps_local_edits(catalogue: None) -> None:
    ttp = Indication.objects.get(disease__startswith="Thrombotic thrombocytopenic purpura")
    ttp.default_sessions = 9
    ttp.save()
    result = load_indications()
    assert (result.created, result.unchanged) == (0, 97)
    ttp.refresh_from_db()
    assert ttp.default_sessions == 9


def test_update_restores_the_shipped_values(catalogue: None) -> None:
    ttp = Indication.objects.get(disease__startswith="Thrombotic thrombocytopenic purpura")
    ttp.default_sessions = 9
    ttp.save()
    assert load_indications(update=True).updated == 97
    ttp.refresh_from_db()
    assert ttp.default_sessions == 7


@pytest.mark.parametrize(
    ("disease", "indication", "replacement"),
    [
        ("Pemphigus vulgaris", "severe", "albumin"),
        ("Toxic epidermal necrolysis", "refractory", "plasma_or_albumin"),
        ("Idiopathic inflammatory myopathies", "anti-MDA5", "albumin"),
    ],
)
def test_the_three_dermatoses_of_the_seed_review_are_category_iii_grade_2b(
    catalogue: None, disease: str, indication: str, replacement: str
) -> None:
    row = Indication.objects.get(disease=disease, indication__contains=indication)
    assert (row.category, row.grade, row.default_replacement) == ("III", "2B", replacement)
    assert (row.tpv_min, row.tpv_max) == (Decimal("1.0"), Decimal("1.5"))


def test_a_bad_row_loads_nothing_and_names_its_line(db: None, tmp_path: Path) -> None:
    lines = INDICATIONS_CSV.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",I,1B,", ",V,1B,")
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 4: .*category"):
        call_command("load_indications", file=broken)
    assert not Indication.objects.exists()


def test_a_file_missing_columns_is_refused(db: None, tmp_path: Path) -> None:
    short = tmp_path / "short.csv"
    short.write_text("disease,indication\nTTP,\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing columns"):
        call_command("load_indications", file=short)


class TestBrowsing:
    def test_the_list_filters_by_category_and_text(self, catalogue: None, nurse: User) -> None:
        client = logged_in(nurse)
        every = client.get(reverse("indication-list")).content.decode()
        category_iv = client.get(reverse("indication-list"), {"category": "IV"}).content.decode()
        pemphigus = client.get(reverse("indication-list"), {"q": "pemphigus"}).content.decode()
        assert "97 indications" in every
        assert "3 indications" in category_iv
        assert "Psoriasis" in category_iv
        assert "1 indication" in pemphigus
        assert "Pemphigus vulgaris" in pemphigus

    def test_an_unknown_category_is_a_message_not_an_error(self, catalogue: None, nurse: User) -> None:
        response = logged_in(nurse).get(reverse("indication-list"), {"category": "V"})
        assert response.status_code == 200
        assert "Check the filter." in response.content.decode()

    def test_category_iv_is_shown_as_not_recommended(self, catalogue: None, physician: User) -> None:
        psoriasis = Indication.objects.get(disease="Psoriasis")
        body = logged_in(physician).get(reverse("indication-detail", args=[psoriasis.pk])).content.decode()
        assert "ASFA category IV: not recommended." in body

    def test_the_detail_shows_the_planning_defaults(self, catalogue: None, physician: User) -> None:
        pemphigus = Indication.objects.get(disease="Pemphigus vulgaris")
        body = logged_in(physician).get(reverse("indication-detail", args=[pemphigus.pk])).content.decode()
        assert "Daily or every other day" in body
        assert "1–1.5<" in body
        assert "page 197" in body
