"""The same calculation from three doors: the command line, the JSON API and the web calculator."""

import json
import re
import subprocess
import sys
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from planner.catalogue import load_indications
from planner.demo import DEMO_DEVICES, DEMO_PRODUCTS
from planner.models import ApiToken, Device, Indication, Product
from tests.conftest import logged_in
from tests.factories import make_measurement, make_patient

EXAMPLE_A = {"sex": "male", "weight_kg": 70, "height_cm": 175, "haematocrit": 0.40}
JSON_KEYS = {
    "method",
    "total_blood_volume_ml",
    "plasma_volume_ml",
    "plasma_volumes",
    "exchange_volume_ml",
    "removal_fraction",
    "replacement",
    "whole_blood_processed_ml",
    "inlet_volume_ml",
    "anticoagulant_ml",
    "duration_min",
    "calcium_gluconate_ml",
    "extracorporeal_percent",
    "warnings",
}
REPLACEMENT_KEYS = {
    "albumin_ml",
    "albumin_g",
    "albumin_vials",
    "albumin_diluent_ml",
    "plasma_ml",
    "plasma_units",
    "saline_ml",
}


@pytest.fixture
def indications(db: None) -> None:
    load_indications()


@pytest.fixture
def catalogue(db: None) -> None:
    for values in DEMO_DEVICES:
        Device.objects.create(**values)
    for values in DEMO_PRODUCTS:
        Product.objects.create(**values)


