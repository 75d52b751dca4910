"""Twilio: form POST to /2010-04-01/Accounts/{AccountSid}/Messages.json with basic auth, one `To` per
request. HTTP 201 with a `sid` is a taken SMS; a refusal is HTTP 4xx with a numeric `code`.

From ../shared/GATEWAYS.md and Twilio's published error codes: `21211` invalid number, `21610`
unsubscribed, `21614` not a mobile; `20003` authentication; `21212` and `21606` an invalid From.

Balance: GET /2010-04-01/Accounts/{AccountSid}/Balance.json (beside Messages.json) with the same basic
auth; `balance` (text) in `currency`: confirmed in Twilio's own helper libraries and OpenAPI
description (the Balance resource). A subaccount has no balance of its own.
"""

from sms_log_app.providers import reasons
from sms_log_app.providers.base import (
	Answer,
	Defaults,
	Parameter,
	Provider,
	Request,
	Verdict,
	balance_error,
	beside,
	currency_balance,
	http_refusal,
	refused,
)

REASONS = {
	"21211": reasons.NUMBER,
	"21610": reasons.UNSUBSCRIBED,
	"21614": reasons.NUMBER,
	"20003": reasons.CREDENTIALS,
	"21212": reasons.SENDER,
	"21606": reasons.SENDER,
}


class Twilio(Provider):
	name = "Twilio"
	sender_parameter = "From"
	defaults = Defaults(
		url="https://api.twilio.com/2010-04-01/Accounts/<AccountSid>/Messages.json",
		message_parameter="Body",
		receiver_parameter="To",
		use_json=False,
		parameters=(Parameter("From"), Parameter("Authorization", "Basic ", header=True)),
	)
	secret_parameters = ("Authorization",)

	def recipients(self, numbers):
		(number,) = numbers  # one To per request
		return number  # E.164, as Twilio takes it

	def read_answer(self, answer: Answer, numbers):
		body = answer.json()
		if 200 <= answer.status < 300 and isinstance(body, dict) and body.get("sid"):
			return [Verdict(True, message_id=str(body["sid"]))]
		if isinstance(body, dict) and body.get("code"):
			return [refused(body["code"], body.get("message"), REASONS)]
		return [http_refusal(answer)]

	def balance_request(self, config):
		return Request("GET", beside(config.url, ("Messages.json",), "Balance.json"), headers=config.headers)

	def read_balance(self, answer):
		body = answer.json()
		if not isinstance(body, dict):
			return balance_error(answer)
		return currency_balance(answer, body) or balance_error(answer, body.get("code"), body.get("message"))
