"""Staff roles as Django groups, and the permissions each one holds.

The table is the single source of truth: `python manage.py setup_roles` makes
the groups match it exactly, so a permission removed here is removed from the
database too.
"""

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q, QuerySet

PHYSICIAN = "physician"
NURSE = "nurse"
BLOOD_BANK = "bloodbank"
REVIEWER = "reviewer"
ADMIN = "admin"
# Submits the unit's monthly quality report (planner/reports.py); the department head confirms it.
HEAD_NURSE = "head_nurse"
# The graded approval's steps (planner/approvals.py), each held by the role the settings name
# (APPROVAL_ROLES: senior_physician, department_head and medical_affairs unless changed). A senior
# physician who also prescribes is in both the physician and the senior physician role.
APPROVAL_ROLES: dict[str, str] = dict(settings.APPROVAL_ROLES)
APPROVAL_PERMISSIONS = {step: f"approve_{step}" for step in APPROVAL_ROLES}

# Roles that can sign or approve orders: only a superuser grants or removes them (see planner/admin/users.py).
SIGNING_ROLES = frozenset({PHYSICIAN, HEAD_NURSE, *APPROVAL_ROLES.values()})
# Roles whose members work in the administration (is_staff): review session logs, keep the catalogue.
STAFF_ROLES = frozenset({REVIEWER, ADMIN})
# Accounts only a superuser changes, grants or sets a password for: those that sign orders, review
# or export session records, and the administrators themselves. Anyone else acting through such an
# account (with a password they set, or an API key) would act in its holder's name with rights of
# their own they do not have.
PROTECTED_ROLES = SIGNING_ROLES | STAFF_ROLES
PROTECTED_PERMISSIONS = (
    "sign_course",
    "submit_monthlyreport",
    "confirm_monthlyreport",
    "review_sessionrecord",
    "export_sessionrecord",
    *APPROVAL_PERMISSIONS.values(),
)


def protected_accounts() -> Q:
    """Users only a superuser may manage: superusers, members of a protected role, and holders of a
    protected permission, given directly or through any group (a role renamed or made up later)."""
    direct = {"user_permissions__content_type__app_label": "planner"}
    through_group = {"groups__permissions__content_type__app_label": "planner"}
    return (
        Q(is_superuser=True)
        | Q(groups__name__in=PROTECTED_ROLES)
        | Q(**direct, user_permissions__codename__in=PROTECTED_PERMISSIONS)
        | Q(**through_group, groups__permissions__codename__in=PROTECTED_PERMISSIONS)
    )


def grantable_groups() -> QuerySet[Group]:
    """The roles an administrator who is not a superuser may give or take away."""
    return Group.objects.exclude(name__in=PROTECTED_ROLES).exclude(
        permissions__content_type__app_label="planner", permissions__codename__in=PROTECTED_PERMISSIONS
    )


_CATALOGUE_MODELS = (
    "stopcriterion",
    "indication",
    "device",
    "product",
    "fractionator",
    "adsorptioncolumn",
    "indicationmodality",
)
_CATALOGUE_VIEW = [f"planner.view_{model}" for model in _CATALOGUE_MODELS]
_SCHEDULE_VIEW = ["planner.view_course", "planner.view_procedure"]
# Ordering: prescribe, amend and sign courses.
_ORDER = ["planner.add_course", "planner.change_course", "planner.sign_course"]
# Running the unit: book, move and cancel sessions.
_BOOK = ["planner.add_procedure", "planner.change_procedure"]
_RECORDS_VIEW = [
    "planner.view_sessionrecord",
    "planner.view_adverseevent",
    "planner.view_issuedproduct",
    "planner.view_sessionaddendum",
]
# At the bedside: record the session, its adverse events and what was given.
_RECORD = [
    "planner.add_sessionrecord",
    "planner.change_sessionrecord",
    "planner.add_adverseevent",
    "planner.change_issuedproduct",
    "planner.add_sessionaddendum",
]
# The blood bank issues products, traceable by lot or unit number.
_ISSUE = ["planner.add_issuedproduct"]
_PATIENT_VIEW = ["planner.view_patient", "planner.view_measurement"]
# The course's approvals and consents: everyone who reads the order reads them.
_PRACTICE_VIEW = ["planner.view_approval", "planner.view_consent", "planner.view_bedsidecheck"]
# Recording a consent as the patient or their representative signs it.
_CONSENT = ["planner.add_consent"]
# The bedside two-person check of a plasma unit or albumin lot.
_CHECK = ["planner.add_bedsidecheck"]
_PATIENT_EDIT = [
    "planner.add_patient",
    "planner.change_patient",
    "planner.add_measurement",
    "planner.change_measurement",
]

