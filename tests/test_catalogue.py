"""The ASFA 2023 catalogue ships with the app, loads idempotently and is browsable."""

import csv
import io
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from planner import plans
from planner.calculator import ExchangeForm
from planner.catalogue import INDICATIONS_CSV, CatalogueError, load_indications
from planner.models import AdsorptionColumn, Device, Fractionator, Indication, Product
from planner.standard_catalogue import load_catalogue
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


# What each replacement policy means for a standard adult (40 years, fibrinogen 3.0 g/L, no other
# facts), from the policy's definition in issue 12 and clinical-reference.md §3: (albumin, plasma, saline).
POLICY_MEANS = {
    "plasma_required": (0.0, 1.0, 0.0),
    "plasma_last": (0.667, 0.333, 0.0),
    "plasma_or_albumin": (1.0, 0.0, 0.0),
    "albumin": (1.0, 0.0, 0.0),
    "plasma_avoided": (1.0, 0.0, 0.0),
}
# ASFA's usual fluid -> the policy, for every row the CSV does not give a source of its own.
POLICY_OF_DEFAULT = {
    "plasma": "plasma_required",
    "plasma_last": "plasma_last",
    "plasma_or_albumin": "plasma_or_albumin",
    "albumin": "albumin",
}


def _rows() -> list[dict[str, str]]:
    with INDICATIONS_CSV.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_row_has_a_policy_and_every_departure_from_asfas_fluid_names_its_source() -> None:
    rows = _rows()
    assert len(rows) == 97
    for row in rows:
        assert row["replacement_policy"] in POLICY_MEANS, row["disease"]
        departs = row["replacement_policy"] != POLICY_OF_DEFAULT[row["default_replacement"]]
        assert bool(row["policy_source"]) == departs, (row["disease"], row["indication"])
    counts = Counter(row["replacement_policy"] for row in rows)
    assert counts == {
        "albumin": 76,
        "plasma_required": 17,
        "plasma_or_albumin": 2,
        "plasma_last": 1,
        "plasma_avoided": 1,
    }


def test_pneumococcal_hus_avoids_plasma_whatever_its_name_says(catalogue: None) -> None:
    row = Indication.objects.get(indication="pneumococcal HUS")
    assert "microangiopathy" in row.disease  # the word that once made it TTP-like
    assert row.replacement_policy == "plasma_avoided"
    assert "anti-T" in row.policy_source


def test_the_proposal_for_a_standard_adult_follows_each_of_the_97_rows(catalogue: None) -> None:
    walked = Counter()
    for indication in Indication.objects.all():
        proposal = plans.propose(indication, age_years=40, facts={}, fibrinogen_g_per_l=3.0)
        shares = tuple(round(value, 3) for value in proposal.shares.values())
        assert shares == POLICY_MEANS[indication.replacement_policy], str(indication)
        walked[indication.replacement_policy] += 1
    assert sum(walked.values()) == 97


def test_a_policy_is_data_an_administrator_can_change(catalogue: None) -> None:
    tmp = Indication.objects.get(indication="pneumococcal HUS")
    facts = {"bleeding_or_coagulopathy": True}
    assert plans.propose(tmp, age_years=40, facts=facts, fibrinogen_g_per_l=3.0).shares.plasma == 0
    tmp.replacement_policy = "albumin"
    tmp.save()
    assert plans.propose(tmp, age_years=40, facts=facts, fibrinogen_g_per_l=3.0).shares.plasma == pytest.approx(1 / 3)
    assert load_indications().unchanged == 97  # loading again keeps the local edit
    tmp.refresh_from_db()
    assert tmp.replacement_policy == "albumin"


def test_the_database_refuses_a_policy_it_does_not_know(catalogue: None) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Indication.objects.filter(indication="pneumococcal HUS").update(replacement_policy="plasma-ish")


def test_a_fresh_installation_calculates_at_once_and_says_its_values_are_unchecked(db: None) -> None:
    out = io.StringIO()
    call_command("load_catalogue", stdout=out)
    assert "standard devices added" in out.getvalue()
    assert Product.objects.filter(is_default=True, is_verified=False).count() == 3
    optia = Device.objects.get()
    assert optia.plan_values() == {
        "kind": "centrifugal",
        "ecv_typical_ml": 141,
        "ecv_max_ml": 185,
        "plasma_removal_efficiency": "0.87",
        "default_inlet_ac_ratio": "10",
    }
    form = ExchangeForm({"sex": "male", "weight_kg": "70", "height_cm": "175", "haematocrit": "0.40"})
    assert form.is_valid(), form.errors
    assert form.plan.rounded["replacement"]["albumin_vials"] == 15  # Example A: 144.7 g -> 15 vials
    assert "catalogue_not_verified" in form.plan.warning_codes


