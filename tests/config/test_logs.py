"""Structured logs: one JSON object per line, the execution context on every line, never a secret."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from config.logs import (
    ContextFilter,
    JsonFormatter,
    configure_logging,
    current_context,
    log_context,
    make_formatter,
)

SECRET = "k3y-that-must-never-show"


@pytest.fixture
def json_lines() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing JSON lines to a buffer through the same filter and formatter as the real one."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.config.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, buffer
    logger.removeHandler(handler)


def _entries(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_a_line_is_one_json_object_with_time_level_logger_and_message(
    json_lines: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, buffer = json_lines

    logger.info("execution %s: %s", 42, "ACTIVATED, confirmed by the carrier")

    (entry,) = _entries(buffer)
    assert entry["level"] == "INFO"
    assert entry["logger"] == "tests.config.logs"
    assert entry["message"] == "execution 42: ACTIVATED, confirmed by the carrier"
    assert entry["time"].endswith("+00:00")
    assert "process" in entry
    assert "\n" not in buffer.getvalue().rstrip("\n")


def test_every_line_inside_the_context_names_execution_client_and_iccid(
    json_lines: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, buffer = json_lines

    logger.info("before")
    with log_context(execution_id=7):
        logger.info("claimed")
        with log_context(client_id=3, iccid="89882167169700000019"):
            logger.warning("calling the carrier")
            logging.getLogger("sqlalchemy.engine.tests").warning("a library line")
        logger.info("between")
    logger.info("after")

    entries = {e["message"]: e for e in _entries(buffer)}
    assert "execution_id" not in entries["before"]
    assert entries["claimed"]["execution_id"] == 7
    assert "client_id" not in entries["claimed"]
    assert (
        entries["calling the carrier"]["execution_id"],
        entries["calling the carrier"]["client_id"],
        entries["calling the carrier"]["iccid"],
    ) == (7, 3, "89882167169700000019")
    assert "iccid" not in entries["between"]
    assert "execution_id" not in entries["after"]
    assert current_context() == {}


def test_library_lines_carry_the_context_too() -> None:
    record = logging.LogRecord("sqlalchemy.engine", logging.WARNING, __file__, 1, "slow query", None, None)
    with log_context(execution_id=9, client_id=2, iccid="8988"):
        ContextFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert (entry["execution_id"], entry["client_id"], entry["iccid"]) == (9, 2, "8988")


def test_concurrent_tasks_keep_their_own_context(json_lines: tuple[logging.Logger, io.StringIO]) -> None:
    logger, buffer = json_lines
    inside = threading.Barrier(2)

    def task(execution_id: int) -> None:
        with log_context(execution_id=execution_id):
            inside.wait()  # both contexts are set at once
            logger.info("task %s", execution_id)

    threads = [threading.Thread(target=task, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {e["message"]: e["execution_id"] for e in _entries(buffer)} == {"task 1": 1, "task 2": 2}


def test_none_fields_are_left_out(json_lines: tuple[logging.Logger, io.StringIO]) -> None:
    logger, buffer = json_lines
    with log_context(execution_id=5, iccid=None):
        logger.info("no SIM")
    (entry,) = _entries(buffer)
    assert entry["execution_id"] == 5
    assert "iccid" not in entry


def test_exceptions_stay_inside_the_one_line(json_lines: tuple[logging.Logger, io.StringIO]) -> None:
    logger, buffer = json_lines
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("preparing failed")
    (entry,) = _entries(buffer)
    assert "ValueError: boom" in entry["exception"]


def test_no_secret_reaches_the_line(json_lines: tuple[logging.Logger, io.StringIO]) -> None:
    logger, buffer = json_lines
    with log_context(execution_id=1, client_id=2, iccid="89882167169700000019"):
        # Extras are not dumped: only the formatted message and the context's fields.
        extra = {"api_key": SECRET, "headers": {"Authorization": f"Basic {SECRET}"}}
        logger.info("calling Control Center as %s", "api-user", extra=extra)

    assert SECRET not in buffer.getvalue()
    (entry,) = _entries(buffer)
    shape = {"time", "level", "logger", "message", "process"}
    assert set(entry) == shape | {"execution_id", "client_id", "iccid"}
    assert entry["message"] == "calling Control Center as api-user"


def test_text_lines_show_the_context() -> None:
    record = logging.LogRecord("pipeline.runner", logging.INFO, __file__, 1, "execution done", None, None)
    with log_context(execution_id=4, client_id=8, iccid="8988"):
        ContextFilter().filter(record)
    line = make_formatter("text").format(record)
    assert line.endswith("pipeline.runner: execution done [execution_id=4 client_id=8 iccid=8988]")


def test_auto_is_text_on_a_terminal_and_json_otherwise() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(make_formatter("auto", io.StringIO()), JsonFormatter)
    assert not isinstance(make_formatter("auto", Terminal()), JsonFormatter)
    assert isinstance(make_formatter("json", Terminal()), JsonFormatter)
    with pytest.raises(ValueError, match="log format"):
        make_formatter("xml")


def test_the_log_format_setting_selects_json_for_a_whole_process(tmp_path: Any) -> None:
    program = (
        "import logging\n"
        "from config.logs import configure_logging, log_context\n"
        "configure_logging('INFO')\n"
        "with log_context(execution_id=12, client_id=3, iccid='89882167169700000019'):\n"
        "    logging.getLogger('pipeline.runner').info('execution 12: ACTIVATED')\n"
        "logging.getLogger('pipeline.runner').debug('not at INFO')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMISSIONER_")}
    env |= {"COMMISSIONER_LOG_FORMAT": "json", "COMMISSIONER_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    (line,) = done.stderr.splitlines()
    entry = json.loads(line)
    assert entry["message"] == "execution 12: ACTIVATED"
    assert (entry["execution_id"], entry["client_id"], entry["iccid"]) == (12, 3, "89882167169700000019")


def test_configuring_again_changes_the_format_without_a_second_handler() -> None:
    root = logging.getLogger()
    saved_level = root.level
    try:
        configure_logging("INFO", "json")
        configure_logging("WARNING", "text")
        ours = [h for h in root.handlers if getattr(h, "_commissioner", False)]
        assert len(ours) == 1
        assert not isinstance(ours[0].formatter, JsonFormatter)
        assert root.level == logging.WARNING
    finally:
        root.setLevel(saved_level)
