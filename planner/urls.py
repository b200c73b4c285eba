from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path
from django.views.i18n import set_language

from planner import views

urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.patient_list, name="patient-list"),
    path("patients/new/", views.patient_create, name="patient-create"),
    path("patients/<int:pk>/", views.patient_detail, name="patient-detail"),
    path("patients/<int:pk>/edit/", views.patient_update, name="patient-update"),
    path("patients/<int:pk>/measurements/new/", views.measurement_create, name="measurement-create"),
    path("measurements/<int:pk>/edit/", views.measurement_update, name="measurement-update"),
    path("patients/<int:pk>/courses/new/", views.course_create, name="course-create"),
    path("courses/<int:pk>/", views.course_detail, name="course-detail"),
    path("courses/<int:pk>/order.pdf", views.course_order_pdf, name="course-order-pdf"),
    path("procedures/<int:pk>/slip.pdf", views.procedure_slip_pdf, name="procedure-slip-pdf"),
    path("calendar/day.pdf", views.day_batch_pdf, name="day-batch-pdf"),
    path("courses/<int:pk>/edit/", views.course_update, name="course-update"),
    path("courses/<int:pk>/amend/", views.course_amend, name="course-amend"),
    path("courses/<int:pk>/sign/", views.course_sign, name="course-sign"),
    path("courses/<int:pk>/cancel/", views.course_cancel, name="course-cancel"),
    path("courses/<int:pk>/book/", views.course_book, name="course-book"),
    path("courses/<int:pk>/approve/", views.course_approve, name="course-approve"),
    path("courses/<int:pk>/consents/", views.consent_create, name="consent-create"),
    path("procedures/<int:pk>/move/", views.procedure_move, name="procedure-move"),
    path("procedures/<int:pk>/cancel/", views.procedure_cancel, name="procedure-cancel"),
    path("procedures/<int:pk>/fibrinogen/", views.procedure_fibrinogen, name="procedure-fibrinogen"),
    path("procedures/<int:pk>/record/", views.procedure_record, name="procedure-record"),
    path("procedures/<int:pk>/events/", views.adverse_event_create, name="adverse-event-create"),
    path("procedures/<int:pk>/run-sheet/", views.run_sheet_entry_create, name="run-sheet-entry-create"),
    path("procedures/<int:pk>/run-sheet.pdf", views.run_sheet_pdf, name="run-sheet-pdf"),
    path("procedures/<int:pk>/issue/", views.issued_product_create, name="issued-product-create"),
    path("procedures/<int:pk>/addenda/", views.session_addendum_create, name="session-addendum-create"),
    path("issued/<int:pk>/given/", views.issued_product_given, name="issued-product-given"),
    path("issued/<int:pk>/check/", views.bedside_check, name="bedside-check"),
    path("today/", views.today, name="today"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar.ics", views.calendar_ics, name="calendar-ics"),
    path("indications/", views.indication_list, name="indication-list"),
    path("indications/<int:pk>/", views.indication_detail, name="indication-detail"),
    path("devices/", views.device_list, name="device-list"),
    path("products/", views.product_list, name="product-list"),
    path("calculator/", views.calculator, name="calculator"),
    path("api/v1/exchange-plan", views.api_exchange_plan, name="api-exchange-plan"),
    path("healthz", views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    # The language switcher, also on the login page: a POST that sets the language cookie.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]

handler500 = "planner.views.errors.server_error"
