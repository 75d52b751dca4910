"""Whom a send skips before any request goes out: numbers that opted out (SMS Opt-Out), for promotional
SMS (and transactional ones where SMS Log Settings say so), and numbers the same message went to less
than *Duplicate Window (minutes)* ago. One-time codes are never skipped.

Decided once per send, as its rows are written (`log_writer.start_log`), with one indexed query per
rule whatever the number of recipients; each skipped number keeps its row, with its own status and
an error that says why.
"""

from datetime import timedelta

import frappe
from frappe.utils import format_datetime, now_datetime

from sms_log_app.references import PROMOTIONAL, TRANSACTIONAL
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings
from sms_log_app.status import DUPLICATE, OPTED_OUT, QUEUED, SENDING, SENT

OPTED_OUT_ERROR = "Not sent: the number opted out of promotional SMS on {0}"
DUPLICATE_ERROR = "Not sent: the same message went to this number on {0} (SMS Log {1})"
# an earlier row with one of these went, or is going, to the number
GONE_OR_GOING = (SENT, SENDING, QUEUED)


def skipped(
	normalized: list[str | None], message: str, message_class: str | None
) -> dict[int, tuple[str, str]]:
	"""The (status, error) of each number of the send that is not to be sent, by its 0-based index in
	`normalized` (the send's numbers in E.164, None where not a phone number)."""
	settings = get_settings()
	numbers = {n for n in normalized if n}
	if not numbers or message_class not in (PROMOTIONAL, TRANSACTIONAL):
		return {}
	reasons = {}
	if opt_outs_apply(message_class):
		for number, when in opted_out(numbers).items():
			reasons[number] = (OPTED_OUT, OPTED_OUT_ERROR.format(format_datetime(when)))
	if settings.duplicate_window:
		earlier = earlier_sends(numbers - set(reasons), message, settings.duplicate_window)
		for number, (log_name, when) in earlier.items():
			reasons[number] = (DUPLICATE, DUPLICATE_ERROR.format(format_datetime(when), log_name))
	return {i: reasons[n] for i, n in enumerate(normalized) if n in reasons}


def opt_outs_apply(message_class: str | None) -> bool:
	return message_class == PROMOTIONAL or (
		message_class == TRANSACTIONAL and bool(get_settings().opt_outs_apply_to_transactional)
	)


def skip_new_opt_outs(log_name: str, message_class: str | None):
	"""A held send's Queued rows whose numbers opted out since it was written become Opted Out, as it is
	released: one query finds them, one update per opt-out time marks them."""
	if not opt_outs_apply(message_class):
		return
	rows = frappe.db.sql(
		"""select row.name, opt_out.opted_out_at from `tabSMS Log Recipient` row
		join `tabSMS Opt-Out` opt_out on opt_out.name = row.normalized_number and opt_out.removed = 0
		where row.parent = %s and row.parenttype = 'SMS Log' and row.status = %s""",
		(log_name, QUEUED),
	)
	by_time = {}
	for name, when in rows:
		by_time.setdefault(when, []).append(name)
	row = frappe.qb.DocType("SMS Log Recipient")
	for when, names in by_time.items():
		frappe.qb.update(row).set(row.status, OPTED_OUT).set(
			row.error, OPTED_OUT_ERROR.format(format_datetime(when))
		).set(row.modified, now_datetime()).where(row.name.isin(names)).run()


# The queries below pass the numbers as one parameter, which the driver escapes: pypika renders an
# IN list of 10,000 values about ten times slower.


def opted_out(numbers: set[str]) -> dict[str, object]:
	"""When each of `numbers` (E.164) with an opt-out in force opted out: one query on the key."""
	return dict(
		frappe.db.sql(
			"select name, opted_out_at from `tabSMS Opt-Out` where name in %(numbers)s and removed = 0",
			{"numbers": tuple(numbers)},
		)
	)


def earlier_sends(numbers: set[str], message: str, minutes: int) -> dict[str, tuple[str, object]]:
	"""The newest log, and when, that sent `message` to each of `numbers` in the last `minutes`: one query
	on the recipients' (normalized_number, creation) index."""
	if not numbers:
		return {}
	rows = frappe.db.sql(
		"""select row.normalized_number, row.parent, row.creation
		from `tabSMS Log Recipient` row join `tabSMS Log` log on log.name = row.parent
		where row.normalized_number in %(numbers)s and row.creation >= %(since)s
		and row.parenttype = 'SMS Log' and row.status in %(statuses)s and log.message = %(message)s
		order by row.creation""",
		{
			"numbers": tuple(numbers),
			"since": now_datetime() - timedelta(minutes=minutes),
			"statuses": GONE_OR_GOING,
			"message": message,
		},
	)
	return {number: (parent, creation) for number, parent, creation in rows}  # the newest wins
