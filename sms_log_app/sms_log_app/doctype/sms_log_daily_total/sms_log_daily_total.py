# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from sms_log_app.verbatim import VerbatimFieldsAsText


class SMSLogDailyTotal(VerbatimFieldsAsText, Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		logs: DF.Int
		message_class: DF.Data | None
		requested: DF.Int
		segments: DF.Int
		sender_name: DF.Data | None
		sent: DF.Int
		skipped: DF.Int
		sent_on: DF.Date | None
		status: DF.Data | None
	# end: auto-generated types

	def before_insert(self):
		# sms_log_app.daily_totals keeps these with one statement per change, without a Document
		frappe.throw(_("SMS Log Daily Totals are kept by the system."), frappe.PermissionError)

	def validate(self):
		frappe.throw(_("SMS Log Daily Totals are kept by the system."), frappe.PermissionError)

	def on_trash(self):
		frappe.throw(_("SMS Log Daily Totals are kept by the system."), frappe.PermissionError)


def on_doctype_update():
	# one row per day, sender, status and class as the database compares them ("Sales" and "sales" are
	# one, as grouping the logs makes them), so that the SMS Delivery Summary reads them in order as they are
	frappe.db.add_unique(
		"SMS Log Daily Total", ["sent_on", "sender_name", "status", "message_class"], UNIQUE_INDEX
	)


UNIQUE_INDEX = "day_sender_status_class"