# The unit's reports (planner/reports.py): read them, and prepare a month's quality report.
_REPORTS = ["planner.view_unitreport", "planner.view_monthlyreport"]
_PREPARE_REPORT = ["planner.add_monthlyreport", "planner.change_monthlyreport"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Orders and signs courses; records patients and their labs.
    PHYSICIAN: _CATALOGUE_VIEW
    + _PATIENT_VIEW
    + _PATIENT_EDIT
    + _SCHEDULE_VIEW
    + _ORDER
    + _BOOK
    + _RECORDS_VIEW
    + _RECORD
    + _PRACTICE_VIEW
    + _CONSENT
    + _CHECK,
    # Runs and records sessions; records weights and the day's labs.
    NURSE: _CATALOGUE_VIEW
    + _PATIENT_VIEW
    + _PATIENT_EDIT
    + _SCHEDULE_VIEW
    + _BOOK
    + _RECORDS_VIEW
    + _RECORD
    + _PRACTICE_VIEW
    + _CONSENT
    + _CHECK,
    # Prepares and issues fluids: reads patients (ABO, allergies), labs and orders.
    BLOOD_BANK: _CATALOGUE_VIEW + _PATIENT_VIEW + _SCHEDULE_VIEW + _RECORDS_VIEW + _PRACTICE_VIEW + _ISSUE,
    # Reviews session logs; reads everything else.
    REVIEWER: _CATALOGUE_VIEW
    + _PATIENT_VIEW
    + _SCHEDULE_VIEW
    + _RECORDS_VIEW
    + _PRACTICE_VIEW
    + _REPORTS
    + _PREPARE_REPORT
    + ["planner.review_sessionrecord", "planner.export_sessionrecord"],
    # Leads the nurses: reads what the unit does, prepares the monthly quality report and submits it.
    HEAD_NURSE: _CATALOGUE_VIEW
    + _PATIENT_VIEW
    + _SCHEDULE_VIEW
    + _RECORDS_VIEW
    + _PRACTICE_VIEW
    + _REPORTS
    + _PREPARE_REPORT
    + ["planner.submit_monthlyreport"],
    # Keeps the catalogue and the staff list.
    # An administrator keeps the catalogue and staff; signing stays with physicians.
    ADMIN: _CATALOGUE_VIEW
    + _PATIENT_VIEW
    + _PATIENT_EDIT
    + _SCHEDULE_VIEW
    + _BOOK
    + _RECORDS_VIEW
    + _PRACTICE_VIEW
    + _REPORTS
    + _PREPARE_REPORT
    + [f"planner.{action}_{model}" for model in _CATALOGUE_MODELS for action in ("add", "change", "delete")]
    # Issue and revoke API keys for other hospital systems.
    + ["planner.view_apitoken", "planner.add_apitoken", "planner.change_apitoken"]
    # Read the log of who opened which patient's record.
    + ["planner.view_patientview"]
    # Keep staff accounts and the other roles' memberships (planner/admin/users.py draws the lines).
    + ["auth.view_user", "auth.add_user", "auth.change_user", "auth.view_group"]
    # Unlock a login locked by too many failures (django-axes: deleting the attempts unlocks).
    + ["axes.view_accessattempt", "axes.delete_accessattempt", "axes.view_accesslog", "axes.view_accessfailurelog"],
}

# Each approval step's role reads what it approves: the order, the patient, the sessions.
for _step, _role in APPROVAL_ROLES.items():
    ROLE_PERMISSIONS.setdefault(
        _role, _CATALOGUE_VIEW + _PATIENT_VIEW + _SCHEDULE_VIEW + _RECORDS_VIEW + _PRACTICE_VIEW
    ).append(f"planner.{APPROVAL_PERMISSIONS[_step]}")
# The department head reads the unit's reports and confirms the month's, which freezes it.
ROLE_PERMISSIONS[APPROVAL_ROLES["head"]] += [*_REPORTS, "planner.confirm_monthlyreport"]


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@transaction.atomic
def setup_roles() -> dict[str, int]:
    """Create the groups and give each exactly its permissions. Returns permission counts."""
    counts = {}
    for role, dotted_names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([_permission(name) for name in dotted_names])
        counts[role] = len(dotted_names)
    return counts
