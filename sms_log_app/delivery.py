"""Read gateways' answers and delivery reports: the message id of a sent SMS, and what a report says."""

import json
import re
from dataclasses import dataclass

from sms_log_app.status import DELIVERED, EXPIRED, FAILED, PENDING, REJECTED, UNDELIVERED, UNKNOWN

JSON_PATH = "JSON Path"
REGULAR_EXPRESSION = "Regular Expression"

# Where each preset's reports carry the message id, number, status, time and error code.
PRESETS = {
	"Generic": {
		"message_id": "message_id",
		"number": "to",
		"status": "status",
		"time": "timestamp",
		"error": "error_code",
	},
	"Twilio": {
		"message_id": "MessageSid",
		"number": "To",
		"status": "MessageStatus",
		"time": None,
		"error": "ErrorCode",
	},
}

# Provider status words (lower case) and the app's status for each; anything else is Unknown.
PROVIDER_STATUSES = {
	**dict.fromkeys(("delivered", "delivrd", "read", "success"), DELIVERED),
	**dict.fromkeys(("undelivered", "undeliv", "undeliverable"), UNDELIVERED),
	**dict.fromkeys(("expired",), EXPIRED),
	**dict.fromkeys(("rejected", "rejectd", "blocked"), REJECTED),
	**dict.fromkeys(("failed", "error", "canceled"), FAILED),
	**dict.fromkeys(("queued", "accepted", "scheduled", "sending", "sent", "buffered", "enroute"), PENDING),
}


@dataclass(frozen=True)
class Report:
	message_id: str | None
	number: str | None
	status: str
	provider_status: str
	time: str | None
	error: str | None


def app_status(provider_status: str | None) -> str:
	return PROVIDER_STATUSES.get((provider_status or "").strip().lower(), UNKNOWN)


def parse_report(payload: dict, fields: dict) -> Report:
	"""What a delivery report says, read through a preset's (or custom) field names."""

	def read(key):
		name = fields.get(key)
		value = payload.get(name) if name else None
		return str(value).strip() if value not in (None, "") else None

	provider_status = read("status") or ""
	return Report(
		message_id=read("message_id"),
		number=read("number"),
		status=app_status(provider_status),
		provider_status=provider_status,
		time=read("time"),
		error=read("error"),
	)


def pattern_problem(source: str | None, pattern: str | None) -> str | None:
	"""Why `pattern` cannot read message ids the `source` way, or None when it can."""
	if not pattern:
		return None
	if source == REGULAR_EXPRESSION:
		try:
			re.compile(pattern)
		except re.error as e:
			return f"not a regular expression ({e})"
	if source == JSON_PATH and any(not key.strip() for key in pattern.split(".")):
		return 'not a JSON path: keys and list indexes joined by dots, such as "data.messages.0.id"'
	return None


def extract_message_id(answer: str | None, source: str | None, pattern: str | None) -> str | None:
	"""The gateway's id for an accepted SMS, from its answer.

	`source` is JSON_PATH (dotted keys and list indexes: "data.messages.0.id"), REGULAR_EXPRESSION
	(the first group, else the whole match) or anything else for none.
	"""
	if not answer or not pattern:
		return None
	if source == JSON_PATH:
		try:
			value = json.loads(answer)
		except ValueError:
			return None
		for key in pattern.split("."):
			if isinstance(value, list) and key.lstrip("-").isdigit() and -len(value) <= int(key) < len(value):
				value = value[int(key)]
			elif isinstance(value, dict) and key in value:
				value = value[key]
			else:
				return None
		return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
	if source == REGULAR_EXPRESSION:
		match = re.search(pattern, answer)
		if match:
			return match.group(1) if match.groups() else match.group()
	return None
