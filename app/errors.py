"""Domain errors and the single renderer of application/problem+json (RFC 9457)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"

Loc = Sequence[str | int]


class ProblemError(BaseModel):
    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of the API is rendered."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemError] | None = None


PROBLEM_STATUSES = {
    400: "The body cannot be read (not UTF-8 JSON)",
    401: "Missing or invalid API key or token",
    403: "The caller's roles may not do this",
    404: "Not found, or not visible to the caller",
    409: "Conflicts with the current state",
    412: "If-Match names a stale version",
    413: "Request body too large",
    422: "Invalid request; `errors` names every bad field",
    429: "Rate limit exceeded; retry after `Retry-After` seconds",
}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for status, description in PROBLEM_STATUSES.items()
}


def error_item(loc: Loc, msg: str) -> dict[str, Any]:
    """One entry of a problem's `errors` list."""
    return {"loc": list(loc), "msg": msg}


class DomainError(Exception):
    """An expected failure with its HTTP status; rendered as problem+json."""

    status: int = 400
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[dict[str, Any]] | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.headers = headers or {}
        if title is not None:
            self.title = title


class Unauthorized(DomainError):  # noqa: N818 (HTTP status names read best)
    status, title = 401, "Unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="flexben"'})


class Forbidden(DomainError):  # noqa: N818 (HTTP status names read best)
    status, title = 403, "Forbidden"


class NotFound(DomainError):  # noqa: N818 (HTTP status names read best)
    status, title = 404, "Not found"


class Conflict(DomainError):  # noqa: N818 (HTTP status names read best)
    status, title = 409, "Conflict"


class PreconditionFailed(DomainError):  # noqa: N818 (HTTP status names read best)
    status, title = 412, "Precondition failed"


class PayloadTooLarge(DomainError):  # noqa: N818 (HTTP status names read best)
    status, title = 413, "Payload too large"


class Unprocessable(DomainError):  # noqa: N818 (HTTP status names read best)
    status, title = 422, "Unprocessable content"


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    errors: Sequence[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://flexben.dev/problems/{status}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = list(errors)
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {})
    )


def _validation_message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "invalid value"))
    ctx = error.get("ctx") or {}
    if error.get("type") == "extra_forbidden":
        return "unknown field; remove it"
    if "expected" in ctx and "expected" not in message:
        message = f"{message} (allowed: {ctx['expected']})"
    return message


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [error_item(err.get("loc", ()), _validation_message(err)) for err in exc.errors()]


def document_problems(app: FastAPI) -> None:
    """Add the Problem schema that every route's error responses refer to."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(problem.pop("$defs", {}))
        components["Problem"] = problem
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


# FastAPI's message for a body it cannot decode (found by fuzzing: it was undocumented).
FASTAPI_BODY_PARSE_ERROR = "There was an error parsing the body"


def install_error_handlers(app: FastAPI) -> None:
    """Every error the API emits goes through here, so all share one shape."""
    document_problems(app)

    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(
            exc.status, exc.title, exc.detail, errors=exc.errors, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        return problem_response(422, "Unprocessable content", detail, errors=errors)

    @app.exception_handler(StaleDataError)
    async def _stale(_request: Request, _exc: StaleDataError) -> JSONResponse:
        # Optimistic locking (version_id_col) lost a race to a concurrent write.
        return problem_response(
            412, "Precondition failed", "the resource was changed concurrently; reload and retry"
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, _exc: IntegrityError) -> JSONResponse:
        # Services check uniqueness first; this is the race those checks cannot see.
        return problem_response(
            409, "Conflict", "the request conflicts with a concurrent change; retry it"
        )

    @app.exception_handler(DataError)
    async def _data(_request: Request, _exc: DataError) -> JSONResponse:
        # Schemas bound every value; this is the net for one that slipped through.
        return problem_response(422, "Unprocessable content", "a value is out of range for storage")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = HTTPStatus(exc.status_code).phrase
        detail = exc.detail if isinstance(exc.detail, str) else title
        if detail == FASTAPI_BODY_PARSE_ERROR:  # say what is wrong and what is expected
            detail = "the request body cannot be read: send UTF-8 JSON (Content-Type)"
        return problem_response(exc.status_code, title, detail, headers=exc.headers)
