"""Builds the app from its context: used by app.py and by the infrastructure tests, so that the
tests synthesize exactly what ``cdk synth`` does."""

from __future__ import annotations

import os

from aws_cdk import Annotations, App, Environment, Tags

from infra import nag
from infra.settings import Settings
from infra.stack import BedrockJobMonitorStack

SETTINGS_WARNING_ID = "bedrock-job-monitor:settings"
"""Id of the CDK annotation warnings that ``Settings.warnings`` become (one per warning)."""


def build_app(app: App) -> list[BedrockJobMonitorStack]:
    """One stack per configured region (account from CDK_DEFAULT_ACCOUNT, when known), or one
    region-agnostic stack; the AwsSolutions checks run on every synth. ``Settings.warnings``
    become annotation warnings on every stack (the CLI prints them; ``app.py`` prints them too)."""
    settings = Settings.from_context(app.node)
    if settings.regions:
        account = os.environ.get("CDK_DEFAULT_ACCOUNT")
        stacks = [
            BedrockJobMonitorStack(
                app,
                f"{settings.stack_name}-{region}",
                settings=settings,
                env=Environment(account=account, region=region),
                description="Bedrock Job Monitor: reports Amazon Bedrock job status transitions",
            )
            for region in settings.regions
        ]
    else:
        stacks = [
            BedrockJobMonitorStack(
                app,
                settings.stack_name,
                settings=settings,
                description="Bedrock Job Monitor: reports Amazon Bedrock job status transitions",
            )
        ]
    for stack in stacks:
        Tags.of(stack).add("project", "bedrock-job-monitor")
        for warning in settings.warnings():
            Annotations.of(stack).add_warning_v2(SETTINGS_WARNING_ID, warning)
    nag.add_checks(app)
    return stacks
