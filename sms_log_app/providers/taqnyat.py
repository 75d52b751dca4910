"""Taqnyat (taqnyat.sa): JSON POST to /v1/messages with a bearer token, `recipients` a list; the answer
names the accepted and rejected numbers and one `messageId` for the request.

From ../shared/GATEWAYS.md (not confirmed in Taqnyat's own document, which the search corpora do not
hold): the endpoint, the fields, `accepted`/`rejected`, and the codes `2`/`3` balance, `14` sender,
`15` recipients, `101` API disabled, `102` IP not allowed, `104` token. `accepted` and `rejected` are
read as lists or as the text "[9665...,9665...]".

Balance: GET /account/balance (no /v1) with the bearer token: confirmed in Taqnyat's own Python SDK
(github.com/taqnyat/python). Its answer, `statusCode`, `accountStatus`, `balance` (text, "100.50")
and `currency` (SAR), is from open-source clients and their tests, not from Taqnyat's document.
"""

import re

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
	every,
	http_refusal,
	international_digits,
	refused,
)

REASONS = {
	"2": reasons.BALANCE,
	"3": reasons.BALANCE,
	"14": reasons.SENDER,
	"15": reasons.NUMBER,
	"101": reasons.API_DISABLED,
	"102": reasons.CREDENTIALS,
	"104": reasons.CREDENTIALS,
}


class Taqnyat(Provider):
	name = "Taqnyat"
	sender_parameter = "sender"
	defaults = Defaults(
		url="https://api.taqnyat.sa/v1/messages",
		message_parameter="body",
		receiver_parameter="recipients",
		parameters=(
			Parameter("sender"),
			Parameter("Authorization", "Bearer ", header=True),
			Parameter("Content-Type", "application/json", header=True),
		),
	)
	secret_parameters = ("Authorization",)
	numbers_per_request = 100
	max_numbers_per_request = 500  # none published: GATEWAYS.md

	def recipients(self, numbers):
		return [international_digits(n) for n in numbers]

	def read_answer(self, answer: Answer, numbers):
		body = answer.json()
		if not isinstance(body, dict):
			return every(numbers, http_refusal(answer))
		code = str(body.get("statusCode") or answer.status)
		if code not in ("200", "201") or not 200 <= answer.status < 300:
			return every(numbers, refused(code, body.get("message"), REASONS))
		rejected = _numbers_in(body.get("rejected"))
		message_id = str(body.get("messageId") or "") or None
		return [
			refused("15", "rejected", REASONS)
			if international_digits(n) in rejected
			else Verdict(True, code, message_id=message_id)
			for n in numbers
		]

	def balance_request(self, config):
		return Request("GET", beside(config.url, ("v1/messages",), "account/balance"), headers=config.headers)

	def read_balance(self, answer):
		body = answer.json()
		if not isinstance(body, dict):
			return balance_error(answer)
		return currency_balance(answer, body) or balance_error(
			answer, body.get("statusCode"), body.get("message")
		)


def _numbers_in(value) -> set[str]:
	return set(re.findall(r"\d+", value if isinstance(value, str) else " ".join(map(str, value or []))))
