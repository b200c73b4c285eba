"""A patient's medical record number in one canonical form, whatever keyboard, scanner or font typed it.

Pure Python. Full-width digits (ＤＥＭＯ-０００２), a zero-width space, a non-breaking hyphen
(U+2011) or a lower-case letter must not make a second patient beside DEMO-0002:

1. Unicode NFKC folds compatibility forms (full-width letters and digits) to their plain ones.
2. Format characters (Unicode category Cf: zero-width space and joiners, the byte-order mark,
   soft hyphen) and all white space are removed.
3. Every dash (category Pd, and the minus signs U+2212 and U+FE63) becomes "-".
4. Letters are upper-cased.
5. Repeated until nothing changes (a removed character can let its neighbours compose).
"""

import unicodedata

_MINUS_SIGNS = {"\u2212", "\ufe63", "\uff0d"}


def normalise_mrn(typed: str) -> str:
    # Removing a character can let its neighbours compose ("A", a removed space, a combining
    # macron become "Ā"), so the steps repeat until nothing changes: normalising twice is a no-op.
    current = _once(typed)
    while (again := _once(current)) != current:
        current = again
    return current


def _once(typed: str) -> str:
    folded = unicodedata.normalize("NFKC", typed)
    kept = []
    for character in folded:
        category = unicodedata.category(character)
        if category == "Cf" or character.isspace():
            continue
        kept.append("-" if category == "Pd" or character in _MINUS_SIGNS else character)
    return "".join(kept).upper()
