"""Complete the synchronous sends whose process died between writing their log and recording what
the gateway answered: a worker killed for memory or past its timeout, a restart, a power cut.

Such a log is still Sending, with every row Sending. Before each request a send notes in Redis how
far it got (`Attempts`), so the rows it never reached are told apart from those it did: the first are
Failed as not sent, the others Unconfirmed, since their SMS may or may not have gone out, and they
are never sent again without a person's say (Resend leaves them out unless ticked). Without that
note every row is Unconfirmed. The scheduler runs this each minute (`finish_interrupted_sends`).
"""

from datetime import timedelta

import frappe
from frappe.utils import now_datetime

from sms_log_app import daily_totals, log_writer
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings
from sms_log_app.status import FAILED, SENDING, UNCONFIRMED

INTERRUPTED = "Interrupted while sending: may or may not have reached the gateway"
NOT_TRIED = "Not sent: the send was interrupted before this recipient"
GRACE = 60  # seconds past the longest a send can take, before it counts as dead
NOTE_LIFETIME = 24 * 3600  # seconds


class Attempts:
	"""How far the send of one log got, noted in Redis before each request."""

	def __init__(self, log_name: str):
		self.key = attempts_key(log_name)

	def note(self, index: int) -> bool:
		"""Note that the request for row `index` (0-based) goes out next; False when Redis cannot take
		the note, and the send must stop: a later row sent without its note would be told "not sent"."""
		try:
			frappe.cache.set(self.key, index + 1, ex=NOTE_LIFETIME)
			return True
		except Exception:
			frappe.logger("sms_log_app").exception("Send progress not noted in Redis: %s", self.key)
			return False

	def clear(self):
		try:
			frappe.cache.delete(self.key)
		except Exception:
			pass  # it expires


def attempts_key(log_name: str) -> str:
	return frappe.cache.make_key(f"sms_log_app:attempted:{log_name}")


def finish_interrupted_sends(stalled_after: float | None = None):
	"""Scheduler: complete every log still Sending after the longest a send can take (the send deadline,
	plus one request's timeout, plus GRACE), or after `stalled_after` seconds when given."""
	settings = get_settings()
	if stalled_after is None:
		stalled_after = settings.send_deadline + settings.gateway_timeout + GRACE
	log = frappe.qb.DocType("SMS Log")
	stalled = (
		frappe.qb.from_(log)
		.select(log.name)
		.where((log.status == SENDING) & (log.creation <= now_datetime() - timedelta(seconds=stalled_after)))
		.run(pluck=True)
	)
	for name in stalled:
		finish_interrupted(name)


def finish_interrupted(log_name: str):
	"""Give the Sending rows of log `log_name` the outcome its dead send could not record, and the log
	its counts and status, in one commit."""
	counted = frappe.db.get_value(
		"SMS Log", log_name, daily_totals.COUNTED_FIELDS, as_dict=True, for_update=True
	)
	if not counted or counted.status != SENDING:
		frappe.db.rollback()
		return  # finished meanwhile
	reached = _reached(log_name)
	row = frappe.qb.DocType("SMS Log Recipient")
	pending = (row.parenttype == "SMS Log") & (row.parent == log_name) & (row.status == SENDING)
	now = now_datetime()
	unknown = pending if reached is None else pending & (row.idx <= reached)
	frappe.qb.update(row).set(row.status, UNCONFIRMED).set(row.error, INTERRUPTED).set(
		row.modified, now
	).where(unknown).run()
	if reached is not None:
		frappe.qb.update(row).set(row.status, FAILED).set(row.error, NOT_TRIED).set(row.modified, now).where(
			pending & (row.idx > reached)
		).run()

	values = log_writer.outcome_fields(log_name)
	frappe.db.set_value("SMS Log", log_name, values)
	daily_totals.move(counted, {**counted, **values})
	frappe.db.commit()
	Attempts(log_name).clear()


def _reached(log_name: str) -> int | None:
	"""The idx of the last row whose request may have gone out, or None when the send left no note."""
	try:
		noted = frappe.cache.get(attempts_key(log_name))
	except Exception:
		return None
	return int(noted) if noted is not None else None
