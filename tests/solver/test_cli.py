from __future__ import annotations

import json
import os
import subprocess
import sys
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
    problem, result = tmp_path / "p.json", tmp_path / "r.json"
    problem.write_text(json.dumps(doc))
    solved = runner.invoke(cli, ["solve", str(problem), "-o", str(result)])
    assert solved.exit_code == 2
    assert "$.currency" in solved.output and "$.benefits[2].max_units" in solved.output
    assert not result.exists()  # an invalid file produces no result


def test_infeasible_problem_exits_3_with_the_reason(tmp_path: Path) -> None:
    doc = design_example()
    doc["benefits"][0]["capacity"] = 1
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps(doc))
    solved = runner.invoke(cli, ["solve", str(problem)])
    assert solved.exit_code == 3
    assert "'HEALTH' must go to 2 eligible employees but has 1 place" in solved.output


def test_the_flexben_console_script_mounts_the_solver_commands(tmp_path: Path) -> None:
    problem, result = tmp_path / "p.json", tmp_path / "r.json"
    problem.write_text(json.dumps(design_example()))
    flexben = str(Path(sys.executable).parent / "flexben")
    solved = subprocess.run(
        [flexben, "solve", str(problem), "-o", str(result)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert solved.returncode == 0, solved.stderr
    checked = subprocess.run(
        [flexben, "check", str(problem), str(result)], capture_output=True, text=True, check=False
    )
    assert (checked.returncode, checked.stdout) == (0, "valid\n")


def test_the_console_script_exits_at_once_with_the_code_and_the_whole_result(
    tmp_path: Path,
) -> None:
    # The console script ends `solve` without a teardown: the result must be whole and
    # flushed, to a file and to standard output, and the exit code still says what happened.
    flexben = str(Path(sys.executable).parent / "flexben")
    problem, result = tmp_path / "p.json", tmp_path / "r.json"
    problem.write_text(json.dumps(design_example()))
    to_file = subprocess.run(
        [flexben, "solve", str(problem), "-o", str(result), "--reproducible"],
        capture_output=True,
        text=True,
        check=False,
    )
    to_stdout = subprocess.run(
        [flexben, "solve", str(problem), "--reproducible"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (to_file.returncode, to_stdout.returncode) == (0, 0)
    assert "status " in to_file.stderr
    assert to_stdout.stdout == result.read_text(encoding="utf-8")
    assert json.loads(to_stdout.stdout)["status"] in ("optimal", "feasible")
    doc = design_example()
    doc["benefits"][0]["capacity"] = 1
    problem.write_text(json.dumps(doc))
    infeasible = subprocess.run(
        [flexben, "solve", str(problem)], capture_output=True, text=True, check=False
    )
    assert infeasible.returncode == 3
    assert json.loads(infeasible.stdout)["status"] == "infeasible"


def test_byte_identical_across_processes_with_different_hash_seeds(tmp_path: Path) -> None:
    problem = tmp_path / "p.json"
    assert (
        runner.invoke(
            cli,
            ["generate", "--employees", "12", "--seed", "7", "--groups", "2", "-o", str(problem)],
        ).exit_code
        == 0
    )
    flexben = str(Path(sys.executable).parent / "flexben")
    outputs = []
    for hash_seed in ("1", "2"):
        result = tmp_path / f"r{hash_seed}.json"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run(
            [flexben, "solve", str(problem), "-o", str(result), "--reproducible"],
            env=env,
            check=True,
            capture_output=True,
        )
        outputs.append(result.read_bytes())
    assert outputs[0] == outputs[1]


def test_bad_options_and_unreadable_results_exit_2(tmp_path: Path) -> None:
    problem, result = tmp_path / "p.json", tmp_path / "r.json"
    problem.write_text(json.dumps(design_example()))
    result.write_text("{not json")
    assert runner.invoke(cli, ["solve", str(problem), "--backend", "gurobi"]).exit_code == 2
    assert runner.invoke(cli, ["solve", str(problem), "--gap", "1.5"]).exit_code == 2
    checked = runner.invoke(cli, ["check", str(problem), str(result)])
    assert checked.exit_code == 2 and "not valid JSON" in checked.output


def test_backend_option_reaches_the_engine(tmp_path: Path) -> None:
    problem, result = tmp_path / "p.json", tmp_path / "r.json"
    problem.write_text(json.dumps(design_example()))
    solved = runner.invoke(cli, ["solve", str(problem), "-o", str(result), "--backend", "cbc"])
    assert solved.exit_code == 0, solved.output
    assert "CBC" in json.loads(result.read_text())["solver"]["name"]
    assert runner.invoke(cli, ["check", str(problem), str(result)]).exit_code == 0


def test_processes_and_executor_options(tmp_path: Path) -> None:
    problem, one, two = tmp_path / "p.json", tmp_path / "one.json", tmp_path / "two.json"
    # Above the polish's 600 persons: work limits alone end the solve (the polish's own time
    # limit follows the clock, and a loaded machine can reach it).
    generate = ["generate", "--employees", "650", "--seed", "3", "--groups", "6"]
    assert runner.invoke(cli, [*generate, "-o", str(problem)]).exit_code == 0
    for target, processes in ((one, "1"), (two, "2")):
        solved = runner.invoke(
            cli,
            [
                "solve",
                str(problem),
                "-o",
                str(target),
                "--reproducible",
                "--processes",
                processes,
                "--time-limit",
                "1200",  # far above the ~20 s needed: work limits, never the clock, decide
            ],
        )
        assert solved.exit_code == 0, solved.output
        assert "stopped by " in solved.output  # the summary says what ended the solve
    assert one.read_bytes() == two.read_bytes()
    assert json.loads(one.read_text())["solver"]["stopped_by"] != "time_limit"
    bad = [
        ["--executor", "spark"],
        ["--ray-address", "127.0.0.1:6379"],  # only with --executor ray
        ["--processes", "0"],
    ]
    for options in bad:
        refused = runner.invoke(cli, ["solve", str(problem), *options])
        assert refused.exit_code == 2, (options, refused.output)
