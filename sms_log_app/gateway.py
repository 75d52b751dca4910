"""Send an SMS to each number through an HTTP gateway, the way Frappe's SMS Settings describe it,
and say for every number whether the gateway took it and, if not, why."""

import socket
from dataclasses import dataclass, field
from http.client import RemoteDisconnected

import requests

from sms_log_app.numbers import is_dialable

RESPONSE_EXCERPT = 500  # characters of the gateway's answer kept per recipient


@dataclass(frozen=True)
class GatewayConfig:
	"""What SMS Settings say about the gateway, plus the timeout (seconds) for one request."""

	url: str
	message_parameter: str
	receiver_parameter: str
	static_parameters: dict = field(default_factory=dict)
	headers: dict = field(default_factory=dict)
	use_post: bool = False
	use_json: bool = False
	timeout: float = 10


@dataclass
class Outcome:
	"""What happened to one recipient."""

	number: str
	accepted: bool
	http_status: int | None = None
	error: str | None = None
	response: str | None = None


NOT_DIALABLE = "Not a mobile number: it was not sent to the gateway"


def deliver(config: GatewayConfig, numbers: list[str], message: str) -> list[Outcome]:
	"""Send `message` to every number in turn; a failure for one number never stops the others."""
	with requests.Session() as session:
		return [
			send_one(session, config, number, message)
			if is_dialable(number)
			else Outcome(number, False, error=NOT_DIALABLE)
			for number in numbers
		]


def send_one(session: requests.Session, config: GatewayConfig, number: str, message: str) -> Outcome:
	params = {
		config.message_parameter: message,
		**config.static_parameters,
		config.receiver_parameter: number,
	}
	kwargs = {"headers": config.headers, "timeout": config.timeout}
	if config.use_json:
		kwargs["json"] = params
	elif config.use_post:
		kwargs["data"] = params
	else:
		kwargs["params"] = params

	try:
		response = session.request("POST" if config.use_post else "GET", config.url, **kwargs)
	except requests.RequestException as e:
		return Outcome(number, False, error=describe_failure(e, config.timeout))

	excerpt = response.text[:RESPONSE_EXCERPT]
	if 200 <= response.status_code < 300:
		return Outcome(number, True, response.status_code, response=excerpt)

	error = f"HTTP {response.status_code} {response.reason or ''}".strip()
	return Outcome(number, False, response.status_code, error=error, response=excerpt)


def describe_failure(exc: requests.RequestException, timeout: float) -> str:
	"""A reason a support agent can act on. The exception's own text is not used: for a GET gateway
	it holds the URL, and with it the message and any credentials among the static parameters."""
	causes = list(_causes(exc))
	if isinstance(exc, requests.ConnectTimeout):
		return f"No connection to the gateway within {timeout:g} s"
	if isinstance(exc, requests.Timeout):
		return f"The gateway did not answer within {timeout:g} s"
	if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
		return "The gateway closed the connection in the middle of its answer"
	if isinstance(
		exc,
		requests.exceptions.InvalidURL
		| requests.exceptions.MissingSchema
		| requests.exceptions.InvalidSchema,
	):
		return "The gateway URL in SMS Settings is not a valid URL"
	if any(isinstance(c, socket.gaierror) for c in causes):
		return "The gateway's host name could not be resolved (DNS)"
	if any(isinstance(c, ConnectionRefusedError) for c in causes):
		return "The gateway refused the connection"
	if any(isinstance(c, RemoteDisconnected | ConnectionResetError) for c in causes):
		return "The gateway closed the connection without answering"
	return f"The request to the gateway failed ({type(exc).__name__})"


def _causes(exc: BaseException):
	"""The exception and everything it wraps: urllib3 nests the socket error several levels deep."""
	seen, stack = set(), [exc]
	while stack:
		e = stack.pop()
		if id(e) in seen:
			continue
		seen.add(id(e))
		yield e
		nested = [e.__cause__, e.__context__, getattr(e, "reason", None), *e.args]
		stack.extend(n for n in nested if isinstance(n, BaseException))
