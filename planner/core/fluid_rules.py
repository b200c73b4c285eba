"""Which replacement fluid, and why: the indication's replacement policy and the patient's facts.

Pure Python. The indication's policy is catalogue data (a column of the ASFA CSV that an
administrator can edit), never read from the words of a disease name. The proposal is the
strongest plan any rule asks for (all plasma > albumin with plasma last > all albumin >
albumin with a saline share), unless the policy avoids plasma, which overrides every
plasma trigger. It lists every reason that applied, in plain words, so staff see why and
can override with a reason of their own.
"""

from dataclasses import dataclass
from enum import StrEnum

from planner.core.replacement import Shares
from planner.core.text import Message, gettext_noop


class ReplacementPolicy(StrEnum):
    """What an indication asks of the replacement fluid (the catalogue's `replacement_policy`)."""

    # Plasma is the treatment (TTP and other TMAs, liver failure): all plasma, always.
    PLASMA_REQUIRED = "plasma_required"
    # ASFA: albumin with plasma last (e.g. anti-GBM disease with alveolar haemorrhage).
    PLASMA_LAST = "plasma_last"
    # ASFA allows either (e.g. TEN): albumin unless a patient rule asks for plasma.
    PLASMA_OR_ALBUMIN = "plasma_or_albumin"
    # ASFA's usual replacement is albumin; plasma only when a patient rule asks for it.
    ALBUMIN = "albumin"
    # Donor plasma harms (pneumococcal HUS: its anti-T antibodies react with the exposed T antigen).
    PLASMA_AVOIDED = "plasma_avoided"


class FluidChoice(StrEnum):
    ALBUMIN = "albumin"
    ALBUMIN_SALINE = "albumin_saline"
    ALBUMIN_PLASMA_LAST = "albumin_plasma_last"
    PLASMA = "plasma"


# Weaker to stronger: a stronger plan replaces more clotting factors.
_STRENGTH = [FluidChoice.ALBUMIN_SALINE, FluidChoice.ALBUMIN, FluidChoice.ALBUMIN_PLASMA_LAST, FluidChoice.PLASMA]


@dataclass(frozen=True)
class FluidThresholds:
    fibrinogen_trigger_g_per_l: float = 1.0
    plasma_last_share: float = 1 / 3
    saline_share: float = 0.20
    # A saline share is proposed only from this age (children are not small adults) and below the next.
    saline_min_age_years: float = 18
    saline_max_age_excluded: float = 65


@dataclass(frozen=True)
class PatientFacts:
    bleeding_or_coagulopathy: bool = False
    procedure_within_48h: bool = False
    liver_failure: bool = False
    diffuse_alveolar_haemorrhage: bool = False
    fibrinogen_g_per_l: float | None = None
    # The physician judges the patient stable enough for part of the volume as saline.
    saline_share_wanted: bool = False
    # None: not recorded, which is never taken for an adult's age.
    age_years: float | None = None


@dataclass(frozen=True)
class FluidProposal:
    choice: FluidChoice
    shares: Shares
    reasons: tuple[Message, ...]
    # A rule asked for plasma that the indication's policy avoids: the plan stays plasma-free and warns.
    is_plasma_withheld: bool = False
    # Fibrinogen is under the trigger and plasma is avoided: delay the session until it recovers.
    is_delay_advised: bool = False


def shares_for(choice: FluidChoice, thresholds: FluidThresholds) -> Shares:
    if choice is FluidChoice.PLASMA:
        return Shares(albumin=0.0, plasma=1.0)
    if choice is FluidChoice.ALBUMIN_PLASMA_LAST:
        return Shares(albumin=1 - thresholds.plasma_last_share, plasma=thresholds.plasma_last_share)
    if choice is FluidChoice.ALBUMIN_SALINE:
        return Shares(albumin=1 - thresholds.saline_share, saline=thresholds.saline_share)
    return Shares()


def plasma_share_words(thresholds: FluidThresholds) -> Message:
    if thresholds.plasma_last_share == 1 / 3:
        return Message(gettext_noop("last third"))
    return Message(gettext_noop("last %(percent)s"), percent=f"{thresholds.plasma_last_share:.0%}")


_POLICY_REASONS = {
    ReplacementPolicy.PLASMA_REQUIRED: (
        FluidChoice.PLASMA,
        gettext_noop("The indication's replacement is plasma (ASFA): all plasma."),
    ),
    ReplacementPolicy.PLASMA_LAST: (
        FluidChoice.ALBUMIN_PLASMA_LAST,
        gettext_noop("ASFA's usual replacement is albumin with plasma last."),
    ),
    ReplacementPolicy.PLASMA_OR_ALBUMIN: (
        FluidChoice.ALBUMIN,
        gettext_noop("ASFA allows plasma or albumin: albumin unless a reason for plasma applies."),
    ),
    ReplacementPolicy.ALBUMIN: (
        FluidChoice.ALBUMIN,
        gettext_noop("ASFA's usual replacement for this indication is albumin."),
    ),
    ReplacementPolicy.PLASMA_AVOIDED: (
        FluidChoice.ALBUMIN,
        gettext_noop(
            "Plasma is avoided for this indication (donor plasma carries anti-T antibodies): albumin, "
            "whatever else would call for plasma."
        ),
    ),
}


