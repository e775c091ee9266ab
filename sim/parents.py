"""An in-process simulator of the parent-scoped Bedrock job APIs: knowledge bases, their data
sources and ingestion jobs (``bedrock-agent``), and Automated Reasoning policies with their build
workflows (``bedrock``).

It answers a real boto3 client from botocore's ``before-call`` event (or over HTTP: see
``over_http`` below), after botocore has validated and serialized the request, so parameter
names, types and required members are botocore's own check; the simulator adds what botocore does
not check (enums, lengths, ranges, patterns) and answers 400 ``ValidationException`` as the
service would. Every response is checked against the operation's output shape (botocore's
``ParamValidator`` plus the same constraints) before it is returned; a mismatch raises
``ResponseShapeError`` (a simulator bug).

    sim = ParentScopedSimulator()
    kb = sim.add_knowledge_base("docs")
    ds = sim.add_data_source(kb, "s3-bucket")
    job = sim.start_ingestion_job(kb, ds)
    client = sim.attach(boto3.client("bedrock-agent", region_name="us-east-1", ...))
    client.get_ingestion_job(knowledgeBaseId=kb, dataSourceId=ds, ingestionJobId=job)

Limits: at ``before-call``, answers bypass botocore's HTTP layer, so its retry handler does not
run: an injected ``ThrottlingException`` reaches the caller at once, as it would after the
retries are spent. ``over_http`` (set before ``attach``) answers at ``before-send`` instead, as
a JSON body with the service's headers: botocore then signs the request, parses the body and
retries as it would against the service (what the benchmark measures: ``sim/bench_parents.py``).
``calls`` counts every request by operation name (faults and validation errors included). This
module is separate from ``sim/bedrock.py`` (the account-wide kinds) and shares no code with it.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import re
import string
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from botocore.awsrequest import AWSResponse
from botocore.model import OperationModel, Shape
from botocore.validate import ParamValidator

__all__ = ["ParentScopedSimulator", "ResponseShapeError"]

_T = TypeVar("_T")

_STATUS_CODES = {
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ThrottlingException": 429,
    "ValidationException": 400,
    "InternalServerException": 500,
}
DEFAULT_STATISTICS = {
    "numberOfDocumentsScanned": 0,
    "numberOfMetadataDocumentsScanned": 0,
    "numberOfNewDocumentsIndexed": 0,
    "numberOfModifiedDocumentsIndexed": 0,
    "numberOfMetadataDocumentsModified": 0,
    "numberOfDocumentsDeleted": 0,
    "numberOfDocumentsFailed": 0,
}


class ResponseShapeError(AssertionError):
    """The simulator built a response that does not fit the operation's output shape."""


class _ServiceError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Ingestion:
    kb: str
    ds: str
    job_id: str
    status: str
    started_at: datetime
    updated_at: datetime
    statistics: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_STATISTICS))
    failure_reasons: list[str] = field(default_factory=list)


@dataclass
class _Build:
    policy_arn: str
    build_id: str
    build_type: str
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass
class _Http:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)


