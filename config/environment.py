"""The one configuration object of a process, read from the environment.

Every value comes from a ``COMMISSIONER_*`` environment variable or a ``.env`` file. With nothing set,
everything runs on the embedded default: a SQLite database and kombu's SQLAlchemy broker on SQLite, both
under ``data_dir``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Config(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="COMMISSIONER_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = Path("var")
    database_url: str = ""  # default: SQLite under data_dir
    broker_url: str = ""  # default: kombu's SQLAlchemy transport on SQLite under data_dir

    # Fernet keys for API keys at rest, comma separated, newest first (MultiFernet rotation). Unset on
    # the embedded default: a key file is created under data_dir on first use.
    encryption_keys: SecretStr | None = None

    # Signs the web app's session cookies. Unset: derived from encryption_keys when they are set (so
    # every web process of a deployment agrees), else a key file created under data_dir.
    web_secret: SecretStr | None = None

    # Carrier calls: per phase (connect, each read) and in all, and the largest answer taken.
    carrier_timeout_s: float = Field(default=10.0, gt=0, le=300)
    carrier_connect_timeout_s: float = Field(default=5.0, gt=0, le=300)
    carrier_deadline_s: float = Field(default=20.0, gt=0, le=600)
    carrier_max_answer_bytes: int = Field(default=8 * 1024 * 1024, ge=4096, le=256 * 1024 * 1024)
    # Carriers must be https:// on public addresses (carriers/addresses.py); true allows a simulator on
    # this machine (the demo, tests, benchmarks and training set it).
    allow_insecure_carriers: bool = False
    # Read-back after an accepted status change: how many reads, how far apart.
    confirm_attempts: int = Field(default=5, ge=0)
    confirm_interval_s: float = Field(default=1.0, ge=0)

    # Pacing of carrier calls per carrier account (see carriers/pacing.py). Redis by default when the
    # broker is Redis; a call whose slot is further away than pacing_max_wait_s is retried later.
    pacing_redis_url: str = ""
    pacing_max_wait_s: float = Field(default=5.0, gt=0)

    # Retries of transient failures, scheduled in the database (never long Celery countdowns).
    retry_max_attempts: int = Field(default=10, ge=1)
    retry_base_delay_s: float = Field(default=2.0, gt=0)
    retry_max_delay_s: float = Field(default=600.0, gt=0)

    # An execution not finished this long after its press is failed, with the last error.
    execution_max_age_s: float = Field(default=86400.0, gt=0)

    # Drift reconciliation: how often, and how far back the first run of an account reads.
    reconcile_interval_s: float = Field(default=900.0, gt=0)
    reconcile_initial_lookback_s: float = Field(default=86400.0, gt=0)

    # Execution leases and the relay that re-publishes what the broker lost.
    lease_s: float = Field(default=120.0, gt=0)
    relay_interval_s: float = Field(default=5.0, gt=0)
    relay_republish_after_s: float = Field(default=60.0, gt=0)
    relay_batch: int = Field(default=500, gt=0)
    # Longest wait handed to Celery as a countdown; longer waits are left to the relay (a countdown
    # longer than the Redis visibility timeout makes Celery run the task again and again).
    max_countdown_s: float = Field(default=30.0, ge=0)

    # The worker's pool when `celery worker` is given none. Threads by default: a task spends its time
    # waiting on the carrier and the database, so one process of many threads does the work of many
    # processes in a third of the memory. Prefork for task types that compute. Without a hard time
    # limit on threads, the carrier timeouts and the pacer's longest wait bound a task, and the lease's
    # fencing token drops the outcome of one that outlived its lease. 64 threads: under a carrier's
    # calls-per-second limit, the more changes wait together, the fewer reads confirm them
    # (carriers/readback.py); bulk under a limit measured 1.16x the ideal time with 16, 1.11x
    # with 64, for 7 MB more.
    worker_pool: Literal["threads", "prefork", "solo"] = "threads"
    worker_concurrency: int = Field(default=64, ge=1, le=512)

    # Redis broker: how long an unacknowledged message waits before redelivery.
    visibility_timeout_s: int = Field(default=900, gt=0)

    log_level: str = "INFO"

    # Operations. Log lines as text, JSON (one object per line) or auto: text on a terminal, else JSON.
    log_format: Literal["auto", "json", "text"] = "auto"
    # The worker's Prometheus exporter (worker/metrics.py) listens on this port; 0: no exporter.
    metrics_port: int = Field(default=0, ge=0, le=65535)
    # Celery task events, so that Flower (and `celery events`) see every task out of the box.
    task_events: bool = True
    # Touched by a running worker, checked by `python -m worker.health worker` (default: in data_dir).
    heartbeat_file: Path | None = None

    @field_validator("encryption_keys", mode="before")
    @classmethod
    def _empty_keys_mean_unset(cls, value: object) -> object:
        # COMMISSIONER_ENCRYPTION_KEYS= (empty, as in a copied .env file) means "not configured".
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _countdown_below_visibility(self) -> Config:
        if self.max_countdown_s * 2 > self.visibility_timeout_s:
            raise ValueError("max_countdown_s must be at most half of visibility_timeout_s")
        if self.lease_s >= self.visibility_timeout_s:
            raise ValueError("lease_s must be shorter than visibility_timeout_s")
        return self

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'commissioner.db'}"

    @property
    def effective_broker_url(self) -> str:
        return self.broker_url or f"sqla+sqlite:///{self.data_dir / 'broker.db'}"

    @property
    def embedded(self) -> bool:
        """True when the database is SQLite: one host, an embedded broker."""
        return self.effective_database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_config() -> Config:
    """The process-wide configuration, read once. Tests call ``get_config.cache_clear()``."""
    return Config()
