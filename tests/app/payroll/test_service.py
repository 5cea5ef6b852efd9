"""CSV cells: formulas neutralised, integers kept as integers."""

from __future__ import annotations

import csv
import io

import pytest

from app.payroll.service import safe_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tX", "'\tX"),
        ("\rX", "'\rX"),
        ("BIK-GYM", "BIK-GYM"),
        ("Zoë", "Zoë"),
        (-5, -5),
        (36000, 36000),
        (True, "true"),
        (False, "false"),
        (None, None),
    ],
)
def test_safe_cell(value: object, expected: object) -> None:
    assert safe_cell(value) == expected


def test_neutralised_cells_survive_rfc4180_quoting() -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(
        [safe_cell(v) for v in ('=HYPERLINK("x")', 'a,"b"', 7)]
    )
    assert buffer.getvalue() == '"\'=HYPERLINK(""x"")","a,""b""",7\r\n'
