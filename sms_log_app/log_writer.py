"""Write SMS Logs so that they outlive the transaction of whoever sent the SMS.

An SMS cannot be taken back, so its record must not be either: a log written in the caller's
transaction would vanish when a failing document save or request rolls that transaction back,
savepoints included. Each log is therefore written on a database connection of its own and
committed at once. That connection is kept for the next log: opening one costs more than the write.

A log is inserted the way Frappe writes its Access Log and Deleted Documents, with `db_insert` (and
one INSERT for its recipients), not with `Document.insert`: the controller derives its fields (`SMSLog.derive_fields`),
and the list view is told of it, but document events (Webhooks, Notifications, Server Scripts on
SMS Log) do not run for it.
"""

import os
import threading
from contextlib import contextmanager, suppress
from datetime import datetime

import frappe
from frappe.model.naming import parse_naming_series
from frappe.utils import now

from sms_log_app import daily_totals
from sms_log_app.gateway import Outcome
from sms_log_app.numbers import to_e164
from sms_log_app.status import FAILED, QUEUED, SENT

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

# The connection logs are written on: (process, thread, site) and the connection. A process keeps one
# at most, so a worker serving many sites of a bench holds two connections, not one per site.
_kept: tuple[tuple, object] | None = None


@contextmanager
def separate_connection():
	"""Run the block on the log connection (see above) and commit it at the end.

	On any error the connection is rolled back and closed, so that one broken by a server restart or
	an idle timeout is replaced on the next write.
	"""
	global _kept
	caller_db = frappe.local.db
	key = (os.getpid(), threading.get_ident(), frappe.local.site)
	if _kept and _kept[0] == key:
		db = _kept[1]
	else:
		_close_kept()
		frappe.connect(set_admin_as_user=False)
		db = frappe.local.db
		_kept = (key, db)
	frappe.local.db = db
	try:
		yield
		db.commit()
	except BaseException:
		_close_kept()
		raise
	finally:
		frappe.local.db = caller_db


def _close_kept():
	global _kept
	if _kept and _kept[0][0] == os.getpid():  # a forked child must not close its parent's socket
		with suppress(Exception):
			_kept[1].rollback()
			_kept[1].close()
	_kept = None


def write_log(
	*,
	message: str,
	outcomes: list[Outcome],
	sender_name: str,
	sent_at: datetime,
	log_fields: dict | None = None,
) -> str | None:
	"""Insert one SMS Log with a row per recipient and commit it; return its name.

	`log_fields` are further SMS Log fields: the reference, the notification, resent_from.

	A failure here must not turn a delivered SMS into an error for the caller: it is reported to the
	Error Log and the app's log file, with everything needed to restore the record by hand.
	"""
	region = site_region()
	for attempt in range(1, WRITE_ATTEMPTS + 1):
		try:
			with separate_connection():
				return _insert(message, outcomes, sender_name, sent_at, log_fields or {}, region)
		except Exception as e:
			if attempt < WRITE_ATTEMPTS and _is_transient(e):
				continue  # concurrent sends can race for a new day's naming series row
			_report_lost(message, outcomes, sender_name, sent_at)
			return None


def write_queued_log(*, message: str, numbers: list[str], sender_name: str, sent_at, log_fields: dict) -> str:
	"""Insert one SMS Log with status Queued and a Queued row per number, commit it, return its name.

	Nothing has been sent yet, so a failure here reaches the caller.
	"""
	region = site_region()
	outcomes = [Outcome(number, False) for number in numbers]
	fields = {**log_fields, "status": QUEUED}
	for attempt in range(1, WRITE_ATTEMPTS + 1):
		try:
			with separate_connection():
				return _insert(message, outcomes, sender_name, sent_at, fields, region, row_status=QUEUED)
		except Exception as e:
			if attempt == WRITE_ATTEMPTS or not _is_transient(e):
				raise


def _is_transient(e: Exception) -> bool:
	"""Errors a second attempt can get past: lock waits, a new day's naming series row created by two
	sends at once, and a kept connection the server has closed."""
	db = frappe.db
	return (
		db.is_deadlocked(e)
		or db.is_timedout(e)
		or db.is_duplicate_entry(e)
		or db.is_interface_error(e)
		or isinstance(e, db.OperationalError)
	)


def _report_lost(message, outcomes, sender_name, sent_at):
	frappe.logger("sms_log_app").exception(
		"SMS Log could not be written: sent_at=%s sender=%s message=%r outcomes=%r",
		sent_at,
		sender_name,
		message,
		outcomes,
	)
	frappe.log_error(title="SMS Log could not be written")


def _insert(message, outcomes, sender_name, sent_at, log_fields, region, row_status=None) -> str:
	requested = [o.number for o in outcomes]
	sent_to = [o.number for o in outcomes if o.accepted]
	log = frappe.get_doc(
		{
			"doctype": "SMS Log",
			"sender_name": sender_name,
			"sent_at": sent_at,
			"message": message,
			"noofrequested_sms": len(requested),
			"requested_numbers": "\n".join(requested),
			"noofsent_sms": len(sent_to),
			"sent_to": "\n".join(sent_to),
			**log_fields,
		}
	)
	log.derive_fields()
	log.name = new_name(log)
	log.owner = log.modified_by = frappe.session.user
	log.creation = log.modified = now()
	log.db_insert()

	# One multi-row INSERT instead of one per recipient: a bulk send can have thousands.
	stamp = (log.owner, log.owner, log.creation, log.creation)
	insert_rows(
		"SMS Log Recipient",
		RECIPIENT_FIELDS,
		[
			(
				frappe.generate_hash(length=10),
				log.name,
				"SMS Log",
				"recipients",
				idx,
				*stamp,
				o.number,
				to_e164(o.number, region),
				row_status or (SENT if o.accepted else FAILED),
				o.http_status or 0,
				o.error,
				o.response,
				o.message_id,
			)
			for idx, o in enumerate(outcomes, start=1)
		],
	)
	daily_totals.add(log)
	# open list views refresh once the log is committed (a new log has no open form: no doc_update)
	frappe.publish_realtime(
		"list_update", {"doctype": "SMS Log", "name": log.name, "user": log.owner}, after_commit=True
	)
	return log.name


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


def insert_rows(doctype: str, fields: tuple[str, ...], rows: list[tuple], chunk_size=5_000):
	"""Multi-row INSERTs of `rows`, the values passed as query parameters.

	`frappe.db.bulk_insert` builds the same statement through pypika, which spends about 250 ms
	rendering 1,000 recipient rows; the driver's own escaping takes a fifth of that.
	"""
	columns = ", ".join(f"`{field}`" for field in fields)
	row_placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
	for start in range(0, len(rows), chunk_size):
		chunk = rows[start : start + chunk_size]
		frappe.db.sql(
			f"insert into `tab{doctype}` ({columns}) values " + ", ".join([row_placeholders] * len(chunk)),
			[value for row in chunk for value in row],
		)


def site_region() -> str | None:
	"""The ISO code of the site's country (System Settings), the default region for national numbers."""
	country = frappe.get_system_settings("country")
	return country and frappe.get_cached_value("Country", country, "code")
