"""Support for the infrastructure tests: the test context and the synthesized cloud assembly.

Synthesize the CDK app once per test session and share the cloud assembly.

The app is built by ``infra.app_builder.build_app`` (what app.py runs) from cdk.json's context plus
``TEST_CONTEXT``, with the AwsSolutions checks as a validation plugin: a finding that is not
acknowledged fails the synth, so the fixture itself fails. Under pytest-xdist, the first worker
synthesizes into a directory shared by the run and the others wait for it, so Node/jsii and the
notifier's pip bundling run once per session.

Later tests (the clean-environment asset check, the end-to-end run against the template) can use
``synthesized.outdir`` (the cloud assembly with its assets) and ``synthesized.template``.
"""

from __future__ import annotations

import fcntl
import json
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra import REPO_ROOT, names
from tests.fakes.lambda_context import ACCOUNT_ID, REGION

TEST_CONTEXT: dict[str, Any] = {
    # Strings, as `cdk synth -c key=value` passes them, to exercise the parsing too.
    "schedule_minutes": "10",
    "slack_secret_name": "bedrock-job-monitor/slack-webhook",
    "slack_mention": "<!here>",
    "slack_kinds": "model-customization,batch-inference",
    "email_addresses": '["ml-team@example.com", "ops@example.com"]',
    "alarm_email": "oncall@example.com",
    # moto 5.2.5 counts a filter policy's "$or" alternatives by multiplying them (real SNS adds
    # them up), so it refuses the Slack policy with kinds and overdue alerts as "too complex":
    # the template tests that subscribe through moto use the transitions-only policy.
    "slack_overdue": "false",
}
CLI_CONTEXT: dict[str, Any] = {
    # What `cdk synth` adds: resources carry their construct path and asset directory
    # (Metadata "aws:asset:path"), so tests can find each function's asset in the assembly.
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
}
STACK_NAME = names.DEFAULT_STACK_NAME


def cdk_json_context() -> dict[str, Any]:
    return dict(json.loads((REPO_ROOT / "cdk.json").read_text())["context"])


@dataclass(frozen=True)
class Synthesized:
    outdir: Path
    """The cloud assembly directory (templates, asset directories, manifest)."""
    context: dict[str, Any]
    template: dict[str, Any]
    metadata: dict[str, Any]
    """The stack's metadata file: construct path -> entries (incl. acknowledged nag rules)."""
    validation_report: dict[str, Any]

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }

    def logical_id(self, construct_path: str) -> str:
        """Logical id of the CloudFormation resource at ``<stack>/<construct_path>``."""
        for entry in self.metadata[f"/{STACK_NAME}/{construct_path}"]:
            if entry["type"] == "aws:cdk:logicalId":
                return str(entry["data"])
        raise KeyError(construct_path)

    def resource(self, construct_path: str) -> dict[str, Any]:
        return dict(self.template["Resources"][self.logical_id(construct_path)])


def _synthesize(outdir: Path, context: dict[str, Any]) -> None:
    from aws_cdk import App

    from infra.app_builder import build_app

    app = App(outdir=str(outdir), context=context)
    build_app(app)
    app.synth()


def _load(outdir: Path, context: dict[str, Any]) -> Synthesized:
    manifest = json.loads((outdir / "manifest.json").read_text())
    artifact = manifest["artifacts"][STACK_NAME]
    report_file = outdir / "validation-report.json"
    return Synthesized(
        outdir=outdir,
        context=context,
        template=json.loads((outdir / artifact["properties"]["templateFile"]).read_text()),
        metadata=json.loads((outdir / artifact["additionalMetadataFile"]).read_text()),
        validation_report=json.loads(report_file.read_text()) if report_file.exists() else {},
    )


def synthesize(outdir: Path, context: dict[str, Any]) -> Synthesized:
    """Synthesize the app with ``context`` into ``outdir`` (a test's own: about 10 s)."""
    _synthesize(outdir, context)
    return _load(outdir, context)


def synthesize_shared(shared: Path) -> Synthesized:
    """Synthesize into ``shared/cdk.out`` unless another worker did (or failed) already."""
    shared.mkdir(parents=True, exist_ok=True)
    outdir = shared / "cdk.out"
    failure = shared / "synth-failed.txt"
    context = {**cdk_json_context(), **CLI_CONTEXT, **TEST_CONTEXT}
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (outdir / "manifest.json").exists() and not failure.exists():
                try:
                    _synthesize(outdir, context)
                except Exception:
                    failure.write_text(traceback.format_exc())
                    raise
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    if failure.exists():
        raise RuntimeError(f"synth failed in another worker:\n{failure.read_text()}")
    return _load(outdir, context)


