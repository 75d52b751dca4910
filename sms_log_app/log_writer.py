"""Write SMS Logs so that they outlive the transaction of whoever sent the SMS.

An SMS cannot be taken back, so its record must not be either: a log written in the caller's
transaction would vanish when a failing document save or request rolls that transaction back,
savepoints included. Each log is therefore written on a database connection of its own and
committed at once. That connection is kept for the next log: opening one costs more than the write.

A log is written ahead of its send: `start_log` commits it, with a row per number, all Sending (or
Queued, for a bulk send), before the first request goes out; `finish_log` records the outcomes, the
counts and the status in one more commit. A process that dies in between leaves the log Sending,
and `recovery` completes it without ever claiming an SMS went out, or did not, when nobody knows.

A log is inserted the way Frappe writes its Access Log and Deleted Documents, with `db_insert` (and
one INSERT for its recipients), not with `Document.insert`: the controller derives its fields (`SMSLog.derive_fields`),
and the list view is told of it, but document events (Webhooks, Notifications, Server Scripts on
SMS Log) do not run for it.
"""

import os
import threading
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import frappe
from frappe.model.naming import parse_naming_series
from frappe.utils import now, now_datetime

from sms_log_app import daily_totals, delivery_reports, opt_outs, recipient_rules
from sms_log_app.gateway import Outcome
from sms_log_app.numbers import to_e164
from sms_log_app.site_region import site_region
from sms_log_app.status import NOT_SENT, SENDING, SENT, SKIPPED, recipient_status, status_of_rows

WRITE_ATTEMPTS = 3
RECIPIENT_FIELDS = (
	"name",
	"parent",
	"parenttype",
	"parentfield",
	"idx",
	"owner",
	"modified_by",
	"creation",
	"modified",
	"number",
	"normalized_number",
	"status",
	"http_status",
	"error",
	"gateway_response",
	"message_id",
)
# what a send's outcome sets on a recipient row
OUTCOME_FIELDS = ("modified", "status", "http_status", "error", "gateway_response", "message_id")

# The connection logs are written on, one per thread: a threaded web worker (gunicorn gthread) serves
# several requests at once, and each must commit and roll back on its own connection only. A thread
# keeps one at most, for the site it last wrote to, so a worker thread serving many sites of a bench
# holds two connections, not one per site.
_kept = threading.local()


class _KeptConnection:
	"""A thread's log connection, for one site in one process; closed when its thread ends."""

	def __init__(self, site: str):
		self.pid, self.site, self.db = os.getpid(), site, None
		frappe.connect(set_admin_as_user=False)
		self.db = frappe.local.db

	def serves(self, site: str) -> bool:
		return self.pid == os.getpid() and self.site == site

	def close(self, rollback=True):
		db, self.db = self.db, None
		with suppress(Exception):
			if db and self.pid == os.getpid():  # a forked child must not close its parent's socket
				if rollback:
					db.rollback()
				db.close()

	def __del__(self):  # its thread has ended
		self.close(rollback=False)


@contextmanager
def separate_connection():
	"""Run the block on this thread's log connection (see above) and commit it at the end.

	On any error the connection is rolled back and closed, so that one broken by a server restart or
	an idle timeout is replaced on the next write.
	"""
	caller_db = frappe.local.db
	kept = getattr(_kept, "connection", None)
	if not (kept and kept.serves(frappe.local.site)):
		_close_kept()
		kept = _kept.connection = _KeptConnection(frappe.local.site)
	frappe.local.db = kept.db
	try:
		yield
		kept.db.commit()
	except BaseException:
		_close_kept()
		raise
	finally:
		frappe.local.db = caller_db


def _close_kept():
	kept = getattr(_kept, "connection", None)
	_kept.connection = None
	if kept:
		kept.close()


@dataclass
class StartedLog:
	"""A log written before its send, and what `finish_log` needs to complete it."""

	name: str
	counted: dict  # the log's COUNTED_FIELDS as written
	rows: list[dict]  # as inserted, in RECIPIENT_FIELDS order
	stock_sent_count: bool  # the owner's `no_of_sent_sms` is there to keep too

	def rows_to_send(self) -> list[dict]:
		"""The rows the send goes to: not those it skips (`recipient_rules`)."""
		return [row for row in self.rows if row["status"] not in SKIPPED]


