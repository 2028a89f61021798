"""The domain, one model per file. Importing this package registers every table on Base.metadata."""

from models.action_plan import ActionPlan
from models.addon_device import AddonDevice
from models.api_token import ApiToken
from models.base import Base, utcnow
from models.bulk_job import BulkJob, BulkKind
from models.bulk_row import BulkRow, BulkRowStatus
from models.client import Client
from models.communicator_type import CommunicatorType
from models.config_generation import ConfigGeneration
from models.dealer import Dealer
from models.event_type import EventType
from models.login_failure import LoginFailure
from models.operator_log import OperatorLog
from models.operator_login import OperatorLogin
from models.pacing_slot import PacingSlot
from models.panel_event_code import PanelEventCode
from models.receiver_account import ReceiverAccount
from models.receiver_message import ReceiverMessage
from models.reconcile_cursor import ReconcileCursor
from models.response_override import ResponseOverride
from models.response_plan import ResponsePlan
from models.response_plan_entry import ResponsePlanEntry
from models.signal import Outcome, Signal, SignalSource
from models.sim_drift import SimDrift
from models.system_setting import SystemSetting
from models.task import Task
from models.task_assignment import TaskAssignment
from models.task_execution import ACTIVE_STATUSES, ExecutionStatus, TaskExecution
from models.user import User
from models.web_session import WebSession
from models.webhook_endpoint import WebhookEndpoint
from models.zone import Zone

__all__ = [
    "ACTIVE_STATUSES",
    "ActionPlan",
    "AddonDevice",
    "ApiToken",
    "Base",
    "BulkJob",
    "BulkKind",
    "BulkRow",
    "BulkRowStatus",
    "Client",
    "CommunicatorType",
    "ConfigGeneration",
    "Dealer",
    "EventType",
    "ExecutionStatus",
    "LoginFailure",
    "OperatorLog",
    "OperatorLogin",
    "Outcome",
    "PacingSlot",
    "PanelEventCode",
    "ReceiverAccount",
    "ReceiverMessage",
    "ReconcileCursor",
    "ResponseOverride",
    "ResponsePlan",
    "ResponsePlanEntry",
    "Signal",
    "SignalSource",
    "SimDrift",
    "SystemSetting",
    "Task",
    "TaskAssignment",
    "TaskExecution",
    "User",
    "WebSession",
    "WebhookEndpoint",
    "Zone",
    "utcnow",
]
