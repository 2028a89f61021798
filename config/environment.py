"""The one configuration object of a process, read from the environment.

Every value comes from a ``COMMISSIONER_*`` environment variable, a file named by
``COMMISSIONER_<NAME>_FILE`` (for secrets: Docker and Kubernetes secrets are files), or a ``.env`` file.
With nothing set, everything runs on the embedded default: a SQLite database and kombu's SQLAlchemy broker
on SQLite, both under ``data_dir``, with key files made there. Anywhere else the keys must be given, and
be the same on every host: a process that would invent its own refuses to start, as one given the public
example key does (``ConfigurationError``, one line naming the setting).
"""

from __future__ import annotations

import base64
import binascii
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

# The values .env.example shows: public, so refused wherever they are given.
EXAMPLE_ENCRYPTION_KEY = "RVhBTVBMRS1LRVktRE8tTk9ULVVTRS1JTi1QUk9EISE="
EXAMPLE_WEB_SECRET = "EXAMPLE-WEB-SECRET-DO-NOT-USE-IN-PRODUCTION"  # noqa: S105 - the refused example
_GENERATE_KEY = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'


def _default_data_dir() -> Path:
    """$XDG_DATA_HOME/commissioner, else ~/.local/share/commissioner (as Linux tools keep their data)."""
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".local" / "share") / "commissioner"


class ConfigurationError(SystemExit):
    """The configuration cannot run a process; the message (one line) names the setting. A SystemExit,
    so that any process refusing to start says that line and nothing else."""


class _SecretFiles(PydanticBaseSettingsSource):
    """``COMMISSIONER_<NAME>_FILE=/run/secrets/...``: the value of NAME is that file's content."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        path = os.environ.get(f"COMMISSIONER_{field_name.upper()}_FILE", "").strip()
        if not path:
            return None, field_name, False
        try:
            return Path(path).read_text().strip(), field_name, False
        except OSError as exc:
            raise ConfigurationError(
                f"COMMISSIONER_{field_name.upper()}_FILE: cannot read {path} ({exc.strerror})"
            ) from None

    def __call__(self) -> dict[str, Any]:
        found = {}
        for name, field in self.settings_cls.model_fields.items():
            value, key, _complex = self.get_field_value(field, name)
            if value is not None:
                found[key] = value
        return found


class Config(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="COMMISSIONER_", env_file=".env", extra="ignore", frozen=True
    )

    # Where the embedded default keeps its database, broker, key files, pacing files and beat's schedule:
    # one place per user, whatever directory a command runs in (a relative value is made absolute).
    data_dir: Path = Field(default_factory=lambda: _default_data_dir())
    database_url: str = ""  # default: SQLite under data_dir
    broker_url: str = ""  # default: kombu's SQLAlchemy transport on SQLite under data_dir

    # Fernet keys for secrets at rest, comma separated, newest first (MultiFernet rotation). Required
    # outside the embedded default (every host must share them); there, a key file under data_dir.
    encryption_keys: SecretStr | None = None

    # Signs the web app's session cookies. Required outside the embedded default (every web process must
    # share it); there, a key file under data_dir.
    web_secret: SecretStr | None = None

    # Session cookies only over HTTPS (on behind a TLS proxy, as docker-compose.yml has it). Browsers
    # treat http://localhost as secure, so a local login still works.
    secure_cookies: bool = False

    # Connections to the database per process (a task holds one only for its short transactions).
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=20, ge=0, le=200)

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
    # Put before every queue's name ("commissioner", "jasper"), so that deployments can share a broker
    # (a RabbitMQ vhost, a Redis database) without taking each other's messages.
    queue_prefix: str = Field(default="", max_length=40, pattern=r"^[A-Za-z0-9_.-]*$")

    log_level: str = "INFO"

    # Operations. Log lines as text, JSON (one object per line) or auto: text on a terminal, else JSON.
    log_format: Literal["auto", "json", "text"] = "auto"
    # The worker's Prometheus exporter (worker/metrics.py) listens on this port; 0: no exporter.
    metrics_port: int = Field(default=0, ge=0, le=65535)
    # Celery task events, so that Flower (and `celery events`) see every task out of the box.
    task_events: bool = True
    # Touched by a running worker, checked by `python -m worker.health worker` (default: in data_dir).
    heartbeat_file: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # A variable set in the environment wins, then a *_FILE, then .env.
        return init_settings, env_settings, _SecretFiles(settings_cls), dotenv_settings

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().absolute()

    @field_validator("encryption_keys", "web_secret", mode="before")
    @classmethod
    def _empty_means_unset(cls, value: object) -> object:
        # COMMISSIONER_ENCRYPTION_KEYS= (empty, as in a copied .env file) means "not configured".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("encryption_keys")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        keys = [key.strip() for key in value.get_secret_value().split(",")]
        if EXAMPLE_ENCRYPTION_KEY in keys:
            raise ValueError(
                f"is the public example key of .env.example: generate your own with {_GENERATE_KEY}"
            )
        for key in keys:
            try:
                valid = len(base64.urlsafe_b64decode(key.encode())) == 32
            except (binascii.Error, ValueError):
                valid = False
            if not valid:
                raise ValueError(f"holds a value that is not a Fernet key: generate one with {_GENERATE_KEY}")
        return value

    @field_validator("web_secret")
    @classmethod
    def _own_web_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        if value.get_secret_value().strip() == EXAMPLE_WEB_SECRET:
            raise ValueError("is the public example of .env.example: set a long random value of your own")
        if len(value.get_secret_value().strip()) < 32:
            raise ValueError("must be at least 32 characters (a long random value)")
        return value

    @model_validator(mode="after")
    def _shared_keys(self) -> Config:
        # Outside the embedded default, processes run on several hosts: a key made up by one would be
        # unknown to the others (a worker could not read an API key; a session would not survive a
        # request served by another web process).
        if self.embedded:
            return self
        if self.encryption_keys is None:
            raise ValueError(
                "COMMISSIONER_ENCRYPTION_KEYS (or COMMISSIONER_ENCRYPTION_KEYS_FILE) is required with "
                f"a database other than the embedded SQLite, the same on every host: {_GENERATE_KEY}"
            )
        if self.web_secret is None:
            raise ValueError(
                "COMMISSIONER_WEB_SECRET (or COMMISSIONER_WEB_SECRET_FILE) is required with a database "
                "other than the embedded SQLite, the same on every web process: a long random value"
            )
        return self

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

    def queue(self, name: str) -> str:
        """The broker's name of the queue called ``name`` in the code."""
        return f"{self.queue_prefix}{name}"

    @property
    def embedded(self) -> bool:
        """True when the database is SQLite: one host, an embedded broker."""
        return self.effective_database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_config() -> Config:
    """The process-wide configuration, read once; ConfigurationError (one line) if it cannot run.
    Tests call ``get_config.cache_clear()``."""
    try:
        return Config()
    except ValidationError as exc:
        raise ConfigurationError(_one_line(exc)) from None


def _one_line(error: ValidationError) -> str:
    """The errors as one line that names each setting, without the values (they may be secrets)."""
    parts = []
    for item in error.errors(include_input=False, include_url=False):
        message = str(item["msg"]).removeprefix("Value error, ")
        field = ".".join(str(part) for part in item["loc"])
        parts.append(f"COMMISSIONER_{field.upper()} {message}" if field else message)
    return "configuration: " + "; ".join(parts)
