"""Property-based API fuzzing (schemathesis) of the service-core endpoints: whatever the
input, no 500, and every response conforms to the OpenAPI document.

Driven by hand with Hypothesis: schemathesis' pytest plugin does not support pytest 9.
"""

from __future__ import annotations

import pytest
import schemathesis

from tests.conftest import ApiClient
from tests.fuzzing import fuzz_operation

CORE_PATHS = r"^/api/v1/(benefits|api-keys)"


@pytest.mark.slow
def test_core_endpoints_never_fail_on_generated_input(api: ApiClient) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app).include(path_regex=CORE_PATHS)
    headers = api.auth("hr_admin")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6

    for operation in operations:
        fuzz_operation(operation, headers, max_examples=20)
