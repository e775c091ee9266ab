"""Security properties of the synthesized template: nag, lint, encryption, TLS, least privilege."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template
from cfnlint.api import ManualArgs, lint

from infra import names
from infra.constructs.encryption import EncryptionKey
from infra.nag import MIN_REASON_LENGTH
from job_monitor.domain.kinds import DEFAULT_KINDS, REGISTRY, resolve_kinds
from tests.infra.support import (
    CLI_CONTEXT,
    TEST_CONTEXT,
    Synthesized,
    cdk_json_context,
    synthesize,
)

pytestmark = pytest.mark.slow  # they share one synth (about 15 s per session)

TOLERATED_LINT_RULES = {
    # W3005: CDK adds a DependsOn from each Lambda function to its role although the function's
    # Role property (a GetAtt) already orders them. Redundant, harmless, and not ours to remove.
    "W3005",
}


def statements(synthesized: Synthesized) -> list[dict[str, Any]]:
    found = []
    for resource in synthesized.resources("AWS::IAM::Policy").values():
        found.extend(resource["Properties"]["PolicyDocument"]["Statement"])
    for role in synthesized.resources("AWS::IAM::Role").values():
        for policy in role["Properties"].get("Policies", []):
            found.extend(policy["PolicyDocument"]["Statement"])
    return found


def role_statements(synthesized: Synthesized, role_path: str) -> list[dict[str, Any]]:
    """The statements of the policies attached to the role at ``role_path``."""
    role_id = synthesized.logical_id(role_path)
    found = []
    for resource in synthesized.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in resource["Properties"].get("Roles", []):
            found.extend(resource["Properties"]["PolicyDocument"]["Statement"])
    return found


MONITOR_ROLE = f"{names.MONITOR}/Function/Role/Resource"
REALTIME_ROLE = f"{names.REALTIME}/Function/Role/Resource"


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- cdk-nag ---------------------------------------------------------------------------------------


def test_nag_reports_no_unacknowledged_finding(synthesized: Synthesized) -> None:
    # The fixture's synth would have raised on a finding; the report says so too.
    for report in synthesized.validation_report.get("pluginReports", []):
        assert report["violations"] == [], json.dumps(report["violations"], indent=2)


def test_every_acknowledgement_has_a_specific_reason(synthesized: Synthesized) -> None:
    acknowledged = {
        path: rule_reasons
        for path, entries in synthesized.metadata.items()
        for entry in entries
        if entry["type"] == "aws:cdk:acknowledged-rules"
        for rule_reasons in [entry["data"]]
    }
    assert acknowledged, "expected the known acknowledgements (IAM5, SQS3, L1)"
    reasons = [reason for rules in acknowledged.values() for reason in rules.values()]
    assert all(len(reason.strip()) >= MIN_REASON_LENGTH for reason in reasons), acknowledged
    rules = {rule for rules in acknowledged.values() for rule in rules}
    # Only these rules are acknowledged anywhere; a new one must be added here on purpose.
    assert {rule.split("[", 1)[0] for rule in rules} == {
        "AwsSolutions::AwsSolutions-IAM5",
        "AwsSolutions::AwsSolutions-SQS3",
        "AwsSolutions::AwsSolutions-L1",
    }


# -- cfn-lint --------------------------------------------------------------------------------------


def test_cfn_lint_is_clean(synthesized: Synthesized) -> None:
    matches = lint(
        json.dumps(synthesized.template),
        config=ManualArgs(regions=["us-east-1"]),
    )
    problems = [m for m in matches if m.rule.id not in TOLERATED_LINT_RULES]
    assert problems == [], "\n".join(str(m) for m in problems)


# -- encryption ------------------------------------------------------------------------------------


def test_the_key_rotates(synthesized: Synthesized) -> None:
    keys = synthesized.resources("AWS::KMS::Key")
    assert len(keys) == 1
    (key,) = keys.values()
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["Properties"]["RotationPeriodInDays"] == 365  # key_rotation_days defaults to 365
    assert key["DeletionPolicy"] == "RetainExceptOnCreate"  # retain_on_delete defaults to true


def key_ref(synthesized: Synthesized) -> dict[str, Any]:
    (logical_id,) = synthesized.resources("AWS::KMS::Key")
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def test_tables_are_encrypted_with_the_key_and_recoverable(synthesized: Synthesized) -> None:
    tables = synthesized.resources("AWS::DynamoDB::Table")
    assert len(tables) == 2  # state + Slack idempotency
    for table in tables.values():
        properties = table["Properties"]
        assert properties["SSESpecification"] == {
            "KMSMasterKeyId": key_ref(synthesized),
            "SSEEnabled": True,
            "SSEType": "KMS",
        }
        assert properties["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True
        }
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["TimeToLiveSpecification"]["Enabled"] is True
        assert table["DeletionPolicy"] == "RetainExceptOnCreate"
        assert properties["DeletionProtectionEnabled"] is False  # see test_infra_retention


def test_topics_and_queues_are_encrypted_with_the_key(synthesized: Synthesized) -> None:
    topics = synthesized.resources("AWS::SNS::Topic")
    queues = synthesized.resources("AWS::SQS::Queue")
    assert len(topics) == 2  # transitions + operator
    # schedule DLQ, subscription DLQ, Slack failure queue, real-time path DLQ
    assert len(queues) == 4
    for topic in topics.values():
        assert topic["Properties"]["KmsMasterKeyId"] == key_ref(synthesized)
    for queue in queues.values():
        assert queue["Properties"]["KmsMasterKeyId"] == key_ref(synthesized)
        assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_every_topic_and_queue_policy_denies_requests_without_tls(
    synthesized: Synthesized,
) -> None:
    policies = {
        **synthesized.resources("AWS::SNS::TopicPolicy"),
        **synthesized.resources("AWS::SQS::QueuePolicy"),
    }
    protected: list[Any] = []
    for policy in policies.values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}:
                assert statement["Effect"] == "Deny"
                protected.extend(as_list(statement["Resource"]))
    for logical_id in [
        *synthesized.resources("AWS::SNS::Topic"),
        *synthesized.resources("AWS::SQS::Queue"),
    ]:
        assert {"Ref": logical_id} in protected or {
            "Fn::GetAtt": [logical_id, "Arn"]
        } in protected, f"{logical_id} accepts requests without TLS"


def topic_statements(synthesized: Synthesized, topic_path: str) -> list[dict[str, Any]]:
    topic_id = synthesized.logical_id(f"{topic_path}/Resource")
    for policy in synthesized.resources("AWS::SNS::TopicPolicy").values():
        if {"Ref": topic_id} in policy["Properties"]["Topics"]:
            return list(policy["Properties"]["PolicyDocument"]["Statement"])
    raise AssertionError(f"no topic policy for {topic_path}")


def test_only_the_monitor_roles_may_publish_transitions(synthesized: Synthesized) -> None:
    publishers = [
        {"Fn::GetAtt": [synthesized.logical_id(path), "Arn"]}
        for path in (MONITOR_ROLE, REALTIME_ROLE)
    ]
    deny = [
        s
        for s in topic_statements(synthesized, f"{names.NOTIFICATIONS}/Topic")
        if s.get("Sid") == "OnlyTheMonitorPublishes"
    ]
    assert deny == [
        {
            "Sid": "OnlyTheMonitorPublishes",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "sns:Publish",
            "Resource": deny[0]["Resource"],
            # One statement: denied unless the caller is one of the publishers (a statement per
            # publisher would deny each of them through the others' statements).
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": publishers}},
        }
    ]


def test_only_cloudwatch_may_publish_alarms(synthesized: Synthesized) -> None:
    operator = topic_statements(synthesized, f"{names.SELF_MONITORING}/OperatorTopic")
    allow = [s for s in operator if s["Effect"] == "Allow" and s["Action"] == "sns:Publish"]
    deny = [s for s in operator if s.get("Sid") == "OnlyAwsServicesPublish"]
    assert [s["Principal"] for s in allow] == [{"Service": "cloudwatch.amazonaws.com"}]
    assert "aws:SourceAccount" in allow[0]["Condition"]["StringEquals"]
    assert [s["Condition"] for s in deny] == [{"Null": {"aws:PrincipalServiceName": "true"}}]


def test_the_key_lets_cloudwatch_sns_and_eventbridge_encrypt_only_for_this_account(
    synthesized: Synthesized,
) -> None:
    (key,) = synthesized.resources("AWS::KMS::Key").values()
    services = {
        s["Principal"]["Service"]: s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if "Service" in s.get("Principal", {})
    }
    # CloudWatch: alarms to the operator topic; SNS: redrive to the subscription DLQ;
    # EventBridge: undeliverable events to the real-time path's DLQ
    assert set(services) == {
        "cloudwatch.amazonaws.com",
        "sns.amazonaws.com",
        "events.amazonaws.com",
    }
    for statement in services.values():
        assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        }


# -- least privilege -------------------------------------------------------------------------------


def test_no_iam_action_has_a_wildcard(synthesized: Synthesized) -> None:
    actions = [a for s in statements(synthesized) for a in as_list(s["Action"])]
    assert actions
    assert [a for a in actions if "*" in a] == []


def test_no_role_uses_an_aws_managed_policy(synthesized: Synthesized) -> None:
    for role in synthesized.resources("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]


def test_bedrock_access_is_exactly_the_kinds_list_and_get_actions(
    synthesized: Synthesized,
) -> None:
    bedrock = [s for s in statements(synthesized) if as_list(s["Action"])[0].startswith("bedrock:")]
    bedrock = [s for s in bedrock if s not in role_statements(synthesized, REALTIME_ROLE)]
    by_resource = {json.dumps(s["Resource"]): s for s in bedrock}
    kinds = resolve_kinds(DEFAULT_KINDS)  # the default stack's (the opt-in kinds:
    # tests/infra/test_infra_realtime.py::test_the_new_kinds_add_exactly_their_actions_and_...)
    # List actions do not support resource-level permissions: Resource "*", and nothing else.
    assert sorted(by_resource['"*"']["Action"]) == sorted(k.list_action for k in kinds)
    # Get actions: scoped to each kind's job resource type in this account and region.
    (detail,) = [s for s in bedrock if s["Resource"] != "*"]
    assert sorted(detail["Action"]) == sorted(k.detail_action for k in kinds)
    rendered = sorted("".join(map(str_part, r["Fn::Join"][1])) for r in detail["Resource"])
    assert rendered == sorted(
        f"arn:$AWS::Partition:bedrock:$AWS::Region:$AWS::AccountId:{k.iam_resource_type}/*"
        for k in kinds
    )


BEFORE_ISSUE_7 = {
    "list": {
        "bedrock:ListModelCustomizationJobs",
        "bedrock:ListEvaluationJobs",
        "bedrock:ListModelInvocationJobs",
    },
    "get": {
        "bedrock:GetModelCustomizationJob",
        "bedrock:GetEvaluationJob",
        "bedrock:GetModelInvocationJob",
    },
    "types": {"model-customization-job", "evaluation-job", "model-invocation-job"},
}
"""The monitor's Bedrock access with the first three kinds."""


