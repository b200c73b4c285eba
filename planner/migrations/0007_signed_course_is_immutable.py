"""A signed course cannot be edited or deleted through any door: a trigger on each backend (planner/db_guards.py)."""

from django.db import migrations

from planner.db_guards import install_course_guard, remove_course_guard


class Migration(migrations.Migration):
    dependencies = [("planner", "0006_audit_history_and_record_views")]

    operations = [migrations.RunPython(install_course_guard, remove_course_guard)]
