"""Infobip: JSON POST to /sms/2/text/advanced with `Authorization: App <key>`, one message with every
number in `destinations`; the answer has a `status` per number, whose `groupName` PENDING (or
DELIVERED) is a taken SMS and REJECTED a refusal named by `status.name`.

From ../shared/GATEWAYS.md and Infobip's published status codes (not confirmed here in Infobip's own
document): `REJECTED_NOT_ENOUGH_CREDITS`, `REJECTED_SOURCE`, `REJECTED_DESTINATION`,
`REJECTED_PREFIX_MISSING`, `REJECTED_DND`; HTTP 401 for credentials.
"""

from sms_log_app.providers import reasons
from sms_log_app.providers.base import (
	Answer,
	Defaults,
	Parameter,
	Provider,
	Request,
	Verdict,
	every,
	http_refusal,
	international_digits,
	refused,
)

ACCEPTED_GROUPS = ("PENDING", "DELIVERED")
REASONS = {
	"REJECTED_NOT_ENOUGH_CREDITS": reasons.BALANCE,
	"REJECTED_SOURCE": reasons.SENDER,
	"REJECTED_DESTINATION": reasons.NUMBER,
	"REJECTED_PREFIX_MISSING": reasons.NUMBER,
	"REJECTED_DND": reasons.NUMBER,
}


class Infobip(Provider):
	name = "Infobip"
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


def _verdict(message: dict | None) -> Verdict:
	if message is None:
		return Verdict(False, None, "The answer does not name this number")
	status = message.get("status") or {}
	if status.get("groupName") in ACCEPTED_GROUPS:
		return Verdict(True, status.get("name"), message_id=str(message.get("messageId") or "") or None)
	return refused(status.get("name"), status.get("description"), REASONS)
