"""The transitions topic and who is subscribed to it (email addresses, the Slack notifier).

The monitor publishes every transition once, with message attributes; each subscription narrows
them with a filter policy built by ``job_monitor.routing`` (see ``Settings.*_filter_policy``).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.building_blocks import encrypted_queue, encrypted_topic
from infra.constructs.encryption import EncryptionKey
from infra.settings import Settings


def subscription_filters(policy: dict[str, list[Any]]) -> dict[str, sns.SubscriptionFilter]:
    """A routing filter policy (attribute -> allowed strings) as CDK subscription filters."""
    return {
        attribute: sns.SubscriptionFilter.string_filter(allowlist=[str(v) for v in values])
        for attribute, values in policy.items()
    }


class Notifications(Construct):
    """Attributes: ``topic``, ``subscription_dead_letter_queue`` (SNS redrive target of every
    subscription: what SNS could not deliver after its retries), ``email_subscriptions``."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, key: EncryptionKey
    ) -> None:
        super().__init__(scope, construct_id)
        self._key = key
        self.topic = encrypted_topic(
            self, "Topic", key=key, display_name="Bedrock job status transitions"
        )
        # SNS itself writes to this queue, so the key must let the SNS service encrypt.
        key.allow_service("sns.amazonaws.com")
        self.subscription_dead_letter_queue: sqs.Queue = encrypted_queue(
            self,
            "SubscriptionDeadLetterQueue",
            key=key,
            dead_letter_for="the topic's subscriptions (SNS redrive policy)",
        )
        self.email_subscriptions = [
            subscriptions.EmailSubscription(
                address,
                filter_policy=subscription_filters(settings.email_filter_policy()),
                dead_letter_queue=self.subscription_dead_letter_queue,
            )
            for address in settings.email_addresses
        ]
        for subscription in self.email_subscriptions:
            self.topic.add_subscription(subscription)

    def grant_publish(self, role: iam.IRole) -> None:
        """Make ``role`` the topic's only publisher: grant it sns:Publish (and the exact KMS
        actions), and deny sns:Publish to every other principal in the topic policy."""
        iam.Grant.add_to_principal(
            grantee=role, actions=["sns:Publish"], resource_arns=[self.topic.topic_arn]
        )
        self._key.grant_envelope_use(role)
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyTheMonitorPublishes",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"ArnNotEquals": {"aws:PrincipalArn": role.role_arn}},
            )
        )

    def subscribe_function(
        self, function: lambda_.IFunction, filter_policy: dict[str, list[Any]]
    ) -> subscriptions.LambdaSubscription:
        subscription = subscriptions.LambdaSubscription(
            function,
            filter_policy=subscription_filters(filter_policy),
            dead_letter_queue=self.subscription_dead_letter_queue,
        )
        self.topic.add_subscription(subscription)
        return subscription
