"""Send to many numbers in background jobs instead of inside the caller's request.

A send to more numbers than SMS Log Settings' queue threshold is written at once as an SMS Log with
status Queued and a Queued row per number. It is split into chunks of *Recipients per Background Job*
rows, each a job on the "long" queue that any worker of the site, on any machine, may take. A job
claims its chunk's rows a batch at a time (marked Sending and committed before their requests go
out), sends the batch with up to *Parallel Requests to the Gateway* requests in flight (each carrying
*Numbers per Request* numbers, for providers that take lists), and records
the batch's outcomes in one commit. *Gateway Messages per Second* holds for the whole site at once
(`gateway_rate`). So a worker killed mid-batch leaves at most one batch whose fate is unknown: those
rows are marked Unconfirmed and never retried (the number may have got the SMS); the rest resume
where the dead job stopped. A job tells that it is alive by a heartbeat in Redis, so a chunk that is
only slow is never taken for a dead one. The last job to finish gives the log its counts and final
status.

Held and scheduled sends (`scheduled_sends`) go out through the same chunks once released. A claim
takes Queued rows only, so rows a user cancelled are never claimed, and a send past its validity
(`validity`) has its chunk's Queued rows marked Expired instead of claimed.
"""

import threading
import time
from datetime import timedelta

import frappe
import redis
from frappe import _
from frappe.utils import format_datetime, now, now_datetime
from frappe.utils.background_jobs import get_job
from rq.job import JobStatus
from rq.utils import utcnow

from sms_log_app import (
	account_refusals,
	daily_totals,
	delivery_reports,
	log_writer,
	opt_out_link,
	opt_outs,
	promotional_rules,
	validity,
)
from sms_log_app.gateway import ParallelSender, refuses_account
from sms_log_app.gateway_rate import SiteRate
from sms_log_app.gateway_settings import gateway_config, read_outcomes
from sms_log_app.recovery import INTERRUPTED
from sms_log_app.send_input import Send
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings
from sms_log_app.status import EXPIRED, FAILED, QUEUED, SCHEDULED, SENDING, UNCONFIRMED, recipient_status

BATCH_PER_REQUEST = 5  # rows claimed per batch, for each request allowed in flight (at least its numbers)
PROGRESS_EVERY = 1.0  # seconds between progress messages to the log's form
HEARTBEAT_EVERY = 5  # seconds between a chunk job's heartbeats
HEARTBEAT_TTL = 30  # seconds a heartbeat lasts: a started job without one is dead
OUTCOME_FIELDS = ("name", "modified", "status", "http_status", "error", "gateway_response", "message_id")


def job_id(log_name: str, first: int) -> str:
	return f"sms_log_bulk::{log_name}::{first}"


def heartbeat_name(log_name: str, first: int) -> str:
	"""The site's Redis key that the chunk's job keeps alive while it runs."""
	return f"sms_log_app:bulk_heartbeat:{log_name}:{first}"


def chunks(total: int, size: int) -> list[tuple[int, int]]:
	"""The (first, last) idx of each chunk of `total` rows, `size` rows a chunk."""
	return [(first, min(first + size - 1, total)) for first in range(1, total + 1, size)]


def queue_send(send: Send, log_fields: dict) -> str:
	"""Record the send as a Queued SMS Log, committed at once, and enqueue the jobs that send it."""
	log = log_writer.start_log(
		message=send.message,
		numbers=send.numbers,
		sender_name=send.sender_name,
		status=QUEUED,
		log_fields=log_fields,
		notes=send.notes,
	)
	if log.rows_to_send():  # else every number was skipped: the log is Not Sent
		for first, last in chunks(len(send.numbers), get_settings().recipients_per_job):
			enqueue(log.name, first, last)
	return log.name


def enqueue(log_name: str, first: int, last: int):
	frappe.enqueue(
		"sms_log_app.bulk_send.send_chunk",
		queue="long",
		timeout=24 * 3600,
		job_id=job_id(log_name, first),
		deduplicate=True,
		enqueue_after_commit=False,  # the log is already committed on its own connection
		log_name=log_name,
		first=first,
		last=last,
	)


