"""A stateful, in-process simulator of Amazon Bedrock's job APIs, across its botocore services.

The simulator answers real boto3 clients of every service a simulated kind is served by
(``bedrock`` for the control-plane kinds, ``bedrock-runtime`` for async invocations; ``SERVICES``)
from inside botocore's ``before-send`` event, so request serialization, response parsing, error
handling and retries are botocore's own:

    sim = BedrockSimulator()
    arn = sim.create_job("evaluation", "nightly-eval")
    client = sim.client()  # or sim.attach(existing_bedrock_client)
    client.get_evaluation_job(jobIdentifier=arn)["status"]  # "InProgress"
    runtime = sim.client("bedrock-runtime")  # async invocations, same account and clock

The validation helpers are reusable for other simulators (e.g. one of parent-scoped operations):
``service_model(name)``, ``routes(model)`` / ``match_route``, ``parse_params``, ``validate_input``
(raises ``ServiceError``, answered as the service would), ``validate_output`` (raises
``ResponseShapeError``), ``http_answer`` / ``http_error`` and ``json_default``.

Fidelity checks, all driven by botocore's service model:

* Requests are routed by HTTP method and ``requestUri`` template, and their query/URI parameters
  are parsed back into typed values and checked against the input shape as the service does
  (required members, enums, lengths, ranges, patterns; botocore itself checks only minimums).
  Violations answer 400 ``ValidationException``.
* Every response is checked against the output shape (botocore's ``ParamValidator`` for types and
  required members, plus enums, lengths, ranges and patterns) before it is serialized. A mismatch
  is a bug in the simulator, so it raises ``ResponseShapeError`` out of the client call instead of
  answering.
* Timestamps leave the simulator as ISO 8601 strings with millisecond precision in UTC.

Job kinds come from ``job_monitor.domain.kinds.REGISTRY`` (operations, summaries key, ARN, name,
time, status and failure fields, the detail operation's identifier); ``SPECS`` adds only the
plausible payload of each kind. Simulating another kind means adding its registry entry and a
``KindSpec`` here. "Job" below covers the long-lived resources too (provisioned throughput,
deployments).

Call accounting: every request that reaches the simulator is recorded in ``calls``, including
requests answered with an injected fault or a validation error. botocore's retries are separate
requests, so a throttled call retried twice counts three times.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import functools
import json
import random
import re
import string
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import botocore.session
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.client import BaseClient
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.validate import ParamValidator

from job_monitor.domain.kinds import ID_JOB_ID, ID_NAME, REGISTRY, JobKind

__all__ = [
    "SERVICES",
    "SPECS",
    "BedrockSimulator",
    "KindSpec",
    "ResponseShapeError",
    "ServiceError",
    "http_answer",
    "http_error",
    "json_default",
    "match_route",
    "parse_params",
    "routes",
    "service_model",
    "validate_input",
    "validate_output",
]

ClientT = TypeVar("ClientT", bound=BaseClient)

MAX_RESULTS_DEFAULT = 1000
"""Page size when a list request has no ``maxResults`` (the service's documented default)."""

_ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"
_ISO_8601 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})",
    re.IGNORECASE,
)
_DEFAULT_STATUS_CODES = {
    "AccessDeniedException": 403,
    "ConflictException": 409,
    "InternalServerException": 500,
    "ResourceNotFoundException": 404,
    "ServiceQuotaExceededException": 400,
    "ServiceUnavailableException": 503,
    "ThrottlingException": 429,
    "ValidationException": 400,
}
_DEFAULT_MESSAGES = {
    "InternalServerException": "Internal server error",
    "ServiceUnavailableException": "Service unavailable",
    "ThrottlingException": "Too many requests, please wait before trying again.",
}


class ResponseShapeError(AssertionError):
    """The simulator built a response that does not fit the operation's output shape."""


@dataclass(frozen=True)
class KindSpec:
    """What the simulator adds to a registry entry to fake one job kind.

    ``fields`` and ``completed_fields`` are templates for members of the summary and detail
    responses; strings may use ``{region}``, ``{account}``, ``{id}``, ``{name}``,
    ``{model_name}`` (the job name as a valid custom-model name) and ``{base_model}``. Each
    response keeps only the members its output shape has, so one template serves both. The name
    is written to every one of the kind's ``name_fields`` (model copy: ``targetModelName``).
    """

    kind: JobKind
    initial_status: str
    """Status of a new job: the kind's first non-terminal status."""
    default_base_model: str
    base_model_as_arn: bool
    """Whether the kind's base-model field holds a foundation-model ARN rather than a model id."""
    arn_has_base_model: bool
    """Whether the job ARN embeds the base model id (model customization jobs)."""
    fields: Mapping[str, Any]
    completed_fields: Mapping[str, Any] = field(default_factory=dict)
    """Extra members once the job has status ``Completed`` (output model, record counts)."""
    expires_after: timedelta | None = None
    """Offset of ``jobExpirationTime`` from the job's time field, for kinds that have one."""
    base_model_format: str | None = None
    """Template of the base-model field's value when it is neither a model id nor a
    foundation-model ARN (a custom model ARN); overrides ``base_model_as_arn``."""


_BUCKET = "s3://sim-bedrock-{account}-{region}"
_ROLE = "arn:aws:iam::{account}:role/service-role/AmazonBedrockSimulatedRole"

