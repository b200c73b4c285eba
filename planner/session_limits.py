"""A course's number of sessions against the catalogue's usual course for its indication.

The catalogue's usual number of sessions is a limit the physician extends only with a reason (kept
on the order, printed, and in its history). A row with 0 sessions (no fixed course, e.g. TTP "until
platelets recover") sets no limit.
"""

from django.utils.translation import gettext as _

from planner.models import Indication


def sessions_beyond_usual(indication: Indication, sessions_count: int, reason: str) -> str | None:
    """What is wrong, or None: more sessions than the usual course and no reason given."""
    usual = indication.default_sessions
    if usual and sessions_count > usual and not reason.strip():
        return _("The usual course for this indication is %(usual)s sessions: give the reason for %(count)s.") % {
            "usual": usual,
            "count": sessions_count,
        }
    return None
