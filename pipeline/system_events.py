"""Type numbers of the signals Commissioner raises itself (above 65000: internally generated)."""

from __future__ import annotations

CLIENT_COMMISSIONED = 65516
CLIENT_DECOMMISSIONED = 65517
TASK_SUCCEEDED = 65518
TASK_FAILED = 65519
TASK_SUPERSEDED = 65520
TASK_UNCONFIRMED = 65521
SIM_CONSOLE_ACTION = 65522
SIM_DRIFT = 65523
RECONCILIATION_SUMMARY = 65524
RECORD_CORRECTED = 65532
# The panel itself after a commissioning, and a missed test report (features/receiver/).
PANEL_REPORTED = 65527
PANEL_SILENT = 65528
TEST_REPORT_MISSED = 65529

DESCRIPTIONS: dict[int, str] = {
    CLIENT_COMMISSIONED: "Client Commissioned",
    CLIENT_DECOMMISSIONED: "Client Decommissioned",
    TASK_SUCCEEDED: "Task Succeeded",
    TASK_FAILED: "Task Failed",
    TASK_SUPERSEDED: "Task Superseded",
    TASK_UNCONFIRMED: "Task Accepted, Not Yet Confirmed",
    SIM_CONSOLE_ACTION: "SIM Console Action",
    SIM_DRIFT: "SIM Status Drift",
    RECONCILIATION_SUMMARY: "SIM Reconciliation Summary",
    RECORD_CORRECTED: "Client Record Corrected",
    PANEL_REPORTED: "Panel Reported After Commissioning",
    PANEL_SILENT: "Panel Silent After Commissioning",
    TEST_REPORT_MISSED: "Test Report Missed",
}

FIRST_SYSTEM_TYPE_NO = 65000


def is_system(type_no: int) -> bool:
    """Internally generated types run their tasks even for an offline client."""
    return type_no > FIRST_SYSTEM_TYPE_NO
