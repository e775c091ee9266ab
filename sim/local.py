"""An embedded, simulated AWS account for the local demo and the tests.

moto provides DynamoDB, SNS and SQS; ``BedrockSimulator`` provides Bedrock. The monitor runs
unchanged against it: the same ``build_monitor`` wiring as the Lambda handler, with real boto3
clients whose requests never leave the process. A ``drain()`` shows what was published (body,
subject, message attributes), as a subscriber would receive it.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.config import Config
from moto import mock_aws

from job_monitor.adapters.sdk_session import sdk_session
from job_monitor.config import MonitorSettings
from job_monitor.domain.kinds import DEFAULT_KINDS, resolve_kinds
from job_monitor.monitor import Monitor
from job_monitor.wiring import SCAN_WORKERS, build_monitor, services, tag_services
from sim import moto_transactions
from sim.bedrock import BedrockSimulator
from sim.parents import ParentScopedSimulator

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
TABLE_NAME = "bedrock-job-monitor-state"
TOPIC_NAME = "bedrock-job-monitor-transitions"


class ManualClock:
    """A clock that moves only when told to, so runs are deterministic."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass(frozen=True)
class Delivered:
    """One message as an SNS subscriber received it."""

    subject: str
    body: dict[str, Any]
    attributes: dict[str, str]

    @property
    def transition(self) -> tuple[str, str | None, str]:
        return (self.body.get("jobName", ""), self.body.get("previousStatus"), self.body["status"])


@dataclass
class LocalAccount:
    clock: ManualClock
    bedrock: BedrockSimulator
    clients: dict[str, Any]
    topic_arn: str
    requests: Counter[str] = field(default_factory=Counter)
    """AWS requests by ``service.Operation`` (retries of one call count once)."""
    _drained: int = 0
    _regions: dict[str, BedrockSimulator] = field(default_factory=dict)
    _region_clients: dict[tuple[str, str], Any] = field(default_factory=dict)
    _parents: dict[str, ParentScopedSimulator] = field(default_factory=dict)
    _agent_clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    def settings(self, **overrides: Any) -> MonitorSettings:
        base = MonitorSettings(
            table_name=TABLE_NAME,
            topic_arn=self.topic_arn,
            kinds=resolve_kinds(DEFAULT_KINDS),
            home_region=REGION,
        )
        return replace(base, **overrides)

    def monitor(
        self,
        settings: MonitorSettings | None = None,
        remaining_seconds: Callable[[], float] | None = None,
        scan_workers: int = SCAN_WORKERS,
    ) -> Monitor:
        settings = settings or self.settings()
        return build_monitor(
            settings,
            job_clients={
                **{
                    (service, region): self.job_client(service, region)
                    for region in settings.regions
                    for service in (
                        *services(k for k in settings.kinds if not k.parents),
                        *tag_services(
                            [k for k in settings.kinds if not k.parents], settings.tag_keys
                        ),
                    )
                },
                **self._parent_clients(settings),
            },
            dynamodb=self.clients["dynamodb"],
            sns=self.clients["sns"],
            clock=self.clock,
            remaining_seconds=remaining_seconds,
            scan_workers=scan_workers,
        )

    @property
    def parents(self) -> ParentScopedSimulator:
        """Knowledge bases and Automated Reasoning policies of the home region (sim/parents.py);
        made on first use."""
        return self.parents_in(REGION)

    def parents_in(self, region: str) -> ParentScopedSimulator:
        if region not in self._parents:
            self._parents[region] = ParentScopedSimulator(region, ACCOUNT_ID, clock=self.clock)
        return self._parents[region]

    def _parent_clients(self, settings: MonitorSettings) -> dict[tuple[str, str], Any]:
        """The clients of the parent-scoped kinds in ``settings``, per watched region: the
        ``bedrock`` client also answers the Automated Reasoning operations, a ``bedrock-agent``
        client the knowledge-base ones."""
        clients: dict[tuple[str, str], Any] = {}
        for region in settings.regions:
            for service in sorted({k.service for k in settings.kinds if k.parents}):
                if service == "bedrock":
                    client = self.bedrock_client(region)
                elif (service, region) in self._agent_clients:
                    client = self._agent_clients[(service, region)]
                else:
                    client = sdk_session(region).client(service)
                    self._agent_clients[(service, region)] = client
                clients[(service, region)] = self.parents_in(region).attach(client)
        return clients

    def simulator(self, region: str = REGION) -> BedrockSimulator:
        """Bedrock in ``region`` (the home region's is ``self.bedrock``); made on first use."""
        if region == REGION:
            return self.bedrock
        if region not in self._regions:
            self._regions[region] = BedrockSimulator(
                account_id=ACCOUNT_ID, region=region, clock=self.clock
            )
        return self._regions[region]

    def bedrock_client(self, region: str = REGION) -> Any:
        return self.job_client("bedrock", region)

    def job_client(self, service: str, region: str = REGION) -> Any:
        """A client of ``service`` (``bedrock``, ``bedrock-runtime``) answered by the region's
        simulator; one per (service, region)."""
        if (service, region) == ("bedrock", REGION):
            return self.clients["bedrock"]
        if (service, region) not in self._region_clients:
            session = sdk_session(region)
            self._region_clients[(service, region)] = self.simulator(region).attach(
                session.client(
                    service, config=Config(retries={"mode": "standard", "max_attempts": 3})
                )
            )
        return self._region_clients[(service, region)]

    def count(self, prefix: str) -> int:
        return sum(n for name, n in self.requests.items() if name.startswith(prefix))

    def drain(self) -> list[Delivered]:
        """Every message published to the topic since the last drain, in publish order.

        Read from moto's record of the topic rather than through a subscribed queue: the same
        body, subject and attributes, without a queue round trip per message.
        """
        from moto.sns.models import sns_backends  # noqa: PLC0415

        sent = sns_backends[ACCOUNT_ID][REGION].topics[self.topic_arn].sent_notifications
        fresh, self._drained = sent[self._drained :], len(sent)
        return [
            Delivered(
                subject=subject or "",
                body=json.loads(message),
                attributes={
                    name: str(value.get("StringValue", value.get("Value", "")))
                    for name, value in (attributes or {}).items()
                },
            )
            for _, message, subject, attributes, _ in fresh
        ]


