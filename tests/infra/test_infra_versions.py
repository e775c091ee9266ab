"""The deployed runtime dependencies are the ones the requirements files pin."""

from __future__ import annotations

import re

from infra import REQUIREMENTS_DIR, versions


def pinned(requirements_file: str, package: str) -> str:
    text = (REQUIREMENTS_DIR / requirements_file).read_text()
    match = re.search(rf"^{re.escape(package)}==([^\s#;]+)", text, flags=re.MULTILINE)
    assert match, f"{package} is not pinned with == in requirements/{requirements_file}"
    return match.group(1)


def test_powertools_layer_version_matches_requirements() -> None:
    # The layer gives the functions Powertools at run time; requirements/lambda.txt gives it to
    # the tests and the local run. They must be the same release.
    assert pinned("lambda.txt", "aws-lambda-powertools") == versions.POWERTOOLS_VERSION


def test_layer_parameter_names_version_runtime_and_architecture() -> None:
    assert versions.powertools_layer_parameter() == (
        f"/aws/service/powertools/python/{versions.LAMBDA_ARCHITECTURE}/"
        f"python{versions.PYTHON_VERSION}/{versions.POWERTOOLS_VERSION}"
    )


def test_notifier_bundle_requirements_are_pinned() -> None:
    assert pinned("notifier.txt", "slack-sdk")


def test_the_sdk_the_tests_run_with_is_the_one_the_layer_pins() -> None:
    # requirements/sdk.txt is the one pin: the stack's SDK layer bundles it, and the tests (and
    # the local run) install it through requirements/local.txt. Every package of it, dependencies
    # included, must be what this interpreter has loaded.
    from importlib.metadata import version

    pins = versions.pins((REQUIREMENTS_DIR / versions.SDK_REQUIREMENTS).read_text())
    assert {"boto3", "botocore"} <= set(pins)
    assert {package: version(package) for package in pins} == pins
    assert "-r sdk.txt" in (REQUIREMENTS_DIR / "local.txt").read_text().splitlines()


def test_requirement_pins_are_read_by_name_and_version_only() -> None:
    text = "# comment\n-r other.txt\nBoto3==1.2.3  # why\nbotocore==1.2.3\nloose>=1\n"
    assert versions.pins(text) == {"boto3": "1.2.3", "botocore": "1.2.3"}
