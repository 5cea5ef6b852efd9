"""Explanations in words: the one place a stored explanation becomes sentences.

A run stores each unmet wish's reason codes and figures as the solver gives them
(solver/explain.py: `reasons`, `details`, `units_wanted`, `units_received`, `package`;
never its English `text`), so it is worded when read: in the reader's language (the
sentences are `reason.*` in app/i18n.py), with benefits' current display names, money by
app/money.py, and the band's figures only where the disclosure rule allows them.

Rows of runs stored before figures existed carry codes only (`budget:total`): each reason
is then worded without numbers (its `.plain` sentence), as is a reason whose figures are
malformed; a code this version does not know gets a generic sentence, never an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.allocations.schemas import ExplanationOut
from app.benefits.repository import display_names
from app.i18n import DEFAULT_LANGUAGE, plural, translator
from app.money import format_money

Figures = Mapping[str, Any]
# The id a code of an older row carries after its colon (`budget:total`).
_CODE_IDS = {"budget": "budget", "exclusive": "received", "requires": "prerequisite"}


@dataclass(frozen=True, slots=True)
class Wording:
    """How one reader is told: language, the period's currency, benefits' display names,
    and whether their peer group's band may be given in figures (security.disclosure)."""

    currency: str
    names: Mapping[str, str]
    band_figures: bool
    language: str = DEFAULT_LANGUAGE

    def t(self, key: str, **values: object) -> str:
        return translator(self.language)(key, **values)

    def name(self, code: object) -> str:
        return self.names.get(str(code), str(code))

    def money(self, figures: Figures, key: str) -> str:
        return format_money(_int(figures, key), self.currency)


# A reason's sentence from (its figures, the stored explanation, the reader, the benefit's name).
Words = Callable[[Figures, Mapping[str, Any], Wording, str], str]


class _NoFiguresError(Exception):
    """The sentence cannot give its figures: absent (an older run), malformed, or withheld."""


def worded(
    session: Session,
    stored: Iterable[Mapping[str, Any]],
    *,
    currency: str,
    band_figures: bool,
    language: str = DEFAULT_LANGUAGE,
) -> list[ExplanationOut]:
    """A person's stored explanations in words, the benefits named as the catalogue now
    names them."""
    items = list(stored)
    wording = Wording(
        currency=currency,
        names=display_names(session, (code for item in items for code in _benefits(item))),
        band_figures=band_figures,
        language=language,
    )
    return [explanation_out(item, wording) for item in items]


def explanation_out(stored: Mapping[str, Any], wording: Wording) -> ExplanationOut:
    benefit = str(stored.get("benefit", ""))
    sentences = [_received(stored, wording)] if _units_received(stored) else []
    sentences += [_sentence(code, figures, stored, wording) for code, figures in reasons(stored)]
    return ExplanationOut(
        benefit=benefit,
        reasons=[str(code) for code in stored.get("reasons", [])],
        text=" ".join(sentences),
    )


