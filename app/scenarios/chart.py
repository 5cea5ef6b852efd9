"""The budget curve as CSV and as an SVG chart (matplotlib, Agg backend, no display)."""

from __future__ import annotations

import csv
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before pyplot: render to files, never to a screen

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from app.money import major_units
from app.payroll.service import safe_cell

CSV_COLUMNS = (
    "cap",
    "status",
    "cost_used",
    "total_employer_cost",
    "total_satisfaction",
    "mean_satisfaction",
    "min_satisfaction",
    "marginal_satisfaction_per_1000",
    "participants",
    "warm_started",
    "seconds",
)


def curve_csv(result: dict[str, Any]) -> str:
    """One row per step (money in minor units), then the price of fairness as comments."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for step in result["steps"]:
        writer.writerow([safe_cell(_cell(step.get(name))) for name in CSV_COLUMNS])
    fairness = result.get("price_of_fairness") or {}
    writer.writerow([])
    writer.writerow(["price_of_fairness_percent", _cell(fairness.get("percent"))])
    writer.writerow(["satisfaction_with_band", _cell(fairness.get("with_band"))])
    writer.writerow(["satisfaction_without_band", _cell(fairness.get("without_band"))])
    writer.writerow(["current_cap", result["current_cap"]])
    writer.writerow(["currency", result["currency"]])
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def curve_figure(result: dict[str, Any], *, title: str, exponent: int = 2) -> Figure:
    """Total satisfaction against the cap, budget used on a second axis, current cap marked."""
    steps = [step for step in result["steps"] if "total_satisfaction" in step]
    currency = result["currency"]
    figure = Figure(figsize=(8, 4.5), dpi=100)
    axes = figure.add_subplot()
    caps = [step["cap"] for step in steps]
    axes.plot(
        caps,
        [step["total_satisfaction"] for step in steps],
        marker="o",
        color="#1f77b4",
        label="total satisfaction",
    )
    axes.set_xlabel(f"cap of budget '{result['budget_id']}' ({currency})")
    axes.set_ylabel("total satisfaction (participants' honoured share, summed)")
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: major_units(x, exponent)))
    axes.grid(True, alpha=0.3)
    used = axes.twinx()
    used.plot(
        caps,
        [step["cost_used"] for step in steps],
        linestyle="--",
        marker=".",
        color="#7f7f7f",
        label=f"budget used ({currency})",
    )
    used.set_ylabel(f"budget used ({currency})")
    used.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: major_units(y, exponent)))
    current = result["current_cap"]
    current_text = f"current cap {major_units(current, exponent)} {currency}"
    if caps and caps[0] <= current <= caps[-1]:
        axes.axvline(current, color="#d62728", linestyle=":", linewidth=1.5)
        axes.annotate(
            current_text,
            xy=(current, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(4, -12),
            textcoords="offset points",
            color="#d62728",
            fontsize=8,
        )
    else:  # a line far outside the sweep would squash the curve: say it instead
        axes.text(
            0.01,
            0.98,
            f"{current_text} (outside the range shown)",
            transform=axes.transAxes,
            color="#d62728",
            fontsize=8,
            verticalalignment="top",
        )
    fairness = result.get("price_of_fairness") or {}
    subtitle = (
        f"price of fairness at the current cap: {fairness['percent']:.2f}% of satisfaction"
        if fairness.get("percent") is not None
        else ""
    )
    axes.set_title(f"{title}\n{subtitle}".strip(), fontsize=10)
    lines = axes.get_lines()[:1] + used.get_lines()[:1]
    axes.legend(lines, [str(line.get_label()) for line in lines], loc="lower right", fontsize=8)
    figure.tight_layout()
    return figure


def curve_svg(result: dict[str, Any], *, title: str, exponent: int = 2) -> bytes:
    """The chart of `curve_figure` as SVG text (deterministic: no date, fixed ids)."""
    figure = curve_figure(result, title=title, exponent=exponent)
    buffer = io.BytesIO()
    # Real <text> elements (not glyph paths): editable and searchable once pasted in a deck.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "flexben"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
