"""Catalogue rules: what a careful HR admin expects the service to refuse."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.service import record, snapshot
from app.benefits import repository
from app.benefits.eligibility import validate_rule
from app.benefits.models import Benefit
from app.benefits.schemas import BenefitCreate, BenefitPatch
from app.errors import Conflict, NotFound, Unprocessable, error_item

ErrorList = list[dict[str, Any]]


def get_benefit(session: Session, code: str, *, for_update: bool = False) -> Benefit:
    benefit = repository.get_by_code(session, code, for_update=for_update)
    if benefit is None:
        raise NotFound(f"no benefit with code {code!r}")
    return benefit


def create_benefit(session: Session, body: BenefitCreate) -> Benefit:
    if repository.get_by_code(session, body.code) is not None:
        raise Conflict(f"a benefit with code {body.code!r} already exists")
    fields = body.model_dump()
    _raise_if_invalid(_catalogue_errors(session, code=body.code, fields=fields))
    benefit = Benefit(**fields)
    session.add(benefit)
    record(session, None, "benefit.create", "benefit", benefit.code, None, benefit)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent create of the same code won the race
        session.rollback()
        raise Conflict(f"a benefit with code {body.code!r} already exists") from exc
    return benefit


def update_benefit(session: Session, benefit: Benefit, patch: BenefitPatch) -> Benefit:
    """Apply `patch` to `benefit` (loaded with `for_update=True`) ."""
    changes = patch.changes()
    before = snapshot(benefit)
    merged = {**_fields_of(benefit), **changes}
    _raise_if_invalid(_catalogue_errors(session, code=benefit.code, fields=merged))
    if benefit.active and merged["active"] is False:
        _refuse_retiring_a_requirement(session, benefit.code)
    changed = {name: value for name, value in changes.items() if getattr(benefit, name) != value}
    for name, value in changed.items():
        setattr(benefit, name, value)
    action = "benefit.retire" if changed.get("active") is False else "benefit.update"
    record(session, None, action, "benefit", benefit.code, before, benefit)
    session.flush()
    return benefit


def _fields_of(benefit: Benefit) -> dict[str, Any]:
    return {name: getattr(benefit, name) for name in BenefitCreate.model_fields}


def _raise_if_invalid(errors: ErrorList) -> None:
    if errors:
        raise Unprocessable(f"the benefit breaks {len(errors)} rule(s)", errors=errors)


def _catalogue_errors(session: Session, *, code: str, fields: dict[str, Any]) -> ErrorList:
    errors: ErrorList = []
    if fields["exclusive_group"] is not None and fields["max_units"] != 1:
        errors.append(
            error_item(
                ["body", "max_units"],
                f"benefits of an exclusive group have max_units 1 "
                f"(exclusive_group {fields['exclusive_group']!r}, max_units {fields['max_units']})",
            )
        )
    if fields["core"] and fields["exclusive_group"] is not None:
        errors.append(
            error_item(
                ["body", "exclusive_group"],
                "a core benefit goes to everyone, so it cannot be in an exclusive group",
            )
        )
    errors += _requires_errors(session, code=code, fields=fields)
    errors += validate_rule(fields["eligibility"], ["body", "eligibility"])
    return errors


def _requires_errors(session: Session, *, code: str, fields: dict[str, Any]) -> ErrorList:
    requires: list[str] = fields["requires"]
    loc: list[str | int] = ["body", "requires"]
    errors: ErrorList = []
    if len(set(requires)) != len(requires):
        errors.append(error_item(loc, "lists a benefit more than once"))
    known = repository.get_many(session, requires)
    for index, required in enumerate(requires):
        target = known.get(required)
        if required == code:
            errors.append(error_item([*loc, index], "a benefit cannot require itself"))
        elif target is None:
            errors.append(error_item([*loc, index], f"no benefit with code {required!r}"))
        elif not target.active and fields["active"]:
            errors.append(error_item([*loc, index], f"{required!r} is retired"))
        elif fields["core"] and not target.core:
            errors.append(
                error_item(
                    [*loc, index],
                    f"a core benefit can only require core benefits; {required!r} is optional",
                )
            )
    if not errors and requires:
        cycle = _requires_cycle(session, code=code, requires=requires)
        if cycle:
            errors.append(error_item(loc, f"circular requirement: {' -> '.join(cycle)}"))
    return errors


def _requires_cycle(session: Session, *, code: str, requires: list[str]) -> list[str] | None:
    graph = {benefit.code: list(benefit.requires) for benefit in repository.all_benefits(session)}
    graph[code] = requires
    path: list[str] = [code]

    def visit(node: str, seen: set[str]) -> list[str] | None:
        for nxt in graph.get(node, []):
            if nxt == code:
                return [*path, code]
            if nxt in seen:
                continue
            seen.add(nxt)
            path.append(nxt)
            found = visit(nxt, seen)
            if found:
                return found
            path.pop()
        return None

    return visit(code, {code})


def _refuse_retiring_a_requirement(session: Session, code: str) -> None:
    dependants = sorted(
        benefit.code
        for benefit in repository.all_benefits(session)
        if benefit.active and code in benefit.requires
    )
    if dependants:
        raise Conflict(
            f"{code!r} is required by active benefits {', '.join(dependants)}; "
            "retire or change those first"
        )
