"""No container engine runs here: check that the deploy files parse and that everything
they run is a real `flexben` command with valid options, and every probe a real route."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from app.cli import cli
from tests.conftest import ApiClient

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
COMPOSE = ROOT / "deploy" / "compose.yaml"
INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
    "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
}  # fmt: skip
PROBE_URL = re.compile(r"http://127\.0\.0\.1:8000(/[a-z]+)")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined."""
    logical, pending = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        pending += stripped.removesuffix("\\").strip() + " "
        if not stripped.endswith("\\"):
            logical.append(pending.strip())
            pending = ""
    assert not pending, "dangling continuation line"
    return [(text.split(None, 1)[0], text.split(None, 1)[1]) for text in logical]


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def assert_real_flexben_command(argv: list[str]) -> None:
    """`argv` parses as a flexben command line (subcommand and options exist and are valid)."""
    assert argv[0] == "flexben", argv
    group: Any = typer.main.get_command(cli)  # typer vendors its own click
    name, *rest = argv[1:]
    command = group.commands.get(name)
    assert command is not None, f"flexben has no command {name!r}"
    if rest and rest[0] in getattr(command, "commands", {}):  # a sub-group: api-keys create
        name, *rest = rest
        command = command.commands[name]
    command.make_context(name, list(rest))  # raises on an unknown or invalid option


def test_dockerfile_parses_and_runs_as_non_root() -> None:
    instructions = dockerfile_instructions()
    assert all(name in INSTRUCTIONS for name, _ in instructions), instructions
    assert instructions[0][0] == "FROM"
    users = [args for name, args in instructions if name == "USER"]
    assert users and users[-1] not in ("root", "0")
    for name, args in instructions:
        if name == "COPY":
            for source in args.split()[:-1]:
                assert (ROOT / source).exists(), source


def test_dockerfile_cmd_and_healthcheck_are_real() -> None:
    instructions = dict(dockerfile_instructions())
    assert_real_flexben_command(json.loads(instructions["CMD"]))
    probe = PROBE_URL.search(instructions["HEALTHCHECK"])
    assert probe is not None and probe.group(1) == "/healthz"


def test_compose_has_postgres_migrate_job_api_and_worker() -> None:
    services = compose()["services"]
    assert {"postgres", "migrate", "api", "worker"} <= set(services)
    assert services["worker"]["command"] == ["flexben", "worker"]
    assert services["worker"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert services["migrate"]["command"] == ["flexben", "migrate"]
    api_depends = services["api"]["depends_on"]
    assert api_depends["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_commands_are_real_flexben_commands() -> None:
    for name, service in compose()["services"].items():
        command = service.get("command")
        if command is None:
            continue
        argv = command if isinstance(command, list) else shlex.split(command)
        if name != "postgres":
            assert_real_flexben_command(argv)
        environment = service.get("environment", {})
        if "FLEXBEN_DATABASE_URL" in environment:
            assert environment["FLEXBEN_DATABASE_URL"].startswith("postgresql+psycopg://")
            assert environment["FLEXBEN_ENVIRONMENT"] == "production"


@pytest.mark.parametrize("source", ["dockerfile", "compose"])
def test_probes_hit_real_unauthenticated_routes(api: ApiClient, source: str) -> None:
    text = DOCKERFILE.read_text() if source == "dockerfile" else COMPOSE.read_text()
    paths = PROBE_URL.findall(text)
    assert paths
    for path in paths:
        assert api.get(path).status_code == 200, path


def test_operations_note_names_real_commands() -> None:
    note = (ROOT / "deploy" / "OPERATIONS.md").read_text()
    for command in re.findall(r"`(flexben [^`]+)`", note):
        assert_real_flexben_command(shlex.split(command.replace("...", "x")))


RAY_COMPOSE = ROOT / "deploy" / "compose.ray.yaml"


def ray_compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(RAY_COMPOSE.read_text())
    return document


def assert_real_ray_start(argv: list[str]) -> None:
    """`argv` parses as a `ray start` command line of the pinned ray."""
    scripts = pytest.importorskip("ray.scripts.scripts", reason="the ray extra is missing")
    assert argv[:2] == ["ray", "start"], argv
    scripts.cli.commands["start"].make_context("start", argv[2:])


@pytest.mark.ray
def test_ray_variant_has_a_cpu_less_head_workers_and_ray_driving_run_workers() -> None:
    services = ray_compose()["services"]
    head, node, worker = services["ray-head"], services["ray-worker"], services["worker"]
    assert_real_ray_start(head["command"])
    assert_real_ray_start(node["command"])
    assert "--head" in head["command"] and "--num-cpus=0" in head["command"]
    assert "--address=ray-head:6379" in node["command"]
    assert worker["environment"]["FLEXBEN_SOLVER_EXECUTOR"] == "ray"
    assert worker["environment"]["FLEXBEN_RAY_ADDRESS"] == "ray-head:6379"
    # The run worker keeps the base file's command; its settings must parse.
    from app.config import Settings

    settings = Settings(
        solver_executor=worker["environment"]["FLEXBEN_SOLVER_EXECUTOR"],
        ray_address=worker["environment"]["FLEXBEN_RAY_ADDRESS"],
    )
    assert settings.solver_executor == "ray"
    assert "worker" in compose()["services"]


@pytest.mark.ray
def test_ray_nodes_run_their_workers_at_normal_priority() -> None:
    # Ray's default (niceness 15) lets any busy neighbour starve a solve racing its deadline.
    ray_constants = pytest.importorskip("ray._private.ray_constants")
    services = ray_compose()["services"]
    for name in ("ray-head", "ray-worker"):
        assert services[name]["environment"][ray_constants.RAY_WORKER_NICENESS] == "0", name


def test_ray_variant_images_install_the_ray_extra() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'ray = ["ray==2.60.0"]' in pyproject
    instructions = dockerfile_instructions()
    assert ("ARG", "EXTRAS=highs") in instructions
    assert any(name == "RUN" and '".[${EXTRAS}]"' in args for name, args in instructions)
    for service in ray_compose()["services"].values():
        assert service["build"]["args"]["EXTRAS"] == "highs,ray"
        assert service["image"] == "flexben-ray:latest"
