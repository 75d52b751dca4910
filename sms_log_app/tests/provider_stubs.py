"""A real HTTP server on 127.0.0.1 per provider profile, speaking the provider's request and answer
formats as its profile documents them (sms_log_app/providers/). No Frappe here.

`failure` switches the answer to each request: None (taken), "balance", "sender", "number",
"credentials", "429" or "503" (with `retry_after`, the Retry-After header, when set); with
`failures_left`, only that many requests fail, the later ones being taken. `refused` names numbers the provider refuses one by one (where it answers per
number), the others being taken. `echo_credentials` makes the answer quote the credentials sent, as
some gateways do in their errors. Every answer waits `delay` seconds first; `on_request(numbers)`,
when set, is called with the numbers of each request as it arrives. Every request is kept in
`requests`: its headers, parsed body and `numbers` (international digits).

A request to the provider's balance endpoint (its path's ending, `BALANCE_PATHS`) is answered with
`balance` in the provider's documented balance format, or, where `failure` is "credentials", with its
refusal of the credentials; it is kept in `balance_requests`, not in `requests`.
"""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

FAILURES = ("balance", "sender", "number", "credentials", "429", "503")


class ProviderStub:
	def __init__(self, provider: str):
		self.provider = provider
		self.failure: str | None = None
		self.refused: set[str] = set()
		self.echo_credentials = False
		self.delay = 0.0
		self.retry_after: str | None = None
		self.failures_left: int | None = None
		self.on_request = None
		self.on_answer = None  # (request, body): called before the answer leaves, as a quick callback
		self.requests: list[dict] = []
		self.balance = 1000.0
		self.balance_requests: list[dict] = []
		self._lock = threading.Lock()
		self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
		self._server.daemon_threads = True
		self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

	@property
	def url(self) -> str:
		return f"http://127.0.0.1:{self._server.server_address[1]}/{self.provider.lower()}"

	def start(self):
		self._thread.start()
		return self

	def received_numbers(self) -> list[str]:
		with self._lock:
			return ["+" + n for r in self.requests for n in r["numbers"]]

	def stop(self):
		self._server.shutdown()
		self._server.server_close()

	def __enter__(self):
		return self.start()

	def __exit__(self, *exc):
		self.stop()

	def reset(self):
		with self._lock:
			self.failure, self.refused, self.echo_credentials = None, set(), False
			self.delay, self.on_request, self.retry_after, self.failures_left = 0.0, None, None, None
			self.on_answer, self.balance = None, 1000.0
			self.requests.clear()
			self.balance_requests.clear()

	def answer(self, request: dict) -> tuple[int, dict | str, dict]:
		if request["path"].lower().endswith(BALANCE_PATHS.get(self.provider, "\0").lower()):
			with self._lock:
				self.balance_requests.append(request)
			status, body = BALANCE_ANSWERS[self.provider](self, request)
			if self.echo_credentials and isinstance(body, dict):
				body["echo"] = {**request["params"], **request["headers"]}
			return status, body, {}
		request["numbers"] = NUMBERS[self.provider](request["params"])
		request["received_at"] = time.monotonic()
		with self._lock:
			self.requests.append(request)
		if self.on_request:
			self.on_request(["+" + n for n in request["numbers"]])
		if self.delay:
			time.sleep(self.delay)
		with self._lock:
			if self.failures_left is not None:
				if self.failures_left == 0:
					self.failure = None
				self.failures_left -= 1
			failure = self.failure
		headers = {"Retry-After": self.retry_after} if self.retry_after else {}
		if failure in ("429", "503"):
			return int(failure), {"message": "Try again later"}, headers
		status, body = ANSWERS[self.provider](self, request)
		if self.echo_credentials:
			body["echo"] = {**request["params"], **request["headers"]}
		if self.on_answer:
			self.on_answer(request, body)
		return status, body, {}


def _digits(numbers) -> list[str]:
	if isinstance(numbers, str):
		numbers = numbers.split(",")
	return [str(n).lstrip("+") for n in numbers]


def _msegat(stub, request):
	codes = {
		"balance": ("1060", "Balance is not enough"),
		"sender": ("M0030", "Sender name should ended with AD"),
		"number": ("1120", "Mobile numbers is not correct"),
		"credentials": ("M0002", "Invalid login info"),
	}
	code, message = codes.get(stub.failure, ("M0000", "Success"))
	return 200, {"code": code, "message": message}


