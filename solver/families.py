"""Named instance families for `flexben generate --family NAME`: mixes of the generator's knobs.

Each family is a `Mix`: how many employees lack an individual allowance, need weights,
top-up limits, how tight the budgets are, how scarce capacities are, eligibility gaps by
site and tenure, requirement chains and exclusive tiers, points on one favourite or spread,
group sizes and non-participants. `default` is `Mix()` and reproduces the generator's
organisations byte for byte (its knobs never draw from the random stream); every other
family changes a few knobs, so the solver's quality is measured on organisations it was not
tuned on (bench/solver.py prints one row per family and size).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

Weighted = tuple[tuple[Any, float], ...]


@dataclass(frozen=True, slots=True)
class Mix:
    no_allowance_share: float = 0.0  # employees without an individual allowance
    need_weights: Weighted = ((1.0, 0.85), (1.25, 0.1), (1.5, 0.05))
    top_up_limits: Weighted = ((0, 0.65), (20000, 0.15), (50000, 0.12), (100000, 0.08))
    total_budget_share: float = 0.62  # total cap = core + this share of the wanted value
    site_budget_share: tuple[float, float] = (0.55, 0.7)
    mobility_budget_share: float = 0.5
    capacity_scale: float = 1.0  # capacities are this many times the catalogue's shares
    individual_gap: float = 0.04  # chance an employee misses an optional benefit
    tenure_gap: float = 0.0  # extra chance for tenure-limited benefits (SABBATICAL, CAR-*...)
    chains: bool = False  # HEALTH-PLUS <- SPOUSE-HEALTH <- CHILD-HEALTH, GYM <- FAMILY-GYM ...
    wishes: tuple[int, int] = (3, 9)  # how many benefits an employee gives points to
    points_shape: float = 1.6  # Pareto shape of the points split: small = one favourite
    non_participant_share: float = 0.05
    group_size: int | None = None  # persons per peer group (None: the generator's default)

    def with_knobs(self, knobs: dict[str, str]) -> Mix:
        """This mix with `name=value` overrides (floats and ints), for `--set`."""
        changes: dict[str, Any] = {}
        scalar = {"no_allowance_share", "total_budget_share", "mobility_budget_share",
                  "capacity_scale", "individual_gap", "tenure_gap", "points_shape",
                  "non_participant_share"}  # fmt: skip
        for name, raw in sorted(knobs.items()):
            try:
                if name in scalar:
                    changes[name] = float(raw)
                elif name == "group_size":
                    changes[name] = int(raw)
                elif name == "chains":
                    changes[name] = {"true": True, "false": False}[raw.lower()]
                else:
                    allowed = ", ".join(sorted([*scalar, "group_size", "chains"]))
                    raise ValueError(f"unknown knob {name!r}; knobs: {allowed}")
            except (KeyError, ValueError) as error:
                if "unknown knob" in str(error):
                    raise
                raise ValueError(f"knob {name}: {raw!r} is not a valid value") from None
        mix = dataclasses.replace(self, **changes)
        mix.check()
        return mix

    def check(self) -> None:
        shares = {
            "no_allowance_share": self.no_allowance_share,
            "individual_gap": self.individual_gap,
            "tenure_gap": self.tenure_gap,
            "non_participant_share": self.non_participant_share,
        }
        for name, value in shares.items():
            if not 0 <= value <= 1:
                raise ValueError(f"knob {name}: {value} must be between 0 and 1")
        if self.total_budget_share <= 0 or self.capacity_scale <= 0 or self.points_shape <= 0:
            raise ValueError("knobs total_budget_share, capacity_scale, points_shape must be > 0")
        if self.group_size is not None and self.group_size < 1:
            raise ValueError(f"knob group_size: {self.group_size} must be >= 1")


FAMILIES: dict[str, Mix] = {
    "default": Mix(),
    # 30% of employees without an individual allowance, under a total cap at half the wishes.
    "no-allowance": Mix(no_allowance_share=0.3, total_budget_share=0.5),
    # Every budget tight: the total at 50% of what is wanted, sites and mobility tighter.
    "tight-budget": Mix(
        total_budget_share=0.5, site_budget_share=(0.4, 0.5), mobility_budget_share=0.3
    ),
    # Scarce places (a third of the usual capacities) and many employees able to top up.
    "scarce": Mix(
        capacity_scale=0.3,
        top_up_limits=((0, 0.3), (20000, 0.2), (50000, 0.3), (100000, 0.2)),
        total_budget_share=0.8,
    ),
    # Requirement chains between health benefits (the SPOUSE-HEALTH <- HEALTH-PLUS)
    # and exclusive tiers, with a generous budget: the band and the chains decide.
    "chains": Mix(chains=True, total_budget_share=0.85, wishes=(4, 10)),
    # Points concentrated on one favourite, 20% non-participants, wide need weights.
    "favourite": Mix(
        points_shape=0.7,
        wishes=(1, 4),
        non_participant_share=0.2,
        need_weights=((0.8, 0.2), (1.0, 0.5), (1.5, 0.2), (2.0, 0.1)),
    ),
    # Points spread thin over many benefits; eligibility gaps by site and tenure.
    "spread": Mix(points_shape=8.0, wishes=(6, 12), individual_gap=0.1, tenure_gap=0.3),
    # A few very large peer groups (up to 5,000 persons), a budget that nearly covers all.
    "large-groups": Mix(group_size=2500, total_budget_share=0.95),
    # Many small peer groups (about 10 persons, up to 400 groups).
    "small-groups": Mix(group_size=10, total_budget_share=0.7),
    # Everything the issue lists at once: no allowance for some, need weights, top-ups,
    # site and tenure gaps, scarce capacities, chains, 10% non-participants.
    "mixed": Mix(
        no_allowance_share=0.15,
        need_weights=((1.0, 0.7), (1.25, 0.2), (1.75, 0.1)),
        top_up_limits=((0, 0.5), (30000, 0.3), (80000, 0.2)),
        total_budget_share=0.7,
        capacity_scale=0.5,
        tenure_gap=0.2,
        chains=True,
        non_participant_share=0.1,
    ),
}


def family(name: str) -> Mix:
    """The named mix (ValueError naming the families when unknown)."""
    if name not in FAMILIES:
        raise ValueError(f"family: got {name!r}, expected one of {', '.join(FAMILIES)}")
    return FAMILIES[name]
