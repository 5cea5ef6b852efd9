from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.periods.allowance import AllowanceRules, covered_share, employee_allowance

YEAR = {"effective_from": date(2027, 1, 1), "effective_to": date(2027, 12, 31)}


def allowance(rules: AllowanceRules, **overrides: object) -> int | None:
    values: dict[str, object] = {
        "peer_group": "HQ-L2",
        "fte": Decimal(1),
        "hire_date": date(2020, 1, 1),
        "allowance_override": None,
        **YEAR,
    }
    values.update(overrides)
    return employee_allowance(rules, **values)  # type: ignore[arg-type]


def test_override_beats_group_beats_default() -> None:
    rules = AllowanceRules(default=300000, by_group={"HQ-L2": 320000})
    assert allowance(rules) == 320000
    assert allowance(rules, peer_group="OTHER") == 300000
    assert allowance(rules, allowance_override=5) == 5


def test_no_amount_means_no_individual_cap() -> None:
    assert allowance(AllowanceRules(by_group={"X": 1})) is None


def test_fte_proration_only_when_asked() -> None:
    assert allowance(AllowanceRules(default=300000), fte=Decimal("0.5")) == 300000
    rules = AllowanceRules(default=300000, prorate_fte=True)
    assert allowance(rules, fte=Decimal("0.5")) == 150000
    assert allowance(rules, fte=Decimal("0.3333")) == 99990


def test_start_proration_counts_days_inclusively() -> None:
    rules = AllowanceRules(default=365, prorate_start=True)
    assert allowance(rules, hire_date=date(2027, 12, 31)) == 1  # 1 day of 365
    assert allowance(rules, hire_date=date(2027, 1, 2)) == 364
    assert allowance(rules, hire_date=date(2027, 1, 1)) == 365
    assert allowance(rules, hire_date=date(2026, 6, 1)) == 365
    assert allowance(rules, hire_date=None) == 365
    assert allowance(rules, hire_date=date(2028, 1, 1)) == 0  # hired after the period


def test_both_prorations_round_down_once_in_exact_arithmetic() -> None:
    rules = AllowanceRules(default=100000, prorate_fte=True, prorate_start=True)
    # 100000 × 0.7 × 184/365 = 35287.67... -> 35287 (a float product would agree here,
    # the point is that rounding happens once, downwards)
    got = allowance(rules, fte=Decimal("0.7"), hire_date=date(2027, 7, 1))
    assert got == 35287
    # in floats 100 × 0.29 = 28.999999999999996, which would round down to 28
    rules = AllowanceRules(default=100, prorate_fte=True)
    assert allowance(rules, fte=Decimal("0.29")) == 29


def test_period_end_before_start_is_an_error() -> None:
    with pytest.raises(ValueError, match="before"):
        covered_share(None, date(2027, 2, 1), date(2027, 1, 1))


@settings(max_examples=60, deadline=None)
@given(
    base=st.integers(0, 10**9),
    fte=st.decimals(min_value=Decimal("0.0001"), max_value=1, places=4),
    day=st.integers(0, 364),
)
def test_never_more_than_the_exact_amount_and_less_than_one_cent_below(
    base: int, fte: Decimal, day: int
) -> None:
    hire = date.fromordinal(date(2027, 1, 1).toordinal() + day)
    rules = AllowanceRules(default=base, prorate_fte=True, prorate_start=True)
    exact = Fraction(base) * Fraction(fte) * covered_share(hire, **YEAR)
    got = allowance(rules, fte=fte, hire_date=hire)
    assert got is not None
    assert got <= exact < got + 1
