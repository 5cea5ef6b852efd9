"""Job kinds: what a domain registers so the one job system executes its work.

A kind names its work and gives one function, `execute(context) -> Finish`, that runs
outside any transaction (it may take minutes), plus hooks the runner calls inside its own
transactions so the domain's rows follow the job: `started` (the claim), `requeued` (a lost
worker's job goes back to the queue) and `failed` (the runner failed the job: a lost worker
out of attempts, or saving the result failed). `Finish.save` writes the domain's result in
the transaction that finishes the job, so both commit together or not at all.

Domains register at import (`register(JobKind(...))`); `app.job_kinds` imports them all.
This module imports no domain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.orm import Session

SessionHook = Callable[[Session, str], None]


class LeaseLostError(Exception):
    """The job is no longer this worker's (reaped or taken over): stop, write nothing."""


@dataclass(frozen=True)
class JobContext:
    """What `execute` sees: the job's inputs, and a progress reporter."""

    job_id: str
    # Short read transactions on the job's database (commit nothing: `save` writes).
    session: Callable[[], Session]
    params: dict[str, Any]
    problem: str | None
    attempt: int
    # progress(done): committed at once, visible on GET /jobs/{id}; raises LeaseLostError.
    progress: Callable[[int], None]


@dataclass
class Finish:
    """The outcome of `execute`: the job's final status, its `result`/`error`, and `save`,
    the domain's writes (run lines, ...) made in the job's finishing transaction."""

    status: Literal["succeeded", "failed"]
    result: dict[str, Any] | None = None
    error: str | None = None
    save: SessionHook | None = None


def _nothing(_session: Session, _job_id: str) -> None:
    return None


def _nothing_failed(_session: Session, _job_id: str, _error: str) -> None:
    return None


@dataclass(frozen=True)
class JobKind:
    name: str
    execute: Callable[[JobContext], Finish]
    started: SessionHook = _nothing
    requeued: SessionHook = _nothing
    failed: Callable[[Session, str, str], None] = field(default=_nothing_failed)


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    """Register (or re-register, e.g. after a reload) a kind under its name."""
    _KINDS[kind.name] = kind
    return kind


def kind_of(name: str) -> JobKind:
    try:
        return _KINDS[name]
    except KeyError:
        known = ", ".join(sorted(_KINDS)) or "none"
        raise LookupError(f"no job kind {name!r} is registered (known: {known})") from None


def registered() -> tuple[str, ...]:
    return tuple(sorted(_KINDS))
