# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document
from frappe.query_builder import Interval
from frappe.query_builder.functions import Now
from frappe.utils import cint

from sms_log_app.verbatim import VerbatimFieldsAsText

CLEAR_BATCH = 10_000
UNMATCHED_KEPT_TIMES = 2  # an unmatched report may be the only trace of an SMS the log lacks


class SMSDeliveryReport(VerbatimFieldsAsText, Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		applied_at: DF.Datetime | None
		delivery_status: DF.Data | None
		error: DF.Data | None
		message_id: DF.Data | None
		number: DF.Data | None
		payload: DF.LongText | None
		provider_status: DF.Data | None
		reported_time: DF.Data | None
		sms_log: DF.Link | None
		status: DF.Literal["Unmatched", "Applied"]
	# end: auto-generated types

	@staticmethod
	def clear_old_logs(days=90):
		"""Log Settings: delete the Applied reports that came more than `days` days ago, and the
		Unmatched ones after twice that, a batch per transaction."""
		days = cint(days)
		report = frappe.qb.DocType("SMS Delivery Report")
		for status, kept_days in (("Applied", days), ("Unmatched", days * UNMATCHED_KEPT_TIMES)):
			old = (
				frappe.qb.from_(report)
				.select(report.name)
				.where(report.status == status)
				.where(report.creation < Now() - Interval(days=kept_days))
			)
			while names := old.limit(CLEAR_BATCH).run(pluck=True):
				frappe.db.delete("SMS Delivery Report", {"name": ("in", names)})
				frappe.db.commit()
