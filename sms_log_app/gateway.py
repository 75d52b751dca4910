"""Send an SMS to each number through an HTTP gateway, the way Frappe's SMS Settings describe it,
and say for every number whether the gateway took it and, if not, why."""

import socket
import time
from collections.abc import Callable
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
	message_id: str | None = None  # the gateway's id for an accepted SMS, read from `response`
	unconfirmed: bool = False  # the request went out but no answer came: the SMS may have been sent


MAX_CONSECUTIVE_FAILURES = 3
NOT_DIALABLE = "Not a mobile number: it was not sent to the gateway"
GATEWAY_DOWN = "Not sent: the gateway failed for the {0} recipients before this one"
DEADLINE_PASSED = "Not sent: sending had already taken longer than {0:g} s"
STOPPED = "Not sent: the send's progress could not be recorded, so it stopped"


def deliver(
	config: GatewayConfig,
	numbers: list[str],
	message: str,
	*,
	deadline: float | None = None,
	max_consecutive_failures: int = MAX_CONSECUTIVE_FAILURES,
	before_request: Callable[[int], bool] | None = None,
) -> list[Outcome]:
	"""Send `message` to every number in turn; a rejected number never stops the others.

	The whole send takes bounded time: once `deadline` seconds have passed, or once the gateway has
	failed (no answer, or a 5xx) for `max_consecutive_failures` recipients in a row, the remaining
	numbers are recorded as not sent instead of each waiting for its own timeout.
	`before_request(i)` is called before the request for `numbers[i]` goes out; once it answers False,
	no further request goes out.
	"""
	started = time.monotonic()
	outcomes, failures_in_a_row, stopped = [], 0, False
	with requests.Session() as session:
		for number in numbers:
			if not is_dialable(number):
				outcome = Outcome(number, False, error=NOT_DIALABLE)
			elif stopped:
				outcome = Outcome(number, False, error=STOPPED)
			elif failures_in_a_row >= max_consecutive_failures:
				outcome = Outcome(number, False, error=GATEWAY_DOWN.format(failures_in_a_row))
			elif deadline is not None and time.monotonic() - started > deadline:
				outcome = Outcome(number, False, error=DEADLINE_PASSED.format(deadline))
			elif before_request and not before_request(len(outcomes)):
				stopped = True
				outcome = Outcome(number, False, error=STOPPED)
			else:
				outcome = send_one(session, config, number, message)
				failures_in_a_row = failures_in_a_row + 1 if gateway_failed(outcome) else 0
			outcomes.append(outcome)
	return outcomes


def gateway_failed(outcome: Outcome) -> bool:
	"""Whether the gateway itself failed (no answer, or a 5xx), not just refused this number: after
	MAX_CONSECUTIVE_FAILURES of these in a row the gateway counts as down."""
	return not outcome.accepted and (outcome.http_status is None or outcome.http_status >= 500)


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
		return Outcome(
			number, False, error=describe_failure(e, config.timeout), unconfirmed=may_have_arrived(e)
		)

	excerpt = response.text[:RESPONSE_EXCERPT]
	if 200 <= response.status_code < 300:
		return Outcome(number, True, response.status_code, error=_odd_answer(excerpt), response=excerpt)

	error = f"HTTP {response.status_code} {response.reason or ''}".strip()
	return Outcome(number, False, response.status_code, error=error, response=excerpt)


def _odd_answer(text: str) -> str | None:
	"""A warning for an accepted SMS whose answer carries nothing a gateway would normally say."""
	if not text.strip():
		return "Accepted, but the gateway's answer was empty"
	if "\ufffd" in text or any(ord(c) < 32 and c not in "\t\r\n" for c in text):
		return "Accepted, but the gateway's answer was not readable text"
	return None


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


def may_have_arrived(exc: requests.RequestException) -> bool:
	"""Whether the request may have reached the gateway although no answer came back: it timed out
	waiting for the answer, or the connection broke after the request was written. A connection that
	was never made (refused, DNS, connect timeout, bad URL) sent nothing."""
	if isinstance(exc, requests.ConnectTimeout):
		return False
	if isinstance(exc, requests.Timeout | requests.exceptions.ChunkedEncodingError):
		return True
	return any(isinstance(c, RemoteDisconnected | ConnectionResetError) for c in _causes(exc))


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
