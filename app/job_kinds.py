"""Every job kind of the service, registered with app.jobs by importing its module.

The composition root (app.main, `flexben worker`) imports this; app.jobs imports no domain.
"""

from __future__ import annotations

from app.allocations.jobs import ALLOCATION_RUN
from app.scenarios.jobs import BUDGET_CURVE

JOB_KINDS = (ALLOCATION_RUN, BUDGET_CURVE)