def send_queued(log_name: str):
	"""Send every chunk of the log in this process (and run jobs queued before sends were chunked)."""
	total = frappe.db.get_value("SMS Log", log_name, "noofrequested_sms")
	for first, last in chunks(total, get_settings().recipients_per_job):
		send_chunk(log_name, first, last)


def send_chunk(log_name: str, first: int, last: int):
	"""The job: send the Queued rows of the log whose idx is `first` to `last`, a batch at a time; then
	complete the log if none of its rows is left to send. Safe to run again."""
	with Heartbeat(heartbeat_name(log_name, first)):
		settings = get_settings()
		log = frappe.db.get_value(
			"SMS Log",
			log_name,
			["message", "noofrequested_sms", "message_class", "scheduled_for", "sent_at"],
			as_dict=True,
		)
		message, total = log.message, log.noofrequested_sms
		valid_until = validity.end_of_validity(log.message_class, log.scheduled_for, log.sent_at)
		_mark_interrupted(log_name, first, last)
		progress = Progress(log_name, total)
		rate = SiteRate(settings.messages_per_second)
		config = gateway_config(settings.gateway_timeout, log.message_class)
		with ParallelSender(
			config,
			opt_out_link.personal(message),
			settings.parallel_requests,
			before_request=rate.wait,
			refused_elsewhere=account_refusals.refused_elsewhere(log_name),
			throttled=rate.hold,
		) as sender:
			batch = settings.parallel_requests * max(BATCH_PER_REQUEST, config.numbers_per_request)
			while not _paused_outside_hours(log_name, log.message_class) and (
				rows := retried(_claim, log_name, first, last, batch, valid_until, log.message_class)
			):
				outcomes = read_outcomes(sender.send([row.number for row in rows]), config)
				retried(_record, log_name, rows, outcomes)
				account_refusals.after_send(log_name, outcomes)
				if refusal := next((o for o in outcomes if refuses_account(o)), None):
					account_refusals.stop_bulk_send(log_name, refusal)  # every chunk of the log
				progress.update()
		complete_if_done(log_name)


def retried(write, *args, attempts: int = 5):
	"""`write(*args)`, one transaction, again when MariaDB chose it as a deadlock's victim (two jobs of
	one log claiming and recording batches at once), which rolled the whole of it back."""
	for attempt in range(1, attempts + 1):
		try:
			return write(*args)
		except Exception as e:
			frappe.db.rollback()
			if attempt == attempts or not log_writer.lost_to_a_lock(e):
				raise
			time.sleep(0.05 * attempt)


def _claim(
	log_name: str, first: int, last: int, limit: int, valid_until=None, message_class: str | None = None
) -> list:
	"""The next `limit` Queued rows of the chunk, marked Sending and committed before any of their
	requests goes out. Another job claiming at the same time waits for this one's commit (not SKIP
	LOCKED: the scan locks rows of other chunks too, which would then look already taken). Past the
	send's validity (`valid_until`), none: the chunk's Queued rows are marked Expired instead."""
	if valid_until and now_datetime() >= valid_until:
		_expire(log_name, first, last, validity.expired_error(message_class, valid_until))
		return []
	rows = frappe.db.sql(
		"""select name, idx, number from `tabSMS Log Recipient`
		where parent = %s and parenttype = 'SMS Log' and idx between %s and %s and status = %s
		order by idx limit %s for update""",
		(log_name, first, last, QUEUED, limit),
		as_dict=True,
	)
	if rows:
		row = frappe.qb.DocType("SMS Log Recipient")
		frappe.qb.update(row).set(row.status, SENDING).set(row.modified, now_datetime()).where(
			row.name.isin([r.name for r in rows])
		).run()
	frappe.db.commit()
	return rows


def _paused_outside_hours(log_name: str, message_class: str | None) -> bool:
	"""Whether the promotional sending hours have closed on the send: then no new batch starts, and the
	log is Scheduled again (once, whichever of its jobs sees it first) with a note, for the scheduler to
	release when the hours open (`scheduled_sends`). Its `scheduled_for` stays what its validity counts
	from."""
	opens = promotional_rules.closed_until(message_class, now_datetime())
	if not opens:
		return False
	note = _("Paused at {0}: the sending hours of promotional SMS closed; it goes on when they open, {1}.")
	frappe.db.sql(
		"""update `tabSMS Log` set status = %s, scheduled_for = ifnull(scheduled_for, sent_at),
			send_notes = concat_ws('\n', send_notes, %s), modified = %s
		where name = %s and status = %s""",
		(
			SCHEDULED,
			note.format(format_datetime(now_datetime()), format_datetime(opens)),
			now(),
			log_name,
			QUEUED,
		),
	)
	if frappe.db._cursor.rowcount:
		after = frappe.db.get_value("SMS Log", log_name, daily_totals.COUNTED_FIELDS, as_dict=True)
		daily_totals.move({**after, "status": QUEUED}, after)
	frappe.db.commit()
	return True


