"""Posting each message at most once: the dedupe guard port and its Powertools Idempotency
adapter on DynamoDB (imported lazily: the Powertools idempotency utility pulls in boto3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class DedupeGuard(Protocol):
    """Suppresses a second delivery of the same dedupe id within a window."""

    def register_context(self, context: Any) -> None:
        """The Lambda context of the current invocation (a guard may use its remaining time)."""
        ...

    def run_once(
        self, dedupe_id: str, action: Callable[[], dict[str, Any]]
    ) -> tuple[dict[str, Any], bool]:
        """Run ``action`` unless ``dedupe_id`` already succeeded within the window.

        Returns the action's result (or the stored one) and whether this was a duplicate. An
        exception from ``action`` propagates and leaves no record behind."""
        ...


class PowertoolsDedupe:
    """Powertools Idempotency on DynamoDB, keyed on the dedupe id.

    Powertools writes an INPROGRESS item before the action, replaces it with COMPLETED after a
    success, and deletes it when the action raises; so only a delivery that succeeded suppresses
    later copies, for ``window_seconds``. Table: partition key ``id`` (string), TTL on
    ``expiration`` (``names.IDEMPOTENCY_PARTITION_KEY``, ``names.IDEMPOTENCY_TTL_ATTRIBUTE``).
    Item ids are ``<key_prefix>#<hash of the dedupe id>``: the prefix is part of every stored
    record, so changing it forgets the window.
    """

    def __init__(
        self,
        table_name: str,
        window_seconds: int,
        boto3_client: Any = None,
        *,
        key_prefix: str,
    ) -> None:
        from aws_lambda_powertools.utilities.idempotency import (  # noqa: PLC0415 - lazy
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
        )

        self._key_prefix = key_prefix
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
            key_prefix=self._key_prefix,
        )
        result = dict(guarded(request={"dedupeId": dedupe_id}))
        duplicate = bool(result.pop("_duplicate", False))
        return result, duplicate


def _mark_duplicate(response: Any, idempotent_data: Any) -> Any:
    """Powertools calls this only when it answers from a stored (COMPLETED) record."""
    del idempotent_data
    return {**response, "_duplicate": True} if isinstance(response, dict) else response
