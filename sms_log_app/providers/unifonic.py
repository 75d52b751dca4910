"""Unifonic: form POST to /rest/SMS/messages (one number; /rest/Messages/SendBulk takes `Recipient`
comma-separated) with the account's `AppSid`; `success` is true or false (a boolean, or the string).

Confirmed in Unifonic's documents (docs.unifonic.com, "Sending your first SMS", "SMS API", "Sending
bulk SMS"): the URLs, `AppSid`, `SenderID`, `Recipient` without 00 or +, `Body`, the answer's
`success`, `message`, `errorCode` (`ER-00` on success, `ER-04` "Dest num is too short") and
`data.MessageID`. From ../shared/GATEWAYS.md only: HTTP 401 and 402 for credentials and balance.
Other error codes are kept on the row as they come.

Balance: POST (form) to /rest/Account/GetBalance with `AppSid`; `success` "true" and `data.Balance`
in `data.CurrencyCode`. Not in Unifonic's own documents in the search corpora (they cover the newer
APIs); the same endpoint and answer in several independent open-source clients and their test stubs.
"""

from sms_log_app.delivery import Report, app_status
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
)

REASONS_BY_STATUS = {401: reasons.CREDENTIALS, 402: reasons.BALANCE}
REASONS = {"ER-04": reasons.NUMBER}
SEND_PATHS = ("SMS/messages", "Messages/SendBulk", "Messages/Send")


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

	def balance_request(self, config):
		app_sid = {k: v for k, v in config.static_parameters.items() if k == "AppSid"}
		return Request("POST", beside(config.url, SEND_PATHS, "Account/GetBalance"), data=app_sid)

	def read_balance(self, answer):
		body = answer.json()
		if not isinstance(body, dict):
			return balance_error(answer)
		data = body.get("data") if isinstance(body.get("data"), dict) else {}
		balance = amount(data.get("Balance"))
		if str(body.get("success")).lower() == "true" and balance is not None:
			return Balance(balance, str(data.get("CurrencyCode") or ""))
		return balance_error(answer, body.get("errorCode"), body.get("message"))

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