def _taqnyat(stub, request):
	codes = {
		"balance": (3, "Insufficient balance"),
		"sender": (14, "Sender name is not active"),
		"credentials": (104, "Invalid bearer token"),
	}
	if stub.failure in codes:
		code, message = codes[stub.failure]
		return 400, {"statusCode": code, "message": message}
	numbers = _digits(request["params"]["recipients"])
	refused = set(numbers) if stub.failure == "number" else {n.lstrip("+") for n in stub.refused}
	accepted = [n for n in numbers if n not in refused]
	return 201, {
		"statusCode": 201,
		"messageId": uuid.uuid4().int % 10**9,
		"totalCount": len(numbers),
		"accepted": "[" + ",".join(accepted) + ",]",
		"rejected": "[" + ",".join(n for n in numbers if n in refused) + ",]",
	}


def _unifonic(stub, request):
	failures = {
		"balance": (402, "ER-07", "Insufficient balance"),
		"sender": (200, "ER-09", "Sender ID is not approved"),
		"number": (200, "ER-04", "Dest num is too short"),
		"credentials": (401, "ER-01", "Invalid AppSid"),
	}
	if stub.failure in failures:
		status, code, message = failures[stub.failure]
		return status, {"success": "false", "errorCode": code, "message": message}
	message_id = uuid.uuid4().int % 10**14
	return 200, {"success": True, "message": "", "errorCode": "ER-00", "data": {"MessageID": message_id}}


def _twilio(stub, request):
	failures = {
		"number": (400, 21211, "The 'To' number is not a valid phone number."),
		"sender": (400, 21606, "The 'From' phone number provided is not a valid message-capable number."),
		"credentials": (401, 20003, "Authenticate"),
		"balance": (400, 20005, "Account not active"),  # Twilio suspends an unfunded account
		"unsubscribed": (400, 21610, "Attempt to send to unsubscribed recipient"),
	}
	to = request["params"].get("To")
	if stub.failure in failures or to in stub.refused:
		status, code, message = failures[stub.failure or "number"]
		return status, {"code": code, "message": message, "status": status}
	return 201, {"sid": "SM" + uuid.uuid4().hex, "status": "queued", "to": to}


def _infobip(stub, request):
	if stub.failure == "credentials":
		return 401, {
			"requestError": {"serviceException": {"messageId": "UNAUTHORIZED", "text": "Invalid login"}}
		}
	rejected = {
		"balance": "REJECTED_NOT_ENOUGH_CREDITS",
		"sender": "REJECTED_SOURCE",
		"number": "REJECTED_DESTINATION",
	}
	(message,) = request["params"]["messages"]
	answers = []
	for destination in message["destinations"]:
		to = destination["to"]
		name = rejected.get(stub.failure) or ("REJECTED_DESTINATION" if "+" + to in stub.refused else None)
		status = (
			{"groupId": 5, "groupName": "REJECTED", "id": 0, "name": name, "description": name}
			if name
			else {"groupId": 1, "groupName": "PENDING", "id": 26, "name": "PENDING_ACCEPTED"}
		)
		answers.append({"to": to, "status": status, "messageId": uuid.uuid4().hex})
	return 200, {"bulkId": uuid.uuid4().hex, "messages": answers}


def _fourjawaly(stub, request):
	if stub.failure == "credentials":
		return 401, {"code": 401, "message": "Unauthenticated"}
	if stub.failure:
		return 422, {"code": 422, "message": "Refused", "messages": [{"err_text": f"{stub.failure} refused"}]}
	return 200, {"code": 200, "message": "Sent", "job_id": uuid.uuid4().int % 10**9}


def _oursms(stub, request):
	if stub.failure == "credentials":
		return 401, {"errorCode": 401, "message": "Unauthorized"}
	if stub.failure:
		return 400, {"errorCode": 1000 + FAILURES.index(stub.failure), "message": f"{stub.failure} refused"}
	return 200, {"jobId": uuid.uuid4().hex, "messages": [{"dest": d} for d in request["params"]["dests"]]}


def _custom_like(stub, request):
	"""Yamamah (and Custom aimed here): a JSON status the administrator's rule reads."""
	if stub.failure:
		return 200, {"Status": "0", "StatusDescription": f"{stub.failure} refused"}
	return 200, {"Status": "1", "StatusDescription": "Success"}


