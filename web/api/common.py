"""What the API modules share: documented error answers, and rows turned into response bodies."""

from __future__ import annotations

from typing import Any

from models import Client, CommunicatorType
from pipeline.history import HistoryEntry
from web.api.schemas import ClientOut, CommunicatorTypeOut, ErrorOut, HistoryEntryOut

_MEANING = {
    400: "The body could not be read (not UTF-8 JSON)",
    401: "No API token, or not a valid one",
    403: "The API token's role does not allow this call (admin only)",
    404: "Not found",
    409: "Conflicts with what exists (a duplicate, or a later request for the same target)",
    422: "The request is not valid; nothing was changed",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of an operation that may answer ``codes`` (401 and 422 always; 400 with a body)."""
    wanted = sorted({401, 422, *codes})
    return {code: {"model": ErrorOut, "description": _MEANING[code]} for code in wanted}


def client_out(client: Client) -> ClientOut:
    return ClientOut(
        id=client.id,
        code=client.client_code,
        area=client.area,
        port=client.port,
        name=client.name,
        is_template=client.is_template,
        commissioned_at=client.commissioned_at,
        decommissioned_at=client.decommissioned_at,
        decommission_reason=client.decommission_reason,
        offline=client.offline,
        retired_at=client.retired_at,
    )


def entry_out(entry: HistoryEntry) -> HistoryEntryOut:
    return HistoryEntryOut(
        id=entry.id,
        time=entry.time,
        type_no=entry.type_no,
        zone=entry.zone,
        description=entry.description,
        action_plan=entry.action_plan,
        source=entry.source,
        memo=entry.memo,
        operator=entry.operator,
        execution_id=entry.execution_id,
        outcome=entry.outcome,  # type: ignore[arg-type]  # one of the Outcome values
    )


def communicator_type_out(comm: CommunicatorType) -> CommunicatorTypeOut:
    """A communicator type without its API key (not even encrypted)."""
    return CommunicatorTypeOut(
        id=comm.id,
        name=comm.name,
        kind=comm.kind,
        server_address=comm.server_address,
        user_name=comm.user_name,
        calls_per_second=comm.calls_per_second,
    )