def _expire(log_name: str, first: int, last: int, error: str):
	"""The chunk's Queued rows, never sent, marked Expired with `error`."""
	row = frappe.qb.DocType("SMS Log Recipient")
	frappe.qb.update(row).set(row.status, EXPIRED).set(row.error, error).set(
		row.modified, now_datetime()
	).where(
		(row.parenttype == "SMS Log")
		& (row.parent == log_name)
		& (row.idx[first:last])
		& (row.status == QUEUED)
	).run()
	frappe.db.commit()


def _record(log_name: str, rows: list, outcomes: list):
	"""The batch's outcomes, and the log's count of recipients done, in one commit, with the delivery
	reports that came before the rows' message ids were known."""
	modified = now_datetime()
	log_writer.insert_rows(
		"SMS Log Recipient",
		OUTCOME_FIELDS,
		[
			(
				row.name,
				modified,
				recipient_status(o.accepted, o.unconfirmed),
				o.http_status or 0,
				o.error,
				o.response,
				o.message_id,
			)
			for row, o in zip(rows, outcomes, strict=True)
		],
		on_duplicate=OUTCOME_FIELDS[1:],  # each row is there already: it takes the outcome
	)
	frappe.db.sql(
		"update `tabSMS Log` set recipients_done = ifnull(recipients_done, 0) + %s where name = %s",
		(len(rows), log_name),
	)
	delivery_reports.apply_reports_waiting_for(o.message_id for o in outcomes)
	opt_outs.record_unsubscribed(outcomes)
	frappe.db.commit()


def _mark_interrupted(log_name: str, first: int, last: int):
	"""Rows of the chunk left Sending by a dead run may or may not have reached the gateway: never
	send them again."""
	row = frappe.qb.DocType("SMS Log Recipient")
	frappe.qb.update(row).set(row.status, UNCONFIRMED).set(row.error, INTERRUPTED).set(
		row.modified, now_datetime()
	).where(
		(row.parenttype == "SMS Log")
		& (row.parent == log_name)
		& (row.idx[first:last])
		& (row.status == SENDING)
	).run()
	frappe.db.commit()


def complete_if_done(log_name: str):
	"""Once no row is Queued or Sending, set the log's counts and status from its rows, once, and tell
	open lists and forms."""
	# the log's row alone is locked (other chunks' jobs wait here); its recipients are not, since a job
	# still recording a batch holds some of them and then waits for this row
	before = frappe.db.get_value(
		"SMS Log",
		log_name,
		[*daily_totals.COUNTED_FIELDS, "noofrequested_sms"],
		as_dict=True,
		for_update=True,
	)
	if before.status != QUEUED or _left(log_name, first=1, last=before.noofrequested_sms):
		frappe.db.commit()
		return
	values = log_writer.outcome_fields(log_name)
	frappe.db.set_value("SMS Log", log_name, values)
	daily_totals.move(before, {**before, **values})
	frappe.db.commit()
	frappe.publish_progress(100, title=_("Sending SMS"), doctype="SMS Log", docname=log_name)
	# open forms reload, open lists refresh; the log is not loaded for it (a bulk log has thousands of rows)
	modified = frappe.db.get_value("SMS Log", log_name, "modified")
	frappe.get_doc({"doctype": "SMS Log", "name": log_name, "modified": modified}).notify_update()


def _left(log_name: str, first: int, last: int) -> int:
	"""Rows of the chunk still Queued or Sending."""
	return frappe.db.count(
		"SMS Log Recipient",
		{
			"parenttype": "SMS Log",
			"parent": log_name,
			"idx": ("between", (first, last)),
			"status": ("in", (QUEUED, SENDING)),
		},
	)


