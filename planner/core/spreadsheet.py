"""Cells a spreadsheet cannot execute: what every export writes (CSV now, XLSX when reports come).

Pure Python. A text cell that begins with =, +, -, @, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (an MRN of =HYPERLINK("http://…") would
become a live link, or worse). OWASP's advice: prefix such a cell with a single quote, which
the spreadsheet shows as text. Numbers stay numbers.
"""

from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """The value as an export should write it: numbers as they are, text that could run as a formula quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_row(values: list[object]) -> list[object]:
    return [safe_cell(value) for value in values]
