"""The stack composes the capability constructs; it builds nothing itself."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack, Token
from constructs import Construct

from infra import names
from infra.blocks.alarms import Alarmable
from infra.constructs.capability import Foundation
from infra.constructs.digest import ScheduledDigest
from infra.constructs.encryption import EncryptionKey
from infra.constructs.monitor import ScheduledMonitor
from infra.constructs.notifications import Notifications
from infra.constructs.notifier import (
    NotifierFunction,
    configured_destination,
    slack_destination,
)
from infra.constructs.realtime import RealtimeEvents, event_kinds
from infra.constructs.self_monitoring import SelfMonitoring
from infra.constructs.state_storage import StateStorage
from infra.settings import Settings


class BedrockJobMonitorStack(Stack):
    """Attributes: one per capability (``encryption``, ``storage``, ``notifications``,
    ``monitor``, ``realtime`` or None, ``slack_notifier`` or None,
    ``destination_notifiers`` (one per ``destinations`` entry), ``digest`` or None,
    ``self_monitoring``), and ``foundation`` (what the function capabilities build on)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.encryption = EncryptionKey(
            self,
            names.ENCRYPTION,
            retain=settings.retain_on_delete,
            rotation_days=settings.key_rotation_days,
        )
        self.storage = StateStorage(
            self, names.STATE_STORAGE, key=self.encryption, retain=settings.retain_on_delete
        )
        self.notifications = Notifications(
            self, names.NOTIFICATIONS, settings=settings, key=self.encryption
        )
        self.foundation = Foundation(settings, self.encryption, self.storage, self.notifications)
        self.monitor = ScheduledMonitor(self, names.MONITOR, foundation=self.foundation)
        self.realtime = (
            RealtimeEvents(self, names.REALTIME, foundation=self.foundation)
            if settings.realtime_events and event_kinds(settings) and self._watches_own_region()
            else None
        )
        self.slack_notifier = (
            NotifierFunction(
                self,
                names.SLACK_NOTIFIER,
                foundation=self.foundation,
                destination=slack_destination(settings),
            )
            if settings.slack_enabled
            else None
        )
        self.destination_notifiers = [
            NotifierFunction(
                self,
                names.destination_notifier(destination.label),
                foundation=self.foundation,
                destination=configured_destination(settings, destination),
            )
            for destination in settings.destinations
        ]
        self.digest = (
            ScheduledDigest(self, names.DIGEST, foundation=self.foundation)
            if settings.daily_digest
            else None
        )
        # The order of the dashboard's error lines: monitor, notifier, real-time path, digest.
        watched: list[Alarmable | None] = [
            self.monitor,
            self.notifications,
            self.slack_notifier,
            *self.destination_notifiers,
            self.realtime,
            self.digest,
        ]
        self.self_monitoring = SelfMonitoring(
            self,
            names.SELF_MONITORING,
            settings=settings,
            key=self.encryption,
            watched=[capability for capability in watched if capability is not None],
        )

        CfnOutput(
            self,
            "TopicArn",
            value=self.notifications.topic.topic_arn,
            description="Subscribe here to receive every transition (use a filter policy)",
        )
        CfnOutput(
            self,
            "OperatorTopicArn",
            value=self.self_monitoring.operator_topic.topic_arn,
            description="Alarms of the monitor itself",
        )
        CfnOutput(self, "MonitorFunctionName", value=self.monitor.function.function_name)
        CfnOutput(self, "StateTableName", value=self.storage.table.table_name)

    def _watches_own_region(self) -> bool:
        """EventBridge rules see their own region's events only: with ``watch_regions`` that
        leave out a (known) stack region, a rule here would only receive events to ignore."""
        if not self.settings.watch_regions or Token.is_unresolved(self.region):
            return True
        return self.region in self.settings.watch_regions
