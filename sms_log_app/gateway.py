"""Send an SMS to each number through an HTTP gateway and say for every number whether the gateway
took it and, if not, why. The transport only: the request and the reading of its answer are the
provider profile's (`config.profile`, see sms_log_app/providers/), whichever provider it is."""

import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http.client import RemoteDisconnected
from typing import Any
from urllib.parse import quote, quote_plus

import requests

from sms_log_app.numbers import is_dialable
from sms_log_app.providers import reasons
from sms_log_app.providers.base import Answer, refusal

RESPONSE_EXCERPT = 500  # characters of the gateway's answer kept per recipient
MASK = "****"


@dataclass(frozen=True)
class GatewayConfig:
	"""What SMS Settings say about the gateway, plus the timeout (seconds) for one request, the provider
	profile that builds its requests and reads its answers (a providers.base.Provider) and the
	credentials among the parameters (`secrets`), which no outcome may carry."""

	url: str
	message_parameter: str
	receiver_parameter: str
	static_parameters: dict = field(default_factory=dict)
	headers: dict = field(default_factory=dict)
	use_post: bool = False
	use_json: bool = False
	timeout: float = 10
	secrets: tuple[str, ...] = ()
	numbers_per_request: int = 1
	profile: Any = field(kw_only=True)


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
	code: str | None = None  # the provider's own code for a refusal
	reason: str | None = None  # a refusal's reason a support agent can act on (providers.reasons)
	said: str | None = None  # the provider's own message with a refusal
	stopped: bool = False  # not tried: the provider refused the account earlier in the send
	attempts: int = 1  # tries of the request (see send_batch)
	earlier: tuple[str, ...] = ()  # what the earlier tries met


def refuses_account(outcome: Outcome) -> bool:
	"""Whether the refusal is about the account (balance, credentials, IP, API, sender name), which
	no other number of the send can get past: the send stops."""
	return not outcome.accepted and outcome.reason in reasons.ACCOUNT


def not_sent_after(number: str, account_refusal: Outcome) -> Outcome:
	"""A number left untried because the provider refused the account (`account_refusal`)."""
	return Outcome(
		number,
		False,
		error=f"Not sent: {account_refusal.error}",
		code=account_refusal.code,
		reason=account_refusal.reason,
		said=account_refusal.said,
		stopped=True,
	)


MAX_CONSECUTIVE_FAILURES = 3
MAX_ATTEMPTS = 3  # tries of one request that never reached the provider, or that it asked to repeat
BACKOFF = 0.5  # seconds before the second try, doubled for each further one
MAX_RETRY_WAIT = 30  # seconds: a longer Retry-After is not waited for
NOT_DIALABLE = "Not a mobile number: it was not sent to the gateway"
GATEWAY_DOWN = "Not sent: the gateway failed {0} times in a row before this recipient"
DEADLINE_PASSED = "Not sent: sending had already taken longer than {0:g} s"
STOPPED = "Not sent: the send's progress could not be recorded, so it stopped"


def deliver(
	config: GatewayConfig,
	numbers: list[str],
	message: "Text",
	*,
	deadline: float | None = None,
	max_consecutive_failures: int = MAX_CONSECUTIVE_FAILURES,
	before_request: Callable[[int], bool] | None = None,
) -> list[Outcome]:
	"""Send `message` to every number, `config.numbers_per_request` numbers a request (one, where
	`message` gives each number its own text), in turn; a rejected number never stops the others.

	The whole send takes bounded time: once `deadline` seconds have passed, or once the gateway has
	failed (no answer, or a 5xx) for `max_consecutive_failures` requests in a row, the remaining
	numbers are recorded as not sent instead of each waiting for its own timeout.
	`before_request(i)` is called before a request goes out, `i` the index of its last number; once it
	answers False, no further request goes out. Nor does one after the provider refused the account
	(`refuses_account`).
	"""
	started = time.monotonic()
	outcomes = [None if is_dialable(n) else Outcome(n, False, error=NOT_DIALABLE) for n in numbers]
	failures_in_a_row, stopped, account_refusal = 0, False, None
	with requests.Session() as session:
		for batch in batches(outcomes, per_request(config, message)):
			if account_refusal:
				results = [not_sent_after(numbers[i], account_refusal) for i in batch]
			elif stopped:
				results = [Outcome(numbers[i], False, error=STOPPED) for i in batch]
			elif failures_in_a_row >= max_consecutive_failures:
				results = [
					Outcome(numbers[i], False, error=GATEWAY_DOWN.format(failures_in_a_row)) for i in batch
				]
			elif deadline is not None and time.monotonic() - started > deadline:
				results = [Outcome(numbers[i], False, error=DEADLINE_PASSED.format(deadline)) for i in batch]
			elif before_request and not before_request(batch[-1]):
				stopped = True
				results = [Outcome(numbers[i], False, error=STOPPED) for i in batch]
			else:
				retry_until = None if deadline is None else started + deadline
				batch_numbers = [numbers[i] for i in batch]
				text = text_of(message, batch_numbers)
				results = send_batch(session, config, batch_numbers, text, retry_until=retry_until)
				failures_in_a_row = failures_in_a_row + results[0].attempts if request_failed(results) else 0
				account_refusal = next((o for o in results if refuses_account(o)), None)
			for i, outcome in zip(batch, results, strict=True):
				outcomes[i] = outcome
	return outcomes


