"""The Jasper task: set a SIM's status at Cisco IoT Control Center and confirm it by reading it back."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from config import get_settings
from models import CommunicatorType, ExecutionStatus
from services import secrets
from services.executions import Claim
from services.task_types.jasper import wanted_status
from worker.carriers.jasper import JasperClient, StatusChange
from worker.celery import app
from worker.pacing import Pacer, account_key, make_pacer, wait_for_slot
from worker.runner import Report, TargetError, TaskLevelError, run


@dataclass(frozen=True)
class Account:
    communicator_type_id: int
    server_address: str
    user_name: str
    api_key: str
    calls_per_second: float

    def __repr__(self) -> str:  # never the key
        return f"Account({self.communicator_type_id}, {self.server_address!r}, {self.user_name!r})"


@dataclass(frozen=True)
class SimChange:
    account: Account
    iccid: str
    wanted: str


class _Clients:
    """One paced HTTP client per carrier account per process (connections are reused between tasks)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[tuple[object, ...], JasperClient] = {}
        self._pacer: Pacer | None = None

    def get(self, account: Account) -> JasperClient:
        fingerprint = hashlib.sha256(account.api_key.encode()).hexdigest()
        key: tuple[object, ...] = (account.communicator_type_id, account.server_address, account.user_name)
        key += (fingerprint, account.calls_per_second)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._new_client(account)
            return self._clients[key]

    def _new_client(self, account: Account) -> JasperClient:
        settings = get_settings()
        if self._pacer is None:
            self._pacer = make_pacer(settings)
        pacer, pacing_key = self._pacer, account_key(account.server_address, account.user_name)

        def pace() -> None:
            wait_for_slot(pacer, pacing_key, account.calls_per_second, settings.pacing_max_wait_s)

        return JasperClient(
            account.server_address,
            account.user_name,
            account.api_key,
            timeout=settings.carrier_timeout_s,
            connect_timeout=settings.carrier_connect_timeout_s,
            before_call=pace,
        )

    def forget(self) -> None:
        # After fork: the parent's connections and Redis client are not ours.
        self._clients, self._pacer = {}, None


clients = _Clients()
os.register_at_fork(after_in_child=clients.forget)


class JasperPerformer:
    def prepare(self, session: Session, claim: Claim) -> SimChange:
        comm = session.get(CommunicatorType, claim.target["communicator_type_id"])
        if comm is None:
            raise TargetError("the add-on device's communicator type no longer exists")
        try:
            api_key = secrets.decrypt(comm.api_key_encrypted)
        except secrets.SecretUnreadable as exc:
            raise TaskLevelError(f"communicator type {comm.name}: {exc}") from None
        account = Account(comm.id, comm.server_address, comm.user_name, api_key, comm.calls_per_second)
        return SimChange(account, claim.target["iccid"], wanted_status(claim.options))

    def perform(self, change: SimChange) -> Report:
        client = clients.get(change.account)
        result = client.set_status(change.iccid, change.wanted)
        if result is StatusChange.ALREADY:
            return Report(ExecutionStatus.SUCCEEDED, f"already {change.wanted}")
        if _confirmed(client, change):
            return Report(ExecutionStatus.SUCCEEDED, f"{change.wanted}, confirmed by the carrier")
        return Report(
            ExecutionStatus.UNCONFIRMED,
            f"the carrier accepted {change.wanted} but does not show it yet; accepted, not yet confirmed",
        )


def _confirmed(client: JasperClient, change: SimChange) -> bool:
    """Read the status back until it shows the wanted one, a bounded number of times."""
    settings = get_settings()
    for attempt in range(settings.confirm_attempts):
        if attempt:
            time.sleep(settings.confirm_interval_s)
        if client.get_device(change.iccid).status == change.wanted:
            return True
    return settings.confirm_attempts == 0


@app.task(name="jasper.set_sim_status", ignore_result=True)
def set_sim_status(execution_id: int) -> None:
    """Carry out one Jasper task execution (activate or deactivate one SIM)."""
    run(execution_id, JasperPerformer())
