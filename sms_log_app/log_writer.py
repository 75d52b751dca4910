"""Write SMS Logs so that they outlive the transaction of whoever sent the SMS.

An SMS cannot be taken back, so its record must not be either: a log written in the caller's
transaction would vanish when a failing document save or request rolls that transaction back,
savepoints included. Each log is therefore written on a database connection of its own and
committed at once.
"""

from contextlib import contextmanager
from datetime import datetime

import frappe

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


@contextmanager
def separate_connection():
	"""Run the block on a new connection to the site's database and commit it at the end."""
	caller_db = frappe.local.db
	frappe.connect(set_admin_as_user=False)
	try:
		yield
		frappe.db.commit()
	finally:
		frappe.db.close()
		frappe.local.db = caller_db


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
	return frappe.db.is_deadlocked(e) or frappe.db.is_timedout(e) or frappe.db.is_duplicate_entry(e)


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
	# the controller derives the date, the status, the segments and the encoding
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
	log.flags.ignore_links = True  # the reference may exist only in the caller's uncommitted transaction
	log.insert(ignore_permissions=True)

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
	return log.name


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
	country = frappe.db.get_single_value("System Settings", "country")
	return country and frappe.get_cached_value("Country", country, "code")
