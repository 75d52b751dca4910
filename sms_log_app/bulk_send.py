"""Send to many numbers in a background job instead of inside the caller's request.

A send to more numbers than SMS Log Settings' queue threshold is written at once as an SMS Log with
status Queued and a Queued row per number; a job on the "long" queue then sends row by row, in idx
order, at most `messages_per_second`. Each row is marked Sending and committed before its request
goes out, and its outcome is committed right after, so a worker killed mid-send leaves at most one
row whose fate is unknown. That row is marked Unconfirmed and never retried (the number may have
got the SMS); the rest resume where the dead job stopped.
"""

import time

import frappe
import requests
from frappe import _
from frappe.utils import now_datetime
from frappe.utils.background_jobs import get_job, is_job_enqueued

from sms_log_app import daily_totals, log_writer
from sms_log_app.gateway import (
	GATEWAY_DOWN,
	MAX_CONSECUTIVE_FAILURES,
	NOT_DIALABLE,
	Outcome,
	gateway_failed,
	send_one,
)
from sms_log_app.gateway_settings import gateway_config, with_message_ids
from sms_log_app.numbers import is_dialable
from sms_log_app.recovery import INTERRUPTED
from sms_log_app.send_input import Send
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings
from sms_log_app.status import QUEUED, SENDING, UNCONFIRMED, recipient_status

BATCH = 100  # rows read per query
PROGRESS_EVERY = 1.0  # seconds between progress messages to the log's form
STALLED_AFTER = 600  # seconds without a row's outcome after which a started job counts as dead


def job_id(log_name: str) -> str:
	return f"sms_log_bulk::{log_name}"


def queue_send(send: Send, log_fields: dict) -> str:
	"""Record the send as a Queued SMS Log, committed at once, and enqueue the job that sends it."""
	log = log_writer.start_log(
		message=send.message,
		numbers=send.numbers,
		sender_name=send.sender_name,
		status=QUEUED,
		log_fields=log_fields,
		notes=send.notes,
	)
	enqueue(log.name)
	return log.name


def enqueue(log_name: str):
	frappe.enqueue(
		"sms_log_app.bulk_send.send_queued",
		queue="long",
		timeout=24 * 3600,
		job_id=job_id(log_name),
		deduplicate=True,
		enqueue_after_commit=False,  # the log is already committed on its own connection
		log_name=log_name,
	)


def send_queued(log_name: str):
	"""The job: send every row without an outcome, then complete the log. Safe to run again."""
	settings = get_settings()
	config = gateway_config(settings.gateway_timeout)
	message, total = frappe.db.get_value("SMS Log", log_name, ["message", "noofrequested_sms"])
	_mark_interrupted(log_name)
	pace = Pacer(settings.messages_per_second)
	progress = Progress(log_name, total)
	failures_in_a_row = 0
	with requests.Session() as session:
		while rows := _next_rows(log_name):
			for row in rows:
				if not _claim(row.name):
					continue  # another run of this job took it
				if not is_dialable(row.number):
					outcome = Outcome(row.number, False, error=NOT_DIALABLE)
				elif failures_in_a_row >= MAX_CONSECUTIVE_FAILURES:
					outcome = Outcome(row.number, False, error=GATEWAY_DOWN.format(failures_in_a_row))
				else:
					pace.wait()
					(outcome,) = with_message_ids([send_one(session, config, row.number, message)])
					failures_in_a_row = failures_in_a_row + 1 if gateway_failed(outcome) else 0
				_record(row.name, outcome)
				progress.step()
	complete(log_name)


def _next_rows(log_name: str) -> list:
	return frappe.get_all(
		"SMS Log Recipient",
		filters={"parenttype": "SMS Log", "parent": log_name, "status": QUEUED},
		fields=["name", "number"],
		order_by="idx asc",
		limit=BATCH,
	)


