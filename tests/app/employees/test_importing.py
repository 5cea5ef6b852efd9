import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.employees.importing import ImportFormatError, RowError, parse_import

GROUPS = {"HQ-L1", "HQ-L2"}
HEADER = "external_id,email,display_name,peer_group,fte,hire_date,top_up_limit,attributes\n"


def csv_import(text: str):  # type: ignore[no-untyped-def]
    return parse_import(text, content_type="text/csv; charset=utf-8", peer_groups=GROUPS)


def json_import(rows: object):  # type: ignore[no-untyped-def]
    return parse_import(json.dumps(rows), content_type="application/json", peer_groups=GROUPS)


def test_csv_rows_become_records_with_defaults() -> None:
    parsed = csv_import(
        HEADER + 'E1,Ana@Example.com,Ana,HQ-L2,0.8,2021-03-01,5000,"{""site"": ""Lyon""}"\n'
        "E2,,,HQ-L1,,,,\n"
    )
    assert parsed.errors == []
    first, second = parsed.records
    assert first.email == "ana@example.com"
    assert first.fte == Decimal("0.8")
    assert first.hire_date == date(2021, 3, 1)
    assert first.top_up_limit == 5000
    assert first.attributes == {"site": "Lyon"}
    assert second.fte == 1 and second.need == 1 and second.email is None
    assert second.employment_type == "full_time" and second.active is True


def test_csv_row_numbers_are_line_numbers_and_every_bad_field_is_reported() -> None:
    parsed = csv_import(
        HEADER
        + "E1,ana@example.com,Ana,HQ-L2,1,2021-03-01,0,\n"
        + "E2,not-an-email,Bo,NOPE,1.5,2021-02-30,-3,[1]\n"
    )
    assert parsed.records == []
    assert {(e.row, e.column) for e in parsed.errors} == {
        (3, "email"),
        (3, "peer_group"),
        (3, "fte"),
        (3, "hire_date"),
        (3, "top_up_limit"),
        (3, "attributes"),
    }


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("fte", "0", "must be greater than 0 and at most 1, got 0"),
        ("fte", "0.12345", "at most 4 decimal places, got 0.12345"),
        ("fte", "abc", "must be a decimal number such as 0.8, got 'abc'"),
        ("need", "0", "must be greater than 0 and at most 100, got 0"),
        ("hire_date", "01/02/2021", "must be an ISO date YYYY-MM-DD, got '01/02/2021'"),
        ("allowance_override", "12.5", "must be a whole number of minor units (cents), got '12.5'"),
        ("employment_type", "boss", "must be one of full_time, part_time, fixed_term"),
        ("active", "maybe", "must be true or false, got 'maybe'"),
        ("external_id", "a b", "is not a valid external_id"),
    ],
)
def test_field_rules(column: str, value: str, message: str) -> None:
    text = f"external_id,peer_group,{column}\nE1,HQ-L1,{value}\n"
    if column == "external_id":
        text = f"external_id,peer_group\n{value},HQ-L1\n"
    errors = csv_import(text).errors
    assert len(errors) == 1
    assert errors[0].row == 2 and errors[0].column == column
    assert message in errors[0].message


def test_duplicates_within_the_file_name_the_first_row() -> None:
    parsed = csv_import(
        "external_id,peer_group,email\nE1,HQ-L1,a@x.io\nE2,HQ-L1,A@x.io\nE1,HQ-L1,\n"
    )
    assert parsed.errors == [
        RowError(3, "email", "'a@x.io' already appears on row 2"),
        RowError(4, "external_id", "'E1' already appears on row 2"),
    ]


def test_header_problems_are_row_1() -> None:
    errors = csv_import("external_id,colour,colour\nE1,red,red\n").errors
    assert {(e.row, e.column) for e in errors} == {(1, "colour"), (1, "peer_group")}
    assert any("appears more than once" in e.message for e in errors)


def test_ragged_rows_and_required_cells() -> None:
    errors = csv_import("external_id,peer_group\nE1\n,HQ-L1\n\n").errors
    assert errors == [
        RowError(2, None, "has 1 cells, the header has 2"),
        RowError(3, "external_id", "external_id is required"),
    ]


def test_json_array_with_exact_decimals() -> None:
    parsed = json_import(
        [
            {"external_id": "E1", "peer_group": "HQ-L1", "fte": 0.5, "attributes": {"k": 1.5}},
            {"external_id": "E2", "peer_group": "HQ-L1", "top_up_limit": 10.0},
            "nope",
            {"external_id": "E3", "peer_group": "HQ-L1", "salary": 1},
        ]
    )
    assert parsed.records == []
    assert [(e.row, e.column) for e in parsed.errors] == [
        (2, "top_up_limit"),
        (3, None),
        (4, "salary"),
    ]
    ok = json_import([{"external_id": "E1", "peer_group": "HQ-L1", "fte": 0.5}])
    assert ok.records[0].fte == Decimal("0.5")


@pytest.mark.parametrize("body", ["{}", "[1,", ""])
def test_unreadable_json_is_a_format_error(body: str) -> None:
    with pytest.raises(ImportFormatError):
        parse_import(body, content_type="application/json", peer_groups=GROUPS)


def test_empty_csv_is_a_format_error() -> None:
    with pytest.raises(ImportFormatError, match="header"):
        csv_import("")


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.decimals(min_value=Decimal("0.0001"), max_value=1, places=4),
            st.integers(0, 10**9),
            st.dates(min_value=date(1970, 1, 1), max_value=date(2099, 12, 31)),
            st.dictionaries(st.text("abcxyz_", min_size=1, max_size=5), st.integers(-5, 5)),
        ),
        max_size=8,
    )
)
def test_valid_rows_survive_a_csv_round_trip(
    rows: list[tuple[Decimal, int, date, dict[str, int]]],
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["external_id", "peer_group", "fte", "top_up_limit", "hire_date", "attributes"])
    for index, (fte, money, hired, attributes) in enumerate(rows):
        writer.writerow(
            [f"E{index}", "HQ-L1", str(fte), money, hired.isoformat(), json.dumps(attributes)]
        )
    parsed = csv_import(buffer.getvalue())
    assert parsed.errors == []
    got = [(r.fte, r.top_up_limit, r.hire_date, r.attributes) for r in parsed.records]
    assert got == rows
    assert [r.row for r in parsed.records] == list(range(2, len(rows) + 2))


def test_nul_characters_are_refused_in_text_and_attributes() -> None:
    errors = csv_import(
        'external_id,peer_group,display_name,attributes\nE1,HQ-L1,a\x00b,"{""k"": ""\\u0000""}"\n'
    ).errors
    assert [(e.column, e.message) for e in errors] == [
        ("attributes", "text must not contain NUL (\\u0000) characters"),
        ("display_name", "text must not contain NUL (\\u0000) characters"),
    ]
    nested = json_import(
        [{"external_id": "E1", "peer_group": "HQ-L1", "attributes": {"k": ["\x00"]}}]
    )
    assert [e.column for e in nested.errors] == ["attributes"]
