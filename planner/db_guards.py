"""Rules the database enforces that Django cannot declare on a model for both backends.

Also: approvals and consents are append-only (APPEND_ONLY_GUARD); a course that is no longer a
draft cannot be changed or deleted (see COURSE_GUARD below); a
reviewed session record is locked (REVIEW_GUARD); a started or recorded session is not moved or
cancelled (SESSION_GUARD).

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
# The constraint's range and partial condition on PostgreSQL, also used by Procedure.objects.overlapping() so
# that its query is the constraint's own and the constraint's GiST index answers it.
# `{of}` is empty in the constraint and the table's quoted name and a dot in a query.
BOOKING_SPAN = "tstzrange({of}starts_at, {of}ends_at, '[)')"
BOOKING_ACTIVE = "{of}status <> 'cancelled'"

# bandit B608 (SQL built from strings): every statement in this module is built from the code's own
# table, column and trigger names, never from input; each such line carries its nosec.
_POSTGRESQL_INSTALL = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '{CONSTRAINT}') THEN
        ALTER TABLE planner_procedure ADD CONSTRAINT {CONSTRAINT}
        EXCLUDE USING gist (device_id WITH =, {BOOKING_SPAN.format(of="")} WITH &&)
        WHERE ({BOOKING_ACTIVE.format(of="")});
    END IF;
END $$;
"""  # nosec B608

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
"""  # nosec B608
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


# A course that is no longer a draft changes only through the workflow: its status (signed -> in progress
# -> completed, superseded, cancelled), the cancellation's reason, author and time, and updated_at.
# Its frozen plan is written once, in the same update that signs it, and never changes after.
COURSE_GUARD = "course_signed_is_immutable"
COURSE_MUTABLE_COLUMNS = {"status", "cancel_reason", "cancelled_at", "cancelled_by_id", "updated_at"}
SIGNED_STATUSES = ("signed", "in_progress", "completed", "superseded")


def _course_frozen_columns(apps: object) -> list[str]:
    course = apps.get_model("planner", "Course")
    return sorted(f.column for f in course._meta.concrete_fields if f.column not in COURSE_MUTABLE_COLUMNS)


def install_course_guard(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Refuse editing or deleting a course that is no longer a draft, whatever the door (ORM, bulk, SQL).

    Re-installed (dropped and created) by every migration that alters planner_course, so new columns
    are frozen too and SQLite's table rebuilds do not lose it.
    """
    columns = _course_frozen_columns(apps)
    message = f"{COURSE_GUARD}: a signed course cannot be changed; amend it instead"
    unfrozen = f"{COURSE_GUARD}: a course is signed together with its frozen plan"
    signed = ", ".join(f"'{status}'" for status in SIGNED_STATUSES)
    # From the migration that adds the frozen plan on, signing without one is refused too.
    has_plan = "frozen_plan" in columns
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)
        signing_check = (
            f"""IF (TG_OP = 'INSERT' OR OLD.status = 'draft') AND NEW.status IN ({signed})
                    AND NEW.frozen_plan IS NULL THEN
                    RAISE EXCEPTION '{unfrozen}' USING ERRCODE = 'integrity_constraint_violation';
                END IF;"""
            if has_plan
            else ""
        )
        schema_editor.execute(f"""
            CREATE OR REPLACE FUNCTION {COURSE_GUARD}() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    IF OLD.status <> 'draft' THEN
                        RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';
                    END IF;
                    RETURN OLD;
                END IF;
                IF TG_OP = 'UPDATE' AND OLD.status <> 'draft' AND (NEW.status = 'draft' OR {changed}) THEN
                    RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                {signing_check}
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS {COURSE_GUARD} ON planner_course;
            CREATE TRIGGER {COURSE_GUARD} BEFORE INSERT OR UPDATE OR DELETE ON planner_course
                FOR EACH ROW EXECUTE FUNCTION {COURSE_GUARD}();
        """)
    elif vendor == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
        for suffix in ("update", "delete", "signing", "insert"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {COURSE_GUARD}_{suffix}")
        schema_editor.execute(f"""
            CREATE TRIGGER {COURSE_GUARD}_update BEFORE UPDATE ON planner_course
            WHEN OLD.status <> 'draft' AND (NEW.status = 'draft' OR {changed})
            BEGIN SELECT RAISE(ABORT, '{message}'); END""")
        if has_plan:
            schema_editor.execute(f"""
                CREATE TRIGGER {COURSE_GUARD}_signing BEFORE UPDATE ON planner_course
                WHEN OLD.status = 'draft' AND NEW.status IN ({signed}) AND NEW.frozen_plan IS NULL
                BEGIN SELECT RAISE(ABORT, '{unfrozen}'); END""")
            schema_editor.execute(f"""
                CREATE TRIGGER {COURSE_GUARD}_insert BEFORE INSERT ON planner_course
                WHEN NEW.status IN ({signed}) AND NEW.frozen_plan IS NULL
                BEGIN SELECT RAISE(ABORT, '{unfrozen}'); END""")
        schema_editor.execute(f"""
            CREATE TRIGGER {COURSE_GUARD}_delete BEFORE DELETE ON planner_course
            WHEN OLD.status <> 'draft'
            BEGIN SELECT RAISE(ABORT, '{message}'); END""")
    else:
        raise NotImplementedError(f"No signed-course guard for the {vendor} database.")


def remove_course_guard(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {COURSE_GUARD} ON planner_course")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {COURSE_GUARD}()")
    else:
        for suffix in ("update", "delete", "signing", "insert"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {COURSE_GUARD}_{suffix}")


# A reviewed session record, its adverse events and its issued products are locked.
REVIEW_GUARD = "session_reviewed_is_locked"
_REVIEW_MESSAGE = f"{REVIEW_GUARD}: a reviewed session record cannot be changed"
# (table, how to find the record's id from a row of it)
_REVIEW_TABLES = (
    ("planner_sessionrecord", "id"),
    ("planner_adverseevent", "record_id"),
    ("planner_issuedproduct", "record_id"),
    ("planner_runsheetentry", "record_id"),  # from migration 0021; earlier migrations skip it
    ("planner_bedsidecheck", "record_id"),  # from migration 0022
)


def _review_tables(schema_editor: BaseDatabaseSchemaEditor) -> list[tuple[str, str]]:
    """The guarded tables that exist at this point of the migrations."""
    existing = set(schema_editor.connection.introspection.table_names())
    return [(table, column) for table, column in _REVIEW_TABLES if table in existing]


def _reviewed(row: str, record_column: str) -> str:
    return f"(SELECT reviewed_at FROM planner_sessionrecord WHERE id = {row}.{record_column}) IS NOT NULL"  # nosec B608


def install_review_guard(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    remove_review_guard(apps, schema_editor)
    for table, record_column in _review_tables(schema_editor):
        if vendor == "postgresql":
            if table == "planner_sessionrecord":
                check = "(TG_OP = 'UPDATE' OR TG_OP = 'DELETE') AND OLD.reviewed_at IS NOT NULL"
            else:
                check = (
                    f"(TG_OP <> 'DELETE' AND {_reviewed('NEW', record_column)})"
                    f" OR (TG_OP <> 'INSERT' AND {_reviewed('OLD', record_column)})"
                )
            schema_editor.execute(f"""
                CREATE OR REPLACE FUNCTION {REVIEW_GUARD}_{table}() RETURNS trigger AS $$
                BEGIN
                    IF {check} THEN
                        RAISE EXCEPTION '{_REVIEW_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
                    END IF;
                    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                    RETURN NEW;
                END $$ LANGUAGE plpgsql;
                CREATE TRIGGER {REVIEW_GUARD}_{table} BEFORE INSERT OR UPDATE OR DELETE ON {table}
                    FOR EACH ROW EXECUTE FUNCTION {REVIEW_GUARD}_{table}();
            """)
        elif vendor == "sqlite":
            for operation, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
                if table == "planner_sessionrecord":
                    if operation == "INSERT":
                        continue
                    condition = "OLD.reviewed_at IS NOT NULL"
                else:
                    condition = _reviewed(row, record_column)
                schema_editor.execute(f"""
                    CREATE TRIGGER {REVIEW_GUARD}_{table}_{operation.lower()} BEFORE {operation} ON {table}
                    WHEN {condition}
                    BEGIN SELECT RAISE(ABORT, '{_REVIEW_MESSAGE}'); END""")
        else:
            raise NotImplementedError(f"No review guard for the {vendor} database.")


def remove_review_guard(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for table, _column in _review_tables(schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {REVIEW_GUARD}_{table} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {REVIEW_GUARD}_{table}()")
        else:
            for operation in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {REVIEW_GUARD}_{table}_{operation}")


# A session that has started or has an outcome stays where and when it ran, with the order it ran
# under: its device, times, status, course and number no longer change. What locks it is its
# record's start time, a final outcome (completed, stopped early, not started) or its review — not
# the record the blood bank opens when it issues products before check-in.
SESSION_GUARD = "session_done_is_locked"
_SESSION_MESSAGE = f"{SESSION_GUARD}: a session that has started or been recorded cannot be moved or cancelled"
SESSION_LOCKED_COLUMNS = ("course_id", "number", "device_id", "starts_at", "ends_at", "status")
LOCKING_OUTCOMES = ("completed", "stopped_early", "not_started")
_SESSION_DONE = f"""EXISTS (
    SELECT 1 FROM planner_sessionrecord AS record WHERE record.procedure_id = OLD.id AND (
        record.started_at IS NOT NULL OR record.reviewed_at IS NOT NULL
        OR record.outcome IN ({", ".join(f"'{outcome}'" for outcome in LOCKING_OUTCOMES)})
    )
)"""  # nosec B608


def install_session_guard(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Refuse moving or cancelling a started or recorded session, whatever the door (ORM, bulk, SQL).

    Idempotent; like the booking guard, re-installed by every migration that alters planner_procedure
    (SQLite drops a table's triggers when Django rebuilds it).
    """
    vendor = schema_editor.connection.vendor
    remove_session_guard(apps, schema_editor)
    if vendor == "postgresql":
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in SESSION_LOCKED_COLUMNS)
        schema_editor.execute(f"""
            CREATE OR REPLACE FUNCTION {SESSION_GUARD}() RETURNS trigger AS $$
            BEGIN
                IF ({changed}) AND {_SESSION_DONE} THEN
                    RAISE EXCEPTION '{_SESSION_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER {SESSION_GUARD} BEFORE UPDATE ON planner_procedure
                FOR EACH ROW EXECUTE FUNCTION {SESSION_GUARD}();
        """)  # nosec B608
    elif vendor == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in SESSION_LOCKED_COLUMNS)
        schema_editor.execute(f"""
            CREATE TRIGGER {SESSION_GUARD} BEFORE UPDATE ON planner_procedure
            WHEN ({changed}) AND {_SESSION_DONE}
            BEGIN SELECT RAISE(ABORT, '{_SESSION_MESSAGE}'); END""")  # nosec B608
    else:
        raise NotImplementedError(f"No session guard for the {vendor} database.")


def remove_session_guard(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {SESSION_GUARD} ON planner_procedure")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {SESSION_GUARD}()")
    else:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {SESSION_GUARD}")


def remove_record_guards(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Before SQLite rebuilds planner_sessionrecord (adding a column): the review and session guards'
    triggers read that table and would break the rebuild's rename, so they go first (0020, 0021)."""
    remove_session_guard(apps, schema_editor)
    remove_review_guard(apps, schema_editor)


def install_record_guards(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """After such a rebuild: the review guard (on every record table that exists by then) and the session guard."""
    install_review_guard(apps, schema_editor)
    install_session_guard(apps, schema_editor)


# Approvals and consents are a record of who did what when: a new row says what changed, and no row
# is ever changed or deleted, whatever the door.
APPEND_ONLY_GUARD = "append_only"
APPEND_ONLY_TABLES = ("planner_approval", "planner_consent")


def install_append_only_guard(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    remove_append_only_guard(apps, schema_editor)
    for table in APPEND_ONLY_TABLES:
        message = f"{APPEND_ONLY_GUARD}: {table} keeps every row; record a new one instead"
        if vendor == "postgresql":
            schema_editor.execute(f"""
                CREATE OR REPLACE FUNCTION {APPEND_ONLY_GUARD}_{table}() RETURNS trigger AS $$
                BEGIN
                    RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';
                END $$ LANGUAGE plpgsql;
                CREATE TRIGGER {APPEND_ONLY_GUARD}_{table} BEFORE UPDATE OR DELETE ON {table}
                    FOR EACH ROW EXECUTE FUNCTION {APPEND_ONLY_GUARD}_{table}();
            """)  # nosec B608
        elif vendor == "sqlite":
            for operation in ("UPDATE", "DELETE"):
                schema_editor.execute(f"""
                    CREATE TRIGGER {APPEND_ONLY_GUARD}_{table}_{operation.lower()} BEFORE {operation} ON {table}
                    BEGIN SELECT RAISE(ABORT, '{message}'); END""")  # nosec B608
        else:
            raise NotImplementedError(f"No append-only guard for the {vendor} database.")


def remove_append_only_guard(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for table in APPEND_ONLY_TABLES:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {APPEND_ONLY_GUARD}_{table} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {APPEND_ONLY_GUARD}_{table}()")
        else:
            for operation in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {APPEND_ONLY_GUARD}_{table}_{operation}")


# A monthly quality report moves one way only: prepared (numbers refreshed at will) -> submitted by the
# head nurse (month, numbers and submission stand) -> confirmed by the department head (nothing of it
# changes); it starts as prepared, and once submitted it is not deleted (planner/models/reports.py).
# Reports are never sent back to preparation: a correction shows beside the frozen report.
REPORT_GUARD = "monthly_report_frozen"
_REPORT_SUBMISSION = ("submitted_by_id", "submitted_at", "submission_note")
_REPORT_PREPARATION = ("month", "numbers", "prepared_by_id", "prepared_at")


def install_report_guard(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    remove_report_guard(apps, schema_editor)
    frozen = f"{REPORT_GUARD}: a confirmed monthly report cannot be changed"
    submitted = f"{REPORT_GUARD}: a submitted report keeps its month, numbers and submission; it is only confirmed"
    prepared = f"{REPORT_GUARD}: a prepared report is submitted, with its numbers as prepared, before it is confirmed"
    starts = f"{REPORT_GUARD}: a report starts as prepared"
    kept = f"{REPORT_GUARD}: a submitted or confirmed report is kept"
    if vendor == "postgresql":

        def changed(fields: tuple[str, ...]) -> str:
            return " OR ".join(f"NEW.{field}::text IS DISTINCT FROM OLD.{field}::text" for field in fields)

        schema_editor.execute(f"""
            CREATE OR REPLACE FUNCTION {REPORT_GUARD}() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    IF NEW.state <> 'prepared' THEN
                        RAISE EXCEPTION '{starts}' USING ERRCODE = 'integrity_constraint_violation';
                    END IF;
                    RETURN NEW;
                END IF;
                IF TG_OP = 'DELETE' THEN
                    IF OLD.state <> 'prepared' THEN
                        RAISE EXCEPTION '{kept}' USING ERRCODE = 'integrity_constraint_violation';
                    END IF;
                    RETURN OLD;
                END IF;
                IF OLD.state = 'confirmed' THEN
                    RAISE EXCEPTION '{frozen}' USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                IF OLD.state = 'submitted' AND (NEW.state <> 'confirmed'
                        OR {changed(_REPORT_PREPARATION + _REPORT_SUBMISSION)}) THEN
                    RAISE EXCEPTION '{submitted}' USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                IF OLD.state = 'prepared' AND NEW.state <> 'prepared' AND (NEW.state <> 'submitted'
                        OR {changed(_REPORT_PREPARATION)}) THEN
                    RAISE EXCEPTION '{prepared}' USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER {REPORT_GUARD} BEFORE INSERT OR UPDATE OR DELETE ON planner_monthlyreport
                FOR EACH ROW EXECUTE FUNCTION {REPORT_GUARD}();
        """)  # nosec B608
    elif vendor == "sqlite":

        def changed(fields: tuple[str, ...]) -> str:
            return " OR ".join(f"NEW.{field} IS NOT OLD.{field}" for field in fields)

        schema_editor.execute(f"""
            CREATE TRIGGER {REPORT_GUARD}_insert BEFORE INSERT ON planner_monthlyreport
            WHEN NEW.state <> 'prepared' BEGIN SELECT RAISE(ABORT, '{starts}'); END""")  # nosec B608
        schema_editor.execute(f"""
            CREATE TRIGGER {REPORT_GUARD}_delete BEFORE DELETE ON planner_monthlyreport
            WHEN OLD.state <> 'prepared' BEGIN SELECT RAISE(ABORT, '{kept}'); END""")  # nosec B608
        schema_editor.execute(f"""
            CREATE TRIGGER {REPORT_GUARD}_confirmed BEFORE UPDATE ON planner_monthlyreport
            WHEN OLD.state = 'confirmed' BEGIN SELECT RAISE(ABORT, '{frozen}'); END""")  # nosec B608
        schema_editor.execute(f"""
            CREATE TRIGGER {REPORT_GUARD}_submitted BEFORE UPDATE ON planner_monthlyreport
            WHEN OLD.state = 'submitted' AND (NEW.state <> 'confirmed'
                OR {changed(_REPORT_PREPARATION + _REPORT_SUBMISSION)})
            BEGIN SELECT RAISE(ABORT, '{submitted}'); END""")  # nosec B608
        schema_editor.execute(f"""
            CREATE TRIGGER {REPORT_GUARD}_prepared BEFORE UPDATE ON planner_monthlyreport
            WHEN OLD.state = 'prepared' AND NEW.state <> 'prepared' AND (NEW.state <> 'submitted'
                OR {changed(_REPORT_PREPARATION)})
            BEGIN SELECT RAISE(ABORT, '{prepared}'); END""")  # nosec B608
    else:
        raise NotImplementedError(f"No report guard for the {vendor} database.")


def remove_report_guard(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {REPORT_GUARD} ON planner_monthlyreport")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {REPORT_GUARD}()")
    else:
        for suffix in ("insert", "delete", "confirmed", "submitted", "prepared"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {REPORT_GUARD}_{suffix}")
