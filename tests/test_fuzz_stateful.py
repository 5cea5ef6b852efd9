"""Stateful fuzzing (issue 10): schemathesis' state machine against a real `flexben serve`
(SQLite, a small seeded organisation, hr_admin credentials). Its steps chain calls through
the links schemathesis infers from the OpenAPI document (a 201's `code` feeds the GET
/{code} after it; the document needs no explicit links for that), so resources created by
one step are read, patched and erased by the next. Every response must pass
tests/fuzzing.py's CHECKS (no 5xx, conforms to the document). A fixed seed and a few short
scenarios keep it well under a minute."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput

from app.main import create_app
from bench.support import Server, running_server, sqlite_database
from tests.factories import TEST_SECRET_KEY
from tests.fuzzing import CHECKS, seed_organisation
from tests.security_factories import settings_for

pytestmark = pytest.mark.slow

# The resources a scenario can create and then use; the whole API is fuzzed statelessly
# (tests/test_fuzz.py), and a scenario over all of it would rarely chain two calls.
RESOURCES = r"^/api/v1/(peer-groups|employees|benefits)"
SCENARIOS = settings(
    max_examples=25,  # scenarios
    stateful_step_count=8,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.generate],
)
MIN_STEPS = 60  # the scenarios must have run, not stopped at once
MAX_ROUNDS = 4


@pytest.fixture
def server() -> Iterator[tuple[Server, dict[str, str]]]:
    with sqlite_database() as url:
        seeding = create_app(settings_for(url, rate_limit_per_minute=0))
        key = seed_organisation(seeding)
        seeding.state.engine.dispose()
        with running_server(url, extra_env={"FLEXBEN_SECRET_KEY": TEST_SECRET_KEY}) as live:
            yield live, {"Authorization": f"Bearer {key}"}


@dataclass
class Record:
    """What the scenarios did: per step (operation, status, chained) and every failure."""

    steps: list[tuple[str, int, bool]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def api_state_machine(base: str, headers: dict[str, str], record: Record) -> Any:
    """The state machine of the live server's document, calling with `headers`, checking
    every response with CHECKS into `record`."""
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json").include(path_regex=RESOURCES)
    # Our credentials on every call: no case drops them (unauthenticated calls have their
    # own tests); every other part of a request may be valid or not.
    schema.config.generation.update(with_security_parameters=False)

    class LiveApi(schema.as_state_machine()):  # type: ignore[misc]
        def step(self, input: StepInput) -> StepOutput:
            output: StepOutput = super().step(input)
            chained = input.transition is not None and input.is_applied
            record.steps.append((input.case.operation.label, output.response.status_code, chained))
            return output

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            # Recorded, not raised: Hypothesis would replay the scenario to shrink it, against
            # a server whose state has moved on since.
            try:
                case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)
            except FailureGroup as failure:
                label = case.operation.label
                record.failures.append(f"{label} -> {response.status_code}: {failure!r}")

    return LiveApi


def run_scenarios(machine: Any, record: Record) -> None:
    """Rounds of scenarios until MIN_STEPS steps have run (or MAX_ROUNDS rounds)."""
    for _ in range(MAX_ROUNDS):
        # Which rules a scenario may take depends on the live server's answers, which change
        # as its data does: when Hypothesis replays a scenario's start it may find that
        # flaky and stop the round (schemathesis' own runner accepts that too).
        with suppress(FlakyStrategyDefinition):
            machine.run(settings=SCENARIOS)
        if len(record.steps) >= MIN_STEPS:
            return


def test_scenarios_on_a_live_server_never_fail_and_answer_as_documented(
    server: tuple[Server, dict[str, str]],
) -> None:
    live, headers = server
    record = Record()
    run_scenarios(api_state_machine(live.base, headers, record), record)

    assert not record.failures, "\n".join(record.failures)
    assert len(record.steps) >= MIN_STEPS, record.steps
    assert all(status != 401 for _, status, _ in record.steps), "the credentials must stay valid"
    chained = [label for label, status, chained in record.steps if chained and status < 300]
    assert chained, f"no step used what an earlier one returned: {record.steps}"
