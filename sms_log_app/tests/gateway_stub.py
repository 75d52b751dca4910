"""A real HTTP SMS gateway on 127.0.0.1, for the integration tests and the benchmark.

It answers each request by the receiver number it carries (query string, form or JSON body):
`behaviours` maps a number to one of BEHAVIOURS, and every other number is accepted. Every answer
waits `delay` seconds first, as real gateways take 50 to 300 ms; `on_request(number)`, when set, is
called as each request arrives, before it is answered.
"""

import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import requests

BEHAVIOURS = ("accept", "reject", "error", "hang", "drop", "truncate", "empty", "garbage")


class GatewayStub:
	def __init__(self, receiver_parameter="to", hang_seconds=5.0, port=0):
		self.receiver_parameter = receiver_parameter
		self.hang_seconds = hang_seconds
		self.behaviours: dict[str, str] = {}
		self.delay = 0.0
		self.on_request = None
		self.requests: list[dict] = []
		self._lock = threading.Lock()
		self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
		self._server.daemon_threads = True
		self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

	@property
	def url(self) -> str:
		return f"http://127.0.0.1:{self._server.server_address[1]}/send"

	def start(self):
		self._thread.start()
		return self

	def serve(self):
		"""Answer requests until interrupted (a stub for a demo site to send to)."""
		try:
			self._server.serve_forever()
		finally:
			self._server.server_close()

	def stop(self):
		self._server.shutdown()
		self._server.server_close()

	def __enter__(self):
		return self.start()

	def __exit__(self, *exc):
		self.stop()

	def received_numbers(self) -> list[str]:
		with self._lock:
			return [r["params"].get(self.receiver_parameter) for r in self.requests]

	def record(self, request: dict):
		with self._lock:
			self.requests.append(request)

	def message_id(self, number: str) -> str:
		"""The id this gateway gave the last SMS it accepted for `number`."""
		with self._lock:
			return next(
				r["message_id"]
				for r in reversed(self.requests)
				if r["params"].get(self.receiver_parameter) == number
			)

	def call_back(self, url: str, method="POST", **kwargs) -> requests.Response:
		"""Report delivery to a site, as real gateways do some time after accepting an SMS."""
		return requests.request(method, url, timeout=30, **kwargs)


def _handler_for(stub: GatewayStub):
	class Handler(BaseHTTPRequestHandler):
		protocol_version = "HTTP/1.1"  # keep-alive, as real gateways offer
		# answer at once: without it, headers and body go out as two segments, and the second waits
		# for the client's delayed ACK (40 ms on Linux) on every keep-alive request
		disable_nagle_algorithm = True

		def handle(self):
			try:
				super().handle()
			except (BrokenPipeError, ConnectionResetError):
				pass  # the client gave up on a hanging answer

		def do_GET(self):
			self._answer()

		def do_POST(self):
			self._answer()

		def _answer(self):
			length = int(self.headers.get("Content-Length") or 0)
			body = self.rfile.read(length) if length else b""
			params = {k: v[-1] for k, v in parse_qs(urlparse(self.path).query).items()}
			if self.headers.get("Content-Type") == "application/json" and body:
				params.update(json.loads(body))
			elif body:
				params.update({k: v[-1] for k, v in parse_qs(body.decode()).items()})
			message_id = f"msg-{uuid.uuid4().hex[:16]}"
			stub.record(
				{
					"method": self.command,
					"path": self.path,
					"headers": dict(self.headers),
					"params": params,
					"message_id": message_id,
					"received_at": time.monotonic(),
				}
			)

			number = params.get(stub.receiver_parameter)
			if stub.on_request:
				stub.on_request(number)
			if stub.delay:
				time.sleep(stub.delay)
			behaviour = stub.behaviours.get(number, "accept")
			if behaviour == "hang":
				time.sleep(stub.hang_seconds)
				behaviour = "accept"
			if behaviour == "drop":
				self.close_connection = True
				return
			if behaviour == "truncate":
				self.send_response(200)
				self.send_header("Content-Length", "100")
				self.end_headers()
				self.wfile.write(b'{"status": "q')
				self.close_connection = True
				return

			status, payload = {
				"accept": (200, json.dumps({"status": "queued", "message_id": message_id})),
				"reject": (400, "Invalid destination number"),
				"error": (500, "Internal gateway error"),
				"empty": (200, ""),
				"garbage": (200, "\x00\xff<html>%%%"),
			}[behaviour]
			data = payload.encode("utf-8", "surrogateescape")
			self.send_response(status)
			self.send_header("Content-Length", str(len(data)))
			self.end_headers()
			self.wfile.write(data)

		def log_message(self, *args):
			pass

	return Handler


if __name__ == "__main__":
	# python -m sms_log_app.tests.gateway_stub <port>: what scripts/try sends to
	GatewayStub(port=int(sys.argv[1])).serve()
