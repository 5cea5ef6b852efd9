"""What the schemathesis fuzz tests share: the response checks, and one operation fuzzed
by hand with Hypothesis (schemathesis' pytest plugin does not support pytest 9)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from schemathesis import checks

# Business-rule 422s on schema-valid bodies are legitimate, so no
# positive_data_acceptance; everything else must hold.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


def fuzz_operation(operation: Any, headers: dict[str, str], *, max_examples: int) -> None:
    """Up to `max_examples` generated cases of `operation`, each called with `headers` and
    its response validated against the OpenAPI document with CHECKS."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    check()
