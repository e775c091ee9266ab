"""A notifier: a function subscribed to the transitions topic that delivers each message to one
chat destination (Slack today), with its idempotency table, failure queue and alarms. The webhook
URL stays in Secrets Manager (the secret is created outside the stack and referenced by name);
only the secret's ARN reaches the function.

One construct for every destination type: what differs (its name, handler, secret, filter policy,
the packages its asset bundles) is a ``NotifierDestination``; ``slack_destination`` builds
Slack's from the settings (``slack_secret_name``), ``configured_destination`` one entry of the
``destinations`` list (issue 15). Each gets its own function, idempotency table (so a message
delivered to two destinations is delivered to each once), failure queue and alarms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import AssetHashType, BundlingOptions, DockerImage, Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra import FUNCTIONS_DIR, REQUIREMENTS_DIR, names, versions
from infra.blocks.functions import monitor_code
from infra.blocks.storage import encrypted_table
from infra.bundling import PipInstallLocally
from infra.constructs.capability import Foundation, FunctionCapability
from infra.settings import DestinationSettings, Settings

IDEMPOTENCY_TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)
"""What Powertools Idempotency's DynamoDB persistence layer calls."""
NOTIFIER_TIMEOUT = Duration.seconds(60)
"""Room for the destination's bounded retries (429 Retry-After, 5xx) within one invocation."""
MAX_EVENT_AGE = Duration.hours(6)
"""A chat service may be down for hours: a message this old still gets its retries."""


@dataclass(frozen=True)
class NotifierDestination:
    """What one destination's notifier needs from the settings.

    ``label`` names it to people and in alarm labels (``Slack``: "SlackNotifierErrors",
    "SlackFailureQueue"); ``environment(secret_arn, idempotency_table_name)`` is the function's
    environment; ``requirements`` the packages its asset bundles (its HTTP client), or None for a
    destination that needs none (Teams: urllib), whose asset is functions/ as is."""

    label: str
    handler: str
    service_name: str
    secret_name: str
    filter_policy: dict[str, Any]
    environment: Callable[[str, str], dict[str, str]]
    requirements: Path | None
    watch_throttles: bool = False
    """Its errors alarm counts throttled invocations too (``WatchedFunction.throttles``): the
    ``destinations`` entries' notifiers. The notifier of ``slack_secret_name`` keeps its
    errors-only alarm, so an upgrade without destinations leaves the template as it was."""


def slack_destination(settings: Settings) -> NotifierDestination:
    return NotifierDestination(
        label="Slack",
        handler=names.SLACK_NOTIFIER_HANDLER,
        service_name=names.SLACK_NOTIFIER_SERVICE,
        secret_name=settings.slack_secret_name,
        filter_policy=settings.slack_filter_policy(),
        environment=settings.notifier_environment,
        requirements=REQUIREMENTS_DIR / "notifier.txt",
    )


REQUIREMENTS: dict[str, Path | None] = {
    "slack": REQUIREMENTS_DIR / "notifier.txt",
    "teams": None,
}
"""Destination type -> the packages its notifier bundles (None: none beyond the runtime's)."""


def configured_destination(
    settings: Settings, destination: DestinationSettings
) -> NotifierDestination:
    """The notifier of one ``destinations`` entry: its type's handler and packages, its own
    secret, filter policy (``DestinationSettings.filter_policy``) and environment (its name
    pattern and mention)."""

    def environment(secret_arn: str, idempotency_table_name: str) -> dict[str, str]:
        return settings.destination_environment(destination, secret_arn, idempotency_table_name)

    return NotifierDestination(
        label=destination.label,
        handler=names.notifier_handler(destination.type),
        service_name=names.notifier_service(destination.type),
        secret_name=destination.secret_name,
        filter_policy=destination.filter_policy(settings.daily_digest),
        environment=environment,
        requirements=REQUIREMENTS[destination.type],
        watch_throttles=True,
    )


def notifier_code(requirements: Path | None) -> lambda_.Code:
    """functions/ plus the destination's packages (``requirements``), bundled without Docker;
    functions/ as is when it needs none."""
    if requirements is None:
        return monitor_code()
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            # Never pulled: the local bundler either bundles or fails the synth.
            image=DockerImage.from_registry(
                f"public.ecr.aws/sam/build-python{versions.PYTHON_VERSION}"
            ),
            local=PipInstallLocally(FUNCTIONS_DIR, requirements),
        ),
    )


class NotifierFunction(FunctionCapability):
    """One destination's notifier function, subscribed to the transitions topic with the
    destination's filter policy, with its idempotency table and failure queue.

    Alarmed, on free AWS/Lambda and AWS/SQS metrics only: the function's errors
    ("<label>NotifierErrors"; with ``destination.watch_throttles`` its throttled invocations too)
    and its failure queue ("<label>FailureQueueNotEmpty").

    Attributes: ``destination``, ``function``, ``role``, ``log_group``, ``secret``,
    ``idempotency_table``, ``failure_queue`` (invocations that failed after the async retries),
    ``subscription``, ``alarm_targets``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        foundation: Foundation,
        destination: NotifierDestination,
    ) -> None:
        super().__init__(scope, construct_id, foundation=foundation)
        self.destination = destination
        label = destination.label
        settings, key = self.settings, self.key
        self.secret = secretsmanager.Secret.from_secret_name_v2(
            self, "WebhookSecret", destination.secret_name
        )
        self.idempotency_table: dynamodb.Table = encrypted_table(
            self,
            "IdempotencyTable",
            key=key,
            retain=settings.retain_on_delete,
            partition_key=names.IDEMPOTENCY_PARTITION_KEY,
            ttl_attribute=names.IDEMPOTENCY_TTL_ATTRIBUTE,
        )
        retried_then_kept = self._failure_queue(
            what=f"{label} notifier", label=f"{label}FailureQueue", max_event_age=MAX_EVENT_AGE
        )
        self._build_function(
            description=f"Bedrock Job Monitor: posts job status transitions to {label}",
            code=notifier_code(destination.requirements),
            handler=destination.handler,
            service_name=destination.service_name,
            environment=destination.environment(
                self.secret.secret_arn, self.idempotency_table.table_name
            ),
            timeout=NOTIFIER_TIMEOUT,
            memory_size=256,
            **retried_then_kept,
        )
        self.secret.grant_read(self.role)
        key.grant_dynamodb_use(self.role)
        self.idempotency_table.grant(self.role, *IDEMPOTENCY_TABLE_ACTIONS)

        self.subscription: subscriptions.LambdaSubscription = (
            foundation.notifications.subscribe_function(self.function, destination.filter_policy)
        )

        self._watch_errors(
            f"{label}NotifierErrors",
            f"The {label} notifier failed to deliver",
            dashboard_label=f"{label} notifier errors",
            throttles=destination.watch_throttles,
        )
