"""Runtime versions of the deployed functions, pinned in one place.

Pure Python (no aws_cdk import) so that the version-drift test stays fast.
``tests/infra/test_infra_versions.py`` fails when POWERTOOLS_VERSION differs from
requirements/lambda.txt, and when the SDK the tests run with differs from requirements/sdk.txt.
"""

from __future__ import annotations

POWERTOOLS_VERSION = "3.37.0"
"""aws-lambda-powertools, from the public Powertools layer (same as requirements/lambda.txt)."""

SDK_REQUIREMENTS = "sdk.txt"
"""requirements/sdk.txt: the one pin of the AWS SDK (boto3, botocore and their dependencies) that
every function runs with, from the stack's own layer (``infra.blocks.functions.sdk_layer``), and
that the tests and the local run install (requirements/local.txt includes it)."""


def pins(requirements_text: str) -> dict[str, str]:
    """``name==version`` lines of a requirements file, as {lower-case name: version}; other
    lines (comments, ``-r`` includes) are skipped."""
    found: dict[str, str] = {}
    for raw in requirements_text.splitlines():
        line = raw.split("#", 1)[0].strip()
        name, sep, version = line.partition("==")
        if sep and name and version:
            found[name.strip().lower()] = version.strip()
    return found


PYTHON_VERSION = "3.13"
LAMBDA_ARCHITECTURE = "arm64"
"""Graviton: cheaper per GB-second; the Powertools layer and pip's wheel platform follow it."""

PIP_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


def powertools_layer_parameter() -> str:
    """Public SSM parameter whose value is the Powertools layer version ARN for this runtime."""
    return (
        f"/aws/service/powertools/python/{LAMBDA_ARCHITECTURE}/python{PYTHON_VERSION}/"
        f"{POWERTOOLS_VERSION}"
    )