def _claim(row_name: str) -> bool:
	"""Mark the row Sending and commit, before its request goes out; False if it was not Queued."""
	row = frappe.qb.DocType("SMS Log Recipient")
	frappe.qb.update(row).set(row.status, SENDING).set(row.modified, now_datetime()).where(
		(row.name == row_name) & (row.status == QUEUED)
	).run()
	claimed = frappe.db._cursor.rowcount == 1
	frappe.db.commit()
	return claimed


def _record(row_name: str, outcome: Outcome):
	frappe.db.set_value(
		"SMS Log Recipient",
		row_name,
		{
			"status": recipient_status(outcome.accepted, outcome.unconfirmed),
			"http_status": outcome.http_status or 0,
			"error": outcome.error,
			"gateway_response": outcome.response,
			"message_id": outcome.message_id,
		},
	)
	frappe.db.commit()


def _mark_interrupted(log_name: str):
	"""Rows left Sending by a dead run may or may not have reached the gateway: never send them again."""
	row = frappe.qb.DocType("SMS Log Recipient")
	frappe.qb.update(row).set(row.status, UNCONFIRMED).set(row.error, INTERRUPTED).set(
		row.modified, now_datetime()
	).where((row.parenttype == "SMS Log") & (row.parent == log_name) & (row.status == SENDING)).run()
	frappe.db.commit()


def complete(log_name: str):
	"""Set the log's counts and status from its rows, and tell open lists and forms."""
	log = frappe.get_doc("SMS Log", log_name, for_update=True)  # a second run waits, then moves nothing
	before = {field: log.get(field) for field in daily_totals.COUNTED_FIELDS}
	values = log_writer.outcome_fields(log_name)
	frappe.db.set_value("SMS Log", log_name, values)
	daily_totals.move(before, {**before, **values})
	frappe.db.commit()
	frappe.publish_progress(100, title=_("Sending SMS"), doctype="SMS Log", docname=log_name)
	log.reload()
	log.notify_update()


def resume_stalled_sends(stalled_after: float = STALLED_AFTER):
	"""Scheduler: enqueue again every Queued log whose job is gone, or whose job has recorded no
	outcome for `stalled_after` seconds (its worker died without RQ noticing; 0: every started job
	counts as dead, for a caller who knows the worker is gone)."""
	for log_name in frappe.get_all("SMS Log", filters={"status": QUEUED}, pluck="name"):
		if is_job_enqueued(job_id(log_name)):
			if not _stalled(log_name, stalled_after):
				continue
			get_job(job_id(log_name)).delete()
		enqueue(log_name)


def _stalled(log_name: str, seconds: float) -> bool:
	if seconds <= 0:
		return True
	last = frappe.get_all(
		"SMS Log Recipient",
		filters={"parenttype": "SMS Log", "parent": log_name},
		fields=["max(modified) as last"],
	)[0].last
	return not last or (now_datetime() - last).total_seconds() >= seconds


class Pacer:
	"""Keeps requests at most `per_second` a second (0: no limit)."""

	def __init__(self, per_second: float):
		self.interval = 1 / per_second if per_second else 0
		self.next_at = time.monotonic()

	def wait(self):
		if not self.interval:
			return
		now = time.monotonic()
		if self.next_at > now:
			time.sleep(self.next_at - now)
		self.next_at = max(now, self.next_at) + self.interval


class Progress:
	"""Publishes the share of rows done to the log's form, at most once every PROGRESS_EVERY seconds."""

	def __init__(self, log_name: str, total: int):
		self.log_name, self.total = log_name, total or 1
		self.done = self.total - len(
			frappe.get_all(
				"SMS Log Recipient",
				filters={"parenttype": "SMS Log", "parent": log_name, "status": QUEUED},
				pluck="name",
			)
		)
		self.published_at = 0.0

	def step(self):
		self.done += 1
		if time.monotonic() - self.published_at >= PROGRESS_EVERY:
			self.published_at = time.monotonic()
			frappe.publish_progress(
				self.done * 100 / self.total,
				title=_("Sending SMS"),
				description=_("{0} of {1} recipients").format(self.done, self.total),
				doctype="SMS Log",
				docname=self.log_name,
			)
