"""Who holds which role, kept with every change: the audit trail of staff accounts and their groups.

Django's own User and Group are registered with django-simple-history here, with their many-to-
many fields (a user's groups and permissions, a group's permissions), so granting or removing a
role is a change with who and when, like any change to a clinical record. Passwords and the last
login time are left out: a hash is not history.
"""

from django.contrib.auth.models import Group, User
from simple_history import register

register(
    User,
    app="planner",
    m2m_fields=["groups", "user_permissions"],
    excluded_fields=["password", "last_login"],
)
register(Group, app="planner", m2m_fields=["permissions"])
