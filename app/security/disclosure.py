"""Statistical disclosure control for aggregate readers (finance).

A figure over fewer than MIN_GROUP_SIZE people describes individuals: finance, who may see
aggregates only, gets such figures withheld (null, with `suppressed: true`), and never a
sensitive benefit named in a figure over fewer people.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from app.auth.principal import Principal

MIN_GROUP_SIZE = 5
# Roles entitled to individual-level figures; a principal with none of them is held to
# aggregates (finance).
INDIVIDUAL_READERS = frozenset({"hr_admin", "approver", "auditor"})
GROUP_FIGURES = ("mean_value", "max_ratio")


def aggregates_only(principal: Principal) -> bool:
    return not principal.has_any(INDIVIDUAL_READERS)


def suppress_small_groups(groups: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Peer-group rows with their figures withheld below MIN_GROUP_SIZE participants."""
    out = []
    for group in groups:
        row = dict(group)
        if int(row.get("participants") or 0) < MIN_GROUP_SIZE:
            row.update({name: None for name in GROUP_FIGURES if name in row})
            row["suppressed"] = True
        out.append(row)
    return out


def suppress_sensitive_benefits(
    rows: Sequence[Mapping[str, Any]],
    *,
    sensitive: Collection[str],
    benefit_key: str = "benefit",
    count_key: str = "employees",
) -> list[dict[str, Any]]:
    """Rows naming a sensitive benefit over fewer than MIN_GROUP_SIZE people are dropped
    (for finance outputs listing benefits, e.g. scenario comparisons)."""
    return [
        dict(row)
        for row in rows
        if row.get(benefit_key) not in sensitive or int(row.get(count_key) or 0) >= MIN_GROUP_SIZE
    ]
