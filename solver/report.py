"""Build and serialise the `flexben.allocation/v1` result document.

`build_result(problem, outcome, reproducible=False)` turns a `SolveOutcome` into the document
of DESIGN.md; `to_json(doc)` serialises it deterministically (sorted object keys, lists in
their semantic order, floats rounded to `DECIMALS` decimals (solver.validate.round_float),
trailing newline). With `reproducible=True`, `solver.seconds` is written as 0.0 and
durations in the engine's notes ("0.93s") as "0.00s", so two solves of the same input are
byte-identical.

Document sections (beyond DESIGN.md's, all additive):
- `allocations`: sorted by (employee, benefit); core benefits included.
- `employees`: every employee by id: `satisfaction` (null for non-participants), `value`
  (employer-funded optional value v(e)), `top_up` (their contributions), `explanations`.
- an explanation (solver/explain.py): `benefit`, `reasons` (DESIGN.md's codes), `text`
  (those reasons in English), and their figures, added: `units_wanted`, `units_received`,
  `details` (one object per reason, in order: `code` without the `:<id>` and its figures,
  money in minor units: `allowance` {allowance, left}; `budget` {budget, cap, left};
  `capacity` {places}; `exclusive` {received, group}; `requires` {prerequisite,
  blocked_by (not_eligible | capacity | exclusive), places, rivals, group}; `equity_band`
  {value, cap, per_need, published, mean, tolerance, absolute}; `not_eligible`,
  `not_selected` {}), and with an allowance or budget reason `package` (one more unit:
  cost, prerequisites [{benefit, cost}], total, employer_share, co_funded).
- `groups`: every peer group by id: `participants`, `mean_value` (mean of v/need over the
  participants, rounded to minor units; null without participants), `max_ratio` (highest
  v/need over that mean; null when the mean is 0 or there are no participants),
  `tolerance`, `absolute` (the band in force).
- `budgets`: `id`, `cap`, `used` (employer cost counted against it, core included).
- `capacity`: per capacity-limited benefit `benefit`, `capacity`, `used`.
- `infeasibility` (status infeasible): `constraint`, `required`, `available`, `text`.
- `error`, `violation_count` and `violations` (status error, the first `MAX_VIOLATIONS`):
  what broke; never any allocation.
- `notes`: the engine's remarks (e.g. what stopped it).

KPIs (`kpis`, stable snake_case keys; satisfaction figures over participants, null when
there are none; finance compares runs by these keys):
- `employees`, `participants`: counts;
- `mean_satisfaction`, `median_satisfaction` (mean of the two middle values for an even
  count), `p10_satisfaction` (nearest rank: the ceil(0.1·n)-th smallest),
  `min_satisfaction`;
- `top_choice_share`: share of participants who fully received (all units asked) at least
  one of their highest-pointed eligible optional benefits;
- `full_satisfaction_share`: share of participants with satisfaction 1;
- `gini_satisfaction`: Gini coefficient of participants' satisfaction (0 = equal;
  0 when every satisfaction is 0);
- `held_back_equity_band`, `held_back_capacity`, `held_back_budgets`,
  `held_back_allowance`, `held_back_exclusive`, `held_back_requires`, `not_eligible`,
  `not_selected`: number of explanations (employee × benefit) naming that reason
  (`held_back_budgets` counts any `budget:<id>`);
- `total_employer_cost` (all lines, core included), `total_employee_cost` (top-ups),
  `core_employer_cost`, `optional_employer_cost` (Σ v(e)): minor units;
- `objective`, `bound`, `gap`: as at the top level (null when not solved).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import orjson

from solver.collector import collector_paused
from solver.explain import explain_each
from solver.explain_text import document_explanation
from solver.types import RESULT_FORMAT, Problem, SolveOutcome
from solver.validate import (
    Figures,
    Violation,
    benefit_map,
    employer_cost,
    exact_sum,
    group_figures,
    round_float,
)

_CLOCK_READING = re.compile(r"(?<![\w.])\d+\.\d+s\b")
MAX_VIOLATIONS = 100  # an error result lists the first ones and counts them all


class ResultDocument(dict[str, Any]):
    """A result document whose every float `build_result` rounded (`round_float`) when it
    made it, so `to_json` writes it without walking it first (that walk took seconds at
    100,000 employees). tests/solver/test_report.py holds real results of every family to
    this; a copy (`dict(doc)`) or any other document is walked and rounded as before. Add
    no float to one afterwards."""


def build_result(
    problem: Problem,
    outcome: SolveOutcome,
    *,
    reproducible: bool = False,
    violations: Sequence[Violation] = (),
    error: str | None = None,
) -> ResultDocument:
    """The result document of `outcome`; `violations`/`error` turn it into an `error` result."""
    solver_info = {
        "name": outcome.solver.name,
        "version": outcome.solver.version,
        "seconds": 0.0 if reproducible else _round(outcome.solver.seconds),
        "stopped_by": outcome.solver.stopped_by,
    }
    status = "error" if violations or error else outcome.status
    doc = ResultDocument(
        {
            "format": RESULT_FORMAT,
            "status": status,
            "objective": None,
            "bound": None,
            "gap": None,
            "solver": solver_info,
            "allocations": [],
            "employees": [],
            "groups": [],
            "budgets": [],
            "capacity": [],
            "kpis": {},
            "notes": [_without_clock(note) if reproducible else note for note in outcome.notes],
        }
    )
    if status == "infeasible":
        doc["infeasibility"] = [
            {
                "constraint": item.constraint,
                "required": item.required,
                "available": item.available,
                "text": item.text,
            }
            for item in outcome.infeasibility
        ]
        return doc
    if status == "error":
        doc["error"] = error or "the solver's allocation broke the rules; it was discarded"
        doc["violation_count"] = len(violations)
        doc["violations"] = _rounded(
            [violation.as_dict() for violation in violations[:MAX_VIOLATIONS]]
        )
        return doc
    with collector_paused():
        figures = outcome.figures or Figures.of(problem, outcome.assignment)
        doc.update(_allocation_sections(problem, figures))
    total = exact_sum(figures.scores.values())
    doc["objective"] = _round(total)
    doc["bound"] = _honest_bound(outcome.bound, total)
    if outcome.bound is not None and doc["bound"] is None:
        doc["notes"].append(
            f"the engine's bound {outcome.bound!r} is below the achieved objective; discarded"
        )
    doc["gap"] = _gap(doc["objective"], doc["bound"])
    doc["kpis"].update(objective=doc["objective"], bound=doc["bound"], gap=doc["gap"])
    return doc


def _without_clock(note: str) -> str:
    """A note with its wall-clock readings ("0.93s") zeroed, for reproducible output."""
    return _CLOCK_READING.sub("0.00s", note)


def _honest_bound(bound: float | None, achieved: Fraction) -> float | None:
    """The engine's bound, lifted over float noise to the exact objective; None if below it."""
    if bound is None:
        return None
    if bound < float(achieved) - 1e-6 * max(1.0, float(achieved)):
        return None
    return _round(max(bound, float(achieved)))


