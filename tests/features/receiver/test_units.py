"""The receiver's rules without a network: the event map, repeats, test timers, webhook signatures."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import httpx
import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session

from carriers.errors import CarrierRejected, CarrierUnavailable
from centre import clients
from centre.errors import InvalidInput
from cli.main import cli
from config import get_config, secrets
from features.receiver import accounts, mapping, store, verify
from features.receiver.store import PanelEvent
from features.webhooks import delivery, endpoints
from features.webhooks.delivery import Delivery
from models import ReceiverAccount, utcnow
from models.db import unit_of_work
from pipeline import system_events
from tests import factories as f


@pytest.fixture
def db(sqlite_database: str) -> Session:
    with unit_of_work() as session:
        mapping.ensure_defaults(session)
        client = f.seeded_client(session, "P1", 1)
        accounts.set_account(session, client, "ABC", "test", test_interval_min=5)
    return session


def _event(code: str = "BA", sequence: str = "0001", protocol: str = mapping.SIA) -> PanelEvent:
    with unit_of_work() as session:
        account = session.query(ReceiverAccount).one()
        return PanelEvent(account.id, protocol, code, 4, "", sequence, "")


def test_the_map_covers_the_common_events_and_logs_the_rest_as_unmapped(db: Session) -> None:
    with unit_of_work() as session:
        assert mapping.lookup(session, mapping.CID, "1130", 9) == mapping.Mapped(
            130, 9, "Burglary alarm", False, True
        )
        assert mapping.lookup(session, mapping.CID, "6130", 9).type_no == 130  # reported again
        assert mapping.lookup(session, mapping.SIA, "RP", 0).test_report
        assert not mapping.lookup(session, mapping.SIA, "ZZ", 2).known
        mapping.set_code(session, "sia", "ba", 1999, "test", zone=77)
        assert mapping.lookup(session, mapping.SIA, "BA", 3).zone == 77
        with pytest.raises(InvalidInput, match="two-letter"):
            mapping.set_code(session, "sia", "B", 1, "test")


def test_a_message_is_logged_once_and_an_unmapped_one_still_logged(db: Session) -> None:
    first = store.record(_event())
    assert first is not None
    assert store.record(_event()) is None  # the same message again
    assert store.record(_event(sequence="0002")) is not None  # a new one with the same content
    unmapped = store.record(_event("ZZ", "0003"))
    with unit_of_work() as session:
        client = clients.find(session, clients.ClientRef("P1"))
        logged = [(s.type_no, s.zone) for s in f.signals(session, client) if s.source == "Receiver"]
        assert logged == [(130, 4), (130, 4), (0, 4)]
        assert unmapped is not None


def test_a_missed_test_report_reads_the_sim_and_logs_a_diagnosis_once(db: Session) -> None:
    with unit_of_work() as session:
        client = clients.find(session, clients.ClientRef("P1"))
        clients.commission(session, client, "test")
    later = utcnow() + timedelta(minutes=6)
    reading = verify.SimReading("SIM 1: DEACTIVATED", "SIM deactivated or suspended at the carrier")
    assert verify.sweep(later, read=lambda _client_id: reading) == 1
    assert verify.sweep(later + timedelta(minutes=6), read=lambda _client_id: reading) == 0  # once per miss
    with unit_of_work() as session:
        client = clients.find(session, clients.ClientRef("P1"))
        [missed] = f.signals(session, client, system_events.TEST_REPORT_MISSED)
        assert "SIM deactivated or suspended at the carrier" in missed.memo
    store.record(_event("RP", "0009"))  # the test report arrives: the timer starts again
    assert verify.sweep(utcnow() + timedelta(minutes=1), read=lambda _client_id: reading) == 0
    assert verify.sweep(utcnow() + timedelta(minutes=6), read=lambda _client_id: reading) == 1


def _answering(status: int, seen: list[httpx.Request]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status)

    return httpx.MockTransport(handle)


def test_webhook_posts_are_signed_and_failures_sorted_into_retry_or_final() -> None:
    sent = Delivery(7, "crm", "https://crm.example/hook", "s3cret-0123456789ab", b'{"signal":{}}')
    seen: list[httpx.Request] = []
    assert delivery.post(sent, _answering(204, seen)) == 204
    request = seen[0]
    signed = request.headers["X-Commissioner-Timestamp"].encode() + b"." + request.content
    expected = hmac.new(b"s3cret-0123456789ab", signed, hashlib.sha256).hexdigest()
    assert request.headers["X-Commissioner-Signature"] == f"sha256={expected}"
    assert request.headers["X-Commissioner-Delivery"] == "7"
    assert b"s3cret" not in request.content
    assert "s3cret" not in str(request.headers)
    with pytest.raises(CarrierUnavailable):
        delivery.post(sent, _answering(503, seen))
    with pytest.raises(CarrierRejected):
        delivery.post(sent, _answering(404, seen))


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("ftp://x.example/h", "0123456789abcdef"),
        ("https://u:p@x.example/h", "0123456789abcdef"),
        ("https://x.example", "short"),
    ],
)
def test_bad_webhook_endpoints_are_refused(sqlite_database: str, url: str, secret: str) -> None:
    with unit_of_work() as session, pytest.raises(InvalidInput) as refused:
        endpoints.set_endpoint(session, "crm", url, secret, "test")
    assert secret not in str(refused.value)


def test_a_batch_with_a_bad_event_still_stores_the_others(db: Session) -> None:
    good = _event(sequence="0100")
    gone = PanelEvent(good.receiver_account_id + 999, mapping.SIA, "BA", 1, "", "0101", "")
    assert store.record_many([good, gone, _event(sequence="0100")]) == [
        store.STORED,
        store.GONE,
        store.REPEAT,
    ]
    assert store.record_many([_event(sequence="0102"), _event(sequence="0103")]) == [
        store.STORED,
        store.STORED,
    ]
    with unit_of_work() as session:
        client = clients.find(session, clients.ClientRef("P1"))
        assert len([s for s in f.signals(session, client) if s.source == "Receiver"]) == 3


def test_keys_rotate_moves_aes_keys_and_webhook_secrets_to_the_new_key(
    db: Session, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    old = env["COMMISSIONER_ENCRYPTION_KEYS"]
    with unit_of_work() as session:
        client = clients.find(session, clients.ClientRef("P1"))
        accounts.set_account(session, client, "ABC", "test", key="0123456789ABCDEF")
        endpoints.set_endpoint(session, "crm", "https://crm.example/h", "0123456789abcdefXYZ", "test")
    new = Fernet.generate_key().decode()
    for keys in (f"{new},{old}", new):
        monkeypatch.setenv("COMMISSIONER_ENCRYPTION_KEYS", keys)
        get_config.cache_clear()
        secrets.reset_cache()
        if keys != new:
            answer = CliRunner().invoke(cli, ["keys", "rotate"])
            assert "1 receiver AES keys and 1 webhook secrets re-encrypted" in answer.output, answer.output
    with unit_of_work() as session:  # only the new key now
        [listening] = accounts.listening(session)
        assert listening.key == "0123456789ABCDEF"
        assert secrets.decrypt(endpoints.get(session, "crm").secret_encrypted) == "0123456789abcdefXYZ"
