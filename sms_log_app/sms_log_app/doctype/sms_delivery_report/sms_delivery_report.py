# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

from frappe.model.document import Document

from sms_log_app.verbatim import VerbatimFieldsAsText


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

	pass
