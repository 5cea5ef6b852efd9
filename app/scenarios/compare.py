"""Runs side by side: aggregate KPIs only, never an individual's data.

Privacy rules for finance outputs:
- peer groups with fewer than MIN_GROUP_SIZE participants are folded into "other" (and the
  figures of "other" itself are withheld when it still has fewer than MIN_GROUP_SIZE);
- a benefit flagged `sensitive` with fewer than MIN_GROUP_SIZE recipients is never named: it is
  folded into "other-sensitive";
- a budget covering fewer than MIN_GROUP_SIZE participants has its use withheld (null).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.allocations.models import Run, RunEmployee, RunLine
from app.allocations.service import small_budgets_of
from app.benefits.models import Benefit
from app.errors import NotFound, Unprocessable, error_item
from app.payroll.service import safe_cell
from app.periods.service import get_period
from app.scenarios.models import Scenario
from app.scenarios.schemas import ComparedRun, ComparisonOut
from app.security.disclosure import MIN_GROUP_SIZE, suppress_small_budgets

MAX_RUNS = 10
OTHER_GROUP = "other"
OTHER_SENSITIVE = "other-sensitive"
KPI_METRICS = (
    "mean_satisfaction",
    "median_satisfaction",
    "p10_satisfaction",
    "min_satisfaction",
    "top_choice_share",
    "gini_satisfaction",
)
HELD_BACK = ("held_back_equity_band", "held_back_capacity", "held_back_budgets")


def parse_run_ids(raw: str) -> list[str]:
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    loc = ["query", "runs"]
    if not ids:
        raise Unprocessable(
            "runs: give run ids, comma-separated", errors=[error_item(loc, "empty")]
        )
    if len(ids) > MAX_RUNS:
        raise Unprocessable(
            f"runs: at most {MAX_RUNS} runs side by side (got {len(ids)})",
            errors=[error_item(loc, f"at most {MAX_RUNS} run ids")],
        )
    if len(set(ids)) != len(ids):
        raise Unprocessable("runs: a run id is given twice", errors=[error_item(loc, "duplicate")])
    return ids


def _runs(session: Session, period_id: str, ids: Sequence[str]) -> list[Run]:
    found = {run.id: run for run in session.scalars(select(Run).where(Run.id.in_(ids)))}
    missing = [i for i in ids if i not in found or found[i].period_id != period_id]
    if missing:
        raise NotFound(f"no run {', '.join(map(repr, missing))} in period {period_id!r}")
    unfinished = [found[i] for i in ids if found[i].status != "succeeded"]
    if unfinished:
        raise Unprocessable(
            "only succeeded runs can be compared: "
            + "; ".join(f"run {run.id} is {run.status}" for run in unfinished),
            errors=[
                error_item(["query", "runs", ids.index(run.id)], f"run is {run.status}")
                for run in unfinished
            ],
        )
    return [found[i] for i in ids]


def group_figures(session: Session, run: Run, overall: float | None) -> list[dict[str, Any]]:
    """Per peer group participants and mean satisfaction; small groups folded into other."""
    rows = session.execute(
        select(
            RunEmployee.peer_group,
            func.count(RunEmployee.satisfaction),
            func.sum(RunEmployee.satisfaction),
        )
        .where(RunEmployee.run_id == run.id)
        .group_by(RunEmployee.peer_group)
        .order_by(RunEmployee.peer_group)
    ).all()
    shown: list[tuple[str, int, float]] = []
    other_count, other_sum = 0, 0.0
    for group, count, total in rows:
        if not count:
            continue
        if count < MIN_GROUP_SIZE:
            other_count += count
            other_sum += float(total or 0)
        else:
            shown.append((group, count, float(total or 0)))
    if other_count:
        shown.append((OTHER_GROUP, other_count, other_sum))
    figures = []
    for group, count, total in shown:
        withheld = count < MIN_GROUP_SIZE
        mean = None if withheld else total / count
        ratio = None if mean is None or not overall else mean / overall
        figures.append(
            {
                "group": group,
                "participants": count,
                "mean_satisfaction": None if mean is None else round(mean, 6),
                "ratio_to_mean": None if ratio is None else round(ratio, 6),
            }
        )
    return figures


def benefit_figures(session: Session, run: Run) -> list[dict[str, Any]]:
    """Per benefit recipients, units and employer cost; small sensitive ones unnamed."""
    rows = session.execute(
        select(
            RunLine.benefit,
            func.count(RunLine.employee),
            func.sum(RunLine.units),
            func.sum(RunLine.employer_cost),
            func.coalesce(Benefit.sensitive, False),
        )
        .outerjoin(Benefit, Benefit.code == RunLine.benefit)
        .where(RunLine.run_id == run.id)
        .group_by(RunLine.benefit, Benefit.sensitive)
        .order_by(RunLine.benefit)
    ).all()
    named: list[dict[str, Any]] = []
    folded = {"recipients": 0, "units": 0, "employer_cost": 0}
    for code, recipients, units, cost, sensitive in rows:
        if sensitive and recipients < MIN_GROUP_SIZE:
            folded["recipients"] += int(recipients)
            folded["units"] += int(units or 0)
            folded["employer_cost"] += int(cost or 0)
            continue
        named.append(
            {
                "benefit": code,
                "recipients": int(recipients),
                "units": int(units or 0),
                "employer_cost": int(cost or 0),
            }
        )
    if folded["recipients"]:
        named.append({"benefit": OTHER_SENSITIVE, **folded})
    return named


def _values(session: Session, run: Run, groups: list[dict[str, Any]]) -> dict[str, Any]:
    kpis = run.kpis or {}
    values: dict[str, Any] = {"total_employer_cost": kpis.get("total_employer_cost")}
    small = small_budgets_of(run)
    for budget in suppress_small_budgets(run.budgets or [], small):
        values[f"budget.{budget['id']}.used"] = budget.get("used")
        values[f"budget.{budget['id']}.cap"] = budget.get("cap")
    for name in KPI_METRICS:
        values[name] = kpis.get(name)
    ratios = [g["ratio_to_mean"] for g in groups if g["ratio_to_mean"] is not None]
    values["worst_group_ratio_to_mean"] = min(ratios) if ratios else None
    for name in HELD_BACK:
        values[name] = kpis.get(name)
    values["employee_top_ups"] = kpis.get("total_employee_cost")
    leftover = session.scalar(
        select(func.coalesce(func.sum(RunEmployee.leftover), 0)).where(RunEmployee.run_id == run.id)
    )
    values["leftover_allowance"] = int(leftover or 0)
    values["leftover_cash"] = kpis.get("leftover_cash", 0)
    values["participants"] = kpis.get("participants")
    values["objective"] = run.objective
    return values


def _difference(value: Any, first: Any) -> Any:
    if not isinstance(value, int | float) or not isinstance(first, int | float):
        return None
    if isinstance(value, int) and isinstance(first, int):
        return value - first  # money stays exact
    return round(float(value) - float(first), 6)


def compare(session: Session, period_id: str, run_ids: Sequence[str]) -> ComparisonOut:
    period = get_period(session, period_id)
    runs = _runs(session, period_id, run_ids)
    rows = session.execute(
        select(Scenario.id, Scenario.name).where(
            Scenario.id.in_([run.scenario_id for run in runs if run.scenario_id])
        )
    ).all()
    names = {scenario_id: name for scenario_id, name in rows}  # noqa: C416 (Row, not pair)
    metrics: list[str] = []
    compared: list[ComparedRun] = []
    for run in runs:
        groups = group_figures(session, run, (run.kpis or {}).get("mean_satisfaction"))
        values = _values(session, run, groups)
        metrics += [name for name in values if name not in metrics]
        compared.append(
            ComparedRun(
                id=run.id,
                scenario_id=run.scenario_id,
                scenario_name=names.get(run.scenario_id) if run.scenario_id else None,
                created_at=run.created_at,
                solver_status=run.solver_status,
                values=values,
                differences={},
                groups=groups,
                benefits=benefit_figures(session, run),
            )
        )
    first = compared[0].values
    for item in compared:
        item.values = {name: item.values.get(name) for name in metrics}
        item.differences = {
            name: _difference(item.values[name], first.get(name)) for name in metrics
        }
    return ComparisonOut(
        period_id=period.id, currency=period.currency, metrics=metrics, runs=compared
    )


def comparison_csv(comparison: ComparisonOut) -> str:
    """One row per metric: the runs' values, then each later run's difference to the first.

    RFC 4180 with CRLF; text that a spreadsheet would run as a formula is neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    runs = comparison.runs
    header = ["metric", *[run.id for run in runs]]
    header += [f"{run.id} - {runs[0].id}" for run in runs[1:]]
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerow(
        [safe_cell(cell) for cell in ["scenario", *[run.scenario_name or "" for run in runs]]]
    )
    for metric in comparison.metrics:
        row: list[Any] = [metric, *[run.values.get(metric) for run in runs]]
        row += [run.differences.get(metric) for run in runs[1:]]
        writer.writerow([safe_cell("" if cell is None else cell) for cell in row])
    return buffer.getvalue()
