"""Read access to Bedrock jobs: exact actions from the job-kind registry, in the watched regions."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra import nag
from job_monitor.domain.kinds import JobKind


def watched_regions(scope: Construct, regions: Sequence[str]) -> list[str]:
    """The regions to grant in: the configured ones, or the stack's own (a token when the stack
    is environment-agnostic)."""
    return list(regions) or [Stack.of(scope).region]


def unscoped_list_actions(kinds: Sequence[JobKind]) -> list[str]:
    """List actions with no resource type: the account-wide kinds' lists, and the top of each
    parent-scoped kind's chain (``bedrock:ListKnowledgeBases``,
    ``bedrock:ListAutomatedReasoningPolicies``)."""
    return sorted({kind.parent_actions[0] if kind.parents else kind.list_action for kind in kinds})


def scoped_actions(kinds: Sequence[JobKind]) -> list[str]:
    """Actions on the kinds' resource types: every detail action, and a parent-scoped kind's
    lists below the top (``ListDataSources``, ``ListIngestionJobs`` act on the knowledge base,
    ``ListAutomatedReasoningPolicyBuildWorkflows`` on the policy)."""
    actions = {kind.detail_action for kind in kinds}
    for kind in kinds:
        if kind.parents:
            actions |= {*kind.parent_actions[1:], kind.list_action}
    return sorted(actions)


def grant_list_jobs(scope: Construct, role: iam.IRole, kinds: Sequence[JobKind]) -> None:
    """The List* actions that support no resource-level permission (``unscoped_list_actions``),
    so the statement's resource is '*' (in every region: the action list is what limits it). An
    event-only kind (``JobKind.polled`` False) has none."""
    kinds = [kind for kind in kinds if kind.polled]
    if not kinds:
        return
    policy = iam.Policy(
        scope,
        "BedrockListJobs",
        statements=[iam.PolicyStatement(actions=unscoped_list_actions(kinds), resources=["*"])],
    )
    role.attach_inline_policy(policy)
    nag.acknowledge(
        policy,
        "AwsSolutions-IAM5",
        "Bedrock List* actions for jobs, provisioned throughput and deployments do not support "
        "resource-level permissions; the service authorization reference lists no resource type "
        "for them, so '*' is the only valid Resource. The actions are exact, read-only list calls.",
        finding="Resource::*",
    )


def grant_describe_jobs(
    scope: Construct, role: iam.IRole, kinds: Sequence[JobKind], regions: Sequence[str]
) -> None:
    """The kinds' Get* actions (and the lists under a parent, ``scoped_actions``), on their
    resource types in this account and the watched regions. A kind without a Get (event-only)
    adds nothing; no Get kind at all grants nothing."""
    kinds = [kind for kind in kinds if kind.detail_operation]
    if not kinds:
        return
    stack = Stack.of(scope)
    arns = [
        stack.format_arn(
            service="bedrock", region=region, resource=resource_type, resource_name="*"
        )
        for region in watched_regions(scope, regions)
        for resource_type in sorted({kind.iam_resource_type for kind in kinds})
    ]
    iam.Grant.add_to_principal(grantee=role, actions=scoped_actions(kinds), resource_arns=arns)
    for arn in arns:
        nag.acknowledge(
            role,
            "AwsSolutions-IAM5",
            "The Get* detail calls are scoped to the kind's resource type in this account and "
            "the watched regions; job ARNs are not known at deploy time (users create jobs).",
            finding=nag.resource_finding(scope, arn),
        )


def tag_resource_types(kinds: Sequence[JobKind]) -> list[str]:
    """The resource types whose tags the kinds' transitions read (``JobKind.tag_source``: the
    job's own type, ``knowledge-base`` for ingestion jobs, ``automated-reasoning-policy`` for
    builds), sorted; polled kinds only (an event-only kind reads none)."""
    return sorted(
        {
            kind.tag_source.iam_resource_type or kind.iam_resource_type
            for kind in kinds
            if kind.polled and kind.tag_source is not None
        }
    )


def grant_read_tags(
    scope: Construct,
    role: iam.IRole,
    kinds: Sequence[JobKind],
    regions: Sequence[str],
    tag_keys: Sequence[str],
) -> None:
    """``bedrock:ListTagsForResource`` (the one IAM action of both the ``bedrock`` and the
    ``bedrock-agent`` operation) on the resource types of ``tag_resource_types`` in this account
    and the watched regions; nothing when no tag key is published (``tag_keys`` empty) or no kind
    has a tag source."""
    types = tag_resource_types(kinds)
    if not tag_keys or not types:
        return
    stack = Stack.of(scope)
    arns = [
        stack.format_arn(service="bedrock", region=region, resource=t, resource_name="*")
        for region in watched_regions(scope, regions)
        for t in types
    ]
    iam.Grant.add_to_principal(
        grantee=role, actions=["bedrock:ListTagsForResource"], resource_arns=arns
    )
    for arn in arns:
        nag.acknowledge(
            role,
            "AwsSolutions-IAM5",
            "ListTagsForResource is scoped to the resource types whose tags route alerts, in "
            "this account and the watched regions; the resources are created by users.",
            finding=nag.resource_finding(scope, arn),
        )
