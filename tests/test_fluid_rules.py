"""The replacement-fluid rule as a table: the indication's policy and the patient's facts give a plan and reasons.

Expected shares come from the rule as the clinical reference states it (§3): plasma-last is the
last third, a saline share is 20 %, given first; never from running the code.
"""

import pytest

from planner.core.fluid_rules import (
    FluidChoice,
    FluidThresholds,
    PatientFacts,
    ReplacementPolicy,
    propose_fluid,
)
from planner.core.replacement import Shares

ALBUMIN = ReplacementPolicy.ALBUMIN
EITHER = ReplacementPolicy.PLASMA_OR_ALBUMIN
AVOIDED = ReplacementPolicy.PLASMA_AVOIDED
ADULT = {"age_years": 40}

ALL_ALBUMIN = (1.0, 0.0, 0.0)
LAST_THIRD = (2 / 3, 1 / 3, 0.0)
ALL_PLASMA = (0.0, 1.0, 0.0)
SALINE_FIFTH = (0.8, 0.0, 0.2)


@pytest.mark.parametrize(
    ("scenario", "policy", "facts", "choice", "shares", "reason"),
    [
        ("pemphigus vulgaris, usual", ALBUMIN, PatientFacts(), FluidChoice.ALBUMIN, ALL_ALBUMIN, "usual replacement"),
        (
            "pemphigus vulgaris, fibrinogen 0.8 before session 3",
            ALBUMIN,
            PatientFacts(fibrinogen_g_per_l=0.8),
            FluidChoice.ALBUMIN_PLASMA_LAST,
            LAST_THIRD,
            "Fibrinogen 0.8 g/L is below the 1 g/L trigger: last third plasma.",
        ),
        (
            "TEN, plasma or albumin, nothing else",
            EITHER,
            PatientFacts(),
            FluidChoice.ALBUMIN,
            ALL_ALBUMIN,
            "albumin unless a reason for plasma",
        ),
        (
            "TEN with a skin biopsy yesterday",
            EITHER,
            PatientFacts(procedure_within_48h=True),
            FluidChoice.ALBUMIN_PLASMA_LAST,
            LAST_THIRD,
            "Surgery or a biopsy within 48 hours: last third plasma.",
        ),
        (
            "anti-MDA5 CADM, weekly, fibrinogen 2.4",
            ALBUMIN,
            PatientFacts(fibrinogen_g_per_l=2.4),
            FluidChoice.ALBUMIN,
            ALL_ALBUMIN,
            "usual replacement",
        ),
        (
            "TTP",
            ReplacementPolicy.PLASMA_REQUIRED,
            PatientFacts(),
            FluidChoice.PLASMA,
            ALL_PLASMA,
            "replacement is plasma",
        ),
        (
            "liver failure on an albumin indication",
            ALBUMIN,
            PatientFacts(liver_failure=True),
            FluidChoice.PLASMA,
            ALL_PLASMA,
            "Liver failure",
        ),
        (
            "diffuse alveolar haemorrhage",
            ALBUMIN,
            PatientFacts(diffuse_alveolar_haemorrhage=True),
            FluidChoice.PLASMA,
            ALL_PLASMA,
            "Diffuse alveolar haemorrhage",
        ),
        (
            "bleeding",
            ALBUMIN,
            PatientFacts(bleeding_or_coagulopathy=True),
            FluidChoice.ALBUMIN_PLASMA_LAST,
            LAST_THIRD,
            "Bleeding or coagulopathy",
        ),
        (
            "catalogue plasma last",
            ReplacementPolicy.PLASMA_LAST,
            PatientFacts(),
            FluidChoice.ALBUMIN_PLASMA_LAST,
            LAST_THIRD,
            "plasma last",
        ),
        (
            "stable, saline share wanted",
            ALBUMIN,
            PatientFacts(saline_share_wanted=True, **ADULT),
            FluidChoice.ALBUMIN_SALINE,
            SALINE_FIFTH,
            "20% saline first",
        ),
        (
            "elderly, saline share refused",
            ALBUMIN,
            PatientFacts(saline_share_wanted=True, age_years=78),
            FluidChoice.ALBUMIN,
            ALL_ALBUMIN,
            "No saline share at age 78",
        ),
        (
            "saline wanted but plasma needed",
            ALBUMIN,
            PatientFacts(saline_share_wanted=True, bleeding_or_coagulopathy=True, **ADULT),
            FluidChoice.ALBUMIN_PLASMA_LAST,
            LAST_THIRD,
            "No saline share: plasma is needed.",
        ),
        (
            "a 5-year-old, saline share wanted",
            ALBUMIN,
            PatientFacts(saline_share_wanted=True, age_years=5),
            FluidChoice.ALBUMIN,
            ALL_ALBUMIN,
            "No saline share under 18 years",
        ),
        (
            "age not recorded, saline share wanted",
            ALBUMIN,
            PatientFacts(saline_share_wanted=True),
            FluidChoice.ALBUMIN,
            ALL_ALBUMIN,
            "age is not recorded",
        ),
        (
            "pneumococcal HUS, nothing else",
            AVOIDED,
            PatientFacts(),
            FluidChoice.ALBUMIN,
            ALL_ALBUMIN,
            "anti-T antibodies",
        ),
        (
            "pneumococcal HUS with bleeding",
            AVOIDED,
            PatientFacts(bleeding_or_coagulopathy=True),
            FluidChoice.ALBUMIN,
            ALL_ALBUMIN,
            "Bleeding or coagulopathy: last third plasma. Not given: plasma is avoided.",
        ),
        (
            "pneumococcal HUS with liver failure",
            AVOIDED,
            PatientFacts(liver_failure=True),
            FluidChoice.ALBUMIN,
            ALL_ALBUMIN,
            "Not given: plasma is avoided.",
        ),
        (
            "pneumococcal HUS, fibrinogen 0.7",
            AVOIDED,
            PatientFacts(fibrinogen_g_per_l=0.7),
            FluidChoice.ALBUMIN,
            ALL_ALBUMIN,
            "Delay the session until fibrinogen is back to 1 g/L.",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and " " in value else "",
)
def test_proposal(
    scenario: str,
    policy: ReplacementPolicy,
    facts: PatientFacts,
    choice: FluidChoice,
    shares: tuple[float, float, float],
    reason: str,
) -> None:
    proposal = propose_fluid(policy, facts)
    assert proposal.choice is choice
    assert proposal.shares.values() == pytest.approx(shares, abs=1e-12)
    assert any(reason in given for given in proposal.reasons), proposal.reasons


def test_the_strongest_plan_wins_and_every_reason_is_listed() -> None:
    proposal = propose_fluid(ALBUMIN, PatientFacts(liver_failure=True, fibrinogen_g_per_l=0.5))
    assert proposal.choice is FluidChoice.PLASMA
    assert len(proposal.reasons) == 3


@pytest.mark.parametrize(
    "facts",
    [
        PatientFacts(bleeding_or_coagulopathy=True),
        PatientFacts(procedure_within_48h=True),
        PatientFacts(liver_failure=True),
        PatientFacts(diffuse_alveolar_haemorrhage=True),
        PatientFacts(fibrinogen_g_per_l=0.5),
    ],
)
def test_plasma_avoided_overrides_every_plasma_trigger_and_says_so(facts: PatientFacts) -> None:
    proposal = propose_fluid(AVOIDED, facts)
    assert proposal.shares == Shares(1.0, 0.0, 0.0)
    assert proposal.is_plasma_withheld


def test_plasma_avoided_with_low_fibrinogen_advises_a_delay() -> None:
    assert propose_fluid(AVOIDED, PatientFacts(fibrinogen_g_per_l=0.99)).is_delay_advised
    assert not propose_fluid(AVOIDED, PatientFacts(fibrinogen_g_per_l=1.0)).is_delay_advised
    assert not propose_fluid(ALBUMIN, PatientFacts(fibrinogen_g_per_l=0.5)).is_delay_advised


@pytest.mark.parametrize(
    ("age", "saline"),
    [(17.99, 0.0), (18, 0.2), (64.99, 0.2), (65, 0.0), (None, 0.0)],
)
def test_a_saline_share_only_for_an_adult_of_known_age_under_65(age: float | None, saline: float) -> None:
    proposal = propose_fluid(ALBUMIN, PatientFacts(saline_share_wanted=True, age_years=age))
    assert proposal.shares.saline == saline


def test_no_saline_share_unless_the_physician_asks() -> None:
    assert propose_fluid(ALBUMIN, PatientFacts(**ADULT)).shares.saline == 0


def test_thresholds_are_settings() -> None:
    strict = FluidThresholds(fibrinogen_trigger_g_per_l=1.5, plasma_last_share=0.5)
    proposal = propose_fluid(ALBUMIN, PatientFacts(fibrinogen_g_per_l=1.2), strict)
    assert (proposal.choice, proposal.shares.plasma) == (FluidChoice.ALBUMIN_PLASMA_LAST, 0.5)
    assert "below the 1.5 g/L trigger: last 50% plasma" in proposal.reasons[-1]
    assert propose_fluid(ALBUMIN, PatientFacts(fibrinogen_g_per_l=0.9)).choice is FluidChoice.ALBUMIN_PLASMA_LAST
    assert propose_fluid(ALBUMIN, PatientFacts(fibrinogen_g_per_l=1.0)).choice is FluidChoice.ALBUMIN
    older = FluidThresholds(saline_max_age_excluded=70, saline_share=0.1)
    assert propose_fluid(ALBUMIN, PatientFacts(saline_share_wanted=True, age_years=68), older).shares.saline == 0.1


def test_a_policy_is_read_from_its_stored_value() -> None:
    assert propose_fluid("plasma_avoided", PatientFacts(liver_failure=True)).shares.plasma == 0
    with pytest.raises(ValueError):
        propose_fluid("plasma-ish", PatientFacts())


# Every reason the rule gives, word for word: staff read these on the order.
REASONS = [
    (
        ALBUMIN,
        PatientFacts(liver_failure=True),
        "Liver failure: plasma replaces the clotting factors the liver cannot make.",
    ),
    (
        ALBUMIN,
        PatientFacts(diffuse_alveolar_haemorrhage=True),
        "Diffuse alveolar haemorrhage: plasma, to avoid depleting clotting factors.",
    ),
    (ALBUMIN, PatientFacts(bleeding_or_coagulopathy=True), "Bleeding or coagulopathy: last third plasma."),
    (ALBUMIN, PatientFacts(procedure_within_48h=True), "Surgery or a biopsy within 48 hours: last third plasma."),
    (
        ALBUMIN,
        PatientFacts(fibrinogen_g_per_l=0.8),
        "Fibrinogen 0.8 g/L is below the 1 g/L trigger: last third plasma.",
    ),
    (ALBUMIN, PatientFacts(), "ASFA's usual replacement for this indication is albumin."),
    (EITHER, PatientFacts(), "ASFA allows plasma or albumin: albumin unless a reason for plasma applies."),
    (ReplacementPolicy.PLASMA_LAST, PatientFacts(), "ASFA's usual replacement is albumin with plasma last."),
    (ReplacementPolicy.PLASMA_REQUIRED, PatientFacts(), "The indication's replacement is plasma (ASFA): all plasma."),
    (
        AVOIDED,
        PatientFacts(),
        "Plasma is avoided for this indication (donor plasma carries anti-T antibodies): albumin, whatever else "
        "would call for plasma.",
    ),
    (
        AVOIDED,
        PatientFacts(liver_failure=True),
        "Liver failure: plasma replaces the clotting factors the liver cannot make. Not given: plasma is avoided.",
    ),
    (AVOIDED, PatientFacts(fibrinogen_g_per_l=0.5), "Delay the session until fibrinogen is back to 1 g/L."),
    (ALBUMIN, PatientFacts(saline_share_wanted=True, liver_failure=True), "No saline share: plasma is needed."),
    (ALBUMIN, PatientFacts(saline_share_wanted=True), "No saline share: the patient's age is not recorded."),
    (
        ALBUMIN,
        PatientFacts(saline_share_wanted=True, age_years=12),
        "No saline share under 18 years: children tolerate volume shifts less well.",
    ),
    (
        ALBUMIN,
        PatientFacts(saline_share_wanted=True, age_years=70),
        "No saline share at age 70: partial saline raises hypotension risk in the elderly.",
    ),
    (ALBUMIN, PatientFacts(saline_share_wanted=True, age_years=40), "Stable patient: 20% saline first, then albumin."),
]


@pytest.mark.parametrize(("policy", "facts", "reason"), REASONS, ids=lambda value: str(value)[:40])
def test_each_reason_reads_exactly_as_staff_see_it(policy: ReplacementPolicy, facts: PatientFacts, reason: str) -> None:
    assert reason in propose_fluid(policy, facts).reasons


def test_nothing_is_withheld_or_delayed_unless_plasma_is_avoided() -> None:
    proposal = propose_fluid(ALBUMIN, PatientFacts(liver_failure=True, fibrinogen_g_per_l=0.5))
    assert proposal.is_plasma_withheld is False
    assert proposal.is_delay_advised is False
