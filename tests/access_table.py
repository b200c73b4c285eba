"""Who may do what, at every door: the one table the access tests read.

The app's pages (PAGES) and every URL of the administration (ADMIN_SITE, ADMIN_MODELS,
ADMIN_ACTIONS), for anonymous visitors and every role. A page, model, action or role added later
joins this table: tests/test_access.py and tests/test_admin_access.py fail when a URL pattern or an
admin action is missing from it. The expectations are written from the roles' job descriptions
(planner/roles.py's docstrings and the README), not read back from the code.
"""

from dataclasses import dataclass

from planner.roles import ADMIN, APPROVAL_ROLES, BLOOD_BANK, HEAD_NURSE, NURSE, PHYSICIAN, REVIEWER

ANONYMOUS = "anonymous"
NO_ROLE = "no_role"  # logged in, in no group, not staff
STAFF_NO_ROLE = "staff_no_role"  # may enter the administration, holds no permission
SUPERUSER = "superuser"

# The approvers of blood-product volume (Chinese practice): senior physician, department head, medical affairs.
SENIOR, HEAD, MEDICAL_AFFAIRS = (APPROVAL_ROLES[step] for step in ("senior", "head", "medical_affairs"))
APPROVERS = frozenset({SENIOR, HEAD, MEDICAL_AFFAIRS})
ROLES = (
    ANONYMOUS,
    NO_ROLE,
    STAFF_NO_ROLE,
    PHYSICIAN,
    NURSE,
    BLOOD_BANK,
    REVIEWER,
    ADMIN,
    HEAD_NURSE,
    SENIOR,
    HEAD,
    MEDICAL_AFFAIRS,
    SUPERUSER,
)
# Who may enter the administration at all (is_staff): the roles in roles.STAFF_ROLES and superusers.
STAFF = frozenset({STAFF_NO_ROLE, REVIEWER, ADMIN, SUPERUSER})

NOBODY: frozenset[str] = frozenset()
ANY_LOGGED_IN = frozenset(ROLES) - {ANONYMOUS}
# A superuser holds every permission: it sees and may do what any role may.
# Approvers read the orders they approve, with their patients and sessions.
VIEWERS = frozenset({PHYSICIAN, NURSE, BLOOD_BANK, REVIEWER, ADMIN, HEAD_NURSE, SUPERUSER}) | APPROVERS
EDITORS = frozenset({PHYSICIAN, NURSE, ADMIN, SUPERUSER})
PHYSICIANS = frozenset({PHYSICIAN, SUPERUSER})
SUPERUSERS = frozenset({SUPERUSER})
ADMINISTRATORS = frozenset({ADMIN, SUPERUSER})
READERS = frozenset({REVIEWER, ADMIN, SUPERUSER})  # staff who read the unit's records in the administration
# The unit's reports: reviewers and administrators, the head nurse who submits the month's quality
# report and the department head who confirms it.
REPORTERS = frozenset({REVIEWER, ADMIN, HEAD_NURSE, HEAD, SUPERUSER})


# --- The app's own pages (a GET of each) -------------------------------------------------------


@dataclass(frozen=True)
class Page:
    allowed: frozenset[str]  # roles that get `status`; the rest get 403
    status: int = 200
    public: bool = False  # anonymous gets `status` too, instead of the login page


