"""Runtime versions of the deployed functions, pinned in one place.

Pure Python (no aws_cdk import) so that the version-drift test stays fast.
``tests/infra/test_infra_versions.py`` fails when POWERTOOLS_VERSION differs from
requirements/lambda.txt.
"""

from __future__ import annotations

POWERTOOLS_VERSION = "3.37.0"
"""aws-lambda-powertools, from the public Powertools layer (same as requirements/lambda.txt)."""

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