def _gap(objective: float, bound: float | None) -> float | None:
    """Relative gap (bound − objective) / bound; 0 when the bound is 0."""
    if bound is None:
        return None
    if bound <= 0:
        return 0.0
    return _round(max(bound - objective, 0.0) / bound)


_round = round_float


def _allocation_sections(problem: Problem, figures: Figures) -> dict[str, Any]:
    reasons: Counter[str] = Counter()
    employees = _employees(problem, figures, reasons)
    groups = []
    for band in figures.bands.values():
        mean_value, max_ratio = group_figures(figures, band)
        groups.append(
            {
                "id": band.id,
                "participants": len(band.participants),
                "mean_value": mean_value,
                "max_ratio": None if max_ratio is None else _round(max_ratio),
                "tolerance": _round(band.tolerance),
                "absolute": band.absolute,
            }
        )
    return {
        "allocations": _allocations(problem, figures),
        "employees": employees,
        "groups": groups,
        "budgets": [
            {"id": budget.id, "cap": budget.cap, "used": figures.budgets_used[budget.id]}
            for budget in problem.budgets
        ],
        "capacity": [
            {
                "benefit": benefit.id,
                "capacity": benefit.capacity,
                "used": figures.capacity_used[benefit.id],
            }
            for benefit in problem.benefits
            if benefit.capacity is not None
        ],
        "kpis": kpis(problem, figures, reasons),
    }


def _employees(problem: Problem, figures: Figures, reasons: Counter[str]) -> list[dict[str, Any]]:
    """Every employee's row, explanations included; `reasons` counts their reason codes."""
    scores, currency = figures.scores, problem.currency
    rows = []
    for employee, items in explain_each(problem, figures):
        reasons.update(reason.code for item in items for reason in item.reasons)
        score = scores.get(employee.id)
        rows.append(
            {
                "id": employee.id,
                "group": employee.group,
                "satisfaction": None if score is None else _round(score),
                "value": figures.values[employee.id],
                "top_up": figures.top_ups[employee.id],
                "explanations": [document_explanation(item, currency) for item in items],
            }
        )
    return rows


def _allocations(problem: Problem, figures: Figures) -> list[dict[str, Any]]:
    """Every line, sorted by (employee, benefit): by employee, then each one's few lines."""
    benefits = benefit_map(problem)
    return [
        {
            "employee": employee_id,
            "benefit": benefit_id,
            "units": line.units,
            "employer_cost": employer_cost(benefits[benefit_id], line),
            "employee_cost": line.contribution,
        }
        for employee_id in sorted(figures.lines)
        for benefit_id, line in sorted(figures.lines[employee_id].items())
    ]


