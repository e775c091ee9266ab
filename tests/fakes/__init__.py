"""Test doubles shared by every suite: the Lambda context, and in-memory fakes of the ports."""
