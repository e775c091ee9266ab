"""Builds the app from its context: used by app.py and by the infrastructure tests, so that the
tests synthesize exactly what ``cdk synth`` does."""

from __future__ import annotations

import os

from aws_cdk import App, Environment, Tags

from infra import nag
from infra.settings import Settings
from infra.stack import BedrockJobMonitorStack


def build_app(app: App) -> list[BedrockJobMonitorStack]:
    """One stack per configured region (account from CDK_DEFAULT_ACCOUNT, when known), or one
    region-agnostic stack; the AwsSolutions checks run on every synth."""
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
    nag.add_checks(app)
    return stacks
