"""The English `text` of an explanation in the result document (DESIGN.md: plain words with
the numbers), written from its reason codes and figures.

Only the stand-alone document reads it: the service stores codes and figures and words
them itself, in the reader's language, with display names and its disclosure rule
(app/allocations/explanations.py).
"""

from __future__ import annotations

from solver.explain import (
    AboveBand,
    Alternative,
    CapacityFull,
    Explanation,
    MissingPrerequisite,
    NotEligible,
    OverAllowance,
    OverBudget,
    Reason,
)
from solver.validate import format_money


def document_explanation(item: Explanation, currency: str) -> dict[str, object]:
    """The explanation as the result document carries it: codes, figures and text."""
    shown = item.as_dict()
    shown["text"] = explanation_text(item, currency)
    return shown


def explanation_text(item: Explanation, currency: str) -> str:
    prefix = ""
    if item.units_received > 0:
        prefix = (
            f"You received {item.units_received} of the {item.units_wanted} units of "
            f"{item.benefit} you asked for. "
        )
    if len(item.reasons) == 1:  # most explanations
        return prefix + _sentence(item, item.reasons[0], currency)
    return prefix + " ".join(_sentence(item, reason, currency) for reason in item.reasons)


def _sentence(item: Explanation, reason: Reason, money: str) -> str:
    benefit = item.benefit
    match reason:
        case AboveBand():  # the most frequent reason first
            return f"One more unit of {benefit} {_band_words(reason, money)}"
        case NotEligible():
            return f"You are not eligible for {benefit}."
        case OverAllowance(allowance=allowance, left=left):
            return (
                f"Your allowance of {format_money(allowance, money)} had "
                f"{format_money(left, money)} left; {_package_words(item, money)}."
            )
        case OverBudget(budget=budget, cap=cap, left=left):
            return (
                f"The {budget} budget of {format_money(cap, money)} had "
                f"{format_money(left, money)} left; {_package_words(item, money)}."
            )
        case CapacityFull(places=places):
            return f"{benefit} had {places} {_places(places)} and all were allocated."
        case Alternative(received=received, group=group):
            return (
                f"{benefit} and {received} are alternatives (group {group}) "
                f"and you received {received}."
            )
        case MissingPrerequisite():
            return f"{benefit} requires {reason.prerequisite}, {_why_missing(reason)}."
    return (
        f"No rule prevented one more unit of {benefit}; the allocation favoured other "
        f"choices (within the solver's optimality gap or to raise the lowest satisfaction)."
    )


def _places(count: int) -> str:
    return "place" if count == 1 else "places"


def _why_missing(reason: MissingPrerequisite) -> str:
    name = reason.prerequisite
    if reason.blocked_by == "capacity" and reason.places is not None:
        return f"and {name} had {reason.places} {_places(reason.places)}, all allocated"
    if reason.blocked_by == "exclusive":
        return (
            f"and {name} is an alternative to {', '.join(reason.rivals)} "
            f"(group {reason.group}), which you received"
        )
    return "which you are not eligible for"


def _package_words(item: Explanation, money: str) -> str:
    package = item.package
    assert package is not None  # set with every allowance and budget reason
    words = f"{item.benefit} costs {format_money(package.cost, money)}"
    if package.prerequisites:
        needed = ", ".join(f"{b} ({format_money(c, money)})" for b, c in package.prerequisites)
        words += (
            f" and requires {needed}, which you did not receive: "
            f"{format_money(package.total, money)} together"
        )
    if package.co_funded:
        words += (
            f" (the employer's share is {format_money(package.employer_share, money)} after "
            f"{format_money(package.co_funded, money)} from your top-up room)"
        )
    return words


def _band_words(band: AboveBand, money: str) -> str:
    if band.published:
        return (
            f"would bring your employer-funded benefits to {format_money(band.value, money)}, "
            f"above the fairness limit of {format_money(band.cap, money)} set by your peer "
            f"group's figures in the published allocation."
        )
    weighted = " per need unit" if band.per_need else ""
    return (
        f"would bring your employer-funded benefits to "
        f"{format_money(band.value, money)}{weighted}, above your peer group's "
        f"fairness limit of {format_money(band.cap, money)}: the group "
        f"average with this unit, {format_money(band.mean or 0, money)}, plus "
        f"{(band.tolerance or 0) * 100:g}% plus {format_money(band.absolute or 0, money)}."
    )
