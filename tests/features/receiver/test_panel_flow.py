"""Panel events through the whole flow, with real processes: a dc09-spt transmitter, the receiver, the
pipeline, a worker delivering a signed webhook (retried after a 500), and commissioning verified by
the panel's first signal (or reported silent, with the SIM read from the simulator)."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from centre import clients, system_settings
from centre.clients import ClientRef
from cli.processes import wait_until
from features.attention import service as attention
from features.receiver import accounts, verify
from features.webhooks import endpoints
from models import Client, Signal
from models.db import unit_of_work
from pipeline import system_events
from tests import factories
from tests.features.receiver import dc09
from tests.features.receiver.test_receiver_dc09 import running_receiver
from tests.integration.fixtures import OPERATOR, Stack, wait_for

pytestmark = [
    pytest.mark.integration,
    # One stack is enough: the receiver and the webhook do not depend on the broker, and the
    # receiver's own tests run on both databases.
    pytest.mark.parametrize(("database", "broker"), [("postgresql", "redis")], indirect=True),
]

SECRET = "whsec-test-0123456789abcdef"


class Hook(BaseHTTPRequestHandler):
    """A centre's system receiving webhooks: the first POST fails with 500, later ones succeed."""

    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append({"headers": dict(self.headers), "body": body})  # type: ignore[attr-defined]
        status = 500 if len(self.server.received) == 1 else 200  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _signals(code: str, type_no: int) -> list[Signal]:
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code))
        query = select(Signal).where(Signal.client_id == client.id, Signal.type_no == type_no)
        return list(session.scalars(query.order_by(Signal.id)))


def test_a_panel_alarm_is_posted_signed_to_a_webhook_and_retried_after_a_500(
    stack: Stack,
    worker: subprocess.Popen[bytes],
    make_client: Callable[..., str],
    hook: ThreadingHTTPServer,
) -> None:
    make_client("HOOK1")
    url = f"http://127.0.0.1:{hook.server_address[1]}/hooks/alarms"
    with unit_of_work() as session:
        endpoints.set_endpoint(session, "crm", url, SECRET, OPERATOR)
        task = factories.task(session, 10, type_="webhook")
        response = factories.response_plan(session, "Tell the CRM", (task, {"endpoint": "crm"}))
        plan = factories.action_plan(session, "Panel alarm", response)
        template = clients.find(session, ClientRef("SYSEVENTS"))
        factories.event_type(session, template, 130, plan, "Burglary")
        client = clients.find(session, ClientRef("HOOK1"))
        accounts.set_account(session, client, "4321", OPERATOR)

    with running_receiver(stack.env) as port:
        answer = dc09.send("127.0.0.1", port, dc09.sia_block("4321", 1, "BA", 7))
    assert answer is not None
    assert dc09.answer_kind("4321", 1, answer) == "ACK"
    wait_for(lambda: len(_signals("HOOK1", system_events.TASK_SUCCEEDED)) == 1, "the delivery's outcome", 60)

    received: list[dict[str, Any]] = hook.received  # type: ignore[attr-defined]
    assert len(received) == 2  # the 500, then the retry that succeeded
    assert received[0]["body"] == received[1]["body"]
    for delivery in received:
        headers = delivery["headers"]
        signed = headers["X-Commissioner-Timestamp"].encode() + b"." + delivery["body"]
        expected = "sha256=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Commissioner-Signature"], expected)
    sent = json.loads(received[1]["body"])
    assert sent["client"]["code"] == "HOOK1"
    assert (sent["signal"]["type_no"], sent["signal"]["zone"]) == (130, 7)
    assert "SIA BA" in sent["signal"]["memo"]
    [outcome] = _signals("HOOK1", system_events.TASK_SUCCEEDED)
    assert "delivered to crm: HTTP 200" in outcome.memo
    assert SECRET not in outcome.memo


def test_commissioning_is_verified_by_the_panel_or_reported_silent(
    stack: Stack, worker: subprocess.Popen[bytes], make_client: Callable[..., str]
) -> None:
    silent_iccid = make_client("QUIET1")
    make_client("TALKS1")
    with unit_of_work() as session:
        for code, account in (("QUIET1", "1111"), ("TALKS1", "2222")):
            found = clients.find(session, ClientRef(code))
            accounts.set_account(session, found, account, OPERATOR)
            clients.commission(session, found, OPERATOR)
    for code in ("QUIET1", "TALKS1"):
        wait_for(lambda c=code: len(_signals(c, system_events.TASK_SUCCEEDED)) == 1, f"{code}'s activation")
    assert verify.sweep() == 0  # adopts both activations: both panels are awaited now (30 minutes)

    with running_receiver(stack.env) as port:
        answer = dc09.send("127.0.0.1", port, dc09.cid_block("2222", 1, 1, "602", 0))
    assert answer is not None
    assert dc09.answer_kind("2222", 1, answer) == "ACK"
    [reported] = _signals("TALKS1", system_events.PANEL_REPORTED)
    assert "panel reported after commissioning" in reported.memo

    with unit_of_work() as session:  # the window closes: QUIET1's panel never spoke
        system_settings.set_value(session, system_settings.PANEL_REPORT_WINDOW_S, "1", OPERATOR)
    wait_until(
        lambda: verify.sweep() > 0 or bool(_signals("QUIET1", system_events.PANEL_SILENT)), 10, "silence"
    )
    [silent] = _signals("QUIET1", system_events.PANEL_SILENT)
    assert "panel silent after commissioning" in silent.memo
    assert f"SIM {silent_iccid}: ACTIVATED" in silent.memo  # read live from the simulator
    assert _signals("TALKS1", system_events.PANEL_SILENT) == []
    with unit_of_work() as session:
        assert [p.client_code for p in verify.silent_panels(session)] == ["QUIET1"]
        assert [i.client_code for i in attention.items(session, kind="silent")] == ["QUIET1"]
        assert session.scalar(select(Client.id).where(Client.client_code == "1111")) is None
