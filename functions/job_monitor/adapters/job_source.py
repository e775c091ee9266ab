"""A Bedrock client as a job source: pages a kind's list operation and describes one job.

One source per (service, region): the ``bedrock`` client serves the control-plane kinds, and a kind
served by ``bedrock-agent`` or ``bedrock-runtime`` gets a source on that client (``wiring``). The
request shapes are the registry's (``JobKind``: time and status filter parameters, sort, summary
key, detail identifier), so a new kind is an entry, not code here.

It translates botocore errors into domain errors: a missing job is ``None``; a kind the account
cannot use (denied, not offered in the region, validation) is ``KindUnavailable``. Throttling and
5xx are retried by botocore's retry handler (see ``bedrock_client_config``), not here.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from job_monitor.domain.jobs import Job, failure_messages
from job_monitor.domain.kinds import JobKind
from job_monitor.domain.sweep import Path
from job_monitor.ports import (
    KindUnavailable,
    NodePage,
    Page,
    ParentGone,
    ParentUnavailable,
    RegionUnavailable,
)

if TYPE_CHECKING:
    from botocore.config import Config

logger = logging.getLogger(__name__)

PAGE_SIZE = 1000
"""The list operations' maximum page size."""

_UNAVAILABLE_CODES = frozenset(
    {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnknownOperationException"}
)
"""Denied, or not offered in this region. Anything else (a validation error in our request, bad
credentials, ...) is reported with its own code: it is not a property of the account."""
_REGION_DISABLED_CODES = frozenset({"UnrecognizedClientException", "InvalidClientTokenId"})
"""What an opt-in region that is not enabled for the account answers to every request."""


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

    def list_under(self, kind: JobKind, path: Path, next_token: str | None = None) -> NodePage:
        """One page under ``path`` (see ``ports.ParentJobSource``). Request shapes are the
        registry's: ``kind.parents[len(path)]``'s list with the ids above it, or at the leaves
        the kind's list with its sort; each parent id goes to the parameter of its id field."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        params: dict[str, Any] = {
            level.id_field: node_id for level, node_id in zip(kind.parents, path, strict=False)
        }
        params["maxResults"] = self.page_size
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
            if path and exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise ParentGone(path) from exc
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
        jobs: list[Job] = []
        for summary in response.get(kind.summaries_key, []):
            try:
                jobs.append(self._parent_scoped_job(kind, summary))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                logger.warning(
                    "skipping a job summary that lacks a required field",
                    extra={"kind": kind.name, "path": "/".join(path), "error": repr(exc)},
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
            params[kind.status_filter_param] = status
        if next_token:
            params["nextToken"] = next_token
        response = self._call(kind, kind.list_operation, params)
        jobs: list[Job] = []
        for summary in response.get(kind.summaries_key, []):
            try:
                jobs.append(Job.from_summary(kind, summary))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                logger.warning(
                    "skipping a job summary that lacks a required field",
                    extra={
                        "kind": kind.name,
                        "job_arn": summary.get(kind.arn_field),
                        "error": repr(exc),
                    },
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

    def _call(self, kind: JobKind, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        from botocore.exceptions import (  # noqa: PLC0415
            ClientError,
            ConnectionError,
            ReadTimeoutError,
        )

        self.calls[operation] += 1
        try:
            result: dict[str, Any] = getattr(self.client, operation)(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if code in _UNAVAILABLE_CODES:
                raise KindUnavailable(kind, code, str(error.get("Message", ""))) from exc
            if code in _REGION_DISABLED_CODES:
                raise RegionUnavailable(self.region, f"{code}: region not enabled?") from exc
            raise
        except (ConnectionError, ReadTimeoutError) as exc:
            # botocore already retried (each attempt waiting up to its timeout): the endpoint
            # cannot be reached, or does not answer. Asking it for the other kinds would spend
            # the invocation's time on the same wait, so the whole region is skipped this run.
            raise RegionUnavailable(self.region, f"cannot connect or no answer: {exc}") from exc
        return result

    @property
    def region(self) -> str:
        return str(getattr(getattr(self.client, "meta", None), "region_name", "") or "")


def _with_failures(job: Job, messages: tuple[str, ...]) -> Job:
    from dataclasses import replace  # noqa: PLC0415

    return replace(job, failure_messages=messages)
