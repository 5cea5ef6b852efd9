"""Portal plumbing: templates, the signed-in person, CSRF, language, HTML errors.

Every portal route uses `PortalRoute`, so a domain error raised by a service is shown as
a page in the reader's language (never problem+json), and a missing session sends the
browser to the sign-in page.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from app import i18n
from app.auth.deps import SessionDep
from app.auth.principal import Principal
from app.errors import DomainError, Forbidden
from app.money import format_money
from app.portal.models import PortalSession
from app.portal.service import csrf_matches, principal_of, session_of

HERE = Path(__file__).parent
COOKIE = "flexben_portal"
LANGUAGE_COOKIE = "flexben_lang"
MAX_FORM_FIELDS = 500

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["money"] = format_money
templates.env.policies["json.dumps_kwargs"] = {"sort_keys": True}


# The portal's one link to today's transaction rule (end a sync endpoint's transaction as
# soon as it is done); when the request's session dependency owns the transaction (i14),
# this becomes the identity and nothing else in the portal changes.
class SignInRequired(Exception):  # noqa: N818 (a control-flow signal, not an error)
    pass


class BadCsrf(Exception):  # noqa: N818
    pass


def language_of(request: Request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in i18n.LANGUAGES:
        return chosen
    return i18n.negotiate(request.headers.get("accept-language"))


@dataclass(frozen=True)
class Visitor:
    """The signed-in person: their session row (CSRF token) and the principal the services
    see (the same roles as the API)."""

    record: PortalSession
    principal: Principal

    def has(self, *roles: str) -> bool:
        return self.principal.has_any(roles)


def current_visitor(request: Request, session: SessionDep) -> Visitor:
    record = session_of(session, request.cookies.get(COOKIE))
    session.rollback()  # end the read: SQLite holds the write lock per transaction
    if record is None:
        raise SignInRequired
    visitor = Visitor(record=record, principal=principal_of(record))
    request.state.principal_id = visitor.principal.id
    return visitor


VisitorDep = Annotated[Visitor, Depends(current_visitor)]


def role_guard(*roles: str) -> Callable[[Visitor], Visitor]:
    def guard(visitor: VisitorDep) -> Visitor:
        if not visitor.has(*roles):
            raise Forbidden(f"this page needs one of the roles: {', '.join(roles)}")
        return visitor

    return guard


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields (bounded in count; the body size is bounded upstream)."""
    form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormDep = Annotated[dict[str, str], Depends(form_fields)]


def checked_form(visitor: VisitorDep, form: FormDep, request: Request) -> dict[str, str]:
    """The form, after its CSRF token (field `csrf` or header X-CSRF-Token) matched."""
    given = form.get("csrf") or request.headers.get("x-csrf-token")
    if not csrf_matches(visitor.record, given):
        raise BadCsrf
    return form


CheckedForm = Annotated[dict[str, str], Depends(checked_form)]


def render(
    request: Request,
    template: str,
    *,
    visitor: Visitor | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    language = language_of(request)
    return templates.TemplateResponse(
        request,
        template,
        {
            "t": i18n.translator(language),
            "kind_words": lambda kind: i18n.kind_words(kind, language),
            "lang": language,
            "languages": i18n.LANGUAGES,
            "visitor": visitor,
            "csrf": visitor.record.csrf_token if visitor else "",
            **context,
        },
        status_code=status_code,
    )


def see_other(url: str, response: Response | None = None) -> RedirectResponse:
    redirect = RedirectResponse(url, status_code=303)
    if response is not None:
        redirect.raw_headers.extend(response.raw_headers)
    return redirect


def _error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", status_code=status, status=status, message=message)


class PortalRoute(APIRoute):
    """Domain errors as pages; no session: to the sign-in page; a bad CSRF token: 403."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def portal_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                return RedirectResponse("/portal/sign-in", status_code=303)
            except BadCsrf:
                t = i18n.translator(language_of(request))
                return _error_page(request, 403, t("error.csrf"))
            except DomainError as exc:
                return _error_page(request, exc.status, exc.detail)
            except RequestValidationError as exc:
                fields = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:20]
                )
                return _error_page(request, 422, fields)

        return portal_handler