def start_log(
	*,
	message: str,
	numbers: list[str],
	sender_name: str,
	status: str = SENDING,
	row_status: str | None = None,
	log_fields: dict | None = None,
	notes: list[str] | None = None,
) -> StartedLog:
	"""Insert one SMS Log with `status` (Sending, Queued for a bulk send, Scheduled for a held one) and a
	row per number with `row_status` (the same by default), and commit it before anything is sent. A
	failure here reaches the caller: nothing is sent without its log. The numbers the send skips
	(`recipient_rules`) get their own status instead, and a log that skips every one is Not Sent."""
	region = site_region()
	for attempt in range(1, WRITE_ATTEMPTS + 1):
		try:
			with separate_connection():
				return _insert(
					message,
					numbers,
					sender_name,
					status,
					row_status or status,
					log_fields or {},
					notes or [],
					region,
				)
		except Exception as e:
			if attempt == WRITE_ATTEMPTS or not _is_transient(e):
				raise


def finish_log(log: StartedLog, outcomes: list[Outcome]):
	"""Record what the gateway answered for each row, and the log's counts and status, in one commit,
	with the delivery reports that came before the rows' message ids were known.

	A failure here is reported (Error Log and the app's log file) but not raised: the SMS are gone,
	and the log, still Sending, is completed by `recovery` with those rows marked unconfirmed.
	"""
	for attempt in range(1, WRITE_ATTEMPTS + 1):
		try:
			with separate_connection():
				return _update(log, outcomes)
		except Exception as e:
			if attempt < WRITE_ATTEMPTS and _is_transient(e):
				continue
			frappe.logger("sms_log_app").exception(
				"SMS Log %s could not be completed: outcomes=%r", log.name, outcomes
			)
			frappe.log_error(title=f"SMS Log {log.name} could not be completed")
			return


def lost_to_a_lock(e: Exception) -> bool:
	"""MariaDB rolled the transaction back as a deadlock's victim, or its lock wait timed out.

	`frappe.db.sql` raises these as QueryDeadlockError and QueryTimeoutError, which hold the driver's
	error in their args, so `frappe.db.is_deadlocked` and `is_timedout` cannot tell them."""
	return isinstance(e, frappe.QueryDeadlockError | frappe.QueryTimeoutError)


def _is_transient(e: Exception) -> bool:
	"""Errors a second attempt can get past: lock waits, a new day's naming series row created by two
	sends at once, and a kept connection the server has closed."""
	db = frappe.db
	return (
		lost_to_a_lock(e)
		or db.is_duplicate_entry(e)
		or db.is_interface_error(e)
		or isinstance(e, db.OperationalError)
	)


def _insert(message, numbers, sender_name, status, row_status, log_fields, notes, region) -> StartedLog:
	normalized = [to_e164(number, region) for number in numbers]
	skipped = recipient_rules.skipped(normalized, message, log_fields.get("message_class"))
	log = frappe.get_doc(
		{
			"doctype": "SMS Log",
			"sender_name": sender_name,
			"sent_at": now_datetime(),
			"message": message,
			"noofrequested_sms": len(numbers),
			"requested_numbers": "\n".join(numbers),
			"noofsent_sms": 0,
			"noofskipped_sms": len(skipped),
			"sent_to": "",
			"status": NOT_SENT if len(skipped) == len(numbers) else status,
			"send_notes": "\n".join(notes) or None,
			**log_fields,
		}
	)
	log.derive_fields()
	log.name = new_name(log)
	log.owner = log.modified_by = frappe.session.user
	log.creation = log.modified = now()
	log.db_insert()

	rows = [
		recipient_row(log, i + 1, number, normalized[i], *skipped.get(i, (row_status, None)))
		for i, number in enumerate(numbers)
	]
	# One multi-row INSERT instead of one per recipient: a bulk send can have thousands.
	insert_rows("SMS Log Recipient", RECIPIENT_FIELDS, [tuple(row.values()) for row in rows])
	daily_totals.add(log)
	_tell_lists(log)
	return StartedLog(
		name=log.name,
		counted={field: log.get(field) for field in daily_totals.COUNTED_FIELDS},
		rows=rows,
		stock_sent_count=log.meta.has_field("no_of_sent_sms"),
	)


def recipient_row(
	log, idx: int, number: str, normalized_number: str | None, status: str, error: str | None = None
) -> dict:
	"""A recipient row of `log` (with its name, owner and creation) with RECIPIENT_FIELDS, in order."""
	return {
		"name": frappe.generate_hash(length=10),
		"parent": log.name,
		"parenttype": "SMS Log",
		"parentfield": "recipients",
		"idx": idx,
		"owner": log.owner,
		"modified_by": log.owner,
		"creation": log.creation,
		"modified": log.creation,
		"number": number,
		"normalized_number": normalized_number,
		"status": status,
		"http_status": 0,
		"error": error,
		"gateway_response": None,
		"message_id": None,
	}


