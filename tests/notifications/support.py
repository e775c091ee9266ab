"""Helpers shared by the tests that look at what Slack receives."""

from __future__ import annotations

from typing import Any

from job_monitor.notifiers.slack.blocks import SlackMessage


def slack_texts(slack: SlackMessage) -> list[str]:
    """Every text string Slack will show: the fallback and the ``text`` of every object in the
    blocks (mrkdwn and plain_text objects, button labels, ...)."""
    found = [slack.text]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(slack.blocks)
    return found
