"""What CloudFormation does with a stateful resource when it deletes it."""

from __future__ import annotations

from aws_cdk import RemovalPolicy


def removal_policy(retain: bool) -> RemovalPolicy:
    """What happens to a stateful resource (key, table, log group, queue) when CloudFormation
    deletes it: with ``retain``, CloudFormation's ``DeletionPolicy: RetainExceptOnCreate``
    (``RETAIN_ON_UPDATE_OR_DELETE``): kept when the stack is deleted or the resource is replaced,
    but deleted when its own creation is rolled back (a failed first deploy leaves nothing
    behind, so a retry does not make second copies). Without ``retain``: DESTROY.

    Tables therefore get no deletion protection: it would make the rollback's delete fail
    (``ROLLBACK_FAILED``). A retained table is still protected by its point-in-time recovery
    (DynamoDB keeps a system backup of a deleted PITR table for 35 days)."""
    return RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE if retain else RemovalPolicy.DESTROY
