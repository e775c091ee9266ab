"""Whether the loaded AWS SDK offers every operation the enabled job kinds call.

The functions run with the SDK the stack ships in its layer (``requirements/sdk.txt``); the Lambda
runtime's own boto3 lags behind releases, and a kind whose operation the loaded botocore lacks
would fail on every run with an ``AttributeError`` deep in a poll. This check runs once per
execution environment, when the handler builds its clients (``wiring.aws_clients``), and fails the
invocation with one error naming each kind, its service and the missing operation, and the
botocore version that was loaded.

The decision (``missing_operations``) is pure: it takes the services the SDK knows and, per
service, the names of its operations (``ServiceModel.operation_names``, e.g.
``ListModelCustomizationJobs``); ``operations_from_clients`` reads them from the clients the
handler builds anyway, so the check loads no model of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from job_monitor.domain.kinds import JobKind


@dataclass(frozen=True)
class MissingOperation:
    """One operation a kind calls that the loaded SDK does not offer."""

    kind: str
    service: str
    operation: str
    """The service model's name, e.g. ``ListModelCustomizationJobs`` (the boto3 method in
    parentheses when the service itself is unknown)."""
    service_known: bool

    def describe(self) -> str:
        if not self.service_known:
            return (
                f"job kind {self.kind!r} needs the {self.service!r} client, which this SDK "
                f"does not know (for {self.operation})"
            )
        return f"job kind {self.kind!r} needs {self.service} {self.operation}"


class SdkTooOld(RuntimeError):
    """The loaded SDK lacks operations that enabled job kinds call. ``missing`` lists them."""

    def __init__(self, missing: list[MissingOperation], sdk_version: str) -> None:
        self.missing = missing
        self.sdk_version = sdk_version
        super().__init__(
            f"the loaded AWS SDK ({sdk_version}) lacks what the enabled job kinds call: "
            + "; ".join(m.describe() for m in missing)
            + ". Deploy the stack's SDK layer (requirements/sdk.txt) with a botocore release "
            "that has these operations, or turn those kinds off (job_kinds)."
        )


def operation_name(method: str) -> str:
    """The service model's operation name of a boto3 method: ``list_evaluation_jobs`` ->
    ``ListEvaluationJobs`` (the registry's method names follow botocore's ``xform_name``)."""
    return "".join(part.capitalize() for part in method.split("_"))


def missing_operations(
    kinds: Iterable[JobKind],
    known_services: Collection[str],
    operations_of: Callable[[str], Collection[str]],
) -> list[MissingOperation]:
    """What the kinds call (``JobKind.operations`` on ``JobKind.service``) that the SDK lacks, in
    registry order. ``known_services``: the botocore service names the SDK has models for;
    ``operations_of(service)``: that service's operation names (asked only for known services)."""
    missing: list[MissingOperation] = []
    offered: dict[str, Collection[str]] = {}
    for kind in kinds:
        if kind.service not in known_services:
            missing.extend(
                MissingOperation(kind.name, kind.service, operation_name(m), service_known=False)
                for m in kind.operations
            )
            continue
        if kind.service not in offered:
            offered[kind.service] = frozenset(operations_of(kind.service))
        missing.extend(
            MissingOperation(kind.name, kind.service, operation_name(m), service_known=True)
            for m in kind.operations
            if operation_name(m) not in offered[kind.service]
        )
    return missing


def check_operations(
    kinds: Iterable[JobKind],
    known_services: Collection[str],
    operations_of: Callable[[str], Collection[str]],
    sdk_version: str,
) -> None:
    """Raise ``SdkTooOld`` (naming kind, service, operation and ``sdk_version``) when the SDK
    lacks an operation that one of ``kinds`` calls; return None otherwise."""
    missing = missing_operations(kinds, known_services, operations_of)
    if missing:
        raise SdkTooOld(missing, sdk_version)


def loaded_sdk_version() -> str:
    """``botocore X.Y.Z, boto3 X.Y.Z``, as loaded in this process."""
    import boto3  # noqa: PLC0415 - only when the handler builds its clients
    import botocore  # noqa: PLC0415

    return f"botocore {botocore.__version__}, boto3 {boto3.__version__}"


def operations_from_clients(clients: Mapping[tuple[str, str], Any]) -> Callable[[str], list[str]]:
    """``operations_of`` for ``check_operations`` from boto3 clients by (service, region): the
    operation names of the service model a client already loaded (``client.meta.service_model``;
    no second load). For a service without a client, botocore's own model of it."""
    by_service = {service: client for (service, _region), client in clients.items()}

    def operations_of(service: str) -> list[str]:
        client = by_service.get(service)
        if client is not None:
            return list(client.meta.service_model.operation_names)
        import botocore.session  # noqa: PLC0415

        return list(botocore.session.get_session().get_service_model(service).operation_names)

    return operations_of
