"""Unifonic: form POST to the REST Messages/Send (one number) or Messages/SendBulk (`Recipient`
comma-separated) with the account's `AppSid`; `success` is the string "true" or "false".

From ../shared/GATEWAYS.md and an open-source client (not confirmed in Unifonic's own document): the
fields, `success`/`errorCode`/`message`, `data.MessageID`, and HTTP 401 and 402 for credentials and
balance. Unifonic's error codes are kept on the row as they come; no reason is named for them.
"""

from sms_log_app.providers import reasons
from sms_log_app.providers.base import Answer, Defaults, Parameter, Provider, Verdict, every, http_refusal

REASONS_BY_STATUS = {401: reasons.CREDENTIALS, 402: reasons.BALANCE}


class Unifonic(Provider):
	name = "Unifonic"
	defaults = Defaults(
		url="https://el.cloud.unifonic.com/rest/SMS/messages",
		message_parameter="Body",
		receiver_parameter="Recipient",
		use_json=False,
		parameters=(Parameter("AppSid"), Parameter("SenderID")),
	)
	secret_parameters = ("AppSid",)

	def read_answer(self, answer: Answer, numbers):
		body = answer.json()
		if not isinstance(body, dict) or "success" not in body:
			return every(numbers, http_refusal(answer, REASONS_BY_STATUS))
		if str(body["success"]).lower() == "true" and 200 <= answer.status < 300:
			data = body.get("data") if isinstance(body.get("data"), dict) else {}
			return every(numbers, Verdict(True, message_id=str(data.get("MessageID") or "") or None))
		code = body.get("errorCode")
		return every(
			numbers,
			Verdict(
				False, str(code) if code else None, body.get("message"), REASONS_BY_STATUS.get(answer.status)
			),
		)
