"""The web app factory: pages, JSON API, static files, sessions, security headers, error handling."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from centre import login_guard
from config import get_config
from web import errors
from web.api import router as api_router
from web.pages import router as pages_router
from web.secret import session_secret
from web.templating import HERE

SESSION_COOKIE = "commissioner_session"
SESSION_MAX_AGE_S = int(login_guard.SESSION_LIFETIME.total_seconds())  # the cookie lasts as the session

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

# No request body is larger: the largest the app takes is a bulk upload of 10 MB (features/bulk/pages.py,
# which explains its own limit to the user when the size is declared).
MAX_BODY_BYTES = 16 * 1024 * 1024

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


class NoStore:
    """``Cache-Control: no-store`` on every answer but the static files: pages show clients, histories
    and (once) new API tokens, which no browser or proxy cache may keep."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"cache-control", b"no-store")]
            await send(message)

        await self.app(scope, receive, send_with_header)


class BodyTooLarge(StarletteHTTPException):
    def __init__(self) -> None:
        limit_mb = MAX_BODY_BYTES // (1024 * 1024)
        super().__init__(413, f"The request body is larger than {limit_mb} MB; nothing was changed.")


class BodyLimit:
    """Refuses (413) a request whose body is over ``MAX_BODY_BYTES``, declared or streamed, before the
    app has read more than that: nothing is changed, and no memory or disk goes to it.

    Reading the body raises BodyTooLarge, an HTTP error, so the page or the API that read it answers
    as it answers any refusal (an error page, or ``{"detail": ...}``).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        over = declared.isdigit() and int(declared) > MAX_BODY_BYTES
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if over:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    raise BodyTooLarge
            return message

        await self.app(scope, limited_receive, send)


def create_app() -> FastAPI:
    """The Commissioner web app (``commissioner web`` serves it with uvicorn)."""
    import worker.celery  # noqa: F401 - hands the Celery app to the pipeline's outbox (presses publish)

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
        https_only=get_config().secure_cookies,
    )
    app.add_middleware(BodyLimit)  # before the session, the pages and the API read any body
    app.add_middleware(SecurityHeaders)
    app.add_middleware(NoStore)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api_router)
    app.include_router(pages_router)
    errors.install(app)
    return app
