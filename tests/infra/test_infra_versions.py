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
