"""Starting real `flexben worker` processes in tests."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

from tests.factories import TEST_SECRET_KEY

REPO = Path(__file__).resolve().parents[3]


def start_worker(
    database_url: str, *, log_to: Path | None = None, **env: str
) -> subprocess.Popen[bytes]:
    """`flexben worker` on `database_url` with the test secret key and `env` added to this
    process's environment; its output goes to `log_to` (default: discarded). The caller
    terminates it."""
    environment = {
        **os.environ,
        "FLEXBEN_DATABASE_URL": database_url,
        "FLEXBEN_SECRET_KEY": TEST_SECRET_KEY,
        **env,
    }
    with ExitStack() as files:  # the child keeps its own copy of the log's descriptor
        output = files.enter_context(log_to.open("ab")) if log_to else subprocess.DEVNULL
        return subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            cwd=REPO,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
