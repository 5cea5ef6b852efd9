"""Property-based API fuzzing (schemathesis) of people, periods and preferences: whatever
the input, no 500, and every response conforms to the OpenAPI document. Driven by hand
with Hypothesis, like tests/app/test_fuzz.py (the pytest plugin does not support pytest 9).
"""

from __future__ import annotations

import pytest
import schemathesis

from tests.conftest import ApiClient
from tests.fuzzing import fuzz_operation

DOMAIN_PATHS = r"^/api/v1/(peer-groups|employees|periods|me)"
EXAMPLES = 6  # per operation and backend: the suite must stay fast


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
        headers = employee if operation.path.startswith("/api/v1/me") else admin
        fuzz_operation(operation, headers, max_examples=EXAMPLES)
