"""Benchmarks: `python -m bench [module ...]` (default: every module of this package)."""
