"""Errors raised by the solver library for bad input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Issue:
    """One broken rule of the problem format, located by a JSON path like `$.benefits[2].cost`."""

    path: str
    value: Any
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "value": self.value, "message": self.message}

    def __str__(self) -> str:
        return f"{self.path}: {self.message} (got {self.value!r})"


class ProblemError(ValueError):
    """A document breaks the `flexben.problem/v1` format; `issues` lists every broken rule."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        count = len(issues)
        head = "; ".join(str(issue) for issue in issues[:3])
        more = f" (and {count - 3} more)" if count > 3 else ""
        super().__init__(f"invalid problem, {count} issue(s): {head}{more}")
