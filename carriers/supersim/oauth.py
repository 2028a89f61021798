"""KORE's OAuth2 client credentials for its Super SIM host: the client id and secret traded for a bearer
token at KORE's token API, kept per account connection by ``carriers.tokens``.

``POST https://api.korewireless.com/api-services/v1/auth/token`` (form: ``grant_type=client_credentials``,
``client_id``, ``client_secret``) answers ``{"access_token", "expires_in", "token_type": "Bearer"}``
(``expires_in`` 3600 in KORE's example); a wrong client answers 401 ``{"error": "invalid_client",
"error_description"}``, a malformed request 400 ``{"code", "message"}``. Reference:
shared/reference/carrier-specs/kore-token.json, kore-supersim.json (its ``OAuth`` security scheme).

The credentials go to KORE's published token endpoint when the Super SIM address is KORE's host, else
(a simulator, a test host) to the same origin as the Super SIM address: never to a third host.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from carriers import answers
from carriers.errors import (
    CarrierAuthFailed,
    CarrierError,
    CarrierRateLimited,
    CarrierRejected,
    CarrierUnavailable,
)
from carriers.tokens import Token

KORE_SUPERSIM_HOST = "supersim.api.korewireless.com"
KORE_TOKEN_URL = "https://api.korewireless.com/api-services/v1/auth/token"  # noqa: S105 (an address)
TOKEN_PATH = "/api-services/v1/auth/token"  # noqa: S105 (a path, not a password)
DEFAULT_LIFE_S = 3600.0  # KORE's example, when an answer states no expires_in


def token_url(base: str) -> str:
    """Where the client credentials of a Super SIM address (scheme and host, no path) are sent."""
    if httpx.URL(base).host == KORE_SUPERSIM_HOST:
        return KORE_TOKEN_URL
    return base.rstrip("/") + TOKEN_PATH


class ClientCredentials:
    """The token call of one KORE API client; ``fetch`` is what a ``TokenCache`` calls."""

    def __init__(
        self,
        url: str,
        client_id: str,
        client_secret: str,
        send: Callable[[str, dict[str, str]], httpx.Response],
        clock: Callable[[], float],
    ) -> None:
        self._url = url
        self._form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self._send, self._clock = send, clock
        self.secrets: tuple[str, ...] = (client_secret,)

    def fetch(self) -> Token:
        """A new access token; the CarrierError of the token API's answer if it gives none."""
        response = self._send(self._url, self._form)
        if not response.is_success:
            raise _error(response, self.secrets)
        answer = answers.json_or_none(response)
        answer = answer if isinstance(answer, dict) else {}
        value = answers.text(answer.get("access_token"))
        if value is None:
            raise CarrierRejected(
                "KORE token request failed: the answer carries no access_token. Check the server address: "
                "https://supersim.api.korewireless.com/v1 (its tokens come from api.korewireless.com).",
                operation="authenticate",
            )
        life = answers.number(answer.get("expires_in"))
        return Token(value, self._clock() + (life if life is not None and life > 0 else DEFAULT_LIFE_S))


def _error(response: httpx.Response, secrets: tuple[str, ...]) -> CarrierError:
    """The token API's error answer as the CarrierError a task acts on."""
    status = response.status_code
    body: Any = answers.json_or_none(response)
    body = body if isinstance(body, dict) else {}
    code = answers.text(body.get("error")) or answers.text(body.get("code"))
    words = answers.text(body.get("error_description")) or answers.text(body.get("message"))
    said = answers.quoted(answers.clean(words, secrets) if words else None)
    what = f"{code} (HTTP {status})" if code else f"HTTP {status}"
    context: dict[str, Any] = {"error_code": code, "http_status": status, "operation": "authenticate"}
    title = f"KORE token request failed: {what}{said}"
    if status == 429:
        message = f"{title} KORE's token API asks to slow down; the call is retried after a pause."
        return CarrierRateLimited(
            answers.redact(message, secrets), retry_after=answers.retry_after(response), **context
        )
    if status >= 500 or status == 408:
        message = f"{title} KORE's token API is having trouble; the call can be retried."
        return CarrierUnavailable(answers.redact(message, secrets), **context)
    if status in (400, 401, 403):
        message = (
            f"{title} KORE refused the OAuth2 client credentials: check the communicator type's user name "
            "(the client id) and its client secret, and that the API client may use Super SIM."
        )
        return CarrierAuthFailed(answers.redact(message, secrets), **context)
    return CarrierRejected(answers.redact(f"{title} Check the server address.", secrets), **context)