def test_the_new_kinds_add_exactly_their_list_and_get_actions_and_resource_types(
    synthesized: Synthesized,
) -> None:
    # Given the synthesized policy with every kind enabled (the default)
    bedrock = [s for s in statements(synthesized) if as_list(s["Action"])[0].startswith("bedrock:")]
    list_actions = {a for s in bedrock if s["Resource"] == "*" for a in as_list(s["Action"])}
    get_actions = {a for s in bedrock if s["Resource"] != "*" for a in as_list(s["Action"])}
    types = {
        rendered_arn(r).rsplit(":", 1)[1].removesuffix("/*")
        for s in bedrock
        if s["Resource"] != "*"
        for r in as_list(s["Resource"])
    }
    # Then, next to the first three kinds' access, there are exactly the new kinds' actions
    assert list_actions - BEFORE_ISSUE_7["list"] == {
        "bedrock:ListModelImportJobs",
        "bedrock:ListModelCopyJobs",
        "bedrock:ListProvisionedModelThroughputs",
        "bedrock:ListCustomModelDeployments",
    }
    assert get_actions - BEFORE_ISSUE_7["get"] == {
        "bedrock:GetModelImportJob",
        "bedrock:GetModelCopyJob",
        "bedrock:GetProvisionedModelThroughput",
        "bedrock:GetCustomModelDeployment",
    }
    # And the Get actions reach exactly the new kinds' resource types besides the old ones
    assert types - BEFORE_ISSUE_7["types"] == {
        "model-import-job",
        "model-copy-job",
        "provisioned-model",
        "custom-model-deployment",
    }
    assert BEFORE_ISSUE_7["list"] <= list_actions
    assert BEFORE_ISSUE_7["get"] <= get_actions
    assert BEFORE_ISSUE_7["types"] <= types


