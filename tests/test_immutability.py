"""A signed course cannot be edited through any door: the view, the admin, the ORM, a bulk update, raw SQL."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from planner import db_guards
from planner.models import Course, Patient
from tests.conftest import logged_in
from tests.workflow import create, sign


@pytest.fixture
def signed(patient: Patient, physician: User) -> Course:
    create(physician, patient)
    course = Course.objects.get()
    sign(logged_in(physician), course)
    course.refresh_from_db()
    assert course.status == Course.Status.SIGNED
    return course


def _refused(action: object) -> None:
    with pytest.raises(IntegrityError, match=db_guards.COURSE_GUARD), transaction.atomic():
        action()


def test_a_draft_may_still_change(patient: Patient, physician: User) -> None:
    create(physician, patient)
    Course.objects.update(plasma_volumes=Decimal("1.5"))
    assert Course.objects.get().plasma_volumes == Decimal("1.5")


def test_the_orm_cannot_change_a_signed_course(signed: Course) -> None:
    signed.plasma_volumes = Decimal("1.5")
    _refused(signed.save)


def test_a_bulk_update_cannot_change_a_signed_course(signed: Course) -> None:
    _refused(lambda: Course.objects.filter(pk=signed.pk).update(albumin_fraction=0, plasma_fraction=1))


def test_raw_sql_cannot_change_or_unsign_a_signed_course(signed: Course) -> None:
    def raw(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [signed.pk])

    _refused(lambda: raw("UPDATE planner_course SET sessions_count = 9 WHERE id = %s"))
    _refused(lambda: raw("UPDATE planner_course SET status = 'draft' WHERE id = %s"))
    _refused(lambda: raw("DELETE FROM planner_course WHERE id = %s"))


def test_the_edit_page_and_the_admin_refuse_too(signed: Course, physician: User) -> None:
    response = logged_in(physician).get(reverse("course-update", args=[signed.pk]), follow=True)
    assert "A signed course cannot be edited: amend it instead." in response.content.decode()
    root = User.objects.create_superuser(username="root", password="x")
    change = logged_in(root).post(reverse("admin:planner_course_change", args=[signed.pk]), {"plasma_volumes": "2"})
    assert change.status_code == 403


def test_the_workflow_still_moves_a_signed_course_on(signed: Course, physician: User) -> None:
    logged_in(physician).post(reverse("course-cancel", args=[signed.pk]), {"reason": "Transferred"})
    signed.refresh_from_db()
    assert (signed.status, signed.cancel_reason) == ("cancelled", "Transferred")


def test_the_guard_is_installed_after_every_migration(db: None) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'planner_course'")
            names = {row[0] for row in cursor.fetchall()}
            assert names == {
                f"{db_guards.COURSE_GUARD}_{suffix}" for suffix in ("update", "delete", "signing", "insert")
            }
        else:
            cursor.execute("SELECT 1 FROM pg_trigger WHERE tgname = %s", [db_guards.COURSE_GUARD])
            assert cursor.fetchone() == (1,)


def test_the_frozen_plan_cannot_be_changed_or_removed_through_any_door(signed: Course) -> None:
    def raw(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [signed.pk])

    assert signed.frozen_plan["format"] == 2
    _refused(lambda: raw("UPDATE planner_course SET frozen_plan = NULL WHERE id = %s"))
    _refused(lambda: Course.objects.filter(pk=signed.pk).update(frozen_plan={"format": 1, "plan": {}}))


def test_a_course_is_never_signed_without_its_frozen_plan(patient: Patient, physician: User) -> None:
    create(physician, patient)
    draft = Course.objects.get()

    def sign_by_hand() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE planner_course SET status = 'signed', signed_by_id = %s, signed_at = CURRENT_TIMESTAMP "
                "WHERE id = %s",
                [physician.pk, draft.pk],
            )

    def insert_signed() -> None:
        columns = [f.column for f in Course._meta.concrete_fields if f.column not in ("id", "frozen_plan")]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO planner_course ({', '.join(columns)}) "
                f"SELECT {', '.join('%s' if c == 'status' else c for c in columns)} FROM planner_course WHERE id = %s",
                ["signed", draft.pk],
            )

    _refused(sign_by_hand)
    _refused(insert_signed)
    _refused(
        lambda: Course.objects.filter(pk=draft.pk).update(
            status="signed", signed_by=physician, signed_at=draft.created_at
        )
    )


@pytest.mark.django_db(transaction=True)
def test_the_guard_follows_the_schema_back_and_forth(committed_db: None) -> None:
    """Rolling back the migration that added the frozen plan leaves a working guard, and so does re-applying it."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("planner")
    executor.migrate([("planner", "0014_indications_in_chinese")])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE planner_course SET notes = 'draft note' WHERE status = 'draft'")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)
    test_the_guard_is_installed_after_every_migration(None)
