import json
from typing import Any

from sqlalchemy import func, select

from app.employees.models import Employee
from tests.conftest import ApiClient
from tests.domain_factories import make_employee, make_peer_group

GROUPS = "/api/v1/peer-groups"
EMPLOYEES = "/api/v1/employees"
IMPORT = "/api/v1/employees/import"


def employee_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": "E00042",
        "email": "ana@example.com",
        "display_name": "Ana",
        "peer_group": "HQ-L2",
        "hire_date": "2021-03-01",
        "fte": 0.8,
    }
    body.update(overrides)
    return body


def count_employees(api: ApiClient) -> int:
    return api.session.scalar(select(func.count()).select_from(Employee)) or 0


# ---------------------------------------------------------------- peer groups


def test_peer_group_lifecycle(api: ApiClient) -> None:
    admin = api.auth("hr_admin")
    body = {"code": "HQ-L2", "name": "HQ, level 2", "equity_tolerance": 0.1}
    created = api.post(GROUPS, json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"{GROUPS}/HQ-L2"
    assert created.json()["equity_tolerance"] == 0.1
    assert api.post(GROUPS, json=body, headers=admin).status_code == 409

    got = api.get(f"{GROUPS}/HQ-L2", headers=admin)
    etag = got.headers["ETag"]
    patched = api.patch(
        f"{GROUPS}/HQ-L2", json={"name": "HQ L2"}, headers={**admin, "If-Match": etag}
    )
    assert patched.status_code == 200 and patched.json()["name"] == "HQ L2"
    assert patched.headers["ETag"] != etag
    stale = api.patch(f"{GROUPS}/HQ-L2", json={"name": "x"}, headers={**admin, "If-Match": etag})
    assert stale.status_code == 412
    assert api.get(f"{GROUPS}/NOPE", headers=admin).status_code == 404


def test_peer_group_validation_names_fields(api: ApiClient) -> None:
    admin = api.auth("hr_admin")
    response = api.post(
        GROUPS, json={"code": "bad code", "name": "", "equity_tolerance": -1}, headers=admin
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    locs = {tuple(e["loc"]) for e in response.json()["errors"]}
    assert {("body", "code"), ("body", "name"), ("body", "equity_tolerance")} <= locs
    extra = api.post(GROUPS, json={"code": "A", "name": "A", "colour": "red"}, headers=admin)
    assert extra.status_code == 422
    nulled = api.patch(f"{GROUPS}/A", json={"name": None}, headers=admin)
    assert nulled.status_code == 404  # does not exist yet
    api.post(GROUPS, json={"code": "A", "name": "A"}, headers=admin)
    assert api.patch(f"{GROUPS}/A", json={"name": None}, headers=admin).status_code == 422


def test_peer_groups_page_with_counts(api: ApiClient) -> None:
    for code in ("G1", "G2", "G3"):
        make_peer_group(api.session, code=code)
    g1 = make_peer_group(api.session, code="G0")
    make_employee(api.session, external_id="E1", peer_group=g1)
    admin = api.auth("hr_admin")
    first = api.get(GROUPS, params={"limit": 2}, headers=admin).json()
    assert [g["code"] for g in first["items"]] == ["G0", "G1"]
    assert first["items"][0]["employees"] == 1
    second = api.get(GROUPS, params={"limit": 2, "cursor": first["next_cursor"]}, headers=admin)
    assert [g["code"] for g in second.json()["items"]] == ["G2", "G3"]
    assert second.json()["next_cursor"] is None


def test_roles_on_people_routes(api: ApiClient) -> None:
    make_peer_group(api.session)
    employee = api.auth("employee", employee="E1")
    assert api.get(GROUPS).status_code == 401
    assert api.get(EMPLOYEES, headers=employee).status_code == 403
    assert api.post(EMPLOYEES, json=employee_body(), headers=employee).status_code == 403
    assert api.post(IMPORT, content="[]", headers=employee).status_code == 403
    finance = api.auth("finance")
    assert api.get(EMPLOYEES, headers=finance).status_code == 403  # personal data
    assert api.get(f"{EMPLOYEES}/E1", headers=finance).status_code == 403
    assert api.get(GROUPS, headers=finance).status_code == 200
    assert api.post(GROUPS, json={"code": "X", "name": "X"}, headers=finance).status_code == 403
    # payroll sees published lines only, not people records (issue 5)
    assert api.get(EMPLOYEES, headers=api.auth("payroll")).status_code == 403


# ---------------------------------------------------------------- employees


def test_employee_create_get_patch(api: ApiClient) -> None:
    make_peer_group(api.session)
    make_peer_group(api.session, code="HQ-L3")
    admin = api.auth("hr_admin")
    created = api.post(EMPLOYEES, json=employee_body(), headers=admin)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"{EMPLOYEES}/E00042"
    data = created.json()
    assert data["fte"] == 0.8 and data["need"] == 1.0 and data["peer_group"] == "HQ-L2"
    assert "id" not in data
    etag = created.headers["ETag"]
    patched = api.patch(
        f"{EMPLOYEES}/E00042",
        json={"peer_group": "HQ-L3", "fte": 1, "attributes": {"union_member": True}},
        headers={**admin, "If-Match": etag},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["peer_group"] == "HQ-L3"
    assert patched.json()["attributes"] == {"union_member": True}
    stale = api.patch(f"{EMPLOYEES}/E00042", json={"fte": 0.5}, headers={**admin, "If-Match": etag})
    assert stale.status_code == 412
    assert api.get(f"{EMPLOYEES}/E00042", headers=admin).json()["fte"] == 1.0


def test_employee_rules(api: ApiClient) -> None:
    make_peer_group(api.session)
    admin = api.auth("hr_admin")
    api.post(EMPLOYEES, json=employee_body(), headers=admin)
    duplicate = api.post(EMPLOYEES, json=employee_body(email=None), headers=admin)
    assert duplicate.status_code == 409
    taken = api.post(
        EMPLOYEES, json=employee_body(external_id="E2", email="ANA@example.com"), headers=admin
    )
    assert taken.status_code == 409
    unknown_group = api.post(
        EMPLOYEES,
        json=employee_body(external_id="E3", email=None, peer_group="NOPE"),
        headers=admin,
    )
    assert unknown_group.status_code == 422
    assert unknown_group.json()["errors"][0]["loc"] == ["body", "peer_group"]
    bad = api.post(
        EMPLOYEES,
        json=employee_body(
            external_id="E 4",
            email="nope",
            fte=1.5,
            need=0,
            employment_type="boss",
            top_up_limit=-1,
        ),
        headers=admin,
    )
    assert bad.status_code == 422
    fields = {e["loc"][-1] for e in bad.json()["errors"]}
    assert {"external_id", "email", "fte", "need", "employment_type", "top_up_limit"} <= fields
    nulls = api.patch(f"{EMPLOYEES}/E00042", json={"fte": None}, headers=admin)
    assert nulls.status_code == 422
    assert api.patch(f"{EMPLOYEES}/NOPE", json={"fte": 1}, headers=admin).status_code == 404


def test_employee_list_filters_and_pages(api: ApiClient) -> None:
    a = make_peer_group(api.session, code="A")
    b = make_peer_group(api.session, code="B")
    for index in range(5):
        make_employee(api.session, external_id=f"E{index}", peer_group=a if index % 2 else b)
    make_employee(api.session, external_id="E9", peer_group=a, active=False)
    admin = api.auth("hr_admin")
    page = api.get(EMPLOYEES, params={"limit": 4}, headers=admin).json()
    assert [e["external_id"] for e in page["items"]] == ["E0", "E1", "E2", "E3"]
    rest = api.get(EMPLOYEES, params={"cursor": page["next_cursor"]}, headers=admin).json()
    assert [e["external_id"] for e in rest["items"]] == ["E4", "E9"]
    only_a = api.get(EMPLOYEES, params={"peer_group": "A", "active": True}, headers=admin)
    assert [e["external_id"] for e in only_a.json()["items"]] == ["E1", "E3"]
    bad_cursor = api.get(EMPLOYEES, params={"cursor": "garbage"}, headers=admin)
    assert bad_cursor.status_code == 422


# ---------------------------------------------------------------- import

CSV = (
    "external_id,email,display_name,peer_group,fte,hire_date,attributes\n"
    'E1,a@example.com,Ana,HQ-L2,0.5,2021-03-01,"{""site"": ""Lyon""}"\n'
    "E2,,Bo,HQ-L2,,,\n"
)


def csv_headers(admin: dict[str, str], **extra: str) -> dict[str, str]:
    return {**admin, "Content-Type": "text/csv", **extra}


def test_import_csv_creates_then_updates(api: ApiClient) -> None:
    make_peer_group(api.session)
    admin = api.auth("hr_admin")
    first = api.post(IMPORT, content=CSV, headers=csv_headers(admin))
    assert first.status_code == 200, first.text
    assert first.json() | {"created_ids": None} == {
        "dry_run": False,
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "created_ids": None,
        "updated_ids": [],
    }
    ana = api.get(f"{EMPLOYEES}/E1", headers=admin).json()
    assert ana["fte"] == 0.5 and ana["attributes"] == {"site": "Lyon"}
    again = api.post(IMPORT, content=CSV.replace("Bo", "Bob"), headers=csv_headers(admin)).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 1, 1)
    assert again["updated_ids"] == ["E2"]
    assert api.get(f"{EMPLOYEES}/E2", headers=admin).json()["display_name"] == "Bob"


def test_import_dry_run_writes_nothing(api: ApiClient) -> None:
    make_peer_group(api.session)
    admin = api.auth("hr_admin")
    report = api.post(IMPORT, params={"dry_run": True}, content=CSV, headers=csv_headers(admin))
    assert report.status_code == 200
    assert report.json()["dry_run"] is True and report.json()["created"] == 2
    assert count_employees(api) == 0


def test_import_is_all_or_nothing_and_lists_every_bad_row(api: ApiClient) -> None:
    group = make_peer_group(api.session)
    make_employee(api.session, external_id="OLD", peer_group=group, email="taken@example.com")
    admin = api.auth("hr_admin")
    bad = (
        "external_id,email,peer_group,fte\n"
        "E1,e1@example.com,HQ-L2,1\n"
        "E2,taken@example.com,HQ-L2,1\n"
        "E3,,NOPE,2\n"
    )
    response = api.post(IMPORT, content=bad, headers=csv_headers(admin))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {(e["row"], e["column"]) for e in errors} == {(4, "peer_group"), (4, "fte")}
    assert errors[0]["loc"][:2] == ["body", 4] and errors[0]["msg"] == errors[0]["message"]
    fixed = bad.replace("E3,,NOPE,2", "E3,,HQ-L2,1")
    taken = api.post(IMPORT, content=fixed, headers=csv_headers(admin))
    assert taken.status_code == 422
    assert [(e["row"], e["column"]) for e in taken.json()["errors"]] == [(3, "email")]
    assert count_employees(api) == 1


def test_import_json_array(api: ApiClient) -> None:
    make_peer_group(api.session)
    admin = api.auth("hr_admin")
    rows = [{"external_id": "J1", "peer_group": "HQ-L2", "fte": 0.75, "need": 1.25}]
    response = api.post(IMPORT, content=json.dumps(rows), headers=admin)
    assert response.status_code == 200, response.text
    got = api.get(f"{EMPLOYEES}/J1", headers=admin).json()
    assert (got["fte"], got["need"]) == (0.75, 1.25)
    not_array = api.post(IMPORT, content='{"external_id": "J1"}', headers=admin)
    assert not_array.status_code == 422
    assert "array" in not_array.json()["detail"]


def test_import_honours_idempotency_key(api: ApiClient) -> None:
    make_peer_group(api.session)
    admin = api.auth("hr_admin")
    headers = csv_headers(admin, **{"Idempotency-Key": "import-1"})
    first = api.post(IMPORT, content=CSV, headers=headers)
    replay = api.post(IMPORT, content=CSV, headers=headers)
    assert replay.status_code == 200
    assert replay.json() == first.json()  # the first response, not "2 unchanged"
    assert replay.headers.get("Idempotent-Replayed") == "true"
    other = api.post(IMPORT, content=CSV.replace("Bo", "Bob"), headers=headers)
    assert other.status_code == 422


def test_large_import_then_reimport(api: ApiClient) -> None:
    """Past FULL_SCAN_FROM rows the existing employees are read in one scan."""
    make_peer_group(api.session)
    admin = api.auth("hr_admin")
    rows = [{"external_id": f"B{index:05d}", "peer_group": "HQ-L2"} for index in range(6000)]
    first = api.post(IMPORT, content=json.dumps(rows), headers=admin).json()
    assert first["created"] == 6000
    rows[0]["fte"] = 0.5
    again = api.post(IMPORT, content=json.dumps(rows), headers=admin).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 1, 5999)
    assert count_employees(api) == 6000