# ---------------------------------------------------------------------------------------------
# The synthesized template as a deployment in moto (the end-to-end and clean-environment tests)

# ACCOUNT_ID: moto's default account, which the template's AWS::AccountId resolves to; REGION:
# the tests' region (tests/fakes/lambda_context.py, the root aws_env fixture).
PSEUDO_PARAMETERS = {
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": STACK_NAME,
}


class UnresolvedReference(LookupError):
    """The template refers to something the test deployment did not create."""


@dataclass
class Deployment:
    """What ``deploy_template`` created: physical names and ARNs by logical id, and the SQS queue
    standing in for each subscription whose endpoint moto cannot reach (email, lambda)."""

    synthesized: Synthesized
    physical: dict[str, dict[str, str]]
    """logical id -> {"Ref": ..., "Arn": ..., other attributes}"""
    stand_ins: dict[str, str]
    """subscription logical id -> URL of the SQS queue subscribed in its place"""

    def resolve(self, value: Any) -> Any:
        """``value`` with Ref, Fn::GetAtt, Fn::Join and Fn::Sub replaced by what they name."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            [(name, argument)] = value.items()
            if name == "Ref" or name.startswith("Fn::") or name == "Condition":
                return self._intrinsic(name, argument)
        return {key: self.resolve(item) for key, item in value.items()}

    def _intrinsic(self, name: str, argument: Any) -> str:
        if name == "Ref":
            if argument in PSEUDO_PARAMETERS:
                return PSEUDO_PARAMETERS[argument]
            return self._attribute(argument, "Ref")
        if name == "Fn::GetAtt":
            logical_id, attribute = (
                argument if isinstance(argument, list) else argument.split(".", 1)
            )
            return self._attribute(logical_id, attribute)
        if name == "Fn::Join":
            separator, parts = argument
            return str(separator).join(str(self.resolve(part)) for part in parts)
        if name == "Fn::Sub" and isinstance(argument, str):

            def substitute(match: re.Match[str]) -> str:
                reference = match.group(1)
                if "." in reference:
                    return str(self._intrinsic("Fn::GetAtt", reference))
                return str(self._intrinsic("Ref", reference))

            return re.sub(r"\$\{([^}!]+)\}", substitute, argument)
        raise UnresolvedReference(f"intrinsic {name} is not supported by the test deployment")

    def _attribute(self, logical_id: str, attribute: str) -> str:
        try:
            return self.physical[logical_id][attribute]
        except KeyError:
            raise UnresolvedReference(
                f"{logical_id}.{attribute}: not created by the test deployment "
                f"(created: {', '.join(sorted(self.physical))})"
            ) from None

    def function(self, handler: str) -> tuple[str, dict[str, Any]]:
        """The (logical id, resource) of the function deployed with ``handler``."""
        matches = [
            (logical_id, resource)
            for logical_id, resource in self.synthesized.resources("AWS::Lambda::Function").items()
            if resource["Properties"]["Handler"] == handler
        ]
        assert len(matches) == 1, f"expected one function with handler {handler}: {matches}"
        return matches[0]

    def environment(self, logical_id: str) -> dict[str, str]:
        """The function's environment variables as deployed, intrinsics resolved."""
        resource = self.synthesized.template["Resources"][logical_id]
        variables = resource["Properties"].get("Environment", {}).get("Variables", {})
        resolved = {key: self.resolve(value) for key, value in variables.items()}
        assert all(isinstance(v, str) for v in resolved.values()), resolved
        return resolved

    def subscriptions(self, endpoint_logical_id: str | None = None, protocol: str | None = None):
        """Subscription resources (logical id -> properties), optionally of one endpoint's
        function (``Endpoint`` is its GetAtt Arn) or of one protocol."""
        found = {}
        for logical_id, resource in self.synthesized.resources("AWS::SNS::Subscription").items():
            properties = resource["Properties"]
            if protocol is not None and properties["Protocol"] != protocol:
                continue
            if endpoint_logical_id is not None and properties["Endpoint"] != {
                "Fn::GetAtt": [endpoint_logical_id, "Arn"]
            }:
                continue
            found[logical_id] = properties
        return found