def _update(log: StartedLog, outcomes: list[Outcome]):
	"""`outcomes` are those of `log.rows_to_send()`, in order."""
	modified = now()
	rows = [
		{
			**row,
			"modified": modified,
			"status": recipient_status(o.accepted, o.unconfirmed),
			"http_status": o.http_status or 0,
			"error": o.error,
			"gateway_response": o.response,
			"message_id": o.message_id,
		}
		for row, o in zip(log.rows_to_send(), outcomes, strict=True)
	]
	# every row in one statement: each is there already, so each "duplicate" takes the new values
	insert_rows(
		"SMS Log Recipient",
		RECIPIENT_FIELDS,
		[tuple(row.values()) for row in rows],
		on_duplicate=OUTCOME_FIELDS,
	)
	sent_to = [o.number for o in outcomes if o.accepted]
	skipped = [(row["status"], None) for row in log.rows if row["status"] in SKIPPED]
	values = {
		"status": status_of_rows([(row["status"], None) for row in rows] + skipped),
		"noofsent_sms": len(sent_to),
		"noofskipped_sms": len(skipped),
		"sent_to": "\n".join(sent_to),
		"modified": modified,
	}
	if log.stock_sent_count:  # the owner's count where ERPNext or Frappe owns SMS Log
		values["no_of_sent_sms"] = len(sent_to)
	table = frappe.qb.DocType("SMS Log")
	query = frappe.qb.update(table).where(table.name == log.name)
	for fieldname, value in values.items():
		query = query.set(table[fieldname], value)
	query.run()
	daily_totals.move(log.counted, {**log.counted, **values})
	delivery_reports.apply_reports_waiting_for(o.message_id for o in outcomes)
	opt_outs.record_unsubscribed(outcomes)
	_tell_lists(frappe._dict(name=log.name, owner=frappe.session.user))


def outcome_fields(log_name: str) -> dict:
	"""A log's counts and status from its recipient rows, once none is Queued or Sending any more;
	delivery reports that came meanwhile count in the status."""
	rows = frappe.get_all(
		"SMS Log Recipient",
		filters={"parenttype": "SMS Log", "parent": log_name},
		fields=["number", "status", "delivery_status"],
		order_by="idx asc",
	)
	sent_to = [row.number for row in rows if row.status == SENT]
	values = {
		"status": status_of_rows([(row.status, row.delivery_status) for row in rows]),
		"noofsent_sms": len(sent_to),
		"noofskipped_sms": sum(row.status in SKIPPED for row in rows),
		"sent_to": "\n".join(sent_to),
	}
	if frappe.get_meta("SMS Log").has_field("no_of_sent_sms"):  # the owner's, ERPNext's or Frappe's
		values["no_of_sent_sms"] = len(sent_to)
	return values


def _tell_lists(log):
	# open list views refresh once the log is committed (a new log has no open form: no doc_update)
	frappe.publish_realtime(
		"list_update", {"doctype": "SMS Log", "name": log.name, "user": log.owner}, after_commit=True
	)


def new_name(log) -> str:
	"""The log's name by its DocType's naming. A series (`SMS-.YYYY.-.MM.-.DD.-.#####`, or ERPNext's
	`SYS-SMS-.#####`) takes its next number with `next_in_series`."""
	autoname = log.meta.autoname or ""
	if ".#" in autoname and ":" not in autoname:
		return parse_naming_series(autoname, doc=log, number_generator=next_in_series)
	log.set_new_name()
	return log.name


def next_in_series(prefix: str, digits: int) -> str:
	"""Frappe's `getseries` in one upsert, instead of a locking read and an update; two sends starting
	a day's series at once cannot both insert it."""
	frappe.db.sql(
		"insert into `tabSeries` (`name`, `current`) values (%s, last_insert_id(1))"
		" on duplicate key update `current` = last_insert_id(`current` + 1)",
		(prefix,),
	)
	return f"{frappe.db.sql('select last_insert_id()')[0][0]:0{digits}d}"


def insert_rows(doctype: str, fields: tuple[str, ...], rows: list[tuple], chunk_size=5_000, on_duplicate=()):
	"""Multi-row INSERTs of `rows`, the values passed as query parameters; a row whose name exists
	already takes the new values of the `on_duplicate` fields instead.

	`frappe.db.bulk_insert` builds the same statement through pypika, which spends about 250 ms
	rendering 1,000 recipient rows; the driver's own escaping takes a fifth of that.
	"""
	columns = ", ".join(f"`{field}`" for field in fields)
	row_placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
	update = ", ".join(f"`{field}` = values(`{field}`)" for field in on_duplicate)
	suffix = f" on duplicate key update {update}" if update else ""
	for start in range(0, len(rows), chunk_size):
		chunk = rows[start : start + chunk_size]
		frappe.db.sql(
			f"insert into `tab{doctype}` ({columns}) values "
			+ ", ".join([row_placeholders] * len(chunk))
			+ suffix,
			[value for row in chunk for value in row],
		)
