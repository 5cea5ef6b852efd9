"""FastAPI dependencies: authenticate the bearer token, then check roles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from app.auth.oidc import JwksCache, authenticate_jwt, jwks_from, looks_like_jwt
from app.auth.principal import ROLES, Principal, bind_principal
from app.auth.service import KEY_SCHEME, authenticate
from app.config import Settings
from app.db import end_reads, get_session, get_session_factory
from app.errors import DomainError, Forbidden, Unauthorized
from app.security.rate_limit import TokenBucketLimiter, TooManyRequests

# scope="function": the session's transaction ends as soon as the endpoint returns.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
# For work that outlives the request's transaction (a streamed download).
SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_session_factory)]


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized("missing Authorization: Bearer <token> header")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must read 'Bearer <token>'")
    return token.strip()


# Declares the scheme in OpenAPI (the "Authorize" button of /docs); errors stay ours.
bearer_scheme = HTTPBearer(
    auto_error=False, description="An API key (fb_<prefix>_<secret>) or an OIDC JWT"
)


# Where the principal authenticated ahead of the body (app/auth/gate.py) waits in the
# request's state for the route's own current_principal.
PRINCIPAL_STATE = "principal"


def current_principal(
    request: Request,
    session: SessionDep,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The authenticated caller (401 otherwise; 429 over the rate limit).

    An API key (`fb_...`) or, when OIDC is configured, a JWT from the provider. The
    principal is bound to the session so audit events name it. Failed attempts are
    limited per client address; a valid credential always passes that limit.
    """
    principal = getattr(request.state, PRINCIPAL_STATE, None)
    if not isinstance(principal, Principal):
        principal = _authenticated(request, session)
        setattr(request.state, PRINCIPAL_STATE, principal)
        request.state.principal_id = principal.id  # for the access log (an id, not a name)
        _rate_limiter(request).check(principal.id)
    bind_principal(session, principal)
    end_reads(session)  # the lock of a writing request is taken by its endpoint's work only
    return principal


def _authenticated(request: Request, session: Session) -> Principal:
    try:
        return _verify(request, session)
    except DomainError as exc:
        if exc.status == 401:  # count the failure; past the limit, stop answering guesses
            failures, address = _failure_limiter(request), client_address(request)
            if (wait := failures.wait_time(address)) > 0:
                raise TooManyRequests(wait) from None
        raise


def _verify(request: Request, session: Session) -> Principal:
    settings: Settings = request.app.state.settings
    token = _bearer_token(request)
    if not token.startswith(f"{KEY_SCHEME}_") and looks_like_jwt(token):
        if not settings.oidc_enabled:
            raise Unauthorized("JWTs are not accepted: OIDC is not configured (use an API key)")
        return authenticate_jwt(session, token, settings=settings, jwks=_jwks(request))
    return authenticate(
        session,
        token,
        pepper=settings.secret_key.get_secret_value(),
        touch_after=timedelta(seconds=settings.api_key_touch_seconds),
    )


def client_address(request: Request) -> str:
    """The failure limiter's key: the client's address (see app/security/proxies.py)."""
    return f"addr:{request.client.host if request.client else 'unknown'}"


def _failure_limiter(request: Request) -> TokenBucketLimiter:
    state = request.app.state
    if getattr(state, "auth_failure_limiter", None) is None:
        settings: Settings = state.settings
        state.auth_failure_limiter = TokenBucketLimiter(
            per_minute=settings.auth_failures_per_minute, burst=settings.auth_failures_burst
        )
    limiter: TokenBucketLimiter = state.auth_failure_limiter
    return limiter


def _jwks(request: Request) -> JwksCache:
    state = request.app.state
    if getattr(state, "jwks", None) is None:
        state.jwks = jwks_from(state.settings)
    jwks: JwksCache = state.jwks
    return jwks


def _rate_limiter(request: Request) -> TokenBucketLimiter:
    state = request.app.state
    if getattr(state, "rate_limiter", None) is None:
        settings: Settings = state.settings
        state.rate_limiter = TokenBucketLimiter(
            per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst
        )
    limiter: TokenBucketLimiter = state.rate_limiter
    return limiter


PrincipalDep = Annotated[Principal, Depends(current_principal)]


class RoleRequirement:
    """Dependency accepting a caller holding any of `roles`; `roles` is read by main.py to
    publish `x-roles` on every route of the OpenAPI document."""

    def __init__(self, roles: tuple[str, ...]) -> None:
        unknown = set(roles) - set(ROLES)
        if unknown or not roles:
            raise ValueError(f"unknown roles {sorted(unknown)}; allowed: {ROLES}")
        self.roles = roles

    def __call__(self, principal: PrincipalDep) -> Principal:
        if not principal.has_any(self.roles):
            raise Forbidden(f"this action needs one of the roles: {', '.join(self.roles)}")
        return principal


def require_roles(*roles: str) -> RoleRequirement:
    """`Depends(require_roles("hr_admin"))` → the Principal, or 401/403."""
    return RoleRequirement(roles)


ALL_ROLES = require_roles(*ROLES)


class EmployeeRequirement(RoleRequirement):
    """The caller as an employee: an `employee` key bound to an external_id."""

    def __init__(self) -> None:
        super().__init__(("employee",))

    def __call__(self, principal: PrincipalDep) -> Principal:
        principal = super().__call__(principal)
        if principal.employee_external_id is None:
            raise Forbidden("this key is not bound to an employee")
        return principal


def require_employee() -> EmployeeRequirement:
    """`Depends(require_employee())` → a Principal whose employee_external_id is set."""
    return EmployeeRequirement()


def dependency_roles(call: Callable[..., object]) -> tuple[str, ...] | None:
    """Roles declared by a dependency callable, if it is a role requirement."""
    return call.roles if isinstance(call, RoleRequirement) else None