# where each provider's request carries its numbers
NUMBERS = {
	"Msegat": lambda params: _digits(params.get("numbers", "")),
	"Taqnyat": lambda params: _digits(params.get("recipients", [])),
	"Unifonic": lambda params: _digits(params.get("Recipient", "")),
	"Twilio": lambda params: _digits([params.get("To", "")]),
	"Infobip": lambda params: [d["to"] for m in params.get("messages", []) for d in m["destinations"]],
	"4jawaly": lambda params: [n for m in params.get("messages", []) for n in _digits(m["numbers"])],
	"OurSMS": lambda params: _digits(params.get("dests", [])),
	"Yamamah": lambda params: _digits(params.get("RecepientNumber", "")),
	"Custom": lambda params: _digits(params.get("to", "")),
}

ANSWERS = {
	"Msegat": _msegat,
	"Taqnyat": _taqnyat,
	"Unifonic": _unifonic,
	"Twilio": _twilio,
	"Infobip": _infobip,
	"4jawaly": _fourjawaly,
	"OurSMS": _oursms,
	"Yamamah": _custom_like,
	"Custom": _custom_like,
}


# each provider's balance endpoint, as its profile asks it (beside the send URL)
BALANCE_PATHS = {
	"Msegat": "/Credits.php",
	"Unifonic": "/Account/GetBalance",
	"Taqnyat": "/account/balance",
	"4jawaly": "/me/packages",
	"Twilio": "/Balance.json",
	"Infobip": "/account/1/balance",
}


def _msegat_balance(stub, request):
	if stub.failure == "credentials":
		return 200, {"code": "M0002", "message": "Invalid login info"}
	return 200, f"{stub.balance:g}"  # the credits as bare text


def _unifonic_balance(stub, request):
	if stub.failure == "credentials":
		return 401, {"success": "false", "errorCode": "ER-01", "message": "Invalid AppSid"}
	data = {"Balance": f"{stub.balance:.5f}", "CurrencyCode": "USD", "SharedBalance": "0.00000"}
	return 200, {"success": "true", "message": "", "errorCode": "ER-00", "data": data}


def _taqnyat_balance(stub, request):
	if stub.failure == "credentials":
		return 401, {"statusCode": 401, "message": "Invalid ApiKey"}
	balance = f"{stub.balance:.3f}"
	return 200, {"statusCode": 200, "accountStatus": "active", "balance": balance, "currency": "SAR"}


def _fourjawaly_balance(stub, request):
	if stub.failure == "credentials":
		return 401, {"code": 401, "message": "Unauthenticated"}
	return 200, {"code": 200, "message": "success", "total_balance": stub.balance, "collection": []}


def _twilio_balance(stub, request):
	if stub.failure == "credentials":
		return 401, {"code": 20003, "message": "Authenticate", "status": 401}
	return 200, {"account_sid": "AC" + "0" * 32, "balance": f"{stub.balance:.5f}", "currency": "USD"}


def _infobip_balance(stub, request):
	if stub.failure == "credentials":
		error = {"messageId": "UNAUTHORIZED", "text": "Invalid login details"}
		return 401, {"requestError": {"serviceException": error}}
	return 200, {"balance": stub.balance, "currency": "EUR"}


BALANCE_ANSWERS = {
	"Msegat": _msegat_balance,
	"Unifonic": _unifonic_balance,
	"Taqnyat": _taqnyat_balance,
	"4jawaly": _fourjawaly_balance,
	"Twilio": _twilio_balance,
	"Infobip": _infobip_balance,
}


def _handler_for(stub: ProviderStub):
	class Handler(BaseHTTPRequestHandler):
		protocol_version = "HTTP/1.1"

		def do_GET(self):
			self._answer()

		def do_POST(self):
			self._answer()

		def _answer(self):
			length = int(self.headers.get("Content-Length") or 0)
			body = self.rfile.read(length) if length else b""
			params = {k: v[-1] for k, v in parse_qs(urlparse(self.path).query).items()}
			if (self.headers.get("Content-Type") or "").startswith("application/json") and body:
				params.update(json.loads(body))
			elif body:
				params.update({k: v[-1] for k, v in parse_qs(body.decode()).items()})
			status, answer, headers = stub.answer(
				{
					"method": self.command,
					"path": urlparse(self.path).path,
					"headers": dict(self.headers),
					"params": params,
				}
			)
			text = isinstance(answer, str)
			data = answer.encode() if text else json.dumps(answer).encode()
			try:
				self.send_response(status)
				self.send_header("Content-Type", "text/plain" if text else "application/json")
				self.send_header("Content-Length", str(len(data)))
				for name, value in headers.items():
					self.send_header(name, value)
				self.end_headers()
				self.wfile.write(data)
			except (BrokenPipeError, ConnectionResetError):
				pass  # the client gave up waiting (a timeout under test)

		def log_message(self, *args):
			pass

	return Handler
