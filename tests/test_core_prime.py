"""The circuit prime (planner/core/prime.py) against the modalities reference's worked example (§4).

12 kg child, TBV 960 mL, Hct 0.30, Optia 141 mL:
- saline prime: 0.30 × 960 / (960 + 141) = 288 / 1101 = 0.2616 -> 0.262;
- keep 0.30: Hct_prime = (0.30 × 1101 − 288) / 141 = 0.30; red cells 0.30 × 141 / 0.60 = 70.5 mL, albumin 70.5 mL;
- keep 0.28: Hct_prime = (0.28 × 1101 − 288) / 141 = 20.28 / 141 = 0.1438; red cells 0.1438 × 141 / 0.6 = 33.8 mL.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.core.limits import InputError
from planner.core.prime import Prime

CHILD = {"circuit_ml": 141.0, "total_blood_volume_ml": 960.0, "haematocrit": 0.30, "rbc_haematocrit": 0.60}


def test_a_saline_prime_leaves_0_262() -> None:
    assert round(Prime(**CHILD, target_haematocrit=0.30).saline_haematocrit, 3) == 0.262


def test_keeping_0_30_takes_70_5_ml_of_red_cells_and_70_5_ml_of_albumin() -> None:
    prime = Prime(**CHILD, target_haematocrit=0.30)
    assert round(prime.prime_haematocrit, 3) == 0.30
    assert (round(prime.rbc_ml, 1), round(prime.albumin_ml, 1)) == (70.5, 70.5)
    assert prime.haematocrit_after == pytest.approx(0.30)


def test_keeping_0_28_takes_33_8_ml_of_red_cells() -> None:
    prime = Prime(**CHILD, target_haematocrit=0.28)
    assert round(prime.rbc_ml, 1) == 33.8
    assert round(prime.albumin_ml, 1) == 107.2


def test_a_target_under_the_saline_result_needs_no_red_cells() -> None:
    prime = Prime(**CHILD, target_haematocrit=0.25)
    assert (prime.prime_haematocrit, prime.rbc_ml, prime.albumin_ml) == (0.0, 0.0, 141.0)


def test_impossible_values_are_refused() -> None:
    with pytest.raises(InputError):
        Prime(**{**CHILD, "rbc_haematocrit": 0}, target_haematocrit=0.3)
    with pytest.raises(InputError):
        Prime(**{**CHILD, "circuit_ml": 0}, target_haematocrit=0.3)


@given(
    tbv=st.floats(200, 3000),
    circuit=st.floats(50, 300),
    haematocrit=st.floats(0.15, 0.50),
    rbc=st.floats(0.5, 0.8),
    below=st.floats(0, 0.1),
)
def test_a_prime_never_lowers_the_haematocrit_below_the_target(
    tbv: float, circuit: float, haematocrit: float, rbc: float, below: float
) -> None:
    """Any target at or under the patient's own haematocrit, and at most the red cells' (so it can be
    reached), is kept: the red cells needed are never more than the circuit holds, and the haematocrit
    after is at least the target."""
    target = haematocrit - below
    prime = Prime(circuit, tbv, haematocrit, max(target, 0.01), rbc)
    assert 0 <= prime.rbc_ml <= circuit + 1e-9
    assert prime.albumin_ml >= -1e-9
    assert prime.haematocrit_after >= max(target, 0.01) - 1e-9
    assert prime.saline_haematocrit <= prime.haematocrit_after + 1e-12


@given(tbv=st.floats(200, 3000), circuit=st.floats(50, 300), haematocrit=st.floats(0.51, 0.75))
def test_a_target_above_the_red_cells_own_haematocrit_gets_a_prime_of_red_cells_only(
    tbv: float, circuit: float, haematocrit: float
) -> None:
    """Hypothesis found it: a patient's haematocrit above the red cells' (0.53 against 0.50) cannot be
    kept. The prime is then all red cells, which still leaves more than a saline prime would."""
    prime = Prime(circuit, tbv, haematocrit, haematocrit, rbc_haematocrit=0.50)
    assert (prime.rbc_ml, prime.albumin_ml) == (pytest.approx(circuit), pytest.approx(0))
    assert prime.saline_haematocrit < prime.haematocrit_after < haematocrit
