"""No two active procedures on one device may overlap in time, enforced by the database itself.

PostgreSQL: an exclusion constraint over (device, [starts_at, ends_at)) with
btree_gist, so two concurrent transactions cannot both book the same slot.
SQLite: BEFORE INSERT and BEFORE UPDATE triggers with the same rule (SQLite
serialises writers, so a trigger is race-free there). Django's ExclusionConstraint
cannot be declared on the model: migrate would fail on SQLite.
"""

from django.db import migrations

POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """
    ALTER TABLE planner_procedure ADD CONSTRAINT procedure_no_double_booking
    EXCLUDE USING gist (device_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status <> 'cancelled')
    """,
]
POSTGRESQL_REVERSE = ["ALTER TABLE planner_procedure DROP CONSTRAINT procedure_no_double_booking"]

_SQLITE_CHECK = """
    SELECT RAISE(ABORT, 'procedure_no_double_booking: the device is already booked at this time')
    WHERE NEW.status <> 'cancelled' AND EXISTS (
        SELECT 1 FROM planner_procedure AS other
        WHERE other.device_id = NEW.device_id
          AND other.status <> 'cancelled'
          AND other.id IS NOT NEW.id
          AND other.starts_at < NEW.ends_at
          AND NEW.starts_at < other.ends_at
    );
"""
SQLITE = [
    f"CREATE TRIGGER procedure_no_double_booking_insert BEFORE INSERT ON planner_procedure BEGIN {_SQLITE_CHECK} END",
    f"""CREATE TRIGGER procedure_no_double_booking_update
        BEFORE UPDATE OF device_id, starts_at, ends_at, status ON planner_procedure BEGIN {_SQLITE_CHECK} END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS procedure_no_double_booking_insert",
    "DROP TRIGGER IF EXISTS procedure_no_double_booking_update",
]


def _run(statements_by_vendor: dict[str, list[str]]):
    def run(apps, schema_editor) -> None:
        vendor = schema_editor.connection.vendor
        if vendor not in statements_by_vendor:
            raise NotImplementedError(f"No double-booking guard for the {vendor} database.")
        for statement in statements_by_vendor[vendor]:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("planner", "0003_courses_and_procedures")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