def storable(explanations: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Explanations as a run stores them: codes and figures, without the solver's English
    text (worded when read)."""
    return [{k: v for k, v in item.items() if k != "text"} for item in explanations]


def reasons(stored: Mapping[str, Any]) -> list[tuple[str, Figures]]:
    """(code, figures) of each reason: the `details`, or, on a row stored before they
    existed, its bare codes with the id after the colon as their only figure."""
    details = stored.get("details")
    if isinstance(details, list) and all(isinstance(d, Mapping) for d in details):
        return [(str(d.get("code")), d) for d in details]
    found: list[tuple[str, Figures]] = []
    for reason in stored.get("reasons", []):
        code, _, ident = str(reason).partition(":")
        found.append((code, {_CODE_IDS[code]: ident} if ident and code in _CODE_IDS else {}))
    return found


# ---------------------------------------------------------------- one reason


def _sentence(code: str, figures: Figures, stored: Mapping[str, Any], wording: Wording) -> str:
    benefit = wording.name(stored.get("benefit", ""))
    words = _WORDS.get(code)
    if words is not None:
        full, plain = words
        for attempt in (full, plain):
            try:
                return attempt(figures, stored, wording, benefit)
            except _NoFiguresError:
                continue
    return wording.t("reason.unknown", benefit=benefit)


def _not_eligible(_f: Figures, _s: Mapping[str, Any], w: Wording, benefit: str) -> str:
    return w.t("reason.not_eligible", benefit=benefit)


def _not_selected(_f: Figures, _s: Mapping[str, Any], w: Wording, benefit: str) -> str:
    return w.t("reason.not_selected", benefit=benefit)


def _allowance(f: Figures, s: Mapping[str, Any], w: Wording, benefit: str) -> str:
    return w.t(
        "reason.allowance",
        allowance=w.money(f, "allowance"),
        left=w.money(f, "left"),
        package=_package(s, w, benefit),
    )


def _allowance_plain(_f: Figures, _s: Mapping[str, Any], w: Wording, benefit: str) -> str:
    return w.t("reason.allowance.plain", benefit=benefit)


def _budget(f: Figures, s: Mapping[str, Any], w: Wording, benefit: str) -> str:
    return w.t(
        "reason.budget",
        budget=_text(f, "budget"),
        cap=w.money(f, "cap"),
        left=w.money(f, "left"),
        package=_package(s, w, benefit),
    )


def _budget_plain(f: Figures, _s: Mapping[str, Any], w: Wording, benefit: str) -> str:
    return w.t("reason.budget.plain", budget=_text(f, "budget"), benefit=benefit)


def _capacity(f: Figures, _s: Mapping[str, Any], w: Wording, benefit: str) -> str:
    places = _int(f, "places")
    key = f"reason.capacity.{plural(places, w.language)}"
    return w.t(key, benefit=benefit, places=places)


def _capacity_plain(_f: Figures, _s: Mapping[str, Any], w: Wording, benefit: str) -> str:
    return w.t("reason.capacity.plain", benefit=benefit)


def _exclusive(f: Figures, _s: Mapping[str, Any], w: Wording, benefit: str) -> str:
    received = w.name(_text(f, "received"))
    return w.t("reason.exclusive", benefit=benefit, received=received, group=_text(f, "group"))


def _exclusive_plain(f: Figures, _s: Mapping[str, Any], w: Wording, benefit: str) -> str:
    return w.t("reason.exclusive.plain", benefit=benefit, received=w.name(_text(f, "received")))


def _requires(f: Figures, _s: Mapping[str, Any], w: Wording, benefit: str) -> str:
    prerequisite = w.name(_text(f, "prerequisite"))
    blocked_by = _text(f, "blocked_by")
    if blocked_by == "not_eligible":
        return w.t("reason.requires.not_eligible", benefit=benefit, prerequisite=prerequisite)
    if blocked_by == "capacity":
        places = _int(f, "places")
        key = f"reason.requires.capacity.{plural(places, w.language)}"
        return w.t(key, benefit=benefit, prerequisite=prerequisite, places=places)
    if blocked_by == "exclusive":
        rivals = f.get("rivals")
        if not isinstance(rivals, list) or not rivals:
            raise _NoFiguresError("rivals")
        return w.t(
            "reason.requires.exclusive",
            benefit=benefit,
            prerequisite=prerequisite,
            rivals=", ".join(w.name(rival) for rival in rivals),
            group=_text(f, "group"),
        )
    raise _NoFiguresError("blocked_by")


def _requires_plain(f: Figures, _s: Mapping[str, Any], w: Wording, benefit: str) -> str:
    prerequisite = w.name(_text(f, "prerequisite"))
    return w.t("reason.requires.plain", benefit=benefit, prerequisite=prerequisite)


def _band(f: Figures, _s: Mapping[str, Any], w: Wording, benefit: str) -> str:
    if not w.band_figures:
        raise _NoFiguresError("withheld: a small peer group")
    value = w.money(f, "value")
    if f.get("per_need") is True:
        value = w.t("reason.per_need", amount=value)
    if f.get("published") is True:
        return w.t(
            "reason.equity_band.published", benefit=benefit, value=value, cap=w.money(f, "cap")
        )
    tolerance = f.get("tolerance")
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float):
        raise _NoFiguresError("tolerance")
    return w.t(
        "reason.equity_band",
        benefit=benefit,
        value=value,
        cap=w.money(f, "cap"),
        mean=w.money(f, "mean"),
        tolerance=f"{tolerance * 100:g}",
        absolute=w.money(f, "absolute"),
    )


def _band_plain(_f: Figures, _s: Mapping[str, Any], w: Wording, benefit: str) -> str:
    return w.t("reason.equity_band.plain", benefit=benefit)


_WORDS: dict[str, tuple[Words, Words]] = {
    "not_eligible": (_not_eligible, _not_eligible),
    "not_selected": (_not_selected, _not_selected),
    "allowance": (_allowance, _allowance_plain),
    "budget": (_budget, _budget_plain),
    "capacity": (_capacity, _capacity_plain),
    "exclusive": (_exclusive, _exclusive_plain),
    "requires": (_requires, _requires_plain),
    "equity_band": (_band, _band_plain),
}


# ---------------------------------------------------------------- pieces and figures


def _received(stored: Mapping[str, Any], w: Wording) -> str:
    return w.t(
        "reason.received",
        received=_units_received(stored),
        wanted=_int(stored, "units_wanted"),
        benefit=w.name(stored.get("benefit", "")),
    )


def _units_received(stored: Mapping[str, Any]) -> int:
    """Units received of a partly met wish (0 when none, or on an older row)."""
    try:
        _int(stored, "units_wanted")
        return _int(stored, "units_received")
    except _NoFiguresError:
        return 0


def _package(stored: Mapping[str, Any], w: Wording, benefit: str) -> str:
    """What one more unit costs, with the prerequisites it lacks and any co-funding."""
    package = stored.get("package")
    if not isinstance(package, Mapping):
        raise _NoFiguresError("package")
    parts = [w.t("reason.package", benefit=benefit, cost=w.money(package, "cost"))]
    needed = package.get("prerequisites")
    if not isinstance(needed, list) or not all(isinstance(p, Mapping) for p in needed):
        raise _NoFiguresError("prerequisites")
    if needed:
        listed = ", ".join(f"{w.name(_text(p, 'benefit'))} ({w.money(p, 'cost')})" for p in needed)
        total = w.money(package, "total")
        parts.append(w.t("reason.package.prerequisites", needed=listed, total=total))
    if _int(package, "co_funded"):
        share, co_funded = w.money(package, "employer_share"), w.money(package, "co_funded")
        parts.append(w.t("reason.package.co_funded", share=share, co_funded=co_funded))
    return " ".join(parts)


def _benefits(stored: Mapping[str, Any]) -> set[str]:
    """Every benefit an explanation names: the wish, alternatives, prerequisites."""
    found = {str(stored.get("benefit", ""))}
    for _, figures in reasons(stored):
        for key in ("received", "prerequisite"):
            if isinstance(figures.get(key), str):
                found.add(figures[key])
        rivals = figures.get("rivals")
        if isinstance(rivals, list):
            found.update(str(rival) for rival in rivals)
    package = stored.get("package")
    if isinstance(package, Mapping) and isinstance(package.get("prerequisites"), list):
        found.update(
            str(p.get("benefit")) for p in package["prerequisites"] if isinstance(p, Mapping)
        )
    return found


def _int(figures: Mapping[str, Any], key: str) -> int:
    value = figures.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _NoFiguresError(key)
    return value


def _text(figures: Mapping[str, Any], key: str) -> str:
    value = figures.get(key)
    if not isinstance(value, str) or not value:
        raise _NoFiguresError(key)
    return value
