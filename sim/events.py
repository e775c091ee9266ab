"""EventBridge events as Bedrock sends them for job state changes, for the tests and the demo.

Shaped like the samples in Bedrock's user guide ("How EventBridge for Amazon Bedrock works"): the
job ARN in ``resources`` and in the detail (``jobArn``, or ``batchJobArn`` for batch inference),
the job name (``jobName``, ``batchJobName``), the status in ``jobStatus`` (model customization) or
``status`` (batch inference), and for batch inference a non-ISO submit time.

The customization sample's ARN is ``model-customization-job/<id>``, without the base-model segment
that the list and Get APIs' ARNs carry (``model-customization-job/<base model>/<id>``). Which form
the service really sends is not documented beyond the sample, so ``arn_form`` gives either:
``"listed"`` (the list API's ARN, the default) or ``"documented"`` (the sample's form: for batch
inference both are the same).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from sim.bedrock import BedrockSimulator

ArnForm = Literal["listed", "documented"]


def documented_arn(sim: BedrockSimulator, arn: str) -> str:
    """Job ``arn`` in the form of the user guide's event samples: ``<resource type>/<id>``."""
    job = sim._job(arn)  # the simulator's own record of the job (same package)
    resource = job.spec.kind.iam_resource_type
    return f"arn:aws:bedrock:{sim.region}:{sim.account_id}:{resource}/{job.job_id}"


def state_change_event(
    sim: BedrockSimulator,
    arn: str,
    *,
    status: str | None = None,
    arn_form: ArnForm = "listed",
) -> dict[str, Any]:
    """The event Bedrock would send now for job ``arn`` (its current status unless ``status``
    says otherwise: a late or out-of-order event carries an older one), naming the job by its
    ARN in ``arn_form`` and by its name."""
    job = sim._job(arn)  # the simulator's own record of the job (same package)
    kind = job.spec.kind
    if kind.event_detail_type is None or kind.event_status_field is None:
        raise ValueError(f"{kind.name} jobs emit no EventBridge events")
    event_arn = documented_arn(sim, arn) if arn_form == "documented" else arn
    now: datetime = sim._clock()
    detail: dict[str, Any] = {
        "version": "0.0",
        kind.event_arn_field or "jobArn": event_arn,
        kind.event_name_field or "jobName": job.name,
        kind.event_status_field: status or job.status,
    }
    if kind.name == "batch-inference":
        detail.update(
            {
                "accountId": sim.account_id,
                "submitTime": now.strftime("%a %b %d %H:%M:%S UTC %Y"),
            }
        )
    else:
        detail.update({"creationTime": now.isoformat()})
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": kind.event_detail_type,
        "source": "aws.bedrock",
        "account": sim.account_id,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": sim.region,
        "resources": [event_arn],
        "detail": detail,
    }


DataAutomationOutcome = Literal["Created", "Succeeded", "ClientError", "ServiceError"]
_DATA_AUTOMATION_TYPES = {
    "Created": "Bedrock Data Automation Job Created",
    "Succeeded": "Bedrock Data Automation Job Succeeded",
    "ClientError": "Bedrock Data Automation Job Failed With Client Error",
    "ServiceError": "Bedrock Data Automation Job Failed With Service Error",
}
_DATA_AUTOMATION_STATUS = {
    "Created": "CREATED",
    "Succeeded": "SUCCESS",
    "ClientError": "CLIENT_ERROR",
    "ServiceError": "SERVICE_ERROR",
}


def data_automation_event(
    outcome: DataAutomationOutcome,
    *,
    job_id: str,
    at: datetime,
    input_key: str = "claims/2026-11/scan-0042.pdf",
    error_message: str = "",
    region: str = "us-east-1",
    account: str = "123456789012",
) -> dict[str, Any]:
    """A Bedrock Data Automation event, shaped like the sample in Bedrock's user guide ("How
    EventBridge for Amazon Bedrock works", Bedrock Data Automation sample event): no
    ``resources``; ``detail`` with ``job_id`` (a UUID), ``job_status``, ``semantic_modality``,
    ``input_s3_object`` and ``output_s3_location`` (``s3_bucket``, ``name``) and
    ``error_message``. Only the success sample is published; the other ``job_status`` values here
    are guesses, which the monitor does not read (the detail-type says the status). There is no
    list or Get to simulate: the event is all the monitor learns."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": _DATA_AUTOMATION_TYPES[outcome],
        "source": "aws.bedrock",
        "account": account,
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [],
        "detail": {
            "job_id": job_id,
            "job_status": _DATA_AUTOMATION_STATUS[outcome],
            "semantic_modality": "Document",
            "input_s3_object": {"s3_bucket": "claims-inbox", "name": input_key},
            "output_s3_location": {"s3_bucket": "claims-extracted", "name": f"out/{job_id}"},
            "error_message": error_message,
        },
    }
