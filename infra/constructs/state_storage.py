"""The monitor's state: one DynamoDB table of job records and watermarks."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra import names
from infra.blocks.storage import encrypted_table
from infra.constructs.encryption import EncryptionKey

MONITOR_TABLE_ACTIONS = (
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
)
"""Exactly what the monitor's state store (job_monitor/state.py) calls; no Scan (a run never reads
the whole table) and no GetItem (a run reads its state with one Query)."""
REALTIME_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
"""What the real-time path calls for one job: ``lookup`` (two reads of known keys), then the
claim, commit and in-view writes (``Monitor.observe``)."""


class StateStorage(Construct):
    """Attributes: ``table``."""

    def __init__(
        self, scope: Construct, construct_id: str, *, key: EncryptionKey, retain: bool
    ) -> None:
        super().__init__(scope, construct_id)
        self._key = key
        self.table: dynamodb.Table = encrypted_table(
            self,
            "Table",
            key=key,
            retain=retain,
            partition_key=names.STATE_PARTITION_KEY,
            sort_key=names.STATE_SORT_KEY,
            ttl_attribute=names.STATE_TTL_ATTRIBUTE,
        )

    def grant_monitor_access(self, grantee: iam.IGrantable) -> iam.Grant:
        self._key.grant_dynamodb_use(grantee)
        return self.table.grant(grantee, *MONITOR_TABLE_ACTIONS)

    def grant_realtime_access(self, grantee: iam.IGrantable, *, journal: bool) -> iam.Grant:
        """``journal``: the daily digest is on, so each published transition is also journaled
        (one conditional PutItem, ``job_monitor.adapters.journal``)."""
        self._key.grant_dynamodb_use(grantee)
        actions = (
            (*REALTIME_TABLE_ACTIONS, "dynamodb:PutItem") if journal else REALTIME_TABLE_ACTIONS
        )
        return self.table.grant(grantee, *actions)