class ParentScopedSimulator:
    """One account in one region. ``clock`` gives the simulated time (aware UTC); by default each
    new job starts one second after the previous one, from 2026-01-01."""

    def __init__(
        self,
        region: str = "us-east-1",
        account: str = "123456789012",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.region = region
        self.account = account
        start = datetime(2026, 1, 1, tzinfo=UTC)
        ticks = itertools.count()
        self._clock = clock or (lambda: start + timedelta(seconds=next(ticks)))
        self.knowledge_bases: dict[str, str] = {}
        """Knowledge base id -> name."""
        self.data_sources: dict[str, dict[str, str]] = {}
        """Knowledge base id -> data source id -> name."""
        self.ingestion_jobs: dict[tuple[str, str], list[_Ingestion]] = {}
        self.policies: dict[str, str] = {}
        """Policy ARN -> name."""
        self.builds: dict[str, list[_Build]] = {}
        """Policy ARN -> its build workflows, oldest first."""
        self.builds_newest_first = False
        """The order ``ListAutomatedReasoningPolicyBuildWorkflows`` answers in: oldest first
        unless set (the API has no sort parameter and documents no order)."""
        self.tags: dict[str, dict[str, str]] = {}
        """Knowledge base id or policy ARN -> its tags (``ListTagsForResource``)."""
        self.denied: set[str] = set()
        """Knowledge base ids or policy ARNs whose calls answer AccessDeniedException."""
        self.faults: dict[str, list[str]] = {}
        """Operation name -> error codes to answer, one per call, first first."""
        self.calls: Counter[str] = Counter()
        self.over_http = False
        """Answer at botocore's ``before-send`` with an HTTP response (a JSON body) rather than at
        ``before-call`` with the parsed answer: read by ``attach``."""
        self._pending = threading.local()
        """Over HTTP: the operation and context of the request this thread is sending."""
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        """The monitor's sweep lists on several threads: counts and faults are kept under it."""

    # -- the client hook ------------------------------------------------------------------------

    def attach(self, client: Any) -> Any:
        """Answer ``client``'s calls (a ``bedrock-agent`` or ``bedrock`` client) from here: at
        ``before-call``, or at ``before-send`` when ``over_http``. Over HTTP each simulated
        operation has its own handler (botocore calls the most specific event's handlers first,
        so it runs before ``sim/bedrock.py``'s service-wide one on a shared ``bedrock`` client),
        moto's stub is taken off the client, and a last handler refuses any request no simulator
        answered (``NotImplementedError``: nothing leaves the process). Attaching again is a
        no-op (handlers are registered once per simulator and client)."""
        service = client.meta.service_model.service_id.hyphenize()
        events = client.meta.events
        me = id(self)
        simulated = [n for n in client.meta.service_model.operation_names if self.simulates(n)]
        for name in simulated:
            events.register(
                f"before-parameter-build.{service}.{name}",
                _keep_params,
                unique_id=f"parents-sim-params-{me}-{name}",
            )
        if not self.over_http:
            events.register_first(
                f"before-call.{service}", self._on_call, unique_id=f"parents-sim-{me}"
            )
            return client
        events.unregister(f"before-call.{service}", unique_id=f"parents-sim-{me}")
        moto_stub = getattr(sys.modules.get("moto.core.models"), "botocore_stubber", None)
        if moto_stub is not None:
            # botocore calls every before-send handler: moto's (present when moto is imported)
            # would answer the request too, or fail on an operation it does not implement
            with contextlib.suppress(ValueError):  # a client made before moto was imported
                events.unregister("before-send", moto_stub)
        for name in simulated:
            events.register_first(
                f"before-call.{service}.{name}",
                self._keep_call,
                unique_id=f"parents-sim-call-{me}-{name}",
            )
            events.register_first(
                f"before-send.{service}.{name}",
                self._on_send,
                unique_id=f"parents-sim-send-{me}-{name}",
            )
        events.register_last(
            f"before-send.{service}", _refuse_unanswered, unique_id=f"parents-sim-refuse-{me}"
        )
        return client

    def simulates(self, operation_name: str) -> bool:
        """Whether this simulator answers ``operation_name`` (e.g. "ListIngestionJobs")."""
        return hasattr(self, f"_op_{_snake(operation_name)}")

    def _keep_call(self, model: OperationModel, context: dict[str, Any], **_: Any) -> None:
        self._pending.call = (model, context)

    def _on_send(self, request: Any, **_: Any) -> AWSResponse | None:
        """Over HTTP: the answer to the request this thread is sending (every attempt of it),
        as the service sends it: a JSON body (times as ISO 8601 strings), an error's code in
        ``x-amzn-ErrorType``. None: not this simulator's (another resource's tags)."""
        model, context = self._pending.call
        answered = self._on_call(model=model, context=context)
        if answered is None:
            return None
        http, parsed = answered
        headers = {"Content-Type": "application/json"}
        if "Error" in parsed:
            error = parsed["Error"]
            headers["x-amzn-ErrorType"] = error["Code"]
            content: dict[str, Any] = {"message": error["Message"]}
        else:
            content = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
        body = json.dumps(content, default=_json_time).encode()
        # botocore calls the service-wide handlers too: sim/bedrock.py's leaves this one alone
        setattr(request, _ANSWERED, self)
        return AWSResponse(request.url, http.status_code, headers, _RawBody(body))

    def _on_call(
        self, model: OperationModel, context: dict[str, Any], **_: Any
    ) -> tuple[_Http, dict[str, Any]] | None:
        """The answer to a simulated operation; None lets any other operation go on (a
        ``bedrock`` client shared with ``sim/bedrock.py``'s simulator)."""
        name = model.name
        handler = getattr(self, f"_op_{_snake(name)}", None)
        if handler is None:
            return None
        params = dict(context.get("sim_params", {}))
        if "resourceARN" in params and params["resourceARN"] not in self.policies:
            return None  # a bedrock client shared with sim/bedrock.py: a job's tags are not ours
        with self._lock:
            self.calls[name] += 1
            fault = self.faults[name].pop(0) if self.faults.get(name) else None
        try:
            if fault is not None:
                raise _ServiceError(fault, f"injected {fault}")
            problems = [
                problem
                for problem in _violations(model.input_shape, params, "")
                if not _pattern_erratum(model.name, params, problem)
            ]
            if problems:
                raise _ServiceError("ValidationException", "; ".join(problems))
            body = handler(params)
        except _ServiceError as exc:
            return _Http(_STATUS_CODES.get(exc.code, 400)), {
                "Error": {"Code": exc.code, "Message": exc.message},
                "ResponseMetadata": {"HTTPStatusCode": _STATUS_CODES.get(exc.code, 400)},
            }
        _check_output(model, body)
        return _Http(200), {**body, "ResponseMetadata": {"HTTPStatusCode": 200}}

    def inject(self, operation: str, code: str, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``operation`` (e.g. "ListDataSources") with
        ``code`` (e.g. "ThrottlingException")."""
        self.faults.setdefault(operation, []).extend([code] * times)

    # -- knowledge bases ------------------------------------------------------------------------

    def add_knowledge_base(self, name: str, tags: Mapping[str, str] | None = None) -> str:
        """A knowledge base (its id); ``tags`` are what ``ListTagsForResource`` answers for its
        ARN (``knowledge_base_arn``)."""
        kb = self._id10()
        self.knowledge_bases[kb] = name
        self.data_sources[kb] = {}
        if tags:
            self.tags[kb] = dict(tags)
        return kb

    def knowledge_base_arn(self, kb: str) -> str:
        return f"arn:aws:bedrock:{self.region}:{self.account}:knowledge-base/{kb}"

    def _op_list_tags_for_resource(self, p: dict[str, Any]) -> dict[str, Any]:
        """``bedrock-agent``'s (``resourceArn``: a knowledge base; the answer is a map) or
        ``bedrock``'s (``resourceARN``: a policy; a list of ``{"key", "value"}``)."""
        if "resourceARN" in p:
            tags = self.tags.get(p["resourceARN"], {})
            return {"tags": [{"key": k, "value": v} for k, v in sorted(tags.items())]}
        arn = p["resourceArn"]
        prefix = f"arn:aws:bedrock:{self.region}:{self.account}:knowledge-base/"
        kb = arn.removeprefix(prefix)
        if not arn.startswith(prefix) or kb not in self.knowledge_bases:
            raise _ServiceError("ResourceNotFoundException", f"{arn} not found")
        if kb in self.denied:
            raise _ServiceError("AccessDeniedException", "not authorized on this knowledge base")
        return {"tags": dict(self.tags.get(kb, {}))}

    def add_data_source(self, kb: str, name: str) -> str:
        ds = self._id10()
        self.data_sources[kb][ds] = name
        self.ingestion_jobs[(kb, ds)] = []
        return ds

    def delete_knowledge_base(self, kb: str) -> None:
        for ds in self.data_sources.pop(kb, {}):
            self.ingestion_jobs.pop((kb, ds), None)
        self.knowledge_bases.pop(kb, None)

    def delete_data_source(self, kb: str, ds: str) -> None:
        self.data_sources[kb].pop(ds, None)
        self.ingestion_jobs.pop((kb, ds), None)

    def start_ingestion_job(self, kb: str, ds: str, status: str = "STARTING") -> str:
        now = self._clock()
        job = _Ingestion(kb, ds, self._id10(), status, now, now)
        self.ingestion_jobs[(kb, ds)].append(job)
        return job.job_id

    def set_ingestion_status(
        self,
        kb: str,
        ds: str,
        job_id: str,
        status: str,
        *,
        statistics: Mapping[str, int] | None = None,
        failure_reasons: list[str] | None = None,
    ) -> None:
        job = next(j for j in self.ingestion_jobs[(kb, ds)] if j.job_id == job_id)
        job.status = status
        job.updated_at = self._clock()
        if statistics:
            job.statistics.update(statistics)
        if failure_reasons is not None:
            job.failure_reasons = list(failure_reasons)

    def _op_list_knowledge_bases(self, p: dict[str, Any]) -> dict[str, Any]:
        return _page(
            sorted(self.knowledge_bases.items()),
            "knowledgeBaseSummaries",
            p,
            lambda item: {
                "knowledgeBaseId": item[0],
                "name": item[1],
                "status": "ACTIVE",
                "updatedAt": datetime(2026, 1, 1, tzinfo=UTC),
            },
        )

    def _op_list_data_sources(self, p: dict[str, Any]) -> dict[str, Any]:
        kb = self._kb(p["knowledgeBaseId"])
        return _page(
            sorted(self.data_sources[kb].items()),
            "dataSourceSummaries",
            p,
            lambda item: {
                "knowledgeBaseId": kb,
                "dataSourceId": item[0],
                "name": item[1],
                "status": "AVAILABLE",
                "updatedAt": datetime(2026, 1, 1, tzinfo=UTC),
            },
        )

    def _op_list_ingestion_jobs(self, p: dict[str, Any]) -> dict[str, Any]:
        jobs = list(self._jobs_of(p["knowledgeBaseId"], p["dataSourceId"]))
        for condition in p.get("filters", []):
            jobs = [j for j in jobs if j.status in condition["values"]]
        sort = p.get("sortBy") or {"attribute": "STARTED_AT", "order": "ASCENDING"}
        key = (
            (lambda j: (j.status, j.job_id))
            if sort["attribute"] == "STATUS"
            else (lambda j: (j.started_at, j.job_id))
        )
        jobs.sort(key=key, reverse=sort["order"] == "DESCENDING")
        return _page(jobs, "ingestionJobSummaries", p, _ingestion_summary)

    def _op_get_ingestion_job(self, p: dict[str, Any]) -> dict[str, Any]:
        jobs = self._jobs_of(p["knowledgeBaseId"], p["dataSourceId"])
        job = next((j for j in jobs if j.job_id == p["ingestionJobId"]), None)
        if job is None:
            raise _ServiceError("ResourceNotFoundException", "Ingestion job not found")
        return {"ingestionJob": _ingestion_document(job)}

    def _kb(self, kb: str) -> str:
        if kb in self.denied:
            raise _ServiceError("AccessDeniedException", "not authorized on this knowledge base")
        if kb not in self.knowledge_bases:
            raise _ServiceError("ResourceNotFoundException", f"Knowledge base {kb} not found")
        return kb

    def _jobs_of(self, kb: str, ds: str) -> list[_Ingestion]:
        self._kb(kb)
        if ds not in self.data_sources[kb]:
            raise _ServiceError("ResourceNotFoundException", f"Data source {ds} not found")
        return self.ingestion_jobs[(kb, ds)]

    # -- Automated Reasoning ---------------------------------------------------------------------

    def add_policy(self, name: str, tags: Mapping[str, str] | None = None) -> str:
        policy_id = "".join(
            string.ascii_lowercase[(next(self._ids) * 7 + i) % 26] for i in range(12)
        )
        arn = f"arn:aws:bedrock:{self.region}:{self.account}:automated-reasoning-policy/{policy_id}"
        self.policies[arn] = name
        self.builds[arn] = []
        if tags:
            self.tags[arn] = dict(tags)
        return arn

    def delete_policy(self, arn: str) -> None:
        self.policies.pop(arn, None)
        self.builds.pop(arn, None)

    def start_build(
        self, policy_arn: str, build_type: str = "INGEST_CONTENT", status: str = "SCHEDULED"
    ) -> str:
        """A build workflow of the policy, in ``status`` (a finished one for a history)."""
        now = self._clock()
        build = _Build(
            policy_arn,
            str(uuid.UUID(int=next(self._ids), version=4)),
            build_type,
            status,
            now,
            now,
        )
        self.builds[policy_arn].append(build)
        return build.build_id

    def set_build_status(self, policy_arn: str, build_id: str, status: str) -> None:
        build = next(b for b in self.builds[policy_arn] if b.build_id == build_id)
        build.status = status
        build.updated_at = self._clock()

    def _op_list_automated_reasoning_policies(self, p: dict[str, Any]) -> dict[str, Any]:
        return _page(
            sorted(self.policies.items()),
            "automatedReasoningPolicySummaries",
            p,
            lambda item: {
                "policyArn": item[0],
                "name": item[1],
                "version": "1",  # the model allows digits only, even for the draft
                "policyId": item[0].rsplit("/", 1)[-1],
                "createdAt": datetime(2026, 1, 1, tzinfo=UTC),
                "updatedAt": datetime(2026, 1, 1, tzinfo=UTC),
            },
        )

    def _op_list_automated_reasoning_policy_build_workflows(
        self, p: dict[str, Any]
    ) -> dict[str, Any]:
        builds = self._builds_of(p["policyArn"])
        ordered = builds[::-1] if self.builds_newest_first else builds
        return _page(ordered, "automatedReasoningPolicyBuildWorkflowSummaries", p, _build_document)

    def _op_get_automated_reasoning_policy_build_workflow(
        self, p: dict[str, Any]
    ) -> dict[str, Any]:
        builds = self._builds_of(p["policyArn"])
        build = next((b for b in builds if b.build_id == p["buildWorkflowId"]), None)
        if build is None:
            raise _ServiceError("ResourceNotFoundException", "Build workflow not found")
        return {**_build_document(build), "documentName": "policy.pdf"}

    def _builds_of(self, arn: str) -> list[_Build]:
        if arn in self.denied:
            raise _ServiceError("AccessDeniedException", "not authorized on this policy")
        if arn not in self.builds:
            raise _ServiceError("ResourceNotFoundException", "Policy not found")
        return self.builds[arn]

    def _id10(self) -> str:
        alphabet = string.ascii_uppercase + string.digits
        n = next(self._ids)
        return "".join(alphabet[(n // 36**i) % 36] for i in range(10))


# -- shapes and paging ---------------------------------------------------------------------


_AGENT_TAGS_PATTERN = (
    r"arn:aws(-cn|-us-gov|-eusc|-iso(-[b-f])?)?:bedrock:[a-zA-Z0-9-]+:[0-9]{12}:"
    r"(agent|agent-alias|knowledge-base|flow|prompt)/[A-Z0-9]{10}(?:/[A-Z0-9]{10})?"
)
"""What ``bedrock-agent``'s ``ListTagsForResource`` ``resourceArn`` pattern means to say. The
pattern in botocore's model (1.44.5) writes the account as ``:/d{12}:`` (a slash and a literal
``d``, not a digit class), which no real knowledge base ARN fits; the service takes them. The
simulator checks a knowledge base ARN against this corrected form instead of the model's pattern
(and everything else against the model)."""


def _pattern_erratum(operation: str, params: dict[str, Any], problem: str) -> bool:
    """Whether ``problem`` is the model's pattern erratum (see ``_AGENT_TAGS_PATTERN``) for a
    ``resourceArn`` that fits the corrected pattern."""
    value = params.get("resourceArn")
    return (
        operation == "ListTagsForResource"
        and isinstance(value, str)
        and problem.startswith(".resourceArn:")
        and "does not match" in problem
        and re.fullmatch(_AGENT_TAGS_PATTERN, value) is not None
    )


_ANSWERED = "answered_by_simulator"
"""Set on a request a simulator answered at ``before-send`` (this one over HTTP, and
``sim/bedrock.py``, whose ``ANSWERED`` is the same name: the name is shared, not the code)."""


class _RawBody:
    """The ``raw`` an ``AWSResponse`` reads its content from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def _json_time(value: object) -> str:
    """A response's timestamp as Bedrock's JSON APIs send it (ISO 8601, milliseconds, Z)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    raise TypeError(f"cannot serialize {type(value).__name__}")


def _refuse_unanswered(request: Any, **_: Any) -> None:
    """The last ``before-send`` handler of a client answered over HTTP: a request no simulator
    answered would otherwise go to AWS (moto's stub is off the client)."""
    if getattr(request, _ANSWERED, None) is None:
        raise NotImplementedError(f"no simulator answers {request.method} {request.url}")


def _keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["sim_params"] = dict(params)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _page(
    items: Sequence[_T], key: str, p: dict[str, Any], document: Callable[[_T], dict[str, Any]]
) -> dict[str, Any]:
    """The page of ``items`` (already filtered and in the answer's order) that ``p``'s
    ``nextToken`` and ``maxResults`` (default 1,000) ask for. Only the page's items become
    documents (``document``), so a leaf of 10,000 jobs costs a page, not its whole history."""
    start = int(base64.b64decode(p["nextToken"]).decode()) if p.get("nextToken") else 0
    size = int(p.get("maxResults") or 1000)
    body: dict[str, Any] = {key: [document(item) for item in items[start : start + size]]}
    if start + size < len(items):
        body["nextToken"] = base64.b64encode(str(start + size).encode()).decode()
    return body


def _ingestion_summary(job: _Ingestion) -> dict[str, Any]:
    """An ingestion job's list summary: its document without failure reasons."""
    doc = _ingestion_document(job)
    doc.pop("failureReasons", None)  # the summary has no failure reasons
    return doc


def _ingestion_document(job: _Ingestion) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "knowledgeBaseId": job.kb,
        "dataSourceId": job.ds,
        "ingestionJobId": job.job_id,
        "status": job.status,
        "startedAt": job.started_at,
        "updatedAt": job.updated_at,
        "statistics": dict(job.statistics),
    }
    if job.failure_reasons:
        doc["failureReasons"] = list(job.failure_reasons)
    return doc


def _build_document(build: _Build) -> dict[str, Any]:
    return {
        "policyArn": build.policy_arn,
        "buildWorkflowId": build.build_id,
        "status": build.status,
        "buildWorkflowType": build.build_type,
        "createdAt": build.created_at,
        "updatedAt": build.updated_at,
    }


def _check_output(model: OperationModel, body: dict[str, Any]) -> None:
    """Raise ResponseShapeError unless ``body`` fits the output shape (list items one by one:
    the services do not apply length traits to a page of summaries)."""
    shape = model.output_shape
    problems: list[str] = []
    for name, value in body.items():
        member = shape.members.get(name)
        if member is None:
            problems.append(f"{name}: not in {shape.name}")
        elif member.type_name == "list":
            for i, item in enumerate(value, 1):
                problems += _validate(member.member, item, f"{name}.{i}")
        else:
            problems += _validate(member, value, name)
    missing = [m for m in shape.required_members if m not in body]
    problems += [f"{m}: required" for m in missing]
    if problems:
        raise ResponseShapeError(f"{model.name}: " + "; ".join(problems))


def _validate(shape: Shape, value: Any, path: str) -> list[str]:
    report = ParamValidator().validate(value, shape)
    found = [report.generate_report()] if report.has_errors() else []
    return found + list(_violations(shape, value, path))


def _violations(shape: Shape, value: Any, path: str) -> Iterator[str]:
    """What botocore does not check: enums, lengths and ranges (max too), patterns."""
    if shape.type_name == "structure" and isinstance(value, Mapping):
        for name, member_value in value.items():
            if name in shape.members:
                yield from _violations(shape.members[name], member_value, f"{path}.{name}")
        return
    if shape.type_name == "list" and isinstance(value, list):
        for i, item in enumerate(value, 1):
            yield from _violations(shape.member, item, f"{path}.{i}")
    meta = shape.metadata
    if "enum" in meta and value not in meta["enum"]:
        yield f"{path}: {value!r} not in {meta['enum']}"
    size = len(value) if isinstance(value, str | list) else value
    if isinstance(size, int) and not isinstance(size, bool):
        if "min" in meta and size < meta["min"]:
            yield f"{path}: below {meta['min']}"
        if "max" in meta and size > meta["max"]:
            yield f"{path}: above {meta['max']}"
    if "pattern" in meta and isinstance(value, str) and not re.fullmatch(meta["pattern"], value):
        yield f"{path}: {value!r} does not match {meta['pattern']}"
