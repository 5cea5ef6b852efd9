"""GET /healthz (process alive), /readyz (database reachable and at head): no auth.
GET /metrics: any authenticated principal (give the scraper its own key)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.auth.deps import ALL_ROLES, SessionDep
from app.errors import problem_response
from app.jobs.waiting import queue_details
from app.migrate import schema_state

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None, responses={503: {"description": "not ready"}})
def readyz(session: SessionDep) -> dict[str, Any] | JSONResponse:
    try:
        session.execute(text("SELECT 1"))
        reason = schema_state(session.connection())
    except SQLAlchemyError as exc:
        reason = f"database unreachable: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    if reason is not None:
        return problem_response(503, "Service unavailable", reason)
    # Serving works without a worker, but nothing executes: say so (app/jobs/waiting.py).
    return {"status": "ready", "details": {"jobs": queue_details(session)}}


@router.get("/metrics", response_class=Response, dependencies=[Depends(ALL_ROLES)])
def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
