"""Run benchmark modules: `python -m bench [name ...]`; without names, every module of the
`bench` package that defines `main()` (e.g. bench/service.py, bench/solver.py)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        info.name for info in pkgutil.iter_modules([str(here)]) if not info.name.startswith("_")
    )


def run(names: list[str]) -> int:
    known = available()
    if names and names[0] in known and len(names) > 1 and names[1].startswith("-"):
        names = names[:1]  # `python -m bench scale --option ...`: the module reads its options
    unknown = [name for name in names if name not in known]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(known)}")
        return 2
    for name in names or known:
        module = importlib.import_module(f"bench.{name}")
        entry = getattr(module, "main", None)
        if entry is None:
            continue
        print(f"== bench.{name}", flush=True)
        entry()
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
