"""Imports every domain's models so Base.metadata (and Alembic) sees all tables.

Append one line per domain package.
"""

from app.allocations import models as allocations_models  # noqa: F401
from app.audit import models as audit_models  # noqa: F401
from app.auth import models as auth_models  # noqa: F401
from app.benefits import models as benefits_models  # noqa: F401
from app.employees import models as employees_models  # noqa: F401
from app.idempotency import models as idempotency_models  # noqa: F401
from app.jobs import models as jobs_models  # noqa: F401
from app.payroll import models as payroll_models  # noqa: F401
from app.periods import models as periods_models  # noqa: F401
from app.portal import models as portal_models  # noqa: F401
from app.preferences import models as preferences_models  # noqa: F401
from app.scenarios import models as scenarios_models  # noqa: F401
