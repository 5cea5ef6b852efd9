from app.preferences.rules import Entry, OfferedBenefit, check_submission

OFFERED = {
    "HEALTH": OfferedBenefit("HEALTH", "Health insurance", core=True),
    "GYM": OfferedBenefit("GYM", "Gym membership"),
    "LEAVE": OfferedBenefit("LEAVE", "Extra leave days", max_units=5),
    "DENTAL-A": OfferedBenefit("DENTAL-A", "Dental basic", exclusive_group="dental"),
    "DENTAL-B": OfferedBenefit("DENTAL-B", "Dental plus", exclusive_group="dental"),
    "SPOUSE": OfferedBenefit("SPOUSE", "Spouse cover", requires=("DENTAL-A",)),
    "OLD": OfferedBenefit("OLD", "Retired perk", active=False),
    "CAR": OfferedBenefit("CAR", "Company car"),
}
INELIGIBLE = {"CAR": "requires grade in L3, L4; yours is L2"}


def check(points: dict[str, object], *, budget: int = 100):  # type: ignore[no-untyped-def]
    return check_submission(
        points, offered=OFFERED, ineligible=INELIGIBLE, points_per_employee=budget
    )


def messages(points: dict[str, object], **kwargs: int) -> list[str]:
    return [issue.msg for issue in check(points, **kwargs).errors]


def test_valid_submission_is_normalised_and_sorted() -> None:
    result = check({"LEAVE": {"points": 30, "units": 3}, "GYM": 40})
    assert result.errors == []
    assert result.warnings == []
    assert result.entries == [Entry("GYM", 40, 1), Entry("LEAVE", 30, 3)]


def test_empty_submission_is_valid() -> None:
    assert check({}).errors == []


def test_points_must_be_positive_integers() -> None:
    for bad in (0, -5, 1.5, "10", True, None, [3]):
        result = check({"GYM": bad})
        assert result.errors, bad
        assert result.errors[0].loc[:3] == ("body", "points", "GYM")


def test_units_within_max_units() -> None:
    assert messages({"LEAVE": {"points": 10, "units": 6}}) == [
        "units must be between 1 and 5 for LEAVE, got 6"
    ]
    assert messages({"LEAVE": {"points": 10, "units": 0}})
    assert messages({"GYM": {"points": 10, "units": 2}})
    assert messages({"LEAVE": {"points": 10, "units": "2"}})
    assert messages({"LEAVE": {"points": 10, "colour": "red"}})
    assert messages({"LEAVE": {"units": 2}})


def test_only_offered_active_optional_eligible_benefits() -> None:
    assert messages({"NOPE": 1}) == ["benefit 'NOPE' is not offered in this period"]
    assert messages({"OLD": 1}) == ["benefit 'OLD' is not offered in this period"]
    assert "core benefit" in messages({"HEALTH": 1})[0]
    assert messages({"CAR": 1}) == ["not eligible for CAR: requires grade in L3, L4; yours is L2"]


def test_total_at_most_points_per_employee() -> None:
    assert check({"GYM": 60, "LEAVE": 40}).errors == []
    assert messages({"GYM": 60, "LEAVE": 41}) == [
        "points add up to 101, more than the 100 points available"
    ]


def test_every_error_is_reported() -> None:
    assert len(check({"NOPE": 1, "GYM": 0, "CAR": 5}).errors) == 3


def test_requires_and_exclusive_are_warnings_not_errors() -> None:
    result = check({"SPOUSE": 10, "DENTAL-B": 20})
    assert result.errors == []
    assert [w.msg for w in result.warnings] == [
        "Spouse cover requires Dental basic (DENTAL-A), which you did not ask for: "
        "it can only be given together with DENTAL-A"
    ]
    result = check({"SPOUSE": 10, "DENTAL-A": 20, "DENTAL-B": 20})
    assert [w.msg for w in result.warnings] == [
        "DENTAL-A, DENTAL-B are alternatives (group 'dental'): at most one of them can be given"
    ]
