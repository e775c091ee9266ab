"""Slack: Block Kit rendering and delivery to an incoming webhook."""
