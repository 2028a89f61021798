"""One carrier HTTP call, bounded: the whole answer within a deadline and a size.

httpx's timeouts bound each phase (connecting, each read), so a carrier that trickles its answer a byte
at a time, or sends hundreds of megabytes, would hold a worker thread and its memory for as long as it
likes. Every platform's client sends through ``request``: past the deadline the call fails as timed out,
past the size as an unreadable answer; both are transient (``carriers.errors.CarrierUnavailable``).
"""

from __future__ import annotations

import time
from typing import Any

import httpx


class AnswerTooLarge(httpx.ReadError):
    """The carrier's answer is larger than the cap: it is not read further."""


def request(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    deadline_s: float,
    max_bytes: int,
    **options: Any,
) -> httpx.Response:
    """Send one request and read its whole answer in ``deadline_s`` and ``max_bytes`` (decoded).

    Raises httpx.ReadTimeout past the deadline and AnswerTooLarge past the size, as the transport
    errors they are; the answer returned is fully read.
    """
    deadline = time.monotonic() + deadline_s
    with http.stream(method, url, **options) as answer:
        declared = answer.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise AnswerTooLarge(_too_large(max_bytes), request=answer.request)
        body = bytearray()
        for chunk in answer.iter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise AnswerTooLarge(_too_large(max_bytes), request=answer.request)
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout(
                    f"the answer took longer than {deadline_s:g} s in all", request=answer.request
                )
    # The body is decoded already: the copy must not say it is compressed.
    headers = [(k, v) for k, v in answer.headers.multi_items() if k.lower() != "content-encoding"]
    return httpx.Response(answer.status_code, headers=headers, content=bytes(body), request=answer.request)


def _too_large(max_bytes: int) -> str:
    return f"the answer is larger than {max_bytes // 1024:,} KB"
