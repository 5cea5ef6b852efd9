from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from solver.cli import cli
from tests.solver.factories import design_example

runner = CliRunner()


def test_generate_solve_check_round_trip(tmp_path: Path) -> None:
    problem, result, again = tmp_path / "p.json", tmp_path / "r.json", tmp_path / "r2.json"
    generated = runner.invoke(
        cli, ["generate", "--employees", "12", "--seed", "7", "--groups", "2", "-o", str(problem)]
    )
    assert generated.exit_code == 0, generated.output
    assert json.loads(problem.read_text())["format"] == "flexben.problem/v1"
    for target in (result, again):
        solved = runner.invoke(
            cli, ["solve", str(problem), "-o", str(target), "--reproducible", "--time-limit", "30"]
        )
        assert solved.exit_code == 0, solved.output
    assert result.read_bytes() == again.read_bytes()
    checked = runner.invoke(cli, ["check", str(problem), str(result)])
    assert (checked.exit_code, checked.output) == (0, "valid\n")


def test_check_lists_violations_and_fails(tmp_path: Path) -> None:
    problem, result = tmp_path / "p.json", tmp_path / "r.json"
    problem.write_text(json.dumps(design_example()))
    assert runner.invoke(cli, ["solve", str(problem), "-o", str(result)]).exit_code == 0
    doc = json.loads(result.read_text())
    doc["objective"] = 99.0
    result.write_text(json.dumps(doc))
    checked = runner.invoke(cli, ["check", str(problem), str(result)])
    assert checked.exit_code == 1
    assert "invalid: 1 violation(s)" in checked.output and "[objective:objective]" in checked.output


def test_invalid_problem_prints_every_issue_with_its_path(tmp_path: Path) -> None:
    doc = design_example()
    doc["currency"] = "euro"
    doc["benefits"][2]["max_units"] = 0
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps(doc))
    solved = runner.invoke(cli, ["solve", str(problem)])
    assert solved.exit_code == 2
    assert "$.currency" in solved.output and "$.benefits[2].max_units" in solved.output


def test_infeasible_problem_exits_3_with_the_reason(tmp_path: Path) -> None:
    doc = design_example()
    doc["benefits"][0]["capacity"] = 1
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps(doc))
    solved = runner.invoke(cli, ["solve", str(problem)])
    assert solved.exit_code == 3
    assert "'HEALTH' must go to 2 eligible employees but has 1 place" in solved.output
