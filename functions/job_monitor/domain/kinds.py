"""The registry of Bedrock job kinds.

Each kind is data: which client serves it (``service``: ``bedrock``, ``bedrock-agent``,
``bedrock-runtime``...), which list operation to page and how it filters (time filter or none,
status filter), where its summaries live, which fields carry the ARN, the name, the time, the
status and the failure message, how the detail operation takes its identifier, and which statuses
are terminal. Adding a kind means adding one entry to ``REGISTRY``: the wiring builds a client per
(service, region) the enabled kinds need, the IAM grants follow ``list_action``/``detail_action``,
and nothing else in the monitor branches on the kind. Every entry is checked against botocore's
service model by tests/unit/domain/test_kinds.py.

Two kinds are long-lived resources rather than jobs (provisioned throughput, custom model
deployments): only ``Failed`` is terminal for them, so a resource that reached ``InService`` or
``Active`` stays followed and a later ``Updating`` or ``Failed`` is still reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import Any

FAILURE_STATUSES = frozenset({"Failed", "PartiallyCompleted", "Expired", "FAILED"})
"""Statuses that need a failure message (the agent and Automated Reasoning APIs spell FAILED in
capitals)."""
READY_STATUSES = ("InService", "Active")  # a long-lived resource is usable: not terminal, but done
UNKNOWN_STATUS_FOLLOW = timedelta(days=7)
"""How long a job stays followed after the monitor published a status its kind's registry entry
does not know (``JobKind.knows``): long enough to report a later status (``Cancelling ->
Cancelled``, or back to a known one), bounded so a job that really ended there does not stay
"running" for ever nor hold the list floor back (``domain.detect.retired_unknown``)."""

ID_ARN = "arn"
ID_NAME = "name"
ID_JOB_ID = "id"
"""The forms of identifier a detail operation may accept (``JobKind.detail_id_forms``): the job
ARN, the job's name, or its id (the ARN's last path segment)."""

# The detail operations' identifier patterns, verbatim from botocore's Bedrock service model
# (botocore/data/bedrock/*/service-2.json: the ``pattern`` of each Get operation's identifier
# shape); tests/unit/domain/test_kinds.py fails when the model changes them.
_ARN_PREFIX = r"arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:"
_NAME = r"[a-zA-Z0-9](-*[a-zA-Z0-9\+\-\.])*"
CUSTOMIZATION_ID_PATTERN = (
    rf"({_ARN_PREFIX}model-customization-job/[a-z0-9-]{{1,63}}[.]{{1}}[a-z0-9-]{{1,63}}"
    r"([a-z0-9-]{1,63}[.]){0,2}[a-z0-9-]{1,63}([:][a-z0-9-]{1,63}){0,2}/[a-z0-9]{12})"
    rf"|({_NAME})"
)
"""ModelCustomizationJobIdentifier: the ARN with the base model segment, or the job name."""
EVALUATION_ID_PATTERN = rf"({_ARN_PREFIX}evaluation-job/[a-z0-9]{{12}})"
BATCH_INFERENCE_ID_PATTERN = rf"(({_ARN_PREFIX}model-invocation-job/)?[a-z0-9]{{12}})"
"""ModelInvocationJobIdentifier: the ARN or the job id."""
IMPORT_ID_PATTERN = rf"({_ARN_PREFIX}model-import-job/[a-z0-9]{{12}})|({_NAME})"
COPY_ID_PATTERN = rf"{_ARN_PREFIX}model-copy-job/[a-z0-9]{{12}}"
PROVISIONED_ID_PATTERN = rf"((([0-9a-zA-Z][_-]?)+)|({_ARN_PREFIX}provisioned-model/[a-z0-9]{{12}}))"
ASYNC_INVOKE_ID_PATTERN = (
    r"arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:async-invoke/[a-z0-9]{12}"
)
"""GetAsyncInvoke's ``invocationArn`` (botocore's ``bedrock-runtime`` model): the ARN only."""
PROMPT_OPTIMIZATION_ID_PATTERN = (
    rf"(({_ARN_PREFIX}advanced-prompt-optimization-job/)?[a-z0-9]{{12}})"
)
"""GetAdvancedPromptOptimizationJob's ``jobIdentifier``: the ARN or the job id."""
DEPLOYMENT_ID_PATTERN = (
    r"(arn:aws(|-us-gov|-cn|-iso|-iso-b):bedrock:[a-z0-9-]{1,20}:[0-9]{12}:"
    r"custom-model-deployment/[a-z0-9]{12})|^([0-9a-zA-Z][_-]?){1,63}"
)


@dataclass(frozen=True)
class ParentLevel:
    """One level of the resources a parent-scoped kind's jobs live under (``JobKind.parents``):
    the list operation that enumerates them (given the ids of the levels above), where its
    summaries live, and which summary fields carry the id the next level's list takes and the
    display name. Checked against botocore's service models by tests/unit/domain/test_kinds.py."""

    label: str
    """Human name: "knowledge base", "data source", "policy"."""
    list_operation: str
    summaries_key: str
    id_field: str
    """Summary field with the id; the lists below this level take it as the parameter of the
    same name."""
    name_field: str = "name"