def _patient_rules(facts: PatientFacts, thresholds: FluidThresholds) -> list[tuple[FluidChoice, Message]]:
    """What the patient's own facts ask for, each with its reason."""
    asked: list[tuple[FluidChoice, Message]] = []
    if facts.liver_failure:
        asked.append(
            (
                FluidChoice.PLASMA,
                Message(gettext_noop("Liver failure: plasma replaces the clotting factors the liver cannot make.")),
            )
        )
    if facts.diffuse_alveolar_haemorrhage:
        asked.append(
            (
                FluidChoice.PLASMA,
                Message(gettext_noop("Diffuse alveolar haemorrhage: plasma, to avoid depleting clotting factors.")),
            )
        )
    share = plasma_share_words(thresholds)
    if facts.bleeding_or_coagulopathy:
        asked.append(
            (
                FluidChoice.ALBUMIN_PLASMA_LAST,
                Message(gettext_noop("Bleeding or coagulopathy: %(share)s plasma."), share=share),
            )
        )
    if facts.procedure_within_48h:
        asked.append(
            (
                FluidChoice.ALBUMIN_PLASMA_LAST,
                Message(gettext_noop("Surgery or a biopsy within 48 hours: %(share)s plasma."), share=share),
            )
        )
    trigger = thresholds.fibrinogen_trigger_g_per_l
    if facts.fibrinogen_g_per_l is not None and facts.fibrinogen_g_per_l < trigger:
        asked.append(
            (
                FluidChoice.ALBUMIN_PLASMA_LAST,
                Message(
                    gettext_noop("Fibrinogen %(value)s g/L is below the %(trigger)s g/L trigger: %(share)s plasma."),
                    value=f"{facts.fibrinogen_g_per_l:g}",
                    trigger=f"{trigger:g}",
                    share=share,
                ),
            )
        )
    return asked


def propose_fluid(
    policy: ReplacementPolicy, facts: PatientFacts, thresholds: FluidThresholds | None = None
) -> FluidProposal:
    """The replacement plan for one patient and indication, with every reason that led to it."""
    thresholds = thresholds or FluidThresholds()
    policy = ReplacementPolicy(policy)
    policy_choice, policy_reason = _POLICY_REASONS[policy]
    patient = _patient_rules(facts, thresholds)
    reasons = [Message(policy_reason)]
    is_withheld = is_delay_advised = False
    if policy is ReplacementPolicy.PLASMA_AVOIDED:
        choice = FluidChoice.ALBUMIN
        for _wanted, reason in patient:
            is_withheld = True
            reasons.append(Message(gettext_noop("%(reason)s Not given: plasma is avoided."), reason=reason))
        trigger = thresholds.fibrinogen_trigger_g_per_l
        if facts.fibrinogen_g_per_l is not None and facts.fibrinogen_g_per_l < trigger:
            is_delay_advised = True
            reasons.append(
                Message(
                    gettext_noop("Delay the session until fibrinogen is back to %(trigger)s g/L."),
                    trigger=f"{trigger:g}",
                )
            )
    else:
        choice = max([policy_choice, *(wanted for wanted, _reason in patient)], key=_STRENGTH.index)
        reasons += [reason for _wanted, reason in patient]
    if facts.saline_share_wanted:
        choice = _saline(choice, facts, thresholds, reasons)
    return FluidProposal(choice, shares_for(choice, thresholds), tuple(reasons), is_withheld, is_delay_advised)


def _saline(
    choice: FluidChoice, facts: PatientFacts, thresholds: FluidThresholds, reasons: list[Message]
) -> FluidChoice:
    """A saline share only for an adult of known age under the elderly limit, on albumin alone."""
    age = facts.age_years
    if choice is not FluidChoice.ALBUMIN:
        reasons.append(Message(gettext_noop("No saline share: plasma is needed.")))
    elif age is None:
        reasons.append(Message(gettext_noop("No saline share: the patient's age is not recorded.")))
    elif age < thresholds.saline_min_age_years:
        reasons.append(
            Message(
                gettext_noop("No saline share under %(age)s years: children tolerate volume shifts less well."),
                age=f"{thresholds.saline_min_age_years:g}",
            )
        )
    elif age >= thresholds.saline_max_age_excluded:
        reasons.append(
            Message(
                gettext_noop("No saline share at age %(age)s: partial saline raises hypotension risk in the elderly."),
                age=f"{age:g}",
            )
        )
    else:
        reasons.append(
            Message(
                gettext_noop("Stable patient: %(percent)s saline first, then albumin."),
                percent=f"{thresholds.saline_share:.0%}",
            )
        )
        return FluidChoice.ALBUMIN_SALINE
    return choice
