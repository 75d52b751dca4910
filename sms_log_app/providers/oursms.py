"""OurSMS: JSON POST to /msgs/sms with a bearer token, `dests` a list, `src` the sender, `body`; a
refusal carries `errorCode` and `message`, a taken request its `jobId` and the `messages` sent.

From ../shared/GATEWAYS.md (not confirmed in OurSMS's own document): the fields, `errorCode` and
`message`, 500 numbers a request in third-party clients. OurSMS's codes are kept on the row as they
come; only HTTP 401 (credentials) and 402 (balance) are named.

Balance: not asked. GATEWAYS.md's `/billing/credits` appears in one open-source client only (an
answer with `credits`), and in no OurSMS document the search corpora hold.

Delivery reports: GATEWAYS.md's webhook, `statuses[]` of `{msgId, status}` (delivered, undelivered,
failed, sent, deleted), unsigned. Not confirmed in an OurSMS document either (the docs, pages and code
corpora hold none): read as GATEWAYS.md gives it, and nothing more is assumed. A report names no number,
so it is applied only where its `msgId` is the message id of one row (`delivery_reports`): a `jobId`
that covers a request of many numbers matches none of them, and its reports are kept Unmatched.
"""

from sms_log_app.delivery import Report, app_status
from sms_log_app.providers.base import (
	Answer,
	Defaults,
	Parameter,
	Provider,
	Verdict,
	every,
	http_refusal,
	international_digits,
)


class OurSMS(Provider):
	name = "OurSMS"
	sender_parameter = "src"
	defaults = Defaults(
		url="https://api.oursms.com/msgs/sms",
		message_parameter="body",
		receiver_parameter="dests",
		parameters=(
			Parameter("src"),
			Parameter("Authorization", "Bearer ", header=True),
			Parameter("Content-Type", "application/json", header=True),
		),
	)
	secret_parameters = ("Authorization",)
	numbers_per_request = 100
	max_numbers_per_request = 500

	def recipients(self, numbers):
		return [international_digits(n) for n in numbers]

	def read_answer(self, answer: Answer, numbers):
		body = answer.json()
		if not isinstance(body, dict):
			return every(numbers, http_refusal(answer))
		if body.get("errorCode") or not 200 <= answer.status < 300:
			code = body.get("errorCode")
			said = http_refusal(answer)
			return every(
				numbers,
				Verdict(False, str(code) if code else None, body.get("message") or said.message, said.reason),
			)
		if not body.get("jobId"):
			return every(numbers, Verdict(False, None, "The answer has no job id"))
		return every(numbers, Verdict(True, message_id=str(body["jobId"])))

	def read_reports(self, payload):
		"""OurSMS's reports: `statuses[]`, each `{msgId, status}` (GATEWAYS.md); `deleted` is Unknown."""
		return [
			Report(
				message_id=str(entry.get("msgId") or "") or None,
				number=None,
				status=app_status(str(entry.get("status") or "")),
				provider_status=str(entry.get("status") or ""),
				time=None,
				error=None,
			)
			for entry in payload.get("statuses") or []
			if isinstance(entry, dict)
		]
