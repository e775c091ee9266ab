"""The boto3 session the monitor's clients (Bedrock, DynamoDB, SNS: ``wiring``) are made from
(``sdk_session``).

Two settings apply to every client made from it:

- response timestamps are read by ``adapters.timestamps.parse_timestamp`` (the standard library,
  instead of ``dateutil``);
- the ``User-Agent`` header is one fixed string, e.g.
  ``bedrock-job-monitor Python/3.11.7 Botocore/1.44.5``: ``user_agent()`` set with botocore's
  documented ``Config(user_agent=...)``, then the ``Botocore/`` token boto3's session adds to
  every header (its ``user_agent_extra``).

Why a fixed User-Agent: botocore 1.44 builds its header from about sixteen components (SDK, OS,
architecture, language, execution environment, feature ids, configuration, app id), each cleaned
of reserved characters, twice per request (when the request is serialized and again just before
it is sent). On the benchmark machine that is about 0.2 ms of CPU of the 0.7 ms a small request
costs the client: at 256 MB (CPU x 6.9, ``sim.bench_lambda``) about 1.4 ms of Lambda per request,
forty requests in a quiet run with every kind enabled. With ``user_agent`` set, botocore sends the
given string (plus any ``user_agent_extra``) and builds nothing else.

What changes for an operator: CloudTrail's ``userAgent`` field names the monitor
(``bedrock-job-monitor ...``), so its calls are easy to tell apart. What is lost: the SDK's own
metadata in the header (used by AWS for statistics only), including an app id set with
``AWS_SDK_UA_APP_ID`` or ``user_agent_appid``, which botocore leaves out of a fixed header.
"""

from __future__ import annotations

import platform
from typing import Any

from job_monitor.adapters.timestamps import parse_timestamp
from job_monitor.names import MONITOR_SERVICE


def user_agent() -> str:
    """The fixed part of the functions' ``User-Agent``, e.g. ``bedrock-job-monitor Python/3.11.7``
    (boto3 appends ``Botocore/<version>``)."""
    return f"{MONITOR_SERVICE} Python/{platform.python_version()}"


def sdk_session(region_name: str | None = None) -> Any:
    """A ``boto3.session.Session`` whose clients parse timestamps with ``parse_timestamp`` and
    send ``user_agent()`` (and boto3's ``Botocore/<version>``). A client's own ``Config`` is
    merged over the session's (botocore keeps the options the client sets, e.g. retries). Made
    when called (the handlers call it on their first invocation), never at import."""
    import boto3  # noqa: PLC0415 - not at import time
    import botocore.session  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    core = botocore.session.get_session()
    core.get_component("response_parser_factory").set_parser_defaults(
        timestamp_parser=parse_timestamp
    )
    core.set_default_client_config(Config(user_agent=user_agent()))
    return boto3.session.Session(botocore_session=core, region_name=region_name)
