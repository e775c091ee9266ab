"""The one place that builds adapters and connects them to the ports: the monitor's (scheduled run
and real-time path), the daily digest's and the notifiers'.

Used by the Lambda handlers, the local demo and the tests, so all of them run the same code. The
handlers create the boto3 clients (``aws_clients``) on their first invocation, never at import,
and pass them here; tests and the demo pass clients pointed at the simulated account.

``job_clients`` maps (service, region) to a client: one per region and per service that an
enabled kind needs (``JobKind.service``: ``bedrock`` for the control-plane kinds; a kind served by
``bedrock-agent`` or ``bedrock-runtime`` adds that client, nothing else).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from job_monitor.adapters.dynamo_codec import state_partition
from job_monitor.adapters.job_source import BedrockJobSource, job_client_config
from job_monitor.adapters.journal import DynamoJournal, read_journal
from job_monitor.adapters.sdk_session import sdk_session
from job_monitor.adapters.sdk_support import (
    check_operations,
    loaded_sdk_version,
    operations_from_clients,
)
from job_monitor.adapters.sns import SnsPublisher
from job_monitor.adapters.state_store import DynamoStateStore
from job_monitor.config import MonitorSettings, NotifierSettings
from job_monitor.domain.kinds import JobKind
from job_monitor.monitor import Monitor, utc_now
from job_monitor.poll.budget import RemainingSeconds
from job_monitor.poll.kind import Clock
from job_monitor.ports import Journal, RegionScope

if TYPE_CHECKING:
    from job_monitor.digest.run import DigestSender
    from job_monitor.notifiers.destination import Destination
    from job_monitor.notifiers.pipeline import Notifier

JobClients = Mapping[tuple[str, str], Any]
"""boto3 clients by (service name, region), e.g. ``("bedrock", "us-east-1")``."""


def services(kinds: Iterable[JobKind]) -> tuple[str, ...]:
    """The client services the kinds need, in registry order, each once (an event-only kind
    needs none: its job is read from the event)."""
    return tuple(dict.fromkeys(kind.service for kind in kinds if kind.polled))


def tag_services(kinds: Iterable[JobKind], tag_keys: Iterable[str]) -> tuple[str, ...]:
    """The client services the kinds' tags are read with (``JobKind.tag_source``), each once;
    none when no tag key is published. An async invocation's tags need the ``bedrock`` client
    even when no control-plane kind is monitored."""
    if not tuple(tag_keys):
        return ()
    return tuple(
        dict.fromkeys(k.tag_source.service for k in kinds if k.polled and k.tag_source is not None)
    )


def client_services(settings: MonitorSettings) -> tuple[str, ...]:
    """Every client service one region needs: the kinds' (``services``), then the tags'."""
    kinds = settings.kinds
    return tuple(dict.fromkeys((*services(kinds), *tag_services(kinds, settings.tag_keys))))


SCAN_WORKERS = 10
"""Threads making a region's account-wide scans concurrently (``poll.run``): botocore's default
connection pool per client (``max_pool_connections``) is 10, so no request waits for a
connection. The calls stay within Bedrock's per-operation rate quotas: each kind's list is its own
operation, called once per scan."""


def build_monitor(
    settings: MonitorSettings,
    *,
    job_clients: JobClients,
    dynamodb: Any,
    sns: Any,
    journal: Journal | None = None,
    clock: Clock = utc_now,
    remaining_seconds: RemainingSeconds | None = None,
    scan_workers: int = SCAN_WORKERS,
) -> Monitor:
    """The monitor with its adapters. ``journal`` defaults to the state table's journal when
    ``settings.daily_digest`` is on. ``scan_workers``: threads for a region's concurrent scans
    (``SCAN_WORKERS``; 1 makes every request on the calling thread, as the benchmark does to
    measure the monitor's CPU, ``sim.bench``). Raises ValueError naming any (service, region)
    without a client."""
    needed = [(s, r) for r in settings.regions for s in client_services(settings)]
    missing = [f"{s} in {r}" for s, r in needed if (s, r) not in job_clients]
    if missing:
        raise ValueError(f"no client for {', '.join(missing)}")
    partition, account = _partition_account(settings.topic_arn)
    regions = []
    for region in settings.regions:
        sources = {
            service: BedrockJobSource(
                job_clients[(service, region)], account=account, partition=partition
            )
            for service in client_services(settings)
        }
        tag_readers = {s: sources[s] for s in tag_services(settings.kinds, settings.tag_keys)}
        regions.append(
            RegionScope(
                name=region,
                sources=sources,
                store=region_store(settings, dynamodb, region),
                tag_readers=tag_readers,
            )
        )
    return Monitor(
        settings,
        regions,
        SnsPublisher(sns, settings.topic_arn),
        journal=journal
        or (DynamoJournal(dynamodb, settings.table_name) if settings.daily_digest else None),
        clock=clock,
        remaining_seconds=remaining_seconds,
        scan_workers=scan_workers,
    )


def _partition_account(topic_arn: str) -> tuple[str, str]:
    """The monitor's partition and account, from its topic's ARN (``arn:aws:sns:<region>:<account>
    :<name>``): the identities of parent-scoped jobs are made with them."""
    parts = topic_arn.split(":")
    return (parts[1], parts[4]) if len(parts) > 4 else ("aws", "")


def build_digest_sender(settings: MonitorSettings, *, dynamodb: Any, sns: Any) -> DigestSender:
    """The daily digest with its adapters: the journal reader, each watched region's state store
    (running jobs) and the topic."""
    from job_monitor.digest.run import DigestSender  # noqa: PLC0415 - digest Lambda only

    return DigestSender(
        settings,
        read_journal=lambda start, end: read_journal(dynamodb, settings.table_name, start, end),
        stores={region: region_store(settings, dynamodb, region) for region in settings.regions},
        publisher=SnsPublisher(sns, settings.topic_arn),
    )


def region_store(settings: MonitorSettings, dynamodb: Any, region: str) -> DynamoStateStore:
    return DynamoStateStore(
        dynamodb,
        settings.table_name,
        partition=state_partition(region, settings.home_region),
    )


def aws_clients(settings: MonitorSettings, session: Any = None) -> dict[str, Any]:
    """Default clients: a job client per (service, region) the enabled kinds need, with adaptive
    retries, and the state table's and the topic's (``state_and_topic_clients``).

    Raises ``adapters.sdk_support.SdkTooOld`` when the loaded SDK lacks a service or an operation
    that an enabled kind calls (``JobKind.operations``), naming the kind, the service, the
    operation and the botocore version: the handlers build their clients once per execution
    environment, so this is checked at cold start, before any poll.

    The default session (``adapters.sdk_session``) parses response timestamps with the standard
    library (most of a list page's parsing time otherwise) and sends a fixed User-Agent (botocore
    builds its own twice per request)."""
    session = session or sdk_session()
    known_services = frozenset(session.get_available_services())
    job_clients = {
        (service, region): session.client(service, region_name=region, config=job_client_config())
        for region in settings.regions
        for service in client_services(settings)
        if service in known_services  # an unknown one is reported by the check below
    }
    check_operations(
        settings.kinds, known_services, operations_from_clients(job_clients), loaded_sdk_version()
    )
    return {"job_clients": job_clients, **state_and_topic_clients(session)}


VALIDATE_STATE_AND_TOPIC_REQUESTS = False
"""Whether the DynamoDB and SNS clients check each request against botocore's service model
before sending it (botocore ``Config.parameter_validation``, documented as a switch "for
performance reasons"). Off: a busy run's TransactWriteItems and PublishBatch requests (50 items
of nested attribute maps each) spend about 0.17 s of CPU in the check on a laptop core, about
1.1 s of Lambda at 256 MB (``sim.bench``), more than the monitor's own code. The requests are
built by ``adapters.state_store`` and ``adapters.sns`` alone, and the tests send them through
clients that do validate (``sim.local.local_account``); DynamoDB and SNS still validate every
request, so a malformed one fails as a ``ClientError`` (ValidationException), which the adapters
already handle like any other refusal, instead of a local ``ParamValidationError``."""


def state_and_topic_clients(session: Any = None) -> dict[str, Any]:
    """DynamoDB and SNS in the function's own region, with standard retries and without
    botocore's client-side parameter validation (``VALIDATE_STATE_AND_TOPIC_REQUESTS``)."""
    from botocore.config import Config  # noqa: PLC0415

    session = session or sdk_session()
    standard = Config(
        retries={"mode": "standard", "max_attempts": 5},
        parameter_validation=VALIDATE_STATE_AND_TOPIC_REQUESTS,
    )
    return {
        "dynamodb": session.client("dynamodb", config=standard),
        "sns": session.client("sns", config=standard),
    }


def build_notifier(
    settings: NotifierSettings,
    destination: Destination,
    *,
    secrets_client: Any = None,
    dynamodb_client: Any = None,
) -> Notifier:
    """The notifier with its real adapters: the webhook URL from Secrets Manager
    (``notifiers.secret``; cached for ``secret_max_age_seconds``, read again bypassing the cache
    only after a dead-URL answer), dedupe records in the idempotency table (``notifiers.dedupe``;
    item ids prefixed ``<destination type>-notifier``, e.g. ``slack-notifier``). Clients default
    to new boto3 clients, created by the adapters on first use (the first invocation), never at
    import."""
    # The notifier Lambda's modules only: the monitor's cold start does not load them.
    from job_monitor.notifiers.dedupe import PowertoolsDedupe  # noqa: PLC0415
    from job_monitor.notifiers.pipeline import Notifier  # noqa: PLC0415
    from job_monitor.notifiers.secret import SecretWebhookUrl  # noqa: PLC0415

    return Notifier(
        settings=settings,
        destination=destination,
        webhook_url=SecretWebhookUrl(
            settings.secret_arn, settings.secret_max_age_seconds, secrets_client
        ),
        dedupe=PowertoolsDedupe(
            settings.idempotency_table_name,
            settings.idempotency_window_seconds,
            dynamodb_client,
            key_prefix=f"{destination.type_name}-notifier",
        ),
    )
