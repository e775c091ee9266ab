"""Facts the README states that the code decides: each is read from the README and compared with
the code it describes, so a change to the code that leaves the README behind fails here.

- the `kind` values of the SNS contract and of both message-attribute tables are the job-kind
  registry's (``job_monitor.domain.kinds.REGISTRY``), in its order; the labels likewise; the
  statuses those tables list are the registry's; the failure statuses are ``FAILURE_STATUSES``;
- the Job kinds table has one row per kind with its list/get operations, its statuses and (in
  bold) its terminal statuses;
- every function the stack can create (one per handler in ``infra.names``, plus one notifier per
  ``destinations`` entry) is named where the README speaks of "every function": the retained log
  groups of Tear down and the log settings; the synthesized stack with every optional function on
  and two destinations has exactly those functions, one log group each, the tables and queues
  Tear down counts, and the alarms the Self-monitoring table and the Costs lines count (per
  destination: its two alarms and the alarm metrics they read);
- the exit codes the Deploy section states for a bad setting are app.py's, the CDK CLI's and
  make's;
- the README tells to give `slack_secret_name` as a name, and synth refuses an ARN and a name
  with the ARN's random suffix.

The configuration table's keys and defaults are checked by
``tests/infra/test_infra_settings.py::test_the_operations_docs_list_every_context_key_with_its_default``
(cdk.json against the settings by ``test_cdk_json_context_is_exactly_the_settings_defaults``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra import names
from job_monitor.domain.kinds import FAILURE_STATUSES, REGISTRY

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")

ALL_STATUSES = sorted(set().union(*(kind.statuses for kind in REGISTRY.values())))

# How the README names the function of each handler in infra.names (a new handler must be added
# here, and to the README's lists of functions).
FUNCTION_WORDS = {
    names.MONITOR_HANDLER: "monitor",
    names.EVENTS_HANDLER: "real-time events function",
    names.SLACK_NOTIFIER_HANDLER: "Slack notifier",
    names.DIGEST_HANDLER: "digest function",
}
NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
PER_DESTINATION = "plus one {what} per `destinations` entry"
"""How the README adds what each ``destinations`` entry brings (its own notifier function, log
group, idempotency table and failure queue) to a count of the stack's own."""
# Two destinations, one of each type (the synthesized template below has them).
DESTINATIONS = [
    {"name": "search", "type": "slack", "secret_name": "bjm/search-slack"},
    {"name": "platform-oncall", "type": "teams", "secret_name": "bjm/platform-teams"},
]
DESTINATION_LABELS = ("SearchSlack", "PlatformOncallTeams")


# -- reading the README ------------------------------------------------------------------------


