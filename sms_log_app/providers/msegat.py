"""Msegat (msegat.com): JSON POST to gw/sendsms.php, numbers comma-separated, one answer per request.

Confirmed in Msegat's published API collection: the endpoint, `userName` and `apiKey` on every request,
`msgEncoding` (UTF8), and `M0000` for success. The other codes are from ../shared/GATEWAYS.md and
open-source clients, not confirmed in Msegat's own document: `1` (older API) success, `1060` balance,
`1061` duplicate, `1120` numbers, `M0030` promotional sender without -AD; `1020`/`M0002` login and
`1110` sender name are read as credentials and sender refusals.

Balance: POST (form) to gw/Credits.php with `userName`, `apiKey` and `msgEncoding`; the answer is the
account's credits as bare text ("272.6"), or an error code. Not in Msegat's own document in the search
corpora; the same endpoint, fields and answer in several independent open-source clients. A bare
login error code (`1010`, `1020`, `M0001`, `M0002`) is read as the error it is, not as credits.
"""

from sms_log_app.providers import reasons
from sms_log_app.providers.base import (
	Answer,
	Balance,
	Defaults,
	Parameter,
	Provider,
	Request,
	Verdict,
	amount,
	balance_error,
	beside,
	every,
	http_refusal,
	refused,
)

ACCEPTED = ("1", "M0000")
BALANCE_ERRORS = ("1010", "1020", "M0001", "M0002")  # variables missing, login refused
BALANCE_PARAMETERS = ("userName", "apiKey", "msgEncoding")
REASONS = {
	"1060": reasons.BALANCE,
	"1061": reasons.DUPLICATE,
	"1120": reasons.NUMBER,
	"M0030": reasons.SENDER,
	"1110": reasons.SENDER,
	"1020": reasons.CREDENTIALS,
	"M0002": reasons.CREDENTIALS,
}


class Msegat(Provider):
	name = "Msegat"
	sender_parameter = "userSender"
	defaults = Defaults(
		url="https://www.msegat.com/gw/sendsms.php",
		message_parameter="msg",
		receiver_parameter="numbers",
		parameters=(
			Parameter("userName"),
			Parameter("apiKey"),
			Parameter("userSender"),
			Parameter("msgEncoding", "UTF8"),
			Parameter("Content-Type", "application/json", header=True),
		),
	)
	secret_parameters = ("apiKey",)
	numbers_per_request = 100
	max_numbers_per_request = 500  # none published: GATEWAYS.md

	def read_answer(self, answer: Answer, numbers):
		body = answer.json()
		if not isinstance(body, dict) or "code" not in body:
			return every(numbers, http_refusal(answer))
		code = str(body["code"])
		if code in ACCEPTED and 200 <= answer.status < 300:
			return every(numbers, Verdict(True, code))
		return every(numbers, refused(code, body.get("message"), REASONS))

	def balance_request(self, config):
		credentials = {k: v for k, v in config.static_parameters.items() if k in BALANCE_PARAMETERS}
		return Request("POST", beside(config.url, ("sendsms.php",), "Credits.php"), data=credentials)

	def read_balance(self, answer):
		text = answer.text.strip()
		credits = amount(text) if text not in BALANCE_ERRORS else None
		if credits is not None and 200 <= answer.status < 300:
			return Balance(credits, "Credits")
		body = answer.json()
		if isinstance(body, dict):
			return balance_error(answer, body.get("code"), body.get("message"))
		return balance_error(answer, text[:100] or None)