class TestCommandLine:
    def run(self, *args: str) -> str:
        out = StringIO()
        call_command("exchange_plan", *args, stdout=out)
        return out.getvalue()

    def test_json_carries_every_documented_key(self, catalogue: None) -> None:
        result = json.loads(
            self.run("--sex", "male", "--weight-kg", "70", "--height-cm", "175", "--haematocrit", "0.40", "--json")
        )
        assert result.keys() >= JSON_KEYS
        assert result["replacement"].keys() >= REPLACEMENT_KEYS
        assert (result["total_blood_volume_ml"], result["replacement"]["albumin_vials"]) == (4824, 15)
        assert result["device"] == "Spectra Optia 1"

    def test_text_is_for_people(self, catalogue: None) -> None:
        text = self.run(
            "--sex",
            "female",
            "--weight-kg",
            "55",
            "--height-cm",
            "160",
            "--haematocrit",
            "0.35",
            "--albumin-fraction",
            "0",
            "--plasma-fraction",
            "1",
        )
        assert "Blood volume (Nadler" in text
        assert "plasma (last): 2250 mL -> 23 units" in text
        assert "No warnings." in text

    def test_options_reach_the_calculation(self, catalogue: None) -> None:
        result = json.loads(
            self.run(
                "--sex",
                "male",
                "--weight-kg",
                "70",
                "--height-cm",
                "175",
                "--haematocrit",
                "0.4",
                "--method",
                "manual",
                "--tbv-ml",
                "5000",
                "--tbv-reason",
                "Optia screen",
                "--plasma-volumes",
                "1.5",
                "--device",
                "Membrane separator 1",
                "--json",
            )
        )
        assert (result["method"], result["total_blood_volume_ml"], result["plasma_volumes"]) == ("manual", 5000, 1.5)
        assert result["anticoagulant_ml"] is None

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--haematocrit", "40"], "--haematocrit: Haematocrit is a fraction: did you mean 0.40?"),
            (["--haematocrit", "0.4", "--weight-kg", "0"], "--weight-kg: "),
            (["--haematocrit", "0.4", "--method", "gilcher"], "--build: The Gilcher rule needs a build"),
            (["--haematocrit", "abc"], "--haematocrit: Enter a number."),
        ],
    )
    def test_bad_input_is_a_command_error_naming_the_option(
        self, catalogue: None, args: list[str], message: str
    ) -> None:
        base = ["--sex", "male", "--weight-kg", "70", "--height-cm", "175"]
        with pytest.raises(CommandError, match=message.replace("?", r"\?")):
            self.run(*base, *args)

    def test_bad_input_exits_non_zero_with_the_message_on_stderr(self, tmp_path: object) -> None:
        env = {"DEBUG": "1", "PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite3"}

        def manage(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "manage.py", *args], capture_output=True, text=True, env=env, check=False
            )

        assert manage("migrate", "-v0").returncode == 0
        assert manage("seed_demo").returncode == 0
        result = manage(
            "exchange_plan", "--sex", "male", "--weight-kg", "70", "--height-cm", "175", "--haematocrit", "45"
        )
        assert result.returncode == 1
        assert "did you mean 0.45?" in result.stderr
        assert result.stdout == ""

    def test_help_lists_every_option_and_exits_cleanly(self) -> None:
        result = subprocess.run(
            [sys.executable, "manage.py", "exchange_plan", "--help"],
            capture_output=True,
            text=True,
            env={"DEBUG": "1", "PATH": "/usr/bin:/bin"},
            check=False,
        )
        assert result.returncode == 0, result.stderr
        text = " ".join(result.stdout.split())
        assert "Fluid balance (1.0 = 100 %)" in text
        for option in ("--indication", "--sessions", "--interval-hours", "--igg-g-per-l", "--bleeding-or-coagulopathy"):
            assert option in text

    def test_an_indication_by_name_brings_the_proposal_and_the_course_with_its_warnings(
        self, catalogue: None, indications: None
    ) -> None:
        result = json.loads(
            self.run(
                *("--sex", "female", "--weight-kg", "58", "--height-cm", "158", "--haematocrit", "0.38"),
                *("--age-years", "58", "--fibrinogen-g-per-l", "3.0", "--igg-g-per-l", "13.2"),
                *("--indication", "pemphigus vulgaris | SEVERE", "--sessions", "5", "--interval-hours", "24"),
                "--json",
            )
        )
        proposal = result["proposal"]
        assert (proposal["choice"], proposal["albumin_fraction"]) == ("albumin", 1.0)
        assert proposal["reasons"] == ["ASFA's usual replacement for this indication is albumin."]
        course = result["course"]
        assert course["fibrinogen_low_sessions"] == [3, 4, 5]
        assert [s["number"] for s in result["session_fluids"]] == [3, 4, 5]
        (warning,) = [w for w in result["warnings"] if w["code"] == "fibrinogen_projected_below_trigger"]
        assert warning["sessions"] == [3, 4, 5]
        assert course["sessions"][0]["igg_before_g_per_l"] == 13.2

    def test_a_plasma_avoided_indication_by_id_keeps_the_plan_plasma_free(
        self, catalogue: None, indications: None
    ) -> None:
        hus = Indication.objects.get(indication="pneumococcal HUS")
        text = self.run(
            *("--sex", "male", "--weight-kg", "70", "--height-cm", "175", "--haematocrit", "0.4"),
            *("--indication", str(hus.pk), "--bleeding-or-coagulopathy"),
        )
        assert "Fluid proposed: albumin 1, plasma 0" in text
        assert "WARNING plasma_avoided" in text

    def test_an_unknown_indication_is_named(self, catalogue: None, indications: None) -> None:
        with pytest.raises(CommandError, match=re.escape("--indication: No indication Gout | acute in the catalogue")):
            self.run(
                "--sex",
                "male",
                "--weight-kg",
                "70",
                "--height-cm",
                "175",
                "--haematocrit",
                "0.4",
                "--indication",
                "Gout | acute",
            )

    def test_without_a_catalogue_it_says_what_to_set_up(self, db: None) -> None:
        with pytest.raises(CommandError, match="is set up: an administrator adds one"):
            self.run("--sex", "male", "--weight-kg", "70", "--height-cm", "175", "--haematocrit", "0.4")


