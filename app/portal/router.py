"""Sign-in, sign-out, language, home, static assets and the offline /docs."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from app.auth.deps import SessionDep
from app.db import writes
from app.errors import Unauthorized
from app.i18n import LANGUAGES
from app.portal import employee, events, finance, hr, oidc
from app.portal.service import end_session, redeem_link, session_of
from app.portal.settings import PortalSettings
from app.portal.web import (
    COOKIE,
    HERE,
    LANGUAGE_COOKIE,
    CheckedForm,
    PortalRoute,
    VisitorDep,
    render,
    see_other,
)

router = APIRouter(prefix="/portal", route_class=PortalRoute, include_in_schema=False)
SWAGGER = "/portal/static/vendor/swagger-ui-5.35.0"


def _set_cookie(request: Request, response: Response, value: str, max_age: int) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/portal",
    )


@router.get("", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, visitor: VisitorDep) -> Response:
    return render(request, "home.html", visitor=visitor)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, bad: bool = False, signed_out: bool = False) -> Response:
    organisation = oidc.enabled(request.app.state.settings, PortalSettings())
    return render(
        request, "sign_in.html", bad=bad, signed_out=signed_out, organisation=organisation
    )


@router.get("/sign-in/{token}")
@writes  # redeems the link
def redeem(token: str, request: Request, session: SessionDep) -> Response:
    """A one-time link: its session cookie, then home. Used or expired: the sign-in page."""
    hours = PortalSettings().session_hours
    try:
        new = redeem_link(session, token[:200], hours=hours)
    except Unauthorized:
        session.rollback()
        return see_other("/portal/sign-in?bad=true")
    response = see_other("/portal")
    _set_cookie(request, response, new.cookie, hours * 3600)
    return response


@router.post("/sign-out")
def sign_out(
    request: Request, session: SessionDep, _visitor: VisitorDep, _: CheckedForm
) -> Response:
    record = session_of(session, request.cookies.get(COOKIE))
    if record is not None:
        end_session(record)
    response = see_other("/portal/sign-in?signed_out=true")
    response.delete_cookie(COOKIE, path="/portal")
    return response


@router.post("/language")
def choose_language(request: Request, _visitor: VisitorDep, form: CheckedForm) -> Response:
    language = form.get("lang", "")
    back = form.get("back", "/portal")
    response = see_other(back if back.startswith("/portal") and "//" not in back else "/portal")
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax", path="/"
        )
    return response


def install_portal(app: FastAPI) -> None:
    """Mount the portal's pages and assets, and serve /docs from the vendored Swagger UI."""
    app.mount("/portal/static", StaticFiles(directory=HERE / "static"), name="portal-static")
    for pages in (router, employee.router, events.router, hr.router, finance.router, oidc.router):
        app.include_router(pages)

    def docs(_request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="flexben API",
            swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
        )

    # A plain route (like FastAPI's own docs route): not an operation of the API.
    app.add_route("/docs", docs, include_in_schema=False)