TAG_OPERATION = "list_tags_for_resource"
"""The boto3 method that reads a resource's tags, on the ``bedrock`` and ``bedrock-agent``
clients alike (``bedrock-runtime`` has none: an async invocation's tags are read through the
``bedrock`` control plane, whose identifier pattern lists ``async-invoke``)."""


@dataclass(frozen=True)
class TagSource:
    """Where a kind's jobs' tags are read (``ListTagsForResource``), checked against botocore's
    service models by tests/unit/domain/test_kinds.py: the client, the identifier parameter, and
    which resource carries the tags (the job itself, or a parent whose ARN the job's identity
    starts with: the knowledge base of an ingestion job, the policy of a build)."""

    service: str = "bedrock"
    arn_param: str = "resourceARN"
    """``resourceARN`` on ``bedrock``, ``resourceArn`` on ``bedrock-agent``."""
    resource: str = "job"
    """Human name of what carries the tags: "job", "knowledge base", "policy"."""
    resource_pattern: str = r"(?P<arn>.+)"
    """A regular expression over the job's identity whose group ``arn`` is the tagged resource's
    ARN (the whole identity for the job itself)."""
    iam_resource_type: str = ""
    """Bedrock resource type of the tagged resource's ARN (IAM); empty = the kind's own."""

    @property
    def action(self) -> str:
        """The IAM action (``bedrock:ListTagsForResource``: the agent API's prefix is
        ``bedrock:`` too)."""
        return "bedrock:ListTagsForResource"

    def resource_arn(self, identity: str) -> str | None:
        """The tagged resource's ARN from a job's identity; None when it does not fit."""
        match = re.fullmatch(self.resource_pattern, identity)
        return match["arn"] if match else None