SPECS: dict[str, KindSpec] = {
    "model-customization": KindSpec(
        kind=REGISTRY["model-customization"],
        initial_status="InProgress",
        default_base_model="amazon.titan-text-express-v1:0:8k",
        base_model_as_arn=True,
        arn_has_base_model=True,
        fields={
            "roleArn": _ROLE,
            "customizationType": "FINE_TUNING",
            "customModelName": "{model_name}",
            "outputModelName": "{model_name}",
            "hyperParameters": {"epochCount": "2", "batchSize": "1", "learningRate": "0.00001"},
            "trainingDataConfig": {"s3Uri": _BUCKET + "/customization/{id}/train.jsonl"},
            "validationDataConfig": {
                "validators": [{"s3Uri": _BUCKET + "/customization/{id}/validation.jsonl"}]
            },
            "outputDataConfig": {"s3Uri": _BUCKET + "/customization/{id}/output/"},
        },
        completed_fields={
            "customModelArn": "arn:aws:bedrock:{region}:{account}:custom-model/{base_model}/{id}",
            "outputModelArn": "arn:aws:bedrock:{region}:{account}:custom-model/{base_model}/{id}",
            "trainingMetrics": {"trainingLoss": 0.42},
            "validationMetrics": [{"validationLoss": 0.47}],
        },
    ),
    "evaluation": KindSpec(
        kind=REGISTRY["evaluation"],
        initial_status="InProgress",
        default_base_model="anthropic.claude-3-haiku-20240307-v1:0",
        base_model_as_arn=False,
        arn_has_base_model=False,
        fields={
            "roleArn": _ROLE,
            "jobType": "Automated",
            "applicationType": "ModelEvaluation",
            "evaluationTaskTypes": ["Generation"],
            "inferenceConfigSummary": {
                "modelConfigSummary": {"bedrockModelIdentifiers": ["{base_model}"]}
            },
            "evaluationConfig": {
                "automated": {
                    "datasetMetricConfigs": [
                        {
                            "taskType": "Generation",
                            "dataset": {"name": "Builtin.TriviaQA"},
                            "metricNames": ["Builtin.Accuracy", "Builtin.Robustness"],
                        }
                    ]
                }
            },
            "inferenceConfig": {"models": [{"bedrockModel": {"modelIdentifier": "{base_model}"}}]},
            "outputDataConfig": {"s3Uri": _BUCKET + "/evaluation/{id}/"},
        },
    ),
    "batch-inference": KindSpec(
        kind=REGISTRY["batch-inference"],
        initial_status="Submitted",
        default_base_model="anthropic.claude-3-haiku-20240307-v1:0",
        base_model_as_arn=False,
        arn_has_base_model=False,
        fields={
            "roleArn": _ROLE,
            "modelInvocationType": "InvokeModel",
            "timeoutDurationInHours": 24,
            "inputDataConfig": {
                "s3InputDataConfig": {
                    "s3InputFormat": "JSONL",
                    "s3Uri": _BUCKET + "/batch/{id}/records.jsonl",
                }
            },
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": _BUCKET + "/batch/{id}/output/"}},
        },
        completed_fields={
            "totalRecordCount": 100,
            "processedRecordCount": 100,
            "successRecordCount": 100,
            "errorRecordCount": 0,
        },
        expires_after=timedelta(hours=24),
    ),
    "model-import": KindSpec(
        kind=REGISTRY["model-import"],
        initial_status="InProgress",
        default_base_model="",
        base_model_as_arn=False,
        arn_has_base_model=False,
        fields={
            "roleArn": _ROLE,
            "importedModelName": "{model_name}",
            "modelDataSource": {"s3DataSource": {"s3Uri": _BUCKET + "/import/{id}/weights/"}},
        },
        completed_fields={
            "importedModelArn": "arn:aws:bedrock:{region}:{account}:imported-model/{id}",
        },
    ),
    "model-copy": KindSpec(
        kind=REGISTRY["model-copy"],
        initial_status="InProgress",
        default_base_model="amazon.titan-text-express-v1:0:8k",
        base_model_as_arn=False,
        arn_has_base_model=False,
        fields={
            # The copy lands in this region under a new id; the source lives in another region.
            "targetModelArn": "arn:aws:bedrock:{region}:{account}:custom-model/{base_model}/{id}",
            "sourceAccountId": "{account}",
            "sourceModelName": "{model_name}",
        },
        base_model_format="arn:aws:bedrock:us-west-2:{account}:custom-model/{base_model}/{id}",
    ),
    "provisioned-throughput": KindSpec(
        kind=REGISTRY["provisioned-throughput"],
        initial_status="Creating",
        default_base_model="amazon.titan-text-express-v1:0:8k",
        base_model_as_arn=True,
        arn_has_base_model=False,
        fields={
            "desiredModelArn": "arn:aws:bedrock:{region}::foundation-model/{base_model}",
            "foundationModelArn": "arn:aws:bedrock:{region}::foundation-model/{base_model}",
            "modelUnits": 1,
            "desiredModelUnits": 1,
        },
    ),
    "custom-model-deployment": KindSpec(
        kind=REGISTRY["custom-model-deployment"],
        initial_status="Creating",
        default_base_model="amazon.nova-micro-v1:0",
        base_model_as_arn=False,
        arn_has_base_model=False,
        fields={"description": "Simulated on-demand deployment of a custom model"},
        # Deployments serve custom models only (the Get shape's modelArn is a CustomModelArn).
        base_model_format="arn:aws:bedrock:{region}:{account}:custom-model/{base_model}/{id}",
    ),
    "async-invoke": KindSpec(
        kind=REGISTRY["async-invoke"],
        initial_status="InProgress",
        default_base_model="amazon.nova-reel-v1:1",
        base_model_as_arn=True,
        arn_has_base_model=False,
        fields={
            "clientRequestToken": "{id}",
            "outputDataConfig": {
                "s3OutputDataConfig": {"s3Uri": _BUCKET + "/async-invoke/{id}/"},
            },
        },
    ),
    "prompt-optimization": KindSpec(
        kind=REGISTRY["prompt-optimization"],
        initial_status="InProgress",
        default_base_model="anthropic.claude-3-haiku-20240307-v1:0",
        base_model_as_arn=False,
        arn_has_base_model=False,
        fields={
            "jobDescription": "Simulated advanced prompt optimization",
            "inputConfig": {"s3Uri": _BUCKET + "/prompt-optimization/{id}/prompts.jsonl"},
            "outputConfig": {"s3Uri": _BUCKET + "/prompt-optimization/{id}/output/"},
            "modelConfigurations": [{"modelId": "{base_model}"}],
        },
    ),
}
SERVICES: tuple[str, ...] = tuple(dict.fromkeys(spec.kind.service for spec in SPECS.values()))
"""The botocore services whose clients the simulator answers."""


