"""Small keyword-only builders of `flexben.problem/v1` documents for tests."""

from __future__ import annotations

from typing import Any


def benefit(ident: str, *, cost: int = 1000, **fields: Any) -> dict[str, Any]:
    return {"id": ident, "cost": cost, **fields}


def employee(
    ident: str, *, group: str = "G", preferences: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    return {"id": ident, "group": group, "preferences": preferences or {}, **fields}


def problem_doc(
    *,
    benefits: list[dict[str, Any]],
    employees: list[dict[str, Any]],
    budgets: list[dict[str, Any]] | None = None,
    peer_groups: list[dict[str, Any]] | None = None,
    policy: dict[str, Any] | None = None,
    points_per_employee: int = 100,
) -> dict[str, Any]:
    return {
        "format": "flexben.problem/v1",
        "currency": "EUR",
        "points_per_employee": points_per_employee,
        "policy": policy or {"objective": "utilitarian", "equity_tolerance": 0.5},
        "budgets": budgets or [],
        "peer_groups": peer_groups or [],
        "benefits": benefits,
        "employees": employees,
    }


def design_example() -> dict[str, Any]:
    """The example problem of DESIGN.md (valid)."""
    return problem_doc(
        policy={"objective": "utilitarian", "equity_tolerance": 0.15, "equity_absolute": 0},
        budgets=[
            {"id": "total", "cap": 250000000},
            {"id": "sales", "cap": 40000000, "groups": ["SALES-L1"]},
            {"id": "mobility", "cap": 9000000, "benefits": ["PARKING"]},
        ],
        peer_groups=[{"id": "SALES-L1", "equity_tolerance": 0.10, "equity_absolute": 5000}],
        benefits=[
            benefit("HEALTH", cost=120000, core=True),
            benefit("GYM", cost=36000),
            benefit("LEAVE", cost=25000, max_units=5),
            benefit("PARKING", cost=90000, capacity=40),
            benefit("DENTAL-A", cost=20000, exclusive_group="dental"),
            benefit("DENTAL-B", cost=45000, exclusive_group="dental"),
            benefit("SPOUSE-HEALTH", cost=80000, requires=["HEALTH"]),
        ],
        employees=[
            employee(
                "E00042",
                group="SALES-L1",
                allowance=300000,
                need=1.0,
                top_up_limit=0,
                eligible=["HEALTH", "GYM", "LEAVE", "PARKING"],
                preferences={"GYM": 40, "LEAVE": {"points": 60, "units": 3}},
            ),
            employee("E00007", group="SALES-L1", preferences={"DENTAL-B": 50, "PARKING": 50}),
        ],
    )
