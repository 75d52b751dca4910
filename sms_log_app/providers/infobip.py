"""Infobip: JSON POST to /sms/2/text/advanced with `Authorization: App <key>`, one message with every
number in `destinations`; the answer has a `status` per number, whose `groupName` PENDING (or
DELIVERED) is a taken SMS and REJECTED a refusal named by `status.name`.

From ../shared/GATEWAYS.md and Infobip's published status codes (not confirmed here in Infobip's own
document): `REJECTED_NOT_ENOUGH_CREDITS`, `REJECTED_SOURCE`, `REJECTED_DESTINATION`,
`REJECTED_PREFIX_MISSING`, `REJECTED_DND`; HTTP 401 for credentials. Delivery reports: `results[]`
with the same status object (confirmed), `messageId`, `to`, `doneAt` and `error` (from Infobip's
report examples as GATEWAYS.md sums them up, not confirmed here).

Balance: GET /account/1/balance on the account's base URL with the same `App` key; `balance` in
`currency`. Not in Infobip's own document in the search corpora; the same endpoint and answer in
several independent open-source clients. An error is `requestError.serviceException.text`.
"""

from sms_log_app.delivery import Report, app_status
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

ACCEPTED_GROUPS = ("PENDING", "DELIVERED")
# a report's status group, as the app's status words read it
REPORT_GROUPS = {
	"DELIVERED": "delivered",
	"UNDELIVERABLE": "undelivered",
	"EXPIRED": "expired",
	"REJECTED": "rejected",
	"PENDING": "sent",
}
REASONS = {
	"REJECTED_NOT_ENOUGH_CREDITS": reasons.BALANCE,
	"REJECTED_SOURCE": reasons.SENDER,
	"REJECTED_DESTINATION": reasons.NUMBER,
	"REJECTED_PREFIX_MISSING": reasons.NUMBER,
	"REJECTED_DND": reasons.NUMBER,
}


class Infobip(Provider):
	name = "Infobip"
	sender_parameter = "from"
	defaults = Defaults(
		url="https://<base-url>.api.infobip.com/sms/2/text/advanced",
		message_parameter="text",
		receiver_parameter="to",
		parameters=(
			Parameter("from"),
			Parameter("Authorization", "App ", header=True),
			Parameter("Content-Type", "application/json", header=True),
		),
	)
	secret_parameters = ("Authorization",)
	numbers_per_request = 100
	max_numbers_per_request = 1000  # none published: a conservative cap

	def build_request(self, config, numbers, message):
		destinations = [{config.receiver_parameter: international_digits(n)} for n in numbers]
		body = {**config.static_parameters, config.message_parameter: message, "destinations": destinations}
		return Request("POST", config.url, json={"messages": [body]}, headers=config.headers)

	def read_answer(self, answer: Answer, numbers):
		body = answer.json()
		if not 200 <= answer.status < 300 or not isinstance(body, dict):
			return every(numbers, http_refusal(answer))
		by_number = {
			str(m.get("to")): m for m in body.get("messages") or [] if isinstance(m, dict) and m.get("to")
		}
		return [_verdict(by_number.get(international_digits(n))) for n in numbers]

	def balance_request(self, config):
		url = beside(config.url, ("sms/2/text/advanced",), "account/1/balance")
		return Request("GET", url, headers=config.headers)

	def read_balance(self, answer):
		body = answer.json()
		if not isinstance(body, dict):
			return balance_error(answer)
		if balance := currency_balance(answer, body):
			return balance
		error = (body.get("requestError") or {}).get("serviceException") or {}
		return balance_error(answer, error.get("messageId"), error.get("text"))

	def read_reports(self, payload):
		"""Infobip's delivery reports: `results[]`, each with `messageId`, `to`, a `status` object whose
		`groupName` is DELIVERED, UNDELIVERABLE, EXPIRED, REJECTED or PENDING, `doneAt` and `error`."""
		reports = []
		for result in payload.get("results") or []:
			status = result.get("status") or {}
			group = str(status.get("groupName") or "")
			error = (result.get("error") or {}).get("name")
			reports.append(
				Report(
					message_id=str(result.get("messageId") or "") or None,
					number=f"+{result['to']}" if result.get("to") else None,
					status=app_status(REPORT_GROUPS.get(group, group)),
					provider_status=str(status.get("name") or group),
					time=result.get("doneAt"),
					error=None if error in (None, "NO_ERROR") else str(error),
				)
			)
		return reports


def _verdict(message: dict | None) -> Verdict:
	if message is None:
		return Verdict(False, None, "The answer does not name this number")
	status = message.get("status") or {}
	if status.get("groupName") in ACCEPTED_GROUPS:
		return Verdict(True, status.get("name"), message_id=str(message.get("messageId") or "") or None)
	return refused(status.get("name"), status.get("description"), REASONS)
