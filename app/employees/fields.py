"""Field rules for employees, shared by the import parser and the request schemas."""

from __future__ import annotations

import re
from decimal import Decimal

EMPLOYMENT_TYPES = ("full_time", "part_time", "fixed_term", "contractor", "intern")
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
EXTERNAL_ID_RE = re.compile(EXTERNAL_ID_PATTERN)
# Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is not ours.
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$"
EMAIL_RE = re.compile(EMAIL_PATTERN)
EMAIL_MAX = 254
NAME_MAX = 200
SHORT_TEXT_MAX = 64
REASON_MAX = 500
DECIMAL_PLACES = 4
NEED_MAX = Decimal(100)
MONEY_MAX = 10**15  # minor units; far above any real allowance, inside BIGINT


def contains_nul(value: object) -> bool:
    """Whether a string anywhere in `value` holds a NUL character, which PostgreSQL text
    cannot store (it would turn a bad request into a server error)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(item) for item in value)
    return False


NUL_MESSAGE = "text must not contain NUL (\\u0000) characters"
