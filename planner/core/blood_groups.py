"""Which plasma a recipient may receive. Pure Python.

Plasma carries the donor's antibodies, so compatibility runs opposite to red
cells: group AB plasma suits everyone, group O plasma only group O.
"""

PLASMA_COMPATIBLE = {
    "O": ("O", "A", "B", "AB"),
    "A": ("A", "AB"),
    "B": ("B", "AB"),
    "AB": ("AB",),
}


def compatible_plasma(recipient_abo: str) -> tuple[str, ...]:
    """Plasma groups to issue; AB only while the recipient's group is not known."""
    return PLASMA_COMPATIBLE.get(recipient_abo, ("AB",))
