"""A quiet month's bill of the default stack (issue 16, goal 3): every billed item counted from the
synthesized template and the code's metric calls, never typed by hand.

From the template (``stack_bill``): standard alarms, billed per metric they analyse (a metric
math alarm over 2 metrics is 2 alarm metrics), composite alarms, dashboards, customer-managed KMS
keys, secrets, the functions (memory, architecture, handler) and the schedules (their rate). From
the code (``custom_metrics_of``): the CloudWatch custom metrics the deployed handlers emit through
Powertools (``add_metric`` / ``single_metric`` calls, found with ``ast``). From a measured quiet
run (``QuietRun``): Lambda duration, DynamoDB units, publishes and the bytes logged.

Prices: us-east-1 list prices, checked 2026-11 (``PRICES_AS_OF``). Free tiers are not applied
(an account shares them with everything else), except CloudWatch's 3 free dashboards, which is
said where it is used.
"""

from __future__ import annotations

import ast
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from job_monitor import names

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = ROOT / "functions" / "job_monitor" / "handlers"
TARGET_USD = 2.0
"""Issue 16, goal 3: a quiet month at the default configuration costs at most this."""

PRICES_AS_OF = (
    "us-east-1 list prices checked 2026-11 (aws.amazon.com/cloudwatch/pricing, /lambda/pricing, "
    "/kms/pricing, /dynamodb/pricing/on-demand, /sns/pricing, /eventbridge/pricing, "
    "/secrets-manager/pricing); free tiers not applied"
)
PRICES = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_s_arm64": 0.0000133334,
    "lambda_gb_s_x86_64": 0.0000166667,
    "dynamodb_rru": 0.125 / 1e6,
    "dynamodb_wru": 0.625 / 1e6,
    "sns_publish": 0.50 / 1e6,
    "secret_month": 0.40,
    "secret_api_call": 0.05 / 10_000,
    "metric_month": 0.30,  # a custom metric (name x dimension set), first 10,000
    "alarm_metric_month": 0.10,  # a standard-resolution alarm, per metric it analyses
    "composite_alarm_month": 0.50,
    "dashboard_month": 3.00,  # beyond an account's first 3 (up to 50 metrics each), free
    "kms_key_month": 1.00,  # a customer-managed key; +$1 after each of its first 2 rotations
    "kms_request": 0.03 / 10_000,
    "log_ingest_gb": 0.50,
    "log_store_gb_month": 0.03,
    "scheduler_invocation": 1.00 / 1e6,
}
DAYS_PER_MONTH = 30
KMS_DATA_KEY_REUSE_S = 300
"""DynamoDB and SNS reuse a KMS data key for up to 5 minutes per caller: at most one KMS request
per 5 minutes per encrypted resource the monitor touches (the state table)."""
LAMBDA_LOG_LINES_BYTES = 370
"""Lambda's own START, END and REPORT lines of one invocation (about 60 + 40 + 270 bytes)."""
LOG_EVENT_OVERHEAD_BYTES = 26
"""CloudWatch Logs bills 26 bytes of metadata per log event on top of its text."""


# -- the template ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionBill:
    handler: str
    memory_mb: int
    architecture: str
    runs_per_month: int
    """Scheduled invocations a month (0: invoked by events only)."""


