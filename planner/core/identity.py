"""A patient's medical record number in one canonical form, whatever keyboard, scanner or font typed it.

Pure Python. Full-width digits (ＤＥＭＯ-０００２), a zero-width space, a non-breaking hyphen
(U+2011), digits of another script or a lower-case letter must not make a second patient beside
DEMO-0002:

1. Unicode NFKC folds compatibility forms (full-width letters and digits) to their plain ones.
2. Invisible characters are removed: format characters (Unicode category Cf: zero-width space and
   joiners, the byte-order mark, soft hyphen), the other default-ignorable code points (variation
   selectors, the combining grapheme joiner, Hangul fillers) and all white space.
3. Every dash (category Pd, and the minus signs U+2212, U+FE63, U+FF0D) becomes "-".
4. Every decimal digit of any script (Arabic-Indic ٠١٢, Devanagari …) becomes its ASCII digit.
5. Letters are upper-cased.
6. Repeated until nothing changes (a removed character can let its neighbours compose).

What is left must then be made of MRN_CHARACTERS only (is_canonical): ASCII capital letters,
digits, "-", "/", "." and "_". Anything else that merely looks like them (a Cyrillic Е, a combining
accent, a box-drawing line) is refused with a message, never stored as a second patient.
"""

import re
import unicodedata

_MINUS_SIGNS = {"\u2212", "\ufe63", "\uff0d"}
# Default-ignorable code points outside category Cf (Unicode DerivedCoreProperties): shown as nothing.
_IGNORABLE = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0\U000e0100-\U000e01ef]")

MRN_CHARACTERS = "A–Z 0–9 - / . _"
MRN_PATTERN = r"\A[A-Z0-9./_-]+\Z"  # \Z, not $: Python's $ also matches before a final newline
_CANONICAL = re.compile(MRN_PATTERN)


def normalise_mrn(typed: str) -> str:
    # Removing a character can let its neighbours compose ("A", a removed space, a combining
    # macron become "Ā"), so the steps repeat until nothing changes: normalising twice is a no-op.
    current = _once(typed)
    while (again := _once(current)) != current:
        current = again
    return current


def is_canonical(mrn: str) -> bool:
    """True when the MRN is made of MRN_CHARACTERS only (apply normalise_mrn first)."""
    return _CANONICAL.fullmatch(mrn) is not None


def _once(typed: str) -> str:
    folded = _IGNORABLE.sub("", unicodedata.normalize("NFKC", typed))
    kept = []
    for character in folded:
        category = unicodedata.category(character)
        if category == "Cf" or character.isspace():
            continue
        if category == "Pd" or character in _MINUS_SIGNS:
            kept.append("-")
        elif category == "Nd":
            kept.append(str(unicodedata.decimal(character)))
        else:
            kept.append(character)
    return "".join(kept).upper()