def resume_stalled_sends():
	"""Scheduler: enqueue again every chunk of a Queued log with rows left whose job is gone, or dead:
	started, and its heartbeat expired (its worker was killed without RQ noticing). A job waiting in
	the queue, or sending however slowly, is left alone: a second job would take its batch for an
	interrupted one."""
	size = get_settings().recipients_per_job
	for log in frappe.get_all("SMS Log", filters={"status": QUEUED}, fields=["name", "noofrequested_sms"]):
		for first, last in chunks(log.noofrequested_sms, size):
			if not _left(log.name, first, last):
				continue
			job = get_job(job_id(log.name, first))
			status = job.get_status() if job else None
			if status == JobStatus.QUEUED or (status == JobStatus.STARTED and _alive(job, log.name, first)):
				continue
			if status == JobStatus.STARTED:
				job.delete()
			enqueue(log.name, first, last)
		complete_if_done(log.name)  # a log whose last job died after recording its last batch


def _alive(job, log_name: str, first: int) -> bool:
	"""Whether the started `job` still beats (or started too recently to have beaten yet)."""
	just_started = job.started_at and utcnow() - job.started_at < timedelta(seconds=HEARTBEAT_TTL)
	return bool(frappe.cache.exists(heartbeat_name(log_name, first)) or just_started)


class Heartbeat:
	"""While a chunk's job runs, a thread of it renews a Redis key every HEARTBEAT_EVERY seconds that
	lasts HEARTBEAT_TTL seconds: the key is there as long as the job's process is, however slowly it
	sends (a low site rate, a slow gateway, a lock it waits for), and is gone HEARTBEAT_TTL seconds
	after the process dies."""

	def __init__(self, name: str):
		self.key = frappe.cache.make_key(name)  # the thread has no site context
		self.stopped = threading.Event()
		self.thread = threading.Thread(target=self._beat, name="sms-bulk-heartbeat", daemon=True)

	def __enter__(self):
		self._renew()
		self.thread.start()
		return self

	def __exit__(self, *exc):
		self.stopped.set()
		self.thread.join()
		frappe.cache.delete(self.key)

	def _beat(self):
		while not self.stopped.wait(HEARTBEAT_EVERY):
			try:
				self._renew()
			except redis.RedisError:
				pass  # the next beat tries again; HEARTBEAT_TTL outlasts several missed ones

	def _renew(self):
		frappe.cache.set(self.key, 1, ex=HEARTBEAT_TTL)


class Progress:
	"""Publishes a send's progress to the log's form, at most once every PROGRESS_EVERY seconds:
	recipients done and failed, the pace since this job started, and the time left at that pace."""

	def __init__(self, log_name: str, total: int):
		self.log_name, self.total = log_name, total or 1
		self.started, self.done_at_start = time.monotonic(), self._counts()[0]
		self.published_at = 0.0

	def _counts(self) -> tuple[int, int]:
		"""(done, failed) over the whole log, every chunk's job included."""
		by_status = dict(
			frappe.get_all(
				"SMS Log Recipient",
				filters={"parenttype": "SMS Log", "parent": self.log_name},
				fields=["status", "count(*) as count"],
				group_by="status",
				as_list=True,
			)
		)
		left = by_status.get(QUEUED, 0) + by_status.get(SENDING, 0)
		return self.total - left, by_status.get(FAILED, 0) + by_status.get(UNCONFIRMED, 0)

	def update(self):
		now = time.monotonic()
		if now - self.published_at < PROGRESS_EVERY:
			return
		self.published_at = now
		done, failed = self._counts()
		per_second = (done - self.done_at_start) / max(now - self.started, 0.001)
		left = round((self.total - done) / per_second) if per_second else None
		description = _("{0} of {1} recipients, {2} failed, {3} a second").format(
			done, self.total, failed, round(per_second)
		)
		if left is not None:
			description += " · " + _("about {0} left").format(frappe.utils.format_duration(left))
		frappe.publish_progress(
			done * 100 / self.total,
			title=_("Sending SMS"),
			description=description,
			doctype="SMS Log",
			docname=self.log_name,
		)
		# open lists show the share done in the log's indicator
		frappe.publish_realtime("list_update", {"doctype": "SMS Log", "name": self.log_name})
