"""The in-memory contract of the solver: a validated problem and a raw assignment.

Every other solver module works on these frozen types; the loader builds them from a
`flexben.problem/v1` document, the engine turns them into an `Assignment`, and the report
turns both into a `flexben.allocation/v1` document. Money is int (minor units), points int.
Ratios (need, tolerances) are kept as the decimal text's exact Fraction so the checker can
work in exact arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # the checker's figures ride along with an outcome it checked
    from solver.validate import Figures

PROBLEM_FORMAT = "flexben.problem/v1"
RESULT_FORMAT = "flexben.allocation/v1"

Objective = Literal["utilitarian", "maxmin"]
Status = Literal["optimal", "feasible", "infeasible", "error"]


@dataclass(frozen=True, slots=True)
class Policy:
    objective: Objective = "utilitarian"
    equity_tolerance: Fraction = Fraction(0)
    equity_absolute: int = 0


@dataclass(frozen=True, slots=True)
class Budget:
    id: str
    cap: int
    groups: tuple[str, ...] | None = None  # None: every group
    benefits: tuple[str, ...] | None = None  # None: every benefit (core included)


@dataclass(frozen=True, slots=True)
class PeerGroup:
    id: str
    equity_tolerance: Fraction | None = None  # None: policy's
    equity_absolute: int | None = None  # None: policy's


@dataclass(frozen=True, slots=True)
class Benefit:
    id: str
    cost: int
    core: bool = False
    max_units: int = 1
    capacity: int | None = None
    exclusive_group: str | None = None
    requires: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Preference:
    points: int
    units: int = 1  # r(e, b): the units wanted, 1 <= units <= max_units


@dataclass(frozen=True, slots=True)
class Employee:
    id: str
    group: str
    allowance: int | None = None  # None: no individual cap
    need: Fraction = Fraction(1)
    top_up_limit: int = 0
    eligible: frozenset[str] | None = None  # None: every benefit
    # Sorted by benefit id; only positive points.
    preferences: tuple[tuple[str, Preference], ...] = ()

    def is_eligible(self, benefit_id: str) -> bool:
        return self.eligible is None or benefit_id in self.eligible


@dataclass(frozen=True, slots=True)
class Problem:
    currency: str
    points_per_employee: int
    policy: Policy
    budgets: tuple[Budget, ...]
    peer_groups: tuple[PeerGroup, ...]  # overrides only; groups exist through employees
    benefits: tuple[Benefit, ...]
    employees: tuple[Employee, ...]  # sorted by id


@dataclass(frozen=True, slots=True)
class Line:
    units: int
    contribution: int = 0  # w(e, b): employee contribution by salary deduction


# (employee id, benefit id) -> line; only lines with units > 0.
Assignment = dict[tuple[str, str], Line]


@dataclass(frozen=True, slots=True)
class FixedLine:
    """A published line an event may not change, with its amount over its own span."""

    employee: str
    group: str  # the employee's peer group while the line runs (budget membership)
    benefit: str
    units: int
    employer_cost: int
    holds_place: bool = True  # still holds its units from the event's date (capacity)


@dataclass(frozen=True, slots=True)
class SolverInfo:
    name: str
    version: str
    seconds: float
    stopped_by: str = "completed"  # e.g. "completed", "round_limit", "node_limit", "time_limit"


@dataclass(frozen=True, slots=True)
class Infeasibility:
    constraint: str  # e.g. "budget:total", "capacity:PARKING"
    required: int
    available: int
    text: str


@dataclass(frozen=True, slots=True)
class SolveOutcome:
    status: Status
    assignment: Assignment
    objective: float | None
    bound: float | None
    solver: SolverInfo
    infeasibility: tuple[Infeasibility, ...] = ()
    notes: tuple[str, ...] = field(default=())
    # Largest peak resident memory of a worker process, in KiB (0: none); a measurement for
    # benchmarks, kept out of notes and result documents (it differs from run to run).
    worker_peak_kib: int = 0
    # The engine ran the independent exact checker (`solver.validate.check_assignment`) on
    # exactly this assignment and it found nothing: the pipeline checks once, not twice.
    checked: bool = False
    # The exact figures that check computed on this assignment, for the report to reuse
    # (None: the report computes them).
    figures: Figures | None = None


Backend = Literal["auto", "highs", "cbc"]
ExecutorName = Literal["process", "ray"]


@dataclass(frozen=True, slots=True)
class SolveOptions:
    # Wall-clock safety cut-off for the whole solve; work limits below decide the result.
    time_limit_s: float = 60.0
    gap: float = 1e-4  # relative gap at which a proof of optimality is good enough
    backend: Backend = "auto"  # auto: HiGHS when highspy is importable, else CBC
    max_rounds: int | None = None  # heuristic improvement rounds (None: engine default)
    processes: int = 1  # worker processes for per-group subproblems (executor "process")
    executor: ExecutorName = "process"  # "ray": tasks on the Ray cluster at ray_address
    ray_address: str | None = None  # None: Ray's "auto" (RAY_ADDRESS or a local cluster)
