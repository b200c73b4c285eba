"""Which replacement fluid, and why: explicit rules over the indication's default and the patient's facts.

Pure Python. The proposal is the strongest plan any rule asks for (all plasma >
albumin with plasma last > all albumin > albumin with a saline share), and it
lists every reason that applied, in plain words, so staff can see why and
override with a reason of their own.
"""

from dataclasses import dataclass
from enum import StrEnum

from planner.core.text import Message, gettext_noop


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
    saline_min_age_excluded: float = 65


@dataclass(frozen=True)
class PatientFacts:
    is_ttp_or_tma: bool = False
    bleeding_or_coagulopathy: bool = False
    procedure_within_48h: bool = False
    liver_failure: bool = False
    diffuse_alveolar_haemorrhage: bool = False
    fibrinogen_g_per_l: float | None = None
    # The physician judges the patient stable enough for part of the volume as saline.
    saline_share_wanted: bool = False
    age_years: float | None = None


@dataclass(frozen=True)
class FluidProposal:
    choice: FluidChoice
    albumin_fraction: float
    plasma_fraction: float
    saline_fraction: float
    reasons: tuple[str, ...]


def _fractions(choice: FluidChoice, thresholds: FluidThresholds) -> tuple[float, float, float]:
    if choice is FluidChoice.PLASMA:
        return 0.0, 1.0, 0.0
    if choice is FluidChoice.ALBUMIN_PLASMA_LAST:
        return 1 - thresholds.plasma_last_share, thresholds.plasma_last_share, 0.0
    if choice is FluidChoice.ALBUMIN_SALINE:
        return 1 - thresholds.saline_share, 0.0, thresholds.saline_share
    return 1.0, 0.0, 0.0


def propose_fluid(
    default_replacement: str, facts: PatientFacts, thresholds: FluidThresholds | None = None
) -> FluidProposal:
    """The replacement plan for one patient and indication, with every reason that led to it.

    `default_replacement` is the catalogue's: albumin, plasma, plasma_or_albumin or plasma_last.
    """
    thresholds = thresholds or FluidThresholds()
    asked: list[tuple[FluidChoice, str]] = []
    if facts.is_ttp_or_tma:
        asked.append(
            (
                FluidChoice.PLASMA,
                Message(gettext_noop("TTP or another thrombotic microangiopathy: ASFA recommends plasma.")),
            )
        )
    if default_replacement == "plasma":
        asked.append(
            (FluidChoice.PLASMA, Message(gettext_noop("ASFA's usual replacement for this indication is plasma.")))
        )
    elif default_replacement == "plasma_last":
        asked.append(
            (
                FluidChoice.ALBUMIN_PLASMA_LAST,
                Message(gettext_noop("ASFA's usual replacement is albumin with plasma last.")),
            )
        )
    elif default_replacement == "plasma_or_albumin":
        asked.append(
            (
                FluidChoice.ALBUMIN,
                Message(gettext_noop("ASFA allows plasma or albumin: albumin unless a reason for plasma applies.")),
            )
        )
    else:
        asked.append(
            (FluidChoice.ALBUMIN, Message(gettext_noop("ASFA's usual replacement for this indication is albumin.")))
        )
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
    share = (
        Message(gettext_noop("last %(percent)s"), percent=f"{thresholds.plasma_last_share:.0%}")
        if thresholds.plasma_last_share != 1 / 3
        else Message(gettext_noop("last third"))
    )
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
    choice = max((wanted for wanted, _ in asked), key=_STRENGTH.index)
    reasons = [reason for _, reason in asked]
    if facts.saline_share_wanted:
        if choice is not FluidChoice.ALBUMIN:
            reasons.append(Message(gettext_noop("No saline share: plasma is needed.")))
        elif facts.age_years is not None and facts.age_years >= thresholds.saline_min_age_excluded:
            reasons.append(
                Message(
                    gettext_noop(
                        "No saline share at age %(age)s: partial saline raises hypotension risk in the elderly."
                    ),
                    age=f"{facts.age_years:g}",
                )
            )
        else:
            choice = FluidChoice.ALBUMIN_SALINE
            reasons.append(
                Message(
                    gettext_noop("Stable patient: %(percent)s saline first, then albumin."),
                    percent=f"{thresholds.saline_share:.0%}",
                )
            )
    albumin, plasma, saline = _fractions(choice, thresholds)
    return FluidProposal(choice, albumin, plasma, saline, tuple(reasons))