def rendered_arn(resource: Any) -> str:
    """An ARN as text: a plain string, or an ``Fn::Join`` with references shown as ``$Ref``."""
    if isinstance(resource, str):
        return resource
    return "".join(map(str_part, resource["Fn::Join"][1]))


def str_part(part: Any) -> str:
    return part if isinstance(part, str) else f"${part['Ref']}"


def table_actions(synthesized: Synthesized, role_path: str) -> list[str]:
    table_arn = {
        "Fn::GetAtt": [synthesized.logical_id(f"{names.STATE_STORAGE}/Table/Resource"), "Arn"]
    }
    return sorted(
        a
        for s in role_statements(synthesized, role_path)
        if table_arn in as_list(s["Resource"])
        for a in as_list(s["Action"])
    )


def test_monitor_table_access_is_exact_and_never_scans(synthesized: Synthesized) -> None:
    assert table_actions(synthesized, MONITOR_ROLE) == [
        "dynamodb:BatchWriteItem",
        "dynamodb:DeleteItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    ]
    all_actions = {a for s in statements(synthesized) for a in as_list(s["Action"])}
    assert "dynamodb:Scan" not in all_actions


def test_the_realtime_path_reads_one_job_and_writes_its_transition_only(
    synthesized: Synthesized,
) -> None:
    # Its table access: two reads of known keys, then the claim / commit / in-view writes
    assert table_actions(synthesized, REALTIME_ROLE) == [
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
    ]
    # Its Bedrock access: only the Get action of the kinds that emit events, never a List
    bedrock = [
        a
        for s in role_statements(synthesized, REALTIME_ROLE)
        for a in as_list(s["Action"])
        if a.startswith("bedrock:")
    ]
    assert sorted(bedrock) == sorted(
        k.detail_action for k in REGISTRY.values() if k.event_detail_type
    )


def test_the_webhook_url_is_not_in_the_template(synthesized: Synthesized) -> None:
    text = json.dumps(synthesized.template)
    assert "hooks.slack.com" not in text
    assert "AWS::SecretsManager::Secret" not in text  # referenced by name, created outside


def test_parent_scoped_kinds_add_exactly_their_lists_and_gets(tmp_path: Path) -> None:
    # Given a stack that also watches ingestion jobs and Automated Reasoning builds
    kinds = [*DEFAULT_KINDS, "knowledge-base-ingestion", "automated-reasoning-build"]
    context = {**cdk_json_context(), **CLI_CONTEXT, **TEST_CONTEXT, "job_kinds": kinds}
    synthesized = synthesize(tmp_path / "cdk.out", context)
    bedrock = [s for s in statements(synthesized) if as_list(s["Action"])[0].startswith("bedrock:")]
    bedrock = [s for s in bedrock if s not in role_statements(synthesized, REALTIME_ROLE)]
    unscoped = [s for s in bedrock if s["Resource"] == "*"]
    (scoped,) = [s for s in bedrock if s["Resource"] != "*"]
    # Then the top of each parent chain is listed on "*" (no resource type)...
    assert {"bedrock:ListKnowledgeBases", "bedrock:ListAutomatedReasoningPolicies"} <= {
        a for s in unscoped for a in as_list(s["Action"])
    }
    assert not {"bedrock:ListDataSources", "bedrock:ListIngestionJobs"} & {
        a for s in unscoped for a in as_list(s["Action"])
    }
    # ...and the lists under a parent and the Gets act on the knowledge base and the policy
    assert {
        "bedrock:ListDataSources",
        "bedrock:ListIngestionJobs",
        "bedrock:GetIngestionJob",
        "bedrock:ListAutomatedReasoningPolicyBuildWorkflows",
        "bedrock:GetAutomatedReasoningPolicyBuildWorkflow",
    } <= set(scoped["Action"])
    rendered = {"".join(map(str_part, r["Fn::Join"][1])) for r in scoped["Resource"]}
    prefix = "arn:$AWS::Partition:bedrock:$AWS::Region:$AWS::AccountId:"
    assert {f"{prefix}knowledge-base/*", f"{prefix}automated-reasoning-policy/*"} <= rendered
    # And the start calls, as CloudTrail delivers them, reach the real-time function
    (start_rule,) = [
        r
        for r in synthesized.resources("AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"].get("detail-type") == ["AWS API Call via CloudTrail"]
    ]
    assert start_rule["Properties"]["EventPattern"]["detail"] == {
        "eventSource": ["bedrock.amazonaws.com"],
        "eventName": ["StartAutomatedReasoningPolicyBuildWorkflow", "StartIngestionJob"],
    }
    # And the monitor is told its sweep budget
    env = [
        r["Properties"]["Environment"]["Variables"]
        for r in synthesized.resources("AWS::Lambda::Function").values()
        if "JOB_KINDS" in r["Properties"].get("Environment", {}).get("Variables", {})
    ]
    assert env and all(v["SWEEP_BUDGET"] == "50" for v in env)


@pytest.mark.parametrize("days", [90, 2560])
def test_the_key_rotates_every_key_rotation_days(days: int) -> None:
    # Given the key construct with a rotation period, When it is synthesized alone
    stack = Stack(App(), "KeyOnly")
    EncryptionKey(stack, "Encryption", retain=False, rotation_days=days)
    (key,) = Template.from_stack(stack).find_resources("AWS::KMS::Key").values()
    # Then the key rotates, every `days` days
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["Properties"]["RotationPeriodInDays"] == days