def section(heading: str, text: str = README) -> str:
    """The text under the heading line ``heading`` (e.g. ``### Tear down``), up to the next
    heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    lines = text.splitlines()
    assert heading in lines, f"no heading {heading!r} in the README"
    start = lines.index(heading) + 1
    end = len(lines)
    in_code = False
    for index in range(start, len(lines)):
        line = lines[index]
        if line.startswith("```"):
            in_code = not in_code
        match = re.match(r"(#+) ", line)
        if not in_code and match and len(match.group(1)) <= level:
            end = index
            break
    return "\n".join(lines[start:end])


def table_row(text: str, first_cell: str) -> list[str]:
    """The cells of the table row whose first cell is ``first_cell`` (exactly one such row)."""
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        for line in text.splitlines()
        if line.startswith("|")
    ]
    matching = [cells for cells in rows if cells[0] == first_cell]
    assert len(matching) == 1, f"{len(matching)} table rows start with {first_cell!r}"
    return matching[0]


def ticked(text: str) -> list[str]:
    """The `code spans` of ``text``, in order."""
    return re.findall(r"`([^`]+)`", text)


# -- kinds and statuses ------------------------------------------------------------------------

CONTRACT = "### The SNS message (contract version 1)"
ATTRIBUTE_TABLES = ("### Message attributes (for filter policies)", "### Subscribe")


def test_the_contract_table_lists_every_kind_and_label_of_the_registry() -> None:
    table = section(CONTRACT)
    assert ticked(table_row(table, "`kind`")[2])[1:] == list(REGISTRY)  # after the module path
    assert ticked(table_row(table, "`kindLabel`")[2]) == [k.label for k in REGISTRY.values()]


def test_the_contract_table_lists_the_registrys_statuses() -> None:
    table = section(CONTRACT)
    assert ticked(table_row(table, "`status`")[2]) == ALL_STATUSES
    assert ticked(table_row(table, "`failureMessages`")[2]) == sorted(FAILURE_STATUSES)


@pytest.mark.parametrize("heading", ATTRIBUTE_TABLES)
def test_the_attribute_tables_list_every_kind_and_status_of_the_registry(heading: str) -> None:
    table = section(heading)
    assert ticked(table_row(table, "`kind`")[1]) == list(REGISTRY)
    assert ticked(table_row(table, "`status`")[1]) == ALL_STATUSES


def test_the_job_kinds_table_has_each_kinds_operations_and_statuses() -> None:
    table = section("### Job kinds")
    # rows whose first cell is one kind name (the header's is "`job_kinds` name")
    documented = {
        match.group(1)
        for line in table.splitlines()
        if (match := re.match(r"\| `([^`]+)` \|", line))
    }
    assert documented == set(REGISTRY)
    for kind in REGISTRY.values():
        _, operations, statuses, _ = table_row(table, f"`{kind.name}`")
        expected = (
            f"{kind.list_action.split(':')[1]} / {kind.detail_action.split(':')[1]}"
            if kind.polled
            else "no list / no Get"  # an event-only kind (Data Automation)
        )
        assert operations.startswith(expected), kind.name
        listed = [status.strip() for status in statuses.split(";")[0].split(",")]
        assert {s.strip("*") for s in listed} == kind.statuses, kind.name
        assert {s.strip("*") for s in listed if s.startswith("**")} == kind.terminal_statuses


# -- the functions the stack can create ----------------------------------------------------------


def stack_handlers() -> set[str]:
    """One handler per function the stack can create (``infra.names.*_HANDLER``)."""
    return {value for key, value in vars(names).items() if key.endswith("_HANDLER")}


def test_every_handler_has_a_name_in_the_readme() -> None:
    assert set(FUNCTION_WORDS) == stack_handlers()


def _names_every_function(text: str) -> None:
    assert f"up to {NUMBER_WORDS[len(FUNCTION_WORDS)]}" in text, text
    assert PER_DESTINATION.format(what="notifier") in text, text
    for handler, words in FUNCTION_WORDS.items():
        assert words in text, f"{words!r} ({handler}) is not named in: {text}"


def test_tear_down_names_the_log_group_of_every_function() -> None:
    rows = [line.split(" | ") for line in section("### Tear down").splitlines()]
    [resource] = [
        cells[0] for cells in rows if cells[0].startswith("|") and "log group" in cells[0]
    ]
    _names_every_function(resource)


@pytest.mark.parametrize("key", ["log_level", "log_retention_days"])
def test_the_log_settings_apply_to_every_function(key: str) -> None:
    _names_every_function(table_row(section("### Configure"), f"`{key}`")[3])


def test_no_sentence_counts_two_functions() -> None:
    assert len(FUNCTION_WORDS) != 2
    for phrase in ("both functions", "two function", "two functions", "both Lambda"):
        assert phrase not in README, phrase


# -- exit codes of a bad setting ---------------------------------------------------------------


def stated_exit_codes() -> dict[str, int]:
    """What the Deploy section says a bad value gives: app.py's code (as the CDK CLI reports
    it and when run directly), the CLI's, and make's."""
    text = " ".join(section("#### Deploy").split())
    found = {
        "app_reported": re.search(r"`python3 app\.py: Subprocess exited with error (\d+)`", text),
        "cli": re.search(r"Subprocess exited with error \d+` and exits with (\d+)", text),
        "make": re.search(r"make reports `Error \d+` and exits with exit code (\d+)", text),
        "echo": re.search(r"`make synth \.\.\.; echo \$\?` prints (\d+)", text),
        "app": re.search(r"python app\.py`\), the app returns exit code (\d+)", text),
    }
    missing = [key for key, match in found.items() if match is None]
    assert not missing, f"the Deploy section no longer states these exit codes: {missing}"
    return {key: int(match.group(1)) for key, match in found.items() if match}


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}


def test_the_stated_exit_code_of_app_py_is_its_own(tmp_path: Path) -> None:
    stated = stated_exit_codes()
    assert stated["app"] == stated["app_reported"]
    assert stated["echo"] == stated["make"]
    env = _clean_env()
    env.update(
        CDK_OUTDIR=str(tmp_path),
        CDK_CONTEXT_JSON=json.dumps({"schedule_minutes": "0"}),
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
    )
    done = subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "schedule_minutes: 0 is outside the allowed range 1..480" in done.stderr
    assert done.returncode == stated["app"]


@pytest.mark.slow
def test_the_stated_exit_codes_are_what_make_synth_gives(tmp_path: Path) -> None:
    # When a user runs the README's command with a bad value (the venv not on PATH, as in
    # tests/infra/test_infra_cli.py)
    stated = stated_exit_codes()
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "MAKEFLAGS"}}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(REPO))
    )
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "synth",
            f"CDK_OUT={tmp_path}",
            "CONTEXT=-c schedule_minutes=0",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # Then the CLI reports app.py's code, make reports the CLI's, and make exits with its own
    assert f"python3 app.py: Subprocess exited with error {stated['app_reported']}" in done.stderr
    assert re.search(rf"\] Error {stated['cli']}$", done.stderr, re.MULTILINE), done.stderr
    assert done.returncode == stated["make"]


# -- slack_secret_name -------------------------------------------------------------------------


def test_the_readme_says_to_give_the_secret_name_and_synth_refuses_an_arn() -> None:
    from infra.settings import Settings, SettingsError

    row = table_row(section("### Configure"), "`slack_secret_name`")[3]
    assert "Use the secret's name" in row
    assert "not its ARN: synth refuses an ARN" in row
    arn = (
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:"
        "bedrock-job-monitor/slack-webhook-AbCdEf"
    )
    assert "and a name ending in a hyphen and 6 characters" in row
    for refused in (arn, arn.split(":secret:")[1]):
        with pytest.raises(SettingsError, match="slack_secret_name"):
            Settings.from_mapping({"slack_secret_name": refused})


# -- the synthesized stack with every optional function ------------------------------------------


@pytest.fixture(scope="module")
def full_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The template with every function the stack can create (Slack, real-time path, digest)
    and two destinations (``DESTINATIONS``)."""
    from aws_cdk import App

    from infra.app_builder import build_app
    from tests.infra.support import CLI_CONTEXT, STACK_NAME, TEST_CONTEXT, cdk_json_context

    outdir = tmp_path_factory.mktemp("readme-facts-synth")
    context = {
        **cdk_json_context(),
        **CLI_CONTEXT,
        **TEST_CONTEXT,
        "realtime_events": "true",
        "daily_digest": "true",
        "destinations": json.dumps(DESTINATIONS),
    }
    app = App(outdir=str(outdir), context=context)
    build_app(app)
    app.synth()
    return dict(json.loads((outdir / f"{STACK_NAME}.template.json").read_text()))


