# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.query_builder import Interval
from frappe.query_builder.functions import IfNull, Now
from frappe.utils import cint, getdate, now_datetime

from sms_log_app import daily_totals, opt_out_link
from sms_log_app.markup_free import markup_free
from sms_log_app.segments import count_segments
from sms_log_app.status import NOT_SENT, QUEUED, SCHEDULED, SENDING, log_status
from sms_log_app.verbatim import VerbatimFieldsAsText

CLEAR_BATCH = 1000  # logs deleted per transaction when Log Settings clear old ones
MIN_RETENTION_DAYS = 30  # Log Settings never clear an SMS Log younger than this
# The owners' names for the seed's counts (ERPNext v15, Frappe v16, see sms_log_app.adoption), and this app's
STOCK_COUNTS = {"no_of_requested_sms": "noofrequested_sms", "no_of_sent_sms": "noofsent_sms"}


class SMSLog(VerbatimFieldsAsText, Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from sms_log_app.sms_log_app.doctype.sms_log_recipient.sms_log_recipient import SMSLogRecipient

		cancelled_at: DF.Datetime | None
		cancelled_by: DF.Link | None
		encoding: DF.Literal["GSM-7", "UCS-2"]
		message: DF.SmallText | None
		message_class: DF.Literal["OTP", "Transactional", "Promotional"]
		noofrequested_sms: DF.Int
		noofskipped_sms: DF.Int
		noofsent_sms: DF.Int
		notification: DF.Link | None
		recipients: DF.Table[SMSLogRecipient]
		recipients_done: DF.Int
		reference_doctype: DF.Link | None
		reference_name: DF.DynamicLink | None
		requested_numbers: DF.Code | None
		resent_from: DF.Link | None
		scheduled_for: DF.Datetime | None
		segments: DF.Int
		send_notes: DF.SmallText | None
		sender_name: DF.Data | None
		sent_at: DF.Datetime | None
		sent_on: DF.Date | None
		sent_to: DF.Code | None
		status: DF.Literal[
			"Sent",
			"Partially Sent",
			"Failed",
			"Delivered",
			"Partially Delivered",
			"Undelivered",
			"Queued",
			"Sending",
			"Unconfirmed",
			"Scheduled",
			"Cancelled",
			"Not Sent",
		]
		title: DF.Data | None
	# end: auto-generated types

	def before_insert(self):
		# Only server code creates logs; a request through Desk or REST does not get here without
		# ignore_permissions, not even as Administrator.
		if not self.flags.ignore_permissions:
			frappe.throw(_("SMS Logs are created by the system when an SMS is sent."), frappe.PermissionError)
		self.derive_fields()

	def derive_fields(self):
		"""The fields a log gets from what was sent. `log_writer` calls this too: it inserts logs
		without `insert`, and so without `before_insert`."""
		self.adopt_stock_field_names()
		self.sent_at = self.sent_at or now_datetime()
		self.sent_on = getdate(self.sent_at)
		if self.status not in (QUEUED, SENDING, SCHEDULED, NOT_SENT):  # completed afterwards, or never sent
			self.status = log_status(self.noofrequested_sms, self.noofsent_sms)
		self.encoding, self.segments = count_segments(opt_out_link.as_counted(self.message or ""))
		self.title = markup_free(self.sender_name)

	def adopt_stock_field_names(self):
		"""Frappe's own `create_sms_log` (and ERPNext's) write `no_of_requested_sms` and `no_of_sent_sms`;
		where the DocType is ERPNext's or Frappe's own (see `sms_log_app.adoption`), those fields get
		the counts too, so that they stay complete for the owner."""
		for stock, own in STOCK_COUNTS.items():
			count = self.get(own) or self.get(stock) or 0
			self.set(own, count)
			if self.meta.has_field(stock):
				self.set(stock, count)

	def after_insert(self):
		# logs inserted as Documents: stock create_sms_log, ERPNext; log_writer counts its own
		daily_totals.add(self)

	def validate(self):
		if not self.is_new():
			frappe.throw(_("An SMS Log records what was sent and cannot be changed."), frappe.PermissionError)

	def on_trash(self):
		frappe.throw(
			_("SMS Logs cannot be deleted by hand. Log Settings clear them when they are old."),
			frappe.PermissionError,
		)

	@staticmethod
	def clear_old_logs(days=365):
		"""Delete logs created more than `days` days ago (MIN_RETENTION_DAYS at least), with their
		recipients, a batch per transaction. A log still Scheduled, Queued or Sending is kept: it is not
		done."""
		days = max(cint(days), MIN_RETENTION_DAYS)
		log = frappe.qb.DocType("SMS Log")
		old = (
			frappe.qb.from_(log)
			.select(log.name)
			.where(log.creation < Now() - Interval(days=days))
			.where(IfNull(log.status, "").notin([QUEUED, SENDING, SCHEDULED]))
		)
		while names := old.limit(CLEAR_BATCH).run(pluck=True):
			delete_logs(names)
			frappe.db.commit()


def refuse_short_retention(log_settings, method=None):
	"""Log Settings' `validate` (a doc_event): SMS Logs are kept MIN_RETENTION_DAYS at least."""
	for row in log_settings.logs_to_clear:
		if row.ref_doctype == "SMS Log" and cint(row.days) < MIN_RETENTION_DAYS:
			frappe.throw(
				_("SMS Logs are an audit record: Log Settings must keep them at least {0} days.").format(
					MIN_RETENTION_DAYS
				),
				title=_("Too Short to Keep SMS Logs"),
			)


def delete_logs(names: list[str]):
	"""Delete the logs `names` with their recipients, and take them out of the daily totals, in the
	current transaction."""
	daily_totals.remove(names)
	frappe.db.delete("SMS Log Recipient", {"parenttype": "SMS Log", "parent": ("in", names)})
	frappe.db.delete("SMS Log", {"name": ("in", names)})


def on_doctype_update():
	"""Indexes for the questions the log must answer fast at millions of rows (see the benchmark,
	`sms_log_app.benchmark`, and the README's Performance section)."""
	# Log Settings clear by creation time, and the list shows the newest first
	frappe.db.add_index("SMS Log", ["creation"])
	# the list filtered by status, newest first, and its count
	frappe.db.add_index("SMS Log", ["status", "creation"])
	# a document's timeline: the newest logs sent for it
	frappe.db.add_index("SMS Log", ["reference_doctype", "reference_name", "creation"], "reference_index")
	# SMS Delivery Summary: grouped and summed from the index alone, without reading the rows
	frappe.db.add_index(
		"SMS Log",
		["sent_on", "sender_name", "status", "noofrequested_sms", "noofsent_sms", "segments"],
		"delivery_summary_index",
	)
