"""Sends that go out later: at the time their sender asked for (`references.send_after`, SMS Center's
*Send At*), or, for promotional SMS outside the sending hours (`promotional_rules`), when the hours
open. Their cancel, too.

A held send is written at once, as any send is before it goes: an SMS Log with status Scheduled and
its `scheduled_for`, and a Queued row per number. Each minute the scheduler releases the logs that are
due into the bulk sends' chunk jobs (`bulk_send`), which claim, send and record them as they do every
bulk send; two schedulers releasing at once cannot both take a log (a conditional UPDATE claims it).
A Scheduled or Queued log can be cancelled until its rows are claimed: its Queued rows become
Cancelled, so no job claims them any more.
"""

from datetime import datetime

import frappe
from frappe import _
from frappe.utils import format_datetime, now, now_datetime

from sms_log_app import bulk_send, daily_totals, log_writer, promotional_rules, recipient_rules, references
from sms_log_app.send_input import Send
from sms_log_app.send_times import send_time
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings
from sms_log_app.status import CANCELLED, QUEUED, SCHEDULED

SYSTEM_MANAGER = "System Manager"


class NotCancellable(frappe.ValidationError):
	pass


def clock() -> datetime:
	"""Now, in the site's time zone: the one clock the hours and the release read."""
	return now_datetime()


def held_until(message_class: str | None) -> datetime | None:
	"""When a send of `message_class` asked for now goes out, if later than now: the time its sender
	asked for, moved to the next opening of the sending hours where the promotional rules hold."""
	return send_time(
		clock(), references.requested_send_time(), promotional_rules.sending_hours(message_class)
	)


def hold(send: Send, log_fields: dict, until: datetime) -> str:
	"""Write the send as a Scheduled SMS Log with Queued rows, committed at once, to go out `until`."""
	log = log_writer.start_log(
		message=send.message,
		numbers=send.numbers,
		sender_name=send.sender_name,
		status=SCHEDULED,
		row_status=QUEUED,
		log_fields={**log_fields, "scheduled_for": until},
		notes=send.notes,
	)
	return log.name


def release_due_sends():
	"""Scheduler: hand every Scheduled log whose time has come to the bulk send's chunk jobs; a
	promotional one only within the sending hours (one they closed on is due, but waits for them)."""
	now = clock()
	due = frappe.get_all(
		"SMS Log",
		filters={"status": SCHEDULED, "scheduled_for": ("<=", now)},
		fields=["name", "message_class"],
		order_by="scheduled_for asc",
	)
	size = get_settings().recipients_per_job
	for log_name, message_class in ((log.name, log.message_class) for log in due):
		if promotional_rules.closed_until(message_class, now):
			continue
		if total := _claim_release(log_name):
			for first, last in bulk_send.chunks(total, size):
				bulk_send.enqueue(log_name, first, last)


def _claim_release(log_name: str) -> int:
	"""Move the log from Scheduled to Queued, committed, unless another scheduler (or a cancel) did
	first; return its number of recipients, or 0. A scheduler that dies before it enqueues leaves a
	Queued log without jobs, which `bulk_send.resume_stalled_sends` enqueues."""
	frappe.db.sql(
		"update `tabSMS Log` set status = %s, modified = %s where name = %s and status = %s",
		(QUEUED, now(), log_name, SCHEDULED),
	)
	if not frappe.db._cursor.rowcount:
		frappe.db.rollback()
		return 0
	after = frappe.db.get_value(
		"SMS Log", log_name, [*daily_totals.COUNTED_FIELDS, "noofrequested_sms"], as_dict=True
	)
	daily_totals.move({**after, "status": SCHEDULED}, after)
	recipient_rules.skip_new_opt_outs(log_name, after.message_class)  # opted out while it was held
	frappe.db.commit()
	return after.noofrequested_sms


@frappe.whitelist(methods=["POST"])
def cancel_send(log_name: str):
	"""Cancel a Scheduled or Queued send: its rows not yet claimed become Cancelled, and the log says who
	cancelled it and when. For a System Manager, or the user who started the send."""
	owner, status = frappe.db.get_value("SMS Log", log_name, ["owner", "status"]) or (None, None)
	if not owner:
		frappe.throw(_("SMS Log {0} not found").format(log_name), frappe.DoesNotExistError)
	user = frappe.session.user
	if user != owner and SYSTEM_MANAGER not in frappe.get_roles(user):
		frappe.throw(
			_("Only a System Manager or the user who sent it may cancel this send."), frappe.PermissionError
		)
	cancelled_at = now_datetime()
	error = _("Cancelled by {0} at {1}").format(user, format_datetime(cancelled_at))
	# the rows first, then the log, in the order a bulk job's claim and record lock them
	row = frappe.qb.DocType("SMS Log Recipient")
	frappe.qb.update(row).set(row.status, CANCELLED).set(row.error, error).set(
		row.modified, cancelled_at
	).where((row.parenttype == "SMS Log") & (row.parent == log_name) & (row.status == QUEUED)).run()
	before = frappe.db.get_value(
		"SMS Log", log_name, daily_totals.COUNTED_FIELDS, as_dict=True, for_update=True
	)
	if before.status not in (SCHEDULED, QUEUED):
		frappe.db.rollback()
		frappe.throw(
			_("Only a Scheduled or Queued send can be cancelled; this one is {0}.").format(_(before.status)),
			NotCancellable,
		)
	frappe.db.set_value(
		"SMS Log", log_name, {"status": QUEUED, "cancelled_by": user, "cancelled_at": cancelled_at}
	)
	daily_totals.move(before, {**before, "status": QUEUED})
	# final now when nothing is on its way; else the job sending the last claimed batch completes it
	bulk_send.complete_if_done(log_name)
