"""Notifiers: SNS messages to chat destinations (parse, filter, dedupe, render, deliver)."""
