"""A Bedrock client as a job source: pages a kind's list operation and describes one job.

One source per (service, region): the ``bedrock`` client serves the control-plane kinds, and a kind
served by ``bedrock-agent`` or ``bedrock-runtime`` gets a source on that client (``wiring``). The
request shapes are the registry's (``JobKind``: time and status filter parameters, sort, summary
key, detail identifier), so a new kind is an entry, not code here.

It translates botocore errors into domain errors: a missing job is ``None``; a kind the account
may not use (denied) is ``KindUnavailable``; a kind the region does not offer is ``KindNotOffered``
(``not_offered_evidence`` says which answers mean that); a region that does not answer at all is
``RegionUnavailable``. Throttling and 5xx are retried by botocore's retry handler (see
``job_client_config``), not here.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from job_monitor.domain.jobs import Job, failure_messages
from job_monitor.domain.kinds import TAG_OPERATION, JobKind
from job_monitor.domain.sweep import Path
from job_monitor.ports import (
    KindNotOffered,
    KindUnavailable,
    NodePage,
    Page,
    PageTokenRejected,
    ParentGone,
    ParentUnavailable,
    RegionUnavailable,
    TagsUnreadable,
)

if TYPE_CHECKING:
    from botocore.config import Config

logger = logging.getLogger(__name__)

_CALLS_LOCK = threading.Lock()
PAGE_SIZE = 1000
"""The list operations' maximum page size."""

_UNAVAILABLE_CODES = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"})
"""Denied. Anything else (a validation error in our request, bad credentials, ...) is reported
with its own code: it is not a property of the account."""
_NOT_OFFERED_CODES = frozenset({"UnknownOperationException"})
"""The AWS protocol's answer to an operation the endpoint does not route (seen from Bedrock, e.g.
``com.amazon.coral.service#UnknownOperationException``)."""
_NOT_OFFERED_MESSAGE = re.compile(
    r"unknown operation|operation unknown|operation is not recognized"
    r"|not (?:supported|available|offered) in (?:this|the|your) region",
    re.IGNORECASE,
)
"""``ValidationException`` messages that say the operation is not offered here, as reported
from Bedrock endpoints: "Unknown operation" (ListInferenceProfiles), "Operation unknown" and
"The requested operation is not recognized by the service" (an operation sent to an endpoint that
does not serve it), "... is not supported in this region"."""
_REGION_DISABLED_CODES = frozenset({"UnrecognizedClientException", "InvalidClientTokenId"})
"""What an opt-in region that is not enabled for the account answers to every request."""


def not_offered_evidence(code: str, message: str, http_status: int, *, listing: bool) -> str | None:
    """What shows that the operation is not offered in this region, or None when the error says
    something else (denied, throttled, a bad request...).

    ``listing``: the request was a list operation. A list request names no resource, so a 404
    to it cannot be a missing job: the endpoint has no such route (seen with an empty code or a
    bare ``NotFound``). A 404 ``ResourceNotFoundException`` to a describe is a missing job and
    is not classified here."""
    if code in _NOT_OFFERED_CODES:
        return f"{code} (HTTP {http_status}): {message}".rstrip(": ")
    if code == "ValidationException" and _NOT_OFFERED_MESSAGE.search(message or ""):
        return f"{code}: {message}"
    if listing and http_status == 404 and code != "ResourceNotFoundException":
        return f"HTTP 404 {code or '(no error code)'} to a list request: {message}".rstrip(": ")
    return None


def endpoint_not_in_region(service: str, region: str) -> bool:
    """True when botocore's endpoint data lists regions for ``service`` in ``region``'s partition
    and ``region`` is not one of them: the service has no endpoint there. False when the data
    says nothing either way (a service described by endpoint rules only lists no regions)."""
    import botocore.session  # noqa: PLC0415 - keeps botocore off pure imports

    session = botocore.session.get_session()
    partition = session.get_partition_for_region(region) if region else None
    if partition is None:
        return False
    offered = session.get_available_regions(service, partition_name=partition)
    return bool(offered) and region not in offered


def job_client_config() -> Config:
    """Throttling and 5xx are retried by botocore's adaptive mode (backoff plus rate limiting)."""
    from botocore.config import Config  # noqa: PLC0415 - keeps botocore off pure imports

    return Config(
        retries={"mode": "adaptive", "max_attempts": 6},
        connect_timeout=5,
        read_timeout=20,
    )


