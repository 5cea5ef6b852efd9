"""Integrators generate clients from the service's OpenAPI document: both generators run on
it without a warning, and the typed answers are there (periods, file downloads).

openapi-python-client 0.29.1 runs with the repository's openapi-python-client.yaml (how
CSV and SVG bodies map to bytes) in a venv of its own (tests/clients/python: it caps typer
below the service's pin); openapi-typescript 7.13.0 comes from tests/clients/node (npm ci).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from app.main import create_app
from tests.tool_installs import npm_installed, venv_installed

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = Path(__file__).parent / "clients"
PYTHON_CLIENT_CONFIG = ROOT / "openapi-python-client.yaml"
GENERATE_TIMEOUT_S = 300
# What either tool prints when it skips, drops or doubts a part of the document.
TROUBLE = re.compile(r"warn|error|unable|cannot|could not|fail|skipp|omit|⚠", re.IGNORECASE)


@pytest.fixture(scope="module")
def openapi_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("contract") / "openapi.json"
    path.write_text(json.dumps(create_app().openapi()), encoding="utf-8")
    return path


def _run(command: list[str | Path], bin_dir: Path) -> str:
    environment = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [str(part) for part in command],
        env={**environment, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=GENERATE_TIMEOUT_S,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert TROUBLE.search(output) is None, output
    return output


def test_openapi_python_client_generates_all(openapi_file: Path, tmp_path: Path) -> None:
    bin_dir = venv_installed(CLIENTS / "python", "openapi-python-client")
    client = tmp_path / "client"
    generate = [bin_dir / "openapi-python-client", "generate", "--path", openapi_file]
    options = ["--output-path", client, "--config", PYTHON_CLIENT_CONFIG, "--fail-on-warning"]
    _run([*generate, *options], bin_dir)
    package = client / "flexben_client"
    assert (package / "models" / "period_out.py").exists()
    svg = package / "api" / "scenarios" / "get_curve_svg_api_v1_jobs_job_id_curve_svg_get.py"
    assert "File(payload=BytesIO(response.content))" in svg.read_text(encoding="utf-8")


def test_openapi_typescript_generates_all(openapi_file: Path, tmp_path: Path) -> None:
    bin_dir = npm_installed(CLIENTS / "node", "openapi-typescript") / ".bin"
    types = tmp_path / "flexben.ts"
    _run([bin_dir / "openapi-typescript", openapi_file, "--output", types], bin_dir)
    text = types.read_text(encoding="utf-8")
    assert "PeriodOut: {" in text
    assert '"/api/v1/jobs/{job_id}/curve.svg"' in text
