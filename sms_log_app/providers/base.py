"""The one interface every SMS provider's profile has: the request that sends a message to a batch of
numbers, what the provider's answer says about each of those numbers, its delivery reports, and the
request for the account's balance with what its answer says. No Frappe here."""

import json
import math
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from sms_log_app.delivery import Report
from sms_log_app.providers import reasons


@dataclass(frozen=True)
class Request:
	"""One HTTP request to the provider, as `requests` takes it."""

	method: str
	url: str
	params: dict | None = None
	data: dict | None = None
	json: dict | list | None = None
	headers: dict = field(default_factory=dict)

	def send(self, session, timeout: float):
		"""Send it through `session` (a `requests.Session`, or `requests` itself)."""
		return session.request(
			self.method,
			self.url,
			params=self.params,
			data=self.data,
			json=self.json,
			headers=self.headers,
			timeout=timeout,
		)


@dataclass(frozen=True)
class Answer:
	"""What came back: the HTTP status, its reason phrase and the body."""

	status: int
	phrase: str
	text: str

	def json(self):
		"""The body as JSON, or None where it is not."""
		try:
			return json.loads(self.text)
		except ValueError:
			return None


@dataclass(frozen=True)
class Verdict:
	"""What the provider said about one number: taken, or refused with its own code and message and,
	where the code is known, a reason a support agent can act on (`reasons`)."""

	accepted: bool
	code: str | None = None
	message: str | None = None
	reason: str | None = None
	message_id: str | None = None


@dataclass(frozen=True)
class Balance:
	"""What the provider's balance endpoint said: the `amount` in `unit` (credits, or the code of the
	account's currency), or, where it did not say one, the provider's `error`."""

	amount: float | None = None
	unit: str = ""
	error: str | None = None


@dataclass(frozen=True)
class Parameter:
	"""A parameter SMS Settings list for the provider (`header`: sent as an HTTP header)."""

	name: str
	value: str = ""
	header: bool = False


@dataclass(frozen=True)
class Defaults:
	"""What choosing the provider fills in SMS Settings."""

	url: str
	message_parameter: str
	receiver_parameter: str
	use_post: bool = True
	use_json: bool = True
	parameters: tuple[Parameter, ...] = ()


class Provider:
	"""A provider's profile. Subclasses set `name`, `defaults` and `secret_parameters` (the parameters
	whose values are credentials, never written anywhere) and read the provider's answers."""

	name: str
	defaults: Defaults
	secret_parameters: tuple[str, ...] = ()
	numbers_per_request = 1  # by default: conservative, where the provider publishes no figure
	max_numbers_per_request = 1  # the most SMS Log Settings may ask for
	# the parameter that carries the sender ID the provider checks (None: unknown, as for Custom, whose
	# SMS Log Settings name it)
	sender_parameter: str | None = None

	def build_request(self, config, numbers: list[str], message: str) -> Request:
		"""The request that sends `message` to `numbers` (`config`: a gateway.GatewayConfig)."""
		params = {
			config.message_parameter: message,
			**config.static_parameters,
			config.receiver_parameter: self.recipients(numbers),
		}
		method = "POST" if config.use_post else "GET"
		if config.use_json:
			return Request(method, config.url, json=params, headers=config.headers)
		if config.use_post:
			return Request(method, config.url, data=params, headers=config.headers)
		return Request(method, config.url, params=params, headers=config.headers)

	def recipients(self, numbers: list[str]):
		"""The numbers as the provider takes them: international digits, comma-separated."""
		return ",".join(international_digits(n) for n in numbers)

	def read_answer(self, answer: Answer, numbers: list[str]) -> list[Verdict]:
		"""One verdict per number, in their order."""
		raise NotImplementedError

	def read_reports(self, payload: dict) -> list[Report] | None:
		"""The delivery reports one call of the provider carries, or None where the profile has no
		format of its own (SMS Log Settings' report format is read instead)."""
		return None

	def balance_request(self, config) -> Request | None:
		"""The request for the account's balance (`config`: a gateway.GatewayConfig), or None where the
		provider has no balance endpoint the profile could confirm."""
		return None

	def read_balance(self, answer: Answer) -> Balance:
		"""The balance the answer to `balance_request` states, or the provider's error."""
		raise NotImplementedError

	def is_secret(self, parameter: str) -> bool:
		return parameter.lower() in {p.lower() for p in self.secret_parameters}


def international_digits(number: str) -> str:
	"""+966500000001 -> 966500000001: what most providers take."""
	return number.lstrip("+")


def beside(url: str, send_paths: tuple[str, ...], balance_path: str) -> str:
	"""The balance endpoint beside the send URL SMS Settings hold: the one of `send_paths` its path
	ends in replaced by `balance_path`. A URL that ends in none (a proxy, a test stub) gets
	`balance_path` after its own path. The query string is dropped."""
	scheme, host, path, _query, _fragment = urlsplit(url)
	path = path.rstrip("/")
	for send_path in send_paths:
		if path.lower().endswith(send_path.lower()):
			path = path[: len(path) - len(send_path)].rstrip("/")
			break
	return urlunsplit((scheme, host, f"{path}/{balance_path}", "", ""))


def amount(value) -> float | None:
	"""A balance as the provider writes it (a number, or its text), or None where it is none."""
	try:
		number = float(str(value).replace(",", "").strip())
	except (TypeError, ValueError):
		return None
	return number if math.isfinite(number) else None


def currency_balance(answer: Answer, body: dict) -> Balance | None:
	"""A 2xx answer's `balance` in its `currency` (Taqnyat, Twilio, Infobip), or None."""
	balance = amount(body.get("balance"))
	if balance is not None and 200 <= answer.status < 300:
		return Balance(balance, str(body.get("currency") or ""))
	return None


def balance_error(answer: Answer, code=None, message=None) -> Balance:
	"""The provider's error about the balance: its code and message, else the HTTP status."""
	said = ": ".join(str(p) for p in (code, message) if p not in (None, ""))
	return Balance(error=said or f"HTTP {answer.status} {answer.phrase}".strip())


def every(numbers: list[str], verdict: Verdict) -> list[Verdict]:
	"""The same verdict for each number of a request the provider answered once."""
	return [verdict] * len(numbers)


def refused(code, message, reasons_by_code: dict) -> Verdict:
	"""A refusal with the provider's code and message, and the reason its code means."""
	code = None if code is None else str(code)
	return Verdict(False, code, None if message is None else str(message), reasons_by_code.get(code))


def http_refusal(answer: Answer, reasons_by_status: dict = reasons.BY_HTTP_STATUS) -> Verdict:
	"""A non-2xx answer that carries nothing the profile can read."""
	said = f"HTTP {answer.status} {answer.phrase}".strip()
	return Verdict(False, None, said, reasons_by_status.get(answer.status))


def refusal(verdict: Verdict, provider: str, reason: str | None = None) -> str:
	"""A refused number's error: the reason (`reason`: its translation, where there is one), then
	what the provider said, its own code first."""
	said = ": ".join(str(p) for p in (verdict.code, verdict.message) if p)
	if said and verdict.code and provider != "Custom":
		said = f"{provider} {said}"
	reason = reason or verdict.reason
	if reason:
		return f"{reason} ({said})" if said else reason
	return said or f"Refused by {provider}"