@dataclass
class BedrockJobSource:
    client: Any
    """A boto3 client of the kinds' service (``bedrock``, ``bedrock-agent``...), passed in: created
    by the wiring on the first invocation, never at import time."""
    page_size: int = PAGE_SIZE
    calls: Counter[str] = field(default_factory=Counter)
    account: str = ""
    partition: str = "aws"
    """The account and partition the client is in: a parent-scoped kind's job identity is made
    with them (``JobKind.identity_template``); the wiring reads them from the topic's ARN."""

    def list_under(
        self, kind: JobKind, path: Path, next_token: str | None = None, *, limit: int | None = None
    ) -> NodePage:
        """One page under ``path`` (see ``ports.ParentJobSource``). Request shapes are the
        registry's: ``kind.parents[len(path)]``'s list with the ids above it, or at the leaves
        the kind's list with its sort; each parent id goes to the parameter of its id field."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        params: dict[str, Any] = {
            level.id_field: node_id for level, node_id in zip(kind.parents, path, strict=False)
        }
        params["maxResults"] = min(limit, self.page_size) if limit else self.page_size
        if next_token:
            params["nextToken"] = next_token
        leaf = len(path) == len(kind.parents)
        if leaf:
            params.update(dict(kind.sort_params))
        operation = kind.list_operation if leaf else kind.parents[len(path)].list_operation
        try:
            response = self._call(kind, operation, params)
        except KindUnavailable as exc:
            if not path:
                raise
            raise ParentUnavailable(path, exc.code) from exc
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if path and code == "ResourceNotFoundException":
                raise ParentGone(path) from exc
            if next_token and code == "ValidationException":
                raise PageTokenRejected(path, code) from exc
            raise
        token = response.get("nextToken") or None
        if not leaf:
            level = kind.parents[len(path)]
            children = [
                (str(s[level.id_field]), str(s.get(level.name_field) or s[level.id_field]))
                for s in response.get(level.summaries_key, [])
                if s.get(level.id_field)
            ]
            return NodePage(children=children, jobs=[], next_token=token)
        jobs = _readable_jobs(
            kind,
            response.get(kind.summaries_key, []),
            lambda summary: self._parent_scoped_job(kind, summary),
            lambda summary: {"path": "/".join(path)},
        )
        return NodePage(children=[], jobs=jobs, next_token=token)

    def _parent_scoped_job(self, kind: JobKind, summary: dict[str, Any]) -> Job:
        """A Job from a parent-scoped kind's summary or detail: its identity is the monitor's
        (``JobKind.identity``), put where ``Job.from_summary`` reads the ARN."""
        prefix = f"arn:{self.partition}:bedrock:{self.region}:{self.account}:"
        return Job.from_summary(kind, {**summary, kind.arn_field: kind.identity(summary, prefix)})

    def list_page(
        self,
        kind: JobKind,
        *,
        after: datetime | None = None,
        before: datetime | None = None,
        status: str | None = None,
        next_token: str | None = None,
        limit: int | None = None,
    ) -> Page:
        params: dict[str, Any] = {**dict(kind.sort_params), "maxResults": limit or self.page_size}
        if after is not None and kind.time_after_param is not None:
            params[kind.time_after_param] = after
        if before is not None and kind.time_before_param is not None:
            params[kind.time_before_param] = before
        if status is not None:
            if kind.status_filter_param is None:
                raise ValueError(f"{kind.name}: its list operation has no status filter")
            params[kind.status_filter_param] = status
        if next_token:
            params["nextToken"] = next_token
        response = self._call(kind, kind.list_operation, params)
        jobs = _readable_jobs(
            kind,
            response.get(kind.summaries_key, []),
            lambda summary: Job.from_summary(kind, summary),
            lambda summary: {"job_arn": summary.get(kind.arn_field)},
        )
        return Page(jobs=jobs, next_token=response.get("nextToken") or None)

    def describe(self, kind: JobKind, arn: str) -> Job | None:
        """The job's detail, or None when the service does not know it (404).

        ``arn`` goes to the kind's ``detail_id_param`` as given: the job ARN, or any identifier
        the detail operation accepts (``JobKind.detail_id_forms``; the real-time path passes the
        job name when an event's ARN is not in a form the operation's pattern takes). The Job
        returned carries the ARN Bedrock answers with, which is the one to key state on. An
        identifier outside the pattern is the service's ``ValidationException``, raised as is."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        if kind.parents:
            params = kind.identity_params(arn)
            if params is None:
                raise ValueError(f"not a {kind.name} job identity: {arn}")
        else:
            params = {kind.detail_id_param: arn}
        try:
            response = self._call(kind, kind.detail_operation, params)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise
        if kind.detail_result_key:
            response = response.get(kind.detail_result_key) or {}
        if kind.parents:
            job = self._parent_scoped_job(kind, response)
        else:
            job = Job.from_summary(kind, response)
        detail_messages = failure_messages(response, kind.detail_failure_field)
        if detail_messages:
            job = _with_failures(job, detail_messages)
        return job

    def read_tags(self, kind: JobKind, arn: str) -> dict[str, str]:
        """Every tag of what carries the job's tags (``ports.TagReader``): one
        ``ListTagsForResource`` on this client with the identifier the kind's ``TagSource``
        names (``resourceARN`` on ``bedrock``, answered as a list of ``{"key", "value"}``;
        ``resourceArn`` on ``bedrock-agent``, answered as a map). Throttling and 5xx are retried
        by botocore (``job_client_config``); whatever still fails raises ``TagsUnreadable``
        with the error code. ValueError for a kind without a tag source or an identity that does
        not fit it (a wiring or registry error)."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        source = kind.tag_source
        resource = source.resource_arn(arn) if source is not None else None
        if source is None or resource is None:
            raise ValueError(f"{kind.name}: no tag source for {arn}")
        method = getattr(self.client, TAG_OPERATION, None)
        if method is None:  # an SDK without the operation: the alert goes out without tags
            raise TagsUnreadable(kind, resource, "OperationNotInSdk")
        self.calls[TAG_OPERATION] += 1
        try:
            response = method(**{source.arn_param: resource})
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "")) or "ClientError"
            raise TagsUnreadable(kind, resource, code) from exc
        except BotoCoreError as exc:
            raise TagsUnreadable(kind, resource, type(exc).__name__) from exc
        return tags_of(response.get("tags"))

    def _call(self, kind: JobKind, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        from botocore.exceptions import (  # noqa: PLC0415
            ClientError,
            ConnectionError,
            EndpointConnectionError,
            ReadTimeoutError,
        )

        # Every operation of an enabled kind is in the loaded SDK: the handlers' clients are
        # refused at cold start otherwise (``adapters.sdk_support.SdkTooOld``, from
        # ``wiring.aws_clients``), before any poll.
        method = getattr(self.client, operation)
        with _CALLS_LOCK:  # the scans of a region run on several threads (poll.run)
            self.calls[operation] += 1
        try:
            result: dict[str, Any] = method(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            message = str(error.get("Message", ""))
            http_status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            # A list that names no resource: the kind's own list, or a parent-scoped kind's
            # top parent list (the lists below it name a parent, whose 404 means it is gone).
            top_list = kind.parents[0].list_operation if kind.parents else kind.list_operation
            listing = operation == top_list
            evidence = not_offered_evidence(code, message, http_status, listing=listing)
            if evidence is not None:
                raise KindNotOffered(kind, self.region, evidence) from exc
            if code in _UNAVAILABLE_CODES:
                raise KindUnavailable(kind, code, message) from exc
            if code in _REGION_DISABLED_CODES:
                raise RegionUnavailable(self.region, f"{code}: region not enabled?") from exc
            raise
        except EndpointConnectionError as exc:
            service = str(self.client.meta.service_model.service_name)
            if endpoint_not_in_region(service, self.region):
                raise KindNotOffered(
                    kind, self.region, f"botocore's endpoint data has no {service} endpoint here"
                ) from exc
            raise RegionUnavailable(self.region, f"cannot connect or no answer: {exc}") from exc
        except (ConnectionError, ReadTimeoutError) as exc:
            # botocore already retried (each attempt waiting up to its timeout): the endpoint
            # cannot be reached, or does not answer. Asking it for the other kinds would spend
            # the invocation's time on the same wait, so the whole region is skipped this run.
            raise RegionUnavailable(self.region, f"cannot connect or no answer: {exc}") from exc
        return result

    @property
    def region(self) -> str:
        return str(getattr(getattr(self.client, "meta", None), "region_name", "") or "")


def tags_of(value: Any) -> dict[str, str]:
    """A ``ListTagsForResource`` answer's ``tags`` as key -> value: the ``bedrock`` model's list
    of ``{"key": ..., "value": ...}`` or the ``bedrock-agent`` model's map. Entries that are not
    strings are left out; absent = no tags."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items() if isinstance(v, str)}
    if isinstance(value, list):
        return {
            str(t["key"]): t["value"]
            for t in value
            if isinstance(t, dict)
            and isinstance(t.get("key"), str)
            and isinstance(t.get("value"), str)
        }
    return {}


def _with_failures(job: Job, messages: tuple[str, ...]) -> Job:
    from dataclasses import replace  # noqa: PLC0415

    return replace(job, failure_messages=messages)


def _readable_jobs(
    kind: JobKind,
    summaries: Iterable[dict[str, Any]],
    read: Callable[[dict[str, Any]], Job],
    where: Callable[[dict[str, Any]], dict[str, Any]],
) -> list[Job]:
    """``read`` of each summary; one that lacks a required field is skipped and logged with
    ``where`` (its ARN, or its parent path), so one malformed summary does not fail the page."""
    jobs: list[Job] = []
    for summary in summaries:
        try:
            jobs.append(read(summary))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            logger.warning(
                "skipping a job summary that lacks a required field",
                extra={"kind": kind.name, **where(summary), "error": repr(exc)},
            )
    return jobs