def kpis(problem: Problem, figures: Figures, reasons: Mapping[str, int]) -> dict[str, Any]:
    """The KPI block (see the module docstring for every key); `reasons`: how many
    explanations name each reason code (every `budget:<id>` is code `budget`, and
    `exclusive:`, `requires:` alike)."""
    ordered = sorted(figures.scores.values(), key=_float_first)
    count = len(ordered)
    optional_total = sum(figures.values.values())
    result: dict[str, Any] = {
        "employees": len(problem.employees),
        "participants": count,
        "mean_satisfaction": _opt(exact_sum(ordered) / count if count else None),
        "median_satisfaction": _opt(_median(ordered)),
        "p10_satisfaction": _opt(ordered[math.ceil(0.1 * count) - 1] if count else None),
        "min_satisfaction": _opt(ordered[0] if count else None),
        "top_choice_share": _opt(_top_choice_share(figures) if count else None),
        "full_satisfaction_share": _opt(
            Fraction(sum(1 for s in ordered if s == 1), count) if count else None
        ),
        "gini_satisfaction": _opt(_gini(ordered) if count else None),
        "held_back_equity_band": reasons.get("equity_band", 0),
        "held_back_capacity": reasons.get("capacity", 0),
        "held_back_budgets": reasons.get("budget", 0),
        "held_back_allowance": reasons.get("allowance", 0),
        "held_back_exclusive": reasons.get("exclusive", 0),
        "held_back_requires": reasons.get("requires", 0),
        "not_eligible": reasons.get("not_eligible", 0),
        "not_selected": reasons.get("not_selected", 0),
        "total_employer_cost": figures.employer_total,
        "total_employee_cost": sum(figures.top_ups.values()),
        "core_employer_cost": figures.employer_total - optional_total,
        "optional_employer_cost": optional_total,
    }
    return result


def _opt(value: Fraction | None) -> float | None:
    return None if value is None else _round(value)


def _median(ordered: list[Fraction]) -> Fraction | None:
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _gini(ordered: list[Fraction]) -> Fraction:
    """Gini = Σ_i (2i − n − 1)·x_i / (n · Σ x) over ascending x (exact: the weighted
    numerators are added per denominator, as `exact_sum` does)."""
    total = exact_sum(ordered)
    if total == 0:
        return Fraction(0)
    count = len(ordered)
    by_denominator: dict[int, int] = {}
    for rank, value in enumerate(ordered, 1):
        weighted = (2 * rank - count - 1) * value.numerator
        by_denominator[value.denominator] = by_denominator.get(value.denominator, 0) + weighted
    weighted_sum = sum(
        (Fraction(numerator, denominator) for denominator, numerator in by_denominator.items()),
        Fraction(0),
    )
    return weighted_sum / (count * total)


def _float_first(value: Fraction) -> tuple[float, Fraction]:
    """An exact sort key that compares floats first (float() never reverses an order)."""
    return float(value), value


def _top_choice_share(figures: Figures) -> Fraction:
    hits = 0
    for employee_id, wishes in figures.wishes.items():
        held = figures.lines[employee_id]
        top, _ = max(wishes.values())  # (points, units): the highest points
        for name, (points, units) in wishes.items():
            line = held.get(name)
            if points == top and line is not None and line.units >= units:
                hits += 1
                break
    return Fraction(hits, len(figures.wishes))


def to_json(doc: Any, *, indent: int | None = None) -> str:
    """Deterministic JSON: sorted keys, floats rounded to `DECIMALS`, one trailing newline.

    Compact by default (`to_json_bytes`, decoded); `indent` for people (the standard library,
    which writes small floats as `1e-05` where the compact form has `0.00001`: the same
    numbers). A `ResultDocument`'s floats are already rounded; any other document is
    rounded here.
    """
    if indent is None:
        return to_json_bytes(doc).decode("utf-8")
    body = doc if type(doc) is ResultDocument else _rounded(doc)
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, indent=indent)
    return text + "\n"


def to_json_bytes(doc: Any) -> bytes:
    """`to_json(doc)` as UTF-8 bytes, written by orjson: 0.8 s for a 100,000-employee result
    (200 MB) where the standard library took 5 s. Integers beyond 64 bits, which orjson
    refuses, go through the standard library (same bytes otherwise)."""
    body = doc if type(doc) is ResultDocument else _rounded(doc)
    try:
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return (text + "\n").encode("utf-8")


_PLAIN = frozenset({int, str, bool, type(None)})  # left as they are, without a call


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return _round(value)
    if isinstance(value, dict):
        return {
            key: item if type(item) in _PLAIN else _rounded(item) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [item if type(item) in _PLAIN else _rounded(item) for item in value]
    return value
