# A started or recorded session stays where and when it ran (issue 14): planner/db_guards.py.

from django.db import migrations

from planner.db_guards import install_session_guard, remove_session_guard


class Migration(migrations.Migration):
    dependencies = [
        ("planner", "0018_mrn_characters"),
    ]

    operations = [
        migrations.RunPython(install_session_guard, remove_session_guard),
    ]
