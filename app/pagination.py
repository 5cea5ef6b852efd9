"""Keyset pagination: an opaque cursor holding the last row's sort key, never an offset."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Date, Select, tuple_
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from app.errors import Unprocessable, error_item

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

T = TypeVar("T")
Scalar = str | int | float | bool | None


class Page(BaseModel, Generic[T]):
    """A page of a list: `next_cursor` is null on the last page."""

    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True)
class PageParams:
    cursor: str | None
    limit: int


def page_params(
    cursor: Annotated[
        str | None, Query(description="Opaque cursor from the previous page's next_cursor")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Items per page (1..1000)")
    ] = DEFAULT_LIMIT,
) -> PageParams:
    """FastAPI dependency reading `?cursor=&limit=`."""
    return PageParams(cursor=cursor, limit=limit)


def encode_cursor(key: Sequence[Scalar]) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# Cursor values are what encode_cursor wrote: JSON scalars, integers within BIGINT.
_MAX_CURSOR_INT = 2**63 - 1


def _cursor_value_ok(value: object, expected: type | None) -> bool:
    if isinstance(value, bool | dict | list):
        return False
    if isinstance(value, int) and abs(value) > _MAX_CURSOR_INT:
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return expected is None or value is None or isinstance(value, expected)


def decode_cursor(
    cursor: str, *, size: int, types: Sequence[type | None] | None = None
) -> list[Scalar]:
    """The sort key inside `cursor`; 422 naming the `cursor` parameter when it is not ours
    (wrong shape, or a value of another type than its sort column's)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    expected = list(types) if types is not None else [None] * size
    if (
        not isinstance(key, list)
        or len(key) != size
        or not all(_cursor_value_ok(v, t) for v, t in zip(key, expected, strict=True))
    ):
        raise Unprocessable(
            "invalid cursor",
            errors=[error_item(["query", "cursor"], "not a cursor returned by this list")],
        )
    return key


def _python_type(column: ColumnElement[Any] | QueryableAttribute[Any]) -> type | None:
    if isinstance(column.type, Date):  # dates travel as ISO text
        return str
    try:
        found = column.type.python_type
    except NotImplementedError:
        return None
    return found if found in (int, str) else None


def _typed(column: ColumnElement[Any] | QueryableAttribute[Any], value: Scalar) -> Any:
    """A cursor value as its column compares it: dates travel as ISO text (PostgreSQL will
    not compare a date with text)."""
    if isinstance(value, str) and isinstance(column.type, Date):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise Unprocessable(
                "invalid cursor",
                errors=[error_item(["query", "cursor"], "not a cursor returned by this list")],
            ) from None
    return value


def keyset_page(
    session: Session,
    stmt: Select[T],
    *,
    key_columns: Sequence[ColumnElement[Any] | QueryableAttribute[Any]],
    key_of: Callable[[T], Sequence[Scalar]],
    params: PageParams,
) -> tuple[list[T], str | None]:
    """One page of `stmt` ordered by `key_columns` (which must be unique together, ascending).

    Returns the rows and the cursor of the next page (None when this is the last one).
    """
    if params.cursor is not None:
        types = [_python_type(column) for column in key_columns]
        key = decode_cursor(params.cursor, size=len(key_columns), types=types)
        after = [_typed(column, value) for column, value in zip(key_columns, key, strict=True)]
        if len(key_columns) == 1:
            stmt = stmt.where(key_columns[0] > after[0])
        else:
            stmt = stmt.where(tuple_(*key_columns) > tuple_(*after))
    stmt = stmt.order_by(*key_columns).limit(params.limit + 1)
    rows = list(session.scalars(stmt).all())
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    return rows, encode_cursor(key_of(rows[-1]))