# A message, or a function that gives each number its own text (one number a request then)
Text = str | Callable[[str], str]


def per_request(config: GatewayConfig, message: Text) -> int:
	"""Numbers a request carries: one where each number has its own text."""
	return 1 if callable(message) else config.numbers_per_request


def text_of(message: Text, numbers: list[str]) -> str:
	"""The text of a request to `numbers` (one number, where the text is personal)."""
	return message(numbers[0]) if callable(message) else message


def batches(outcomes: list[Outcome | None], size: int) -> list[list[int]]:
	"""The indexes of the numbers still to send (no outcome yet), `size` a request, in order."""
	left = [i for i, outcome in enumerate(outcomes) if outcome is None]
	return [left[first : first + size] for first in range(0, len(left), max(size, 1))]


def request_failed(outcomes: list[Outcome]) -> bool:
	"""Whether the request itself failed for every number it carried (`gateway_failed`)."""
	return all(gateway_failed(o) for o in outcomes)


def gateway_failed(outcome: Outcome) -> bool:
	"""Whether the gateway itself failed (no answer, or a 5xx), not just refused this number: after
	MAX_CONSECUTIVE_FAILURES of these in a row the gateway counts as down."""
	return not outcome.accepted and (outcome.http_status is None or outcome.http_status >= 500)


class ParallelSender:
	"""Sends one message (or a text per number: `Text`) to many numbers, `config.numbers_per_request`
	a request (one, for a text per number), with up to `parallel` requests in flight, each thread on a
	kept-alive connection of its own. `before_request(count)` runs in the sending thread before each
	request of `count` numbers (a rate limit). Once the gateway has
	failed for `max_consecutive_failures` requests in a row, in the order their answers came, no
	further request goes out: those numbers get GATEWAY_DOWN. Nor once the provider refused the
	account, here or where `refused_elsewhere()` says so (another process sending the same log): those
	numbers are not sent, with that refusal. `throttled(seconds)` is told of each HTTP 429 (send_batch).
	"""

	def __init__(
		self,
		config: GatewayConfig,
		message: Text,
		parallel: int,
		before_request: Callable[[int], None] | None = None,
		max_consecutive_failures: int = MAX_CONSECUTIVE_FAILURES,
		refused_elsewhere: Callable[[], Outcome | None] | None = None,
		throttled: Callable[[float], None] | None = None,
	):
		self.config, self.message, self.before_request = config, message, before_request
		self.throttled = throttled
		self.max_consecutive_failures = max_consecutive_failures
		self.refused_elsewhere = refused_elsewhere
		self.failures_in_a_row = 0
		self.refusal: Outcome | None = None
		self._pool = ThreadPoolExecutor(max_workers=max(parallel, 1), thread_name_prefix="sms-gateway")
		self._local = threading.local()
		self._sessions: list[requests.Session] = []
		self._lock = threading.Lock()

	def send(self, numbers: list[str]) -> list[Outcome]:
		"""The outcome of each number, in the order of `numbers`."""
		outcomes = [None if is_dialable(n) else Outcome(n, False, error=NOT_DIALABLE) for n in numbers]
		batched = batches(outcomes, per_request(self.config, self.message))
		answers = self._pool.map(self._send, [[numbers[i] for i in batch] for batch in batched])
		for batch, results in zip(batched, answers, strict=True):
			for i, outcome in zip(batch, results, strict=True):
				outcomes[i] = outcome
		return outcomes

	def _send(self, numbers: list[str]) -> list[Outcome]:
		if self.failures_in_a_row >= self.max_consecutive_failures:
			return [Outcome(n, False, error=GATEWAY_DOWN.format(self.failures_in_a_row)) for n in numbers]
		if self.before_request:
			self.before_request(len(numbers))
		if account_refusal := self.refusal or (self.refused_elsewhere and self.refused_elsewhere()):
			return [not_sent_after(n, account_refusal) for n in numbers]
		text = text_of(self.message, numbers)
		outcomes = send_batch(self._session(), self.config, numbers, text, throttled=self.throttled)
		with self._lock:
			failed = request_failed(outcomes)
			self.failures_in_a_row = self.failures_in_a_row + outcomes[0].attempts if failed else 0
			self.refusal = self.refusal or next((o for o in outcomes if refuses_account(o)), None)
		return outcomes

	def _session(self) -> requests.Session:
		if not hasattr(self._local, "session"):
			self._local.session = requests.Session()
			with self._lock:
				self._sessions.append(self._local.session)
		return self._local.session

	def close(self):
		self._pool.shutdown(wait=True)
		for session in self._sessions:
			session.close()

	def __enter__(self):
		return self

	def __exit__(self, *exc):
		self.close()


