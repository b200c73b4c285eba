"""The replacement-fluid rule as a table: the catalogue default and the patient's facts give a plan and reasons."""

import pytest

from planner.core.fluid_rules import FluidChoice, FluidThresholds, PatientFacts, propose_fluid


@pytest.mark.parametrize(
    ("scenario", "default", "facts", "choice", "reason"),
    [
        ("pemphigus vulgaris, usual", "albumin", PatientFacts(), FluidChoice.ALBUMIN, "usual replacement"),
        (
            "pemphigus vulgaris, fibrinogen 0.8 before session 3",
            "albumin",
            PatientFacts(fibrinogen_g_per_l=0.8),
            FluidChoice.ALBUMIN_PLASMA_LAST,
            "Fibrinogen 0.8 g/L is below the 1 g/L trigger: last third plasma.",
        ),
        (
            "TEN, plasma or albumin, nothing else",
            "plasma_or_albumin",
            PatientFacts(),
            FluidChoice.ALBUMIN,
            "albumin unless a reason for plasma",
        ),
        (
            "TEN with a skin biopsy yesterday",
            "plasma_or_albumin",
            PatientFacts(procedure_within_48h=True),
            FluidChoice.ALBUMIN_PLASMA_LAST,
            "Surgery or a biopsy within 48 hours: last third plasma.",
        ),
        (
            "anti-MDA5 CADM, weekly, fibrinogen 2.4",
            "albumin",
            PatientFacts(fibrinogen_g_per_l=2.4),
            FluidChoice.ALBUMIN,
            "usual replacement",
        ),
        ("TTP", "plasma", PatientFacts(is_ttp_or_tma=True), FluidChoice.PLASMA, "TTP or another thrombotic"),
        (
            "liver failure on an albumin indication",
            "albumin",
            PatientFacts(liver_failure=True),
            FluidChoice.PLASMA,
            "Liver failure",
        ),
        (
            "diffuse alveolar haemorrhage",
            "albumin",
            PatientFacts(diffuse_alveolar_haemorrhage=True),
            FluidChoice.PLASMA,
            "Diffuse alveolar haemorrhage",
        ),
        (
            "bleeding",
            "albumin",
            PatientFacts(bleeding_or_coagulopathy=True),
            FluidChoice.ALBUMIN_PLASMA_LAST,
            "Bleeding or coagulopathy",
        ),
        ("catalogue plasma last", "plasma_last", PatientFacts(), FluidChoice.ALBUMIN_PLASMA_LAST, "plasma last"),
        (
            "stable, saline share wanted",
            "albumin",
            PatientFacts(saline_share_wanted=True, age_years=40),
            FluidChoice.ALBUMIN_SALINE,
            "20% saline first",
        ),
        (
            "elderly, saline share refused",
            "albumin",
            PatientFacts(saline_share_wanted=True, age_years=78),
            FluidChoice.ALBUMIN,
            "No saline share at age 78",
        ),
        (
            "saline wanted but plasma needed",
            "albumin",
            PatientFacts(saline_share_wanted=True, age_years=40, bleeding_or_coagulopathy=True),
            FluidChoice.ALBUMIN_PLASMA_LAST,
            "No saline share: plasma is needed.",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and " " in value else "",
)
def test_proposal(scenario: str, default: str, facts: PatientFacts, choice: FluidChoice, reason: str) -> None:
    proposal = propose_fluid(default, facts)
    assert proposal.choice is choice
    assert any(reason in given for given in proposal.reasons), proposal.reasons
    assert abs(proposal.albumin_fraction + proposal.plasma_fraction + proposal.saline_fraction - 1) < 1e-9


def test_the_strongest_plan_wins_and_every_reason_is_listed() -> None:
    proposal = propose_fluid("albumin", PatientFacts(is_ttp_or_tma=True, fibrinogen_g_per_l=0.5))
    assert proposal.choice is FluidChoice.PLASMA
    assert len(proposal.reasons) == 3


def test_thresholds_are_settings() -> None:
    strict = FluidThresholds(fibrinogen_trigger_g_per_l=1.5, plasma_last_share=0.5)
    proposal = propose_fluid("albumin", PatientFacts(fibrinogen_g_per_l=1.2), strict)
    assert (proposal.choice, proposal.plasma_fraction) == (FluidChoice.ALBUMIN_PLASMA_LAST, 0.5)
    assert "below the 1.5 g/L trigger: last 50% plasma" in proposal.reasons[-1]
    assert propose_fluid("albumin", PatientFacts(fibrinogen_g_per_l=0.9)).choice is FluidChoice.ALBUMIN_PLASMA_LAST
    assert propose_fluid("albumin", PatientFacts(fibrinogen_g_per_l=1.0)).choice is FluidChoice.ALBUMIN
