"""Model validation with fewer database round trips: the check constraints in one query, and no
second look-up of a related row the instance already holds.

Django's `CheckConstraint.validate` asks the database about each constraint on its own, and builds a
query holding every field's value each time: a course's eight checks cost five round trips and some
three hundred query expressions on every validation of the course form, including each keystroke the
live panel answers. `OneQueryChecks.validate_constraints` asks the same questions in one query: each
condition becomes one selected column, `COALESCE(condition, true)` exactly as Django writes it, over the
field values written once. Everything else is Django's own:

- the values compared (`Model._get_field_expression_map`, as `CheckConstraint.validate` uses);
- the errors, their messages, codes and order;
- a check naming an excluded field passes unasked, as Django lets it pass (its `FieldError`);
- a check the query cannot write otherwise (a subquery's outer field, say) is left to Django's own
  `validate`;
- a database error, a field holding an expression, a proxy or a child model: Django's one-by-one
  validation for the lot, as before.

Constraints of other kinds (unique, exclusion) are validated by Django, one by one, as before.

`clean_fields` skips Django's `SELECT 1 ... LIMIT 1` for a foreign key whose row the instance holds, read
from the same database (a form's choice field has just read it, from a queryset at least as strict): the
row is known to exist. A key set by id alone, to an unsaved object or to another row than the one held,
or with `limit_choices_to` or validators of its own, is checked by Django as before.
tests/test_constraint_checks.py holds both to Django's own answers.
"""

from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, connections, models, router, transaction
from django.db.models import BooleanField, Q, Value
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE


def check_results(
    instance: models.Model, checks: list[models.CheckConstraint], exclude: set[str] | None, using: str
) -> dict[str, bool] | None:
    """Whether `instance` meets each check constraint, by name, from one query.

    A check naming an excluded field is answered True unasked (Django lets it pass); a check missing
    from the answer is one this query cannot write, left to Django's own `validate`; None leaves the
    whole validation to Django (a field holds an expression, or the database refused the query).
    """
    query = Query(None)
    try:
        for name, value in instance._get_field_expression_map(meta=instance._meta, exclude=exclude).items():
            query.add_annotation(value if hasattr(value, "resolve_expression") else Value(value), name, select=False)
    except FieldError:
        return None  # a field holds an expression this query cannot write
    asked, results = [], {}
    for number, constraint in enumerate(checks):
        if exclude and Q(constraint.condition).referenced_base_fields & set(exclude):
            # It names an excluded field: Django lets it pass (its FieldError), without a query.
            results[constraint.name] = True
            continue
        try:
            query.add_annotation(
                Coalesce(Q(constraint.condition), True, output_field=BooleanField()), f"_check_{number}"
            )
        except FieldError:
            continue
        asked.append(constraint.name)
    if not asked:
        return results
    connection = connections[using]
    atomic = transaction.atomic(using=using) if connection.in_atomic_block else None
    try:
        if atomic is None:
            row = query.get_compiler(using=using).execute_sql(SINGLE)
        else:
            with atomic:
                row = query.get_compiler(using=using).execute_sql(SINGLE)
    except DatabaseError:
        return None
    return results | {name: bool(holds) for name, holds in zip(asked, row, strict=True)}


class OneQueryChecks(models.Model):
    """Validates with fewer queries (see the module's docstring)."""

    class Meta:
        abstract = True

    def clean_fields(self, exclude: set[str] | None = None) -> None:
        held = set()
        for field in self._meta.concrete_fields:
            if field.many_to_one and not field.remote_field.limit_choices_to and field.is_cached(self):
                row = field.get_cached_value(self)
                value = getattr(self, field.attname)
                if (
                    row is not None
                    and value is not None
                    and not row._state.adding
                    and row._state.db == router.db_for_read(field.related_model, instance=self)
                    and getattr(row, field.target_field.attname) == value
                    and not field.validators
                ):
                    held.add(field.name)
        super().clean_fields(exclude=set(exclude or ()) | held)

    def validate_constraints(self, exclude: set[str] | None = None) -> None:
        constraints = self.get_constraints()
        using = router.db_for_write(self.__class__, instance=self)
        checks = [c for _model, listed in constraints for c in listed if type(c) is models.CheckConstraint]
        results = None
        # A proxy or a child model validates its parents' checks against their own fields: Django's way.
        simple = not self._meta.proxy and not self._meta.parents
        if checks and simple and connections[using].features.supports_comparing_boolean_expr:
            results = check_results(self, checks, exclude, using)
        if results is None:
            super().validate_constraints(exclude=exclude)
            return
        errors: dict = {}
        for model_class, model_constraints in constraints:
            for constraint in model_constraints:
                try:
                    if type(constraint) is models.CheckConstraint and constraint.name in results:
                        if not results[constraint.name]:
                            raise ValidationError(
                                constraint.get_violation_error_message(), code=constraint.violation_error_code
                            )
                    else:
                        constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as error:
                    # Django's own grouping (Model.validate_constraints).
                    if getattr(error, "code", None) == "unique" and len(getattr(constraint, "fields", ())) == 1:
                        errors.setdefault(constraint.fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
