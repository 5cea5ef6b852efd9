"""The result document's English text of an explanation, written from codes and figures."""

from __future__ import annotations

from solver.explain import (
    AboveBand,
    Explanation,
    MissingPrerequisite,
    NotSelected,
    OverBudget,
    Package,
    Reason,
)
from solver.explain_text import document_explanation, explanation_text


def item(
    *reasons: Reason,
    benefit: str = "GYM",
    wanted: int = 1,
    received: int = 0,
    package: Package | None = None,
) -> Explanation:
    return Explanation(benefit, reasons, wanted, received, package)


def test_not_selected() -> None:
    assert explanation_text(item(NotSelected()), "EUR") == (
        "No rule prevented one more unit of GYM; the allocation favoured other choices "
        "(within the solver's optimality gap or to raise the lowest satisfaction)."
    )


def test_a_budget_with_a_co_funded_package_and_units_received() -> None:
    package = Package(cost=300, prerequisites=(), total=300, employer_share=260, co_funded=40)
    text = explanation_text(
        item(OverBudget("wellbeing", cap=1000, left=0), package=package, wanted=3, received=1),
        "JPY",
    )
    assert text == (
        "You received 1 of the 3 units of GYM you asked for. The wellbeing budget of 1,000 "
        "JPY had 0 JPY left; GYM costs 300 JPY (the employer's share is 260 JPY after 40 JPY "
        "from your top-up room)."
    )


def test_a_band_per_need_unit_and_an_alternative_prerequisite() -> None:
    band = AboveBand(
        value=20000, cap=17600, per_need=True, published=False, mean=16000, tolerance=0.125,
        absolute=0,
    )  # fmt: skip
    rival = MissingPrerequisite("DA", "exclusive", rivals=("DB",), group="dental")
    text = explanation_text(item(rival, band, benefit="ORTHO"), "EUR")
    assert text == (
        "ORTHO requires DA, and DA is an alternative to DB (group dental), which you received. "
        "One more unit of ORTHO would bring your employer-funded benefits to 200.00 EUR per "
        "need unit, above your peer group's fairness limit of 176.00 EUR: the group average "
        "with this unit, 160.00 EUR, plus 12.5% plus 0.00 EUR."
    )


def test_the_document_carries_codes_figures_and_text() -> None:
    shown = document_explanation(item(NotSelected()), "EUR")
    assert shown["reasons"] == ["not_selected"]
    assert shown["details"] == [{"code": "not_selected"}]
    assert str(shown["text"]).startswith("No rule prevented")
