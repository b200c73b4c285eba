"""The planner's models, one module per area; everything is importable from planner.models."""

from planner.models import staff  # noqa: F401 - audit trail of User and Group
from planner.models.catalogue import (
    AdsorptionColumn,
    Device,
    Evidence,
    Fractionator,
    Indication,
    IndicationModality,
    IndicationQuerySet,
    Product,
    ProductQuerySet,
)
from planner.models.orders import Course, Procedure
from planner.models.patients import (
    MEASURED_FIELDS,
    LatestMeasurements,
    LatestValue,
    Measurement,
    Patient,
    PatientQuerySet,
    PatientView,
)
from planner.models.practice import Approval, BedsideCheck, Consent
from planner.models.records import AdverseEvent, IssuedProduct, RunSheetEntry, SessionAddendum, SessionRecord
from planner.models.reports import MonthlyReport, StopCriterion
from planner.models.submissions import Submission
from planner.models.tokens import ApiToken, ApiTokenQuerySet

__all__ = [
    "MonthlyReport",
    "StopCriterion",
    "AdsorptionColumn",
    "Evidence",
    "Fractionator",
    "IndicationModality",
    "Approval",
    "BedsideCheck",
    "Consent",
    "AdverseEvent",
    "IssuedProduct",
    "RunSheetEntry",
    "SessionAddendum",
    "SessionRecord",
    "Submission",
    "MEASURED_FIELDS",
    "ApiToken",
    "ApiTokenQuerySet",
    "Course",
    "Device",
    "Indication",
    "IndicationQuerySet",
    "LatestMeasurements",
    "LatestValue",
    "Measurement",
    "Patient",
    "PatientQuerySet",
    "PatientView",
    "Procedure",
    "Product",
    "ProductQuerySet",
]