def create_state_table(dynamodb: Any, name: str = TABLE_NAME) -> None:
    """The state table as the CDK stack defines it: ``pk``/``sk`` strings, TTL on ``expires_at``."""
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )


@contextmanager
def local_account(
    clock: ManualClock | None = None, *, validate_requests: bool = True
) -> Iterator[LocalAccount]:
    """Start the embedded account; everything is gone when the block ends.

    ``validate_requests``: whether the DynamoDB and SNS clients check requests against
    botocore's service model before sending them. On for tests (a malformed request fails
    there, not in AWS); the benchmarks turn it off to measure the CPU of the clients the
    function builds (``job_monitor.wiring.VALIDATE_STATE_AND_TOPIC_REQUESTS``)."""
    fake_credentials = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }
    saved = {key: os.environ.get(key) for key in fake_credentials}
    os.environ.update(fake_credentials)
    clock = clock or ManualClock()
    moto_transactions.install()
    try:
        with mock_aws():
            session = sdk_session(REGION)
            quick = Config(retries={"mode": "standard", "max_attempts": 3})
            as_deployed = quick.merge(Config(parameter_validation=validate_requests))
            bedrock = BedrockSimulator(account_id=ACCOUNT_ID, region=REGION, clock=clock)
            clients = {
                "bedrock": bedrock.attach(
                    session.client(
                        "bedrock",
                        config=Config(retries={"mode": "standard", "max_attempts": 3}),
                    )
                ),
                "dynamodb": session.client("dynamodb", config=as_deployed),
                "sns": session.client("sns", config=as_deployed),
                "sqs": session.client("sqs", config=quick),
            }
            requests: Counter[str] = Counter()
            for service in ("dynamodb", "sns"):
                clients[service].meta.events.register(
                    f"before-call.{service}",
                    lambda model, _service=service, **_: requests.update(
                        [f"{_service}.{model.name}"]
                    ),
                )
            create_state_table(clients["dynamodb"])
            topic_arn = clients["sns"].create_topic(Name=TOPIC_NAME)["TopicArn"]
            requests.clear()
            yield LocalAccount(clock, bedrock, clients, topic_arn, requests)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
