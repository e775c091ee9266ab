"""The webhook URL's secret, read from Secrets Manager through Powertools Parameters (imported
lazily: it pulls in boto3)."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class RefreshableSecret(Protocol):
    """A secret reader with a cache: calling it may answer from the cache, ``fresh()`` reads the
    store itself and refreshes the cache with what it read. The notifier pipeline calls
    ``fresh()`` only after a ``destination.DeadUrlError``; a plain ``Callable[[], object]``
    (no cache) is re-read by calling it again."""

    def __call__(self) -> object: ...

    def fresh(self) -> object: ...


class SecretWebhookUrl:
    """The value of one secret (plain SecretString; a SecretBinary comes back as bytes), cached by
    Powertools Parameters for ``max_age`` seconds. Called on every delivery; the destination
    validates the value (``Destination.validate_url``). A read that fails raises botocore's error
    (after its own retries) and caches nothing, so the next call reads again.

    ``fresh()`` reads Secrets Manager whatever the cache holds (Powertools ``force_fetch=True``)
    and caches the value read for another ``max_age`` seconds: after a dead-URL answer a replaced
    URL is used at once, and by the following calls too.
    """

    def __init__(self, secret_arn: str, max_age: int, boto3_client: Any = None) -> None:
        self._secret_arn = secret_arn
        self._max_age = max_age
        self._client = boto3_client
        self._provider: Any = None

    def __call__(self) -> object:
        return self._read(force_fetch=False)

    def fresh(self) -> object:
        return self._read(force_fetch=True)

    def _read(self, *, force_fetch: bool) -> object:
        if self._provider is None:
            from aws_lambda_powertools.utilities.parameters import SecretsProvider  # noqa: PLC0415 - lazy

            self._provider = SecretsProvider(boto3_client=self._client)
        value: object = self._provider.get(
            self._secret_arn, max_age=self._max_age, force_fetch=force_fetch
        )
        return value
