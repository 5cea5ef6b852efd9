"""HTTP helpers: ETags, If-Match preconditions, file answers in OpenAPI, the language of
an answer."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response

from app.errors import PreconditionFailed
from app.i18n import negotiate


def file_responses(media_type: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route whose 200 is a file of `media_type`: bytes, typed so that
    client generators hand them to the caller instead of dropping the response."""
    return {200: {"content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}}


def answer_language(
    response: Response,
    accept_language: Annotated[
        str | None,
        Header(description="language of the explanations' texts: en (default) or fr"),
    ] = None,
) -> str:
    """The request's language for the words of an answer (English unless Accept-Language
    prefers another the app speaks), said back in Content-Language."""
    language = negotiate(accept_language)
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Language"
    return language


AnswerLanguage = Annotated[str, Depends(answer_language)]


def etag_of_version(version: int) -> str:
    """Strong ETag from a version column that every write increments."""
    return f'"v{version}"'


def etag_of_json(payload: Any) -> str:
    """Strong ETag from a stable hash of a resource's JSON representation."""
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def set_etag(response: Response, etag: str) -> None:
    response.headers["ETag"] = etag


def _if_match_values(header: str) -> list[str]:
    # Weak validators never match for If-Match (RFC 9110 §13.1.1: strong comparison).
    return [value.strip() for value in header.split(",") if value.strip()]


def check_if_match(request: Request, current_etag: str) -> None:
    """412 when the request carries an If-Match that does not name the current version.

    Without If-Match the write proceeds (last writer wins); clients that care send it.
    """
    header = request.headers.get("if-match")
    if header is None:
        return
    values = _if_match_values(header)
    if "*" in values or current_etag in values:
        return
    raise PreconditionFailed(
        f"the resource has changed (current ETag {current_etag}); reload it and retry",
        headers={"ETag": current_etag},
    )
