"""Parsing and validation of an employee import file (CSV or JSON array), no database.

Every bad field of every row is reported as ``{row, column, message}``, with rows counted
as the user sees them: in a CSV the header is row 1 and the first data row is row 2 (its
line number); in a JSON array the first element is row 1.

CSV format: a header row naming the columns (any order; unknown columns are an error);
``external_id`` and ``peer_group`` are required, every other column optional. An empty
cell means "not given" (the field's default). ``attributes`` is one column holding a JSON
object (e.g. ``{"union": true, "site": "Lyon"}``) - not ``attr.<key>`` columns, so
attribute values keep their JSON types (numbers, booleans, strings, lists).

An import row describes the whole employee (like a PUT): on update, a field left out takes
its default again. Within one file an ``external_id`` or an ``email`` may appear only once.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from app.employees.fields import (
    DECIMAL_PLACES,
    EMAIL_MAX,
    EMAIL_RE,
    EMPLOYMENT_TYPES,
    EXTERNAL_ID_RE,
    MONEY_MAX,
    NAME_MAX,
    NEED_MAX,
    NUL_MESSAGE,
    REASON_MAX,
    SHORT_TEXT_MAX,
    contains_nul,
)

COLUMNS = (
    "external_id",
    "email",
    "display_name",
    "peer_group",
    "grade",
    "location",
    "employment_type",
    "hire_date",
    "fte",
    "need",
    "need_reason",
    "top_up_limit",
    "allowance_override",
    "attributes",
    "active",
)
REQUIRED = ("external_id", "peer_group")
ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(slots=True)
class EmployeeRecord:
    """One valid import row, with defaults filled in; `row` is where it came from."""

    row: int
    external_id: str
    peer_group: str
    email: str | None = None
    display_name: str | None = None
    grade: str | None = None
    location: str | None = None
    employment_type: str = "full_time"
    hire_date: date | None = None
    fte: Decimal = Decimal(1)
    need: Decimal = Decimal(1)
    need_reason: str | None = None
    top_up_limit: int = 0
    allowance_override: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    active: bool = True


class ImportFormatError(ValueError):
    """The file as a whole cannot be read (not CSV/JSON, no header, not an array)."""


@dataclass(slots=True)
class ParsedImport:
    records: list[EmployeeRecord]
    errors: list[RowError]


# ---------------------------------------------------------------- readers


def read_csv(
    text: str, *, max_rows: int | None = None
) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    """Rows of a CSV file as (row number, {column: value or None}) plus header errors.

    Past `max_rows` rows it stops at once (TooManyRowsError): the rows of an oversized
    file are never all built in memory."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFormatError("the CSV file is empty: expected a header row") from None
    except csv.Error as exc:
        raise ImportFormatError(f"unreadable CSV: {exc}") from None
    names = [name.strip() for name in header]
    errors = [
        RowError(1, name or None, f"unknown column {name!r}; allowed: {', '.join(COLUMNS)}")
        for name in names
        if name not in COLUMNS
    ]
    errors += [
        RowError(1, name, f"column {name!r} appears more than once")
        for name in sorted({n for n in names if names.count(n) > 1})
    ]
    errors += [
        RowError(1, name, f"required column {name!r} is missing")
        for name in REQUIRED
        if name not in names
    ]
    if errors:
        return [], errors
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        for line, cells in enumerate(reader, start=2):
            if not cells or all(not cell.strip() for cell in cells):
                continue  # blank lines are not rows
            if len(cells) != len(names):
                errors.append(
                    RowError(line, None, f"has {len(cells)} cells, the header has {len(names)}")
                )
                continue
            rows.append((line, {n: (c.strip() or None) for n, c in zip(names, cells, strict=True)}))
            if max_rows is not None and len(rows) + len(errors) > max_rows:
                raise _too_many_rows(max_rows)
    except csv.Error as exc:
        raise ImportFormatError(f"unreadable CSV near line {reader.line_num}: {exc}") from None
    return rows, errors


