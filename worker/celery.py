"""The Celery app (``celery -A worker worker``; ``celery -A worker beat`` runs the relay's schedule).

Config follow shared/reference/reliability-notes.md section 1.10: late acknowledgement, requeue when
a pool child dies, one message prefetched per process, socket timeouts so a publish never hangs, and
reconnecting for ever. None of that is relied on for correctness: the execution rows are the queue.

Operations: task events (for Flower) unless COMMISSIONER_TASK_EVENTS=false, a heartbeat file for the
health check (worker/health.py), and the Prometheus exporter on COMMISSIONER_METRICS_PORT
(worker/metrics.py), started in the worker's main process before its pool forks.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from celery import Celery, signals
from kombu import Exchange, Queue
from kombu.transport import sqlalchemy as sqla_transport

import features
from config import get_config
from config.files import private_file
from config.logs import configure_logging
from pipeline import outbox
from worker import beat_lock, metrics
from worker.health import HeartbeatFile

EXCHANGE = Exchange("commissioner", type="direct")
QUEUES = ("commissioner", "jasper")


def _transport_options(broker_url: str, visibility_timeout: int) -> dict[str, Any]:
    if broker_url.startswith(("redis", "rediss")):
        return {
            "visibility_timeout": visibility_timeout,
            "socket_timeout": 5,
            # Publishing must fail fast while Redis is down (the relay sends it later), not retry the
            # connection for seconds while an operator waits for their press to be saved.
            "max_retries": 0,
            "socket_connect_timeout": 5,
            "retry_on_timeout": True,
            # Sweep unacknowledged messages of dead workers every 10 s instead of every ~100 s.
            "unacked_restore_throttle": 1,
        }
    if broker_url.startswith(("amqp", "pyamqp")):
        # Publisher confirms: a press is acknowledged only once RabbitMQ took its message (else the
        # relay sends it), and a publish fails fast while RabbitMQ is down.
        return {"confirm_publish": True, "connect_timeout": 5, "max_retries": 0}
    # kombu's SQLAlchemy transport hands these to create_engine: wait for SQLite's lock, do not fail.
    return {"connect_args": {"timeout": 30}}


def task_modules() -> list[str]:
    """The modules that define Celery tasks: the relay's, and each feature's ``celery_tasks.py``, found
    by folder so that a feature's new task is registered without a list to keep."""
    return ["worker.relay", *features.module_names("celery_tasks")]


def make_app() -> Celery:
    """A configured Celery app, handed to the pipeline's outbox for publishing."""
    config = get_config()
    broker = config.effective_broker_url
    if broker.startswith("sqla+sqlite:///"):
        private_file(Path(broker.removeprefix("sqla+sqlite:///")))
        # The transport polls its table once a second by default. Its transport options go to
        # create_engine, so a polling_interval there breaks it: set the class default instead.
        sqla_transport.Transport.polling_interval = 0.1
    app = Celery("commissioner", include=task_modules())
    app.conf.update(
        broker_url=broker,
        broker_transport_options=_transport_options(broker, config.visibility_timeout_s),
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        task_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_pool=config.worker_pool,
        worker_concurrency=config.worker_concurrency,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        # A task must end before its lease does, and long before the visibility timeout (enforced by
        # the prefork pool; see Config.worker_pool for threads).
        task_time_limit=int(config.lease_s * 0.9),
        task_soft_time_limit=int(config.lease_s * 0.8),
        # Each queue its own routing key: bound to one key, a direct exchange would copy every
        # message into both.
        task_queues=[Queue(config.queue(n), EXCHANGE, routing_key=config.queue(n)) for n in QUEUES],
        task_default_exchange=EXCHANGE.name,
        task_default_routing_key=config.queue("commissioner"),
        task_default_queue=config.queue("commissioner"),
        worker_hijack_root_logger=False,
        # Task events for Flower: the worker reports each task's progress, the publisher each send.
        worker_send_task_events=config.task_events,
        task_send_sent_event=config.task_events,
        # Beat's own record of when each entry last ran, in the data dir, not where beat was started.
        beat_schedule_filename=str(config.data_dir / "celerybeat-schedule"),
        beat_scheduler=beat_lock.DataDirScheduler,
        beat_schedule={
            "relay": {
                "task": "relay.sweep",
                "schedule": config.relay_interval_s,
                # A sweep that waited longer than two intervals is stale: the next one will come.
                "options": {"expires": config.relay_interval_s * 2},
            },
            "broker-prune": {
                "task": "broker.prune",
                "schedule": 60.0,
                "options": {"expires": 60.0},
            },
            "reconcile": {
                "task": "reconcile.sweep",
                "schedule": config.reconcile_interval_s,
                "options": {"expires": config.reconcile_interval_s},
            },
            # Terminations are due by the day: once an hour is soon enough.
            "decommission-policy": {
                "task": "decommission_policy.sweep",
                "schedule": 3600.0,
                "options": {"expires": 3600.0},
            },
            # Panels silent after their commissioning, missed test reports (features/receiver/verify.py).
            "panel-watch": {
                "task": "receiver.watch",
                "schedule": 60.0,
                "options": {"expires": 60.0},
            },
        },
    )
    app.steps["consumer"].add(HeartbeatFile)
    configure_logging(config.log_level)
    beat_lock.install()
    outbox.install(app)
    return app


@signals.worker_init.connect
def _start_metrics(**_: Any) -> None:
    metrics.start_worker_exporter(get_config().metrics_port)


@signals.worker_ready.connect
@signals.worker_process_init.connect
def _freeze_heap(**_: Any) -> None:
    # What is loaded by now (modules, the app, SQLAlchemy's mappers: about 100,000 objects) lives as
    # long as the process. Moved out of the collector's sight, a full collection no longer walks it:
    # 26 ms with every task thread paused before, well under 1 ms after (measured on the 2-core bench
    # machine); it showed in the pipeline's p99 at 50 presses/s.
    gc.freeze()


@signals.worker_process_shutdown.connect
def _pool_process_exited(pid: int | None = None, **_: Any) -> None:
    if pid is not None:
        metrics.process_exited(pid)


@signals.worker_shutdown.connect
def _stop_metrics(**_: Any) -> None:
    metrics.remove_multiprocess_dir()


app = make_app()
