"""Money shown in words: minor units by the currency's exponent."""

from __future__ import annotations

from app.money import format_money


def test_format_money_by_the_currencys_minor_unit() -> None:
    assert format_money(300000, "EUR") == "3,000.00 EUR"
    assert format_money(-5, "EUR") == "-0.05 EUR"
    assert format_money(1200, "JPY") == "1,200 JPY"
    assert format_money(1234, "KWD") == "1.234 KWD"
