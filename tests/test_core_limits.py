"""Ids as typed into an address or a form (planner/core/limits.py, parse_id): pure, under make mutation."""

import pytest

from planner.core.limits import LARGEST_ID, parse_id


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7", 7),
        (" 42 ", 42),
        (42, 42),
        (str(LARGEST_ID), 9223372036854775807),
        ("9223372036854775808", None),  # one past a 64-bit integer: SQLite refuses it in a query
        ("1" * 40, None),
        ("0", None),
        ("-3", None),
        ("²", None),  # "²".isdigit() is True
        ("٣", None),  # an Arabic-Indic three: int() would take it
        ("3.0", None),
        ("", None),
        (None, None),
        ("abc", None),
    ],
)
def test_an_id_is_ascii_digits_within_64_bits(typed: object, expected: int | None) -> None:
    assert parse_id(typed) == expected