@dataclass(frozen=True)
class StackBill:
    """The billed items of a synthesized template."""

    alarms: dict[str, int]
    """Standard alarm logical id -> metrics it analyses (each billed as one alarm metric)."""
    composite_alarms: int
    dashboards: int
    kms_keys: int
    secrets: int
    functions: tuple[FunctionBill, ...]
    log_retention_days: int
    key_rotation_days: tuple[int, ...] = ()
    """Each customer-managed key's ``RotationPeriodInDays`` (365 when rotation is on and the
    property is absent; keys without rotation are left out)."""

    @property
    def alarm_metrics(self) -> int:
        return sum(self.alarms.values())

    def key_months(self, age_days: float) -> float:
        """The keys' monthly charge at ``age_days`` after their creation, in key-months: each
        key is 1, plus 1 after each of its first two rotations (KMS pricing since May 2024:
        https://aws.amazon.com/kms/pricing/), whatever the number of rotations after them."""
        rotated = [min(2, int(age_days // period)) for period in self.key_rotation_days]
        return self.kms_keys + sum(rotated)

    def key_month_rises(self) -> list[float]:
        """The ages (days) at which the keys' monthly charge rises, earliest first."""
        return sorted(n * period for period in self.key_rotation_days for n in (1, 2))


def _alarm_metrics(properties: dict[str, Any]) -> int:
    if "MetricName" in properties:
        return 1
    return sum(1 for query in properties.get("Metrics", []) if "MetricStat" in query)


_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours)\)")


def _runs_per_month(expression: str) -> int:
    match = _RATE.fullmatch(expression)
    if not match:
        raise ValueError(f"schedule expression not modelled: {expression!r}")
    minutes = int(match.group(1)) * (60 if match.group(2).startswith("hour") else 1)
    return DAYS_PER_MONTH * 24 * 60 // minutes


def stack_bill(template: dict[str, Any]) -> StackBill:
    """Count the billed items of ``template`` (a synthesized CloudFormation template). Raises
    ValueError for a schedule whose expression is not a ``rate(...)``."""
    resources = template["Resources"]

    def of(kind: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in resources.items() if r["Type"] == kind}

    runs: dict[str, int] = {}
    for schedule in of("AWS::Scheduler::Schedule").values():
        properties = schedule["Properties"]
        target = properties["Target"]["Arn"]
        function_id = target["Fn::GetAtt"][0] if isinstance(target, dict) else str(target)
        runs[function_id] = runs.get(function_id, 0) + _runs_per_month(
            properties["ScheduleExpression"]
        )
    functions = tuple(
        FunctionBill(
            handler=str(r["Properties"]["Handler"]),
            memory_mb=int(r["Properties"].get("MemorySize", 128)),
            architecture=str((r["Properties"].get("Architectures") or ["x86_64"])[0]),
            runs_per_month=runs.get(logical_id, 0),
        )
        for logical_id, r in of("AWS::Lambda::Function").items()
    )
    secret_arns = {
        json.dumps(statement.get("Resource"), sort_keys=True)
        for policy in of("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "secretsmanager:GetSecretValue" in str(statement.get("Action"))
    }
    retention = [
        int(r["Properties"].get("RetentionInDays", 0)) for r in of("AWS::Logs::LogGroup").values()
    ]
    return StackBill(
        alarms={
            k: _alarm_metrics(r["Properties"]) for k, r in of("AWS::CloudWatch::Alarm").items()
        },
        composite_alarms=len(of("AWS::CloudWatch::CompositeAlarm")),
        dashboards=len(of("AWS::CloudWatch::Dashboard")),
        kms_keys=len(of("AWS::KMS::Key")),
        key_rotation_days=tuple(
            int(k["Properties"].get("RotationPeriodInDays", 365))
            for k in of("AWS::KMS::Key").values()
            if k["Properties"].get("EnableKeyRotation")
        ),
        secrets=len(of("AWS::SecretsManager::Secret")) + len(secret_arns),
        functions=functions,
        log_retention_days=max(retention, default=0),
    )


# -- the code's custom metrics ---------------------------------------------------------------------


def custom_metrics_of(handler: str, handlers_dir: Path = HANDLERS) -> int:
    """Billed custom metrics one deployed function emits, from its handler module's source (and
    the shared ``handlers/notifier.py`` for a notifier): each ``add_metric`` / ``single_metric``
    call with a ``names.METRIC_*`` name is one metric (x 1 dimension set: ``service``); a
    notifier's per-outcome call is ``len(names.NOTIFIER_OUTCOME_METRICS)``. Raises ValueError for a
    call it cannot count (a name computed otherwise, or a dimension added per value)."""
    module = handler.rsplit(".", 1)[0].rsplit(".", 1)[-1]
    sources = [handlers_dir / f"{module}.py"]
    if "NotifierHandler(" in sources[0].read_text():
        sources.append(handlers_dir / "notifier.py")
    count = 0
    for source in sources:
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            called = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            called = called or (node.func.id if isinstance(node.func, ast.Name) else "")
            if called == "add_dimension":
                raise ValueError(f"{source.name}: a dimension per value multiplies metrics")
            if called not in {"add_metric", "single_metric"}:
                continue
            name = next((k.value for k in node.keywords if k.arg == "name"), None)
            name = name or (node.args[0] if node.args else None)
            if isinstance(name, ast.Attribute) and name.attr.startswith("METRIC_"):
                count += 1
            elif isinstance(name, ast.Subscript) and "_metric_names" in ast.unparse(name):
                count += len(names.NOTIFIER_OUTCOME_METRICS)
            else:
                raise ValueError(f"{source.name}: cannot count {ast.unparse(node)}")
    return count


# -- the month -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuietRun:
    """What one quiet scheduled run consumes (measured by the benchmark)."""

    lambda_s: float
    rru: float
    wru: float
    publishes: int
    log_bytes: int
    """Text the run logs (its records, without Lambda's own lines)."""
    log_events: int


def monthly_bill(bill: StackBill, run: QuietRun, age_days: float = 0) -> dict[str, float]:
    """A quiet month, by line (USD), ``age_days`` after the deployment (the KMS key's charge
    rises after its first two rotations: ``StackBill.key_months``). Scheduled functions run
    ``runs_per_month`` times like ``run``; event-driven functions are idle in a quiet month."""
    scheduled = [f for f in bill.functions if f.runs_per_month]
    runs = sum(f.runs_per_month for f in scheduled)
    gb_s = sum(
        f.runs_per_month
        * math.ceil(run.lambda_s * 1000)
        / 1000
        * f.memory_mb
        / 1024
        * PRICES[f"lambda_gb_s_{f.architecture}"]
        for f in scheduled
    )
    log_gb = (
        runs
        * (run.log_bytes + LAMBDA_LOG_LINES_BYTES + (run.log_events + 3) * LOG_EVENT_OVERHEAD_BYTES)
        / 1e9
    )
    stored_months = bill.log_retention_days / DAYS_PER_MONTH
    metrics = sum(custom_metrics_of(f.handler) for f in bill.functions)
    kms_requests = bill.kms_keys and DAYS_PER_MONTH * 86_400 / KMS_DATA_KEY_REUSE_S
    return {
        "lambda requests": runs * PRICES["lambda_request"],
        "lambda GB-s": gb_s,
        "dynamodb": runs * (run.rru * PRICES["dynamodb_rru"] + run.wru * PRICES["dynamodb_wru"]),
        "sns": runs * run.publishes * PRICES["sns_publish"],
        "scheduler": runs * PRICES["scheduler_invocation"],
        "logs": log_gb * (PRICES["log_ingest_gb"] + stored_months * PRICES["log_store_gb_month"]),
        "kms": bill.key_months(age_days) * PRICES["kms_key_month"]
        + kms_requests * PRICES["kms_request"],
        "secrets manager": bill.secrets * PRICES["secret_month"],
        "cloudwatch metrics": metrics * PRICES["metric_month"],
        "cloudwatch alarms": bill.alarm_metrics * PRICES["alarm_metric_month"]
        + bill.composite_alarms * PRICES["composite_alarm_month"],
        # An account's first 3 dashboards are free; a 4th and more cost $3 each.
        "cloudwatch dashboards": max(0, bill.dashboards - 3) * PRICES["dashboard_month"],
    }


def default_template(outdir: Path) -> dict[str, Any]:
    """Synthesize the app with cdk.json's context only (the default configuration) into
    ``outdir`` and return the stack's template (about 10-30 s: jsii starts Node, the layers are
    bundled)."""
    from aws_cdk import App  # noqa: PLC0415 - the CDK only when synthesizing

    from infra.app_builder import build_app  # noqa: PLC0415

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    app = App(outdir=str(outdir), context=context)
    build_app(app)
    assembly = app.synth()
    (stack,) = assembly.stacks
    return dict(stack.template)


def quiet_run_logs() -> tuple[int, int]:
    """(bytes, events) the monitor logs in a quiet run at the default log level: its records
    (formatted by Powertools' JSON formatter, as in Lambda) plus the handler's figures record,
    measured on a local simulated account after a baseline run."""
    import logging  # noqa: PLC0415

    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter  # noqa: PLC0415

    from job_monitor.handlers.monitor import run_figures  # noqa: PLC0415
    from sim.local import local_account  # noqa: PLC0415

    formatter = LambdaPowertoolsFormatter(service=names.MONITOR_SERVICE)
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(formatter.format(record))

    capture = Capture(level=logging.INFO)
    root = logging.getLogger("job_monitor")
    with local_account() as account:
        account.monitor().run()
        account.clock.advance(minutes=1)
        root.addHandler(capture)
        previous = root.level
        root.setLevel(logging.INFO)
        try:
            report = account.monitor().run()
            logging.getLogger("job_monitor.handlers").info(
                names.FIGURES_MESSAGE, extra={"figures": run_figures(report)}
            )
        finally:
            root.removeHandler(capture)
            root.setLevel(previous)
    return sum(len(line) + 1 for line in lines), len(lines)


def cost_text(bill: StackBill, run: QuietRun) -> str:
    """The cost table and how each count was found."""
    lines = monthly_bill(bill, run)
    total = sum(lines.values())
    scheduled = [f for f in bill.functions if f.runs_per_month]
    metrics = {f.handler: custom_metrics_of(f.handler) for f in bill.functions}
    out = [
        f"Monthly cost of a quiet month, default stack (cdk.json context, synthesized); prices "
        f"{PRICES_AS_OF}:",
        "",
        "| item | count (from the template / the code) | $ per month |",
        "|---|---|---:|",
        f"| Lambda requests | {sum(f.runs_per_month for f in scheduled):,} scheduled runs "
        f"({', '.join(f.handler for f in scheduled)}) | ${lines['lambda requests']:.2f} |",
        f"| Lambda GB-s | {run.lambda_s:.2f} s per quiet run at "
        f"{', '.join(f'{f.memory_mb} MB {f.architecture}' for f in scheduled)} "
        f"| ${lines['lambda GB-s']:.2f} |",
        f"| DynamoDB on demand | {run.rru:g} RRU + {run.wru:g} WRU per run | "
        f"${lines['dynamodb']:.2f} |",
        f"| SNS | {run.publishes} publishes per quiet run | ${lines['sns']:.2f} |",
        f"| EventBridge Scheduler | 1 invocation per run | ${lines['scheduler']:.2f} |",
        f"| CloudWatch Logs | {run.log_bytes:,} bytes in {run.log_events} records per run + "
        f"Lambda's 3 lines, ingested, kept {bill.log_retention_days} days | ${lines['logs']:.2f} |",
        f"| KMS | {bill.kms_keys} customer-managed key(s) + <= 1 request per 5 min | "
        f"${lines['kms']:.2f} |",
        f"| Secrets Manager | {bill.secrets} secret(s) | ${lines['secrets manager']:.2f} |",
        f"| CloudWatch custom metrics | {sum(metrics.values())} ("
        + ", ".join(f"{h.split('.')[-2]}: {n}" for h, n in metrics.items())
        + f") | ${lines['cloudwatch metrics']:.2f} |",
        f"| CloudWatch alarms | {len(bill.alarms)} standard alarms analysing "
        f"{bill.alarm_metrics} metrics, {bill.composite_alarms} composite | "
        f"${lines['cloudwatch alarms']:.2f} |",
        f"| CloudWatch dashboards | {bill.dashboards} (free: an account's first 3; $3 each "
        f"beyond) | ${lines['cloudwatch dashboards']:.2f} |",
        f"| **total** | | **${total:.2f}** |",
        "",
        _key_sentence(bill, run),
    ]
    return "\n".join(out)


def _key_rises(bill: StackBill, run: QuietRun) -> list[tuple[float, float]]:
    """(age in days, quiet month then) at each rise of the KMS keys' charge."""
    return [(age, sum(monthly_bill(bill, run, age).values())) for age in bill.key_month_rises()]


def _key_sentence(bill: StackBill, run: QuietRun) -> str:
    rises = _key_rises(bill, run)
    if not rises:
        return "No customer-managed key rotates: the month stays the same."
    steps = "; ".join(
        f"${total:.2f} from day {age:,.0f} ({age / 365:.1f} years)" for age, total in rises
    )
    periods = ", ".join(map(str, sorted(set(bill.key_rotation_days))))
    return (
        f"The KMS key costs $1 a month, plus $1 after each of its first two rotations (KMS "
        f"pricing since May 2024), every {periods} "
        f"days (`key_rotation_days`): {steps}. With `key_rotation_days` at its largest (2,560) the "
        "month above holds for seven years. Free tiers (Lambda, KMS 20,000 requests, Scheduler 14 "
        "million invocations) would make it less."
    )


def cost_target(bill: StackBill, run: QuietRun) -> tuple[bool, str]:
    """(passed, detail) of goal 3: a quiet month at most ``TARGET_USD``, in the deployment's
    first year (the KMS key's later rises are printed beside it)."""
    total = sum(monthly_bill(bill, run).values())
    rises = _key_rises(bill, run)
    later = "; ".join(f"${t:.2f} from day {age:,.0f}" for age, t in rises) or "no key rotation"
    return total <= TARGET_USD, f"${total:.2f} (KMS key before its first rotation; {later})"


def measure(template_dir: Path, quiet: QuietRun | None = None) -> tuple[StackBill, QuietRun]:
    """The default stack's bill (synthesized into ``template_dir``) and a quiet run: ``quiet``
    with its log figures measured (``quiet_run_logs``)."""
    bill = stack_bill(default_template(template_dir))
    log_bytes, log_events = quiet_run_logs()
    base = quiet or QuietRun(0.0, 0.0, 0.0, 0, 0, 0)
    return bill, QuietRun(base.lambda_s, base.rru, base.wru, base.publishes, log_bytes, log_events)


def sweep_month(bill: StackBill, calls_per_run: int, latency_s: float) -> float:
    """What the knowledge-base ingestion sweep adds to a quiet month in an account with knowledge
    bases (the benchmark's quiet account has none): ``calls_per_run`` bedrock-agent calls at
    ``latency_s`` each, in every scheduled run, as Lambda GB-s."""
    return sum(
        f.runs_per_month
        * calls_per_run
        * latency_s
        * f.memory_mb
        / 1024
        * PRICES[f"lambda_gb_s_{f.architecture}"]
        for f in bill.functions
        if f.runs_per_month
    )
