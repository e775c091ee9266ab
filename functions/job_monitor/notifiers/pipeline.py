"""The Slack notifier's logic: one SNS record in, at most one Slack post out.

For each record: read the contract (``message.parse``), drop it if the job name does not match the
configured pattern, and post it through a dedupe guard so that the same ``dedupeId`` is posted once
within the window. The collaborators are small ports (where the webhook URL comes from, how a
message is posted, how duplicates are suppressed) so tests can swap any of them; ``build_notifier``
wires the real ones (Secrets Manager through Powertools Parameters, slack_sdk, Powertools
Idempotency on DynamoDB) and imports them only when called, which keeps the handler's import
short: the imports marked "lazy" are deliberate (slack_sdk and the Powertools utilities that pull
in boto3 cost about 0.3 s).

Failures are isolated per record and reported together at the end; a failed post leaves no
idempotency record, so SNS's retry posts it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from job_monitor.config import NotifierSettings
from job_monitor.contracts.transition import ContractError, parse
from job_monitor.digest.build import is_digest, parse_digest
from job_monitor.notifiers.slack.blocks import SlackMessage, slack_message
from job_monitor.notifiers.slack.digest_blocks import slack_digest_message

if TYPE_CHECKING:
    from ssl import SSLContext

    from job_monitor.notifiers.slack.webhook import RetryPolicy

IDEMPOTENCY_KEY_PREFIX = "slack-notifier"


class Outcome(StrEnum):
    POSTED = "posted"
    DUPLICATE = "duplicate"
    FILTERED = "filtered"
    FAILED = "failed"


class DedupeGuard(Protocol):
    def register_context(self, context: Any) -> None: ...

    def run_once(
        self, dedupe_id: str, action: Callable[[], dict[str, Any]]
    ) -> tuple[dict[str, Any], bool]:
        """Run ``action`` unless ``dedupe_id`` already succeeded within the window.

        Returns the action's result (or the stored one) and whether this was a duplicate. An
        exception from ``action`` propagates and leaves no record behind."""
        ...


@dataclass(frozen=True)
class RecordResult:
    message_id: str
    outcome: Outcome
    dedupe_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class BatchResult:
    results: tuple[RecordResult, ...]
    errors: tuple[BaseException, ...] = field(default=())

    @property
    def failed(self) -> tuple[RecordResult, ...]:
        return tuple(r for r in self.results if r.outcome is Outcome.FAILED)


class NotifyError(RuntimeError):
    """At least one record was not delivered; raised so SNS retries the invocation."""


class SlackNotifier:
    def __init__(
        self,
        *,
        settings: NotifierSettings,
        webhook_url: Callable[[], str],
        post: Callable[[str, SlackMessage], object],
        dedupe: DedupeGuard,
    ) -> None:
        self.settings = settings
        self._webhook_url = webhook_url
        self._post = post
        self._dedupe = dedupe

    def register_context(self, context: Any) -> None:
        self._dedupe.register_context(context)

    def handle(self, message_id: str, body: str | None) -> RecordResult:
        """One SNS message body. Raises on a bad body or a failed post."""
        if body is None:
            raise ContractError("the SNS record has no message body")
        if is_digest(body):
            # The daily digest: posted whole (the job-name pattern selects transitions only).
            digest = parse_digest(body)
            return self._post_once(message_id, digest.dedupe_id, slack_digest_message(digest))
        notification = parse(body)
        pattern = self.settings.job_name_pattern
        if pattern is not None and not pattern.search(notification.job_name):
            return RecordResult(message_id, Outcome.FILTERED, notification.dedupe_id)
        message = slack_message(notification, mention=self.settings.mention)
        return self._post_once(message_id, notification.dedupe_id, message)

    def _post_once(self, message_id: str, dedupe_id: str, message: SlackMessage) -> RecordResult:
        def post_once() -> dict[str, Any]:
            # The secret is read here, not earlier: a duplicate or a filtered record needs none.
            self._post(self._webhook_url(), message)
            return {"posted": True, "dedupeId": dedupe_id}

        _, duplicate = self._dedupe.run_once(dedupe_id, post_once)
        outcome = Outcome.DUPLICATE if duplicate else Outcome.POSTED
        return RecordResult(message_id, outcome, dedupe_id)

    def handle_all(self, records: Iterable[tuple[str, str | None]]) -> BatchResult:
        """Every ``(message_id, body)``; a failure does not stop the others."""
        results: list[RecordResult] = []
        errors: list[BaseException] = []
        for message_id, body in records:
            try:
                results.append(self.handle(message_id, body))
            except Exception as exc:
                errors.append(exc)
                results.append(
                    RecordResult(message_id, Outcome.FAILED, error=f"{type(exc).__name__}: {exc}")
                )
        return BatchResult(tuple(results), tuple(errors))


# ---------------------------------------------------------------------------------------------
# Real adapters, imported lazily.


class PowertoolsDedupe:
    """Powertools Idempotency on DynamoDB, keyed on the dedupe id.

    Powertools writes an INPROGRESS item before the action, replaces it with COMPLETED after a
    success, and deletes it when the action raises; so only a post that succeeded suppresses later
    copies, for ``window_seconds``. Table: partition key ``id`` (string), TTL on ``expiration``.
    """

    def __init__(self, table_name: str, window_seconds: int, boto3_client: Any = None) -> None:
        from aws_lambda_powertools.utilities.idempotency import (  # noqa: PLC0415 - lazy
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
        )

        self._layer = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=boto3_client)
        self._config = IdempotencyConfig(
            event_key_jmespath="dedupeId",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=window_seconds,
            response_hook=_mark_duplicate,
        )

    def register_context(self, context: Any) -> None:
        if context is not None and hasattr(context, "get_remaining_time_in_millis"):
            self._config.register_lambda_context(context)

    def run_once(
        self, dedupe_id: str, action: Callable[[], dict[str, Any]]
    ) -> tuple[dict[str, Any], bool]:
        from aws_lambda_powertools.utilities.idempotency import idempotent_function  # noqa: PLC0415 - lazy

        def deliver(*, request: dict[str, Any]) -> dict[str, Any]:
            return action()

        guarded = idempotent_function(
            deliver,
            data_keyword_argument="request",
            persistence_store=self._layer,
            config=self._config,
            key_prefix=IDEMPOTENCY_KEY_PREFIX,
        )
        result = dict(guarded(request={"dedupeId": dedupe_id}))
        duplicate = bool(result.pop("_duplicate", False))
        return result, duplicate


def _mark_duplicate(response: Any, idempotent_data: Any) -> Any:
    """Powertools calls this only when it answers from a stored (COMPLETED) record."""
    del idempotent_data
    return {**response, "_duplicate": True} if isinstance(response, dict) else response


class SecretWebhookUrl:
    """The webhook URL from Secrets Manager (plain SecretString), cached by Powertools Parameters
    for ``max_age`` seconds and validated on every read (errors never quote the value)."""

    def __init__(self, secret_arn: str, max_age: int, boto3_client: Any = None) -> None:
        self._secret_arn = secret_arn
        self._max_age = max_age
        self._client = boto3_client
        self._provider: Any = None

    def __call__(self) -> str:
        from job_monitor.notifiers.slack.webhook import validate_webhook_url  # noqa: PLC0415 - lazy

        if self._provider is None:
            from aws_lambda_powertools.utilities.parameters import SecretsProvider  # noqa: PLC0415 - lazy

            self._provider = SecretsProvider(boto3_client=self._client)
        value = self._provider.get(self._secret_arn, max_age=self._max_age)
        return validate_webhook_url(value)


def build_notifier(
    settings: NotifierSettings,
    *,
    secrets_client: Any = None,
    dynamodb_client: Any = None,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    ssl_context: SSLContext | None = None,
) -> SlackNotifier:
    """The notifier with its real adapters. Clients default to new boto3 clients, created here
    (on the first invocation), never at import."""

    def post(url: str, message: SlackMessage) -> object:
        from job_monitor.notifiers.slack.webhook import SlackWebhook  # noqa: PLC0415 - lazy

        return SlackWebhook(url, policy=policy, sleep=sleep, ssl_context=ssl_context).post(message)

    return SlackNotifier(
        settings=settings,
        webhook_url=SecretWebhookUrl(
            settings.secret_arn, settings.secret_max_age_seconds, secrets_client
        ),
        post=post,
        dedupe=PowertoolsDedupe(
            settings.idempotency_table_name, settings.idempotency_window_seconds, dynamodb_client
        ),
    )
