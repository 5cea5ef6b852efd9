"""Instance families: each loads as valid input and differs as named; default unchanged."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solver.cli import cli
from solver.families import FAMILIES, Mix, family
from solver.generate import generate
from solver.load import load_problem
from solver.report import to_json

# sha256 of to_json(generate(...)) before families existed: the default family must stay
# byte-identical (benchmarks and stored inputs compare against these organisations).
DEFAULT_DIGESTS = {
    (30, 3, None): "f6bde7430732778162f7a2c7abe5d749b10e12a234a1f1a159f53ccf446d45bb",
    (200, 1, 16): "dcc2a63cad95ae60512212f39fdbe7ca4db97e6eefefe68dfb2d24fb0fb1539c",
    (1000, 1, 16): "cd3c717ac7bf7e8e1c692d870e295ba4f4127f02f00cb46f539e5a738aef99d6",
}


@pytest.mark.parametrize(("employees", "seed", "groups"), sorted(DEFAULT_DIGESTS, key=str))
def test_default_family_is_byte_identical(employees: int, seed: int, groups: int | None) -> None:
    for doc in (
        generate(employees=employees, seed=seed, groups=groups),
        generate(employees=employees, seed=seed, groups=groups, family_name="default"),
    ):
        digest = hashlib.sha256(to_json(doc).encode()).hexdigest()
        assert digest == DEFAULT_DIGESTS[(employees, seed, groups)]


def test_at_least_eight_families() -> None:
    assert len(FAMILIES) >= 8 and FAMILIES["default"] == Mix()


@pytest.mark.parametrize("name", list(FAMILIES))
def test_each_family_loads_and_is_deterministic(name: str) -> None:
    doc = generate(employees=300, seed=4, family_name=name)
    assert doc == generate(employees=300, seed=4, family_name=name)
    problem = load_problem(doc)
    assert len(problem.employees) == 300
    mix = family(name)
    no_allowance = sum(e.allowance is None for e in problem.employees) / 300
    assert abs(no_allowance - mix.no_allowance_share) < 0.1
    silent = sum(not e.preferences for e in problem.employees) / 300
    assert abs(silent - mix.non_participant_share) < 0.08


def test_families_vary_what_they_name() -> None:
    def doc(name: str, employees: int = 1000) -> dict[str, object]:
        return generate(employees=employees, seed=2, family_name=name)

    def cap(d: dict[str, object]) -> int:
        return next(b["cap"] for b in d["budgets"] if b["id"] == "total")  # type: ignore[index,attr-defined]

    def capacity(d: dict[str, object], benefit: str) -> int:
        return next(b["capacity"] for b in d["benefits"] if b["id"] == benefit)  # type: ignore[index,attr-defined]

    assert cap(doc("tight-budget")) < cap(doc("default"))
    assert capacity(doc("scarce"), "PARKING") < capacity(doc("default"), "PARKING")
    chains = {b["id"]: b for b in doc("chains")["benefits"]}  # type: ignore[index,attr-defined]
    assert chains["SPOUSE-HEALTH"]["requires"] == ["HEALTH-PLUS"]
    assert chains["CHILD-HEALTH"]["requires"] == ["SPOUSE-HEALTH"]
    small = load_problem(generate(employees=10000, seed=1, family_name="small-groups"))
    assert len({e.group for e in small.employees}) == 400
    large = load_problem(generate(employees=1000, seed=1, family_name="large-groups"))
    assert len({e.group for e in large.employees}) == 1
    favourite = load_problem(doc("favourite"))
    spread = load_problem(doc("spread"))

    def top_share(problem: object) -> float:
        shares = [
            max(p.points for _, p in e.preferences) / sum(p.points for _, p in e.preferences)
            for e in problem.employees  # type: ignore[attr-defined]
            if e.preferences
        ]
        return sum(shares) / len(shares)

    assert top_share(favourite) > 0.7 > top_share(spread)


def test_knobs_override_a_family_and_bad_knobs_are_refused() -> None:
    mix = family("default").with_knobs({"no_allowance_share": "0.3", "chains": "true"})
    assert mix.no_allowance_share == 0.3 and mix.chains
    with pytest.raises(ValueError, match="unknown knob 'colour'"):
        family("default").with_knobs({"colour": "1"})
    with pytest.raises(ValueError, match="must be between 0 and 1"):
        family("default").with_knobs({"tenure_gap": "2"})
    with pytest.raises(ValueError, match="expected one of default"):
        family("nope")


def test_cli_generate_family_and_knobs(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "p.json"
    done = runner.invoke(
        cli,
        ["generate", "--employees", "50", "--family", "mixed", "--set", "no_allowance_share=1",
         "-o", str(out)],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert all(e["allowance"] is None for e in json.loads(out.read_text())["employees"])
    bad = runner.invoke(cli, ["generate", "--employees", "50", "--family", "nope"])
    assert bad.exit_code == 2 and "expected one of" in bad.output
    bad = runner.invoke(cli, ["generate", "--employees", "50", "--set", "chains"])
    assert bad.exit_code == 2 and "NAME=VALUE" in bad.output
