"""The administration: the catalogue, staff and their roles, the audit trail and the session review.

Read-only where the role is read-only, by construction: a page or action is there only for a
user with the permission it needs, the history of a record is read-only for anyone who may not
change the record, and a refusal by one of the database's guards is a message, not a server
error. One module per area; importing this package registers them all.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from planner.admin import catalogue, clinical, logins, records, users  # noqa: F401 - registers the admin classes

admin.site.site_header = _("Apheresis Planner administration")
admin.site.site_title = _("Apheresis Planner")
