"""The Slack notifier: a function subscribed to the transitions topic that posts each transition
to a Slack incoming webhook. The webhook URL stays in Secrets Manager (the secret is created
outside the stack and referenced by name); only the secret's ARN reaches the function."""

from __future__ import annotations

from aws_cdk import AssetHashType, BundlingOptions, DockerImage, Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra import FUNCTIONS_DIR, REQUIREMENTS_DIR, names, versions
from infra.blocks.storage import encrypted_table
from infra.bundling import PipInstallLocally
from infra.constructs.capability import Foundation, FunctionCapability

IDEMPOTENCY_TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)
"""What Powertools Idempotency's DynamoDB persistence layer calls."""
NOTIFIER_TIMEOUT = Duration.seconds(60)
"""Room for slack_sdk's bounded retries (429 Retry-After, 5xx) within one invocation."""
MAX_EVENT_AGE = Duration.hours(6)
"""Slack may be down for hours: a message this old still gets its retries."""


def notifier_code() -> lambda_.Code:
    """functions/ plus slack-sdk (requirements/notifier.txt), bundled without Docker."""
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            # Never pulled: the local bundler either bundles or fails the synth.
            image=DockerImage.from_registry(
                f"public.ecr.aws/sam/build-python{versions.PYTHON_VERSION}"
            ),
            local=PipInstallLocally(FUNCTIONS_DIR, REQUIREMENTS_DIR / "notifier.txt"),
        ),
    )


class SlackNotifierFunction(FunctionCapability):
    """The Slack notifier's function, subscribed to the transitions topic, with its idempotency
    table and failure queue.

    Alarmed: the function's errors ("SlackNotifierErrors") and its failure queue.

    Attributes: ``function``, ``role``, ``log_group``, ``secret``, ``idempotency_table``,
    ``failure_queue`` (invocations that failed after the async retries), ``subscription``,
    ``alarm_targets``.
    """

    def __init__(self, scope: Construct, construct_id: str, *, foundation: Foundation) -> None:
        super().__init__(scope, construct_id, foundation=foundation)
        settings, key = self.settings, self.key
        self.secret = secretsmanager.Secret.from_secret_name_v2(
            self, "WebhookSecret", settings.slack_secret_name
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
            what="Slack notifier", label="SlackFailureQueue", max_event_age=MAX_EVENT_AGE
        )
        self._build_function(
            description="Bedrock Job Monitor: posts job status transitions to Slack",
            code=notifier_code(),
            handler=names.SLACK_NOTIFIER_HANDLER,
            service_name=names.SLACK_NOTIFIER_SERVICE,
            environment=settings.notifier_environment(
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
            foundation.notifications.subscribe_function(
                self.function, settings.slack_filter_policy()
            )
        )

        self._watch_errors(
            "SlackNotifierErrors",
            "The Slack notifier failed to deliver",
            dashboard_label="Slack notifier errors",
        )
