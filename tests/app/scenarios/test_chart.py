"""The budget curve's CSV and SVG renderings."""

from __future__ import annotations

import csv
import io
from typing import Any

from app.scenarios.chart import curve_csv, curve_svg


def curve_result(*, current_cap: int) -> dict[str, Any]:
    steps = [
        {"cap": cap, "status": "optimal", "cost_used": cap - 10, "total_satisfaction": sat}
        for cap, sat in ((1_000_00, 1.0), (2_000_00, 1.5), (3_000_00, 1.75))
    ]
    return {
        "budget_id": "total",
        "currency": "EUR",
        "current_cap": current_cap,
        "steps": steps,
        "price_of_fairness": {"percent": 2.5, "with_band": 1.5, "without_band": 1.538},
    }


def test_svg_marks_a_current_cap_inside_the_range_with_a_labelled_line() -> None:
    svg = curve_svg(curve_result(current_cap=2_500_00), title="Budget curve").decode()
    assert "current cap 2,500 EUR" in svg and "outside the range" not in svg
    assert "cap of budget 'total' (EUR)" in svg and "budget used (EUR)" in svg
    assert "price of fairness at the current cap: 2.50%" in svg
    assert svg == curve_svg(curve_result(current_cap=2_500_00), title="Budget curve").decode()


def test_svg_names_a_current_cap_outside_the_range() -> None:
    svg = curve_svg(curve_result(current_cap=9_000_00), title="Budget curve").decode()
    assert "current cap 9,000 EUR (outside the range shown)" in svg


def test_csv_has_a_row_per_step_and_the_price_of_fairness() -> None:
    rows = list(csv.reader(io.StringIO(curve_csv(curve_result(current_cap=1)))))
    assert [row[0] for row in rows[1:4]] == ["100000", "200000", "300000"]
    assert ["price_of_fairness_percent", "2.5"] in rows and ["currency", "EUR"] in rows
