"""The stack composes the capability constructs; it builds nothing itself."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack, Token
from constructs import Construct

from infra import names
from infra.constructs.digest import Digest
from infra.constructs.encryption import EncryptionKey
from infra.constructs.monitor import Monitor
from infra.constructs.notifications import Notifications
from infra.constructs.realtime import RealtimeEvents, event_kinds
from infra.constructs.self_monitoring import SelfMonitoring
from infra.constructs.slack_notifier import SlackNotifier
from infra.constructs.state_storage import StateStorage
from infra.settings import Settings


class BedrockJobMonitorStack(Stack):
    """Attributes: one per capability (``encryption``, ``storage``, ``notifications``,
    ``monitor``, ``realtime`` or None, ``slack_notifier`` or None, ``digest`` or None,
    ``self_monitoring``)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.encryption = EncryptionKey(self, names.ENCRYPTION, retain=settings.retain_on_delete)
        self.storage = StateStorage(
            self, names.STATE_STORAGE, key=self.encryption, retain=settings.retain_on_delete
        )
        self.notifications = Notifications(
            self, names.NOTIFICATIONS, settings=settings, key=self.encryption
        )
        self.monitor = Monitor(
            self,
            names.MONITOR,
            settings=settings,
            key=self.encryption,
            storage=self.storage,
            notifications=self.notifications,
        )
        self.realtime = (
            RealtimeEvents(
                self,
                names.REALTIME,
                settings=settings,
                key=self.encryption,
                storage=self.storage,
                notifications=self.notifications,
            )
            if settings.realtime_events and event_kinds(settings) and self._watches_own_region()
            else None
        )
        self.slack_notifier = (
            SlackNotifier(
                self,
                names.SLACK_NOTIFIER,
                settings=settings,
                key=self.encryption,
                notifications=self.notifications,
            )
            if settings.slack_enabled
            else None
        )
        queues = {
            "ScheduleDeadLetterQueue": self.monitor.schedule_dead_letter_queue,
            "SubscriptionDeadLetterQueue": self.notifications.subscription_dead_letter_queue,
        }
        if self.slack_notifier is not None:
            queues["SlackFailureQueue"] = self.slack_notifier.failure_queue
        other_functions = {}
        if self.realtime is not None:
            queues["RealtimeDeadLetterQueue"] = self.realtime.dead_letter_queue
            other_functions["RealtimeErrors"] = (
                self.realtime.function,
                "The real-time path failed an event (retried, then kept in its dead-letter queue)",
            )
        self.digest = (
            Digest(
                self,
                names.DIGEST,
                settings=settings,
                key=self.encryption,
                storage=self.storage,
                notifications=self.notifications,
            )
            if settings.daily_digest
            else None
        )
        if self.digest is not None:
            queues["DigestScheduleDeadLetterQueue"] = self.digest.schedule_dead_letter_queue
            queues["DigestFailureQueue"] = self.digest.failure_queue
            other_functions["DigestErrors"] = (self.digest.function, "The daily digest failed")
        self.self_monitoring = SelfMonitoring(
            self,
            names.SELF_MONITORING,
            settings=settings,
            key=self.encryption,
            monitor=self.monitor.function,
            notifier=self.slack_notifier.function if self.slack_notifier else None,
            queues=queues,
            other_functions=other_functions,
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