@dataclass(frozen=True)
class JobKind:
    name: str
    """Stable identifier: configuration, state keys, SNS message attributes."""
    label: str
    """Human name, as in "[Bedrock] Failed: my-job (customization)"."""
    list_operation: str
    """boto3 method that lists the jobs, newest first when asked; empty for an event-only kind
    (``polled`` is False: no list API exists, so the scheduled run skips it)."""
    summaries_key: str
    time_field: str
    """Summary field that the list operation sorts on (and filters on, see ``time_after_param``)."""
    statuses: frozenset[str]
    """Every status botocore's service model allows for this kind."""
    terminal_statuses: frozenset[str]
    running_order: tuple[str, ...]
    """The non-terminal statuses in lifecycle order (the first run lists them in this order)."""
    detail_operation: str
    """boto3 method that describes one job (takes ``detail_id_param``); empty for an event-only
    kind, whose job is read from the event itself."""
    detail_failure_field: str
    """Field of the detail response with the failure message (a string or a list of strings)."""
    iam_resource_type: str
    """Bedrock resource type of the job ARN, for least-privilege IAM on the detail operation."""
    console_fragment: str
    """Bedrock console page listing this kind (no per-job page route is documented)."""
    time_after_param: str | None = "creationTimeAfter"
    time_before_param: str | None = "creationTimeBefore"
    """The list operation's time filters; None when it has none (the scan then pages newest first
    and stops at the oldest time it needs)."""
    service: str = "bedrock"
    """The boto3 client (botocore service name) that serves the list and detail operations."""
    iam_prefix: str = "bedrock"
    """IAM action prefix of those operations (the agent and runtime APIs use ``bedrock:`` too)."""
    status_filter_param: str | None = "statusEquals"
    """The list operation's parameter that keeps one status (the baseline and the scan's status
    lists use it); None when it has none (advanced prompt optimization): the baseline then pages
    the whole list once, and the scan describes tracked jobs it did not meet instead of listing
    their statuses."""
    sort_params: tuple[tuple[str, Any], ...] = (
        ("sortBy", "CreationTime"),
        ("sortOrder", "Descending"),
    )
    """List parameters that ask for the newest jobs first."""
    summary_failure_field: str | None = None
    """Summary field that already carries the failure message, which saves a detail call."""
    status_field: str = "status"
    arn_field: str = "jobArn"
    """Summary and detail field with the ARN (the job's identity everywhere in the monitor)."""
    name_fields: tuple[str, ...] = ("jobName",)
    """Candidate fields for the display name, first present wins (a list summary and the detail
    response may name it differently)."""
    name_from_arn: bool = False
    """When no name field is present, use the ARN's last path segment (the id) as the name.
    Otherwise a summary without a name is skipped as malformed."""
    detail_id_param: str = "jobIdentifier"
    """Parameter of the detail operation that takes the job's identifier (its ARN, or the other
    forms in ``detail_id_forms``)."""
    detail_id_pattern: str | None = None
    """The identifier parameter's ``pattern`` in botocore's service model, verbatim (the service
    refuses anything else with ``ValidationException``; tests/unit/domain/test_kinds.py checks it
    against the model). Not every ARN form fits: model customization accepts only the list API's
    ``model-customization-job/<base model>/<id>``, not the ``model-customization-job/<id>`` of
    the EventBridge sample in Bedrock's user guide."""
    detail_id_forms: frozenset[str] = frozenset({ID_ARN})
    """Which identifiers the detail operation takes besides the ARN: the job name (model
    customization, import, provisioned throughput, deployment: the pattern's second alternative
    is the name's pattern) or the job id (batch inference: ``(<arn prefix>)?[a-z0-9]{12}``)."""
    statuses_recur: bool = False
    """A status can come back (``InService -> Updating -> InService``), so the dedupe id of a
    transition also carries the time Bedrock last modified the resource."""
    base_model_field: str | None = None
    output_model_field: str | None = None
    end_time_field: str | None = None
    last_modified_field: str | None = None
    default_on: bool = True
    """Whether the kind is monitored when ``job_kinds`` is not set (``DEFAULT_KINDS``).
    Parent-scoped kinds are off by default: each costs up to its sweep budget of calls per run
    per region and needs extra IAM actions."""
    status_details_field: str | None = None
    """Summary field that says what a running job is doing or waiting for: model customization's
    ``statusDetails`` (the status of its validation, data processing and training steps), batch
    inference's ``message``. Read from the list summary, so an overdue alert costs no call."""
    expiration_time_field: str | None = None
    """Summary field with the time the job expires unless it has run by then (batch inference's
    ``jobExpirationTime``)."""
    queued_statuses: frozenset[str] = frozenset()
    """Statuses of a job that has not started running yet (batch inference: ``Submitted``,
    ``Validating``, ``Scheduled``): the ones an expiry warning is about."""
    detail_statuses: frozenset[str] = frozenset()
    """Statuses whose transition describes the job (one Get) for results only the detail response
    has: model customization's losses and output location, evaluation's output location. Failure
    statuses describe the job anyway when the summary lacks the failure message."""
    output_location_path: tuple[str, ...] = ()
    """Keys leading to the job's output S3 URI in a summary or detail response (batch inference:
    in the list summary; customization and evaluation: in the detail response only)."""
    training_metrics_field: str | None = None
    validation_metrics_field: str | None = None
    """Detail fields with the final training loss (``{"trainingLoss": <float>}``) and the
    validation losses (``[{"validationLoss": <float>}]``), model customization only."""
    event_detail_type: str | None = None
    """EventBridge detail-type of the kind's state-change events; None = it emits none."""
    event_statuses: tuple[tuple[str, str], ...] = ()
    """For an event-only kind (``polled`` is False): each EventBridge detail-type it emits and
    the status it means (Data Automation sends one detail-type per status and no ARN)."""
    event_status_field: str | None = None
    event_arn_field: str | None = None
    event_name_field: str | None = None
    """Fields of the event's ``detail`` with the status, the job ARN and the job name (from the
    samples in Bedrock's user guide, "How EventBridge for Amazon Bedrock works")."""

    parents: tuple[ParentLevel, ...] = ()
    """For a kind whose list operation needs parent ids (knowledge base and data source, policy):
    the chain of parents from the account down, enumerated by a bounded sweep
    (``domain.sweep``, ``poll.sweep``) instead of one account-wide list. Empty = account-wide."""
    identity_template: str | None = None
    """For a parent-scoped kind: how the job's identity (its "ARN" everywhere in the monitor) is
    made from summary fields; ``{arn_prefix}`` is ``arn:<partition>:bedrock:<region>:<account>:``.
    Its fields are exactly the detail operation's parameters, so the identity is also how the
    job is described again (``identity_params``)."""
    detail_result_key: str | None = None
    """Key of the detail response that wraps the job (``ingestionJob``); None = top level."""
    statistics_field: str | None = None
    """Summary / detail field with the job's counters (numbers by name), shown in the message."""
    detail_fields: tuple[str, ...] = ()
    """Further summary / detail fields shown in the message as they are (``Job.details``)."""
    tag_source: TagSource | None = None
    """Where the jobs' tags are read; None = the kind cannot be routed by tags (its jobs are not
    taggable resources in botocore's model: model copy jobs, prompt optimization jobs; or it has
    no ARN to ask about: data automation)."""
    start_event_name: str | None = None
    """A parent-scoped kind's start call as CloudTrail names it (``StartIngestionJob``): in
    accounts with a trail it reaches EventBridge as "AWS API Call via CloudTrail", and the
    real-time path flags the leaf its ``requestParameters`` name for the next run."""

    @property
    def parent_actions(self) -> tuple[str, ...]:
        """IAM actions of the parent list operations (``bedrock:ListKnowledgeBases``...)."""
        return tuple(f"{self.iam_prefix}:{_pascal(p.list_operation)}" for p in self.parents)

    @cached_property
    def identity_fields(self) -> tuple[str, ...]:
        """The summary fields (= detail parameters) the identity is made of, in order. Cached:
        read for every listed job of a parent-scoped kind (``identity``, ``Job.from_summary``)."""
        if self.identity_template is None:
            return ()
        names = re.findall(r"{(\w+)}", self.identity_template)
        return tuple(n for n in names if n != "arn_prefix")

    def identity(self, summary: dict[str, Any], arn_prefix: str) -> str:
        """The job's identity from a summary (KeyError when a field is missing)."""
        assert self.identity_template is not None
        values = {f: str(summary[f]) for f in self.identity_fields}
        return self.identity_template.format(arn_prefix=arn_prefix, **values)

    def identity_params(self, identity: str) -> dict[str, str] | None:
        """The detail operation's parameters read back from an identity; None when it is not one
        of this kind's."""
        if self.identity_template is None:
            return None
        pattern = re.escape(self.identity_template)
        pattern = pattern.replace(re.escape("{arn_prefix}"), r"arn:[^:]+:bedrock:[^:]*:[0-9]*:")
        for name in self.identity_fields:
            pattern = pattern.replace(re.escape(f"{{{name}}}"), rf"(?P<{name}>.+?)")
        match = re.fullmatch(pattern, identity)
        return match.groupdict() if match else None

    def leaf_of(self, identity: str) -> tuple[str, ...] | None:
        """The ids of the parents a job lives under (its leaf's path in ``domain.sweep``), read
        from its identity; None when it is not one of this kind's."""
        params = self.identity_params(identity)
        if params is None:
            return None
        return tuple(params[f] for f in self.identity_fields[:-1])

    @property
    def polled(self) -> bool:
        """Whether the scheduled run lists this kind (False: events are its only source)."""
        return bool(self.list_operation)

    @property
    def filters_by_status(self) -> bool:
        return self.status_filter_param is not None

    @property
    def detail_types(self) -> tuple[str, ...]:
        """Every EventBridge detail-type this kind's events come with."""
        single = (self.event_detail_type,) if self.event_detail_type else ()
        return single + tuple(detail_type for detail_type, _ in self.event_statuses)

    @property
    def non_terminal_statuses(self) -> frozenset[str]:
        return self.statuses - self.terminal_statuses

    @property
    def operations(self) -> tuple[str, ...]:
        """The boto3 methods of ``service``'s client this kind calls, each once: the list operations
        of its parent chain (``parents``, from the top: ``list_knowledge_bases``...), then its list
        and detail operations. Checked against the loaded SDK's service model at start
        (``adapters.sdk_support.check_operations``). Empty for an event-only kind, which calls
        nothing (``polled`` False and no detail operation)."""
        parents = tuple(level.list_operation for level in self.parents)
        methods = (*parents, self.list_operation, self.detail_operation)
        return tuple(method for method in dict.fromkeys(methods) if method)

    @property
    def list_action(self) -> str:
        """The IAM action of the list operation, e.g. ``bedrock:ListModelCustomizationJobs``."""
        return f"{self.iam_prefix}:{_pascal(self.list_operation)}" if self.polled else ""

    @property
    def detail_action(self) -> str:
        if not self.detail_operation:
            return ""
        return f"{self.iam_prefix}:{_pascal(self.detail_operation)}"

    @property
    def filters_by_time(self) -> bool:
        return self.time_after_param is not None

    @property
    def noun(self) -> str:
        """How a message names one of these: "customization job", but "provisioned throughput"
        (a long-lived resource, whose statuses recur, is not a job)."""
        return self.label if self.statuses_recur else f"{self.label} job"

    def accepts_identifier(self, identifier: str) -> bool:
        """Whether the detail operation takes ``identifier`` (it fits ``detail_id_pattern``, as the
        service checks it: the whole value, not a part)."""
        if not identifier:
            return False
        return self.detail_id_pattern is None or (
            re.fullmatch(self.detail_id_pattern, identifier) is not None
        )

    def is_terminal(self, status: str) -> bool:
        return status in self.terminal_statuses

    def knows(self, status: str) -> bool:
        """Whether ``status`` is one of this kind's statuses in the registry (botocore's model when
        this version was written). Bedrock may add statuses before the registry does: such a
        status is not terminal, is published marked unknown, and is followed for at most
        ``UNKNOWN_STATUS_FOLLOW`` (see ``domain.detect.retired_unknown``)."""
        return status in self.statuses

    def needs_failure_message(self, status: str) -> bool:
        return status in FAILURE_STATUSES

    def needs_detail(self, status: str, *, has_failure_message: bool, has_output: bool) -> bool:
        """Whether a transition into ``status`` describes the job: for its failure message (when
        the summary had none) or for results only the detail has (``detail_statuses``, unless the
        job came from a detail response already: ``has_output``, its output location, is then
        known). One Get at most either way."""
        if self.needs_failure_message(status) and not has_failure_message:
            return True
        return status in self.detail_statuses and not has_output


