"""Security headers on every response; no caching of API responses."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from app.asgi import send_with_headers

BASE_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"no-referrer",
    b"cross-origin-opener-policy": b"same-origin",
}
# The API serves JSON only; the interactive docs page needs its CDN scripts, so the strict
# policy applies everywhere but there.
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = b"frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/redoc")
# The portal: every asset from flexben itself; no inline script, no other origin.
PORTAL_CSP = (
    b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    b"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HSTS = b"max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        extra = dict(BASE_HEADERS)
        extra[b"content-security-policy"] = DOCS_CSP if path.startswith(DOCS_PATHS) else API_CSP
        if path.startswith("/portal"):
            extra[b"content-security-policy"] = PORTAL_CSP
        if path.startswith(("/api/", "/portal")) and not path.startswith("/portal/static"):
            extra[b"cache-control"] = b"no-store"
        if scope.get("scheme") == "https":
            extra[b"strict-transport-security"] = HSTS
        await self.app(scope, receive, send_with_headers(send, extra))