PAGES: dict[str, Page] = {
    "home": Page(ANY_LOGGED_IN, status=302),
    "patient-list": Page(VIEWERS),
    "patient-create": Page(EDITORS),
    "patient-detail": Page(VIEWERS),
    "patient-update": Page(EDITORS),
    "measurement-create": Page(EDITORS),
    "measurement-update": Page(EDITORS),
    "indication-list": Page(VIEWERS),
    "indication-detail": Page(VIEWERS),
    "device-list": Page(VIEWERS),
    "product-list": Page(VIEWERS),
    "calculator": Page(VIEWERS),
    "course-create": Page(PHYSICIANS),
    "course-detail": Page(VIEWERS),
    "course-update": Page(PHYSICIANS),
    "course-amend": Page(PHYSICIANS, status=302),  # the fixture's course is a draft: nothing to amend yet
    # Actions are POSTs: a GET is 405 for anyone logged in; tests/test_courses.py covers who may POST.
    "course-sign": Page(ANY_LOGGED_IN, status=405),
    "course-cancel": Page(ANY_LOGGED_IN, status=405),
    "course-book": Page(ANY_LOGGED_IN, status=405),
    # Approving, recording a consent and the bedside check are POSTs too (tests/test_practice.py: who may).
    "course-approve": Page(ANY_LOGGED_IN, status=405),
    "consent-create": Page(ANY_LOGGED_IN, status=405),
    "bedside-check": Page(ANY_LOGGED_IN, status=405),
    "procedure-move": Page(EDITORS),
    "procedure-cancel": Page(ANY_LOGGED_IN, status=405),
    "procedure-fibrinogen": Page(ANY_LOGGED_IN, status=405),
    "today": Page(VIEWERS),
    "calendar": Page(VIEWERS),
    "procedure-record": Page(VIEWERS),
    "adverse-event-create": Page(ANY_LOGGED_IN, status=405),
    "run-sheet-entry-create": Page(ANY_LOGGED_IN, status=405),
    "run-sheet-pdf": Page(VIEWERS),
    "issued-product-create": Page(ANY_LOGGED_IN, status=405),
    "issued-product-given": Page(ANY_LOGGED_IN, status=405),
    "session-addendum-create": Page(ANY_LOGGED_IN, status=405),
    "course-order-pdf": Page(VIEWERS),
    "course-summary-pdf": Page(VIEWERS),
    "procedure-slip-pdf": Page(VIEWERS),
    "day-batch-pdf": Page(VIEWERS),
    "calendar-ics": Page(VIEWERS),
    "unit-report": Page(REPORTERS),
    "unit-report-csv": Page(REPORTERS),
    "unit-report-xlsx": Page(REPORTERS),
    "unit-report-pdf": Page(REPORTERS),
    "monthly-report-list": Page(REPORTERS),
    "monthly-report-detail": Page(REPORTERS),
    "monthly-report-pdf": Page(REPORTERS),
    # Preparing, submitting and confirming are POSTs (tests/test_report_views.py: who may).
    "monthly-report-prepare": Page(ANY_LOGGED_IN, status=405),
    "monthly-report-submit": Page(ANY_LOGGED_IN, status=405),
    "monthly-report-confirm": Page(ANY_LOGGED_IN, status=405),
    # A JSON API: GET is not allowed (405); anonymous POSTs get 401 JSON (tests/test_exchange_doors.py).
    "api-exchange-plan": Page(ANY_LOGGED_IN, status=405, public=True),
    "health": Page(ANY_LOGGED_IN, public=True),
    "login": Page(ANY_LOGGED_IN, public=True),
    "logout": Page(ANY_LOGGED_IN, status=405),  # logging out is a POST
    "password_change": Page(ANY_LOGGED_IN),
    "password_change_done": Page(ANY_LOGGED_IN),
    # Choosing the language is a POST; a GET just goes back (302), for anyone, as on the login page.
    "set_language": Page(ANY_LOGGED_IN, status=302, public=True),
}


# --- The administration ------------------------------------------------------------------------
# Outcomes: "ok" (a page, or a redirect that is not to the login), "login" (sent to the admin's
# login, the admin's or the app's), "403", "404", "405". Everyone outside STAFF is sent to the
# login for every admin URL except the admin's login and (when logged in) its logout.


@dataclass(frozen=True)
class SiteRule:
    allowed: frozenset[str]
    get: str = "ok"
    post: str = "ok"
    staff_refused: str = "403"  # what staff outside `allowed` get
    others: str = "login"  # what everyone else who is logged in gets (GET and POST)
    anonymous: str = "login"  # what an anonymous visitor outside `allowed` gets


ADMIN_SITE: dict[str, SiteRule] = {
    "index": SiteRule(STAFF),
    "login": SiteRule(frozenset(ROLES)),
    # Staff log out with a POST and land on the login; anyone else is sent to the index.
    "logout": SiteRule(STAFF, get="405", post="login", others="ok"),
    "password_change": SiteRule(STAFF),
    "password_change_done": SiteRule(STAFF, post="405"),
    # Without naming a field to complete, the autocomplete refuses even staff; it answers GET only.
    "autocomplete": SiteRule(STAFF, get="403", post="405"),
    "jsi18n": SiteRule(STAFF, post="405"),
    # "View on site" sends staff on to the app's own page, which checks the role again.
    "view_on_site": SiteRule(STAFF),
    # An application's index: only for staff who may read something in it.
    "app_list:planner": SiteRule(READERS, staff_refused="404"),
    "app_list:auth": SiteRule(ADMINISTRATORS, staff_refused="404"),
    "app_list:axes": SiteRule(ADMINISTRATORS, staff_refused="404"),
}


@dataclass(frozen=True)
class ModelRule:
    view: frozenset[str]
    add: frozenset[str] = NOBODY
    change: frozenset[str] = NOBODY
    delete: frozenset[str] = NOBODY
    # Who may POST a past version back (simple-history's history form); None: as `change`.
    revert: frozenset[str] | None = None


