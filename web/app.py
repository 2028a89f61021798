"""The web app factory: pages, JSON API, static files, sessions, security headers, error handling."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web import errors
from web.api import router as api_router
from web.pages import router as pages_router
from web.secret import session_secret
from web.templating import HERE

SESSION_COOKIE = "commissioner_session"
SESSION_MAX_AGE_S = 12 * 3600  # one shift

# Everything the pages need is served from here: no CDN, no inline script or style.
_SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]

DESCRIPTION = """\
Commissioner's JSON API: what operators do on the pages, for other systems, and signals into the same
pipeline the pages use. Authenticate with `Authorization: Bearer <API token>`; calls marked *admin*
need a token with the admin role. Errors answer `{"detail": "..."}` (422 validation errors give a list).
"""


class SecurityHeaders:
    """Adds the security headers above to every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app() -> FastAPI:
    """The Commissioner web app (``commissioner web`` serves it with uvicorn)."""
    app = FastAPI(
        title="Commissioner",
        version="1",
        description=DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc load from a CDN: monitoring centres often run offline
        redoc_url=None,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_S,
        same_site="lax",
    )
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api_router)
    app.include_router(pages_router)
    errors.install(app)
    return app
