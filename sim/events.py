"""EventBridge events as Bedrock sends them for job state changes, for the tests and the demo.

Shaped like the samples in Bedrock's user guide ("How EventBridge for Amazon Bedrock works"): the
job ARN in ``resources`` and in the detail, the status in ``jobStatus`` (model customization) or
``status`` (batch inference), and for batch inference a non-ISO submit time.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sim.bedrock import BedrockSimulator


def state_change_event(
    sim: BedrockSimulator, arn: str, *, status: str | None = None
) -> dict[str, Any]:
    """The event Bedrock would send now for job ``arn`` (its current status unless ``status``
    says otherwise: a late or out-of-order event carries an older one)."""
    job = sim._job(arn)  # the simulator's own record of the job (same package)
    kind = job.spec.kind
    if kind.event_detail_type is None or kind.event_status_field is None:
        raise ValueError(f"{kind.name} jobs emit no EventBridge events")
    now: datetime = sim._clock()
    detail: dict[str, Any] = {
        "version": "0.0",
        kind.event_arn_field or "jobArn": arn,
        kind.event_status_field: status or job.status,
    }
    if kind.name == "batch-inference":
        detail.update(
            {
                "accountId": sim.account_id,
                "batchJobName": job.name,
                "submitTime": now.strftime("%a %b %d %H:%M:%S UTC %Y"),
            }
        )
    else:
        detail.update({"jobName": job.name, "creationTime": now.isoformat()})
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": kind.event_detail_type,
        "source": "aws.bedrock",
        "account": sim.account_id,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": sim.region,
        "resources": [arn],
        "detail": detail,
    }