def test_loading_the_catalogue_again_never_overwrites_the_units_own(db: None) -> None:
    load_catalogue()
    Product.objects.filter(kind="albumin").update(package_volume_ml=100, is_verified=True)
    Device.objects.update(name="Optia A", plasma_removal_efficiency=Decimal("0.85"))
    Product.objects.filter(kind="saline").delete()
    again = load_catalogue()
    assert (again.indications.created, again.devices) == (0, [])
    assert Product.objects.get(kind="albumin").package_volume_ml == 100
    assert Device.objects.get().name == "Optia A"
    # A kind the unit has none of gets the standard row back, marked for checking.
    assert again.products == ["Sodium chloride 0.9 % 500 mL bag"]
    assert not Product.objects.get(kind="saline").is_verified


def test_an_administrator_marks_standard_rows_checked(db: None) -> None:
    load_catalogue()
    root = User.objects.create_superuser(username="root", password="x")
    client = logged_in(root)
    client.post(
        reverse("admin:planner_device_changelist"),
        {"action": "mark_verified", "_selected_action": list(Device.objects.values_list("pk", flat=True))},
    )
    assert Device.objects.get().is_verified
    page = client.get(reverse("device-list")).content.decode()
    devices = page.split('id="fractionators"')[0]
    assert "not checked by the unit" not in devices
    # The fractionators on the same page are still the standard values until marked in their turn.
    assert "not checked by the unit" in page.split('id="fractionators"')[1]
    client.post(
        reverse("admin:planner_fractionator_changelist"),
        {"action": "mark_verified", "_selected_action": list(Fractionator.objects.values_list("pk", flat=True))},
    )
    client.post(
        reverse("admin:planner_adsorptioncolumn_changelist"),
        {"action": "mark_verified", "_selected_action": list(AdsorptionColumn.objects.values_list("pk", flat=True))},
    )
    assert "not checked by the unit" not in client.get(reverse("device-list")).content.decode()
    assert "not checked by the unit" in client.get(reverse("product-list")).content.decode()


def test_loading_again_finds_a_renamed_row_by_its_key_and_leaves_it_alone(catalogue: None) -> None:
    row = Indication.objects.get(disease="Pemphigus vulgaris", indication="severe")
    row.indication, row.disease_zh, row.is_active = "severe (unit protocol)", "", False
    row.save()
    result = call_command_output("load_catalogue")
    assert "0 created, 0 updated, 97 unchanged" in result
    row.refresh_from_db()
    assert (row.indication, row.disease_zh, row.is_active) == ("severe (unit protocol)", "", False)
    assert Indication.objects.filter(disease="Pemphigus vulgaris").count() == 1
    assert load_indications(update=True).updated == 97
    row.refresh_from_db()
    assert (row.indication, row.disease_zh) == ("severe", "寻常型天疱疮")


def test_a_shipped_row_an_administrator_entered_by_hand_is_named_not_duplicated(db: None) -> None:
    Indication.objects.create(
        disease="Pemphigus vulgaris",
        indication="severe",
        category="III",
        grade="2B",
        default_replacement="albumin",
        replacement_policy="albumin",
        tpv_min=Decimal("1.0"),
        tpv_max=Decimal("1.5"),
        default_frequency="daily",
        default_sessions=5,
    )
    with pytest.raises(CatalogueError, match="Pemphigus vulgaris — severe exists already without this key"):
        load_indications()
    assert Indication.objects.count() == 1


def test_indications_are_taken_out_of_use_not_deleted(catalogue: None) -> None:
    root = User.objects.create_superuser(username="root", password="x")
    row = Indication.objects.first()
    response = logged_in(root).get(reverse("admin:planner_indication_delete", args=[row.pk]))
    assert response.status_code == 403


def call_command_output(name: str) -> str:
    out = io.StringIO()
    call_command(name, stdout=out)
    return out.getvalue()
