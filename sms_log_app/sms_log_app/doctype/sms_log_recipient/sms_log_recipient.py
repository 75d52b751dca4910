# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from sms_log_app.record_access import may_access_log_of
from sms_log_app.verbatim import VerbatimFieldsAsText


class SMSLogRecipient(VerbatimFieldsAsText, Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		delivered_at: DF.Datetime | None
		delivery_error: DF.Data | None
		delivery_status: DF.Literal[
			"", "Pending", "Delivered", "Undelivered", "Expired", "Rejected", "Failed", "Unknown"
		]
		error: DF.SmallText | None
		gateway_response: DF.SmallText | None
		http_status: DF.Int
		message_id: DF.Data | None
		normalized_number: DF.Data | None
		number: DF.Data | None
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		status: DF.Literal[
			"Sent",
			"Failed",
			"Queued",
			"Sending",
			"Unconfirmed",
			"Opted Out",
			"Duplicate",
			"Cancelled",
			"Expired",
		]
	# end: auto-generated types

	def has_permission(self, permtype="read", *, debug=False, user=None) -> bool:
		return super().has_permission(permtype, debug=debug, user=user) and may_access_log_of(
			self, permtype, user
		)

	def on_trash(self):
		# REST and Desk delete a row through here, Administrator included; Log Settings delete rows with
		# their log in SQL (sms_log.delete_logs)
		frappe.throw(
			_("The recipients of an SMS Log cannot be deleted. Log Settings clear them with their log."),
			frappe.PermissionError,
		)


def on_doctype_update():
	# lookup by number: the logs sent to a number come from the index alone, without reading the rows
	frappe.db.add_index(
		"SMS Log Recipient", ["normalized_number", "parenttype", "parent"], "number_parent_index"
	)
	# the newest logs to a number (phone_search, a person's timeline), from the index alone in order
	frappe.db.add_index(
		"SMS Log Recipient", ["normalized_number", "creation", "parent"], "number_newest_index"
	)
	# a bulk send's jobs claim their next rows in order, reading (and locking) only those
	frappe.db.add_index("SMS Log Recipient", ["parent", "status", "idx"], "parent_status_index")
