"""The one fake Lambda context: the attributes the handlers and Powertools read."""

from __future__ import annotations

from dataclasses import dataclass

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


@dataclass
class FakeLambdaContext:
    """What Powertools' ``inject_lambda_context`` and the handlers read from a Lambda context.

    ``remaining_ms``: what ``get_remaining_time_in_millis`` answers (the invocation's time left).
    """

    function_name: str = "fn"
    memory_limit_in_mb: int = 256
    remaining_ms: int = 60_000
    aws_request_id: str = "req-1"
    region: str = REGION

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms
