"""Benchmarks: `python -m bench [module ...]` (default: every module of this package)."""

import app.wiring  # noqa: F401 (benchmarks call services directly: every seam filled in)
