"""Property-based API fuzzing (schemathesis) of people, periods and preferences: whatever
the input, no 500, and every response conforms to the OpenAPI document. Driven by hand
with Hypothesis, like tests/app/test_fuzz.py (the pytest plugin does not support pytest 9).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.conftest import ApiClient

DOMAIN_PATHS = r"^/api/v1/(peer-groups|employees|periods|me)"
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
EXAMPLES = 6  # per operation and backend: the suite must stay fast


def exercise(operation: Any, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    check()


@pytest.mark.slow
def test_domain_endpoints_never_fail_on_generated_input(api: ApiClient) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app).include(
        path_regex=DOMAIN_PATHS
    )
    admin = api.auth("hr_admin")
    employee = api.auth("employee", employee="E1")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        exercise(operation, employee if operation.path.startswith("/api/v1/me") else admin)