def physical_name(logical_id: str) -> str:
    """A name shaped like the ones CloudFormation generates (stack-logicalId)."""
    return f"{STACK_NAME}-{logical_id}"[:80]


def _only(properties: dict[str, Any], resource: str, handled: set[str]) -> None:
    """Fail when the template sets a property this deployment would silently drop."""
    ignored = {"Tags"}
    unknown = set(properties) - handled - ignored
    assert not unknown, f"{resource}: properties the test deployment does not model: {unknown}"


def deploy_template(synthesized: Synthesized, clients: dict[str, Any]) -> Deployment:
    """Create the template's KMS keys, DynamoDB tables, SQS queues, SNS topics and subscriptions
    in moto from the template's own properties, in dependency order.

    ``clients``: boto3 clients for kms, dynamodb, sqs, sns (decorator or server mode). Lambda
    functions are not created; their Ref/Arn resolve to the names CloudFormation would give them.
    Email and lambda subscriptions become SQS queues subscribed with the same filter policy and
    scope, so moto's own filter-policy matcher decides what each endpoint would receive.
    """
    deployment = Deployment(synthesized, {}, {})
    for resource_type, create in (
        ("AWS::KMS::Key", _create_key),
        ("AWS::Lambda::Function", _name_function),
        ("AWS::DynamoDB::Table", _create_table),
        ("AWS::SQS::Queue", _create_queue),
        ("AWS::SNS::Topic", _create_topic),
        ("AWS::SNS::Subscription", _create_subscription),
    ):
        for logical_id, resource in synthesized.resources(resource_type).items():
            deployment.physical[logical_id] = create(
                deployment, clients, logical_id, resource.get("Properties", {})
            )
    return deployment


def _create_key(
    deployment: Deployment, clients: dict[str, Any], logical_id: str, properties: dict[str, Any]
) -> dict[str, str]:
    # Not modelled: moto does not evaluate key policies; the pending window matters only when
    # the key is deleted.
    _only(
        properties,
        logical_id,
        {
            "Description",
            "EnableKeyRotation",
            "KeyPolicy",
            "PendingWindowInDays",
            "RotationPeriodInDays",
        },
    )
    key = clients["kms"].create_key(Description=properties.get("Description", ""))
    key_id = key["KeyMetadata"]["KeyId"]
    if properties.get("EnableKeyRotation"):
        clients["kms"].enable_key_rotation(
            KeyId=key_id, RotationPeriodInDays=int(properties.get("RotationPeriodInDays", 365))
        )
    return {"Ref": key_id, "Arn": key["KeyMetadata"]["Arn"]}


def _name_function(
    deployment: Deployment, clients: dict[str, Any], logical_id: str, properties: dict[str, Any]
) -> dict[str, str]:
    name = physical_name(logical_id)
    return {"Ref": name, "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"}


def _create_table(
    deployment: Deployment, clients: dict[str, Any], logical_id: str, properties: dict[str, Any]
) -> dict[str, str]:
    _only(
        properties,
        logical_id,
        {
            "AttributeDefinitions",
            "BillingMode",
            "DeletionProtectionEnabled",
            "KeySchema",
            "PointInTimeRecoverySpecification",
            "SSESpecification",
            "TimeToLiveSpecification",
        },
    )
    name = physical_name(logical_id)
    sse = deployment.resolve(properties.get("SSESpecification", {}))
    table = clients["dynamodb"].create_table(
        TableName=name,
        KeySchema=properties["KeySchema"],
        AttributeDefinitions=properties["AttributeDefinitions"],
        BillingMode=properties["BillingMode"],
        DeletionProtectionEnabled=properties.get("DeletionProtectionEnabled", False),
        SSESpecification={
            "Enabled": sse.get("SSEEnabled", False),
            **({"SSEType": sse["SSEType"]} if "SSEType" in sse else {}),
            **({"KMSMasterKeyId": sse["KMSMasterKeyId"]} if "KMSMasterKeyId" in sse else {}),
        },
    )["TableDescription"]
    if "TimeToLiveSpecification" in properties:
        clients["dynamodb"].update_time_to_live(
            TableName=name, TimeToLiveSpecification=properties["TimeToLiveSpecification"]
        )
    if "PointInTimeRecoverySpecification" in properties:
        clients["dynamodb"].update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification=properties["PointInTimeRecoverySpecification"],
        )
    return {"Ref": name, "Arn": table["TableArn"]}