class TestApi:
    url = "/api/v1/exchange-plan"

    def post(self, client: Client, data: object, **headers: str):
        return client.post(self.url, json.dumps(data), content_type="application/json", headers=headers)

    def test_a_logged_in_nurse_gets_the_plan(self, catalogue: None, nurse: User) -> None:
        response = self.post(logged_in(nurse), EXAMPLE_A)
        assert response.status_code == 200
        assert response.json().keys() >= JSON_KEYS
        assert response.json()["exchange_volume_ml"] == 2894

    def test_bad_input_is_a_400_with_field_errors(self, catalogue: None, nurse: User) -> None:
        response = self.post(logged_in(nurse), EXAMPLE_A | {"haematocrit": 40, "weight_kg": "heavy"})
        assert response.status_code == 400
        assert response.json()["errors"]["weight_kg"] == ["Enter a number."]

    def test_a_calculation_limit_is_a_400_on_its_field(self, catalogue: None, nurse: User) -> None:
        response = self.post(logged_in(nurse), EXAMPLE_A | {"haematocrit": 40})
        assert response.status_code == 400
        assert response.json()["errors"] == {"haematocrit": ["Haematocrit is a fraction: did you mean 0.40?"]}

    @pytest.mark.parametrize("body", ["not json", "[1, 2]", "null", '"text"'])
    def test_a_body_that_is_not_a_json_object_is_a_400(self, catalogue: None, nurse: User, body: str) -> None:
        response = logged_in(nurse).post(self.url, body, content_type="application/json")
        assert response.status_code == 400

    def test_anonymous_gets_401_with_the_bearer_challenge(self, catalogue: None) -> None:
        response = self.post(Client(), EXAMPLE_A)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")

    def test_a_session_request_without_the_csrf_token_is_refused(self, catalogue: None, nurse: User) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(nurse)
        assert self.post(client, EXAMPLE_A).status_code == 403

    def test_a_token_acts_as_its_user_and_can_be_revoked(self, catalogue: None, nurse: User) -> None:
        token, key = ApiToken.issue(user=nurse, name="LIS bridge", issued_by=nurse)
        client = Client(enforce_csrf_checks=True)
        assert self.post(client, EXAMPLE_A, Authorization=f"Bearer {key}").status_code == 200
        token.refresh_from_db()
        assert token.last_used_at is not None
        assert key not in token.key_hash
        token.revoked_at = token.last_used_at
        token.save()
        assert self.post(client, EXAMPLE_A, Authorization=f"Bearer {key}").status_code == 401

    def test_a_wrong_token_is_a_401(self, catalogue: None) -> None:
        assert self.post(Client(), EXAMPLE_A, Authorization="Bearer apk_guess").status_code == 401

    def test_a_token_has_no_more_rights_than_its_user(self, catalogue: None, no_role: User) -> None:
        _, key = ApiToken.issue(user=no_role, name="x", issued_by=no_role)
        assert self.post(Client(), EXAMPLE_A, Authorization=f"Bearer {key}").status_code == 403

    def test_an_indication_brings_the_proposal_and_the_course_with_stable_codes(
        self, catalogue: None, indications: None, nurse: User
    ) -> None:
        ttp = Indication.objects.get(disease__startswith="Thrombotic thrombocytopenic")
        body = EXAMPLE_A | {"indication": ttp.pk, "age_years": 40, "sessions": 3, "interval_hours": 24}
        result = self.post(logged_in(nurse), body).json()
        assert (result["proposal"]["choice"], result["shares"]["plasma_fraction"]) == ("plasma", 1.0)
        assert result["replacement"]["plasma_units"] == 29  # Example A, all plasma: 29 U
        assert len(result["course"]["sessions"]) == 3
        cadm = Indication.objects.get(indication__startswith="clinically amyopathic")
        shares_given = EXAMPLE_A | {"indication": cadm.pk, "albumin_fraction": 0.8, "saline_fraction": 0.2}
        assert self.post(logged_in(nurse), shares_given).json()["shares"]["saline_fraction"] == 0.2
        unknown = self.post(logged_in(nurse), EXAMPLE_A | {"indication": 99999})
        assert unknown.status_code == 400 and "indication" in unknown.json()["errors"]

    def test_get_is_not_allowed(self, nurse: User) -> None:
        assert logged_in(nurse).get(self.url).status_code == 405


