"""The planner's views, one module per area; urls.py reaches them all through planner.views."""

from planner.views.calculator import (
    api_exchange_plan,
    calculator,
)
from planner.views.calendar import (
    calendar,
    calendar_ics,
    day_batch_pdf,
    today,
)
from planner.views.catalogue import (
    device_list,
    indication_detail,
    indication_list,
    product_list,
)
from planner.views.courses import (
    course_amend,
    course_book,
    course_cancel,
    course_create,
    course_detail,
    course_order_pdf,
    course_sign,
    course_update,
    procedure_cancel,
    procedure_fibrinogen,
    procedure_move,
    procedure_slip_pdf,
)
from planner.views.patients import (
    health,
    home,
    measurement_create,
    measurement_update,
    patient_create,
    patient_detail,
    patient_list,
    patient_update,
)
from planner.views.records import (
    adverse_event_create,
    issued_product_create,
    issued_product_given,
    procedure_record,
    session_addendum_create,
)

__all__ = [
    "adverse_event_create",
    "issued_product_create",
    "issued_product_given",
    "procedure_record",
    "session_addendum_create",
    "course_order_pdf",
    "day_batch_pdf",
    "today",
    "procedure_slip_pdf",
    "api_exchange_plan",
    "calculator",
    "calendar",
    "calendar_ics",
    "course_amend",
    "course_book",
    "course_cancel",
    "course_create",
    "course_detail",
    "course_sign",
    "course_update",
    "device_list",
    "health",
    "home",
    "indication_detail",
    "indication_list",
    "measurement_create",
    "measurement_update",
    "patient_create",
    "patient_detail",
    "patient_list",
    "patient_update",
    "procedure_cancel",
    "procedure_fibrinogen",
    "procedure_move",
    "product_list",
]