@dataclass
class _Job:
    spec: KindSpec
    arn: str
    job_id: str
    name: str
    base_model: str
    created_at: datetime
    status: str
    last_modified: datetime
    end_time: datetime | None = None
    failure_message: str | None = None
    visible_after: datetime | None = None

    @property
    def sort_key(self) -> tuple[datetime, str]:
        return (self.created_at, self.arn)


@dataclass
class _Fault:
    code: str
    status: int
    remaining: int | None
    retry_after: int | None
    message: str


@dataclass(frozen=True)
class _Route:
    method: str
    path: re.Pattern[str]
    operation: OperationModel


class ServiceError(Exception):
    """An error the simulated service answers with (status, code, message)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


ANSWERED = "answered_by_simulator"
"""The attribute a simulator sets on a request it answered at ``before-send``, to itself (botocore
calls every ``before-send`` handler and takes the first answer): this one, and ``sim/parents.py``
over HTTP on a ``bedrock`` client shared with it, whose requests this one leaves alone. A retried
request is the same object: each simulator answers its own requests' every attempt."""


class _Body:
    """The ``raw`` object AWSResponse reads its content from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


class BedrockSimulator:
    """An in-memory Bedrock account: jobs of every kind in ``SPECS``, faults, call records.

    ``clock`` returns the simulated "now" (timezone-aware); it defaults to the wall clock and
    decides default creation times and when ``visible_after`` jobs start to appear in lists.
    All datetimes passed in must be timezone-aware; they are stored in UTC at millisecond
    precision, as the service returns them.
    """

    def __init__(
        self,
        account_id: str = "123456789012",
        region: str = "us-east-1",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.account_id = account_id
        self.region = region
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._random = random.Random(f"{account_id}/{region}")
        self._jobs: dict[str, _Job] = {}
        self._order: dict[str, list[tuple[datetime, str]]] = {name: [] for name in SPECS}
        self._by_name: dict[tuple[str, str], str] = {}
        self._by_id: dict[tuple[str, str], str] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        """``(operation_name, params)`` of every request received, in order."""
        self._tags: dict[str, dict[str, str]] = {}
        """Job ARN -> its tags (``ListTagsForResource``), set with ``create_job(tags=)`` or
        ``tag_job``."""

    # ----------------------------------------------------------------- clients
    def attach(self, client: ClientT) -> ClientT:
        """Answer ``client``'s requests from this simulator; returns the same client.

        ``client`` is of one of ``SERVICES``. The handler is registered first on
        ``before-send.<service>``. botocore calls every
        ``before-send`` handler, so moto's global stub (present when moto is imported) is removed
        from this client; other clients keep it. Operations the simulator does not implement
        raise ``NotImplementedError``.
        """
        model = client.meta.service_model
        service = model.service_name
        if service not in SERVICES:
            raise ValueError(f"expected a client of {', '.join(SERVICES)}, got {service}")
        if client.meta.region_name != self.region:
            raise ValueError(
                f"client region {client.meta.region_name} differs from the simulator's "
                f"{self.region}"
            )
        client.meta.events.register_first(
            f"before-send.{service}",
            functools.partial(self._on_before_send, service=service),
            unique_id=f"bedrock-simulator-{service}-{id(self)}",
        )
        moto_models = sys.modules.get("moto.core.models")
        moto_stub = getattr(moto_models, "botocore_stubber", None)
        if moto_stub is not None:
            client.meta.events.unregister("before-send", moto_stub)
        return client

    def client(self, service: str = "bedrock", **client_kwargs: Any) -> Any:
        """A new boto3 client of ``service`` (one of ``SERVICES``; dummy credentials, the
        simulator's region), attached."""
        session = boto3.session.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - a dummy for the simulator
            region_name=self.region,
        )
        return self.attach(session.client(service, **client_kwargs))

    # -------------------------------------------------------------------- jobs
    def create_job(
        self,
        kind: str,
        name: str,
        *,
        status: str | None = None,
        created_at: datetime | None = None,
        base_model: str | None = None,
        visible_after: datetime | None = None,
        job_id: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Add a job of ``kind`` (a ``REGISTRY`` name) and return its ARN.

        ``status`` defaults to the kind's first non-terminal status (InProgress, or Submitted for
        batch inference); a terminal status sets the end time to ``created_at``. ``created_at``
        (the kind's time field: creationTime or submitTime) defaults to the clock. A job with
        ``visible_after`` is left out of list responses until the clock reaches that time, as an
        eventually consistent list would; Get finds it at once. Names are unique per kind.
        ``job_id`` (12 lowercase letters or digits, as the service makes them) replaces the random
        id, to replay a given job's ARN. ``tags`` are what ``ListTagsForResource`` answers for it
        (checked against botocore's ``Tag`` shape; see ``tag_job``).
        """
        if kind not in SPECS:
            raise ValueError(f"unknown job kind {kind!r}; allowed: {', '.join(sorted(SPECS))}")
        spec = SPECS[kind]
        status = status or spec.initial_status
        _check_status(spec.kind, status)
        created = _to_millis(created_at or self._clock())
        detail_shape = _operation(spec.kind, _detail_operation(spec.kind)).output_shape
        name_shape = _name_shape(spec)
        if name_shape is not None:
            _check_value(name_shape, name, "job name")
        model = base_model or spec.default_base_model
        with self._lock:
            if (kind, name) in self._by_name:
                raise ValueError(f"a {kind} job named {name!r} already exists")
            if job_id is not None and (kind, job_id) in self._by_id:
                raise ValueError(f"a {kind} job with id {job_id!r} already exists")
            if job_id is not None and not re.fullmatch(r"[a-z0-9]{12}", job_id):
                raise ValueError(f"job id {job_id!r} is not 12 lowercase letters or digits")
            job_id = job_id or self._new_id(kind)
            resource = spec.kind.iam_resource_type
            path = f"{model}/{job_id}" if spec.arn_has_base_model else job_id
            arn = f"arn:aws:bedrock:{self.region}:{self.account_id}:{resource}/{path}"
            _check_value(
                detail_shape.members[spec.kind.arn_field], arn, "job ARN (check base_model)"
            )
            job = _Job(
                spec=spec,
                arn=arn,
                job_id=job_id,
                name=name,
                base_model=model,
                created_at=created,
                status=status,
                last_modified=created,
                end_time=created if spec.kind.is_terminal(status) else None,
                visible_after=_to_millis(visible_after) if visible_after else None,
            )
            self._jobs[arn] = job
            if tags:
                self._set_tags(arn, tags)
            self._by_name[(kind, name)] = arn
            self._by_id[(kind, job_id)] = arn
            bisect.insort(self._order[kind], job.sort_key)
        return arn

    def set_status(
        self,
        arn: str,
        status: str,
        *,
        failure_message: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Move a job to ``status`` at time ``at`` (default: the clock).

        Sets the last-modified time, and the end time when the status is terminal (clearing it
        otherwise). ``failure_message`` replaces the job's message (``None`` clears it); it
        appears in the kind's failure field: ``failureMessage`` (customization detail),
        ``failureMessages`` (evaluation detail, a list) or ``message`` (batch summary and detail).
        """
        with self._lock:
            job = self._job(arn)
            _check_status(job.spec.kind, status)
            when = _to_millis(at or self._clock())
            if when < job.created_at:
                raise ValueError(f"{when.isoformat()} is before the job's creation time")
            job.status = status
            job.last_modified = when
            job.end_time = when if job.spec.kind.is_terminal(status) else None
            job.failure_message = failure_message

    def tag_job(self, arn: str, tags: Mapping[str, str]) -> None:
        """Add ``tags`` to a job (as ``TagResource`` would): keys 1..128, values 0..256 characters
        of botocore's ``TagKey``/``TagValue`` patterns, else ValueError."""
        with self._lock:
            self._job(arn)
            self._set_tags(arn, tags)

    def _set_tags(self, arn: str, tags: Mapping[str, str]) -> None:
        shape = service_model("bedrock").shape_for("Tag")
        for key, value in tags.items():
            _check_value(shape.members["key"], key, "tag key")
            _check_value(shape.members["value"], value, "tag value")
        self._tags.setdefault(arn, {}).update(tags)

    def delete_job(self, arn: str) -> None:
        """Remove a job: lists stop showing it and Get answers ResourceNotFoundException."""
        with self._lock:
            job = self._job(arn)
            kind = job.spec.kind.name
            del self._jobs[arn]
            self._tags.pop(arn, None)
            del self._by_name[(kind, job.name)]
            del self._by_id[(kind, job.job_id)]
            order = self._order[kind]
            del order[bisect.bisect_left(order, job.sort_key)]

    # ---------------------------------------------------------- calls, faults
    def count(self, operation_name: str | None = None) -> int:
        """Requests received for ``operation_name`` (e.g. "ListEvaluationJobs"), or in total."""
        with self._lock:
            if operation_name is None:
                return len(self.calls)
            return sum(1 for name, _ in self.calls if name == operation_name)

    def reset_calls(self) -> None:
        """Forget the recorded calls."""
        with self._lock:
            self.calls.clear()

    def inject(
        self,
        operation_name: str,
        error_code: str,
        *,
        status: int | None = None,
        times: int | None = 1,
        retry_after: int | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests for ``operation_name`` with ``error_code``.

        ``times=None`` fails forever. ``status`` defaults to the code's usual HTTP status (429
        ThrottlingException, 500 InternalServerException, 403 AccessDeniedException, ...);
        ``retry_after`` adds a ``Retry-After`` header. Faults queue up in the order injected and
        are checked before validation, so an injected failure counts as a call. ``message``
        replaces the error's default message (e.g. a ``ValidationException`` saying "Unknown
        operation", as Bedrock answers an operation a region does not offer).
        """
        _supported_operation(operation_name)
        http_status = status or _DEFAULT_STATUS_CODES.get(error_code)
        if http_status is None:
            raise ValueError(f"no default HTTP status for {error_code}; pass status=")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for forever")
        text = message or _DEFAULT_MESSAGES.get(error_code, f"Simulated {error_code}")
        if error_code == "AccessDeniedException" and message is None:
            text = (
                f"User: arn:aws:sts::{self.account_id}:assumed-role/simulated/session is not "
                f"authorized to perform: bedrock:{operation_name}"
            )
        with self._lock:
            self._faults.setdefault(operation_name, []).append(
                _Fault(error_code, http_status, times, retry_after, text)
            )

    def deny(self, operation_name: str) -> None:
        """Answer every request for ``operation_name`` with 403 AccessDeniedException."""
        self.inject(operation_name, "AccessDeniedException", times=None)

    def clear_faults(self, operation_name: str | None = None) -> None:
        """Drop injected faults for ``operation_name``, or for all operations."""
        with self._lock:
            if operation_name is None:
                self._faults.clear()
            else:
                self._faults.pop(operation_name, None)

    # ------------------------------------------------------- request handling
    def handle_request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        service: str = "bedrock",
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request as the service would: ``(status, headers, body)``.

        ``url`` is a full URL or a path with its query string. Transport-neutral: the in-process
        hook (``attach``) and the HTTP server (``sim.server``) both go through here, so they
        route, validate, record calls and inject faults identically. Bedrock's job APIs are GET
        requests; the one POST simulated (``ListTagsForResource``) carries its parameters in a
        JSON ``body``. ``headers`` are accepted for completeness and not read.
        Raises ``NotImplementedError`` for operations that are not simulated and
        ``ResponseShapeError`` for a response that does not fit the output shape.
        """
        del headers
        parts = urlsplit(url)
        operation, path_params = match_route(_service_routes(service), method, parts.path)
        query = parse_qs(parts.query, True)
        with self._lock:
            try:
                params = parse_params(operation, path_params, query)
                params.update(_body_params(operation, body))
            except ServiceError as error:
                self.calls.append((operation.name, dict(query)))
                return http_error(error)
            self.calls.append((operation.name, params))
            fault = self._take_fault(operation.name)
            if fault is not None:
                injected = ServiceError(fault.status, fault.code, fault.message)
                return http_error(injected, fault.retry_after)
            try:
                validate_input(operation, params)
                answer = self._answer(operation.name, params)
            except ServiceError as error:
                return http_error(error)
        validate_output(operation, answer)
        return http_answer(200, json.dumps(answer, default=json_default).encode())

    def _on_before_send(
        self, request: AWSPreparedRequest, service: str = "bedrock", **_: Any
    ) -> AWSResponse | None:
        if getattr(request, ANSWERED, self) is not self:
            return None  # botocore calls every handler: the parent-scoped simulator answered
        headers = {str(k): str(v) for k, v in request.headers.items()}
        body = request.body if isinstance(request.body, bytes) else b""
        status, response_headers, response_body = self.handle_request(
            request.method, request.url, headers, body, service
        )
        setattr(request, ANSWERED, self)
        return AWSResponse(request.url, status, response_headers, _Body(response_body))

    def _take_fault(self, operation_name: str) -> _Fault | None:
        queue = self._faults.get(operation_name)
        if not queue:
            return None
        fault = queue[0]
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining == 0:
                queue.pop(0)
        return fault

    def _answer(self, operation_name: str, params: dict[str, Any]) -> dict[str, Any]:
        if operation_name == TAGS_OPERATION:
            return self._list_tags(params["resourceARN"])
        spec, is_list = _simulated_operations()[operation_name]
        if is_list:
            return self._list(spec, params)
        return self._describe(spec, params[spec.kind.detail_id_param])

    def _list(self, spec: KindSpec, params: dict[str, Any]) -> dict[str, Any]:
        kind = spec.kind
        order = self._order[kind.name]
        after, before = params.get(kind.time_after_param), params.get(kind.time_before_param)
        low = 0 if after is None else bisect.bisect_right(order, after, key=_time_of)
        high = len(order) if before is None else bisect.bisect_left(order, before, key=_time_of)
        descending = params.get("sortOrder", "Descending") == "Descending"
        if "nextToken" in params:
            position = _decode_token(params["nextToken"], descending)
            if descending:
                high = min(high, bisect.bisect_left(order, position))
            else:
                low = max(low, bisect.bisect_right(order, position))
        positions = range(high - 1, low - 1, -1) if descending else range(low, high)
        limit = params.get("maxResults", MAX_RESULTS_DEFAULT)
        summary_shape = _list_member_shape(spec)
        now = self._clock()
        page: list[dict[str, Any]] = []
        last: _Job | None = None
        has_more = False
        for index in positions:
            job = self._jobs[order[index][1]]
            if not self._listed(job, params, now):
                continue
            if len(page) == limit:
                has_more = True
                break
            page.append(self._document(job, summary_shape))
            last = job
        body: dict[str, Any] = {kind.summaries_key: page}
        if has_more and last is not None:
            body["nextToken"] = _encode_token(last.sort_key, descending)
        return body

    def _list_tags(self, arn: str) -> dict[str, Any]:
        """``ListTagsForResource``: the job's tags as the ``bedrock`` model's list of
        ``{"key", "value"}``; ResourceNotFoundException for an ARN of no simulated job (the
        identifier already fits the model's pattern: ``validate_input``)."""
        if arn not in self._jobs:
            raise ServiceError(404, "ResourceNotFoundException", f"Could not find {arn}")
        tags = self._tags.get(arn, {})
        return {"tags": [{"key": k, "value": v} for k, v in sorted(tags.items())]}

    def _listed(self, job: _Job, params: dict[str, Any], now: datetime) -> bool:
        if job.visible_after is not None and now < job.visible_after:
            return False
        if "statusEquals" in params and job.status != params["statusEquals"]:
            return False
        if "nameContains" in params and params["nameContains"] not in job.name:
            return False
        application_type = job.spec.fields.get("applicationType")
        return params.get("applicationTypeEquals", application_type) == application_type

    def _describe(self, spec: KindSpec, identifier: str) -> dict[str, Any]:
        """The job ``identifier`` names, as the service resolves it: by ARN, else by name or by
        id, whichever the kind's detail operation takes (``JobKind.detail_id_forms``). The value
        already fits the identifier's pattern (``validate_input``): a model customization job's
        ARN without its base-model segment was refused there with ValidationException, and its id
        alone fits only as a name."""
        kind = spec.kind.name
        forms = spec.kind.detail_id_forms
        arn: str | None = None
        if identifier.startswith("arn:"):
            job = self._jobs.get(identifier)
            arn = identifier if job is not None and job.spec is spec else None
        elif ID_NAME in forms:
            arn = self._by_name.get((kind, identifier))
        elif ID_JOB_ID in forms:
            arn = self._by_id.get((kind, identifier))
        if arn is None:
            raise ServiceError(404, "ResourceNotFoundException", f"Could not find job {identifier}")
        operation = _operation(spec.kind, _detail_operation(spec.kind))
        return self._document(self._jobs[arn], operation.output_shape)

    def _document(self, job: _Job, shape: Shape) -> dict[str, Any]:
        """The summary or detail of ``job``: the members of ``shape`` the job has values for."""
        spec, kind = job.spec, job.spec.kind
        values = {
            "region": self.region,
            "account": self.account_id,
            "id": job.job_id,
            "name": job.name,
            "model_name": _model_name(job.name),
            "base_model": job.base_model,
        }
        document: dict[str, Any] = _render(spec.fields, values)
        if job.status == "Completed":
            document.update(_render(spec.completed_fields, values))
        document.update({name: job.name for name in kind.name_fields})
        document.update(
            {
                kind.arn_field: job.arn,
                kind.status_field: job.status,
                kind.time_field: job.created_at,
                kind.last_modified_field or "lastModifiedTime": job.last_modified,
                kind.end_time_field or "endTime": job.end_time,
            }
        )
        if spec.expires_after is not None:
            document["jobExpirationTime"] = job.created_at + spec.expires_after
        # The base model and the failure message are single values; some shapes hold a list.
        single_values = {}
        if kind.base_model_field:
            base = job.base_model
            if spec.base_model_format is not None:
                base = spec.base_model_format.format_map(values)
            elif spec.base_model_as_arn:
                base = f"arn:aws:bedrock:{self.region}::foundation-model/{base}"
            single_values[kind.base_model_field] = base
        if job.failure_message is not None:
            for name in filter(None, (kind.summary_failure_field, kind.detail_failure_field)):
                single_values[name] = job.failure_message
        for name, value in single_values.items():
            member = shape.members.get(name)
            document[name] = [value] if member and member.type_name == "list" else value
        return {
            name: value
            for name, value in document.items()
            if name in shape.members and value is not None
        }

    def _job(self, arn: str) -> _Job:
        job = self._jobs.get(arn)
        if job is None:
            raise KeyError(f"no simulated job with ARN {arn}")
        return job

    def _new_id(self, kind: str) -> str:
        alphabet = string.ascii_lowercase + string.digits
        while True:
            job_id = "".join(self._random.choices(alphabet, k=12))
            if (kind, job_id) not in self._by_id:
                return job_id


# --------------------------------------------------------------- service model
@functools.cache
def service_model(service: str = "bedrock") -> ServiceModel:
    """botocore's model of ``service`` (cached)."""
    return botocore.session.get_session().get_service_model(service)


def _operation(kind: JobKind, name: str) -> OperationModel:
    return service_model(kind.service).operation_model(name)


def _list_operation(kind: JobKind) -> str:
    return kind.list_action.removeprefix(f"{kind.iam_prefix}:")


def _detail_operation(kind: JobKind) -> str:
    return kind.detail_action.removeprefix(f"{kind.iam_prefix}:")


def _simulated_operations() -> dict[str, tuple[KindSpec, bool]]:
    """Operation name -> (kind spec, whether it is the kind's list operation)."""
    operations = {}
    for spec in SPECS.values():
        operations[_list_operation(spec.kind)] = (spec, True)
        operations[_detail_operation(spec.kind)] = (spec, False)
    return operations


TAGS_OPERATION = "ListTagsForResource"
"""The ``bedrock`` operation that reads a job's tags (``POST /listTagsForResource``, JSON body
``{"resourceARN": ...}``)."""


def _body_params(operation: OperationModel, body: bytes) -> dict[str, Any]:
    """The members a restJson POST carries in its JSON body (none for a GET)."""
    if operation.http["method"] != "POST" or not body:
        return {}
    try:
        data = json.loads(body)
    except ValueError:
        raise ServiceError(400, "SerializationException", "body is not JSON") from None
    members = operation.input_shape.members
    return {
        name: value
        for name, value in data.items()
        if name in members and members[name].serialization.get("location") is None
    }


def _supported_operation(operation_name: str) -> None:
    supported = {**_simulated_operations(), TAGS_OPERATION: None}
    if operation_name not in supported:
        raise ValueError(
            f"{operation_name} is not simulated; simulated: {', '.join(sorted(supported))}"
        )


def _name_shape(spec: KindSpec) -> Shape | None:
    """The shape a job name must fit: the kind's first name field of the detail (or summary);
    None for a kind without names (named by the id in its ARN: the name given is not shown)."""
    if not spec.kind.name_fields and spec.kind.name_from_arn:
        return None
    detail = _operation(spec.kind, _detail_operation(spec.kind)).output_shape
    for shape in (detail, _list_member_shape(spec)):
        for name in spec.kind.name_fields:
            if name in shape.members:
                return shape.members[name]
    raise ValueError(f"{spec.kind.name}: no name field in the service model")


def _list_member_shape(spec: KindSpec) -> Shape:
    output = _operation(spec.kind, _list_operation(spec.kind)).output_shape
    return output.members[spec.kind.summaries_key].member


@functools.cache
def _service_routes(service: str = "bedrock") -> tuple[_Route, ...]:
    return tuple(routes(service_model(service)))


def routes(model: ServiceModel) -> list[_Route]:
    """One route per operation of ``model``: HTTP method and a regex of its ``requestUri``."""
    found = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        template = operation.http["requestUri"].split("?", 1)[0]
        pattern = re.sub(
            r"\\\{(\w+)(\\\+)?\\\}",
            lambda m: f"(?P<{m.group(1)}>{'.+' if m.group(2) else '[^/]+'})",
            re.escape(template),
        )
        found.append(_Route(operation.http["method"], re.compile(pattern), operation))
    return found


def match_route(
    candidates: Sequence[_Route],
    method: str,
    path: str,
    implemented: Callable[[str], bool] | None = None,
) -> tuple[OperationModel, dict[str, str]]:
    """The operation (and its URI parameters) a REST request is for; ``NotImplementedError`` when
    none matches or ``implemented`` (default: this simulator's operations) refuses it."""
    implemented = implemented or (
        lambda name: name in _simulated_operations() or name == TAGS_OPERATION
    )
    for route in candidates:
        match = route.path.fullmatch(path)
        if route.method == method and match:
            if not implemented(route.operation.name):
                raise NotImplementedError(
                    f"the Bedrock simulator does not implement {route.operation.name}"
                )
            return route.operation, {k: unquote(v) for k, v in match.groupdict().items()}
    raise NotImplementedError(f"no Bedrock operation matches {method} {path}")


# ---------------------------------------------------------------- parameters
def parse_params(
    operation: OperationModel, path_params: dict[str, str], query: dict[str, list[str]]
) -> dict[str, Any]:
    """Typed input parameters (by member name) from the request's URI and query string."""
    params: dict[str, Any] = {}
    for name, shape in operation.input_shape.members.items():
        location = shape.serialization.get("location")
        wire_name = shape.serialization.get("name", name)
        if location == "uri" and wire_name in path_params:
            params[name] = path_params[wire_name]
        elif location == "querystring" and wire_name in query:
            values = [_parse_scalar(shape, wire_name, v) for v in query[wire_name]]
            params[name] = values if shape.type_name == "list" else values[-1]
    return params


def _parse_scalar(shape: Shape, wire_name: str, text: str) -> Any:
    scalar = shape.member if shape.type_name == "list" else shape
    if scalar.type_name in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise _validation_error(text, wire_name, "Member must be a number") from None
    if scalar.type_name == "timestamp":
        parsed = _parse_timestamp(text)
        if parsed is None:
            raise _validation_error(text, wire_name, "Member must be an ISO 8601 date-time")
        return parsed
    if scalar.type_name == "boolean":
        if text not in ("true", "false"):
            raise _validation_error(text, wire_name, "Member must be a boolean")
        return text == "true"
    return text


def _parse_timestamp(text: str) -> datetime | None:
    match = _ISO_8601.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    offset = timedelta(0)
    if zone.upper() != "Z":
        sign = -1 if zone[0] == "-" else 1
        offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    micros = int((fraction or "0").ljust(6, "0")[:6])
    try:
        fields = (int(year), int(month), int(day), int(hour), int(minute), int(second), micros)
        return datetime(*fields, tzinfo=UTC) - offset
    except ValueError:
        return None


def _validation_error(value: Any, path: str, constraint: str) -> ServiceError:
    return ServiceError(
        400,
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy "
        f"constraint: {constraint}",
    )


def validate_input(operation: OperationModel, params: dict[str, Any]) -> None:
    problems = list(_constraint_violations(operation.input_shape, params, ""))
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        raise ServiceError(
            400, "ValidationException", f"{count} validation {noun} detected: {'; '.join(problems)}"
        )


def validate_output(operation: OperationModel, body: dict[str, Any]) -> None:
    """Raise ResponseShapeError unless ``body`` fits the operation's output shape.

    Items of top-level lists (the page of summaries) are checked one by one: the model bounds
    ``EvaluationSummaries`` to 1..5 items, which a page of up to ``maxResults`` summaries (or
    an empty page) would break, and services do not enforce length traits on their output.
    """
    shape = operation.output_shape
    parts: list[tuple[Any, Shape, str]] = []
    for name, value in body.items():
        member = shape.members.get(name)
        if member is not None and member.type_name == "list" and isinstance(value, list):
            parts.extend((item, member.member, f"{name}.{i}") for i, item in enumerate(value, 1))
    problems = []
    for value, part_shape, path in parts:
        report = ParamValidator().validate(value, part_shape)
        if report.has_errors():
            problems.append(f"{path}: {report.generate_report()}")
        problems.extend(_constraint_violations(part_shape, value, path))
    # A page's list (an output with nextToken) was checked item by item; any other list, such as
    # a detail's required modelConfigurations (1..5), is checked whole with the rest.
    paged = "nextToken" in shape.members
    top_level = {
        name: value for name, value in body.items() if not (paged and isinstance(value, list))
    }
    report = ParamValidator().validate(top_level, shape)
    if report.has_errors():
        problems.append(report.generate_report())
    problems.extend(_constraint_violations(shape, top_level, ""))
    if problems:
        raise ResponseShapeError(
            f"{operation.name} response does not fit {shape.name}: " + "; ".join(problems)
        )


def _check_value(shape: Shape, value: str, what: str) -> None:
    problems = list(_constraint_violations(shape, value, what))
    if problems:
        raise ValueError("; ".join(problems))


def _constraint_violations(shape: Shape, value: Any, path: str) -> Iterator[str]:
    """Constraint failures botocore's ParamValidator does not check, as the service words them."""
    if shape.type_name == "structure" and isinstance(value, Mapping):
        for name in shape.required_members:
            if value.get(name) is None:
                yield (
                    f"Value null at '{_join(path, name)}' failed to satisfy constraint: "
                    "Member must not be null"
                )
        for name, member_value in value.items():
            if name in shape.members:
                yield from _constraint_violations(
                    shape.members[name], member_value, _join(path, name)
                )
        return
    if shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value, start=1):
            yield from _constraint_violations(shape.member, item, f"{path}.{index}.member")
    if shape.type_name == "map" and isinstance(value, Mapping):
        for key, item in value.items():
            yield from _constraint_violations(shape.value, item, f"{path}.{key}")
    yield from _value_violations(shape.metadata, value, path)


def _value_violations(metadata: Mapping[str, Any], value: Any, path: str) -> Iterator[str]:
    """Enum, length or range, and pattern failures of one value."""

    def failure(constraint: str) -> str:
        shown = str(value) if len(str(value)) <= 100 else str(value)[:97] + "..."
        return f"Value '{shown}' at '{path}' failed to satisfy constraint: {constraint}"

    if "enum" in metadata and value not in metadata["enum"]:
        yield failure(f"Member must satisfy enum value set: [{', '.join(metadata['enum'])}]")
        return
    sized = isinstance(value, str | list | Mapping)
    size = len(value) if sized else value
    if isinstance(size, int) and not isinstance(size, bool):
        unit = "length" if sized else "value"
        if "min" in metadata and size < metadata["min"]:
            yield failure(f"Member must have {unit} greater than or equal to {metadata['min']}")
        if "max" in metadata and size > metadata["max"]:
            yield failure(f"Member must have {unit} less than or equal to {metadata['max']}")
    pattern = metadata.get("pattern")
    if pattern and isinstance(value, str) and not re.fullmatch(pattern, value):
        yield failure(f"Member must satisfy regular expression pattern: {pattern}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# ----------------------------------------------------------------- responses
def http_answer(
    status: int, body: bytes, **extra_headers: str
) -> tuple[int, dict[str, str], bytes]:
    headers = {
        "Content-Type": "application/json",
        "x-amzn-RequestId": str(uuid.uuid4()),
        **extra_headers,
    }
    return status, headers, body


def http_error(
    error: ServiceError, retry_after: int | None = None
) -> tuple[int, dict[str, str], bytes]:
    headers = {"x-amzn-ErrorType": error.code + _ERROR_TYPE_SUFFIX}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    body = json.dumps({"message": error.message}).encode()
    return http_answer(error.status, body, **headers)


def json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
            f"{value.microsecond // 1000:03d}Z"
        )
    raise TypeError(f"cannot serialize {type(value).__name__}")


def _encode_token(position: tuple[datetime, str], descending: bool) -> str:
    payload = {"t": json_default(position[0]), "a": position[1], "d": descending}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


def _decode_token(token: str, descending: bool) -> tuple[datetime, str]:
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        when = _parse_timestamp(payload["t"])
        if when is None or payload["d"] != descending or not isinstance(payload["a"], str):
            raise ValueError(token)
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise ServiceError(400, "ValidationException", "Invalid pagination token") from None
    return (when, payload["a"])


# -------------------------------------------------------------------- helpers
def _time_of(key: tuple[datetime, str]) -> datetime:
    return key[0]


def _to_millis(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{value.isoformat()} has no time zone; pass an aware datetime")
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _check_status(kind: JobKind, status: str) -> None:
    if status not in kind.statuses:
        raise ValueError(
            f"{kind.name} jobs have no status {status!r}; "
            f"allowed: {', '.join(sorted(kind.statuses))}"
        )


def _model_name(job_name: str) -> str:
    """``job_name`` shaped to fit CustomModelName (letters and digits, single - or _ between)."""
    return re.sub(r"[^0-9a-zA-Z]+", "-", job_name).strip("-")[:63].rstrip("-") or "model"


def _render(template: Any, values: Mapping[str, str]) -> Any:
    if isinstance(template, str):
        return template.format_map(values)
    if isinstance(template, Mapping):
        return {key: _render(item, values) for key, item in template.items()}
    if isinstance(template, list):
        return [_render(item, values) for item in template]
    return template
