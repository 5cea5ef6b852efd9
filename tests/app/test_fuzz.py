"""Property-based API fuzzing (schemathesis) of the service-core endpoints: whatever the
input, no 500, and every response conforms to the OpenAPI document.

Driven by hand with Hypothesis: schemathesis' pytest plugin does not support pytest 9.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.conftest import ApiClient

CORE_PATHS = r"^/api/v1/(benefits|api-keys)"
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.mark.slow
def test_core_endpoints_never_fail_on_generated_input(api: ApiClient) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app).include(path_regex=CORE_PATHS)
    headers = api.auth("hr_admin")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=20,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: Any) -> None:
            response = case.call(headers=headers)
            # Business-rule 422s on schema-valid bodies are legitimate, so no
            # positive_data_acceptance; everything else must hold.
            case.validate_response(response, checks=CHECKS)

        exercise()