_QUEUE_ATTRIBUTES = {
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "MessageRetentionPeriod",
    "VisibilityTimeout",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
}


def _create_queue(
    deployment: Deployment, clients: dict[str, Any], logical_id: str, properties: dict[str, Any]
) -> dict[str, str]:
    _only(properties, logical_id, _QUEUE_ATTRIBUTES)
    attributes = {
        key: str(deployment.resolve(value))
        for key, value in properties.items()
        if key in _QUEUE_ATTRIBUTES
    }
    name = physical_name(logical_id)
    url = clients["sqs"].create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return {"Ref": url, "Arn": _queue_arn(clients, url), "QueueName": name, "QueueUrl": url}


def _queue_arn(clients: dict[str, Any], url: str) -> str:
    attributes = clients["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


def _create_topic(
    deployment: Deployment, clients: dict[str, Any], logical_id: str, properties: dict[str, Any]
) -> dict[str, str]:
    modelled = {"DisplayName", "KmsMasterKeyId"}
    _only(properties, logical_id, modelled)
    attributes = {
        key: str(deployment.resolve(value)) for key, value in properties.items() if key in modelled
    }
    name = physical_name(logical_id)
    arn = clients["sns"].create_topic(Name=name, Attributes=attributes)["TopicArn"]
    return {"Ref": arn, "TopicArn": arn, "TopicName": name}


def _create_subscription(
    deployment: Deployment, clients: dict[str, Any], logical_id: str, properties: dict[str, Any]
) -> dict[str, str]:
    _only(
        properties,
        logical_id,
        {
            "Endpoint",
            "FilterPolicy",
            "FilterPolicyScope",
            "Protocol",
            "RawMessageDelivery",
            "RedrivePolicy",
            "TopicArn",
        },
    )
    attributes = {}
    if "FilterPolicy" in properties:
        attributes["FilterPolicy"] = json.dumps(properties["FilterPolicy"])
    if "FilterPolicyScope" in properties:
        attributes["FilterPolicyScope"] = properties["FilterPolicyScope"]
    if "RedrivePolicy" in properties:
        attributes["RedrivePolicy"] = json.dumps(deployment.resolve(properties["RedrivePolicy"]))
    if properties.get("RawMessageDelivery"):
        attributes["RawMessageDelivery"] = "true"
    endpoint = deployment.resolve(properties["Endpoint"])
    if properties["Protocol"] != "sqs":  # an SQS queue stands in for email, lambda, https...
        queue_name = physical_name(f"{logical_id}-endpoint")
        url = clients["sqs"].create_queue(QueueName=queue_name)["QueueUrl"]
        deployment.stand_ins[logical_id] = url
        endpoint = _queue_arn(clients, url)
    subscription = clients["sns"].subscribe(
        TopicArn=deployment.resolve(properties["TopicArn"]),
        Protocol="sqs",
        Endpoint=endpoint,
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )
    return {"Ref": subscription["SubscriptionArn"]}


def create_slack_secret(synthesized: Synthesized, secrets_client: Any, webhook_url: str) -> str:
    """The webhook secret the stack imports by name (created outside the stack, as the docs
    tell operators to): the name from the context, the bare URL as its SecretString."""
    name = synthesized.context["slack_secret_name"]
    return str(secrets_client.create_secret(Name=name, SecretString=webhook_url)["ARN"])


def received(sqs_client: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every SNS envelope waiting in a stand-in queue (deleted once read)."""
    envelopes = []
    while True:
        batch = sqs_client.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        if not batch:
            return envelopes
        for message in batch:
            envelopes.append(json.loads(message["Body"]))
            sqs_client.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def sns_lambda_event(envelope: dict[str, Any], subscription_arn: str) -> dict[str, Any]:
    """The event Lambda receives for one SNS message (SNS invokes with one record at a time)."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": envelope["Type"],
                    "MessageId": envelope["MessageId"],
                    "TopicArn": envelope["TopicArn"],
                    "Subject": envelope.get("Subject"),
                    "Message": envelope["Message"],
                    "Timestamp": envelope["Timestamp"],
                    "SignatureVersion": envelope.get("SignatureVersion", "1"),
                    "Signature": envelope.get("Signature", ""),
                    "SigningCertUrl": envelope.get("SigningCertURL", ""),
                    "UnsubscribeUrl": envelope.get("UnsubscribeURL", ""),
                    "MessageAttributes": envelope.get("MessageAttributes", {}),
                },
            }
        ]
    }
