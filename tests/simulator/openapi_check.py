"""Check a real exchange with the simulator against a platform's official OpenAPI description.

openapi-core matches the request to the description's operation (by path and method, against the
description's own server, as a client of the real platform would address it) and validates the
request and the answer (status, headers, body) against its schemas.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.response.exceptions import MissingData
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPECS = Path("/work/shared/reference/carrier-specs")


@cache
def description(name: str) -> OpenAPI:
    # The descriptions are the vendors' own: read as published, not linted again on every run.
    return OpenAPI.from_file_path(str(SPECS / name), config=Config(spec_validator_cls=None))


@dataclass
class _Request:
    host_url: str
    path: str
    method: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str


@dataclass
class _Response:
    status_code: int
    content_type: str
    headers: Headers
    data: bytes


def check(spec: str, server: str, response: httpx.Response, *, request_too: bool = True) -> None:
    """Validate ``response`` and its request against ``spec``, as if sent to ``server``; raises the
    openapi-core error that says what does not match. ``request_too=False`` checks the answer only
    (emnify's description asks a Bearer token of every request, even of the one that obtains it)."""
    request = response.request
    headers = Headers(dict(request.headers))
    query = ImmutableMultiDict(list(request.url.params.multi_items()))
    content_type = request.headers.get("Content-Type", "")
    body = request.content or None
    wrapped = _Request(
        host_url=server,
        path=request.url.path,
        method=request.method.lower(),
        parameters=RequestParameters(query=query, header=headers, cookie=ImmutableMultiDict()),
        body=body,
        content_type=content_type,
    )
    answer = _Response(
        status_code=response.status_code,
        content_type=response.headers.get("Content-Type", ""),
        headers=Headers(dict(response.headers)),
        data=response.content,
    )
    openapi: Any = description(spec)
    if request_too:
        with warnings.catch_warnings():
            # KORE's description offers OAuth2 beside Basic; openapi-core cannot check an OAuth2 token
            # and says so, then checks the Basic credentials these requests carry.
            warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
            openapi.validate_request(wrapped)
    try:
        openapi.validate_response(wrapped, answer)
    except MissingData:
        # emnify's description gives its 204 answers a JSON body, which HTTP forbids a 204 (RFC 9110
        # 15.3.5): the status is documented (else openapi-core says so before), the body rightly absent.
        if response.status_code != 204 or response.content:
            raise
