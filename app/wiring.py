"""The composition root's one import: every domain module that fills in a seam.

Lower packages expose seams that higher ones fill in at import (auth's employee directory,
runs' carry-overs and scenario problems, the job kinds), so that no import cycle joins
the packages. Whatever calls the services — the app, the CLI, a worker, a benchmark —
imports this module first.
"""

from __future__ import annotations

import app.employees.directory  # (auth's employee directory)
import app.job_kinds  # (every job kind)
import app.payroll.repository  # (carry-overs into a run's problem)
import app.scenarios.service  # noqa: F401 (scenario runs' check and problem)
