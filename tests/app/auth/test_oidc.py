"""OIDC JWTs verified with a real RSA key pair against a local JWKS file.

Each forged or out-of-date token is refused with 401 and
`WWW-Authenticate: Bearer error="invalid_token", error_description="..."`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jwt.algorithms import RSAAlgorithm
from sqlalchemy.orm import Session, sessionmaker

from app.auth.oidc import InvalidToken, JwksCache, principal_id
from app.config import Settings
from app.main import create_app
from tests.conftest import ApiClient
from tests.factories import TEST_SECRET_KEY
from tests.security_factories import audit_events, client_sharing_transaction, make_people

ISSUER = "https://login.example.com/realms/acme"
AUDIENCE = "flexben"
KID = "key-2026"


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def write_jwks(path: Path, keys: dict[str, rsa.RSAPrivateKey]) -> None:
    entries = []
    for kid, key in keys.items():
        jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
        entries.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
    path.write_text(json.dumps({"keys": entries}), encoding="utf-8")


@pytest.fixture(scope="module")
def jwks_file(tmp_path_factory: pytest.TempPathFactory, private_key: rsa.RSAPrivateKey) -> Path:
    path = tmp_path_factory.mktemp("oidc") / "jwks.json"
    write_jwks(path, {KID: private_key})
    return path


@pytest.fixture(scope="module")
def oidc_app(database_url: str, jwks_file: Path) -> FastAPI:
    return create_app(
        Settings(
            environment="test",
            database_url=database_url,
            secret_key=TEST_SECRET_KEY,
            oidc_issuer=ISSUER,
            oidc_audience=AUDIENCE,
            oidc_jwks_file=str(jwks_file),
            oidc_algorithms=["RS256"],
            oidc_leeway_seconds=30,
            oidc_employee_claim="email",
            oidc_employee_field="email",
            oidc_roles_claim="groups",
            auth_failures_per_minute=0,  # these tests refuse many tokens on purpose
        )
    )


@pytest.fixture
def oidc(
    oidc_app: FastAPI, session_factory: sessionmaker[Session], api: ApiClient
) -> Iterator[TestClient]:
    """A client of the OIDC-enabled app sharing the test's rolled-back transaction."""
    with client_sharing_transaction(oidc_app, session_factory) as client:
        yield client


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    values: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "email": "E1@example.com",
        "email_verified": True,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def sign(key: Any, payload: dict[str, Any], *, alg: str = "RS256", kid: str | None = KID) -> str:
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict[str, Any], payload: dict[str, Any], signer: Any) -> str:
    """A JWT built by hand (libraries refuse to forge these)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64(signer(signing_input.encode()))}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_invalid_token(response: Any, description: str) -> None:
    assert response.status_code == 401, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="invalid_token"' in challenge
    assert f'error_description="{description}' in challenge, challenge
    assert response.headers["content-type"] == "application/problem+json"
    assert description in response.json()["detail"]


def test_valid_token_maps_to_the_employee_by_email(
    oidc: TestClient, api: ApiClient, private_key: rsa.RSAPrivateKey
) -> None:
    make_people(api)
    me = oidc.get("/api/v1/me", headers=bearer(sign(private_key, claims())))
    assert me.status_code == 200, me.text
    assert me.json()["external_id"] == "E1"


def test_roles_claim_grants_flexben_roles_and_the_actor_is_stable(
    oidc: TestClient, api: ApiClient, private_key: rsa.RSAPrivateKey
) -> None:
    token = sign(private_key, claims(email="admin@example.com", groups=["hr_admin", "it-ops"]))
    group = oidc.post(
        "/api/v1/peer-groups", json={"code": "G1", "name": "G"}, headers=bearer(token)
    )
    assert group.status_code == 201, group.text
    (event,) = audit_events(api.session, action="peer_group.create")
    assert event.actor == principal_id(ISSUER, "user-1") and event.roles == ["hr_admin"]
    assert oidc.get("/api/v1/audit-events", headers=bearer(token)).status_code == 200
    employee_only = sign(private_key, claims(groups=[]))
    make_people(api)
    assert oidc.get("/api/v1/audit-events", headers=bearer(employee_only)).status_code == 403


def test_small_clock_skew_is_tolerated(
    oidc: TestClient, api: ApiClient, private_key: rsa.RSAPrivateKey
) -> None:
    make_people(api)
    now = int(time.time())
    token = sign(private_key, claims(exp=now - 10, nbf=now + 10))
    assert oidc.get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_wrong_signature(oidc: TestClient, api: ApiClient) -> None:
    make_people(api)
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = oidc.get("/api/v1/me", headers=bearer(sign(impostor, claims())))
    assert_invalid_token(response, "signature verification failed")


def test_tampered_payload(oidc: TestClient, api: ApiClient, private_key: rsa.RSAPrivateKey) -> None:
    make_people(api)
    header, _payload, signature = sign(private_key, claims()).split(".")
    forged = b64(json.dumps(claims(email="E2@example.com")).encode())
    response = oidc.get("/api/v1/me", headers=bearer(f"{header}.{forged}.{signature}"))
    assert_invalid_token(response, "signature verification failed")


def test_alg_none(oidc: TestClient, api: ApiClient) -> None:
    make_people(api)
    token = handmade({"alg": "none", "typ": "JWT", "kid": KID}, claims(), lambda _data: b"")
    response = oidc.get("/api/v1/me", headers=bearer(token))
    assert_invalid_token(response, "algorithm 'none' is not accepted; allowed: RS256")


def test_hs256_signed_with_the_public_key(
    oidc: TestClient, api: ApiClient, private_key: rsa.RSAPrivateKey
) -> None:
    """HS/RS confusion: an HMAC keyed with the (public) PEM must not verify."""
    make_people(api)
    pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    token = handmade(
        {"alg": "HS256", "typ": "JWT", "kid": KID},
        claims(),
        lambda data: hmac.new(pem, data, hashlib.sha256).digest(),
    )
    response = oidc.get("/api/v1/me", headers=bearer(token))
    assert_invalid_token(response, "algorithm 'HS256' is not accepted")


def test_expired(oidc: TestClient, api: ApiClient, private_key: rsa.RSAPrivateKey) -> None:
    make_people(api)
    now = int(time.time())
    token = sign(private_key, claims(iat=now - 600, nbf=now - 600, exp=now - 60))
    assert_invalid_token(oidc.get("/api/v1/me", headers=bearer(token)), "the token has expired")


def test_not_yet_valid(oidc: TestClient, api: ApiClient, private_key: rsa.RSAPrivateKey) -> None:
    make_people(api)
    token = sign(private_key, claims(nbf=int(time.time()) + 120))
    response = oidc.get("/api/v1/me", headers=bearer(token))
    assert_invalid_token(response, "the token is not valid yet")


def test_wrong_issuer(oidc: TestClient, api: ApiClient, private_key: rsa.RSAPrivateKey) -> None:
    make_people(api)
    token = sign(private_key, claims(iss="https://evil.example.com"))
    response = oidc.get("/api/v1/me", headers=bearer(token))
    assert_invalid_token(response, f"wrong issuer; expected {ISSUER}")


def test_wrong_audience(oidc: TestClient, api: ApiClient, private_key: rsa.RSAPrivateKey) -> None:
    make_people(api)
    token = sign(private_key, claims(aud="another-app"))
    response = oidc.get("/api/v1/me", headers=bearer(token))
    assert_invalid_token(response, f"wrong audience; expected {AUDIENCE}")


def test_unknown_key_id(oidc: TestClient, api: ApiClient, private_key: rsa.RSAPrivateKey) -> None:
    make_people(api)
    token = sign(private_key, claims(), kid="rotated-away")
    assert_invalid_token(oidc.get("/api/v1/me", headers=bearer(token)), "unknown key id")


@pytest.mark.parametrize("claim", ["exp", "iss", "aud", "sub", "email"])
def test_missing_claim(
    oidc: TestClient, api: ApiClient, private_key: rsa.RSAPrivateKey, claim: str
) -> None:
    make_people(api)
    token = sign(private_key, claims(**{claim: None}))
    response = oidc.get("/api/v1/me", headers=bearer(token))
    assert_invalid_token(response, f"missing claim '{claim}'")


def test_malformed_token(oidc: TestClient) -> None:
    assert_invalid_token(oidc.get("/api/v1/me", headers=bearer("a.b.c")), "malformed token")


def test_no_employee_and_no_role_is_refused(
    oidc: TestClient, private_key: rsa.RSAPrivateKey
) -> None:
    token = sign(private_key, claims(email="stranger@example.com"))
    response = oidc.get("/api/v1/me", headers=bearer(token))
    assert_invalid_token(response, "the token's 'email' matches no active employee")


def test_api_keys_keep_working_beside_oidc(oidc: TestClient, api: ApiClient) -> None:
    assert oidc.get("/api/v1/benefits", headers=api.auth("finance")).status_code == 200


def test_jwt_is_refused_when_oidc_is_not_configured(
    api: ApiClient, private_key: rsa.RSAPrivateKey
) -> None:
    response = api.get("/api/v1/benefits", headers=bearer(sign(private_key, claims())))
    assert response.status_code == 401
    assert "OIDC is not configured" in response.json()["detail"]


# ---------------------------------------------------------------- the JWKS cache


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_jwks_is_cached_for_its_ttl_and_rotation_is_picked_up(
    tmp_path: Path, private_key: rsa.RSAPrivateKey
) -> None:
    path = tmp_path / "jwks.json"
    write_jwks(path, {KID: private_key})
    clock = FakeClock()
    cache = JwksCache(url=None, file=str(path), ttl_seconds=300, clock=clock)
    assert cache.key(KID).key_id == KID
    path.write_text('{"keys": []}', encoding="utf-8")
    clock.now += 5
    assert cache.key(KID).key_id == KID  # still cached
    clock.now += 300
    with pytest.raises(InvalidToken, match="unknown key id"):
        cache.key(KID)  # TTL over: reloaded
    write_jwks(path, {"new": private_key})
    with pytest.raises(InvalidToken):
        cache.key("new")  # an unknown kid refetches, but not more than every 10 s
    clock.now += 11
    assert cache.key("new").key_id == "new"


def test_jwks_keeps_serving_the_last_keys_when_the_source_breaks(
    tmp_path: Path, private_key: rsa.RSAPrivateKey
) -> None:
    path = tmp_path / "jwks.json"
    write_jwks(path, {KID: private_key})
    clock = FakeClock()
    cache = JwksCache(url=None, file=str(path), ttl_seconds=1, clock=clock)
    cache.key(KID)
    path.write_text("not json", encoding="utf-8")
    clock.now += 60
    assert cache.key(KID).key_id == KID
    broken = JwksCache(url=None, file=str(tmp_path / "missing.json"), ttl_seconds=1)
    with pytest.raises(InvalidToken, match="cannot be loaded"):
        broken.key(KID)


def test_a_key_of_the_wrong_type_is_refused(tmp_path: Path) -> None:
    """An EC key in the JWKS cannot verify an RS256 token, whatever the token says."""
    ec_key = ec.generate_private_key(ec.SECP256R1())
    jwk = jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True)
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [{**jwk, "kid": "ec", "use": "sig"}]}), "utf-8")
    settings = Settings(
        environment="test",
        secret_key=TEST_SECRET_KEY,
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_jwks_file=str(path),
        oidc_algorithms=["RS256", "ES256"],
    )
    from app.auth.oidc import jwks_from, verify_jwt

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = sign(rsa_key, claims(), kid="ec")
    with pytest.raises(InvalidToken, match="is a EC key, RS256 needs RSA"):
        verify_jwt(token, settings=settings, jwks=jwks_from(settings))
    good = sign(ec_key, claims(), alg="ES256", kid="ec")
    assert verify_jwt(good, settings=settings, jwks=jwks_from(settings))["sub"] == "user-1"


def test_jwks_is_fetched_from_a_url(private_key: rsa.RSAPrivateKey, tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    write_jwks(path, {KID: private_key})
    body = path.read_bytes()
    fetched: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fetched.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/certs"
        cache = JwksCache(url=url, file=None, ttl_seconds=300)
        assert cache.key(KID).key_id == KID
        assert cache.key(KID).key_id == KID
        assert fetched == ["/certs"]  # the second lookup came from the cache
    finally:
        server.shutdown()
        server.server_close()


def test_an_issuer_without_audience_or_keys_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="FLEXBEN_OIDC_AUDIENCE must be set"):
        Settings(environment="test", secret_key=TEST_SECRET_KEY, oidc_issuer=ISSUER)
    with pytest.raises(ValueError, match="FLEXBEN_OIDC_JWKS_URL or FLEXBEN_OIDC_JWKS_FILE"):
        Settings(
            environment="test",
            secret_key=TEST_SECRET_KEY,
            oidc_issuer=ISSUER,
            oidc_audience=AUDIENCE,
        )


# ---------------------------------------------------------------- persons (issue 10)


def test_an_unverified_email_binds_no_employee(
    oidc: TestClient, api: ApiClient, private_key: rsa.RSAPrivateKey
) -> None:
    make_people(api)
    token = sign(private_key, claims(email_verified=False))
    response = oidc.get("/api/v1/me", headers=bearer(token))
    assert_invalid_token(response, "the token's email is not verified")
    with_role = sign(private_key, claims(email_verified=None, groups=["employee"]))
    assert oidc.get("/api/v1/me", headers=bearer(with_role)).status_code == 403  # not bound


def test_an_inactive_employee_is_not_bound(
    oidc: TestClient, api: ApiClient, private_key: rsa.RSAPrivateKey
) -> None:
    make_people(api)
    api.patch("/api/v1/employees/E1", json={"active": False}, headers=api.auth("hr_admin"))
    response = oidc.get("/api/v1/me", headers=bearer(sign(private_key, claims())))
    assert_invalid_token(response, "the token's 'email' matches no active employee")


def test_an_api_key_and_the_sign_in_of_one_person_are_one_pair_of_eyes(
    oidc: TestClient, api: ApiClient, private_key: rsa.RSAPrivateKey
) -> None:
    from tests.run_world import build_world, close, execute_queued

    world = build_world(api)
    close(world)
    token = bearer(sign(private_key, claims(groups=["hr_admin", "approver"])))  # E1 in person
    started = oidc.post(f"/api/v1/periods/{world.period_id}/runs", json={}, headers=token)
    assert started.status_code == 202, started.text
    execute_queued(api)
    approve = f"/api/v1/runs/{started.json()['id']}/approve"
    own_key = api.auth("approver", employee="E1")  # E1's own key from the command line
    minted = oidc.post(
        "/api/v1/api-keys", json={"name": "mine", "roles": ["approver"]}, headers=token
    )
    assert minted.status_code == 201, minted.text
    for headers in (token, own_key, bearer(minted.json()["key"])):
        assert oidc.post(approve, headers=headers).status_code == 403
    assert oidc.post(approve, headers=world.approver).status_code == 200


def test_keys_minted_through_oidc_expire_and_die_with_the_employee(
    oidc: TestClient, api: ApiClient, private_key: rsa.RSAPrivateKey
) -> None:
    from datetime import UTC, datetime, timedelta

    make_people(api)
    token = bearer(sign(private_key, claims(groups=["hr_admin"])))
    asked = (datetime.now(UTC) + timedelta(days=365)).isoformat()
    minted = oidc.post(
        "/api/v1/api-keys",
        json={"name": "script", "roles": ["hr_admin"], "expires_at": asked},
        headers=token,
    )
    assert minted.status_code == 201, minted.text
    expires = datetime.fromisoformat(minted.json()["expires_at"])
    assert expires <= datetime.now(UTC) + timedelta(days=30, minutes=1)
    key = bearer(minted.json()["key"])
    assert oidc.get("/api/v1/benefits", headers=key).status_code == 200
    api.patch("/api/v1/employees/E1", json={"active": False}, headers=api.auth("hr_admin"))
    refused = oidc.get("/api/v1/benefits", headers=key)
    assert refused.status_code == 401 and "inactive employee" in refused.json()["detail"]


def test_a_slow_or_failing_provider_never_makes_logins_wait_in_turn(
    private_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    """Issue 10, item 9: one caller refetches; the others use the keys they have."""
    path = tmp_path / "jwks.json"
    write_jwks(path, {KID: private_key})
    body = path.read_bytes()
    state = {"delay": 0.0, "status": 200, "hits": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state["hits"] += 1
            time.sleep(state["delay"])
            self.send_response(int(state["status"]))
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            return None

    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cache = JwksCache(
            url=f"http://127.0.0.1:{server.server_port}/certs", file=None, ttl_seconds=0
        )
        assert cache.key(KID).key_id == KID
        state["delay"] = 1.5  # the provider hangs: every lookup is due for a refetch
        durations: list[float] = []

        def login() -> None:
            started = time.monotonic()
            assert cache.key(KID).key_id == KID
            durations.append(time.monotonic() - started)

        threads = [threading.Thread(target=login) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        fast = [d for d in durations if d < 0.5]
        assert len(durations) == 6 and len(fast) >= 5, durations
        state.update(delay=0.0, status=500)  # now it fails: retried only after a pause
        hits = int(state["hits"])
        for _ in range(5):
            assert cache.key(KID).key_id == KID
        assert int(state["hits"]) - hits <= 1
    finally:
        server.shutdown()
        server.server_close()
