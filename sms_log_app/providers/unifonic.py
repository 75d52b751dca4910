"""Unifonic: form POST to /rest/SMS/messages (one number; /rest/Messages/SendBulk takes `Recipient`
comma-separated) with the account's `AppSid`; `success` is true or false (a boolean, or the string).

Confirmed in Unifonic's documents (docs.unifonic.com, "Sending your first SMS", "SMS API", "Sending
bulk SMS"): the URLs, `AppSid`, `SenderID`, `Recipient` without 00 or +, `Body`, the answer's
`success`, `message`, `errorCode` (`ER-00` on success, `ER-04` "Dest num is too short") and
`data.MessageID`. From ../shared/GATEWAYS.md only: HTTP 401 and 402 for credentials and balance.
Other error codes are kept on the row as they come.
"""

from sms_log_app.delivery import Report, app_status
from sms_log_app.providers import reasons
from sms_log_app.providers.base import Answer, Defaults, Parameter, Provider, Verdict, every, http_refusal

REASONS_BY_STATUS = {401: reasons.CREDENTIALS, 402: reasons.BALANCE}
REASONS = {"ER-04": reasons.NUMBER}


class Unifonic(Provider):
	name = "Unifonic"
	sender_parameter = "SenderID"
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
		code = str(body.get("errorCode") or "") or None
		reason = REASONS.get(code) or REASONS_BY_STATUS.get(answer.status)
		return every(numbers, Verdict(False, code, body.get("message"), reason))

	def read_reports(self, payload):
		"""Unifonic's delivery webhook: `MessageID`, `DLR` (Delivered, Undeliverable), `Recipient`,
		`DLRTimestamp` (from ../shared/GATEWAYS.md, not confirmed in Unifonic's own document)."""
		recipient = str(payload.get("Recipient") or "").lstrip("+")
		return [
			Report(
				message_id=str(payload.get("MessageID") or "") or None,
				number=f"+{recipient}" if recipient else None,
				status=app_status(str(payload.get("DLR") or "")),
				provider_status=str(payload.get("DLR") or ""),
				time=payload.get("DLRTimestamp"),
				error=None,
			)
		]