# Clinical records are corrected, never deleted; orders, bookings and session records change only
# through the workflow; staff accounts and roles are granted by the lines in planner/admin/users.py
# (the target account in the matrix is a nurse's: an administrator manages it).
ADMIN_MODELS: dict[str, ModelRule] = {
    "planner.indication": ModelRule(READERS, add=ADMINISTRATORS, change=ADMINISTRATORS),
    "planner.device": ModelRule(READERS, add=ADMINISTRATORS, change=ADMINISTRATORS, delete=ADMINISTRATORS),
    "planner.product": ModelRule(READERS, add=ADMINISTRATORS, change=ADMINISTRATORS, delete=ADMINISTRATORS),
    "planner.fractionator": ModelRule(READERS, add=ADMINISTRATORS, change=ADMINISTRATORS, delete=ADMINISTRATORS),
    "planner.adsorptioncolumn": ModelRule(READERS, add=ADMINISTRATORS, change=ADMINISTRATORS, delete=ADMINISTRATORS),
    # Taken out of use, never deleted: loading the catalogue again would bring a deleted row back.
    "planner.indicationmodality": ModelRule(READERS, add=ADMINISTRATORS, change=ADMINISTRATORS),
    "planner.stopcriterion": ModelRule(READERS, add=ADMINISTRATORS, change=ADMINISTRATORS),
    "planner.patient": ModelRule(READERS, add=ADMINISTRATORS, change=ADMINISTRATORS),
    "planner.measurement": ModelRule(READERS, add=ADMINISTRATORS, change=ADMINISTRATORS),
    "planner.apitoken": ModelRule(ADMINISTRATORS, add=ADMINISTRATORS, change=ADMINISTRATORS),
    "planner.course": ModelRule(READERS),
    "planner.procedure": ModelRule(READERS),
    "planner.patientview": ModelRule(ADMINISTRATORS),
    "planner.sessionrecord": ModelRule(READERS),
    # Accounts and roles: history to read, never to revert.
    "auth.user": ModelRule(ADMINISTRATORS, add=ADMINISTRATORS, change=ADMINISTRATORS, delete=SUPERUSERS, revert=NOBODY),
    "auth.group": ModelRule(ADMINISTRATORS, add=SUPERUSERS, change=SUPERUSERS, delete=SUPERUSERS, revert=NOBODY),
    # django-axes: administrators read the login log and unlock (delete an attempt); its rows are read-only
    # fields for everyone, superusers included.
    "axes.accessattempt": ModelRule(ADMINISTRATORS, change=SUPERUSERS, delete=ADMINISTRATORS),
    "axes.accesslog": ModelRule(ADMINISTRATORS, change=SUPERUSERS, delete=SUPERUSERS),
    "axes.accessfailurelog": ModelRule(ADMINISTRATORS, change=SUPERUSERS, delete=SUPERUSERS),
}

# Every action the admin offers, and who may run it (model, action name).
ADMIN_ACTIONS: dict[tuple[str, str], frozenset[str]] = {
    ("planner.sessionrecord", "mark_reviewed"): frozenset({REVIEWER, SUPERUSER}),
    ("planner.sessionrecord", "export_csv"): frozenset({REVIEWER, SUPERUSER}),
    ("planner.apitoken", "revoke"): ADMINISTRATORS,
    ("planner.device", "mark_verified"): ADMINISTRATORS,
    ("planner.product", "mark_verified"): ADMINISTRATORS,
    ("planner.fractionator", "mark_verified"): ADMINISTRATORS,
    ("planner.adsorptioncolumn", "mark_verified"): ADMINISTRATORS,
    ("axes.accessattempt", "cleanup_expired_attempts"): ADMINISTRATORS,
    # Django's "delete selected": whoever may delete rows of the model.
    **{(model, "delete_selected"): rule.delete for model, rule in ADMIN_MODELS.items()},
}


def site_expected(rule: SiteRule, method: str, role: str) -> str:
    """What one role gets from one of the admin's own pages."""
    if role in rule.allowed:
        return rule.get if method == "GET" else rule.post
    if role in STAFF:
        return rule.staff_refused
    return rule.anonymous if role == ANONYMOUS else rule.others


def admin_expected(rule_for_role: frozenset[str], role: str) -> str:
    """Outside STAFF: the login; staff holding the right: ok; other staff: 403."""
    if role not in STAFF:
        return "login"
    return "ok" if role in rule_for_role else "403"


def model_expected(rule: ModelRule, kind: str, method: str, role: str) -> str:
    """What one role gets from one kind of a model's admin URL (changelist, add, change, …)."""
    readers = rule.view | rule.change
    revert = rule.change if rule.revert is None else rule.revert
    allowed = {
        ("changelist", "GET"): readers,
        ("changelist", "POST"): readers,
        ("add", "GET"): rule.add,
        ("add", "POST"): rule.add,
        ("change", "GET"): readers,
        ("change", "POST"): rule.change,
        ("delete", "GET"): rule.delete,
        ("delete", "POST"): rule.delete,
        ("history", "GET"): readers,
        ("history", "POST"): readers,
        ("simple_history", "GET"): readers,
        ("simple_history", "POST"): revert,
        ("password_change", "GET"): rule.change,
        ("password_change", "POST"): rule.change,
    }[(kind, method)]
    return admin_expected(allowed, role)
