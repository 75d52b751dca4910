"""4jawaly: JSON POST with basic auth of the app key and secret, `messages[]` each with `text`,
`numbers[]` and `sender`; `code` 200 takes the request, anything else refuses it with `message` and
`messages[].err_text`.

From ../shared/GATEWAYS.md (not confirmed in 4jawaly's own document): the endpoint, the fields, HTTP
400/422 for refusals. 4jawaly's codes are kept on the row as they come; only HTTP 401 (credentials)
is named.

Balance: GET account/area/me/packages (beside the send URL's sms/send) with `is_active=1` and
`return_collection=1`; `code` 200 and the `total_balance` of the account's active packages, in
credits: confirmed in 4jawaly's own examples (github.com/4jawalycom/4jawaly.com_bulk_sms,
golang/Get_Balance.go). ../shared/GATEWAYS.md's `/me/balances` is not what 4jawaly's examples use.
"""

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
	international_digits,
)

BALANCE_QUERY = {"is_active": "1", "order_by": "id", "order_by_type": "desc", "return_collection": "1"}


class FourJawaly(Provider):
	name = "4jawaly"
	sender_parameter = "sender"
	defaults = Defaults(
		url="https://api-sms.4jawaly.com/api/v1/account/area/sms/send",
		message_parameter="text",
		receiver_parameter="numbers",
		parameters=(
			Parameter("sender"),
			Parameter("Authorization", "Basic ", header=True),
			Parameter("Content-Type", "application/json", header=True),
		),
	)
	secret_parameters = ("Authorization",)
	numbers_per_request = 100
	max_numbers_per_request = 500  # none published: GATEWAYS.md

	def build_request(self, config, numbers, message):
		body = {
			**config.static_parameters,
			config.message_parameter: message,
			config.receiver_parameter: [international_digits(n) for n in numbers],
		}
		return Request("POST", config.url, json={"messages": [body]}, headers=config.headers)

	def read_answer(self, answer: Answer, numbers):
		body = answer.json()
		if not isinstance(body, dict) or "code" not in body:
			return every(numbers, http_refusal(answer))
		code = str(body["code"])
		if code == "200" and 200 <= answer.status < 300:
			return every(numbers, Verdict(True, code, message_id=str(body.get("job_id") or "") or None))
		details = [m.get("err_text") for m in body.get("messages") or [] if isinstance(m, dict)]
		message = "; ".join(str(d) for d in [body.get("message"), *details] if d)
		return every(numbers, Verdict(False, code, message, http_refusal(answer).reason))

	def balance_request(self, config):
		url = beside(config.url, ("sms/send",), "me/packages")
		return Request("GET", url, params=BALANCE_QUERY, headers=config.headers)

	def read_balance(self, answer):
		body = answer.json()
		if not isinstance(body, dict):
			return balance_error(answer)
		balance = amount(body.get("total_balance"))
		if str(body.get("code")) == "200" and balance is not None:
			return Balance(balance, "Credits")
		return balance_error(answer, body.get("code"), body.get("message"))
