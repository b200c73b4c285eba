"""Rules the database enforces that Django cannot declare on a model for both backends.

No double booking: PostgreSQL gets an exclusion constraint (btree_gist) over
(device, [starts_at, ends_at)) for active procedures; SQLite gets BEFORE INSERT
and BEFORE UPDATE triggers with the same rule. SQLite drops triggers when Django
rebuilds a table (most ALTERs on SQLite), so every migration that alters
planner_procedure must end with `migrations.RunPython(install_booking_guard,
migrations.RunPython.noop)`; the installation is idempotent, and
tests/test_booking.py fails if the guard is missing after all migrations.
"""

from django.db.backends.base.schema import BaseDatabaseSchemaEditor

CONSTRAINT = "procedure_no_double_booking"

_POSTGRESQL_INSTALL = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '{CONSTRAINT}') THEN
        ALTER TABLE planner_procedure ADD CONSTRAINT {CONSTRAINT}
        EXCLUDE USING gist (device_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
        WHERE (status <> 'cancelled');
    END IF;
END $$;
"""

_SQLITE_CHECK = f"""
    SELECT RAISE(ABORT, '{CONSTRAINT}: the device is already booked at this time')
    WHERE NEW.status <> 'cancelled' AND EXISTS (
        SELECT 1 FROM planner_procedure AS other
        WHERE other.device_id = NEW.device_id
          AND other.status <> 'cancelled'
          AND other.id IS NOT NEW.id
          AND other.starts_at < NEW.ends_at
          AND NEW.starts_at < other.ends_at
    );
"""
SQLITE_TRIGGERS = (f"{CONSTRAINT}_insert", f"{CONSTRAINT}_update")
_SQLITE_INSTALL = [
    f"CREATE TRIGGER IF NOT EXISTS {SQLITE_TRIGGERS[0]} BEFORE INSERT ON planner_procedure BEGIN {_SQLITE_CHECK} END",
    f"""CREATE TRIGGER IF NOT EXISTS {SQLITE_TRIGGERS[1]}
        BEFORE UPDATE OF device_id, starts_at, ends_at, status ON planner_procedure BEGIN {_SQLITE_CHECK} END""",
]


def install_booking_guard(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(_POSTGRESQL_INSTALL)
    elif vendor == "sqlite":
        for statement in _SQLITE_INSTALL:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"No double-booking guard for the {vendor} database.")


def remove_booking_guard(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE planner_procedure DROP CONSTRAINT IF EXISTS {CONSTRAINT}")
    else:
        for trigger in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
