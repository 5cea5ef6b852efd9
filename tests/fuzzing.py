"""What the schemathesis fuzz tests share: the response checks, a small organisation to fuzz,
and one operation fuzzed by hand with Hypothesis (schemathesis' pytest plugin does not
support pytest 9)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.domain_factories import make_benefit, make_employee, make_peer_group
from tests.factories import make_api_key

# Business-rule 422s on schema-valid bodies are legitimate, so no
# positive_data_acceptance; everything else must hold.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


def seed_organisation(app: FastAPI) -> str:
    """A peer group, an employee and two benefits in `app`'s database; an hr_admin key."""
    with app.state.session_factory() as session:
        group = make_peer_group(session, code="HQ-L2")
        make_employee(session, external_id="E1", peer_group=group, email="e1@example.com")
        make_benefit(session, code="HEALTH", core=True)
        make_benefit(session, code="GYM")
        return make_api_key(session, roles=["hr_admin"])


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
