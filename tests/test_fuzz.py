"""Fuzzing: schemathesis against the app's OpenAPI document, in-process (ASGI), with valid
hr_admin credentials on a seeded SQLite database. Checks: no 5xx, and every response is
documented (status, content type, headers) and matches its schema. A fixed seed
(derandomised) and a bounded number of examples per operation keep it within a couple of
minutes. Every failure it found is now a regular test beside the code it broke (e.g.
tests/app/test_errors.py: an unreadable body)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from app.main import create_app
from app.migrate import upgrade_to_head
from tests.fuzzing import CHECKS, seed_organisation
from tests.security_factories import settings_for

# Per operation; FLEXBEN_FUZZ_EXAMPLES=200 for a deeper hunt (not derandomised then).
MAX_EXAMPLES = int(os.environ.get("FLEXBEN_FUZZ_EXAMPLES", "25"))
DEEP = "FLEXBEN_FUZZ_EXAMPLES" in os.environ
HEADERS: dict[str, str] = {}

# The schema is loaded when the module is collected (schemathesis' pytest fixture loader
# does not support this pytest), so the app is built then; its SQLite database is created,
# migrated and seeded by the module's autouse fixture before the first case runs.
_DB_DIR = Path(tempfile.mkdtemp(prefix="flexben-fuzz-"))
_DB_URL = f"sqlite:///{_DB_DIR / 'fuzz.db'}"
APP = create_app(settings_for(_DB_URL, rate_limit_per_minute=0))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def fuzz_database() -> Iterator[None]:
    upgrade_to_head(_DB_URL)
    HEADERS["Authorization"] = f"Bearer {seed_organisation(APP)}"
    yield
    APP.state.engine.dispose()
    shutil.rmtree(_DB_DIR, ignore_errors=True)


# One pytest item per operation, driven by hand with Hypothesis: schemathesis' own
# parametrize runs a single item under pytest-xdist (how `make test` runs), so it would
# silently fuzz almost nothing there.
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_api_never_fails_and_answers_as_documented(operation: Any) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=not DEEP,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case: schemathesis.Case) -> None:
        response = case.call_and_validate(headers=HEADERS, checks=CHECKS)
        assert response.status_code != 401, "the fuzzer's credentials must stay valid"

    exercise()


def test_every_operation_is_fuzzed() -> None:
    documented = {
        f"{method.upper()} {path}"
        for path, methods in APP.openapi()["paths"].items()
        for method in methods
    }
    assert {operation.label for operation in OPERATIONS} == documented