def send_batch(
	session: requests.Session,
	config: GatewayConfig,
	numbers: list[str],
	message: str,
	*,
	retry_until: float | None = None,
	throttled: Callable[[float], None] | None = None,
) -> list[Outcome]:
	"""One request for `numbers`, and the outcome of each as the profile reads the answer.

	What never reached the provider (a refused connection, a DNS failure, no connection in time), an
	HTTP 429 and an HTTP 503 with Retry-After are tried again, MAX_ATTEMPTS in all, after Retry-After
	or a backoff, while `retry_until` (a time.monotonic(); None: no limit) allows; `throttled(seconds)`
	is told of each 429. An answer that may have been a send (a timeout after the request left) is
	never tried again: it stays unconfirmed.
	"""
	earlier = []
	for attempt in range(1, MAX_ATTEMPTS + 1):
		outcomes, wait = _attempt(session, config, numbers, message)
		if wait is None or attempt == MAX_ATTEMPTS:
			break
		if throttled and outcomes[0].http_status == 429:
			throttled(wait)
		wait = max(wait, BACKOFF * 2 ** (attempt - 1))
		if retry_until is not None and time.monotonic() + wait > retry_until:
			break
		earlier.append(outcomes[0].error)
		time.sleep(wait)
	for outcome in outcomes:
		outcome.attempts, outcome.earlier = len(earlier) + 1, tuple(earlier)
	return outcomes


def _attempt(session, config, numbers, message) -> tuple[list[Outcome], float | None]:
	"""The outcomes of one request, and the seconds to wait before trying it again (None: not to)."""
	request = config.profile.build_request(config, numbers, message)
	try:
		response = request.send(session, config.timeout)
	except requests.RequestException as e:
		error, unconfirmed = describe_failure(e, config.timeout), may_have_arrived(e)
		outcomes = [Outcome(number, False, error=error, unconfirmed=unconfirmed) for number in numbers]
		return outcomes, 0.0 if never_reached(e) else None

	answer = Answer(response.status_code, response.reason or "", response.text)
	excerpt = masked(response.text[:RESPONSE_EXCERPT], config.secrets)
	verdicts = config.profile.read_answer(answer, numbers)
	outcomes = [
		Outcome(
			number,
			verdict.accepted,
			response.status_code,
			error=masked(
				_odd_answer(excerpt) if verdict.accepted else refusal(verdict, config.profile.name),
				config.secrets,
			),
			response=excerpt,
			message_id=verdict.message_id,
			code=verdict.code,
			reason=verdict.reason,
			said=masked(verdict.message, config.secrets),
		)
		for number, verdict in zip(numbers, verdicts, strict=True)
	]
	return outcomes, retry_after(response)


def retry_after(response: requests.Response) -> float | None:
	"""Seconds to wait before trying again an answer that asks for it: HTTP 429 (Retry-After, else the
	backoff) or HTTP 503 with Retry-After; None for any other answer, or a wait longer than
	MAX_RETRY_WAIT."""
	if response.status_code not in (429, 503):
		return None
	header = (response.headers.get("Retry-After") or "").strip()
	if not header:
		return 0.0 if response.status_code == 429 else None
	if header.isdigit():
		seconds = float(header)
	else:
		try:
			seconds = (parsedate_to_datetime(header) - datetime.now(timezone.utc)).total_seconds()
		except (TypeError, ValueError):
			return 0.0 if response.status_code == 429 else None
	return max(seconds, 0.0) if seconds <= MAX_RETRY_WAIT else None


def never_reached(exc: requests.RequestException) -> bool:
	"""Whether the request surely never reached the gateway: refused, DNS, or no connection in time."""
	if isinstance(exc, requests.ConnectTimeout):
		return True
	return any(isinstance(c, socket.gaierror | ConnectionRefusedError) for c in _causes(exc))


def masked(text: str | None, secrets: tuple[str, ...]) -> str | None:
	"""`text` with every credential, as sent or URL-encoded, replaced by MASK."""
	for secret in secrets:
		if text and secret:
			for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
				text = text.replace(form, MASK)
	return text


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
