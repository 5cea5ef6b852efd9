"""Portal sign-in with the organisation's OpenID Connect provider: authorization code
flow with PKCE (S256), state and nonce. The ID token is verified exactly like the API's
bearer JWTs (app.auth.oidc: issuer, audience, signature, times) and mapped to the same
principal, so a person's portal sessions and API tokens are one actor."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.auth.deps import SessionDep, _jwks
from app.auth.oidc import principal_from_claims, verify_jwt
from app.auth.principal import Principal
from app.config import Settings
from app.employees.repository import employee_by_external_id
from app.errors import DomainError, Unauthorized
from app.portal.service import open_session
from app.portal.settings import PortalSettings
from app.portal.web import COOKIE, PortalRoute, ends_transaction, see_other

router = APIRouter(prefix="/portal/oidc", route_class=PortalRoute, include_in_schema=False)
FLOW_COOKIE = "flexben_oidc"
FLOW_SECONDS = 600
HTTP_TIMEOUT = 10.0


def enabled(settings: Settings, portal: PortalSettings) -> bool:
    return settings.oidc_enabled and bool(portal.oidc_client_id)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(payload: dict[str, Any], key: str) -> str:
    body = _b64(json.dumps(payload, sort_keys=True).encode())
    return f"{body}.{hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()}"


def _unsign(value: str, key: str) -> dict[str, Any]:
    body, _, mac = value.partition(".")
    expected = hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()
    if not body or not hmac.compare_digest(mac, expected):
        raise Unauthorized("the sign-in attempt is unknown; start again")
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    if payload.get("exp", 0) < time.time():
        raise Unauthorized("the sign-in attempt took too long; start again")
    return payload


def _metadata(request: Request, settings: Settings) -> dict[str, Any]:
    """The provider's discovery document (cached per process)."""
    cached: dict[str, Any] | None = getattr(request.app.state, "oidc_metadata", None)
    if cached is None:
        url = f"{str(settings.oidc_issuer).rstrip('/')}/.well-known/openid-configuration"
        try:
            answer = httpx.get(url, timeout=HTTP_TIMEOUT)
            answer.raise_for_status()
            cached = dict(answer.json())
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderUnavailable(f"the sign-in provider did not answer ({exc})") from None
        request.app.state.oidc_metadata = cached
    return cached


class ProviderUnavailable(DomainError):  # noqa: N818
    status, title = 503, "Sign-in provider unavailable"


def _redirect_uri(portal: PortalSettings) -> str:
    return f"{portal.public_url.rstrip('/')}/portal/oidc/callback"


def _configured(request: Request) -> tuple[Settings, PortalSettings]:
    settings: Settings = request.app.state.settings
    portal = PortalSettings()
    if not enabled(settings, portal):
        raise Unauthorized("sign-in with the organisation is not configured here")
    return settings, portal


@router.get("/start")
def start(request: Request) -> Response:
    settings, portal = _configured(request)
    verifier = secrets.token_urlsafe(48)
    flow = {
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "verifier": verifier,
        "exp": int(time.time()) + FLOW_SECONDS,
    }
    query = urlencode(
        {
            "response_type": "code",
            "client_id": portal.oidc_client_id,
            "redirect_uri": _redirect_uri(portal),
            "scope": "openid email",
            "state": flow["state"],
            "nonce": flow["nonce"],
            "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
            "code_challenge_method": "S256",
        }
    )
    response = see_other(f"{_metadata(request, settings)['authorization_endpoint']}?{query}")
    response.set_cookie(
        FLOW_COOKIE,
        _sign(flow, settings.secret_key.get_secret_value()),
        max_age=FLOW_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/portal/oidc",
    )
    return response


def _exchange(
    request: Request, settings: Settings, portal: PortalSettings, code: str, verifier: str
) -> str:
    """The ID token for an authorization code (the code verifier proves the same flow)."""
    secret = portal.oidc_client_secret
    auth = (str(portal.oidc_client_id), secret.get_secret_value()) if secret else None
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": _redirect_uri(portal),
        "code_verifier": verifier,
    }
    if auth is None:
        data["client_id"] = str(portal.oidc_client_id)
    try:
        answer = httpx.post(
            _metadata(request, settings)["token_endpoint"],
            data=data,
            auth=auth,
            timeout=HTTP_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(f"the sign-in provider did not answer ({exc})") from None
    if answer.status_code != 200:
        raise Unauthorized(f"the sign-in provider refused the code ({answer.status_code})")
    token = answer.json().get("id_token")
    if not isinstance(token, str):
        raise Unauthorized("the sign-in provider sent no ID token")
    return token


def _principal(
    request: Request, session: Session, settings: Settings, token: str, nonce: str
) -> Principal:
    claims = verify_jwt(token, settings=settings, jwks=_jwks(request))
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise Unauthorized("the ID token was not issued for this sign-in (nonce)")
    principal = principal_from_claims(session, claims, settings)
    if principal.employee_external_id is not None:  # greet people by their name
        employee = employee_by_external_id(session, principal.employee_external_id)
        if employee is not None and employee.display_name:
            principal = replace(principal, name=employee.display_name)
    return principal


@router.get("/callback")
@ends_transaction
def callback(request: Request, session: SessionDep) -> Response:
    settings, portal = _configured(request)
    params = request.query_params
    if "error" in params:
        raise Unauthorized(f"the sign-in provider said: {params['error'][:100]}")
    flow = _unsign(request.cookies.get(FLOW_COOKIE, ""), settings.secret_key.get_secret_value())
    if not hmac.compare_digest(params.get("state", ""), str(flow["state"])):
        raise Unauthorized("the sign-in answer does not belong to this browser (state)")
    token = _exchange(request, settings, portal, params.get("code", "")[:2000], flow["verifier"])
    principal = _principal(request, session, settings, token, str(flow["nonce"]))
    new = open_session(session, principal, hours=portal.session_hours)
    session.commit()
    response = see_other("/portal")
    response.delete_cookie(FLOW_COOKIE, path="/portal/oidc")
    response.set_cookie(
        COOKIE,
        new.cookie,
        max_age=portal.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/portal",
    )
    return response
