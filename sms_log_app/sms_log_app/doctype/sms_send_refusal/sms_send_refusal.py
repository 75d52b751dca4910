# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.query_builder import Interval
from frappe.query_builder.functions import Now

from sms_log_app.verbatim import VerbatimFieldsAsText


class SMSSendRefusal(VerbatimFieldsAsText, Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		attempts: DF.Int
		first_attempt: DF.Datetime | None
		full_name: DF.Data | None
		ip_address: DF.Data | None
		last_attempt: DF.Datetime | None
		reason: DF.Literal[
			"Role",
			"Hourly Cap",
			"Daily Cap",
			"Notification Address Cap",
			"Notification Site Cap",
			"OTP User Cap",
			"OTP Number Cap",
			"Promotional Sender ID",
		]
		recipients: DF.Int
		user: DF.Link | None
	# end: auto-generated types

	def before_insert(self):
		# sms_log_app.send_permission records refusals with one statement, without a Document
		frappe.throw(_("SMS Send Refusals are recorded by the system."), frappe.PermissionError)

	def validate(self):
		frappe.throw(_("An SMS Send Refusal is a record and cannot be changed."), frappe.PermissionError)

	def on_trash(self):
		frappe.throw(
			_("SMS Send Refusals cannot be deleted by hand. Log Settings clear them when they are old."),
			frappe.PermissionError,
		)

	@staticmethod
	def clear_old_logs(days=90):
		"""Delete refusals recorded more than `days` days ago."""
		table = frappe.qb.DocType("SMS Send Refusal")
		frappe.db.delete(table, filters=(table.creation < (Now() - Interval(days=days))))


def on_doctype_update():
	# Log Settings clear by creation time, and the list shows the newest first
	frappe.db.add_index("SMS Send Refusal", ["creation"])
