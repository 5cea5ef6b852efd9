"""Validation of one employee's preference submission, without any database.

A submission is ``{"points": {"GYM": 40, "LEAVE": {"points": 30, "units": 3}}}``. It is
accepted when every entry names an offered, active, optional benefit the employee is
eligible for, with positive integer points and 1 <= units <= max_units, and the points
add up to at most ``points_per_employee``. Core benefits are rejected: everyone eligible
receives them anyway, so points on them would be wasted and mislead the employee.

Warnings are hints, never errors: a wanted benefit that `requires` a benefit not wanted
(it will only be given together with it), and two wanted benefits of one exclusive group
(at most one of them can be given).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class OfferedBenefit:
    """What the rules need to know about a benefit offered in the period."""

    code: str
    name: str
    max_units: int = 1
    core: bool = False
    active: bool = True
    exclusive_group: str | None = None
    requires: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Entry:
    benefit: str
    points: int
    units: int = 1


@dataclass(frozen=True, slots=True)
class Issue:
    loc: tuple[str | int, ...]
    msg: str

    def as_dict(self) -> dict[str, Any]:
        return {"loc": list(self.loc), "msg": self.msg}


@dataclass(slots=True)
class Checked:
    entries: list[Entry] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_entry(code: str, raw: object, loc: tuple[str | int, ...]) -> Entry | Issue:
    if _is_int(raw):
        points, units = raw, 1
    elif isinstance(raw, Mapping):
        unknown = sorted(set(raw) - {"points", "units"})
        if unknown:
            return Issue(loc, f"unknown field(s) {', '.join(unknown)}: allowed are points, units")
        if "points" not in raw:
            return Issue(loc, "missing 'points': give {'points': p, 'units': r}")
        points, units = raw["points"], raw.get("units", 1)
        if not _is_int(units):
            return Issue((*loc, "units"), f"units must be an integer, got {units!r}")
    else:
        return Issue(loc, f"must be an integer number of points or {{points, units}}, got {raw!r}")
    if not _is_int(points):
        return Issue((*loc, "points"), f"points must be a positive integer, got {points!r}")
    assert isinstance(points, int) and isinstance(units, int)
    if points <= 0:
        return Issue((*loc, "points"), f"points must be a positive integer, got {points}")
    return Entry(code, points, units)


def check_submission(
    points: Mapping[str, object],
    *,
    offered: Mapping[str, OfferedBenefit],
    ineligible: Mapping[str, str],
    points_per_employee: int,
) -> Checked:
    """Check a submission's ``points`` mapping.

    `offered` maps every benefit offered in the period to its facts; `ineligible` maps the
    offered benefits the employee is not eligible for to the plain-words reason.
    Entries come back sorted by benefit code.
    """
    result = Checked()
    for code in sorted(points):
        loc: tuple[str | int, ...] = ("body", "points", code)
        parsed = _parse_entry(code, points[code], loc)
        if isinstance(parsed, Issue):
            result.errors.append(parsed)
            continue
        benefit = offered.get(code)
        if benefit is None or not benefit.active:
            result.errors.append(Issue(loc, f"benefit {code!r} is not offered in this period"))
        elif benefit.core:
            result.errors.append(
                Issue(
                    loc,
                    f"{benefit.name} ({code}) is a core benefit: everyone eligible "
                    "receives it, so it takes no points",
                )
            )
        elif code in ineligible:
            result.errors.append(Issue(loc, f"not eligible for {code}: {ineligible[code]}"))
        elif not 1 <= parsed.units <= benefit.max_units:
            result.errors.append(
                Issue(
                    (*loc, "units"),
                    f"units must be between 1 and {benefit.max_units} "
                    f"for {code}, got {parsed.units}",
                )
            )
        else:
            result.entries.append(parsed)
    total = sum(entry.points for entry in result.entries)
    if not result.errors and total > points_per_employee:
        result.errors.append(
            Issue(
                ("body", "points"),
                f"points add up to {total}, more than the {points_per_employee} points available",
            )
        )
    if not result.errors:
        result.warnings = submission_warnings(result.entries, offered)
    return result


def submission_warnings(
    entries: Sequence[Entry], offered: Mapping[str, OfferedBenefit]
) -> list[Issue]:
    """Hints about wanted benefits that depend on or exclude each other."""
    wanted = {entry.benefit for entry in entries}
    warnings: list[Issue] = []
    for entry in entries:
        benefit = offered[entry.benefit]
        for needed in benefit.requires:
            if needed not in wanted:
                name = offered[needed].name if needed in offered else needed
                warnings.append(
                    Issue(
                        ("body", "points", entry.benefit),
                        f"{benefit.name} requires {name} ({needed}), which you did not "
                        f"ask for: it can only be given together with {needed}",
                    )
                )
    by_group: dict[str, list[str]] = {}
    for entry in entries:
        group = offered[entry.benefit].exclusive_group
        if group is not None:
            by_group.setdefault(group, []).append(entry.benefit)
    for group, codes in sorted(by_group.items()):
        if len(codes) > 1:
            warnings.append(
                Issue(
                    ("body", "points"),
                    f"{', '.join(codes)} are alternatives "
                    f"(group {group!r}): at most one of them can be given",
                )
            )
    return warnings


def proposed_from(
    previous: Mapping[str, Mapping[str, int]],
    *,
    offered: Mapping[str, OfferedBenefit],
    eligible: Callable[[str], bool],
    points_per_employee: int,
) -> dict[str, dict[str, int]]:
    """Last period's choices proposed for this one: offered, active, optional benefits the
    employee is eligible for, units within max_units; when over this period's points, each
    entry scaled down (rounded down, at least 1 point) and the last ones dropped until it fits."""
    kept = {
        code: {
            "points": int(entry["points"]),
            "units": min(int(entry["units"]), offered[code].max_units),
        }
        for code, entry in sorted(previous.items())
        if code in offered and offered[code].active and not offered[code].core and eligible(code)
    }
    total = sum(entry["points"] for entry in kept.values())
    if total > points_per_employee:
        for entry in kept.values():
            entry["points"] = max(entry["points"] * points_per_employee // total, 1)
        while sum(entry["points"] for entry in kept.values()) > points_per_employee:
            kept.pop(max(kept))
    return kept
