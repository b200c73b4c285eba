"""The permissions backend: Django's answers, in one query, and a role change counts at the next request."""

from collections.abc import Callable

import pytest
from django.contrib.auth import backends
from django.contrib.auth.models import AnonymousUser, Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from planner.auth_backend import ModelBackend, role_names
from tests.conftest import logged_in


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no permission cache from earlier calls


def _django_answer(user: User) -> set[str]:
    return backends.ModelBackend().get_all_permissions(_fresh(user))


@pytest.mark.parametrize("role", ["physician", "nurse", "bloodbank", "reviewer"])
def test_a_role_holder_has_what_djangos_backend_says(staff_roles: None, role: str) -> None:
    user = User.objects.create_user(username=f"u-{role}")
    user.groups.add(Group.objects.get(name=role))
    # A permission of the user's own as well, beside the role's.
    user.user_permissions.add(Permission.objects.get(codename="view_logentry"))
    ours = ModelBackend().get_all_permissions(_fresh(user))
    assert ours == _django_answer(user)
    assert "admin.view_logentry" in ours
    assert len(ours) > 1


def test_two_roles_and_no_duplicates(staff_roles: None) -> None:
    user = User.objects.create_user(username="two-roles")
    user.groups.add(Group.objects.get(name="nurse"), Group.objects.get(name="physician"))
    assert ModelBackend().get_all_permissions(_fresh(user)) == _django_answer(user)


def test_one_query_and_then_none_for_the_rest_of_the_request(
    staff_roles: None, django_assert_num_queries: Callable
) -> None:
    user = User.objects.create_user(username="counted")
    user.groups.add(Group.objects.get(name="nurse"))
    user = _fresh(user)
    with django_assert_num_queries(1):
        ModelBackend().get_all_permissions(user)
        assert user.has_perm("planner.view_patient")
        assert not user.has_perm("planner.sign_course")


def test_inactive_users_have_none_and_superusers_all(staff_roles: None) -> None:
    inactive = User.objects.create_user(username="left", is_active=False)
    inactive.groups.add(Group.objects.get(name="physician"))
    assert ModelBackend().get_all_permissions(_fresh(inactive)) == set()
    boss = User.objects.create_superuser(username="boss")
    assert ModelBackend().get_all_permissions(_fresh(boss)) == _django_answer(boss)
    assert len(_django_answer(boss)) == Permission.objects.count()


def test_a_user_without_roles_has_none(staff_roles: None) -> None:
    assert ModelBackend().get_all_permissions(_fresh(User.objects.create_user(username="nobody"))) == set()


def test_a_revoked_role_counts_at_the_next_request(nurse: User) -> None:
    client = logged_in(nurse)
    assert client.get(reverse("patient-list")).status_code == 200
    nurse.groups.clear()
    assert client.get(reverse("patient-list")).status_code == 403
    nurse.groups.add(Group.objects.get(name="nurse"))
    assert client.get(reverse("patient-list")).status_code == 200


def test_the_roles_names_come_with_the_permissions(staff_roles: None, django_assert_num_queries: Callable) -> None:
    user = User.objects.create_user(username="named")
    user.groups.add(Group.objects.get(name="physician"), Group.objects.get(name="nurse"))
    user = _fresh(user)
    with django_assert_num_queries(1):
        ModelBackend().get_all_permissions(user)
        assert role_names(user) == ["nurse", "physician"]
    # Without the permissions query (a superuser's come from Django), the names are read on their own.
    boss = User.objects.create_superuser(username="boss")
    boss.groups.add(Group.objects.get(name="reviewer"))
    assert role_names(_fresh(boss)) == ["reviewer"]
    assert role_names(AnonymousUser()) == []


def test_every_page_shows_the_roles_without_a_query_of_its_own(nurse: User) -> None:
    client = logged_in(nurse)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("patient-list"))
    assert 'title="nurse "' in page.content.decode()
    assert not [q for q in queries.captured_queries if q["sql"].lstrip().startswith('SELECT "auth_group"')]
    nurse.groups.add(Group.objects.get(name="reviewer"))  # a role granted shows at the next request
    assert 'title="nurse reviewer "' in client.get(reverse("patient-list")).content.decode()