class TestWebCalculator:
    def test_the_patient_values_are_filled_in_with_their_dates_and_computed(
        self, catalogue: None, physician: User
    ) -> None:
        patient = make_patient(by=physician, sex="male")
        make_measurement(
            patient=patient,
            by=physician,
            weight_kg=Decimal("70"),
            height_cm=Decimal("175"),
            haematocrit=Decimal("0.400"),
        )
        body = logged_in(physician).get(reverse("calculator"), {"patient": patient.pk}).content.decode()
        assert "Filled in from the patient's record" in body
        assert "4\u202f824\u00a0mL" in body  # total blood volume
        assert "Nadler: 0.3669·H³" in body  # the formula, one click away
        assert "Weinstein, J Clin Apher 1996" in body
        assert "Spectra Optia 1, plasma removal efficiency 0.87" in body

    def test_htmx_gets_only_the_results(self, catalogue: None, nurse: User) -> None:
        response = logged_in(nurse).post(
            reverse("calculator"), EXAMPLE_A | {"plasma_volumes": "2"}, headers={"HX-Request": "true"}
        )
        body = response.content.decode()
        assert "<html" not in body
        assert 'data-code="plasma_volumes_outside_1_to_1_5"' in body

    def test_without_javascript_a_submit_renders_the_whole_page(self, catalogue: None, nurse: User) -> None:
        body = logged_in(nurse).post(reverse("calculator"), EXAMPLE_A).content.decode()
        assert "<html" in body
        assert "2\u202f894\u00a0mL" in body

    def test_bad_input_is_listed_beside_the_results(self, catalogue: None, nurse: User) -> None:
        body = logged_in(nurse).post(reverse("calculator"), EXAMPLE_A | {"haematocrit": "40"}).content.decode()
        assert "Haematocrit (fraction): Haematocrit is a fraction: did you mean 0.40?" in body

    def test_the_page_loads_htmx_from_our_own_static_files(self, catalogue: None, nurse: User) -> None:
        body = logged_in(nurse).get(reverse("calculator")).content.decode()
        assert 'src="/static/django_htmx/htmx-2.min.js"' in body

    def test_a_role_without_patient_access_cannot_prefill_from_a_patient(
        self, catalogue: None, physician: User, no_role: User
    ) -> None:
        patient = make_patient(by=physician)
        assert logged_in(no_role).get(reverse("calculator"), {"patient": patient.pk}).status_code == 403

    def test_an_unknown_patient_is_a_404(self, catalogue: None, nurse: User) -> None:
        assert logged_in(nurse).get(reverse("calculator"), {"patient": "999"}).status_code == 404
        assert logged_in(nurse).get(reverse("calculator"), {"patient": "x"}).status_code == 404


def test_an_admin_issues_a_token_and_sees_the_key_once(db: None) -> None:
    admin_user = User.objects.create_superuser(username="root", password="x")
    client = logged_in(admin_user)
    response = client.post(reverse("admin:planner_apitoken_add"), {"user": admin_user.pk, "name": "LIS"}, follow=True)
    token = ApiToken.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    assert any("apk_" in message and "will not be shown again" in message for message in shown)
    key = next(word for message in shown for word in message.split() if word.startswith("apk_"))
    assert ApiToken.hash_key(key) == token.key_hash
    client.post(reverse("admin:planner_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_paediatric_table_is_a_setting(catalogue: None, nurse: User, settings: object) -> None:
    settings.PAEDIATRIC_ML_PER_KG = (100, 85, 80, 70)
    child = {"sex": "female", "weight_kg": 12, "height_cm": 88, "haematocrit": 0.34, "age_years": 2}
    response = logged_in(nurse).post(
        "/api/v1/exchange-plan", json.dumps(child | {"method": "paediatric"}), content_type="application/json"
    )
    assert response.json()["total_blood_volume_ml"] == 840