def _resources(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


@pytest.mark.slow
def test_the_stack_has_one_function_and_one_log_group_per_handler(
    full_template: dict[str, Any],
) -> None:
    functions = _resources(full_template, "AWS::Lambda::Function")
    log_groups = _resources(full_template, "AWS::Logs::LogGroup")
    destination_handlers = {names.notifier_handler(d["type"]) for d in DESTINATIONS}
    assert {f["Properties"]["Handler"] for f in functions.values()} == (
        stack_handlers() | destination_handlers
    )
    assert len(functions) == len(stack_handlers()) + len(DESTINATIONS)
    assert {f["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for f in functions.values()} == set(
        log_groups
    )
    # retain_on_delete=true (the default) keeps every one of them, as Tear down says
    assert {g.get("DeletionPolicy") for g in log_groups.values()} == {"RetainExceptOnCreate"}


def _tear_down_row(words: str) -> str:
    """The first cell of the Tear down row that speaks of ``words``."""
    cells = [line.split(" | ")[0] for line in section("### Tear down").splitlines()]
    [row] = [cell for cell in cells if cell.startswith("|") and words in cell]
    return row


@pytest.mark.slow
def test_tear_down_counts_the_tables_and_queues_of_the_stack_and_of_each_destination(
    full_template: dict[str, Any],
) -> None:
    tables = _resources(full_template, "AWS::DynamoDB::Table")
    queues = _resources(full_template, "AWS::SQS::Queue")
    # "the state table, the Slack idempotency table and one idempotency table per
    # `destinations` entry": one each for the state, the Slack notifier and each destination
    row = _tear_down_row("the state table")
    assert "the state table, the Slack idempotency table and one idempotency table per" in row
    assert len(tables) == 2 + len(DESTINATIONS)
    # "up to six: ...; plus one failure queue per `destinations` entry"
    row = _tear_down_row("queues")
    assert f"up to {NUMBER_WORDS[len(queues) - len(DESTINATIONS)]}:" in row, row
    assert PER_DESTINATION.format(what="failure queue") in row, row
    # every table and queue is kept on delete (retain_on_delete=true, the default)
    kept = {r.get("DeletionPolicy") for r in (*tables.values(), *queues.values())}
    assert kept == {"RetainExceptOnCreate"}


@pytest.mark.slow
def test_the_self_monitoring_table_and_the_costs_count_every_alarm(
    full_template: dict[str, Any],
) -> None:
    alarms = [
        alarm["Metadata"]["aws:cdk:path"].split("/")[-2]
        for alarm in _resources(full_template, "AWS::CloudWatch::Alarm").values()
    ]
    composites = [
        alarm["Metadata"]["aws:cdk:path"].split("/")[-2]
        for alarm in _resources(full_template, "AWS::CloudWatch::CompositeAlarm").values()
    ]
    # Each destination's two alarms are one row, named with `<Label>` (test below)
    per_destination = [a for a in alarms if a.startswith(DESTINATION_LABELS)]
    alarms = [a for a in alarms if a not in per_destination]
    table = section("### Self-monitoring")
    documented = {
        name
        for line in table.splitlines()
        if line.startswith("| `") and not line.startswith("| `<Label>")  # the destinations' row
        for name in ticked(line.split(" | ")[0])
        if re.fullmatch(r"[A-Z]\w+", name)  # not the setting in "(with `daily_digest`)"
    }
    assert documented == set(alarms) | set(composites)
    # "1 composite alarm, $0.50": the not-running alarm that notifies
    composite_costs = table_row(section("### Costs"), "CloudWatch composite alarms")[1]
    assert composite_costs.startswith(f"{len(composites)} composite alarm")
    # "9 standard alarms (7 without Slack, 7 without the real-time path; +3 with the digest; ...)"
    costs = table_row(section("### Costs"), "CloudWatch alarms")[1]
    match = re.search(
        r"(\d+) standard alarms \((\d+) without Slack, (\d+) without the real-time path; "
        r"\+(\d+) with the digest;",
        costs,
    )
    assert match, costs
    base, without_slack, without_realtime, digest = map(int, match.groups())

    def count(prefix: str) -> int:
        return sum(alarm.startswith(prefix) for alarm in alarms)

    assert digest == count("Digest")
    assert base == len(alarms) - count("Digest")
    assert without_slack == base - count("Slack")
    assert without_realtime == base - count("Realtime")
    # "+2 per `destinations` entry (3 alarm metrics)"
    match = re.search(r"\+(\d+) per `destinations` entry \((\d+) alarm metrics\)", costs)
    assert match, costs
    alarms_each, metrics_each = map(int, match.groups())
    assert alarms_each * len(DESTINATIONS) == len(per_destination)
    assert metrics_each * len(DESTINATIONS) == sum(
        _alarm_metrics(alarm)
        for alarm in _resources(full_template, "AWS::CloudWatch::Alarm").values()
        if alarm["Metadata"]["aws:cdk:path"].split("/")[-2].startswith(DESTINATION_LABELS)
    )


def _alarm_metrics(alarm: dict[str, Any]) -> int:
    """The metrics an alarm reads (CloudWatch bills each): one, or each ``MetricStat`` of its
    metric math."""
    metrics = alarm["Properties"].get("Metrics")
    return sum("MetricStat" in m for m in metrics) if metrics else 1


@pytest.mark.slow
def test_the_self_monitoring_table_has_the_alarms_of_each_destination(
    full_template: dict[str, Any],
) -> None:
    # Given the alarms of the two destinations, found by their labels
    alarms = {
        alarm["Metadata"]["aws:cdk:path"].split("/")[-2]
        for alarm in _resources(full_template, "AWS::CloudWatch::Alarm").values()
    }
    suffixes = ("NotifierErrors", "FailureQueueNotEmpty")
    for label in DESTINATION_LABELS:
        assert {a for a in alarms if a.startswith(label)} == {label + s for s in suffixes}
    # Then one row of the Self-monitoring table names them with `<Label>`
    [row] = [
        line
        for line in section("### Self-monitoring").splitlines()
        if line.startswith("| `<Label>")
    ]
    assert ticked(row.split(" | ")[0])[:2] == [f"<Label>{s}" for s in suffixes]
    # And says how a label is made, with the labels these destinations get
    assert "`SearchSlack`" in row and "`PlatformOncallTeams`" in row
