"""The import graph of app/ packages (read from the sources: every import, top-level or
inside a function) has no cycle, `jobs` imports no domain, and claim / lease / reap code
lives only in app/jobs.

Where a lower package needs something of a higher one, it declares a seam the higher one
fills in when imported (by the composition roots: app.main, app.cli): payroll's
`Amendment` (life events), auth's employee directory (employees), allocations' run inputs
(carry-overs from payroll, scenario problems from scenarios).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"


def package_of(module: str) -> str | None:
    """`app.periods.service` -> `periods`; top-level modules (`app.db`) are their own."""
    parts = module.split(".")
    if parts[0] != "app" or len(parts) < 2:
        return None
    return parts[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in APP.rglob("*.py"):
        module = ".".join(path.relative_to(APP.parent).with_suffix("").parts)
        source = package_of(module)
        if source is None:
            continue
        for target in map(package_of, imported_modules(path)):
            if target is not None and target != source and (APP / target).is_dir():
                graph.setdefault(source, set()).add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


KNOWN_CYCLES: list[list[str]] = []  # issue 14 broke the last two; keep it empty


def test_app_packages_import_each_other_without_cycles() -> None:
    graph = package_graph()
    assert "jobs" in graph["allocations"]  # the graph is really read
    found = cycles(graph)
    assert found == KNOWN_CYCLES == [], f"import cycles between app packages: {found}"


def test_jobs_imports_no_domain() -> None:
    domains = {path.name for path in APP.iterdir() if path.is_dir() and path.name != "jobs"}
    assert package_graph().get("jobs", set()) & domains == set()


LEASE_CODE = re.compile(r"lease_expires_at|with_for_update\(skip_locked|get_stalled_jobs")


def test_claim_lease_and_reap_code_lives_only_in_app_jobs() -> None:
    outside = [
        str(path.relative_to(APP))
        for path in APP.rglob("*.py")
        if path.relative_to(APP).parts[0] != "jobs" and LEASE_CODE.search(path.read_text())
    ]
    assert outside == []
