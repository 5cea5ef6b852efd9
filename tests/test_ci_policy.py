"""The CI rule for PostgreSQL tests, checked in a child pytest run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SKIPPING_TEST = """
import pytest

@pytest.mark.postgres
def test_skips_itself():
    pytest.skip("no server")
"""


def run_child(tmp_path: Path, ci: str) -> subprocess.CompletedProcess[str]:
    test_file = tmp_path / "test_child.py"
    test_file.write_text(SKIPPING_TEST)
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    env.pop("PYTEST_XDIST_WORKER", None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path)]
    command += ["-p", "tests.conftest", str(test_file)]
    return subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_skipped_postgres_test_fails_under_ci(tmp_path: Path) -> None:
    result = run_child(tmp_path, "true")
    assert result.returncode == 1, result.stdout
    assert "PostgreSQL test skipped under CI=true" in result.stdout


def test_skipped_postgres_test_is_a_skip_outside_ci(tmp_path: Path) -> None:
    result = run_child(tmp_path, "false")
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
