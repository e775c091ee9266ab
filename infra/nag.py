"""cdk-nag: the AwsSolutions pack runs as a validation plugin on every synth, and findings that are
accepted are acknowledged here, one finding at a time, each with its reason."""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, App, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

MIN_REASON_LENGTH = 20
PLUGIN = "AwsSolutions"
"""Acknowledgement ids are ``<plugin>::<rule>[<finding>]``, as the validation report prints them."""


def add_checks(app: App) -> None:
    """Unacknowledged findings make synth fail (report: <outdir>/validation-report.json)."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, rule: str, reason: str, *, finding: str | None = None) -> None:
    """Accept ``rule`` (e.g. ``AwsSolutions-IAM5``), or only one of its findings (``finding``,
    e.g. ``Resource::*``), on ``scope`` and everything under it."""
    if len(reason.strip()) < MIN_REASON_LENGTH:
        raise ValueError(f"acknowledging {rule} needs a specific reason, got {reason!r}")
    rule_id = f"{PLUGIN}::{rule}[{finding}]" if finding else f"{PLUGIN}::{rule}"
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def resource_finding(scope: IConstruct, value: str) -> str:
    """The ``Resource::...`` finding id cdk-nag reports for a (possibly tokenized) resource:
    intrinsics are rendered as ``<AWS::Region>`` / ``<Logical.Arn>``, as cdk-nag does."""
    return "Resource::" + _render(Stack.of(scope).resolve(value))


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_render(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    raise ValueError(f"cannot render {value!r} as a cdk-nag finding")
