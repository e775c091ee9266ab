"""What the capability constructs share: the stack's foundation they build on, and the shape of a
capability around one Python function (its function, role and log group, and what to alarm)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.blocks.alarms import AlarmTargets, Heartbeat, WatchedFunction, WatchedQueue
from infra.blocks.functions import PythonFunction, monitor_code, retried_then_kept
from infra.blocks.storage import encrypted_queue
from infra.constructs.encryption import EncryptionKey
from infra.constructs.notifications import Notifications
from infra.constructs.state_storage import StateStorage
from infra.settings import Settings


@dataclass(frozen=True)
class Foundation:
    """The parts of the stack every capability builds on: the validated settings, the key, the
    state table and the transitions topic."""

    settings: Settings
    key: EncryptionKey
    storage: StateStorage
    notifications: Notifications


class FunctionCapability(Construct):
    """A capability built around one Python function (construct ``Function`` under it).

    Subclasses build the function with ``_build_function`` (or ``_build_monitor_code_function``)
    and declare what must be alarmed with ``_watch_errors``, ``_watch_queue`` and
    ``_watch_heartbeat``.

    Attributes: ``foundation``, ``function``, ``role``, ``log_group``, ``alarm_targets``.
    """

    function: lambda_.Function
    role: iam.Role
    log_group: logs.LogGroup

    def __init__(self, scope: Construct, construct_id: str, *, foundation: Foundation) -> None:
        super().__init__(scope, construct_id)
        self.foundation = foundation
        self._functions: list[WatchedFunction] = []
        self._queues: list[WatchedQueue] = []
        self._heartbeats: list[Heartbeat] = []

    @property
    def settings(self) -> Settings:
        return self.foundation.settings

    @property
    def key(self) -> EncryptionKey:
        return self.foundation.key

    @property
    def alarm_targets(self) -> AlarmTargets:
        """The function's errors, the queues and heartbeats this capability declared."""
        return AlarmTargets(tuple(self._functions), tuple(self._queues), tuple(self._heartbeats))

    def _build_function(self, **props: Any) -> None:
        """A ``PythonFunction`` named ``Function`` (``props``: its keyword arguments but
        ``settings``); sets ``function``, ``role`` and ``log_group``."""
        built = PythonFunction(self, "Function", settings=self.settings, **props)
        self.function = built.function
        self.role = built.role
        self.log_group = built.log_group

    def _build_monitor_code_function(
        self, *, description: str, handler: str, service_name: str, timeout: Duration, **props: Any
    ) -> None:
        """A function running the monitor's code (``functions/`` as is) with the monitor's
        environment (``Settings.monitor_environment``): the scheduled run, the real-time path and
        the daily digest share both."""
        self._build_function(
            description=description,
            code=monitor_code(),
            handler=handler,
            service_name=service_name,
            environment=self.settings.monitor_environment(
                self.foundation.storage.table.table_name,
                self.foundation.notifications.topic.topic_arn,
            ),
            timeout=timeout,
            **props,
        )

    def _failure_queue(self, *, what: str, label: str, max_event_age: Duration) -> dict[str, Any]:
        """For an asynchronously invoked function: an alarmed, encrypted ``FailureQueue`` (set as
        ``failure_queue``, alarmed as ``label``) that keeps what still fails after Lambda's
        retries. Returns the function props that say so (``blocks.functions.retried_then_kept``);
        call before building the function."""
        self.failure_queue: sqs.Queue = encrypted_queue(
            self,
            "FailureQueue",
            key=self.key,
            dead_letter_for=f"the {what} (on-failure destination after async retries)",
            retain=self.settings.retain_on_delete,
        )
        self._watch_queue(label, self.failure_queue)
        return retried_then_kept(self.failure_queue, self.key, max_event_age=max_event_age)

    def _watch_errors(
        self, label: str, description: str, *, dashboard_label: str, throttles: bool = False
    ) -> None:
        """Alarm ``label`` on any error of this capability's function (and with ``throttles`` any
        throttled invocation: ``WatchedFunction``)."""
        self._functions.append(
            WatchedFunction(label, self.function, description, dashboard_label, throttles)
        )

    def _watch_queue(self, label: str, queue: sqs.IQueue) -> None:
        """Alarm "<label>NotEmpty" on any message in ``queue``."""
        self._queues.append(WatchedQueue(label, queue))

    def _watch_heartbeat(self, heartbeat: Heartbeat) -> None:
        self._heartbeats.append(heartbeat)
