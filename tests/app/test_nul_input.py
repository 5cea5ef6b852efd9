"""PostgreSQL text cannot hold NUL characters: such input is a clear 422 or 404, never 500."""

from tests.conftest import ApiClient
from tests.domain_factories import make_peer_group


def test_nul_characters_are_refused_cleanly(api: ApiClient) -> None:
    make_peer_group(api.session)
    admin = api.auth("hr_admin")
    body = {"external_id": "E1", "peer_group": "HQ-L2", "display_name": "a\u0000b"}
    refused = api.post("/api/v1/employees", json=body, headers=admin)
    assert refused.status_code == 422
    assert "NUL" in refused.json()["errors"][0]["msg"]
    nested = {"external_id": "E1", "peer_group": "HQ-L2", "attributes": {"k": ["\u0000"]}}
    assert api.post("/api/v1/employees", json=nested, headers=admin).status_code == 422
    assert api.get("/api/v1/employees/E%001", headers=admin).status_code == 404
    assert api.get("/api/v1/peer-groups/G%00", headers=admin).status_code == 404
    assert api.get("/api/v1/periods/x%00", headers=admin).status_code == 404
    assert api.get("/api/v1/employees?peer_group=%00", headers=admin).status_code == 422
    csv = "external_id,peer_group,display_name\nE2,HQ-L2,a\x00b\n"
    imported = api.post(
        "/api/v1/employees/import", content=csv, headers={**admin, "Content-Type": "text/csv"}
    )
    assert imported.status_code == 422
    assert imported.json()["errors"][0]["column"] == "display_name"
    period = {
        "name": "x\u0000",
        "currency": "EUR",
        "effective_from": "2027-01-01",
        "effective_to": "2027-12-31",
    }
    assert api.post("/api/v1/periods", json=period, headers=admin).status_code == 422
