"""One webhook delivery: the signal as JSON, signed, POSTed.

Signature: ``X-Commissioner-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`` under the
endpoint's secret, with ``X-Commissioner-Timestamp: <unix seconds>``; a receiver recomputes it and
refuses old timestamps (replays). ``X-Commissioner-Delivery`` is the execution id: the same on every
retry, so a receiver can drop repeats.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from carriers.errors import CarrierRejected, CarrierUnavailable
from models import Client, Signal

TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Delivery:
    """What one POST needs: primitives, read in the claim's transaction."""

    execution_id: int
    endpoint: str
    url: str
    secret: str
    body: bytes


def body(signal: Signal, client: Client) -> bytes:
    """The signal as JSON: client, type, zone, memo, outcome and when."""
    data: dict[str, Any] = {
        "signal": {
            "id": signal.id,
            "type_no": signal.type_no,
            "description": signal.description,
            "zone": signal.zone,
            "memo": signal.memo,
            "outcome": signal.outcome.value if signal.outcome else None,
            "source": signal.source.value,
            "operator": signal.operator,
            "received_at": signal.received_at.isoformat(),
        },
        "client": {
            "code": client.client_code,
            "area": client.area,
            "port": client.port,
            "name": client.name,
        },
    }
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: str, payload: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``timestamp.payload`` under ``secret``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + payload, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def post(delivery: Delivery, transport: httpx.BaseTransport | None = None) -> int:
    """POST once; the HTTP status of a 2xx. Transient failures (timeouts, 5xx, 429) raise
    CarrierUnavailable (retried with backoff), other answers CarrierRejected (final)."""
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Commissioner-Webhook/1",
        "X-Commissioner-Timestamp": timestamp,
        "X-Commissioner-Signature": signature(delivery.secret, timestamp, delivery.body),
        "X-Commissioner-Delivery": str(delivery.execution_id),
    }
    where = f"webhook {delivery.endpoint}"
    try:
        with httpx.Client(timeout=TIMEOUT_S, transport=transport, follow_redirects=False) as http:
            answer = http.post(delivery.url, content=delivery.body, headers=headers)
    except httpx.HTTPError as exc:
        raise CarrierUnavailable(f"{where} not reached ({type(exc).__name__})") from None
    if answer.is_success:
        return answer.status_code
    status = answer.status_code
    if status >= 500 or status in (408, 429):
        raise CarrierUnavailable(f"{where} answered HTTP {status}", http_status=status)
    raise CarrierRejected(f"{where} refused the delivery: HTTP {status}", http_status=status)
