"""People's identity: JWTs from the organisation's OpenID Connect provider.

The signature is checked against the provider's JWKS (a URL fetched with httpx and cached
for `oidc_jwks_ttl_seconds`, or a local file). The accepted algorithms come from the
configuration only, never from the token, so `alg: none` and HS/RS confusion (an HMAC
signed with the public key) are refused before any key is used. `iss`, `aud`, `exp` are
required and, like `nbf`, checked with `oidc_leeway_seconds` of clock skew. A configured
claim maps the token to an employee (`email` or `external_id`), another to roles.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
from sqlalchemy.orm import Session

from app.auth.directory import EmployeeRef, employee_directory
from app.auth.persons import employee_person, oidc_person
from app.auth.principal import ROLES, Principal
from app.config import Settings
from app.errors import DomainError

# Key type each accepted algorithm needs (a key of another type is refused).
KEY_TYPES = {"RS256": "RSA", "ES256": "EC"}
# An unknown key id triggers a refetch (key rotation), but not more often than this.
MIN_REFRESH_SECONDS = 10.0
FETCH_TIMEOUT_SECONDS = 5.0


class InvalidToken(DomainError):  # noqa: N818 (named after the RFC 6750 error code)
    """401 with `WWW-Authenticate: Bearer error="invalid_token", error_description=...`."""

    status, title = 401, "Unauthorized"

    def __init__(self, description: str) -> None:
        quoted = description.replace("\\", "").replace('"', "'")
        super().__init__(
            f"invalid token: {description}",
            headers={
                "WWW-Authenticate": (
                    f'Bearer realm="flexben", error="invalid_token", error_description="{quoted}"'
                )
            },
        )


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


class JwksCache:
    """The provider's signing keys by key id, reloaded after `ttl_seconds`."""

    def __init__(
        self,
        *,
        url: str | None,
        file: str | None,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not url and not file:
            raise ValueError("a JWKS needs a URL or a file")
        self.url, self.file, self.ttl = url, file, ttl_seconds
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._loaded_at: float | None = None
        self._retry_at = float("-inf")  # after a failed fetch: not before this
        self._error: str | None = None
        self._lock = threading.Lock()  # guards the fields above
        self._fetching = threading.Lock()  # one fetch at a time

    def key(self, kid: str | None) -> jwt.PyJWK:
        """The key `kid` names (the only key when the token names none); InvalidToken else.

        One caller at a time refetches, outside the lock that guards the keys; the others
        go on with the keys they have (only the very first load waits for it). A failed
        fetch is not retried for MIN_REFRESH_SECONDS, so an outage of the provider never
        makes every login wait for a timeout in turn."""
        now = self._clock()
        with self._lock:
            found = self._find(kid)
            stale = self._loaded_at is None or now - self._loaded_at >= self.ttl
            missing = found is None and now - (self._loaded_at or 0.0) >= MIN_REFRESH_SECONDS
            due = (stale or missing) and now >= self._retry_at
            have_keys = bool(self._keys)
        if due and self._fetching.acquire(blocking=not have_keys):
            try:
                self._reload(now)
            finally:
                self._fetching.release()
            with self._lock:
                found = self._find(kid)
        if found is None:
            if not self._keys and self._error is not None:
                raise InvalidToken(f"the signing keys cannot be loaded ({self._error})")
            raise InvalidToken(f"unknown key id {kid!r}" if kid else "the token names no key id")
        return found

    def _find(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    def _reload(self, now: float) -> None:
        try:
            document = self._fetch()
            keys = {}
            for entry in document.get("keys", []):
                if entry.get("use", "sig") != "sig" or "kid" not in entry:
                    continue
                try:
                    keys[str(entry["kid"])] = jwt.PyJWK.from_dict(entry)
                except jwt.PyJWKError:
                    continue  # a key type we do not support: skip it, keep the others
        except (OSError, ValueError, httpx.HTTPError) as exc:
            with self._lock:  # keep serving the previous keys; retry a little later
                self._retry_at, self._error = now + MIN_REFRESH_SECONDS, type(exc).__name__
            return
        with self._lock:
            self._keys, self._loaded_at, self._error = keys, now, None

    def _fetch(self) -> dict[str, Any]:
        if self.file:
            document = json.loads(Path(self.file).read_text(encoding="utf-8"))
        else:
            assert self.url is not None
            response = httpx.get(self.url, timeout=FETCH_TIMEOUT_SECONDS)
            response.raise_for_status()
            document = response.json()
        if not isinstance(document, dict):
            raise ValueError("a JWKS is a JSON object with a 'keys' list")
        return document


def jwks_from(settings: Settings) -> JwksCache:
    return JwksCache(
        url=settings.oidc_jwks_url,
        file=settings.oidc_jwks_file,
        ttl_seconds=settings.oidc_jwks_ttl_seconds,
    )


def verify_jwt(token: str, *, settings: Settings, jwks: JwksCache) -> dict[str, Any]:
    """The token's claims once signature, algorithm, issuer, audience and times check out."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise InvalidToken("malformed token") from None
    algorithm = header.get("alg")
    allowed = list(settings.oidc_algorithms)
    if algorithm not in allowed:
        raise InvalidToken(
            f"algorithm {algorithm!r} is not accepted; allowed: {', '.join(allowed)}"
        )
    kid = header.get("kid")
    key = jwks.key(kid if isinstance(kid, str) else None)
    if key.key_type != KEY_TYPES[algorithm]:
        raise InvalidToken(
            f"key {kid!r} is a {key.key_type} key, {algorithm} needs {KEY_TYPES[algorithm]}"
        )
    required = ["exp", "iss", "aud", "sub"]
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=[algorithm],
            audience=settings.oidc_audience,
            issuer=settings.oidc_issuer,
            leeway=settings.oidc_leeway_seconds,
            options={"require": required, "verify_signature": True},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(_describe(exc, settings)) from None
    return claims


def _describe(exc: jwt.PyJWTError, settings: Settings) -> str:
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "the token has expired"
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "the token is not valid yet (nbf or iat in the future)"
    if isinstance(exc, jwt.InvalidIssuerError):
        return f"wrong issuer; expected {settings.oidc_issuer}"
    if isinstance(exc, jwt.InvalidAudienceError):
        return f"wrong audience; expected {settings.oidc_audience}"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"missing claim {exc.claim!r}"
    if isinstance(exc, jwt.InvalidSignatureError):
        return "signature verification failed"
    if isinstance(exc, jwt.DecodeError):
        return "malformed token"
    return str(exc) or type(exc).__name__


def principal_id(issuer: str, subject: str) -> str:
    """A stable 36-character id for a person of the provider (fits every actor column)."""
    return oidc_person(issuer, subject)


def _claimed_roles(claims: dict[str, Any], settings: Settings) -> set[str]:
    value = claims.get(settings.oidc_roles_claim, [])
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list):
        raise InvalidToken(f"claim {settings.oidc_roles_claim!r} must be a list of role names")
    return {role for role in value if isinstance(role, str) and role in ROLES}


def _employee_for(
    session: Session, claims: dict[str, Any], settings: Settings
) -> EmployeeRef | None:
    claim = settings.oidc_employee_claim
    value = claims.get(claim)
    if not isinstance(value, str) or not value:
        raise InvalidToken(f"missing claim {claim!r}")
    # An address the provider has not verified proves nothing about who holds it.
    unverified = claim == "email" and claims.get("email_verified") is not True
    if settings.oidc_employee_field == "email" and unverified:
        return None
    # A person who left (inactive) is no longer that employee: no employee binding.
    return employee_directory().active_matching(session, settings.oidc_employee_field, value)


def principal_from_claims(
    session: Session, claims: dict[str, Any], settings: Settings
) -> Principal:
    """Map verified claims to a principal: the employee (by the configured claim) and roles."""
    roles = _claimed_roles(claims, settings)
    employee = _employee_for(session, claims, settings)
    if employee is not None:
        roles |= {role for role in settings.oidc_default_roles if role in ROLES}
    if not roles:
        unverified = (
            settings.oidc_employee_claim == "email" and claims.get("email_verified") is not True
        )
        raise InvalidToken(
            "the token's email is not verified (email_verified is not true) "
            "and it carries no flexben role"
            if unverified and settings.oidc_employee_field == "email"
            else f"the token's {settings.oidc_employee_claim!r} matches no active employee "
            "and it carries no flexben role"
        )
    subject = str(claims["sub"])
    identity = principal_id(str(claims["iss"]), subject)
    return Principal(
        id=identity,
        name=f"oidc:{subject}",
        roles=frozenset(roles),
        employee_external_id=employee.external_id if employee is not None else None,
        # An employee is one person however they authenticate (token or their keys).
        person_id=employee_person(employee.id) if employee is not None else identity,
        person_employee_id=employee.id if employee is not None else None,
        via_oidc=True,
    )


def authenticate_jwt(
    session: Session, token: str, *, settings: Settings, jwks: JwksCache
) -> Principal:
    return principal_from_claims(session, verify_jwt(token, settings=settings, jwks=jwks), settings)
