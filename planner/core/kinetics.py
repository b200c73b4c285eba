"""Course projection: what a series of exchanges does to IgG, an IgG marker and fibrinogen.

Pure Python, for display and planning, not a validated pharmacokinetic model. Every
constant is a setting (see `FibrinogenModel` and the intravascular fraction).

- IgG: two compartments, no synthesis, full re-equilibration between sessions: each
  session multiplies the total-body amount by 1 − f·(1 − e^(−x)), f the intravascular
  fraction (IgG about 0.45, IgM about 0.76), x the plasma volumes exchanged. Five
  sessions of 1.0 plasma volume leave about 18.8 % of total-body IgG; of 1.5, about
  11.6 % (clinical-reference.md §2).
- Fibrinogen (clinical-reference-modalities.md §5, model [D]):
  F_post = F_pre · e^(−k·x·(1 − p)), k = 1 by default (Orlin & Berkman found the real
  fall larger), p the plasma share given back (plasma carries fibrinogen, so only the
  rest of the exchange depletes it). Between sessions it recovers toward the
  pre-course baseline: F(t) = F_base − (F_base − F_post)·e^(−t/τ). τ = 116 h is fitted
  so that one 1.0 plasma-volume exchange leaves fibrinogen at 66 % of baseline at 72 h
  (Orlin & Berkman, Blood 1980;56:1055: "the 72-hr recovery of fibrinogen … was 66 %",
  a level as a share of baseline). The fit is ours, not a published constant.
- A session whose projected pre-session fibrinogen is under the trigger can be given a
  plasma share (`PlasmaTopUp`); the projection then carries that plasma forward.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

IGG_INTRAVASCULAR_FRACTION = 0.45
IGM_INTRAVASCULAR_FRACTION = 0.76


@dataclass(frozen=True)
class FibrinogenModel:
    # Depletion per plasma volume of non-plasma replacement: F_post = F_pre · e^(−k·x).
    depletion_k: float = 1.0
    # Recovery time constant toward baseline, hours. Fitted, not published (see the module docstring).
    recovery_tau_hours: float = 116.0

    def after_session(self, before: float, plasma_volumes: float, plasma_fraction: float) -> float:
        return before * math.exp(-self.depletion_k * plasma_volumes * (1 - plasma_fraction))

    def recovered(self, baseline: float, after: float, hours: float) -> float:
        return baseline - (baseline - after) * math.exp(-hours / self.recovery_tau_hours)


@dataclass(frozen=True)
class PlasmaTopUp:
    """Give `plasma_fraction` (at least) before which fibrinogen is projected under `trigger_g_per_l`."""

    trigger_g_per_l: float
    plasma_fraction: float


@dataclass(frozen=True)
class SessionProjection:
    number: int
    hours_from_first: float
    # IgG relative to the level before the first session (1.0).
    total_body_before: float
    intravascular_after: float
    total_body_after: float
    fibrinogen_before_g_per_l: float | None
    fibrinogen_after_g_per_l: float | None
    # The plasma share this session was projected with, and whether a top-up raised it.
    plasma_fraction: float
    is_topped_up: bool = False


@dataclass(frozen=True)
class CourseProjection:
    intravascular_fraction: float
    sessions: tuple[SessionProjection, ...]

    @property
    def total_body_remaining(self) -> float:
        return self.sessions[-1].total_body_after if self.sessions else 1.0

    def session(self, number: int) -> SessionProjection:
        return next(s for s in self.sessions if s.number == number)

    def fibrinogen_low_sessions(self, trigger_g_per_l: float) -> tuple[int, ...]:
        """Sessions before which fibrinogen is projected under the trigger (unrounded)."""
        return tuple(
            s.number
            for s in self.sessions
            if s.fibrinogen_before_g_per_l is not None and s.fibrinogen_before_g_per_l < trigger_g_per_l
        )

    @property
    def topped_up_sessions(self) -> tuple[int, ...]:
        return tuple(s.number for s in self.sessions if s.is_topped_up)


def project_course(
    *,
    plasma_volumes: float,
    session_hours: Sequence[float],
    session_numbers: Sequence[int] | None = None,
    intravascular_fraction: float = IGG_INTRAVASCULAR_FRACTION,
    plasma_fraction: float = 0.0,
    fibrinogen_g_per_l: float | None = None,
    fibrinogen: FibrinogenModel = FibrinogenModel(),
    top_up: PlasmaTopUp | None = None,
) -> CourseProjection:
    """Each session at its own time (hours from the first), as the course is scheduled.

    `session_numbers` names the sessions (a booked course keeps its numbers when one is cancelled);
    by default 1, 2, 3 ...
    """
    numbers = list(session_numbers) if session_numbers is not None else list(range(1, len(session_hours) + 1))
    remaining_per_session = math.exp(-plasma_volumes)
    total_body, level = 1.0, fibrinogen_g_per_l
    projected = []
    for index, (number, hours) in enumerate(zip(numbers, session_hours, strict=True)):
        if index > 0 and level is not None and fibrinogen_g_per_l is not None:
            level = fibrinogen.recovered(fibrinogen_g_per_l, level, hours - session_hours[index - 1])
        share, topped_up = plasma_fraction, False
        if top_up is not None and level is not None and level < top_up.trigger_g_per_l:
            topped_up = top_up.plasma_fraction > plasma_fraction
            share = max(plasma_fraction, top_up.plasma_fraction)
        before = total_body
        total_body = before * (1 - intravascular_fraction * (1 - remaining_per_session))
        after = None if level is None else fibrinogen.after_session(level, plasma_volumes, share)
        projected.append(
            SessionProjection(
                number=number,
                hours_from_first=hours,
                total_body_before=before,
                intravascular_after=before * remaining_per_session,
                total_body_after=total_body,
                fibrinogen_before_g_per_l=level,
                fibrinogen_after_g_per_l=after,
                plasma_fraction=share,
                is_topped_up=topped_up,
            )
        )
        level = after
    return CourseProjection(intravascular_fraction, tuple(projected))
