"""Django's ModelBackend, with a user's permissions (their own and their roles') read in one query.

Every logged-in page asks for permissions; Django's backend answers with two ORM queries (the user's
own permissions, then their groups'), each built afresh on every request. Here they are one SQL
statement, written once, which also brings the names of the user's roles (the page header shows
them; `role_names`). Everything else (inactive users have none, superusers have all, the cache on
the user object for the rest of the request) is Django's. Nothing is cached across requests, so a
role revoked or granted counts from the next request on.
"""

from functools import cache

from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router


@cache
def _permissions_sql() -> str:
    user_permissions = get_user_model().user_permissions.through._meta.db_table
    user_groups = get_user_model().groups.through._meta.db_table
    group_permissions = Group.permissions.through._meta.db_table
    return (
        f"SELECT ct.app_label, p.codename FROM {Permission._meta.db_table} p "
        f"JOIN {ContentType._meta.db_table} ct ON ct.id = p.content_type_id "
        f"WHERE p.id IN (SELECT permission_id FROM {user_permissions} WHERE user_id = %s) "
        f"OR p.id IN (SELECT gp.permission_id FROM {group_permissions} gp "
        f"JOIN {user_groups} ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s) "
        # The roles' names, marked by a NULL app label.
        f"UNION ALL SELECT NULL, g.name FROM {Group._meta.db_table} g "
        f"JOIN {user_groups} ug ON ug.group_id = g.id WHERE ug.user_id = %s"
    )


class ModelBackend(backends.ModelBackend):
    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            with connections[router.db_for_read(Permission)].cursor() as cursor:
                cursor.execute(_permissions_sql(), [user_obj.pk, user_obj.pk, user_obj.pk])
                rows = cursor.fetchall()
            user_obj._perm_cache = {f"{app_label}.{name}" for app_label, name in rows if app_label is not None}
            user_obj._role_names = sorted(name for app_label, name in rows if app_label is None)
        return user_obj._perm_cache


def role_names(user: object) -> list[str]:
    """The names of the user's roles (groups), sorted: from the permissions query when it ran this request."""
    if not getattr(user, "is_authenticated", False):
        return []
    if not hasattr(user, "_role_names"):
        user._role_names = sorted(user.groups.values_list("name", flat=True))
    return user._role_names
