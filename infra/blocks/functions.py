"""A Python Lambda function with its own role and log group, the code assets it runs, and what
happens to an asynchronous invocation that keeps failing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra import FUNCTIONS_DIR, REQUIREMENTS_DIR, nag, names, versions
from infra.blocks.removal import removal_policy
from infra.bundling import PipInstallLocally
from infra.constructs.encryption import EncryptionKey
from infra.settings import Settings

RUNTIME: lambda_.Runtime = getattr(
    lambda_.Runtime, "PYTHON_" + versions.PYTHON_VERSION.replace(".", "_")
)
ARCHITECTURE = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}[
    versions.LAMBDA_ARCHITECTURE
]

_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def log_retention(days: int) -> logs.RetentionDays:
    """CDK's retention for ``days`` (one of ``infra.settings.LOG_RETENTION_DAYS``); KeyError for
    any other number."""
    return _RETENTION[days]


def monitor_code() -> lambda_.Code:
    """The functions/ directory as is: the monitor's code needs only the SDK layer and the
    Powertools layer, so its asset needs no bundling."""
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR), exclude=["**/__pycache__", "**/*.pyc", "**/.mypy_cache"]
    )


def powertools_layer(scope: Construct) -> lambda_.ILayerVersion:
    """The public Powertools layer for this runtime and architecture, pinned to
    ``versions.POWERTOOLS_VERSION``. The ARN comes from a public SSM parameter that CloudFormation
    resolves at deploy time (an ``AWS::SSM::Parameter::Value<String>`` parameter), so synth needs
    no AWS access and each region gets its own layer ARN."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child("PowertoolsLayer")
    if existing is not None:  # one import per stack, shared by the functions
        return existing  # type: ignore[return-value]
    arn = ssm.StringParameter.value_for_string_parameter(
        stack, versions.powertools_layer_parameter()
    )
    return lambda_.LayerVersion.from_layer_version_arn(stack, "PowertoolsLayer", arn)


def sdk_pins() -> dict[str, str]:
    """What the SDK layer bundles: requirements/sdk.txt's pins, {package: version}."""
    return versions.pins((REQUIREMENTS_DIR / versions.SDK_REQUIREMENTS).read_text())


def sdk_layer(scope: Construct) -> lambda_.ILayerVersion:
    """The AWS SDK every function runs with (construct ``SdkLayer``, one per stack, shared):
    requirements/sdk.txt installed into the layer's ``python/`` as wheels for the functions'
    platform, without Docker (``bundling.PipInstallLocally``). Lambda puts a layer's ``python/``
    on the path before the runtime's own boto3, which lags behind releases, so a kind whose
    operations only a newer botocore has works as the tests showed it. The asset hash is the
    bundled output's: every package is pinned and nothing machine-specific is kept, so it
    changes only when requirements/sdk.txt does. Synth needs PyPI (or a mirror) for it."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child("SdkLayer")
    if existing is not None:
        return existing  # type: ignore[return-value]
    pinned = sdk_pins()
    return lambda_.LayerVersion(
        stack,
        "SdkLayer",
        code=lambda_.Code.from_asset(
            str(REQUIREMENTS_DIR),
            asset_hash_type=AssetHashType.OUTPUT,
            bundling=BundlingOptions(
                # Never pulled: the local bundler either bundles or fails the synth.
                image=DockerImage.from_registry(
                    f"public.ecr.aws/sam/build-python{versions.PYTHON_VERSION}"
                ),
                local=PipInstallLocally(
                    None,
                    REQUIREMENTS_DIR / versions.SDK_REQUIREMENTS,
                    target_subdir="python",
                    what_to_skip=" Every function needs this layer (the AWS SDK it runs with).",
                ),
            ),
        ),
        compatible_runtimes=[RUNTIME],
        compatible_architectures=[ARCHITECTURE],
        description=(
            f"AWS SDK for the Bedrock Job Monitor: boto3 {pinned['boto3']}, botocore "
            f"{pinned['botocore']} (requirements/{versions.SDK_REQUIREMENTS})"
        ),
    )


class PythonFunction(Construct):
    """A Python Lambda function with its own role (no AWS managed policies) and its own log
    group with a retention (``settings.log_retention_days``). The role may only write to that log
    group. Its layers: Powertools, then the stack's SDK layer (``sdk_layer``). The environment
    gets the Powertools service name, metric namespace and log level.

    Attributes: ``function``, ``role``, ``log_group``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        description: str,
        code: lambda_.Code,
        handler: str,
        service_name: str,
        environment: Mapping[str, str],
        timeout: Duration,
        memory_size: int = 256,
        reserved_concurrent_executions: int | None = None,
        extra_layers: Sequence[lambda_.ILayerVersion] = (),
        **function_props: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=log_retention(settings.log_retention_days),
            removal_policy=removal_policy(settings.retain_on_delete),
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role: {description}",
        )
        self.log_group.grant_write(self.role)
        nag.acknowledge(
            self,
            "AwsSolutions-L1",
            f"Runtime pinned to python{versions.PYTHON_VERSION} on purpose (infra/versions.py): "
            "the Powertools layer ARN and the bundled wheels are selected for this exact runtime, "
            "and the code is tested on it; upgrade the pin and the layer together.",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=code,
            handler=handler,
            role=self.role,
            log_group=self.log_group,
            timeout=timeout,
            memory_size=memory_size,
            reserved_concurrent_executions=reserved_concurrent_executions,
            # The SDK layer last: layers are extracted in order, so its boto3 wins.
            layers=[powertools_layer(self), *extra_layers, sdk_layer(self)],
            environment={
                "POWERTOOLS_SERVICE_NAME": service_name,
                "POWERTOOLS_METRICS_NAMESPACE": names.METRIC_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": settings.log_level,
                **environment,
            },
            **function_props,
        )


@jsii.implements(lambda_.IDestination)
class QueueDestination:
    """On-failure destination that grants the function exactly sqs:SendMessage and the key's
    envelope actions (``aws_lambda_destinations.SqsDestination`` grants wildcard KMS actions)."""

    def __init__(self, queue: sqs.IQueue, key: EncryptionKey) -> None:
        self._queue = queue
        self._key = key

    def bind(
        self, _scope: Construct, fn: lambda_.IFunction, _options: object = None
    ) -> lambda_.DestinationConfig:
        iam.Grant.add_to_principal(
            grantee=fn, actions=["sqs:SendMessage"], resource_arns=[self._queue.queue_arn]
        )
        self._key.grant_envelope_use(fn)
        return lambda_.DestinationConfig(destination=self._queue.queue_arn)


ASYNC_RETRY_ATTEMPTS = 2
"""Lambda's retries of an asynchronous invocation that raised, before it is kept in a queue."""


def retried_then_kept(
    queue: sqs.IQueue, key: EncryptionKey, *, max_event_age: Duration
) -> dict[str, Any]:
    """Function props for an asynchronously invoked function: Lambda retries a failed
    invocation, then sends it (payload and error) to ``queue`` (an alarmed, encrypted queue)."""
    return {
        "retry_attempts": ASYNC_RETRY_ATTEMPTS,
        "max_event_age": max_event_age,
        "on_failure": QueueDestination(queue, key),
    }
