"""Explanations as an employee sees them."""

from __future__ import annotations

from app.allocations.service import employee_facing

BAND = (
    "You received 1 of the 4 units of LEAVE you asked for. One more unit of LEAVE would bring "
    "your employer-funded benefits to 1,700.00 EUR, above your peer group's fairness limit of "
    "1,519.80 EUR (the group average, 1,234.61 EUR with this unit, plus 15% plus 100.00 EUR)."
)
ITEM = {"benefit": "LEAVE", "reasons": ["equity_band"], "text": BAND}


def test_small_groups_lose_their_figures() -> None:
    shown = employee_facing(ITEM, group_participants=4)
    assert shown.text == (
        "You received 1 of the 4 units of LEAVE you asked for. One more unit of LEAVE would "
        "take your employer-funded benefits above your peer group's fairness limit."
    )
    assert shown.reasons == ["equity_band"]


def test_groups_of_five_keep_them() -> None:
    assert employee_facing(ITEM, group_participants=5).text == BAND


def test_other_reasons_are_untouched() -> None:
    item = {
        "benefit": "PARKING",
        "reasons": ["capacity"],
        "text": "PARKING had 1 place and all were allocated.",
    }
    assert employee_facing(item, group_participants=2).text == item["text"]
