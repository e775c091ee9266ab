"""The Bedrock simulator over real HTTP, for code that runs in another process.

``BedrockSimulator`` answers in-process clients through botocore's ``before-send`` event. A Lambda
handler started in a subprocess (the clean-environment asset test) cannot be attached that way;
it reaches this server instead, through ``AWS_ENDPOINT_URL_BEDROCK``:

    sim = BedrockSimulator()
    with BedrockServer(sim) as server:
        env["AWS_ENDPOINT_URL_BEDROCK"] = server.endpoint_url
        ...  # boto3 clients in any process now talk to ``sim``

Both paths go through ``BedrockSimulator.handle_request``, so routing, validation, call records
and injected faults are the same. The server listens on 127.0.0.1 only, on a free port, in a
daemon thread; it does not check request signatures.
"""

from __future__ import annotations

import json
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from sim.bedrock import BedrockSimulator, ResponseShapeError

__all__ = ["BedrockServer"]


class BedrockServer:
    """A ThreadingHTTPServer on 127.0.0.1 that serves ``simulator``.

    A request for an operation the simulator does not implement answers 501
    ``NotImplementedException``; a response that would not fit the operation's output shape (a
    simulator bug) answers 500 ``ResponseShapeError``. Both are also kept in ``errors`` so that a
    test can assert that the other process met none.
    """

    def __init__(self, simulator: BedrockSimulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.simulator = simulator
        self.errors: list[str] = []
        self._httpd = ThreadingHTTPServer((host, port), _handler_class(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> BedrockServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="bedrock-simulator-server",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> BedrockServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def answer(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """The simulator's answer, with its two exceptions turned into HTTP errors."""
        try:
            return self.simulator.handle_request(method, target, headers, body)
        except NotImplementedError as exc:
            self.errors.append(f"{method} {target}: {exc}")
            return _error(501, "NotImplementedException", str(exc))
        except ResponseShapeError as exc:
            self.errors.append(f"{method} {target}: {traceback.format_exc()}")
            return _error(500, "ResponseShapeError", str(exc))


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code}
    return status, headers, json.dumps({"message": message}).encode()


def _handler_class(server: BedrockServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {key: value for key, value in self.headers.items()}
            status, response_headers, payload = server.answer(
                self.command, self.path, headers, body
            )
            self.send_response(status)
            for key, value in response_headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _serve
        do_POST = _serve
        do_PUT = _serve
        do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
