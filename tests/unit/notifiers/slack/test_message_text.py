"""``mrkdwn.message_text_length``: the text Slack counts against its whole-message limit."""

from __future__ import annotations

from job_monitor.notifiers.slack.mrkdwn import MESSAGE_TEXT_LIMIT, message_text_length


def test_every_text_object_at_any_depth_and_the_fallback_count() -> None:
    # Given a header, a section with text and fields, a context and a button
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "12345", "emoji": True}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "a &amp; b"},
            "fields": [{"type": "mrkdwn", "text": "xy"}, {"type": "plain_text", "text": "z"}],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "<!date^1^{time}|t>"}]},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open"},
                    "url": "https://example.com/" + "u" * 500,
                    "action_id": "open_console",
                }
            ],
        },
    ]
    # Then each text counts as sent (entities and date tokens in full), the URL, action id and
    # types do not, and the fallback is added
    expected = 5 + len("a &amp; b") + 2 + 1 + len("<!date^1^{time}|t>") + 4
    assert message_text_length(blocks) == expected
    assert message_text_length(blocks, "fallback") == expected + 8


def test_an_empty_message_has_no_text() -> None:
    assert message_text_length([]) == 0


def test_the_total_is_below_slacks_reported_refusals() -> None:
    # Refusals (msg_blocks_too_long, 413) are reported from about 12,000 characters
    # (a margin of at least 2,000 characters)
    assert MESSAGE_TEXT_LIMIT + 2_000 <= 12_000
