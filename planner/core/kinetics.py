"""Course projection: what a series of exchanges does to IgG, an intravascular marker and fibrinogen.

Pure Python, for display and teaching, not a validated pharmacokinetic model.

- Two compartments, no synthesis, full re-equilibration between sessions: each
  session multiplies the total-body amount by 1 − f·(1 − e^(−x)), f the
  intravascular fraction (IgG about 0.45, IgM about 0.76). Five sessions of 1.0
  plasma volume leave about 18.8 % of total-body IgG; of 1.5, about 11.6 %.
- Fibrinogen with albumin replacement falls like e^(−x) per session; plasma
  replaces it in proportion to its share. Between sessions the deficit recovers
  exponentially, `fibrinogen_recovery_at_72h` of it by 72 h (about two thirds,
  Orlin & Berkman, Blood 1980).
"""

import math
from dataclasses import dataclass

IGG_INTRAVASCULAR_FRACTION = 0.45
IGM_INTRAVASCULAR_FRACTION = 0.76


@dataclass(frozen=True)
class SessionProjection:
    number: int
    hours_from_first: float
    # Relative to the level before the first session (1.0).
    total_body_before: float
    intravascular_after: float
    total_body_after: float
    fibrinogen_before_g_per_l: float | None


@dataclass(frozen=True)
class CourseProjection:
    intravascular_fraction: float
    sessions: tuple[SessionProjection, ...]

    @property
    def total_body_remaining(self) -> float:
        return self.sessions[-1].total_body_after if self.sessions else 1.0


def project_course(
    *,
    plasma_volumes: float,
    sessions: int,
    interval_hours: float,
    intravascular_fraction: float = IGG_INTRAVASCULAR_FRACTION,
    plasma_fraction: float = 0.0,
    fibrinogen_g_per_l: float | None = None,
    fibrinogen_recovery_at_72h: float = 0.66,
) -> CourseProjection:
    remaining_per_session = math.exp(-plasma_volumes)
    # Plasma given back carries fibrinogen: only the non-plasma share of the exchange depletes it.
    fibrinogen_kept = math.exp(-plasma_volumes * (1 - plasma_fraction))
    recovery_rate_per_hour = -math.log(1 - fibrinogen_recovery_at_72h) / 72
    total_body, fibrinogen = 1.0, fibrinogen_g_per_l
    projected = []
    for number in range(1, sessions + 1):
        before = total_body
        intravascular_after = before * remaining_per_session
        total_body = before * (1 - intravascular_fraction * (1 - remaining_per_session))
        projected.append(
            SessionProjection(
                number=number,
                hours_from_first=(number - 1) * interval_hours,
                total_body_before=before,
                intravascular_after=intravascular_after,
                total_body_after=total_body,
                fibrinogen_before_g_per_l=fibrinogen,
            )
        )
        if fibrinogen is not None and fibrinogen_g_per_l is not None:
            after_session = fibrinogen * fibrinogen_kept
            deficit = fibrinogen_g_per_l - after_session
            fibrinogen = fibrinogen_g_per_l - deficit * math.exp(-recovery_rate_per_hour * interval_hours)
    return CourseProjection(intravascular_fraction, tuple(projected))