def _pascal(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


JOB_TAGS = TagSource()
"""The job itself is tagged (its create call takes ``tags`` or ``jobTags``), read with the
``bedrock`` client's ``ListTagsForResource``."""

MODEL_CUSTOMIZATION = JobKind(
    name="model-customization",
    label="customization",
    list_operation="list_model_customization_jobs",
    summaries_key="modelCustomizationJobSummaries",
    time_field="creationTime",
    statuses=frozenset({"InProgress", "Completed", "Failed", "Stopping", "Stopped"}),
    terminal_statuses=frozenset({"Completed", "Failed", "Stopped"}),
    running_order=("InProgress", "Stopping"),
    detail_operation="get_model_customization_job",
    detail_failure_field="failureMessage",
    iam_resource_type="model-customization-job",
    console_fragment="custom-models",
    detail_id_pattern=CUSTOMIZATION_ID_PATTERN,
    detail_id_forms=frozenset({ID_ARN, ID_NAME}),
    base_model_field="baseModelArn",
    output_model_field="customModelArn",
    end_time_field="endTime",
    last_modified_field="lastModifiedTime",
    status_details_field="statusDetails",
    detail_statuses=frozenset({"Completed"}),
    output_location_path=("outputDataConfig", "s3Uri"),
    training_metrics_field="trainingMetrics",
    validation_metrics_field="validationMetrics",
    event_detail_type="Model Customization Job State Change",
    event_status_field="jobStatus",
    event_arn_field="jobArn",
    event_name_field="jobName",
    tag_source=JOB_TAGS,
)

EVALUATION = JobKind(
    name="evaluation",
    label="evaluation",
    list_operation="list_evaluation_jobs",
    summaries_key="jobSummaries",
    time_field="creationTime",
    # "Deleting" is not terminal: the job is tracked until it leaves the list.
    statuses=frozenset({"InProgress", "Completed", "Failed", "Stopping", "Stopped", "Deleting"}),
    terminal_statuses=frozenset({"Completed", "Failed", "Stopped"}),
    running_order=("InProgress", "Stopping", "Deleting"),
    detail_operation="get_evaluation_job",
    detail_failure_field="failureMessages",
    iam_resource_type="evaluation-job",
    detail_id_pattern=EVALUATION_ID_PATTERN,
    console_fragment="model-evaluation",
    base_model_field="modelIdentifiers",
    detail_statuses=frozenset({"Completed"}),
    output_location_path=("outputDataConfig", "s3Uri"),
    tag_source=JOB_TAGS,
)

BATCH_INFERENCE = JobKind(
    name="batch-inference",
    label="batch inference",
    list_operation="list_model_invocation_jobs",
    summaries_key="invocationJobSummaries",
    time_field="submitTime",
    time_after_param="submitTimeAfter",
    time_before_param="submitTimeBefore",
    statuses=frozenset(
        {
            "Submitted",
            "Validating",
            "Scheduled",
            "InProgress",
            "Stopping",
            "Completed",
            "PartiallyCompleted",
            "Failed",
            "Stopped",
            "Expired",
        }
    ),
    terminal_statuses=frozenset(
        {"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"}
    ),
    running_order=("Submitted", "Validating", "Scheduled", "InProgress", "Stopping"),
    detail_operation="get_model_invocation_job",
    detail_failure_field="message",
    iam_resource_type="model-invocation-job",
    detail_id_pattern=BATCH_INFERENCE_ID_PATTERN,
    detail_id_forms=frozenset({ID_ARN, ID_JOB_ID}),
    console_fragment="batch-inference",
    summary_failure_field="message",
    base_model_field="modelId",
    end_time_field="endTime",
    last_modified_field="lastModifiedTime",
    status_details_field="message",
    expiration_time_field="jobExpirationTime",
    queued_statuses=frozenset({"Submitted", "Validating", "Scheduled"}),
    output_location_path=("outputDataConfig", "s3OutputDataConfig", "s3Uri"),
    # The documented sample's times are not ISO 8601 ("Wed Aug 28 22:58:30 UTC 2024"): the
    # real-time path reads only the ARN and describes the job.
    event_detail_type="Batch Inference Job State Change",
    event_status_field="status",
    event_arn_field="batchJobArn",
    event_name_field="batchJobName",
    tag_source=JOB_TAGS,
)

MODEL_IMPORT = JobKind(
    name="model-import",
    label="model import",
    list_operation="list_model_import_jobs",
    summaries_key="modelImportJobSummaries",
    time_field="creationTime",
    statuses=frozenset({"InProgress", "Completed", "Failed"}),
    terminal_statuses=frozenset({"Completed", "Failed"}),
    running_order=("InProgress",),
    detail_operation="get_model_import_job",
    detail_failure_field="failureMessage",
    iam_resource_type="model-import-job",
    detail_id_pattern=IMPORT_ID_PATTERN,
    detail_id_forms=frozenset({ID_ARN, ID_NAME}),
    # The console's imported-models list page; not a documented route (see message.console_url).
    console_fragment="imported-models",
    output_model_field="importedModelArn",
    end_time_field="endTime",
    last_modified_field="lastModifiedTime",
    tag_source=JOB_TAGS,
)

MODEL_COPY = JobKind(
    name="model-copy",
    label="model copy",
    list_operation="list_model_copy_jobs",
    summaries_key="modelCopyJobSummaries",
    time_field="creationTime",
    statuses=frozenset({"InProgress", "Completed", "Failed"}),
    terminal_statuses=frozenset({"Completed", "Failed"}),
    running_order=("InProgress",),
    detail_operation="get_model_copy_job",
    detail_failure_field="failureMessage",
    iam_resource_type="model-copy-job",
    detail_id_pattern=COPY_ID_PATTERN,
    # Copied models appear on the custom models page; not a documented route.
    console_fragment="custom-models",
    # Copy jobs have no name: the target model's name when given, else the job id.
    name_fields=("targetModelName",),
    name_from_arn=True,
    detail_id_param="jobArn",
    summary_failure_field="failureMessage",
    base_model_field="sourceModelArn",
    output_model_field="targetModelArn",
)

PROVISIONED_THROUGHPUT = JobKind(
    name="provisioned-throughput",
    label="provisioned throughput",
    list_operation="list_provisioned_model_throughputs",
    summaries_key="provisionedModelSummaries",
    time_field="creationTime",
    statuses=frozenset({"Creating", "InService", "Updating", "Failed"}),
    # A long-lived resource: InService is reported but stays followed (it may update or fail).
    terminal_statuses=frozenset({"Failed"}),
    running_order=("Creating", "Updating", "InService"),
    detail_operation="get_provisioned_model_throughput",
    detail_failure_field="failureMessage",
    iam_resource_type="provisioned-model",
    detail_id_pattern=PROVISIONED_ID_PATTERN,
    detail_id_forms=frozenset({ID_ARN, ID_NAME}),
    # The console's provisioned throughput list page; not a documented route.
    console_fragment="provisioned-throughput",
    arn_field="provisionedModelArn",
    name_fields=("provisionedModelName",),
    detail_id_param="provisionedModelId",
    statuses_recur=True,
    base_model_field="modelArn",
    last_modified_field="lastModifiedTime",
    tag_source=JOB_TAGS,
)

CUSTOM_MODEL_DEPLOYMENT = JobKind(
    name="custom-model-deployment",
    label="custom model deployment",
    list_operation="list_custom_model_deployments",
    summaries_key="modelDeploymentSummaries",
    time_field="createdAt",
    time_after_param="createdAfter",
    time_before_param="createdBefore",
    statuses=frozenset({"Creating", "Active", "Failed"}),
    # A long-lived resource: Active is reported but stays followed (it may still fail).
    terminal_statuses=frozenset({"Failed"}),
    running_order=("Creating", "Active"),
    detail_operation="get_custom_model_deployment",
    detail_failure_field="failureMessage",
    iam_resource_type="custom-model-deployment",
    detail_id_pattern=DEPLOYMENT_ID_PATTERN,
    detail_id_forms=frozenset({ID_ARN, ID_NAME}),
    # Deployments are managed from the custom models page; not a documented route.
    console_fragment="custom-models",
    arn_field="customModelDeploymentArn",
    # The list summary says customModelDeploymentName, the Get response modelDeploymentName.
    name_fields=("customModelDeploymentName", "modelDeploymentName"),
    detail_id_param="customModelDeploymentIdentifier",
    statuses_recur=True,
    summary_failure_field="failureMessage",
    base_model_field="modelArn",
    last_modified_field="lastUpdatedAt",
    tag_source=JOB_TAGS,
)

ASYNC_INVOKE = JobKind(
    name="async-invoke",
    label="async invocation",
    service="bedrock-runtime",
    list_operation="list_async_invokes",
    summaries_key="asyncInvokeSummaries",
    time_field="submitTime",
    time_after_param="submitTimeAfter",
    time_before_param="submitTimeBefore",
    sort_params=(("sortBy", "SubmissionTime"), ("sortOrder", "Descending")),
    statuses=frozenset({"InProgress", "Completed", "Failed"}),
    terminal_statuses=frozenset({"Completed", "Failed"}),
    running_order=("InProgress",),
    detail_operation="get_async_invoke",
    detail_id_param="invocationArn",
    detail_id_pattern=ASYNC_INVOKE_ID_PATTERN,
    detail_failure_field="failureMessage",
    summary_failure_field="failureMessage",
    iam_resource_type="async-invoke",
    # The console has no page listing async invocations (they are started from the API or a
    # playground): no link.
    console_fragment="",
    arn_field="invocationArn",
    # No name: the invocation's id (the ARN's last segment) names it.
    name_fields=(),
    name_from_arn=True,
    base_model_field="modelArn",
    end_time_field="endTime",
    last_modified_field="lastModifiedTime",
    output_location_path=("outputDataConfig", "s3OutputDataConfig", "s3Uri"),
    # Opt-in: another client and endpoint (bedrock-runtime) that an upgrade would start calling
    # in every watched region, where a region without the API would fail every run.
    default_on=False,
    # bedrock-runtime has no ListTagsForResource; the control plane's identifier pattern lists
    # async-invoke (StartAsyncInvoke takes tags): read through the bedrock client.
    tag_source=JOB_TAGS,
)

PROMPT_OPTIMIZATION = JobKind(
    name="prompt-optimization",
    label="prompt optimization",
    list_operation="list_advanced_prompt_optimization_jobs",
    summaries_key="jobSummaries",
    time_field="creationTime",
    # No time filter and no status filter: paged newest first down to the floor (poll.scan).
    time_after_param=None,
    time_before_param=None,
    status_filter_param=None,
    status_field="jobStatus",
    # "Deleting" is not terminal: the job is tracked until it leaves the list (as evaluation).
    statuses=frozenset(
        {
            "InProgress",
            "Completed",
            "Failed",
            "PartiallyCompleted",
            "Stopping",
            "Stopped",
            "Deleting",
        }
    ),
    terminal_statuses=frozenset({"Completed", "Failed", "PartiallyCompleted", "Stopped"}),
    running_order=("InProgress", "Stopping", "Deleting"),
    detail_operation="get_advanced_prompt_optimization_job",
    detail_failure_field="failureMessage",
    detail_id_pattern=PROMPT_OPTIMIZATION_ID_PATTERN,
    detail_id_forms=frozenset({ID_ARN, ID_JOB_ID}),
    iam_resource_type="advanced-prompt-optimization-job",
    # No console page for these jobs could be confirmed: no link.
    console_fragment="",
    last_modified_field="lastModifiedTime",
    # Its output location (outputConfig.s3Uri) is in the Get only, not in the list summary that
    # most messages are made from: not reported.
    # A new API offered in few regions: an account or region without it fails every run.
    default_on=False,
)

DATA_AUTOMATION = JobKind(
    name="data-automation",
    label="data automation",
    service="bedrock-data-automation-runtime",
    # No list API and no use of GetDataAutomationStatus: the event is the only source (see
    # realtime.events.data_automation_job). Statuses in the monitor's own words.
    list_operation="",
    summaries_key="",
    time_field="",
    time_after_param=None,
    time_before_param=None,
    status_filter_param=None,
    statuses=frozenset({"Submitted", "Completed", "Failed"}),
    terminal_statuses=frozenset({"Completed", "Failed"}),
    running_order=("Submitted",),
    detail_operation="",
    detail_failure_field="",
    iam_resource_type="data-automation-invocation",
    console_fragment="",
    # The event's detail field with the output's bucket and key (shown as s3://bucket/key).
    output_location_path=("output_s3_location",),
    arn_field="",
    name_fields=(),
    name_from_arn=True,
    # One message per processed file: off unless asked for (it can be very many).
    default_on=False,
    event_statuses=(
        ("Bedrock Data Automation Job Created", "Submitted"),
        ("Bedrock Data Automation Job Succeeded", "Completed"),
        ("Bedrock Data Automation Job Failed With Client Error", "Failed"),
        ("Bedrock Data Automation Job Failed With Service Error", "Failed"),
    ),
)

INGESTION_STATUSES = frozenset(
    {"STARTING", "IN_PROGRESS", "COMPLETE", "FAILED", "STOPPING", "STOPPED"}
)

KNOWLEDGE_BASE_INGESTION = JobKind(
    name="knowledge-base-ingestion",
    label="knowledge base ingestion",
    list_operation="list_ingestion_jobs",
    summaries_key="ingestionJobSummaries",
    time_field="startedAt",
    time_after_param=None,
    time_before_param=None,
    statuses=INGESTION_STATUSES,
    terminal_statuses=frozenset({"COMPLETE", "FAILED", "STOPPED"}),
    running_order=("STARTING", "IN_PROGRESS", "STOPPING"),
    detail_operation="get_ingestion_job",
    detail_result_key="ingestionJob",
    detail_failure_field="failureReasons",
    # ListDataSources, ListIngestionJobs and GetIngestionJob act on the knowledge base.
    iam_resource_type="knowledge-base",
    console_fragment="knowledge-bases",
    service="bedrock-agent",
    status_filter_param="filters",
    sort_params=(("sortBy", {"attribute": "STARTED_AT", "order": "DESCENDING"}),),
    parents=(
        ParentLevel(
            "knowledge base", "list_knowledge_bases", "knowledgeBaseSummaries", "knowledgeBaseId"
        ),
        ParentLevel("data source", "list_data_sources", "dataSourceSummaries", "dataSourceId"),
    ),
    # Ingestion jobs have no ARN: this identity is the monitor's own, under the knowledge base's.
    identity_template=(
        "{arn_prefix}knowledge-base/{knowledgeBaseId}/data-source/{dataSourceId}"
        "/ingestion-job/{ingestionJobId}"
    ),
    # No name field: the job id, until the sweep names it by its parents ("docs / s3-bucket").
    name_fields=(),
    name_from_arn=True,
    statistics_field="statistics",
    last_modified_field="updatedAt",
    start_event_name="StartIngestionJob",
    default_on=False,
    # Ingestion jobs are not tagged; the knowledge base they run in is (CreateKnowledgeBase).
    tag_source=TagSource(
        service="bedrock-agent",
        arn_param="resourceArn",
        resource="knowledge base",
        resource_pattern=r"(?P<arn>arn:[^:]+:bedrock:[^:]*:[0-9]*:knowledge-base/[^/]+)/data-source/.+",
        iam_resource_type="knowledge-base",
    ),
)

AUTOMATED_REASONING_BUILD = JobKind(
    name="automated-reasoning-build",
    label="Automated Reasoning policy build",
    list_operation="list_automated_reasoning_policy_build_workflows",
    summaries_key="automatedReasoningPolicyBuildWorkflowSummaries",
    time_field="createdAt",
    time_after_param=None,
    time_before_param=None,
    statuses=frozenset(
        {
            "SCHEDULED",
            "CANCEL_REQUESTED",
            "PREPROCESSING",
            "BUILDING",
            "TESTING",
            "COMPLETED",
            "FAILED",
            "CANCELLED",
        }
    ),
    terminal_statuses=frozenset({"COMPLETED", "FAILED", "CANCELLED"}),
    running_order=("SCHEDULED", "PREPROCESSING", "BUILDING", "TESTING", "CANCEL_REQUESTED"),
    detail_operation="get_automated_reasoning_policy_build_workflow",
    # The detail response has no failure field: a FAILED build says so by its status only.
    detail_failure_field="",
    iam_resource_type="automated-reasoning-policy",
    console_fragment="automated-reasoning",
    status_filter_param="",
    sort_params=(),  # the list has neither sort nor filter
    parents=(
        ParentLevel(
            "policy",
            "list_automated_reasoning_policies",
            "automatedReasoningPolicySummaries",
            "policyArn",
        ),
    ),
    identity_template="{policyArn}/build-workflow/{buildWorkflowId}",
    # No name field: the job id, until the sweep names it by its parents ("docs / s3-bucket").
    name_fields=(),
    name_from_arn=True,
    detail_fields=("buildWorkflowType",),
    last_modified_field="updatedAt",
    start_event_name="StartAutomatedReasoningPolicyBuildWorkflow",
    default_on=False,
    # Build workflows are not tagged; their policy is (CreateAutomatedReasoningPolicy).
    tag_source=TagSource(
        resource="policy",
        resource_pattern=r"(?P<arn>.+)/build-workflow/[^/]+",
        iam_resource_type="automated-reasoning-policy",
    ),
)

REGISTRY: dict[str, JobKind] = {
    kind.name: kind
    for kind in (
        MODEL_CUSTOMIZATION,
        EVALUATION,
        BATCH_INFERENCE,
        MODEL_IMPORT,
        MODEL_COPY,
        PROVISIONED_THROUGHPUT,
        CUSTOM_MODEL_DEPLOYMENT,
        ASYNC_INVOKE,
        PROMPT_OPTIMIZATION,
        DATA_AUTOMATION,
        KNOWLEDGE_BASE_INGESTION,
        AUTOMATED_REASONING_BUILD,
    )
}

DEFAULT_KINDS: tuple[str, ...] = tuple(name for name, kind in REGISTRY.items() if kind.default_on)
"""The kinds monitored when ``job_kinds`` is not set."""


NOT_MONITORED: dict[tuple[str, str], str] = {
    ("bedrock", "ListAutomatedReasoningPolicyTestResults"): (
        "test results of one policy build, produced inside its build workflow"
    ),
    ("bedrock", "ListCustomModels"): (
        "a model's status is the outcome of the customization or import job that made it, "
        "which is reported"
    ),
    ("bedrock", "ListGuardrails"): "configuration, not long-running work",
    ("bedrock-agent", "ListAgents"): "agent configuration (preparing takes seconds), not a job",
    ("bedrock-agent", "ListAgentAliases"): "agent configuration, not a job",
    ("bedrock-agent", "ListAgentVersions"): "agent configuration, not a job",
    ("bedrock-agent", "ListKnowledgeBases"): (
        "configuration; a knowledge base's long-running work is its ingestion jobs"
    ),
    ("bedrock-agent", "ListDataSources"): (
        "configuration; a data source's long-running work is its ingestion jobs"
    ),
    ("bedrock-agent", "ListKnowledgeBaseDocuments"): (
        "one status per document, counted in its ingestion job's statistics"
    ),
    ("bedrock-agent", "ListRetrievalInstructions"): "configuration, not long-running work",
    ("bedrock-agent", "ListVpcConfigurations"): "configuration, not long-running work",
    ("bedrock-data-automation", "ListDataAutomationLibraryIngestionJobs"): (
        "listed per library: needs the parent enumeration of the ingestion-jobs change; "
        "not yet monitored"
    ),
    ("bedrock-agentcore", "ListMemoryExtractionJobs"): (
        "lists only failed jobs: no running job to follow, no transition to see"
    ),
    ("bedrock-agentcore", "ListBatchEvaluations"): (
        "AgentCore (bedrock-agentcore: IAM prefix); not yet monitored"
    ),
    ("bedrock-agentcore", "ListDatasetGenerations"): (
        "AgentCore (bedrock-agentcore: IAM prefix); not yet monitored"
    ),
    ("bedrock-agentcore", "ListRecommendations"): (
        "AgentCore (bedrock-agentcore: IAM prefix); not yet monitored"
    ),
    ("bedrock-agentcore", "ListABTests"): "AgentCore experiment configuration, not a job",
}
"""Every List operation of the Bedrock services whose items carry a job-like status (checked
against botocore's models by tests/unit/domain/test_kind_coverage.py) that is not a registered
kind, by (botocore service, operation), with why it is left out."""


def resolve_kinds(names: list[str] | tuple[str, ...]) -> tuple[JobKind, ...]:
    """Look up kinds by name; raise ValueError naming the unknown ones and the allowed values."""
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise ValueError(
            f"unknown job kind(s) {', '.join(unknown)}; allowed: {', '.join(sorted(REGISTRY))}"
        )
    return tuple(REGISTRY[n] for n in names)
