"""The transitions topic and who is subscribed to it (email addresses, the Slack notifier).

The monitor publishes every transition once, with message attributes; each subscription narrows
them with a filter policy built by ``job_monitor.contracts.routing``
(see ``Settings.*_filter_policy``).
"""

from __future__ import annotations

from typing import Any, cast

import jsii
from aws_cdk import IStableListProducer, Lazy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.blocks.alarms import AlarmTargets, WatchedQueue
from infra.blocks.storage import encrypted_queue, encrypted_topic
from infra.constructs.encryption import EncryptionKey
from infra.settings import Settings


@jsii.implements(IStableListProducer)
class _Publishers:
    """The publisher roles' ARNs, read when the template is synthesized (after every
    ``grant_publish``)."""

    def __init__(self, roles: list[iam.IRole]) -> None:
        self._roles = roles

    def produce(self) -> list[str]:
        return [role.role_arn for role in self._roles]


def subscription_filters(policy: dict[str, Any]) -> dict[str, sns.SubscriptionFilter] | None:
    """A routing filter policy (attribute -> allowed strings) as CDK subscription filters; None
    for a policy these filters do not express as is (``$or``, or an ``anything-but`` among
    allowed values: see ``set_filter_policy``)."""
    if not _plain(policy):
        return None
    return {
        attribute: sns.SubscriptionFilter.string_filter(allowlist=[str(v) for v in values])
        for attribute, values in policy.items()
    }


def _plain(policy: dict[str, Any]) -> bool:
    """Every attribute of ``policy`` lists plain strings (no ``$or``, no operators)."""
    return "$or" not in policy and all(
        all(isinstance(v, str) for v in values) for values in policy.values()
    )


def set_filter_policy(subscription: sns.Subscription, policy: dict[str, Any]) -> None:
    """Write a policy that is not plain (``$or`` for the daily digest, ``anything-but`` for the
    statuses this version does not know) into the subscription as is."""
    if not _plain(policy):
        cfn = cast(sns.CfnSubscription, subscription.node.default_child)
        cfn.add_property_override("FilterPolicy", policy)


class Notifications(Construct):
    """Attributes: ``topic``, ``subscription_dead_letter_queue`` (SNS redrive target of every
    subscription: what SNS could not deliver after its retries), ``email_subscriptions``,
    ``alarm_targets`` (the subscription dead-letter queue, once a subscription redrives to it:
    without any, nothing can land there, and its alarm would cost $0.10 a month for nothing)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, key: EncryptionKey
    ) -> None:
        super().__init__(scope, construct_id)
        self._key = key
        self._publishers: list[iam.IRole] = []
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
            retain=settings.retain_on_delete,
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
            set_filter_policy(
                self.topic.add_subscription(subscription), settings.email_filter_policy()
            )
        self._redriven = bool(self.email_subscriptions)

    @property
    def alarm_targets(self) -> AlarmTargets:
        if not self._redriven:
            return AlarmTargets()
        return AlarmTargets(
            queues=(
                WatchedQueue("SubscriptionDeadLetterQueue", self.subscription_dead_letter_queue),
            )
        )

    def grant_publish(self, role: iam.IRole) -> None:
        """Make ``role`` one of the topic's publishers: grant it sns:Publish (and the exact KMS
        actions). The topic policy denies sns:Publish to every principal that is not one of the
        roles given here (one statement, whose list is filled in at synth)."""
        iam.Grant.add_to_principal(
            grantee=role, actions=["sns:Publish"], resource_arns=[self.topic.topic_arn]
        )
        self._key.grant_envelope_use(role)
        if not self._publishers:
            self.topic.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="OnlyTheMonitorPublishes",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=["sns:Publish"],
                    resources=[self.topic.topic_arn],
                    # ArnNotEquals with several values: true when the caller is none of them.
                    conditions={
                        "ArnNotEquals": {
                            "aws:PrincipalArn": Lazy.list(_Publishers(self._publishers))
                        }
                    },
                )
            )
        self._publishers.append(role)

    def subscribe_function(
        self, function: lambda_.IFunction, filter_policy: dict[str, Any]
    ) -> subscriptions.LambdaSubscription:
        """Subscribe ``function`` with ``filter_policy`` (a routing policy, ``$or`` included);
        what SNS cannot deliver goes to the subscription dead-letter queue."""
        subscription = subscriptions.LambdaSubscription(
            function,
            filter_policy=subscription_filters(filter_policy),
            dead_letter_queue=self.subscription_dead_letter_queue,
        )
        set_filter_policy(self.topic.add_subscription(subscription), filter_policy)
        self._redriven = True
        return subscription
