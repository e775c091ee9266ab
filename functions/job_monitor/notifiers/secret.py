"""The webhook URL's secret, read from Secrets Manager through Powertools Parameters (imported
lazily: it pulls in boto3)."""

from __future__ import annotations

from typing import Any


class SecretWebhookUrl:
    """The value of one secret (plain SecretString; a SecretBinary comes back as bytes), cached by
    Powertools Parameters for ``max_age`` seconds. Called on every delivery; the destination
    validates the value (``Destination.validate_url``). A read that fails raises botocore's error
    (after its own retries) and caches nothing, so the next call reads again.
    """

    def __init__(self, secret_arn: str, max_age: int, boto3_client: Any = None) -> None:
        self._secret_arn = secret_arn
        self._max_age = max_age
        self._client = boto3_client
        self._provider: Any = None

    def __call__(self) -> object:
        if self._provider is None:
            from aws_lambda_powertools.utilities.parameters import SecretsProvider  # noqa: PLC0415 - lazy

            self._provider = SecretsProvider(boto3_client=self._client)
        value: object = self._provider.get(self._secret_arn, max_age=self._max_age)
        return value