def read_json(text: str | bytes) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    """Rows of a JSON array of objects; numbers with a fraction are kept as exact Decimal."""
    try:
        data = json.loads(text, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ImportFormatError(f"invalid JSON: {exc}") from None
    if not isinstance(data, list):
        raise ImportFormatError("the JSON body must be an array of employee objects")
    rows: list[tuple[int, dict[str, Any]]] = []
    errors: list[RowError] = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            errors.append(RowError(index, None, "must be an object of employee fields"))
            continue
        unknown = [key for key in item if key not in COLUMNS]
        errors += [RowError(index, key, f"unknown field {key!r}") for key in unknown]
        rows.append((index, item))
    return rows, errors


# ---------------------------------------------------------------- field converters
# Each returns the converted value or raises ValueError with the message for the user.


def _text(value: Any, max_len: int) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {value!r}")
    text = value.strip()
    if "\x00" in text:
        raise ValueError(NUL_MESSAGE)
    if len(text) > max_len:
        raise ValueError(f"must be at most {max_len} characters, got {len(text)}")
    return text


def _external_id(value: Any) -> str:
    text = _text(value, 64)
    if not EXTERNAL_ID_RE.match(text):
        raise ValueError(
            f"{text!r} is not a valid external_id: 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return text


def _email(value: Any) -> str:
    text = _text(value, EMAIL_MAX)
    if not EMAIL_RE.match(text):
        raise ValueError(f"{text!r} is not an email address (name@domain.tld)")
    return text.lower()


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError(f"must be a decimal number, got {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"must be a decimal number such as 0.8, got {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"must be a finite number, got {value!r}")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -DECIMAL_PLACES:
        raise ValueError(f"at most {DECIMAL_PLACES} decimal places, got {value}")
    return number


def _fte(value: Any) -> Decimal:
    number = _decimal(value)
    if not 0 < number <= 1:
        raise ValueError(f"must be greater than 0 and at most 1, got {value}")
    return number


def _need(value: Any) -> Decimal:
    number = _decimal(value)
    if not 0 < number <= NEED_MAX:
        raise ValueError(f"must be greater than 0 and at most {NEED_MAX}, got {value}")
    return number


def _money(value: Any) -> int:
    if isinstance(value, str) and value.isdigit():
        amount = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        amount = value
    else:
        raise ValueError(f"must be a whole number of minor units (cents), got {value!r}")
    if not 0 <= amount <= MONEY_MAX:
        raise ValueError(f"must be between 0 and {MONEY_MAX} minor units, got {amount}")
    return amount


def _date(value: Any) -> date:
    if isinstance(value, str) and ISO_DATE_RE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"must be an ISO date YYYY-MM-DD, got {value!r}")


def _employment_type(value: Any) -> str:
    if value not in EMPLOYMENT_TYPES:
        raise ValueError(f"must be one of {', '.join(EMPLOYMENT_TYPES)}, got {value!r}")
    return str(value)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; use a finite number or a string")


def _attributes(value: Any) -> dict[str, Any]:
    example = 'must be a JSON object such as {"site": "Lyon"}'
    if isinstance(value, str):  # a CSV cell: plain json.loads gives plain JSON values
        if "\x00" in value or "\\u0000" in value:
            raise ValueError(NUL_MESSAGE)
        try:  # NaN and Infinity are not JSON (PostgreSQL refuses them): say so
            parsed = json.loads(value, parse_constant=_refuse_constant)
        except json.JSONDecodeError:
            raise ValueError(example) from None
        if not isinstance(parsed, dict):
            raise ValueError(f"{example}, got {value}")
        return parsed
    if not isinstance(value, dict):
        raise ValueError(f"{example}, got {value!r}")
    if contains_nul(value):
        raise ValueError(NUL_MESSAGE)
    plain: dict[str, Any] = _plain_json(value)
    return plain


def _plain_json(value: Any) -> Any:
    """Decimals from the JSON reader back to int/float-free JSON: exact decimals as str."""
    if isinstance(value, dict):
        return {str(k): _plain_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_json(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false", "1", "0", "yes", "no"}:
        return value.lower() in {"true", "1", "yes"}
    raise ValueError(f"must be true or false, got {value!r}")


CONVERTERS = {
    "external_id": _external_id,
    "email": _email,
    "display_name": lambda v: _text(v, NAME_MAX),
    "peer_group": lambda v: _text(v, SHORT_TEXT_MAX),
    "grade": lambda v: _text(v, SHORT_TEXT_MAX),
    "location": lambda v: _text(v, SHORT_TEXT_MAX),
    "employment_type": _employment_type,
    "hire_date": _date,
    "fte": _fte,
    "need": _need,
    "need_reason": lambda v: _text(v, REASON_MAX),
    "top_up_limit": _money,
    "allowance_override": _money,
    "attributes": _attributes,
    "active": _boolean,
}


# ---------------------------------------------------------------- validation


def validate_rows(
    rows: Iterable[tuple[int, Mapping[str, Any]]], *, peer_groups: Collection[str]
) -> ParsedImport:
    """Convert and check every row; a row with any error produces no record."""
    records: list[EmployeeRecord] = []
    errors: list[RowError] = []
    first_row_of_id: dict[str, int] = {}
    first_row_of_email: dict[str, int] = {}
    for row, raw in rows:
        values: dict[str, Any] = {}
        row_errors: list[RowError] = []
        for column in REQUIRED:
            if raw.get(column) is None:
                row_errors.append(RowError(row, column, f"{column} is required"))
        for column, value in raw.items():
            convert = CONVERTERS.get(column)
            if convert is None or value is None:
                continue  # unknown columns are reported by the readers
            try:
                values[column] = convert(value)
            except ValueError as exc:
                row_errors.append(RowError(row, column, str(exc)))
        group = values.get("peer_group")
        if group is not None and group not in peer_groups:
            row_errors.append(RowError(row, "peer_group", f"peer group {group!r} does not exist"))
        external_id = values.get("external_id")
        if external_id is not None:
            first = first_row_of_id.setdefault(external_id, row)
            if first != row:
                row_errors.append(
                    RowError(row, "external_id", f"{external_id!r} already appears on row {first}")
                )
        email = values.get("email")
        if email is not None:
            first = first_row_of_email.setdefault(email, row)
            if first != row:
                row_errors.append(
                    RowError(row, "email", f"{email!r} already appears on row {first}")
                )
        if row_errors:
            errors += row_errors
        else:
            records.append(EmployeeRecord(row=row, **values))
    return ParsedImport(records, errors)


class TooManyRowsError(ImportFormatError):
    """The file has more rows than the deployment accepts (FLEXBEN_MAX_IMPORT_ROWS)."""


def _too_many_rows(max_rows: int) -> TooManyRowsError:
    return TooManyRowsError(
        f"the file has more than {max_rows} rows; the limit is {max_rows} (FLEXBEN_MAX_IMPORT_ROWS)"
    )


def parse_import(
    body: str | bytes,
    *,
    content_type: str,
    peer_groups: Collection[str],
    max_rows: int | None = None,
) -> ParsedImport:
    """Read a CSV (``text/csv``) or JSON array body and validate every row."""
    if content_type.split(";", maxsplit=1)[0].strip().lower() in {"text/csv", "application/csv"}:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        rows, read_errors = read_csv(text, max_rows=max_rows)
    else:
        rows, read_errors = read_json(body)
    if max_rows is not None and len(rows) > max_rows:
        raise _too_many_rows(max_rows)
    parsed = validate_rows(rows, peer_groups=peer_groups)
    errors = sorted(read_errors + parsed.errors, key=lambda e: (e.row, e.column or ""))
    if errors:
        return ParsedImport([], errors)
    return parsed
