"""OurSMS: JSON POST to /msgs/sms with a bearer token, `dests` a list, `src` the sender, `body`; a
refusal carries `errorCode` and `message`, a taken request its `jobId` and the `messages` sent.

From ../shared/GATEWAYS.md (not confirmed in OurSMS's own document): the fields, `errorCode` and
`message`, 500 numbers a request in third-party clients. OurSMS's codes are kept on the row as they
come; only HTTP 401 (credentials) and 402 (balance) are named.

Balance: not asked. GATEWAYS.md's `/billing/credits` appears in one open-source client only (an
answer with `credits`), and in no OurSMS document the search corpora hold.

Delivery reports: not read. GATEWAYS.md's webhook of `statuses[]`, each `{msgId, status}`, could not
be confirmed: the docs, pages and code corpora were searched for OurSMS's webhook, DLR and `statuses`,
and hold no OurSMS document (open-source clients only send). Without its confirmed format, SMS Log
Settings' own report fields (Report Format: Custom) are the way to read OurSMS's reports.
"""

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
