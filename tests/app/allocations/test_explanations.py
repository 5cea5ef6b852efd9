"""Explanations worded from codes and figures: every reason in English and French, the
disclosure rule, rows of older runs, and what the solver really writes."""

from __future__ import annotations

from typing import Any

import pytest

from app.allocations import solver_adapter
from app.allocations.explanations import Wording, explanation_out, reasons, storable
from tests.solver.factories import benefit, employee, problem_doc

NAMES = {
    "GYM": "Gym membership",
    "PARK": "Parking",
    "DA": "Dental basic",
    "DB": "Dental plus",
    "PLUS": "Family plus",
    "LEAVE": "Extra leave",
}


def wording(*, language: str = "en", band_figures: bool = True) -> Wording:
    return Wording(currency="EUR", names=NAMES, band_figures=band_figures, language=language)


def stored(
    *details: dict[str, Any],
    benefit: str = "GYM",
    wanted: int = 1,
    received: int = 0,
    package: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An explanation as a run stores it (the solver's shape, without its text)."""
    ids = {"budget": "budget", "exclusive": "received", "requires": "prerequisite"}
    codes = [f"{d['code']}:{d[ids[d['code']]]}" if d["code"] in ids else d["code"] for d in details]
    item: dict[str, Any] = {
        "benefit": benefit,
        "reasons": codes,
        "details": list(details),
        "units_wanted": wanted,
        "units_received": received,
    }
    if package is not None:
        item["package"] = package
    return item


def package(
    *, cost: int, prerequisites: tuple[tuple[str, int], ...] = (), co_funded: int = 0
) -> dict[str, Any]:
    total = cost + sum(c for _, c in prerequisites)
    return {
        "cost": cost,
        "prerequisites": [{"benefit": b, "cost": c} for b, c in prerequisites],
        "total": total,
        "employer_share": total - co_funded,
        "co_funded": co_funded,
    }


def text(item: dict[str, Any], **how: Any) -> str:
    return explanation_out(item, wording(**how)).text


GENERIC = "Another rule of the allocation prevented one more unit of Gym membership."


BAND = {
    "code": "equity_band",
    "value": 170000,
    "cap": 151980,
    "per_need": False,
    "published": False,
    "mean": 123461,
    "tolerance": 0.15,
    "absolute": 10000,
}
PUBLISHED_BAND = {
    "code": "equity_band",
    "value": 2190,
    "cap": 2000,
    "per_need": False,
    "published": True,
    "mean": None,
    "tolerance": None,
    "absolute": None,
}

# (explanation, English, French) for every reason code and variant.
CASES: list[tuple[dict[str, Any], str, str]] = [
    (
        stored({"code": "not_eligible"}),
        "You are not eligible for Gym membership.",
        "Vous n'êtes pas éligible à Gym membership.",
    ),
    (
        stored({"code": "not_selected"}),
        "No rule prevented one more unit of Gym membership; the allocation favoured other "
        "choices (within the solver's optimality gap or to raise the lowest satisfaction).",
        "Aucune règle n'empêchait une unité de plus de Gym membership ; l'attribution a "
        "privilégié d'autres choix (dans la marge d'optimalité du solveur ou pour relever la "
        "satisfaction la plus basse).",
    ),
    (
        stored(
            {"code": "allowance", "allowance": 300000, "left": 12000},
            package=package(cost=36000),
        ),
        "Your allowance of 3,000.00 EUR had 120.00 EUR left; Gym membership costs 360.00 EUR.",
        "Il restait 120.00 EUR sur votre enveloppe de 3,000.00 EUR ; Gym membership coûte "
        "360.00 EUR.",
    ),
    (
        stored(
            {"code": "allowance", "allowance": 1000, "left": 700},
            package=package(cost=100, prerequisites=(("PLUS", 600),), co_funded=50),
        ),
        "Your allowance of 10.00 EUR had 7.00 EUR left; Gym membership costs 1.00 EUR and "
        "requires Family plus (6.00 EUR), which you did not receive: 7.00 EUR together (the "
        "employer's share is 6.50 EUR after 0.50 EUR from your top-up room).",
        "Il restait 7.00 EUR sur votre enveloppe de 10.00 EUR ; Gym membership coûte 1.00 EUR "
        "et nécessite Family plus (6.00 EUR), que vous n'avez pas reçu : 7.00 EUR au total (la "
        "part de l'employeur est de 6.50 EUR après 0.50 EUR pris sur votre marge de "
        "complément).",
    ),
    (
        stored(
            {"code": "budget", "budget": "wellbeing", "cap": 200, "left": 200},
            package=package(cost=300),
        ),
        "The wellbeing budget of 2.00 EUR had 2.00 EUR left; Gym membership costs 3.00 EUR.",
        "Il restait 2.00 EUR sur le budget wellbeing de 2.00 EUR ; Gym membership coûte 3.00 EUR.",
    ),
    (
        stored({"code": "capacity", "places": 1}, benefit="PARK"),
        "Parking had 1 place and all were allocated.",
        "Parking comptait 1 place, déjà attribuée.",
    ),
    (
        stored({"code": "capacity", "places": 40}, benefit="PARK"),
        "Parking had 40 places and all were allocated.",
        "Parking comptait 40 places, toutes attribuées.",
    ),
    (
        stored({"code": "exclusive", "received": "DB", "group": "dental"}, benefit="DA"),
        "Dental basic and Dental plus are alternatives (group dental) and you received "
        "Dental plus.",
        "Dental basic et Dental plus sont des alternatives (groupe dental) et vous avez reçu "
        "Dental plus.",
    ),
    (
        stored(
            {
                "code": "requires",
                "prerequisite": "PLUS",
                "blocked_by": "not_eligible",
                "places": None,
                "rivals": [],
                "group": None,
            }
        ),
        "Gym membership requires Family plus, which you are not eligible for.",
        "Gym membership nécessite Family plus, auquel vous n'êtes pas éligible.",
    ),
    (
        stored(
            {
                "code": "requires",
                "prerequisite": "PLUS",
                "blocked_by": "capacity",
                "places": 1,
                "rivals": [],
                "group": None,
            }
        ),
        "Gym membership requires Family plus, and Family plus had 1 place, all allocated.",
        "Gym membership nécessite Family plus, et Family plus comptait 1 place, déjà attribuée.",
    ),
    (
        stored(
            {
                "code": "requires",
                "prerequisite": "DA",
                "blocked_by": "exclusive",
                "places": None,
                "rivals": ["DB"],
                "group": "dental",
            }
        ),
        "Gym membership requires Dental basic, and Dental basic is an alternative to Dental "
        "plus (group dental), which you received.",
        "Gym membership nécessite Dental basic, et Dental basic est une alternative à Dental "
        "plus (groupe dental), que vous avez reçu.",
    ),
    (
        stored(BAND, benefit="LEAVE", wanted=4, received=1),
        "You received 1 of the 4 units of Extra leave you asked for. One more unit of Extra "
        "leave would bring your employer-funded benefits to 1,700.00 EUR, above your peer "
        "group's fairness limit of 1,519.80 EUR: the group average with this unit, 1,234.61 "
        "EUR, plus 15% plus 100.00 EUR.",
        "Vous avez reçu 1 des 4 unités de Extra leave demandées. Une unité de plus de Extra "
        "leave porterait vos avantages financés par l'employeur à 1,700.00 EUR, au-delà de la "
        "limite d'équité de votre groupe de pairs, 1,519.80 EUR : la moyenne du groupe avec "
        "cette unité, 1,234.61 EUR, plus 15 % plus 100.00 EUR.",
    ),
    (
        stored({**BAND, "per_need": True, "tolerance": 0.125}),
        "One more unit of Gym membership would bring your employer-funded benefits to "
        "1,700.00 EUR per need unit, above your peer group's fairness limit of 1,519.80 EUR: "
        "the group average with this unit, 1,234.61 EUR, plus 12.5% plus 100.00 EUR.",
        "Une unité de plus de Gym membership porterait vos avantages financés par l'employeur "
        "à 1,700.00 EUR par unité de besoin, au-delà de la limite d'équité de votre groupe de "
        "pairs, 1,519.80 EUR : la moyenne du groupe avec cette unité, 1,234.61 EUR, plus "
        "12.5 % plus 100.00 EUR.",
    ),
    (
        stored(PUBLISHED_BAND),
        "One more unit of Gym membership would bring your employer-funded benefits to 21.90 "
        "EUR, above the fairness limit of 20.00 EUR set by your peer group's figures in the "
        "published allocation.",
        "Une unité de plus de Gym membership porterait vos avantages financés par l'employeur "
        "à 21.90 EUR, au-delà de la limite d'équité de 20.00 EUR fixée par les chiffres de "
        "votre groupe de pairs dans l'attribution publiée.",
    ),
]


@pytest.mark.parametrize(("item", "english", "french"), CASES)
def test_every_reason_in_english_and_french(
    item: dict[str, Any], english: str, french: str
) -> None:
    assert text(item) == english
    assert text(item, language="fr") == french
    assert explanation_out(item, wording()).reasons == item["reasons"]


def test_every_code_the_solver_names_has_a_case() -> None:
    assert {d["code"] for item, _, _ in CASES for d in item["details"]} == {
        "not_eligible", "not_selected", "allowance", "budget", "capacity", "exclusive",
        "requires", "equity_band",
    }  # fmt: skip


def test_several_reasons_follow_each_other() -> None:
    item = stored(
        {"code": "capacity", "places": 1},
        {"code": "exclusive", "received": "DB", "group": "dental"},
        benefit="PARK",
    )
    assert text(item) == (
        "Parking had 1 place and all were allocated. Parking and Dental plus are alternatives "
        "(group dental) and you received Dental plus."
    )


@pytest.mark.parametrize("band", [BAND, PUBLISHED_BAND])
def test_a_small_groups_band_is_named_without_numbers(band: dict[str, Any]) -> None:
    item = stored(band, benefit="LEAVE", wanted=4, received=1)
    assert text(item, band_figures=False) == (
        "You received 1 of the 4 units of Extra leave you asked for. One more unit of Extra "
        "leave would take your employer-funded benefits above your peer group's fairness "
        "limit."
    )
    french = text(item, band_figures=False, language="fr")
    assert "EUR" not in french and french.endswith("limite d'équité de votre groupe de pairs.")


def test_other_reasons_keep_their_figures_in_a_small_group() -> None:
    item = stored({"code": "capacity", "places": 1}, benefit="PARK")
    assert text(item, band_figures=False) == "Parking had 1 place and all were allocated."


OLDER_ROW = {
    "benefit": "PARK",
    "reasons": ["not_eligible", "budget:mobility", "capacity", "exclusive:DB", "requires:PLUS"],
    "text": "PARK: the English of an older run, never shown again.",
}


def test_rows_of_older_runs_are_worded_from_their_codes_without_numbers() -> None:
    assert reasons(OLDER_ROW)[1] == ("budget", {"budget": "mobility"})
    assert text(OLDER_ROW) == (
        "You are not eligible for Parking. The mobility budget had too little left for one "
        "more unit of Parking. Every place of Parking was allocated. Parking is an alternative "
        "to Dental plus, which you received. Parking requires Family plus, which you could not "
        "receive with it."
    )
    assert text(OLDER_ROW, language="fr").startswith("Vous n'êtes pas éligible à Parking.")
    band_only = {"benefit": "GYM", "reasons": ["equity_band", "allowance"], "text": "old"}
    assert text(band_only) == (
        "One more unit of Gym membership would take your employer-funded benefits above your "
        "peer group's fairness limit. One more unit of Gym membership would go beyond your "
        "allowance."
    )


def test_an_unknown_code_gets_a_generic_sentence_and_bad_figures_the_plain_one() -> None:
    unknown = {"benefit": "GYM", "reasons": ["quota:2028"], "details": [{"code": "quota"}]}
    assert text(unknown) == GENERIC
    assert text(unknown, language="fr").startswith("Une autre règle de l'attribution")
    malformed = stored({"code": "capacity", "places": "forty"}, benefit="PARK")
    assert text(malformed) == "Every place of Parking was allocated."
    no_package = stored({"code": "allowance", "allowance": 1000, "left": 0})
    assert text(no_package) == "One more unit of Gym membership would go beyond your allowance."
    no_id = {"benefit": "GYM", "reasons": ["budget"]}
    assert text(no_id) == GENERIC
    assert explanation_out({}, wording()).text == ""


def test_a_benefit_without_a_display_name_keeps_its_code() -> None:
    assert text(stored({"code": "not_eligible"}, benefit="SPA")) == "You are not eligible for SPA."


def test_runs_store_codes_and_figures_without_the_solvers_text() -> None:
    [kept] = storable([{**stored({"code": "not_selected"}), "text": "No rule prevented ..."}])
    assert "text" not in kept and kept["details"] == [{"code": "not_selected"}]


def test_what_the_solver_writes_is_worded_with_its_figures() -> None:
    """Every explanation of a real result is worded from figures (no plain or generic
    sentence), so the app reads the solver's shape."""
    wishes = {"GYM": 10, "PARK": 10, "DA": 5, "DB": 20, "SPA": 5, "PLUS": 5}
    doc = problem_doc(
        budgets=[{"id": "wellbeing", "cap": 200, "benefits": ["GYM"]}],
        benefits=[
            benefit("GYM", cost=300),
            benefit("PARK", cost=100, capacity=1),
            benefit("DA", cost=100, exclusive_group="dental"),
            benefit("DB", cost=100, exclusive_group="dental"),
            benefit("PLUS", cost=100),
            benefit("SPA", cost=100, requires=["PLUS"]),
            benefit("LEAVE", cost=100, max_units=3),
        ],
        employees=[
            employee(
                "A",
                allowance=250,
                eligible=["GYM", "PARK", "DA", "DB", "SPA", "LEAVE"],
                preferences={**wishes, "LEAVE": {"points": 10, "units": 3}},
            ),
            employee("B", preferences={"PARK": 50}),
        ],
    )
    result = solver_adapter.solve(doc, time_limit_s=10)
    explained = [item for row in result.employees.values() for item in row.explanations]
    codes = {code.partition(":")[0] for item in explained for code in item["reasons"]}
    assert {"not_eligible", "budget", "capacity", "exclusive", "requires", "allowance"} <= codes
    plain = {"had too little left", "Every place", "could not receive", "go beyond", "Another"}
    for item in storable(explained):
        words = text(item)
        assert words and not any(p in words for p in plain), words
