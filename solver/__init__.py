"""flexben solver: a pure optimisation library (no web, no database).

A `flexben.problem/v1` document in, a `flexben.allocation/v1` document out.
"""
