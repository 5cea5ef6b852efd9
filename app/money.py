"""Money: integer minor units of an ISO 4217 currency, and how they are shown.

Every amount in the database, the API and payroll files is an integer in minor units; only
display turns it into major units, here.
"""

from __future__ import annotations

# ISO 4217 currencies whose minor unit is not 1/100 (the others: 2 decimals).
MINOR_EXPONENT = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip


def minor_exponent(currency: str) -> int:
    """Decimal places of `currency`'s minor unit (2 unless listed)."""
    return MINOR_EXPONENT.get(currency, 2)


def minor_units_per_1000(currency: str) -> int:
    """1,000 major units of `currency` in minor units."""
    return int(1000 * 10 ** minor_exponent(currency))


def major_units(minor: float, exponent: int) -> str:
    """`minor` in major units with thousands separators, no decimals (chart axes)."""
    return f"{minor / 10**exponent:,.0f}"


def format_money(amount: int, currency: str) -> str:
    """Minor units in words: 300000, "EUR" -> "3,000.00 EUR" (pages and explanations)."""
    decimals = minor_exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, minor = divmod(abs(amount), 10**decimals)
    shown = f"{whole:,}" if decimals == 0 else f"{whole:,}.{minor:0{decimals}d}"
    return f"{sign}{shown} {currency}"
