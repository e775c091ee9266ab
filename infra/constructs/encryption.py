"""The customer-managed KMS key that encrypts the tables, the topics and every queue."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.blocks.removal import removal_policy

# Exact KMS actions per use; CDK's generic grants add wildcard actions (kms:GenerateDataKey*,
# kms:ReEncrypt*) that none of these uses needs.
DYNAMODB_KEY_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")
"""A principal reading and writing a DynamoDB table encrypted with the key."""
ENVELOPE_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
"""A principal publishing to an encrypted SNS topic or sending to an encrypted SQS queue."""


class EncryptionKey(Construct):
    """A symmetric CMK with automatic rotation every ``rotation_days`` (the ``key_rotation_days``
    setting; yearly by default).

    Attributes: ``key``.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, retain: bool, rotation_days: int = 365
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="Bedrock Job Monitor: encrypts its DynamoDB tables, SNS topics, SQS queues",
            enable_key_rotation=True,
            rotation_period=Duration.days(rotation_days),
            removal_policy=removal_policy(retain),
            pending_window=Duration.days(30 if retain else 7),
        )

    def grant_dynamodb_use(self, grantee: iam.IGrantable) -> iam.Grant:
        return self.key.grant(grantee, *DYNAMODB_KEY_ACTIONS)

    def grant_envelope_use(self, grantee: iam.IGrantable) -> iam.Grant:
        return self.key.grant(grantee, *ENVELOPE_KEY_ACTIONS)

    def allow_service(self, service: str) -> None:
        """Let an AWS service of this account encrypt with the key (e.g. CloudWatch alarms
        publishing to an encrypted topic, SNS redriving to an encrypted queue)."""
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"Allow{service.split('.', maxsplit=1)[0].capitalize()}ServiceOfThisAccount",
                principals=[iam.ServicePrincipal(service)],
                actions=list(ENVELOPE_KEY_ACTIONS),
                resources=["*"],  # in a key policy, "*" means this key
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
